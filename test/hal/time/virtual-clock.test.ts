import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flushMicrotasks, VirtualClock } from '../../../hal/index.js';

describe('VirtualClock', () => {
  it('starts at the given time and moves only when told', () => {
    const c = new VirtualClock(1234);
    expect(c.now()).toBe(1234);
    c.setTimer(10, () => {});
    expect(c.now()).toBe(1234);
    expect(c.advance(5)).toBe(0);
    expect(c.now()).toBe(1239);
  });

  it('events due at the same time run in insertion order (setTimer and setTimerAt mixed)', () => {
    const c = new VirtualClock();
    const ran: number[] = [];
    for (let i = 0; i < 50; i++) {
      if (i % 2) c.setTimer(10, () => ran.push(i));
      else c.setTimerAt(10, () => ran.push(i));
    }
    c.setTimer(5, () => ran.push(-1));
    c.runUntil(10);
    expect(ran).toEqual([-1, ...Array.from({ length: 50 }, (_, i) => i)]);
  });

  it('an event scheduled for the current instant from a handler runs after those already queued there', () => {
    const c = new VirtualClock();
    const ran: string[] = [];
    c.setTimerAt(10, () => {
      ran.push('a');
      c.setTimer(0, () => ran.push('a→child'));
    });
    c.setTimerAt(10, () => ran.push('b'));
    c.runUntil(10);
    expect(ran).toEqual(['a', 'b', 'a→child']);
  });

  it('property: events run in (due time, insertion) order, each seeing now() equal to its due time', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 60 }), (delays) => {
        const c = new VirtualClock();
        const ran: [number, number][] = [];
        delays.forEach((d, i) => c.setTimer(d, () => ran.push([i, c.now()])));
        expect(c.runUntil(100)).toBe(delays.length);
        const want = delays.map((d, i) => [i, d] as [number, number]).sort((x, y) => x[1] - y[1] || x[0] - y[0]);
        expect(ran).toEqual(want);
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  describe('cancel', () => {
    it('a cancelled timer never runs and is not pending; cancelling twice is harmless', () => {
      const c = new VirtualClock();
      const ran: string[] = [];
      const t = c.setTimer(10, () => ran.push('cancelled'));
      c.setTimer(20, () => ran.push('kept'));
      expect(c.pending).toBe(2);
      t.cancel();
      t.cancel();
      expect(c.pending).toBe(1);
      expect(c.nextAt()).toBe(20);
      c.advance(100);
      expect(ran).toEqual(['kept']);
      expect(c.pending).toBe(0);
      expect(c.nextAt()).toBeUndefined();
    });

    it('an earlier event at the same instant can cancel a later one', () => {
      const c = new VirtualClock();
      const ran: string[] = [];
      let victim = { cancel: () => {} };
      c.setTimer(10, () => {
        ran.push('first');
        victim.cancel();
      });
      victim = c.setTimer(10, () => ran.push('victim'));
      c.advance(10);
      expect(ran).toEqual(['first']);
    });

    it('cancelling after the timer ran does nothing', () => {
      const c = new VirtualClock();
      let n = 0;
      const t = c.setTimer(1, () => n++);
      c.advance(1);
      t.cancel();
      c.advance(10);
      expect(n).toBe(1);
    });
  });

  describe('runUntil / advance / runNext', () => {
    it('runUntil runs everything due at or before t (inclusive), leaves later events, sets now to t', () => {
      const c = new VirtualClock();
      const ran: number[] = [];
      for (const at of [5, 10, 15]) c.setTimerAt(at, () => ran.push(at));
      expect(c.runUntil(10)).toBe(2);
      expect(ran).toEqual([5, 10]);
      expect(c.now()).toBe(10);
      expect(c.pending).toBe(1);
      expect(c.runUntil(12)).toBe(0);
      expect(c.now()).toBe(12);
    });

    it('events a handler schedules inside the window run in the same call', () => {
      const c = new VirtualClock();
      const ran: number[] = [];
      c.setTimerAt(1, () => c.setTimerAt(3, () => ran.push(c.now())));
      expect(c.runUntil(5)).toBe(2);
      expect(ran).toEqual([3]);
    });

    it('runUntil refuses to go back in time', () => {
      const c = new VirtualClock(100);
      expect(() => c.runUntil(99)).toThrow(expect.objectContaining({ code: 'E_CLOCK_PAST' }));
      expect(c.runUntil(100)).toBe(0);
    });

    it('advance(ms) is runUntil(now + ms)', () => {
      const c = new VirtualClock(50);
      let at = -1;
      c.setTimer(30, () => (at = c.now()));
      c.advance(29);
      expect(at).toBe(-1);
      c.advance(1);
      expect(at).toBe(80);
    });

    it('runNext jumps to the next event and runs it, not later ones; false when idle', () => {
      const c = new VirtualClock();
      const ran: number[] = [];
      c.setTimerAt(40, () => ran.push(40));
      c.setTimerAt(70, () => ran.push(70));
      expect(c.runNext()).toBe(true);
      expect(c.now()).toBe(40);
      expect(ran).toEqual([40]);
      expect(c.runNext()).toBe(true);
      expect(c.now()).toBe(70);
      expect(c.runNext()).toBe(false);
      expect(c.now()).toBe(70);
    });

    it('runNext skips cancelled events', () => {
      const c = new VirtualClock();
      c.setTimerAt(10, () => {}).cancel();
      let ran = false;
      c.setTimerAt(20, () => (ran = true));
      expect(c.runNext()).toBe(true);
      expect(c.now()).toBe(20);
      expect(ran).toBe(true);
    });
  });

  describe('timers in the past', () => {
    it('setTimerAt in the past is due now (Timer.at is now) and runs at the current instant', () => {
      const c = new VirtualClock(100);
      const ran: number[] = [];
      const t = c.setTimerAt(10, () => ran.push(c.now()));
      expect(t.at).toBe(100);
      expect(c.setTimer(-50, () => ran.push(c.now())).at).toBe(100);
      c.advance(0);
      expect(ran).toEqual([100, 100]);
    });

    it('a handler scheduling into the past gets the current instant, after what is already queued there', () => {
      const c = new VirtualClock();
      const ran: string[] = [];
      c.setTimerAt(50, () => c.setTimerAt(10, () => ran.push(`past@${c.now()}`)));
      c.setTimerAt(50, () => ran.push('queued@50'));
      c.runUntil(60);
      expect(ran).toEqual(['queued@50', 'past@50']);
    });
  });

  describe('zero-delay loop guard', () => {
    it('throws, naming the instant, instead of spinning forever', () => {
      const c = new VirtualClock();
      c.maxEventsPerInstant = 100;
      let runs = 0;
      const loop = (): void => {
        runs++;
        c.setTimer(0, loop);
      };
      c.setTimer(7, loop);
      expect(() => c.advance(10)).toThrow(/more than 100 events at t=7 ms/);
      expect(runs).toBeGreaterThanOrEqual(100);
      expect(runs).toBeLessThanOrEqual(101);
    });

    it('a finite burst within the limit is fine, and a new instant starts a new count', () => {
      const c = new VirtualClock();
      c.maxEventsPerInstant = 100;
      for (const at of [0, 5]) for (let i = 0; i < 100; i++) c.setTimerAt(at, () => {});
      expect(c.runUntil(5)).toBe(200);
    });
  });

  describe('runUntilAsync', () => {
    it('lets promise chains settle between steps and stops when done() holds', async () => {
      const c = new VirtualClock();
      let result: string | undefined;
      const wait = (ms: number) => new Promise<void>((r) => c.setTimer(ms, r));
      void (async () => {
        await wait(30);
        await wait(30);
        result = `done at ${c.now()}`;
      })();
      expect(await c.runUntilAsync(() => result !== undefined, 1000)).toBe(true);
      expect(result).toBe('done at 60');
      expect(c.now()).toBe(60);
    });

    it('gives up after limitMs of virtual time, returning false', async () => {
      const c = new VirtualClock();
      expect(await c.runUntilAsync(() => false, 250, 10)).toBe(false);
      expect(c.now()).toBe(250);
    });

    it('flushMicrotasks runs pending promise reactions', async () => {
      let n = 0;
      void Promise.resolve().then(() => n++).then(() => n++).then(() => n++);
      await flushMicrotasks();
      expect(n).toBe(3);
    });
  });
});
