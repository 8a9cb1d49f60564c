import type { Clock, Timer } from '../../hal/time/clock.js';

/**
 * The agent's clock as the recorder sees it: timers are numbered in the order the agent makes
 * them, and when one runs at another time than it was due (a real clock's timers always run a
 * little late, later under load) the time it ran is noted. The replay runs timer n at that time,
 * so it meets the frames that arrived while it was late in the same order, and reads the same
 * `now()`. Under a virtual clock timers run on time and nothing is noted.
 */
export class TimingClock implements Clock {
  private made = 0;

  constructor(
    private readonly inner: Clock,
    private readonly ran: (n: number, t: number) => void,
  ) {}

  now(): number {
    return this.inner.now();
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    return this.setTimerAt(this.inner.now() + Math.max(0, delayMs), fn);
  }

  setTimerAt(atMs: number, fn: () => void): Timer {
    const n = this.made++;
    return this.inner.setTimerAt(atMs, () => {
      const t = this.inner.now();
      if (t !== atMs) this.ran(n, t);
      fn();
    });
  }
}

/** The replay's side: timer n runs when the recording says it ran (else when it was due). */
export class ReplayTimingClock implements Clock {
  private made = 0;

  constructor(
    private readonly inner: Clock,
    private readonly ranAt: ReadonlyMap<number, number>,
  ) {}

  now(): number {
    return this.inner.now();
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    return this.setTimerAt(this.inner.now() + Math.max(0, delayMs), fn);
  }

  setTimerAt(atMs: number, fn: () => void): Timer {
    const t = this.ranAt.get(this.made++);
    return this.inner.setTimerAt(t ?? atMs, fn);
  }
}
