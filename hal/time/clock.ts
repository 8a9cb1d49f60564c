/**
 * One clock for every timer in the agent and the emulator. Times are milliseconds on a
 * monotonic scale (not wall time). Two implementations: `RealClock` (performance.now) for
 * boards and serial ports, `VirtualClock` (a discrete-event scheduler) for in-process runs.
 */
export interface Timer {
  /** Absolute due time, ms on the clock's scale. */
  readonly at: number;
  cancel(): void;
}

export interface Clock {
  /** Current time, ms, monotonic. */
  now(): number;
  /** Run `fn` after `delayMs` (clamped at 0). */
  setTimer(delayMs: number, fn: () => void): Timer;
  /** Run `fn` at absolute time `atMs` (clamped at now). */
  setTimerAt(atMs: number, fn: () => void): Timer;
}

export interface PeriodicOptions {
  /** First deadline, absolute ms. Default: now + period. */
  startAt?: number;
}

export interface Periodic {
  /** Deadlines skipped so far because a tick ran later than a whole period. */
  readonly skipped: number;
  stop(): void;
}

/**
 * Calls `tick(deadline, lateMs)` every `periodMs`, scheduled against absolute deadlines
 * (start + k·period) so that it does not drift the way a re-armed relative timer does.
 * When a tick is so late that whole periods have passed, those deadlines are skipped
 * (counted) rather than run back to back: no backlog.
 */
export function every(
  clock: Clock,
  periodMs: number,
  tick: (deadline: number, lateMs: number) => void,
  opts: PeriodicOptions = {},
): Periodic {
  if (!(periodMs > 0)) throw new RangeError(`period must be > 0 ms, got ${periodMs}`);
  // Deadline k is start + k·period, computed afresh each time so rounding never accumulates.
  const start = opts.startAt ?? clock.now() + periodMs;
  let k = 0;
  let next = start;
  let timer: Timer | undefined;
  let stopped = false;
  let skipped = 0;
  const fire = (): void => {
    if (stopped) return;
    const now = clock.now();
    const deadline = next;
    k++;
    next = start + k * periodMs;
    if (now >= next) {
      const behind = Math.floor((now - next) / periodMs) + 1;
      skipped += behind;
      k += behind;
      next = start + k * periodMs;
    }
    timer = clock.setTimerAt(next, fire);
    tick(deadline, now - deadline);
  };
  timer = clock.setTimerAt(next, fire);
  return {
    get skipped() {
      return skipped;
    },
    stop() {
      stopped = true;
      timer?.cancel();
    },
  };
}

/** Resolves after `ms` on the given clock (virtual or real). */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(ms, resolve));
}

/** Adapts a `Clock` to the `{setTimeout, clearTimeout}` shape xstate's `createActor` takes,
 *  so machines' delayed transitions run on virtual time in tests and simulations. */
export function xstateClock(clock: Clock): { setTimeout: (fn: () => void, ms: number) => Timer; clearTimeout: (t: Timer) => void } {
  return {
    setTimeout: (fn, ms) => clock.setTimer(ms, fn),
    clearTimeout: (t) => t?.cancel(),
  };
}
