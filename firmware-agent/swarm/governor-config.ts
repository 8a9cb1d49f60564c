import { PRIORITIES, type Priority } from './messages.js';

/**
 * The bandwidth governor's contract (governor.ts): its configuration with defaults and checks,
 * the jobs it schedules, and its metrics. The policies the defaults implement are described in
 * governor.ts.
 */

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

export function perClass<T>(f: (c: Priority) => T): PerClass<T> {
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
