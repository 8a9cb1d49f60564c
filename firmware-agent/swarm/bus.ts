/**
 * The swarm message bus: QoS 0/1/2 over the ISL codec, paced by the bandwidth governor.
 *
 * - **QoS 0** — fire and forget (the only QoS a broadcast `"*"` may use).
 * - **QoS 1** — the receiver acknowledges; the sender retransmits with exponential backoff until
 *   acknowledged or its deadline passes. The receiver may see duplicates.
 * - **QoS 2** — as QoS 1, and the receiver remembers (sender, mid) so the application sees the
 *   message exactly once.
 *
 * Every QoS 1/2 send yields exactly one `DeliveryReport`: `delivered` on the first ack;
 * `deadline` when no ack came by the deadline (the message may still have arrived — an
 * unconfirmed send, not a proven loss); `refused` when it could not even be queued (critical
 * queue full, or `maxPending` sends already awaiting reports), the codec refused it at
 * transmission, or the bus was closed. A refusal at send time is reported on a zero-delay timer,
 * after `send` has returned the mid.
 *
 * **Acks** are a message kind of their own, `{ t: 'ack', mids: number[] }`, in the critical
 * class, sent QoS 0 through the same codec (authenticated and replay-checked like everything
 * else, so a forged ack cannot silence a retry). Acks to one peer waiting in the governor's
 * queue are coalesced: a later mid joins the queued ack (up to `maxAckMids`), which costs no
 * latency and saves a packet per mid under load. Likewise a QoS 0 empty `append` (a Raft
 * heartbeat) still queued is replaced by a newer one to the same destination (the governor's
 * `replaceKey`), so stale heartbeats never queue back to back behind a backlog.
 *
 * **Counters and mids.** The replay counter is drawn when a packet goes on the air (not when it
 * is queued), so counters reach each receiver in increasing order whatever the governor
 * reordered, and each retransmission gets a fresh one. A QoS 1/2 message id (`mid`, uint32 on
 * the air) is the low 32 bits of a value drawn from the same monotonic, persisted sequence when
 * the message is sent, so mids increase (in 32-bit serial-number arithmetic, RFC 1982) and never
 * repeat within any horizon that matters, even across a reboot (`reservingCounter` persists the
 * sequence in blocks); QoS 0 sends have mid 0.
 *
 * **Backoff.** Retransmission n waits RTO·2^(n−1) (capped at `maxRtoMs`) after the end of the
 * previous transmission's airtime, ±`jitter`; RTO per peer is estimated from acked first
 * transmissions (Jacobson/Karn: srtt + 4·rttvar, within [`minRtoMs`, `maxRtoMs`]), starting at
 * `initialRtoMs`. A message has at most one transmission queued at a time; no retransmission
 * starts at or after the deadline.
 *
 * **Dedupe horizon (QoS 2).** A sender starts no transmission after a send's deadline (at most
 * `maxDeadlineMs`), and a started one reaches us within `maxInFlightMs` (radio queue + airtime +
 * latency), so no copy of a message arrives later than `maxDeadlineMs + maxInFlightMs` after
 * it was sent. The receiver keeps each (sender, mid) that long after first receipt — longer
 * than any retry horizon — then forgets it and raises that sender's *floor* to it: since mids
 * increase with send time, any mid at or below the floor was sent before a message received
 * a whole horizon ago, so a copy arriving now can only be a late duplicate (suppressed). Memory
 * is bounded by `dedupeMaxPerSender` mids per sender (sized from the radio rate: 9600 bit/s
 * carries at most ~30 packets/s, ≈ 1000 per 33 s horizon; past the cap the oldest is forgotten
 * early and raises the floor: never a duplicate, at worst a straggler suppressed, counted) and
 * `dedupeMaxSenders` senders (least recently heard forgotten first, counted).
 */
import type { Clock, Timer } from '../../hal/index.js';
import { PRIORITIES, PRIORITY_OF, SWARM_MESSAGES, type Priority, type SwarmKind, type SwarmMessage } from './messages.js';
import { BROADCAST, type DeliveryReport, type Inbox, type NodeId, type Outbox, type Qos, type SendOptions } from './types.js';
import type { Governor, GovernorJob } from './governor.js';

/** The bus's own acknowledgement (proposed for messages.ts as kind `ack`, class critical). */
export interface AckMessage {
  t: 'ack';
  mids: number[];
}
export type BusMessage = SwarmMessage | AckMessage;
export type BusKind = SwarmKind | 'ack';
export const BUS_KINDS: readonly BusKind[] = [...(Object.keys(SWARM_MESSAGES) as SwarmKind[]), 'ack'];

export interface EncodeMeta {
  /** Replay counter of this transmission. */
  counter: number;
  qos: Qos;
  /** Message id (0 for QoS 0). */
  mid: number;
  /** Destination (proposed: bound into the MAC, so a unicast cannot be replayed to another node). */
  to: NodeId | typeof BROADCAST;
}

export type DecodeResult =
  | { ok: true; from: NodeId; msg: BusMessage; counter: number; qos: Qos; mid: number; to?: NodeId | typeof BROADCAST }
  | { ok: false; reason: string };

/** The ISL codec as the bus uses it (isl-codec.ts: envelope, HMAC, replay window). */
export interface BusCodec {
  /** Bytes for the air. Throws on a message that breaks its schema. */
  encode(msg: BusMessage, meta: EncodeMeta): Uint8Array;
  decode(bytes: Uint8Array): DecodeResult;
}

export type RadioResult = { ok: true } | { ok: false; code: string; msg?: string };

/** The ISL transmitter (the agent backs it with `HardwareClient.islTx`). */
export interface BusRadio {
  transmit(to: NodeId | typeof BROADCAST, bytes: Uint8Array): Promise<RadioResult>;
}

export type BusErrorCode = 'broadcast_qos' | 'bad_options' | 'oversize' | 'self' | 'closed';

/** A send the bus refuses outright (thrown by `send`, nothing queued, no report). */
export class BusError extends Error {
  readonly code: BusErrorCode;
  readonly detail: Record<string, unknown> | undefined;
  constructor(code: BusErrorCode, message: string, detail?: Record<string, unknown>) {
    super(message);
    this.name = 'BusError';
    this.code = code;
    this.detail = detail;
  }
}

export interface BusConfig {
  /** QoS 1/2 deadline when the send names none, ms. Default 10 000. */
  defaultDeadlineMs: number;
  /** Longest deadline a send may ask for, ms (bounds the dedupe horizon). Default 30 000. */
  maxDeadlineMs: number;
  /** Longest a started transmission takes to reach a receiver, ms (radio queue + air + latency). Default 3000. */
  maxInFlightMs: number;
  /** Retransmission timeout before a peer's round trip is measured, ms. Default 600. */
  initialRtoMs: number;
  minRtoMs: number;
  /** Cap of one backoff step, ms. Default 5000. */
  maxRtoMs: number;
  /** Backoff jitter, ± fraction. Default 0.2. */
  jitter: number;
  /** QoS 2 dedupe memory: mids kept per sender, senders kept. Defaults 1024, 64. */
  dedupeMaxPerSender: number;
  dedupeMaxSenders: number;
  /** Mids one ack carries at most. Default 16. */
  maxAckMids: number;
  /** QoS 1/2 sends awaiting their report at most; past it a send is reported `refused`. Default 1024. */
  maxPending: number;
}

export const DEFAULT_BUS_CONFIG: Readonly<BusConfig> = Object.freeze({
  defaultDeadlineMs: 10_000,
  maxDeadlineMs: 30_000,
  maxInFlightMs: 3_000,
  initialRtoMs: 600,
  minRtoMs: 200,
  maxRtoMs: 5_000,
  jitter: 0.2,
  dedupeMaxPerSender: 1024,
  dedupeMaxSenders: 64,
  maxAckMids: 16,
  maxPending: 1024,
});

export interface BusOptions {
  self: NodeId;
  clock: Clock;
  codec: BusCodec;
  radio: BusRadio;
  governor: Governor;
  inbox: Inbox;
  /** One call per QoS 1/2 send. */
  onReport?: (report: DeliveryReport) => void;
  /**
   * The sender's replay counter: strictly increasing, never reused (also across reboots: back
   * it with `reservingCounter`). Default: in memory from 1 (tests only).
   */
  nextCounter?: () => number;
  /** Randomness in [0, 1) for backoff jitter. Default: seeded from `self`. */
  random?: () => number;
  config?: Partial<BusConfig>;
}

type QosCounts = [number, number, number];

export interface BusMetrics {
  /** Sends accepted, by kind and QoS (acks counted as sent packets). */
  sent: Record<BusKind, QosCounts>;
  /** Authenticated messages received, by kind and QoS (duplicates included). */
  received: Record<BusKind, QosCounts>;
  /** Handed to the Inbox. */
  delivered: number;
  /** Transmissions after the first. */
  retries: number;
  /** Ack packets sent, and mids they carried. */
  acksSent: number;
  ackedMids: number;
  /** Acks that settled a send; acks for nothing pending (duplicate or late). */
  acksReceived: number;
  acksUnknown: number;
  /** QoS 2 copies not delivered again. */
  duplicatesSuppressed: number;
  reportsDelivered: number;
  reportsExpired: number;
  reportsRefused: number;
  /** Packets lost to us, by reason: the codec's (`mac`, `replay`, …) and the bus's. */
  drops: Record<string, number>;
  /** QoS 1/2 sends not yet reported. */
  pending: number;
  dedupe: DedupeStats;
  inboxErrors: number;
}

interface Pending {
  mid: number;
  to: NodeId;
  msg: SwarmMessage;
  qos: 1 | 2;
  priority: Priority;
  sentAt: number;
  deadlineAt: number;
  attempts: number;
  /** End of the first transmission's airtime (round-trip sample), if sent once only. */
  firstAirEnd: number;
  queued: boolean;
  settled: boolean;
  deadlineTimer: Timer | undefined;
  retryTimer: Timer | undefined;
}

interface AckBatch {
  mids: number[];
}

interface PeerRtt {
  srtt: number;
  rttvar: number;
}

/** Largest replay counter: the envelope carries 48 bits (ISL-FORMAT.md §2). */
export const COUNTER_LIMIT = 2 ** 48 - 1;
/** Mids are uint32 on the air; compared in serial-number arithmetic (RFC 1982). */
const MID_SPACE = 2 ** 32;
/** Counter and mid used to size a message before its real ones are drawn (the largest). */
const PROBE_COUNTER = 0xffff_ffff;
const PROBE_MID = MID_SPACE - 1;

export class MessageBus implements Outbox {
  readonly cfg: BusConfig;
  private readonly self: NodeId;
  private readonly clock: Clock;
  private readonly codec: BusCodec;
  private readonly radio: BusRadio;
  private readonly governor: Governor;
  private readonly inbox: Inbox;
  private readonly onReport: (r: DeliveryReport) => void;
  private readonly nextCounter: () => number;
  private readonly random: () => number;
  private readonly pending = new Map<number, Pending>();
  private readonly ackBatches = new Map<NodeId, AckBatch>();
  private readonly rtt = new Map<NodeId, PeerRtt>();
  private readonly dedupe: DedupeMemory;
  private readonly m: Omit<BusMetrics, 'pending' | 'dedupe'>;
  private closed = false;

  constructor(opts: BusOptions) {
    this.cfg = { ...DEFAULT_BUS_CONFIG, ...opts.config };
    const c = this.cfg;
    if (!(c.defaultDeadlineMs > 0 && c.defaultDeadlineMs <= c.maxDeadlineMs)) throw new RangeError('bus config: need 0 < defaultDeadlineMs ≤ maxDeadlineMs');
    if (!(c.minRtoMs > 0 && c.minRtoMs <= c.initialRtoMs && c.initialRtoMs <= c.maxRtoMs)) throw new RangeError('bus config: need 0 < minRtoMs ≤ initialRtoMs ≤ maxRtoMs');
    if (!(c.jitter >= 0 && c.jitter < 1)) throw new RangeError('bus config: jitter must be in [0, 1)');
    if (!(c.maxAckMids >= 1) || !(c.maxPending >= 1)) throw new RangeError('bus config: maxAckMids and maxPending must be ≥ 1');
    this.self = opts.self;
    this.clock = opts.clock;
    this.codec = opts.codec;
    this.radio = opts.radio;
    this.governor = opts.governor;
    this.inbox = opts.inbox;
    this.onReport = opts.onReport ?? (() => {});
    let counter = 0;
    this.nextCounter = opts.nextCounter ?? (() => ++counter);
    this.random = opts.random ?? seededRandom(opts.self);
    this.dedupe = new DedupeMemory(this.dedupeHorizonMs, c.dedupeMaxPerSender, c.dedupeMaxSenders);
    const byKind = (): Record<BusKind, QosCounts> => Object.fromEntries(BUS_KINDS.map((k) => [k, [0, 0, 0]])) as unknown as Record<BusKind, QosCounts>;
    this.m = {
      sent: byKind(), received: byKind(), delivered: 0, retries: 0, acksSent: 0, ackedMids: 0, acksReceived: 0, acksUnknown: 0,
      duplicatesSuppressed: 0, reportsDelivered: 0, reportsExpired: 0, reportsRefused: 0, drops: {}, inboxErrors: 0,
    };
  }

  /** How long a QoS 2 (sender, mid) is remembered, ms: longer than any sender retries. */
  get dedupeHorizonMs(): number {
    return this.cfg.maxDeadlineMs + this.cfg.maxInFlightMs;
  }

  send(to: NodeId | typeof BROADCAST, msg: SwarmMessage, opts: SendOptions): number {
    if (this.closed) throw new BusError('closed', 'the bus is closed');
    const qos = opts.qos;
    if (qos !== 0 && qos !== 1 && qos !== 2) throw new BusError('bad_options', `qos must be 0, 1 or 2, got ${String(qos)}`);
    if (to === BROADCAST && qos !== 0) throw new BusError('broadcast_qos', `a broadcast is QoS 0 only (asked QoS ${qos})`, { kind: msg.t, qos });
    if (to === this.self) throw new BusError('self', `cannot send to self (${to})`, { kind: msg.t });
    const priority = opts.priority ?? PRIORITY_OF[msg.t];
    if (!PRIORITIES.includes(priority)) throw new BusError('bad_options', `unknown priority ${String(priority)}`);
    let deadlineMs = 0;
    if (qos > 0) {
      deadlineMs = opts.deadlineMs ?? this.cfg.defaultDeadlineMs;
      if (!(deadlineMs > 0 && deadlineMs <= this.cfg.maxDeadlineMs)) {
        throw new BusError('bad_options', `deadlineMs must be in (0, ${this.cfg.maxDeadlineMs}], got ${deadlineMs}`, { deadlineMs });
      }
    }
    // Encoded once up front: a message that breaks its schema throws here, to the caller, and
    // the size (with the largest counter and mid) is checked against the class's packet cap.
    const probe = this.codec.encode(msg, { counter: PROBE_COUNTER, qos, mid: qos === 0 ? 0 : PROBE_MID, to });
    const cap = this.governor.maxPacketBytes(priority);
    if (probe.length > cap) throw new BusError('oversize', `${msg.t} encodes to ${probe.length} bytes, over the ${priority} class's ${cap}`, { kind: msg.t, bytes: probe.length, cap });
    this.m.sent[msg.t][qos]++;
    if (qos === 0) {
      this.sendQos0(to, msg, priority);
      return 0;
    }
    if (to === BROADCAST) throw new BusError('broadcast_qos', 'unreachable');
    const now = this.clock.now();
    const p: Pending = {
      mid: this.nextMid(), to, msg, qos, priority, sentAt: now, deadlineAt: now + deadlineMs, attempts: 0, firstAirEnd: NaN,
      queued: false, settled: false, deadlineTimer: undefined, retryTimer: undefined,
    };
    if (this.pending.size >= this.cfg.maxPending) {
      // Bounded memory: reported (after `send` returns the mid), never silently dropped.
      this.drop('pending_full');
      this.clock.setTimer(0, () => this.settle(p, { delivered: false, reason: 'refused' }));
      return p.mid;
    }
    this.pending.set(p.mid, p);
    p.deadlineTimer = this.clock.setTimerAt(p.deadlineAt, () => this.settle(p, { delivered: false, reason: 'deadline' }));
    this.queueAttempt(p);
    return p.mid;
  }

  /**
   * Bytes from the radio (`isl.rx`). `radioFrom` is the radio's unauthenticated sender; when
   * given it must match the authenticated one.
   */
  receive(bytes: Uint8Array, radioFrom?: NodeId): void {
    if (this.closed) return;
    let r: DecodeResult;
    try {
      r = this.codec.decode(bytes);
    } catch {
      r = { ok: false, reason: 'malformed' };
    }
    if (!r.ok) return this.drop(r.reason);
    if (radioFrom !== undefined && radioFrom !== r.from) return this.drop('from_mismatch');
    if (r.from === this.self) return this.drop('loopback');
    if (r.to !== undefined && r.to !== this.self && r.to !== BROADCAST) return this.drop('misdirected');
    const counts = this.m.received[r.msg.t];
    if (counts) counts[r.qos]++;
    if (r.msg.t === 'ack') return this.onAck(r.from, r.msg);
    if (r.qos >= 1) this.queueAck(r.from, r.mid);
    if (r.qos === 2 && !this.dedupe.firstTime(r.from, r.mid, this.clock.now())) {
      this.m.duplicatesSuppressed++;
      return;
    }
    this.m.delivered++;
    try {
      this.inbox(r.from, r.msg);
    } catch {
      this.m.inboxErrors++;
    }
  }

  metrics(): BusMetrics {
    const copy = (x: Record<BusKind, QosCounts>): Record<BusKind, QosCounts> =>
      Object.fromEntries(Object.entries(x).map(([k, v]) => [k, [...v]])) as unknown as Record<BusKind, QosCounts>;
    return { ...this.m, sent: copy(this.m.sent), received: copy(this.m.received), drops: { ...this.m.drops }, pending: this.pending.size, dedupe: this.dedupe.stats() };
  }

  /** Stop: every QoS 1/2 send not yet reported is reported `refused`; later sends throw. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of [...this.pending.values()]) this.settle(p, { delivered: false, reason: 'refused' });
  }

  // --- sending --------------------------------------------------------------------------

  /** A QoS 1/2 message id: the low 32 bits of a fresh counter value (never 0). */
  private nextMid(): number {
    for (;;) {
      const mid = this.nextCounter() % MID_SPACE;
      if (mid !== 0) return mid;
    }
  }

  private sendQos0(to: NodeId | typeof BROADCAST, msg: SwarmMessage, priority: Priority): void {
    const job: GovernorJob = {
      priority,
      run: () => this.transmit(to, msg, 0, 0),
      dropped: (why) => {
        if (why !== 'replaced') this.drop(why === 'evicted' ? 'evicted' : 'closed');
      },
      // An empty `append` (a heartbeat) still waiting for the air is superseded by a newer one
      // to the same destination: only the newest term / commit index matters.
      ...(msg.t === 'append' && msg.entries.length === 0 ? { replaceKey: `heartbeat:${to}` } : {}),
    };
    if (!this.governor.enqueue(job)) this.drop('queue_full');
  }

  /** Encode with a fresh counter and hand to the radio; the bytes' length, or 0 if the codec refused. */
  private transmit(to: NodeId | typeof BROADCAST, msg: BusMessage, qos: Qos, mid: number): number {
    let bytes: Uint8Array;
    try {
      bytes = this.codec.encode(msg, { counter: this.nextCounter(), qos, mid, to });
    } catch {
      this.drop('encode');
      return 0;
    }
    let sent: Promise<RadioResult>;
    try {
      sent = this.radio.transmit(to, bytes);
    } catch {
      this.drop('radio_error');
      return bytes.length; // charged all the same: the retry and the deadline cover it
    }
    sent.then(
      (res) => {
        if (res.ok) return;
        if (res.code === 'busy') {
          this.governor.radioBusy();
          this.drop('radio_busy');
        } else this.drop('radio_error');
      },
      () => this.drop('radio_error'),
    );
    return bytes.length;
  }

  private queueAttempt(p: Pending): void {
    if (p.settled || p.queued || this.closed) return;
    const job: GovernorJob = {
      priority: p.priority,
      run: (start) => {
        p.queued = false;
        if (p.settled) return 0;
        const n = this.transmit(p.to, p.msg, p.qos, p.mid);
        if (n === 0) {
          this.settle(p, { delivered: false, reason: 'refused' });
          return 0;
        }
        p.attempts++;
        if (p.attempts > 1) this.m.retries++;
        const airEnd = start + this.governor.airtimeMs(n);
        p.firstAirEnd = p.attempts === 1 ? airEnd : NaN;
        this.armRetry(p, airEnd);
        return n;
      },
      dropped: (why) => {
        p.queued = false;
        if (why === 'closed') return;
        this.drop('evicted');
        this.armRetry(p, this.clock.now());
      },
    };
    p.queued = true;
    if (this.governor.enqueue(job)) return;
    p.queued = false;
    this.drop('queue_full');
    // A critical send refused at once is reported now (its caller should know; on a zero-delay
    // timer, so `send` has returned the mid first); any other refusal is treated like a lost
    // packet: the backoff tries again, the deadline reports.
    if (p.attempts === 0 && p.priority === 'critical') this.clock.setTimer(0, () => this.settle(p, { delivered: false, reason: 'refused' }));
    else this.armRetry(p, this.clock.now());
  }

  private armRetry(p: Pending, from: number): void {
    p.retryTimer?.cancel();
    p.retryTimer = undefined;
    if (p.settled) return;
    const base = this.rtoFor(p.to) * 2 ** Math.max(0, p.attempts - 1);
    const step = Math.min(this.cfg.maxRtoMs, base) * (1 + this.cfg.jitter * (2 * this.random() - 1));
    const at = from + step;
    if (at >= p.deadlineAt) return; // no transmission starts after the deadline; it reports
    p.retryTimer = this.clock.setTimerAt(at, () => {
      p.retryTimer = undefined;
      this.queueAttempt(p);
    });
  }

  private rtoFor(peer: NodeId): number {
    const r = this.rtt.get(peer);
    if (!r) return this.cfg.initialRtoMs;
    return Math.min(this.cfg.maxRtoMs, Math.max(this.cfg.minRtoMs, r.srtt + 4 * r.rttvar));
  }

  private sampleRtt(peer: NodeId, ms: number): void {
    const r = this.rtt.get(peer);
    if (!r) {
      this.rtt.set(peer, { srtt: ms, rttvar: ms / 2 });
      return;
    }
    r.rttvar = 0.75 * r.rttvar + 0.25 * Math.abs(r.srtt - ms);
    r.srtt = 0.875 * r.srtt + 0.125 * ms;
  }

  private settle(p: Pending, outcome: { delivered: true } | { delivered: false; reason: 'deadline' | 'refused' }): void {
    if (p.settled) return;
    p.settled = true;
    p.deadlineTimer?.cancel();
    p.retryTimer?.cancel();
    this.pending.delete(p.mid);
    let report: DeliveryReport;
    if (outcome.delivered) {
      this.m.reportsDelivered++;
      report = { mid: p.mid, to: p.to, delivered: true, attempts: p.attempts, latencyMs: this.clock.now() - p.sentAt };
    } else {
      if (outcome.reason === 'deadline') this.m.reportsExpired++;
      else this.m.reportsRefused++;
      report = { mid: p.mid, to: p.to, delivered: false, attempts: p.attempts, reason: outcome.reason };
    }
    try {
      this.onReport(report);
    } catch {
      // a throwing listener must not break the bus
    }
  }

  // --- acks -----------------------------------------------------------------------------

  private onAck(from: NodeId, ack: AckMessage): void {
    if (!Array.isArray(ack.mids)) return this.drop('malformed');
    const now = this.clock.now();
    for (const mid of ack.mids) {
      const p = this.pending.get(mid);
      if (!p || p.to !== from) {
        this.m.acksUnknown++;
        continue;
      }
      this.m.acksReceived++;
      // Karn: only a send transmitted once gives an unambiguous round trip.
      if (p.attempts === 1 && Number.isFinite(p.firstAirEnd)) this.sampleRtt(from, Math.max(0, now - p.firstAirEnd));
      this.settle(p, { delivered: true });
    }
  }

  private queueAck(to: NodeId, mid: number): void {
    const queued = this.ackBatches.get(to);
    if (queued && queued.mids.length < this.cfg.maxAckMids) {
      if (!queued.mids.includes(mid)) queued.mids.push(mid);
      return;
    }
    const batch: AckBatch = { mids: [mid] };
    this.ackBatches.set(to, batch);
    const forget = (): void => {
      if (this.ackBatches.get(to) === batch) this.ackBatches.delete(to);
    };
    const job: GovernorJob = {
      priority: 'critical',
      run: () => {
        forget();
        const n = this.transmit(to, { t: 'ack', mids: batch.mids }, 0, 0);
        if (n > 0) {
          this.m.sent.ack[0]++;
          this.m.acksSent++;
          this.m.ackedMids += batch.mids.length;
        }
        return n;
      },
      dropped: (why) => {
        forget();
        if (why === 'evicted') this.drop('evicted');
      },
    };
    if (!this.governor.enqueue(job)) {
      forget();
      this.drop('queue_full');
    }
  }

  private drop(reason: string): void {
    this.m.drops[reason] = (this.m.drops[reason] ?? 0) + 1;
  }
}

// --- QoS 2 dedupe memory ------------------------------------------------------------------

export interface DedupeStats {
  /** (sender, mid) pairs held now. */
  entries: number;
  senders: number;
  /** Forgotten before the horizon because a sender passed `maxPerSender` (raises its floor). */
  evictedEarly: number;
  /** Senders forgotten because more than `maxSenders` were heard. */
  sendersEvicted: number;
  /** Copies suppressed for being at or below the sender's floor (not individually remembered). */
  belowFloor: number;
}

interface SenderMemory {
  /** mid → first received at, ms; insertion order is receive order. */
  seen: Map<number, number>;
  /** Every mid at or before the floor (serial order) counts as seen; undefined: none yet. */
  floor: number | undefined;
}

/** a ≤ b for uint32 mids in serial-number arithmetic (RFC 1982): valid while live mids span < 2^31. */
export function midAtOrBefore(a: number, b: number): boolean {
  return a === b || (b - a + MID_SPACE) % MID_SPACE < MID_SPACE / 2;
}

/**
 * Which (sender, mid) pairs have been delivered, bounded in time (`horizonMs`) and space
 * (`maxPerSender` × `maxSenders`). See the bus's file comment for why forgetting is safe.
 */
export class DedupeMemory {
  private readonly senders = new Map<NodeId, SenderMemory>();
  private evictedEarly = 0;
  private sendersEvicted = 0;
  private belowFloor = 0;

  constructor(
    readonly horizonMs: number,
    readonly maxPerSender: number,
    readonly maxSenders: number,
  ) {
    if (!(horizonMs > 0) || !(maxPerSender >= 1) || !(maxSenders >= 1)) throw new RangeError('dedupe memory: horizon, maxPerSender and maxSenders must be positive');
  }

  /** True the first time (from, mid) is seen; false for a copy (remembered, or at/below the floor). */
  firstTime(from: NodeId, mid: number, now: number): boolean {
    let s = this.senders.get(from);
    if (s) {
      this.senders.delete(from); // re-inserted below: the map's order is least recently heard first
    } else {
      if (this.senders.size >= this.maxSenders) {
        const oldest = this.senders.keys().next().value as NodeId;
        this.senders.delete(oldest);
        this.sendersEvicted++;
      }
      s = { seen: new Map(), floor: undefined };
    }
    this.senders.set(from, s);
    this.expire(s, now);
    if (s.floor !== undefined && midAtOrBefore(mid, s.floor)) {
      this.belowFloor++;
      return false;
    }
    if (s.seen.has(mid)) return false;
    s.seen.set(mid, now);
    if (s.seen.size > this.maxPerSender) {
      const [oldMid] = s.seen.keys();
      s.seen.delete(oldMid!);
      this.raiseFloor(s, oldMid!);
      this.evictedEarly++;
    }
    return true;
  }

  /** Forget what is older than the horizon everywhere (also done lazily per sender). */
  sweep(now: number): void {
    for (const s of this.senders.values()) this.expire(s, now);
  }

  size(): number {
    let n = 0;
    for (const s of this.senders.values()) n += s.seen.size;
    return n;
  }

  stats(): DedupeStats {
    return { entries: this.size(), senders: this.senders.size, evictedEarly: this.evictedEarly, sendersEvicted: this.sendersEvicted, belowFloor: this.belowFloor };
  }

  private expire(s: SenderMemory, now: number): void {
    for (const [mid, at] of s.seen) {
      if (now - at < this.horizonMs) break;
      s.seen.delete(mid);
      this.raiseFloor(s, mid);
    }
  }

  private raiseFloor(s: SenderMemory, mid: number): void {
    if (s.floor === undefined || midAtOrBefore(s.floor, mid)) s.floor = mid;
  }
}

// --- helpers ------------------------------------------------------------------------------

/**
 * A replay counter persisted in blocks (ISL-FORMAT.md §4.4): before handing out a value past the
 * reservation, reserve up to it + block − 1 (`reserve(upTo)`, i.e. `SwarmStore.reserveCounter`,
 * must be durable — fsync'd — before it returns; if it throws, no counter is handed out), so a
 * reboot resumes past anything that may have been sent. `reservedTo` is the stored reservation
 * (`load().counterReservedTo`).
 */
export function reservingCounter(reservedTo: number, reserve: (upTo: number) => void, block = 1024): () => number {
  if (!(Number.isInteger(block) && block >= 1)) throw new RangeError('block must be an integer ≥ 1');
  let reserved = reservedTo;
  let next = reservedTo + 1;
  return () => {
    if (next > COUNTER_LIMIT) throw new RangeError('replay counter exhausted (48 bits): the constellation key must be rotated');
    if (next > reserved) {
      const upTo = Math.min(COUNTER_LIMIT, next + block - 1);
      reserve(upTo);
      reserved = upTo;
    }
    return next++;
  };
}

/** mulberry32 seeded from a string (FNV-1a): deterministic jitter per node. */
export function seededRandom(seed: string): () => number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
