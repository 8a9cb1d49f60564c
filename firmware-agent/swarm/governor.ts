/**
 * Bandwidth governor of the ISL: shares the radio's airtime among the four priority classes
 * (`critical`, `report`, `health`, `bulk`, highest first) and never puts more on the air than
 * the radio can carry.
 *
 * Airtime is counted the way the radio counts it: a packet of `n` bytes occupies the air for
 * `(n + overheadBytes) · 8 / bitRate` seconds (emulator/radio/network.ts: 9600 bit/s and 8 bytes
 * of framing by default).
 *
 * Policies (each a default of `GovernorConfig`, documented in its field):
 *
 * - **One packet at a time.** The governor keeps its own model of the transmitter (`txFreeAt`)
 *   and hands the radio the next packet only when the previous one's airtime is over. The radio's
 *   FIFO therefore stays (nearly) empty and every queue that matters is here, ordered by class:
 *   a critical message waits for at most the rest of the one packet already on the air, never
 *   for a radio queue full of bulk. Consequences: airtime handed to the radio never overlaps, so
 *   over any window it is ≤ the window × `maxUtilisation`; the radio never answers `busy` unless
 *   something else shares it.
 * - **Floors by token bucket.** Each class earns airtime tokens at `floors[class]` of real time
 *   (default critical 40 %, report 20 %, health 20 %, bulk 5 %; they sum to 85 %, the other 15 %
 *   and any floor left unused are borrowable), up to `floors[class] · burstMs` (default 1 s of
 *   its share). When the transmitter frees, the highest class that has work *and* positive tokens
 *   goes (and is charged its airtime: a deficit bucket, a packet may take it below zero); if no
 *   class with work has tokens, the highest class with work borrows the slot (not charged). So
 *   with every class saturated each still gets at least its floor (no starvation), critical gets
 *   its floor plus everything unclaimed, and a lightly loaded critical class always goes first.
 * - **Head-of-line bound.** Since a packet on the air cannot be pre-empted, the airtime of one
 *   lower-class packet is what bulk load adds to a critical message's latency. `maxPacketBytes`
 *   caps each class's packet (default bulk 56 bytes ≈ 53 ms on the air at 9600 bit/s, about
 *   1.5 critical frames: a heartbeat is 33 bytes, a vote 30); the bus refuses larger sends (the
 *   application splits bulk data). The price is bulk efficiency: 26 bytes of data per 64 on the
 *   air (96-byte packets carried 66 per 104, but held a critical frame up to 87 ms).
 * - **Bounded queues.** Depth per class (default critical 128, report 64, health 8, bulk 32
 *   packets). When full: `critical` and `report` refuse the newcomer (`enqueue` returns false —
 *   the bus reports or retries it, nothing queued is ever thrown away); `health` and `bulk` drop
 *   their oldest (a newer health broadcast or telemetry chunk supersedes an old one), counted.
 *   A job with a `replaceKey` replaces a queued job of its class with the same key in place
 *   (coalescing, e.g. a newer empty heartbeat; counted as `replaced`, not a drop).
 * - **Health interval.** `healthIntervalMs()` doubles (up to `health.maxMs`, default 8 s) while
 *   the link is congested — a health packet has been queued for `health.queuedMs` (250 ms) or
 *   more, one was dropped, or utilisation over the last `windowMs` exceeds
 *   `health.congestedUtilisation` (80 %) — and halves back towards `health.baseMs` (1 s) once
 *   it is not; at most one step per current interval.
 */
import type { Clock, Timer } from '../../hal/index.js';
import {
  DROP_POLICY, perClass, resolveGovernorConfig,
  type ClassMetrics, type GovernorConfig, type GovernorConfigInput, type GovernorJob, type GovernorMetrics, type PerClass,
} from './governor-config.js';
import { PRIORITIES, type Priority } from './messages.js';

interface Queued {
  job: GovernorJob;
  at: number;
}

interface Sent {
  start: number;
  end: number;
  cls: Priority;
}

export class Governor {
  readonly cfg: GovernorConfig;
  private readonly queues: PerClass<Queued[]> = perClass(() => []);
  private readonly tokens: PerClass<number>;
  private readonly stats: PerClass<Omit<ClassMetrics, 'queued' | 'utilisation' | 'utilisationTotal' | 'tokensMs'>> = perClass(() => ({
    maxQueued: 0, sent: 0, bytes: 0, airtimeMs: 0, borrowed: 0, replaced: 0, drops: { evicted: 0, refused: 0 },
  }));
  /** Packets on the air within the utilisation window (oldest first). */
  private readonly recent: Sent[] = [];
  private readonly startedAt: number;
  private lastRefill: number;
  /** End of the last packet's slot on the governor's model of the transmitter. */
  private txFreeAt = -Infinity;
  private pausedUntil = -Infinity;
  private timer: Timer | undefined;
  private timerAt = Infinity;
  private pumping = false;
  private closed = false;
  private radioBusyCount = 0;
  private jobErrors = 0;
  private healthMs: number;
  private healthStepAt = -Infinity;
  private healthDropsSeen = 0;

  constructor(private readonly clock: Clock, config: GovernorConfigInput = {}) {
    this.cfg = resolveGovernorConfig(config);
    this.startedAt = clock.now();
    this.lastRefill = this.startedAt;
    this.tokens = perClass((c) => this.capMs(c));
    this.healthMs = this.cfg.health.baseMs;
  }

  /** Airtime of a packet of `bytes` (without overhead) on this radio, ms. */
  airtimeMs(bytes: number): number {
    return ((bytes + this.cfg.overheadBytes) * 8 * 1000) / this.cfg.bitRate;
  }

  maxPacketBytes(c: Priority): number {
    return this.cfg.maxPacketBytes[c];
  }

  queueDepth(c: Priority): number {
    return this.queues[c].length;
  }

  /**
   * Queue a packet. False when its class refuses newcomers and is full (the job is not kept:
   * the caller decides — the bus reports or retries). A `drop_oldest` class always takes it,
   * evicting its oldest job (`dropped('evicted')`).
   */
  enqueue(job: GovernorJob): boolean {
    if (this.closed) return false;
    const c = job.priority;
    const q = this.queues[c];
    const st = this.stats[c];
    if (job.replaceKey !== undefined) {
      const i = q.findIndex((e) => e.job.replaceKey === job.replaceKey);
      if (i >= 0) {
        const old = q[i]!;
        q[i] = { job, at: old.at };
        st.replaced++;
        old.job.dropped?.('replaced');
        return true;
      }
    }
    if (q.length >= this.cfg.queueDepth[c]) {
      if (DROP_POLICY[c] === 'refuse_new') {
        st.drops.refused++;
        return false;
      }
      const old = q.shift()!;
      st.drops.evicted++;
      old.job.dropped?.('evicted');
    }
    q.push({ job, at: this.clock.now() });
    if (q.length > st.maxQueued) st.maxQueued = q.length;
    // Deferred to the end of this instant: sends issued together are then ordered by class.
    this.wakeAt(this.clock.now());
    return true;
  }

  /** The radio answered `busy` (something else filled it): pause before handing it more. */
  radioBusy(): void {
    this.radioBusyCount++;
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + this.cfg.busyBackoffMs);
    this.wakeAt(this.pausedUntil);
  }

  /**
   * Whether the link counts as congested now: a health packet has waited longer than
   * `health.queuedMs`, one was dropped since the interval last changed, or utilisation over
   * the last `windowMs` is above `health.congestedUtilisation`.
   */
  congested(): boolean {
    const oldest = this.queues.health[0];
    return (
      (oldest !== undefined && this.clock.now() - oldest.at >= this.cfg.health.queuedMs) ||
      this.stats.health.drops.evicted > this.healthDropsSeen ||
      this.utilisation() > this.cfg.health.congestedUtilisation
    );
  }

  /**
   * The interval the node should use for its next health broadcast, ms: doubles while
   * congested (up to `health.maxMs`), halves back to `health.baseMs` when not; one step per
   * current interval at most, however often it is asked.
   */
  healthIntervalMs(): number {
    const now = this.clock.now();
    if (now - this.healthStepAt >= this.healthMs) {
      const h = this.cfg.health;
      this.healthMs = this.congested() ? Math.min(h.maxMs, this.healthMs * 2) : Math.max(h.baseMs, this.healthMs / 2);
      this.healthStepAt = now;
      this.healthDropsSeen = this.stats.health.drops.evicted;
    }
    return this.healthMs;
  }

  /** Airtime / time over the last `windowMs`, one class or all. */
  utilisation(c?: Priority): number {
    const now = this.clock.now();
    const from = now - this.cfg.windowMs;
    this.prune(from);
    let air = 0;
    for (const s of this.recent) {
      if (c !== undefined && s.cls !== c) continue;
      air += Math.max(0, Math.min(s.end, now) - Math.max(s.start, from));
    }
    return air / Math.max(1e-9, Math.min(this.cfg.windowMs, now - this.startedAt));
  }

  metrics(): GovernorMetrics {
    const now = this.clock.now();
    this.refill(now);
    const elapsed = Math.max(1e-9, now - this.startedAt);
    let total = 0;
    const classes = perClass((c): ClassMetrics => {
      const st = this.stats[c];
      const air = this.airtimeUpTo(c, now);
      total += air;
      return {
        ...st,
        drops: { ...st.drops },
        airtimeMs: air,
        queued: this.queues[c].length,
        utilisation: this.utilisation(c),
        utilisationTotal: air / elapsed,
        tokensMs: this.tokens[c],
      };
    });
    return {
      classes,
      airtimeMs: total,
      utilisation: this.utilisation(),
      utilisationTotal: total / elapsed,
      radioBusy: this.radioBusyCount,
      jobErrors: this.jobErrors,
      healthIntervalMs: this.healthMs,
    };
  }

  /** Drop every queued job (`dropped('closed')`) and refuse new ones. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    for (const c of PRIORITIES) {
      const q = this.queues[c].splice(0);
      for (const e of q) e.job.dropped?.('closed');
    }
  }

  // --- scheduling -----------------------------------------------------------------------

  private capMs(c: Priority): number {
    return this.cfg.floors[c] * this.cfg.burstMs;
  }

  private refill(now: number): void {
    const dt = now - this.lastRefill;
    if (dt <= 0) return;
    this.lastRefill = now;
    for (const c of PRIORITIES) this.tokens[c] = Math.min(this.capMs(c), this.tokens[c] + this.cfg.floors[c] * dt);
  }

  /** Highest class with work and tokens; else the highest with work, borrowing. */
  private pick(): { c: Priority; borrowed: boolean } | undefined {
    for (const c of PRIORITIES) if (this.queues[c].length > 0 && this.tokens[c] > 0) return { c, borrowed: false };
    for (const c of PRIORITIES) if (this.queues[c].length > 0) return { c, borrowed: true };
    return undefined;
  }

  private wakeAt(at: number): void {
    if (this.closed || this.pumping) return;
    if (this.timer && this.timerAt <= at) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.clock.setTimerAt(at, () => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    });
  }

  private pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    let next = Infinity;
    try {
      for (;;) {
        const now = this.clock.now();
        const readyAt = Math.max(this.txFreeAt - this.cfg.leadMs, this.pausedUntil);
        if (now < readyAt) {
          if (PRIORITIES.some((c) => this.queues[c].length > 0)) next = readyAt;
          break;
        }
        this.refill(now);
        const p = this.pick();
        if (!p) break;
        const { job } = this.queues[p.c].shift()!;
        const start = Math.max(now, this.txFreeAt);
        let n: number;
        try {
          n = job.run(start);
        } catch {
          // A throwing job must not stop the scheduler; it is counted and skipped.
          this.jobErrors++;
          continue;
        }
        if (!(n > 0)) continue;
        const air = this.airtimeMs(n);
        // The slot is stretched by 1/maxUtilisation, so the air is never filled beyond it.
        this.txFreeAt = start + air / this.cfg.maxUtilisation;
        const st = this.stats[p.c];
        st.sent++;
        st.bytes += n;
        st.airtimeMs += air;
        if (p.borrowed) st.borrowed++;
        else this.tokens[p.c] -= air;
        this.recent.push({ start, end: start + air, cls: p.c });
        this.prune(now - this.cfg.windowMs);
      }
    } finally {
      this.pumping = false;
    }
    if (next < Infinity) this.wakeAt(next);
  }

  /** Forget packets that ended before `from` (the recent list is in start order). */
  private prune(from: number): void {
    let k = 0;
    while (k < this.recent.length && this.recent[k]!.end <= from) k++;
    if (k > 0) this.recent.splice(0, k);
  }

  /** Airtime of class `c` completed by `now` (a packet still on the air counts in part). */
  private airtimeUpTo(c: Priority, now: number): number {
    let pendingAir = 0;
    for (const s of this.recent) if (s.cls === c && s.end > now) pendingAir += s.end - Math.max(s.start, now);
    return this.stats[c].airtimeMs - pendingAir;
  }
}
