import type { Clock, Timer } from '../../hal/index.js';
import type { BusConfig, BusMetrics } from './bus-types.js';
import type { Governor } from './governor.js';
import type { GovernorJob } from './governor-config.js';
import type { Priority, SwarmMessage } from './messages.js';
import type { DeliveryReport, NodeId, Qos } from './types.js';

/**
 * QoS 1/2 sends of the message bus (bus.ts) until they are reported: each is queued on the
 * governor, retransmitted until acknowledged or its deadline, and reported exactly once
 * (`delivered`, `deadline` or `refused`).
 *
 * **Backoff.** Retransmission n waits RTO·2^(n−1) (capped at `maxRtoMs`) after the end of the
 * previous transmission's airtime, ±`jitter`; RTO per peer is estimated from acked first
 * transmissions (Jacobson/Karn: srtt + 4·rttvar, within [`minRtoMs`, `maxRtoMs`]), starting at
 * `initialRtoMs`. A message has at most one transmission queued at a time; no retransmission
 * starts at or after the deadline.
 *
 * Karn's rule: only a send transmitted once gives an unambiguous round-trip sample.
 */

/** What the retransmitter needs of its bus. */
export interface RetransmitHost {
  readonly clock: Clock;
  readonly governor: Governor;
  readonly cfg: Readonly<BusConfig>;
  random(): number;
  /** Encode with a fresh counter and hand to the radio; the bytes' length, or 0 if the codec refused. */
  transmit(to: NodeId, msg: SwarmMessage, qos: Qos, mid: number): number;
  drop(reason: string): void;
  onReport(report: DeliveryReport): void;
  closed(): boolean;
  /** The bus's counters this part keeps. */
  readonly m: Pick<BusMetrics, 'retries' | 'reportsDelivered' | 'reportsExpired' | 'reportsRefused' | 'acksReceived' | 'acksUnknown'>;
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

interface PeerRtt {
  srtt: number;
  rttvar: number;
}

export class Retransmitter {
  private readonly pending = new Map<number, Pending>();
  private readonly rtt = new Map<NodeId, PeerRtt>();

  constructor(private readonly h: RetransmitHost) {}

  /** QoS 1/2 sends not yet reported. */
  get size(): number {
    return this.pending.size;
  }

  /** A new QoS 1/2 send under `mid`: queued now, reported once. Returns `mid`. */
  start(to: NodeId, msg: SwarmMessage, qos: 1 | 2, priority: Priority, deadlineMs: number, mid: number): number {
    const now = this.h.clock.now();
    const p: Pending = {
      mid, to, msg, qos, priority, sentAt: now, deadlineAt: now + deadlineMs, attempts: 0, firstAirEnd: NaN,
      queued: false, settled: false, deadlineTimer: undefined, retryTimer: undefined,
    };
    if (this.pending.size >= this.h.cfg.maxPending) {
      // Bounded memory: reported (after `send` returns the mid), never silently dropped.
      this.h.drop('pending_full');
      this.h.clock.setTimer(0, () => this.settle(p, { delivered: false, reason: 'refused' }));
      return p.mid;
    }
    this.pending.set(p.mid, p);
    p.deadlineTimer = this.h.clock.setTimerAt(p.deadlineAt, () => this.settle(p, { delivered: false, reason: 'deadline' }));
    this.queueAttempt(p);
    return p.mid;
  }

  /** An ack from `from` for these mids: each pending send to `from` among them is delivered. */
  onAck(from: NodeId, mids: readonly number[]): void {
    const now = this.h.clock.now();
    for (const mid of mids) {
      const p = this.pending.get(mid);
      if (!p || p.to !== from) {
        this.h.m.acksUnknown++;
        continue;
      }
      this.h.m.acksReceived++;
      // Karn: only a send transmitted once gives an unambiguous round trip.
      if (p.attempts === 1 && Number.isFinite(p.firstAirEnd)) this.sampleRtt(from, Math.max(0, now - p.firstAirEnd));
      this.settle(p, { delivered: true });
    }
  }

  /** The bus closes: every send not yet reported is reported `refused`. */
  refuseAll(): void {
    for (const p of [...this.pending.values()]) this.settle(p, { delivered: false, reason: 'refused' });
  }

  private queueAttempt(p: Pending): void {
    if (p.settled || p.queued || this.h.closed()) return;
    const job: GovernorJob = {
      priority: p.priority,
      run: (start) => {
        p.queued = false;
        if (p.settled) return 0;
        const n = this.h.transmit(p.to, p.msg, p.qos, p.mid);
        if (n === 0) {
          this.settle(p, { delivered: false, reason: 'refused' });
          return 0;
        }
        p.attempts++;
        if (p.attempts > 1) this.h.m.retries++;
        const airEnd = start + this.h.governor.airtimeMs(n);
        p.firstAirEnd = p.attempts === 1 ? airEnd : NaN;
        this.armRetry(p, airEnd);
        return n;
      },
      dropped: (why) => {
        p.queued = false;
        if (why === 'closed') return;
        this.h.drop('evicted');
        this.armRetry(p, this.h.clock.now());
      },
    };
    p.queued = true;
    if (this.h.governor.enqueue(job)) return;
    p.queued = false;
    this.h.drop('queue_full');
    // A critical send refused at once is reported now (its caller should know; on a zero-delay
    // timer, so `send` has returned the mid first); any other refusal is treated like a lost
    // packet: the backoff tries again, the deadline reports.
    if (p.attempts === 0 && p.priority === 'critical') this.h.clock.setTimer(0, () => this.settle(p, { delivered: false, reason: 'refused' }));
    else this.armRetry(p, this.h.clock.now());
  }

  private armRetry(p: Pending, from: number): void {
    p.retryTimer?.cancel();
    p.retryTimer = undefined;
    if (p.settled) return;
    const base = this.rtoFor(p.to) * 2 ** Math.max(0, p.attempts - 1);
    const step = Math.min(this.h.cfg.maxRtoMs, base) * (1 + this.h.cfg.jitter * (2 * this.h.random() - 1));
    const at = from + step;
    if (at >= p.deadlineAt) return; // no transmission starts after the deadline; it reports
    p.retryTimer = this.h.clock.setTimerAt(at, () => {
      p.retryTimer = undefined;
      this.queueAttempt(p);
    });
  }

  private rtoFor(peer: NodeId): number {
    const r = this.rtt.get(peer);
    if (!r) return this.h.cfg.initialRtoMs;
    return Math.min(this.h.cfg.maxRtoMs, Math.max(this.h.cfg.minRtoMs, r.srtt + 4 * r.rttvar));
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
      this.h.m.reportsDelivered++;
      report = { mid: p.mid, to: p.to, delivered: true, attempts: p.attempts, latencyMs: this.h.clock.now() - p.sentAt };
    } else {
      if (outcome.reason === 'deadline') this.h.m.reportsExpired++;
      else this.h.m.reportsRefused++;
      report = { mid: p.mid, to: p.to, delivered: false, attempts: p.attempts, reason: outcome.reason };
    }
    try {
      this.h.onReport(report);
    } catch {
      // a throwing listener must not break the bus
    }
  }
}
