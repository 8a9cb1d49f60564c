import { describe, expect, it } from 'vitest';
import { every, sleep, VirtualClock, xstateClock, type Clock, type Timer } from '../../../hal/index.js';
import { mulberry32 } from '../../helpers/prng.js';


/**
 * A clock whose timers fire late by `lateness()` ms (a busy event loop, a slow handler):
 * `at` still reports the time asked for.
 */
class LateClock implements Clock {
  constructor(readonly inner: VirtualClock, private readonly lateness: () => number) {}
  now(): number {
    return this.inner.now();
  }
  setTimer(delayMs: number, fn: () => void): Timer {
    return this.setTimerAt(this.now() + Math.max(0, delayMs), fn);
  }
  setTimerAt(atMs: number, fn: () => void): Timer {
    const t = this.inner.setTimerAt(atMs + this.lateness(), fn);
    return { at: atMs, cancel: () => t.cancel() };
  }
}

describe('every()', () => {
  it('ticks on absolute deadlines start + k·period for 10 000 ticks, while each tick schedules work', () => {
    const c = new VirtualClock(3);
    const deadlines: number[] = [];
    let work = 0;
    const p = every(c, 100, (deadline, late) => {
      expect(c.now()).toBe(deadline);
      expect(late).toBe(0);
      deadlines.push(deadline);
      c.setTimer(0, () => work++); // same instant
      c.setTimer(37, () => work++); // between ticks
      c.setTimer(100, () => work++); // at the next deadline, queued before it
    });
    c.runUntil(3 + 100 * 10_000);
    expect(deadlines).toHaveLength(10_000);
    deadlines.forEach((d, k) => expect(d).toBe(3 + 100 * (k + 1)));
    expect(work).toBe(3 * 10_000 - 2); // the last tick's +37 and +100 ms jobs are not due yet
    expect(p.skipped).toBe(0);
  });

  it('a fractional period (1000/3 ms) accumulates no visible drift over 10 000 ticks', () => {
    const c = new VirtualClock();
    const period = 1000 / 3;
    let k = 0;
    let worst = 0;
    every(c, period, (deadline) => {
      k++;
      worst = Math.max(worst, Math.abs(deadline - k * period));
    });
    c.runUntil(10_000 * period + period / 2);
    expect(k).toBe(10_000);
    expect(worst).toBeLessThan(1e-6); // float rounding only, not drift
  });

  it('late timers do not push the schedule back (a re-armed relative timer would drift)', () => {
    const rnd = mulberry32(42);
    const inner = new VirtualClock();
    const c = new LateClock(inner, () => rnd() * 40); // every timer up to 40 % of a period late
    const deadlines: number[] = [];
    const lates: number[] = [];
    const p = every(c, 100, (deadline, late) => {
      deadlines.push(deadline);
      lates.push(late);
    });
    // The drifting way, for contrast: re-arm `period` after each (late) run.
    let naive = 0;
    const rearm = (): void => {
      naive++;
      c.setTimer(100, rearm);
    };
    c.setTimer(100, rearm);
    inner.runUntil(1_000_000 + 50);
    expect(deadlines).toHaveLength(10_000);
    deadlines.forEach((d, k) => expect(d).toBe(100 * (k + 1)));
    expect(Math.max(...lates)).toBeLessThan(40);
    expect(Math.min(...lates)).toBeGreaterThanOrEqual(0);
    expect(p.skipped).toBe(0);
    expect(naive).toBeLessThan(8_700); // ~20 ms lost per tick: about 8 300 runs
  });

  it('skips (and counts) deadlines missed by a very late tick instead of bursting to catch up', () => {
    const inner = new VirtualClock();
    let lateOnce = false;
    const c = new LateClock(inner, () => (lateOnce ? ((lateOnce = false), 350) : 0));
    const ticks: [number, number, number][] = [];
    const p = every(c, 100, (deadline, late) => {
      ticks.push([inner.now(), deadline, late]);
      // every() arms the next timer before calling tick: set at 300, it makes the timer armed
      // at 400 (for 500) fire 350 ms late.
      if (deadline === 300) lateOnce = true;
    });
    inner.runUntil(1000);
    expect(ticks).toEqual([
      [100, 100, 0],
      [200, 200, 0],
      [300, 300, 0],
      [400, 400, 0],
      [850, 500, 350], // 600, 700 and 800 have passed: skipped, not run back to back
      [900, 900, 0],
      [1000, 1000, 0],
    ]);
    expect(p.skipped).toBe(3);
  });

  it('a first deadline in the past: one tick now, the missed ones counted, then back on the grid', () => {
    const c = new VirtualClock(1000);
    const ticks: [number, number, number][] = [];
    const p = every(c, 100, (deadline, late) => ticks.push([c.now(), deadline, late]), { startAt: 650 });
    c.runUntil(1250);
    expect(ticks).toEqual([
      [1000, 650, 350],
      [1050, 1050, 0],
      [1150, 1150, 0],
      [1250, 1250, 0],
    ]);
    expect(p.skipped).toBe(3); // 750, 850, 950
  });

  it('startAt sets the first deadline; without it the first is now + period', () => {
    const c = new VirtualClock(10);
    const a: number[] = [];
    const b: number[] = [];
    every(c, 50, (d) => a.push(d));
    every(c, 50, (d) => b.push(d), { startAt: 25 });
    c.runUntil(130);
    expect(a).toEqual([60, 110]);
    expect(b).toEqual([25, 75, 125]);
  });

  it('stop() stops: no further ticks, no timer left behind', () => {
    const c = new VirtualClock();
    let n = 0;
    const p = every(c, 10, () => n++);
    c.runUntil(35);
    p.stop();
    expect(c.pending).toBe(0);
    c.runUntil(1000);
    expect(n).toBe(3);
  });

  it('stop() from inside the tick handler stops too', () => {
    const c = new VirtualClock();
    let n = 0;
    const p = every(c, 10, () => {
      if (++n === 2) p.stop();
    });
    c.runUntil(1000);
    expect(n).toBe(2);
    expect(c.pending).toBe(0);
  });

  it.each([0, -5, NaN])('refuses a period of %s ms', (period) => {
    expect(() => every(new VirtualClock(), period, () => {})).toThrow(RangeError);
  });
});

describe('sleep() and xstateClock()', () => {
  it('sleep resolves after ms of the given clock', async () => {
    const c = new VirtualClock();
    let woke = -1;
    void sleep(c, 250).then(() => (woke = c.now()));
    c.runUntil(249);
    await Promise.resolve();
    expect(woke).toBe(-1);
    await c.runUntilAsync(() => woke >= 0, 10);
    expect(woke).toBe(250);
  });

  it('xstateClock schedules and clears on the clock', () => {
    const c = new VirtualClock();
    const x = xstateClock(c);
    const ran: string[] = [];
    x.setTimeout(() => ran.push('kept'), 10);
    x.clearTimeout(x.setTimeout(() => ran.push('cleared'), 5));
    c.advance(20);
    expect(ran).toEqual(['kept']);
  });
});
