import { performance } from 'node:perf_hooks';
import { every, type Clock, type Periodic } from '../../hal/index.js';

export const PHASES = ['sample', 'assess', 'decide', 'arbitrate', 'act'] as const;
export type Phase = (typeof PHASES)[number];

export interface CycleResult {
  index: number;
  /** The cycle's scheduled deadline on the clock, ms. */
  deadline: number;
  /** How late it started, ms on the clock. */
  lateMs: number;
  /** CPU time per phase, ms (performance.now, so real even under a virtual clock). */
  phaseMs: Record<Phase, number>;
  totalMs: number;
  /** Over budget: the phase that ran longest is blamed. */
  slipped: Phase | null;
  /** The body threw; the cycle is unhealthy (no watchdog pet). */
  error: unknown;
}

export interface CycleHooks {
  onCycle?: (r: CycleResult) => void;
}

/** Times the phases of one cycle. */
export class PhaseTimer {
  readonly ms: Record<Phase, number> = { sample: 0, assess: 0, decide: 0, arbitrate: 0, act: 0 };
  run<T>(phase: Phase, fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.ms[phase] += performance.now() - t0;
    }
  }
}

/**
 * The fixed-rate decision loop. Each cycle is scheduled against an absolute deadline
 * (start + k·period: no drift); a cycle that overruns its budget is a counted slip blaming the
 * phase that ran longest, the next cycle starts on the schedule (missed deadlines are skipped,
 * never run back to back), and `shedding` tells the body to drop non-essential work while
 * slipping.
 */
export class CycleRunner {
  index = 0;
  slips = 0;
  /** True while recent cycles slipped: the body should shed non-essential work. */
  shedding = false;
  private periodic: Periodic | undefined;
  private recentSlips = 0;

  constructor(
    private readonly clock: Clock,
    private readonly periodMs: number,
    private readonly budgetMs: number,
    private readonly body: (t: PhaseTimer, index: number) => void,
    private readonly hooks: CycleHooks = {},
  ) {}

  get skipped(): number {
    return this.periodic?.skipped ?? 0;
  }

  get running(): boolean {
    return this.periodic !== undefined;
  }

  start(firstAt?: number): void {
    if (this.periodic) return;
    this.periodic = every(this.clock, this.periodMs, (deadline, lateMs) => this.runOne(deadline, lateMs), firstAt !== undefined ? { startAt: firstAt } : {});
  }

  stop(): void {
    this.periodic?.stop();
    this.periodic = undefined;
  }

  private runOne(deadline: number, lateMs: number): void {
    const t = new PhaseTimer();
    const t0 = performance.now();
    let error: unknown = null;
    try {
      this.body(t, this.index);
    } catch (err) {
      error = err;
    }
    const totalMs = performance.now() - t0;
    let slipped: Phase | null = null;
    if (totalMs > this.budgetMs) {
      this.slips++;
      slipped = PHASES.reduce((a, b) => (t.ms[b] > t.ms[a] ? b : a));
    }
    // Shed while any of the last few cycles slipped; resume after a clean run.
    this.recentSlips = slipped ? Math.min(this.recentSlips + 1, 5) : Math.max(this.recentSlips - 1, 0);
    this.shedding = this.recentSlips > 0;
    this.hooks.onCycle?.({ index: this.index, deadline, lateMs, phaseMs: t.ms, totalMs, slipped, error });
    this.index++;
  }
}
