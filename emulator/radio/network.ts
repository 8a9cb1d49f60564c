import type { Clock } from '../../hal/index.js';
import type { Rng } from '../world/rng.js';
import type { Vec3 } from '../world/vec.js';
import { ATMOSPHERE_MARGIN_M, R_EARTH } from '../world/orbit.js';
import { DEFAULT_LINK_BUDGET, maxRangeM, rssiDbm, type LinkBudget } from './link-budget.js';

/** Speed of light, m/s. */
const C = 299_792_458;

export interface RadioConfig {
  /** Air data rate per radio, bit/s. Default 9600. */
  bitRate: number;
  /** Transmit queue per radio, bytes; a send that does not fit is refused `busy`. Default 2048. */
  queueBytes: number;
  /** Framing overhead per packet on the air, bytes (preamble, sync, length, FEC tail). Default 8. */
  overheadBytes: number;
  /** Processing latency added to propagation, uniform in [min, max] ms. Default 50–100. */
  latencyMinMs: number;
  latencyMaxMs: number;
  /** Probability a packet is lost per receiver. Default 0. */
  lossProbability: number;
  budget: LinkBudget;
}

export const DEFAULT_RADIO_CONFIG: Readonly<RadioConfig> = Object.freeze({
  bitRate: 9600,
  queueBytes: 2048,
  overheadBytes: 8,
  latencyMinMs: 50,
  latencyMaxMs: 100,
  lossProbability: 0,
  budget: DEFAULT_LINK_BUDGET,
});

export interface RadioNode {
  id: string;
  kind: 'sat' | 'ground';
  /** Position, ECI metres, at time t seconds. */
  position: (tS: number) => Readonly<Vec3>;
  /**
   * An upper bound on how fast `position` moves, m/s, if known (a satellite: its orbital
   * speed). With it the network skips computing this node's position for packets it surely
   * cannot hear (from where it was up to a second before, it cannot have come into range).
   * Only a speed: the outcome is exactly what the full check gives.
   */
  maxSpeedMps?: number;
  /** For ground stations: whether a satellite at `satPos` is above the elevation mask. */
  sees?: (satPos: Readonly<Vec3>, tS: number) => boolean;
  /** Bytes received for this node. */
  deliver: (from: string, data: Uint8Array, rssiDbm: number) => void;
}

export type TransmitResult = { ok: true } | { ok: false; code: 'busy'; msg: string };

export interface NodeStats {
  txPackets: number;
  txBytes: number;
  busy: number;
  rxPackets: number;
  rxBytes: number;
  /** Airtime used, ms (for utilisation). */
  airtimeMs: number;
  /** Packets not delivered to this node, by why. */
  lost: { range: number; loss: number; partition: number; outage: number };
}

interface NodeState {
  node: RadioNode;
  /** Stable per id (a node added again under the same id keeps its index). */
  index: number;
  /** Partition group (−1: the unlisted group). */
  group: number;
  txPowerDbm: number;
  queued: number;
  txFreeAtMs: number;
  outage: boolean;
  stats: NodeStats;
  /** Where the node was at `coarseT` s (NaN: not yet), for the range bound (`maxSpeedMps`). */
  coarseT: number;
  cx: number;
  cy: number;
  cz: number;
  /** The link budget's range for this node as a sender, for `limFor` (its power, budget). */
  limFor: number;
  limBudget: LinkBudget | undefined;
  limF: number;
  limG: number;
  limS: number;
  /** The range with slack (see RANGE_SLACK), m, and its square. */
  limR: number;
  lim2: number;
}

type LostWhy = keyof NodeStats['lost'];

/** Outcome codes of `reach` (no string or object per receiver checked). */
const OK = 0;
const OUTAGE = 1;
const PARTITION = 2;
const RANGE = 3;
const WHY: readonly (LostWhy | undefined)[] = [undefined, 'outage', 'partition', 'range'];

/** Lowest distance of an inter-satellite ray from Earth's centre, squared, m² (as lineOfSight). */
const R_MIN = R_EARTH + ATMOSPHERE_MARGIN_M;
const R_MIN2 = R_MIN * R_MIN;

/**
 * The range pre-checks reject only beyond this factor of the link budget's range, far above
 * rounding (20·log10(1 + 1e-6) ≈ 9e-6 dB); nearer pairs get the exact line-of-sight and RSSI
 * tests. A pre-check only ever answers 'range' where the exact tests would too.
 */
const RANGE_SLACK = 1 + 1e-6;
/** A coarse position is used for the range bound up to this old, s. */
const COARSE_MAX_AGE_S = 1;
/** Added to every movement bound, m: covers rounding in positions and distances. */
const BOUND_SLACK_M = 1;

/**
 * One packet on its way to the receivers that will get it. Its deliveries are scheduled in
 * receiver order, each at its own time; the clock runs them by (time, scheduling order),
 * which is the order of `rx` here (kept sorted by time, stably, as they are added), so each
 * timer delivers the next one. One function per packet instead of a closure per delivery.
 */
class InFlight {
  private readonly rx: NodeState[] = [];
  private readonly rssi: number[] = [];
  private readonly at: number[] = [];
  private next = 0;
  readonly fire = (): void => {
    const k = this.next++;
    const rx = this.rx[k]!;
    if (rx.outage) {
      rx.stats.lost.outage++;
      return;
    }
    rx.stats.rxPackets++;
    rx.stats.rxBytes += this.data.length;
    rx.node.deliver(this.from, this.data, this.rssi[k]!);
  };

  constructor(
    private readonly from: string,
    private readonly data: Uint8Array,
  ) {}

  /** Adds a delivery at `at`, after any already added at the same or an earlier time. */
  add(rx: NodeState, rssi: number, at: number): void {
    const xs = this.at;
    const rxs = this.rx;
    const rssis = this.rssi;
    let i = xs.length;
    xs.push(at);
    rxs.push(rx);
    rssis.push(rssi);
    while (i > 0 && xs[i - 1]! > at) {
      xs[i] = xs[i - 1]!;
      rxs[i] = rxs[i - 1]!;
      rssis[i] = rssis[i - 1]!;
      i--;
    }
    xs[i] = at;
    rxs[i] = rx;
    rssis[i] = rssi;
  }
}

/**
 * The ISL radio network. Each radio sends one packet at a time at its bit rate from a
 * bounded queue (full → `busy`); a packet reaches a receiver when, at the end of its airtime,
 * the two have line of sight (Earth occlusion with an atmosphere margin, or the ground
 * station's elevation mask), the received power clears the sensitivity, neither radio is out,
 * no partition separates them, and the loss draw spares it. Delivery is after propagation +
 * processing latency, in order per sender→receiver pair. Deterministic for a seeded `rng`
 * on a virtual clock.
 *
 * Cost per packet: the sender's position once; per other node, outage and partition, then,
 * for a node with `maxSpeedMps`, a distance bound from where it was up to a second before
 * (most of a large constellation is rejected here without computing its position), then its
 * exact position, a squared-distance test against the budget's range, line of sight and RSSI
 * (computed once). One object per packet for its deliveries; no closure or key string per
 * receiver.
 */
export class RadioNetwork {
  private readonly nodes = new Map<string, NodeState>();
  /** The nodes in the order added (the Map's order), for the per-packet loop. */
  private readonly list: NodeState[] = [];
  /**
   * Per sender index, per receiver index: the last delivery time scheduled for the pair, ms
   * (deliveries stay in order per pair); 0 before the first.
   */
  private readonly lastDeliveryMs: Float64Array[] = [];
  private partitionOf = new Map<string, number>();
  /** Distance and RSSI of the last pair `reachAt` found OK. */
  private reachD = 0;
  private reachRssi = 0;
  /** Scratch for a sender's position handed to `sees` (a node may reuse the array it returns). */
  private readonly scratch: Vec3 = [0, 0, 0];
  /** Scratch for the receiver's position in `neighbours`. */
  private readonly scratchRx: Vec3 = [0, 0, 0];
  readonly cfg: RadioConfig;

  constructor(private readonly clock: Clock, private readonly rng: Rng, cfg: Partial<RadioConfig> = {}) {
    this.cfg = { ...DEFAULT_RADIO_CONFIG, ...cfg };
  }

  add(node: RadioNode): void {
    const prev = this.nodes.get(node.id);
    const st: NodeState = {
      node,
      index: prev ? prev.index : this.list.length,
      group: this.partitionOf.get(node.id) ?? -1,
      txPowerDbm: this.cfg.budget.txPowerDbm,
      queued: 0,
      txFreeAtMs: 0,
      outage: false,
      stats: { txPackets: 0, txBytes: 0, busy: 0, rxPackets: 0, rxBytes: 0, airtimeMs: 0, lost: { range: 0, loss: 0, partition: 0, outage: 0 } },
      coarseT: NaN,
      cx: 0,
      cy: 0,
      cz: 0,
      limFor: NaN,
      limBudget: undefined,
      limF: NaN,
      limG: NaN,
      limS: NaN,
      limR: 0,
      lim2: 0,
    };
    this.nodes.set(node.id, st);
    this.list[st.index] = st;
  }

  ids(): string[] {
    return [...this.nodes.keys()];
  }

  stats(id: string): NodeStats | undefined {
    return this.nodes.get(id)?.stats;
  }

  setTxPower(id: string, dbm: number): void {
    const n = this.nodes.get(id);
    if (n) n.txPowerDbm = dbm;
  }

  txPower(id: string): number | undefined {
    return this.nodes.get(id)?.txPowerDbm;
  }

  isOut(id: string): boolean {
    return this.nodes.get(id)?.outage ?? true;
  }

  /** When the node's transmitter is next idle, ms (in the past when idle now). */
  transmittingUntil(id: string): number {
    return this.nodes.get(id)?.txFreeAtMs ?? 0;
  }

  /** A radio outage (fault): the node neither sends nor hears. */
  setOutage(id: string, out: boolean): void {
    const n = this.nodes.get(id);
    if (n) n.outage = out;
  }

  /** Split the network: nodes in different groups cannot hear each other. Unlisted nodes form one more group. */
  partition(groups: string[][]): void {
    this.partitionOf = new Map();
    groups.forEach((g, i) => g.forEach((id) => this.partitionOf.set(id, i)));
    this.regroup();
  }

  heal(): void {
    this.partitionOf = new Map();
    this.regroup();
  }

  private regroup(): void {
    for (const n of this.list) n.group = this.partitionOf.get(n.node.id) ?? -1;
  }

  /** Whether `a` would hear `b` right now (range, line of sight, partition, outage). */
  canHear(a: string, b: string, tS = this.clock.now() / 1000): boolean {
    const A = this.nodes.get(a);
    const B = this.nodes.get(b);
    if (!A || !B || a === b) return false;
    if (B.outage || A.outage) return false;
    if (B.group !== A.group) return false;
    const pb = B.node.position(tS);
    const bx = pb[0];
    const by = pb[1];
    const bz = pb[2];
    return this.reachAt(B, A, tS, bx, by, bz, A.node.position(tS), this.limit(B)) === OK;
  }

  /** Ids the node can currently hear (its `peers` count). */
  neighbours(id: string): string[] {
    const me = this.nodes.get(id);
    if (!me || me.outage) return [];
    const tS = this.clock.now() / 1000;
    const out: string[] = [];
    // Every other node is a sender here and `me` the receiver: `me`'s position once, each
    // other node's only when its distance bound leaves it in range.
    const mine = me.node.position(tS);
    const mx = mine[0];
    const my = mine[1];
    const mz = mine[2];
    const list = this.list;
    for (let k = 0; k < list.length; k++) {
      const o = list[k]!;
      if (o === me || o.outage || o.group !== me.group) continue;
      const lim = this.limit(o);
      if (this.surelyOut(o, tS, mx, my, mz, lim)) continue;
      const p = o.node.position(tS);
      const ox = p[0];
      const oy = p[1];
      const oz = p[2];
      const b = this.scratchRx;
      b[0] = mx;
      b[1] = my;
      b[2] = mz;
      if (this.reachAt(o, me, tS, ox, oy, oz, b, lim) === OK) out.push(o.node.id);
    }
    return out;
  }

  transmit(from: string, to: string, data: Uint8Array): TransmitResult {
    const tx = this.nodes.get(from);
    if (!tx) return { ok: false, code: 'busy', msg: `no radio ${from}` };
    if (tx.queued + data.length > this.cfg.queueBytes) {
      tx.stats.busy++;
      return { ok: false, code: 'busy', msg: `radio queue full (${tx.queued}/${this.cfg.queueBytes} bytes)` };
    }
    const now = this.clock.now();
    const airtimeMs = ((data.length + this.cfg.overheadBytes) * 8 * 1000) / this.cfg.bitRate;
    const start = Math.max(now, tx.txFreeAtMs);
    const end = start + airtimeMs;
    tx.txFreeAtMs = end;
    tx.queued += data.length;
    tx.stats.txPackets++;
    tx.stats.txBytes += data.length;
    tx.stats.airtimeMs += airtimeMs;
    const copy = Uint8Array.from(data);
    this.clock.setTimerAt(end, () => {
      tx.queued -= copy.length;
      this.onAir(tx, to, copy, end);
    });
    return { ok: true };
  }

  private onAir(tx: NodeState, to: string, data: Uint8Array, atMs: number): void {
    const tS = atMs / 1000;
    const cfg = this.cfg;
    const broadcast = to === '*';
    let only: NodeState | undefined;
    if (!broadcast) {
      only = this.nodes.get(to);
      if (!only) return;
    }
    const pa = tx.node.position(tS);
    const ax = pa[0];
    const ay = pa[1];
    const az = pa[2];
    const lim = this.limit(tx);
    const last = this.lastRow(tx);
    const list = this.list;
    const n = broadcast ? list.length : 1;
    let pkt: InFlight | undefined;
    for (let k = 0; k < n; k++) {
      const rx = broadcast ? list[k]! : only!;
      if (rx === tx && broadcast) continue;
      let code: number;
      if (tx.outage || rx.outage) code = OUTAGE;
      else if (tx.group !== rx.group) code = PARTITION;
      else if (this.surelyOut(rx, tS, ax, ay, az, lim)) code = RANGE;
      else code = this.reachAt(tx, rx, tS, ax, ay, az, rx.node.position(tS), lim);
      let why: LostWhy | undefined = WHY[code];
      if (code === OK && cfg.lossProbability > 0 && this.rng.next() < cfg.lossProbability) why = 'loss';
      if (why) {
        // A broadcast only counts losses at nodes it could have reached.
        if (!broadcast || why === 'loss' || why === 'partition') rx.stats.lost[why]++;
        continue;
      }
      const d = this.reachD;
      const rssi = Math.round(this.reachRssi);
      const latency = (d / C) * 1000 + cfg.latencyMinMs + this.rng.next() * (cfg.latencyMaxMs - cfg.latencyMinMs);
      const at = Math.max(atMs + latency, last[rx.index]!);
      last[rx.index] = at;
      pkt ??= new InFlight(tx.node.id, data);
      pkt.add(rx, rssi, at);
      this.clock.setTimerAt(at, pkt.fire);
    }
  }

  /** The sender's row of `lastDeliveryMs`, at least as long as the node list. */
  private lastRow(tx: NodeState): Float64Array {
    const row = this.lastDeliveryMs[tx.index];
    if (row && row.length >= this.list.length) return row;
    const grown = new Float64Array(Math.max(8, this.list.length * 2));
    if (row) grown.set(row);
    this.lastDeliveryMs[tx.index] = grown;
    return grown;
  }

  /** `tx`'s range as a sender (with slack), refreshed when its power or the budget changed; returns it, `lim2` its square. */
  private limit(tx: NodeState): NodeState {
    const b = this.cfg.budget;
    if (tx.limFor !== tx.txPowerDbm || tx.limBudget !== b || tx.limF !== b.frequencyMhz || tx.limG !== b.antennaGainsDbi || tx.limS !== b.sensitivityDbm) {
      tx.limFor = tx.txPowerDbm;
      tx.limBudget = b;
      tx.limF = b.frequencyMhz;
      tx.limG = b.antennaGainsDbi;
      tx.limS = b.sensitivityDbm;
      tx.limR = maxRangeM(tx.txPowerDbm, b) * RANGE_SLACK;
      tx.lim2 = tx.limR * tx.limR;
    }
    return tx;
  }

  /**
   * True when `o` is surely farther than `lim`'s range from the point (px, py, pz) at tS,
   * judged from where `o` was at most COARSE_MAX_AGE_S before or after, and how fast it can
   * move. False when unsure, or when `o` declares no speed. Refreshes `o`'s coarse position
   * (one position call) when it is too old.
   */
  private surelyOut(o: NodeState, tS: number, px: number, py: number, pz: number, lim: NodeState): boolean {
    const v = o.node.maxSpeedMps;
    if (v === undefined || !(v >= 0) || !(lim.limR < Infinity)) return false;
    let age = tS - o.coarseT;
    if (age < 0) age = -age;
    if (!(age <= COARSE_MAX_AGE_S)) {
      const c = o.node.position(tS);
      o.coarseT = tS;
      o.cx = c[0];
      o.cy = c[1];
      o.cz = c[2];
      age = 0;
    }
    const dx = o.cx - px;
    const dy = o.cy - py;
    const dz = o.cz - pz;
    const r = lim.limR + v * age + BOUND_SLACK_M;
    return dx * dx + dy * dy + dz * dz > r * r;
  }

  /**
   * Whether a node at `b` could hear `tx` at (ax, ay, az) at tS, past outage and partition
   * (random loss aside): OK (then `reachD`, `reachRssi` are set) or RANGE.
   */
  private reachAt(tx: NodeState, rx: NodeState, tS: number, ax: number, ay: number, az: number, b: Readonly<Vec3>, lim: NodeState): number {
    const dx = b[0] - ax;
    const dy = b[1] - ay;
    const dz = b[2] - az;
    const d2 = dx * dx + dy * dy + dz * dz;
    // Surely beyond the budget's range: out, whatever the geometry (the exact tests would say
    // the same 'range').
    if (d2 > lim.lim2) return RANGE;
    const ground = tx.node.kind === 'ground' ? tx.node : rx.node.kind === 'ground' ? rx.node : undefined;
    if (ground) {
      let sat = b;
      if (ground !== tx.node) {
        const s = this.scratch;
        s[0] = ax;
        s[1] = ay;
        s[2] = az;
        sat = s;
      }
      if (!ground.sees?.(sat, tS)) return RANGE;
    } else {
      // lineOfSight(a, b) inline: the segment's point closest to Earth's centre stays above R_MIN.
      let u = d2 > 0 ? -(ax * dx + ay * dy + az * dz) / d2 : 0;
      u = u < 0 ? 0 : u > 1 ? 1 : u;
      const cx = ax + u * dx;
      const cy = ay + u * dy;
      const cz = az + u * dz;
      if (!(cx * cx + cy * cy + cz * cz > R_MIN2)) return RANGE;
    }
    const budget = this.cfg.budget;
    const d = Math.sqrt(d2);
    const rssi = rssiDbm(d, tx.txPowerDbm, budget);
    if (rssi < budget.sensitivityDbm) return RANGE;
    this.reachD = d;
    this.reachRssi = rssi;
    return OK;
  }
}
