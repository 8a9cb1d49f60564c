/**
 * Test rig of the bus and governor: a fake codec (plain CBOR envelope + a fake 16-byte tag, so
 * sizes are close to the real ISL codec's; it checks counters strictly increase per sender, the
 * way the replay window would), and a fake ISL air modelled on emulator/radio/network.ts (one
 * packet at a time per transmitter at its bit rate + overhead, a bounded queue that answers
 * `busy`, delivery after [min, max] ms, in order per pair) with pluggable loss.
 */
import { Decoder, Encoder } from 'cbor-x';
import { VirtualClock } from '../../../../hal/index.js';
import { createRng, type Rng } from '../../../../emulator/world/rng.js';
import { MessageBus } from '../../../../firmware-agent/swarm/bus.js';
import type { BusCodec, BusConfig, BusMessage, DecodeResult, EncodeMeta, RadioResult } from '../../../../firmware-agent/swarm/bus-types.js';
import { Governor } from '../../../../firmware-agent/swarm/governor.js';
import { DEFAULT_GOVERNOR_CONFIG, type GovernorConfigInput } from '../../../../firmware-agent/swarm/governor-config.js';
import type { DeliveryReport, NodeId } from '../../../../firmware-agent/swarm/types.js';
import type { SwarmMessage, SwarmMessageOf } from '../../../../firmware-agent/swarm/messages.js';

type CborOptions = ConstructorParameters<typeof Encoder>[0] & Record<string, unknown>;
const enc = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true } as CborOptions);
const dec = new Decoder({ useRecords: false, mapsAsObjects: true } as CborOptions);

export const TAG_BYTES = 16;
const TAG = 0x5a;

export interface FakeCodec extends BusCodec {
  /** Counters seen per sender, in receive order. */
  readonly counters: Map<string, number[]>;
}

/** The ISL codec stand-in for node `self`. */
export function fakeCodec(self: NodeId, opts: { strictCounters?: boolean } = {}): FakeCodec {
  const last = new Map<string, number>();
  const counters = new Map<string, number[]>();
  return {
    counters,
    encode(msg: BusMessage, meta: EncodeMeta): Uint8Array {
      if (typeof msg !== 'object' || msg === null || typeof msg.t !== 'string') throw new TypeError('not a message');
      // `health` goes compact (values only), standing in for health-codec.ts's ≤ 64-byte form.
      const payload = msg.t === 'health' ? ['h', msg.term, msg.role, msg.leader, msg.health, msg.mode, msg.soc, msg.tmaxC, msg.digest] : msg;
      const body = enc.encode([1, self, meta.to, meta.counter, meta.qos, meta.mid, payload]) as Uint8Array;
      const out = new Uint8Array(body.length + TAG_BYTES);
      out.set(body, 0);
      out.fill(TAG, body.length);
      return out;
    },
    decode(bytes: Uint8Array): DecodeResult {
      if (bytes.length <= TAG_BYTES) return { ok: false, reason: 'malformed' };
      for (let i = bytes.length - TAG_BYTES; i < bytes.length; i++) if (bytes[i] !== TAG) return { ok: false, reason: 'mac' };
      let v: unknown;
      try {
        v = dec.decode(bytes.subarray(0, bytes.length - TAG_BYTES));
      } catch {
        return { ok: false, reason: 'malformed' };
      }
      if (!Array.isArray(v) || v.length !== 7 || v[0] !== 1) return { ok: false, reason: 'malformed' };
      const [, from, to, counter, qos, mid, payload] = v as [number, string, string, number, 0 | 1 | 2, number, BusMessage | unknown[]];
      let msg: BusMessage;
      if (Array.isArray(payload)) {
        const [, term, role, leader, h, mode, soc, tmaxC, digest] = payload as [string, number, 'follower', string, number, string, number, number, number];
        msg = { t: 'health', term, role, leader, health: h, mode, soc, tmaxC, digest };
      } else msg = payload;
      if (opts.strictCounters !== false) {
        const l = last.get(from) ?? 0;
        if (counter <= l) return { ok: false, reason: 'replay' };
        last.set(from, counter);
      }
      const list = counters.get(from) ?? [];
      list.push(counter);
      counters.set(from, list);
      return { ok: true, from, to, counter, qos, mid, msg };
    },
  };
}

export interface AirPacket {
  from: string;
  to: string;
  bytes: number;
  handedAt: number;
  start: number;
  end: number;
  /** Queue backlog of the transmitter when handed, bytes (before this packet). */
  backlog: number;
}

export interface AirConfig {
  bitRate: number;
  overheadBytes: number;
  queueBytes: number;
  latencyMinMs: number;
  latencyMaxMs: number;
}

export const AIR_DEFAULTS: AirConfig = { bitRate: 9600, overheadBytes: 8, queueBytes: 2048, latencyMinMs: 50, latencyMaxMs: 100 };

/** Whether a packet is lost: (from, to, index of the packet on that directed pair). */
export type LossFn = (from: string, to: string, index: number) => boolean;

/**
 * The ISL air between in-process nodes. Latency of the k-th packet on a pair is drawn from a
 * stream seeded by (seed, pair, k) — so a run with extra traffic on other pairs draws the same
 * latencies for the same packets ("same seed" comparisons are exact).
 */
export class FakeAir {
  readonly cfg: AirConfig;
  readonly log: AirPacket[] = [];
  busy = 0;
  /** Called for every packet accepted by a transmitter. */
  tap: ((p: AirPacket, data: Uint8Array) => void) | undefined;
  private readonly rx = new Map<string, (from: string, data: Uint8Array) => void>();
  private readonly txFreeAt = new Map<string, number>();
  private readonly queued = new Map<string, number>();
  private readonly pairIndex = new Map<string, number>();
  private readonly lastDelivery = new Map<string, number>();

  constructor(
    readonly clock: VirtualClock,
    readonly seed: number,
    public loss: LossFn = () => false,
    cfg: Partial<AirConfig> = {},
  ) {
    this.cfg = { ...AIR_DEFAULTS, ...cfg };
  }

  attach(id: string, deliver: (from: string, data: Uint8Array) => void): void {
    this.rx.set(id, deliver);
  }

  airtimeMs(n: number): number {
    return ((n + this.cfg.overheadBytes) * 8 * 1000) / this.cfg.bitRate;
  }

  transmit(from: string, to: string, data: Uint8Array): RadioResult {
    const q = this.queued.get(from) ?? 0;
    if (q + data.length > this.cfg.queueBytes) {
      this.busy++;
      return { ok: false, code: 'busy', msg: 'radio queue full' };
    }
    const now = this.clock.now();
    const start = Math.max(now, this.txFreeAt.get(from) ?? 0);
    const end = start + this.airtimeMs(data.length);
    this.txFreeAt.set(from, end);
    this.queued.set(from, q + data.length);
    const packet: AirPacket = { from, to, bytes: data.length, handedAt: now, start, end, backlog: q };
    this.log.push(packet);
    const copy = Uint8Array.from(data);
    this.tap?.(packet, copy);
    this.clock.setTimerAt(end, () => {
      this.queued.set(from, (this.queued.get(from) ?? 0) - copy.length);
      const targets = to === '*' ? [...this.rx.keys()].filter((id) => id !== from) : [to];
      for (const t of targets) {
        const key = `${from}>${t}`;
        const k = this.pairIndex.get(key) ?? 0;
        this.pairIndex.set(key, k + 1);
        if (this.loss(from, t, k)) continue;
        const r = createRng(hash(`${this.seed}:${key}:${k}`));
        const lat = this.cfg.latencyMinMs + r.next() * (this.cfg.latencyMaxMs - this.cfg.latencyMinMs);
        const at = Math.max(end + lat, this.lastDelivery.get(key) ?? 0);
        this.lastDelivery.set(key, at);
        const deliver = this.rx.get(t);
        if (deliver) this.clock.setTimerAt(at, () => deliver(from, copy));
      }
    });
    return { ok: true };
  }

  /** Airtime of `from`'s packets overlapping [t0, t1), ms. */
  airtimeIn(from: string, t0: number, t1: number): number {
    let s = 0;
    for (const p of this.log) if (p.from === from) s += Math.max(0, Math.min(p.end, t1) - Math.max(p.start, t0));
    return s;
  }

  /** The largest airtime of `from` in any window of `windowMs` (windows start at packet starts: the max is there). */
  maxAirtimeInWindow(from: string, windowMs: number): number {
    let best = 0;
    for (const p of this.log) if (p.from === from) best = Math.max(best, this.airtimeIn(from, p.start, p.start + windowMs));
    return best;
  }
}

export function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Seeded Bernoulli loss per packet on every pair. */
export function seededLoss(seed: number, p: number): LossFn {
  return (from, to, k) => createRng(hash(`loss:${seed}:${from}>${to}:${k}`)).next() < p;
}

export interface Delivery {
  to: string;
  from: string;
  msg: SwarmMessage;
  at: number;
}

export interface TestNode {
  id: string;
  bus: MessageBus;
  governor: Governor;
  codec: FakeCodec;
  reports: DeliveryReport[];
  inbox: Delivery[];
}

/** A node: governor + bus on the fake air. */
export function addNode(
  air: FakeAir,
  id: string,
  opts: { governor?: GovernorConfigInput; bus?: Partial<BusConfig>; deliveries?: Delivery[]; strictCounters?: boolean } = {},
): TestNode {
  const governor = new Governor(air.clock, opts.governor);
  const codec = fakeCodec(id, { strictCounters: opts.strictCounters ?? true });
  const reports: DeliveryReport[] = [];
  const inbox = opts.deliveries ?? [];
  const bus = new MessageBus({
    self: id,
    clock: air.clock,
    codec,
    radio: { transmit: (to, bytes) => Promise.resolve(air.transmit(id, to, bytes)) },
    governor,
    inbox: (from, msg) => inbox.push({ to: id, from, msg, at: air.clock.now() }),
    onReport: (r) => reports.push(r),
    config: opts.bus,
  });
  air.attach(id, (from, data) => bus.receive(data, from));
  return { id, bus, governor, codec, reports, inbox };
}

export const ballot = (pid: string, approve = true): SwarmMessageOf<'ballot'> => ({ t: 'ballot', term: 3, pid, approve, reason: '' });
export const report = (cid: string): SwarmMessageOf<'report'> => ({ t: 'report', cid, outcome: 'completed', reason: '' });
export const heartbeat = (term = 3): SwarmMessageOf<'append'> => ({ t: 'append', term, prevIndex: 41, prevTerm: 3, entries: [], commit: 41 });
export const bulk = (n: number, fill = 7): SwarmMessageOf<'bulk'> => ({ t: 'bulk', data: new Uint8Array(n).fill(fill) });

/** The most data bytes a `bulk` may carry on this rig (fake codec, unicast, QoS 0) within the
 *  governor's default bulk packet cap: the largest bulk packet the bus accepts. */
export function bulkDataMax(cap: number = DEFAULT_GOVERNOR_CONFIG.maxPacketBytes.bulk): number {
  const codec = fakeCodec('SAT-1');
  let n = 0;
  while (codec.encode(bulk(n + 1), { counter: 2 ** 40, qos: 0, mid: 0, to: 'SAT-2' }).length <= cap) n++;
  if (n === 0) throw new Error(`no bulk packet fits ${cap} bytes`);
  return n;
}
export const health = (): SwarmMessageOf<'health'> => ({ t: 'health', term: 3, role: 'follower', leader: 'SAT-1', health: 0.93, mode: 'nominal', soc: 0.81, tmaxC: 31.5, digest: 0xdeadbeef });

export function percentile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

export type { Rng };
