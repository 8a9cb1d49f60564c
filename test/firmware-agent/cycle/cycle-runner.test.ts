import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VirtualClock, type Clock, type Timer } from '../../../hal/index.js';
import { CycleRunner, PhaseTimer, type CycleResult, type Phase } from '../../../firmware-agent/cycle/cycle-runner.js';

/** A clock whose time can jump past due timers, which then run late (a stalled process). */
class JumpClock implements Clock {
  private t = 0;
  private timers: { at: number; fn: () => void; cancelled: boolean; order: number }[] = [];
  private order = 0;
  now(): number {
    return this.t;
  }
  setTimer(delayMs: number, fn: () => void): Timer {
    return this.setTimerAt(this.t + Math.max(0, delayMs), fn);
  }
  setTimerAt(atMs: number, fn: () => void): Timer {
    const e = { at: Math.max(atMs, this.t), fn, cancelled: false, order: this.order++ };
    this.timers.push(e);
    return { at: e.at, cancel: () => void (e.cancelled = true) };
  }
  /** Time jumps to `t`; then every timer due by then runs, in order, at `t`. */
  jumpTo(t: number): void {
    this.t = t;
    for (;;) {
      const due = this.timers.filter((e) => !e.cancelled && e.at <= t).sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!due) return;
      due.cancelled = true;
      due.fn();
    }
  }
}

/** A fake CPU clock behind performance.now, moved only by the cycle body. */
function fakeCpu() {
  let cpu = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => cpu);
  return { spend: (ms: number) => void (cpu += ms) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('cycle runner: schedule', () => {
  it('starts cycles exactly at start + k·period over 10 000 cycles (no drift), on time', () => {
    const clock = new VirtualClock(12_345);
    const period = 1000 / 3; // not representable exactly: a re-armed relative timer would drift
    const at: number[] = [];
    const results: CycleResult[] = [];
    const runner = new CycleRunner(clock, period, 20, (_t, i) => void (at[i] = clock.now()), { onCycle: (r) => results.push(r) });
    runner.start();
    const start = 12_345 + period;
    clock.runUntil(start + 9_999 * period + period / 2);
    expect(at).toHaveLength(10_000);
    expect(runner.index).toBe(10_000);
    for (let k = 0; k < 10_000; k++) {
      const want = start + k * period;
      if (at[k] !== want || results[k]!.deadline !== want || results[k]!.lateMs !== 0 || results[k]!.index !== k) {
        throw new Error(`cycle ${k}: at ${at[k]}, deadline ${results[k]!.deadline}, expected ${want}`);
      }
    }
    // What a relative re-armed timer would have accumulated instead (shows the test can tell).
    let naive = start;
    for (let k = 1; k < 10_000; k++) naive += period;
    expect(naive).not.toBe(start + 9_999 * period);
    expect(runner.skipped).toBe(0);
    runner.stop();
  });

  it('start(firstAt) puts the first deadline there; stop() ends the loop; start() is idempotent', () => {
    const clock = new VirtualClock(0);
    const at: number[] = [];
    const runner = new CycleRunner(clock, 100, 20, () => void at.push(clock.now()));
    runner.start(250);
    runner.start(0); // already running: ignored
    expect(runner.running).toBe(true);
    clock.runUntil(560);
    expect(at).toEqual([250, 350, 450, 550]);
    runner.stop();
    expect(runner.running).toBe(false);
    clock.runUntil(2000);
    expect(at).toHaveLength(4);
  });

  it('late ticks skip the missed deadlines (counted) instead of running a burst', () => {
    const clock = new JumpClock();
    const results: CycleResult[] = [];
    const runner = new CycleRunner(clock, 100, 20, () => {}, { onCycle: (r) => results.push(r) });
    runner.start();
    clock.jumpTo(100);
    clock.jumpTo(450); // stalled 350 ms: the 200 deadline runs late, 300 and 400 are skipped
    expect(results.map((r) => [r.deadline, r.lateMs])).toEqual([[100, 0], [200, 250]]);
    expect(runner.skipped).toBe(2);
    clock.jumpTo(500);
    clock.jumpTo(600);
    expect(results.map((r) => [r.deadline, r.lateMs])).toEqual([[100, 0], [200, 250], [500, 0], [600, 0]]);
    // A late tick that misses no whole period skips nothing.
    clock.jumpTo(760);
    expect(results.at(-1)).toMatchObject({ deadline: 700, lateMs: 60 });
    expect(runner.skipped).toBe(2);
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('cycle runner: budget and slips', () => {
  it('a cycle over budget is a counted slip blaming the longest phase, and sets shedding', () => {
    const cpu = fakeCpu();
    const clock = new VirtualClock(0);
    const results: CycleResult[] = [];
    const heavy: Phase[] = ['assess', 'decide', 'act', 'sample', 'arbitrate'];
    const runner = new CycleRunner(
      clock,
      100,
      20,
      (t, i) => {
        for (const p of ['sample', 'assess', 'decide', 'arbitrate', 'act'] as const) t.run(p, () => cpu.spend(p === heavy[i % heavy.length] ? 15 : 2));
      },
      { onCycle: (r) => results.push(r) },
    );
    runner.start();
    clock.runUntil(500);
    expect(results.map((r) => r.slipped)).toEqual(heavy);
    expect(results.every((r) => r.totalMs === 23)).toBe(true);
    expect(results[0]!.phaseMs).toEqual({ sample: 2, assess: 15, decide: 2, arbitrate: 2, act: 2 });
    expect(runner.slips).toBe(5);
    expect(runner.shedding).toBe(true);
  });

  it('within budget: no slip, no shedding (exactly the budget is not a slip)', () => {
    const cpu = fakeCpu();
    const clock = new VirtualClock(0);
    const results: CycleResult[] = [];
    const runner = new CycleRunner(clock, 100, 20, (t) => t.run('decide', () => cpu.spend(20)), { onCycle: (r) => results.push(r) });
    runner.start();
    clock.runUntil(1000);
    expect(results).toHaveLength(10);
    expect(results.every((r) => r.slipped === null && r.totalMs === 20)).toBe(true);
    expect(runner.slips).toBe(0);
    expect(runner.shedding).toBe(false);
  });

  it('shedding clears after as many clean cycles as recent slips (at most 5)', () => {
    const cpu = fakeCpu();
    const clock = new VirtualClock(0);
    let slow = 0;
    const shedding: boolean[] = [];
    const runner: CycleRunner = new CycleRunner(clock, 100, 20, (t) => t.run('act', () => cpu.spend(slow-- > 0 ? 30 : 1)), {
      onCycle: () => shedding.push(runner.shedding),
    });
    runner.start();
    slow = 2;
    clock.runUntil(500); // 2 slips, then 2 clean cycles to clear
    expect(shedding).toEqual([true, true, true, false, false]);
    slow = 8;
    clock.runUntil(1500); // 8 slips (the memory is capped at 5), then 2 clean cycles
    expect(shedding.slice(5)).toEqual([true, true, true, true, true, true, true, true, true, true]);
    clock.runUntil(2000); // 3 more clean cycles: the fifth clean cycle clears it, not the eighth
    expect(shedding.slice(15)).toEqual([true, true, false, false, false]);
    expect(runner.slips).toBe(10);
  });

  it('really measures CPU time: a busy body of a few ms slips against a 1 ms budget', () => {
    const clock = new VirtualClock(0);
    const results: CycleResult[] = [];
    const busy = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const runner = new CycleRunner(
      clock,
      100,
      1,
      (t) => {
        t.run('sample', () => undefined);
        t.run('decide', () => busy(4));
      },
      { onCycle: (r) => results.push(r) },
    );
    runner.start();
    clock.runUntil(100);
    expect(results[0]!.slipped).toBe('decide');
    expect(results[0]!.totalMs).toBeGreaterThanOrEqual(4);
    expect(results[0]!.phaseMs.decide).toBeGreaterThanOrEqual(4);
    expect(runner.shedding).toBe(true);
  });

  it('a body that throws gives `error` in the result, and the next cycle still runs', () => {
    const clock = new VirtualClock(0);
    const results: CycleResult[] = [];
    const boom = new Error('boom');
    const runner = new CycleRunner(
      clock,
      100,
      20,
      (t, i) => {
        t.run('sample', () => undefined);
        if (i === 1)
          t.run('decide', () => {
            throw boom;
          });
      },
      { onCycle: (r) => results.push(r) },
    );
    runner.start();
    clock.runUntil(400);
    expect(results.map((r) => r.error)).toEqual([null, boom, null, null]);
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(runner.index).toBe(4);
    expect(runner.running).toBe(true);
  });

  it('PhaseTimer adds up repeated phases and still times a phase that throws', () => {
    const cpu = fakeCpu();
    const t = new PhaseTimer();
    t.run('act', () => cpu.spend(3));
    t.run('act', () => cpu.spend(4));
    expect(() =>
      t.run('assess', () => {
        cpu.spend(5);
        throw new Error('x');
      }),
    ).toThrow('x');
    expect(t.ms).toEqual({ sample: 0, assess: 5, decide: 0, arbitrate: 0, act: 7 });
    expect(t.run('sample', () => 42)).toBe(42);
  });
});
