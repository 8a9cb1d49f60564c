import { describe, expect, it } from 'vitest';
import { VirtualClock, type Clock, type Timer } from '../../../hal/index.js';
import { ReplayTimingClock, TimingClock } from '../../../firmware-agent/recorder/index.js';

/** A clock whose timers run `lateMs` after they are due (a loaded event loop). */
class LateClock implements Clock {
  constructor(readonly inner: VirtualClock, private readonly lateMs: (n: number) => number) {}
  private k = 0;
  now(): number {
    return this.inner.now();
  }
  setTimer(d: number, fn: () => void): Timer {
    return this.setTimerAt(this.inner.now() + d, fn);
  }
  setTimerAt(at: number, fn: () => void): Timer {
    return this.inner.setTimerAt(at + this.lateMs(this.k++), fn);
  }
}

describe('TimingClock and ReplayTimingClock', () => {
  it('notes each timer that ran late (in the order made), and the replay runs timer n exactly then', () => {
    const real = new VirtualClock();
    const ran: [number, number][] = [];
    const rec = new TimingClock(new LateClock(real, (k) => (k === 1 ? 0 : 0.7 * (k + 1))), (n, t) => ran.push([n, t]));
    const seen: string[] = [];
    rec.setTimer(10, () => seen.push(`a@${rec.now()}`));
    rec.setTimerAt(5, () => seen.push(`b@${rec.now()}`)); // on time: not noted
    const c = rec.setTimer(20, () => seen.push('c'));
    rec.setTimer(30, () => seen.push(`d@${rec.now()}`));
    c.cancel();
    real.runUntil(100);
    expect(seen).toEqual(['b@5', 'a@10.7', 'd@32.8']);
    expect(ran).toEqual([[0, 10.7], [3, 32.8]]);

    // The replay makes the same timers in the same order, on a virtual clock that is never late.
    const v = new VirtualClock();
    const rep = new ReplayTimingClock(v, new Map(ran));
    const again: string[] = [];
    rep.setTimer(10, () => again.push(`a@${rep.now()}`));
    rep.setTimerAt(5, () => again.push(`b@${rep.now()}`));
    rep.setTimer(20, () => again.push('c')).cancel();
    rep.setTimer(30, () => again.push(`d@${rep.now()}`));
    v.runUntil(100);
    expect(again).toEqual(seen);
  });

  it('under a virtual clock nothing is noted: timers run when due', () => {
    const v = new VirtualClock();
    const ran: unknown[] = [];
    const rec = new TimingClock(v, (n, t) => ran.push([n, t]));
    for (let i = 0; i < 5; i++) rec.setTimer(i * 3, () => {});
    v.runUntil(50);
    expect(ran).toEqual([]);
  });
});
