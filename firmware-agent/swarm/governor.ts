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
import { PRIORITIES, type Priority } from './messages.js';

export type PerClass<T> = Record<Priority, T>;

export type DropPolicy = 'refuse_new' | 'drop_oldest';

/** What each class does when its queue is full (see the file comment). */
export const DROP_POLICY: Readonly<PerClass<DropPolicy>> = Object.freeze({
  critical: 'refuse_new',
  report: 'refuse_new',
  health: 'drop_oldest',
  bulk: 'drop_oldest',
});

export interface GovernorConfig {
  /** Air data rate of the radio, bit/s. Default 9600 (the emulator's radio). */
  bitRate: number;
  /** Framing bytes the radio adds to each packet on the air. Default 8. */
  overheadBytes: number;
  /** Fraction of the air the governor may fill (headroom for other users of the radio). Default 1. */
  maxUtilisation: number;
  /** Guaranteed share of the air per class, 0..1; their sum must be ≤ `maxUtilisation`. */
  floors: PerClass<number>;
  /** Token bucket depth: a class may save up `floors[c] · burstMs` ms of airtime. Default 1000. */
  burstMs: number;
  /** Queue depth per class, packets. */
  queueDepth: PerClass<number>;
  /** Largest packet per class, bytes before the radio's overhead (the head-of-line bound). */
  maxPacketBytes: PerClass<number>;
  /** Window of the utilisation figures and of the congestion test, ms. Default 2000. */
  windowMs: number;
  /** After the radio answers `busy`, hand it nothing for this long, ms. Default 100. */
  busyBackoffMs: number;
  /**
   * Hand the next packet over this long before the previous one's airtime ends, ms (covers the
   * serial hop to the radio, so the air does not idle between packets). Default 0.
   */
  leadMs: number;
  health: {
    /** The normal health broadcast interval, ms. Default 1000. */
    baseMs: number;
    /** Longest it stretches to, ms. Default 8000. */
    maxMs: number;
    /** Utilisation (over `windowMs`) above which the link counts as congested. Default 0.8. */
    congestedUtilisation: number;
    /** A health packet queued this long means congestion, ms. Default 250. */
    queuedMs: number;
  };
}

export const DEFAULT_GOVERNOR_CONFIG: Readonly<GovernorConfig> = Object.freeze({
  bitRate: 9600,
  overheadBytes: 8,
  maxUtilisation: 1,
  floors: Object.freeze({ critical: 0.4, report: 0.2, health: 0.2, bulk: 0.05 }),
  burstMs: 1000,
  queueDepth: Object.freeze({ critical: 128, report: 64, health: 8, bulk: 32 }),
  maxPacketBytes: Object.freeze({ critical: 1024, report: 256, health: 128, bulk: 56 }),
  windowMs: 2000,
  busyBackoffMs: 100,
  leadMs: 0,
  health: Object.freeze({ baseMs: 1000, maxMs: 8000, congestedUtilisation: 0.8, queuedMs: 250 }),
});

export type GovernorConfigInput = Partial<Omit<GovernorConfig, 'floors' | 'queueDepth' | 'maxPacketBytes' | 'health'>> & {
  floors?: Partial<PerClass<number>>;
  queueDepth?: Partial<PerClass<number>>;
  maxPacketBytes?: Partial<PerClass<number>>;
  health?: Partial<GovernorConfig['health']>;
};

/** Why a queued job left without running. */
export type GovernorDropReason = 'evicted' | 'closed' | 'replaced';

/** One packet waiting for the air. The bus encodes at `run` time (fresh replay counter, in air order). */
export interface GovernorJob {
  readonly priority: Priority;
  /**
   * Its turn: hand the packet to the radio now and return its length in bytes (without the
   * radio's overhead), or 0 when it no longer needs to go (acknowledged meanwhile) — then
   * nothing is charged. `startMs` is when its airtime starts on the governor's model.
   */
  run(startMs: number): number;
  /** It left the queue without running. */
  dropped?(reason: GovernorDropReason): void;
  /**
   * Coalescing: a job of the same class with the same key still waiting in the queue is
   * superseded by this one — this job takes its place (and its waiting time), the old one
   * leaves with `dropped('replaced')`. Only for packets where the newest alone matters (an
   * empty heartbeat).
   */
  readonly replaceKey?: string;
}

export interface ClassMetrics {
  /** Packets waiting now. */
  queued: number;
  /** Highest `queued` seen. */
  maxQueued: number;
  /** Packets put on the air. */
  sent: number;
  bytes: number;
  /** Airtime used, ms, since start. */
  airtimeMs: number;
  /** Airtime / time over the last `windowMs`. */
  utilisation: number;
  /** Airtime / time since start. */
  utilisationTotal: number;
  /** Slots taken beyond the floor (borrowed). */
  borrowed: number;
  /** Dropped: older packets evicted by newer (`drop_oldest`), newcomers refused (`refuse_new`). */
  drops: { evicted: number; refused: number };
  /** Queued packets superseded by a newer job with the same `replaceKey` (coalesced, not lost). */
  replaced: number;
  /** Airtime tokens in the bucket now, ms (negative: in deficit). */
  tokensMs: number;
}

export interface GovernorMetrics {
  classes: PerClass<ClassMetrics>;
  airtimeMs: number;
  /** All classes, over the last `windowMs`. */
  utilisation: number;
  /** All classes, since start. */
  utilisationTotal: number;
  /** `busy` answers from the radio. */
  radioBusy: number;
  /** Jobs whose `run` threw (skipped). */
  jobErrors: number;
  healthIntervalMs: number;
}

interface Queued {
  job: GovernorJob;
  at: number;
}

interface Sent {
  start: number;
  end: number;
  cls: Priority;
}

function perClass<T>(f: (c: Priority) => T): PerClass<T> {
  return { critical: f('critical'), report: f('report'), health: f('health'), bulk: f('bulk') };
}

export function resolveGovernorConfig(input: GovernorConfigInput = {}): GovernorConfig {
  const d = DEFAULT_GOVERNOR_CONFIG;
  const cfg: GovernorConfig = {
    ...d,
    ...input,
    floors: { ...d.floors, ...input.floors },
    queueDepth: { ...d.queueDepth, ...input.queueDepth },
    maxPacketBytes: { ...d.maxPacketBytes, ...input.maxPacketBytes },
    health: { ...d.health, ...input.health },
  };
  const bad = (what: string): never => {
    throw new RangeError(`governor config: ${what}`);
  };
  if (!(cfg.bitRate > 0)) bad(`bitRate must be > 0, got ${cfg.bitRate}`);
  if (!(cfg.overheadBytes >= 0)) bad(`overheadBytes must be ≥ 0, got ${cfg.overheadBytes}`);
  if (!(cfg.maxUtilisation > 0 && cfg.maxUtilisation <= 1)) bad(`maxUtilisation must be in (0, 1], got ${cfg.maxUtilisation}`);
  let sum = 0;
  for (const c of PRIORITIES) {
    const f = cfg.floors[c];
    if (!(f >= 0 && f <= 1)) bad(`floors.${c} must be in [0, 1], got ${f}`);
    sum += f;
    if (!(Number.isInteger(cfg.queueDepth[c]) && cfg.queueDepth[c] >= 1)) bad(`queueDepth.${c} must be an integer ≥ 1`);
    if (!(cfg.maxPacketBytes[c] >= 1)) bad(`maxPacketBytes.${c} must be ≥ 1`);
  }
  if (sum > cfg.maxUtilisation + 1e-9) bad(`floors sum to ${sum}, more than maxUtilisation ${cfg.maxUtilisation}`);
  if (!(cfg.burstMs > 0)) bad('burstMs must be > 0');
  if (!(cfg.windowMs > 0)) bad('windowMs must be > 0');
  if (!(cfg.busyBackoffMs >= 0) || !(cfg.leadMs >= 0)) bad('busyBackoffMs and leadMs must be ≥ 0');
  if (!(cfg.health.baseMs > 0 && cfg.health.maxMs >= cfg.health.baseMs)) bad('health: need 0 < baseMs ≤ maxMs');
  if (!(cfg.health.congestedUtilisation > 0 && cfg.health.congestedUtilisation <= 1)) bad('health.congestedUtilisation must be in (0, 1]');
  if (!(cfg.health.queuedMs > 0)) bad('health.queuedMs must be > 0');
  return cfg;
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
