import type { Clock } from '../../hal/index.js';
import type { Rng } from '../world/rng.js';
import type { Vec3 } from '../world/vec.js';
import { distanceM, lineOfSight } from '../world/orbit.js';
import { DEFAULT_LINK_BUDGET, rssiDbm, type LinkBudget } from './link-budget.js';

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
  txPowerDbm: number;
  queued: number;
  txFreeAtMs: number;
  outage: boolean;
  stats: NodeStats;
}

/**
 * The ISL radio network. Each radio sends one packet at a time at its bit rate from a
 * bounded queue (full → `busy`); a packet reaches a receiver when, at the end of its airtime,
 * the two have line of sight (Earth occlusion with an atmosphere margin, or the ground
 * station's elevation mask), the received power clears the sensitivity, neither radio is out,
 * no partition separates them, and the loss draw spares it. Delivery is after propagation +
 * processing latency, in order per sender→receiver pair. Deterministic for a seeded `rng`
 * on a virtual clock.
 */
export class RadioNetwork {
  private readonly nodes = new Map<string, NodeState>();
  private readonly lastDeliveryMs = new Map<string, number>();
  private partitionOf = new Map<string, number>();
  readonly cfg: RadioConfig;

  constructor(private readonly clock: Clock, private readonly rng: Rng, cfg: Partial<RadioConfig> = {}) {
    this.cfg = { ...DEFAULT_RADIO_CONFIG, ...cfg };
  }

  add(node: RadioNode): void {
    this.nodes.set(node.id, {
      node,
      txPowerDbm: this.cfg.budget.txPowerDbm,
      queued: 0,
      txFreeAtMs: 0,
      outage: false,
      stats: { txPackets: 0, txBytes: 0, busy: 0, rxPackets: 0, rxBytes: 0, airtimeMs: 0, lost: { range: 0, loss: 0, partition: 0, outage: 0 } },
    });
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
  }

  heal(): void {
    this.partitionOf = new Map();
  }

  /** Whether `a` would hear `b` right now (range, line of sight, partition, outage). */
  canHear(a: string, b: string, tS = this.clock.now() / 1000): boolean {
    const A = this.nodes.get(a);
    const B = this.nodes.get(b);
    if (!A || !B || a === b) return false;
    return this.blocked(B, A, tS) === undefined;
  }

  /** Ids the node can currently hear (its `peers` count). */
  neighbours(id: string): string[] {
    const tS = this.clock.now() / 1000;
    return this.ids().filter((o) => o !== id && this.canHear(id, o, tS));
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
    const targets = to === '*' ? [...this.nodes.values()].filter((n) => n !== tx) : [this.nodes.get(to)].filter((n): n is NodeState => !!n);
    for (const rx of targets) {
      const why = this.blocked(tx, rx, tS) ?? (this.cfg.lossProbability > 0 && this.rng.next() < this.cfg.lossProbability ? 'loss' : undefined);
      if (why) {
        // A broadcast only counts losses at nodes it could have reached.
        if (to !== '*' || why === 'loss' || why === 'partition') rx.stats.lost[why]++;
        continue;
      }
      const d = distanceM(tx.node.position(tS), rx.node.position(tS));
      const rssi = Math.round(rssiDbm(d, tx.txPowerDbm, this.cfg.budget));
      const latency = (d / C) * 1000 + this.cfg.latencyMinMs + this.rng.next() * (this.cfg.latencyMaxMs - this.cfg.latencyMinMs);
      const key = `${tx.node.id}>${rx.node.id}`;
      const at = Math.max(atMs + latency, this.lastDeliveryMs.get(key) ?? 0);
      this.lastDeliveryMs.set(key, at);
      this.clock.setTimerAt(at, () => {
        if (rx.outage) {
          rx.stats.lost.outage++;
          return;
        }
        rx.stats.rxPackets++;
        rx.stats.rxBytes += data.length;
        rx.node.deliver(tx.node.id, data, rssi);
      });
    }
  }

  /** Why `rx` could not hear `tx` at time tS (random loss aside), or undefined if it could. */
  private blocked(tx: NodeState, rx: NodeState, tS: number): Exclude<keyof NodeStats['lost'], 'loss'> | undefined {
    if (tx.outage || rx.outage) return 'outage';
    const pa = this.partitionOf.get(tx.node.id) ?? -1;
    const pb = this.partitionOf.get(rx.node.id) ?? -1;
    if (pa !== pb) return 'partition';
    const a = tx.node.position(tS);
    const b = rx.node.position(tS);
    const ground = tx.node.kind === 'ground' ? tx.node : rx.node.kind === 'ground' ? rx.node : undefined;
    if (ground) {
      const sat = ground === tx.node ? b : a;
      if (!ground.sees?.(sat, tS)) return 'range';
    } else if (!lineOfSight(a, b)) return 'range';
    if (rssiDbm(distanceM(a, b), tx.txPowerDbm, this.cfg.budget) < this.cfg.budget.sensitivityDbm) return 'range';
    return undefined;
  }
}
