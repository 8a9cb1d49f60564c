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
 * Retransmission and delivery reports of QoS 1/2 sends: `Retransmitter` (retransmit.ts). The
 * QoS 2 receiver's memory of what it delivered: `DedupeMemory` (dedupe.ts).
 */
import type { Clock } from '../../hal/index.js';
import {
  BusError, BUS_KINDS, DEFAULT_BUS_CONFIG,
  type AckMessage, type BusCodec, type BusConfig, type BusKind, type BusMessage, type BusMetrics, type BusOptions, type BusRadio, type DecodeResult, type QosCounts, type RadioResult,
} from './bus-types.js';
import { DedupeMemory, MID_SPACE } from './dedupe.js';
import type { Governor } from './governor.js';
import type { GovernorJob } from './governor-config.js';
import { PRIORITIES, PRIORITY_OF, type Priority, type SwarmMessage } from './messages.js';
import { Retransmitter } from './retransmit.js';
import { seededRandom } from './seeded-random.js';
import { BROADCAST, type DeliveryReport, type Inbox, type NodeId, type Outbox, type Qos, type SendOptions } from './types.js';

interface AckBatch {
  mids: number[];
}

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
  private readonly ackBatches = new Map<NodeId, AckBatch>();
  private readonly retx: Retransmitter;
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
    this.retx = new Retransmitter({
      clock: this.clock, governor: this.governor, cfg: this.cfg, m: this.m,
      random: () => this.random(),
      transmit: (to, msg, qos, mid) => this.transmit(to, msg, qos, mid),
      drop: (reason) => this.drop(reason),
      onReport: (r) => this.onReport(r),
      closed: () => this.closed,
    });
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
    return this.retx.start(to, msg, qos, priority, deadlineMs, this.nextMid());
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
    return { ...this.m, sent: copy(this.m.sent), received: copy(this.m.received), drops: { ...this.m.drops }, pending: this.retx.size, dedupe: this.dedupe.stats() };
  }

  /** Stop: every QoS 1/2 send not yet reported is reported `refused`; later sends throw. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.retx.refuseAll();
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

  // --- acks -----------------------------------------------------------------------------

  private onAck(from: NodeId, ack: AckMessage): void {
    if (!Array.isArray(ack.mids)) return this.drop('malformed');
    this.retx.onAck(from, ack.mids);
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
