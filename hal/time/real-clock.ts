import { performance } from 'node:perf_hooks';
import type { Clock, Timer } from './clock.js';

/** Monotonic wall-rate clock on `performance.now()`; timers on Node's event loop. */
export class RealClock implements Clock {
  now(): number {
    return performance.now();
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    return this.setTimerAt(this.now() + Math.max(0, delayMs), fn);
  }

  setTimerAt(atMs: number, fn: () => void): Timer {
    const handle = setTimeout(fn, Math.max(0, atMs - this.now()));
    return { at: atMs, cancel: () => clearTimeout(handle) };
  }
}
