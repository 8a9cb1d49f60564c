import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COUNTER_MAX, ReplayFilter, REPLAY_WINDOW, type ReplayVerdict } from '../../../../firmware-agent/swarm/replay.js';

/** The rule, stated plainly: a set of everything accepted and the highest. */
class Model {
  private seen = new Set<number>();
  private top = -1;
  check(c: number): ReplayVerdict {
    if (this.top < 0 || c > this.top) return 'ok';
    if (this.top - c >= REPLAY_WINDOW) return 'old';
    return this.seen.has(c) ? 'replay' : 'ok';
  }
  accept(c: number): void {
    this.seen.add(c);
    this.top = Math.max(this.top, c);
  }
}

describe('ReplayFilter', () => {
  it('agrees with the plain model on any sequence (checks, accepts, several senders)', () => {
    // Counters near a moving base, so runs hit the window edges, big jumps and repeats.
    const op = fc.record({
      sender: fc.nat(2),
      step: fc.oneof(fc.integer({ min: -70, max: 70 }), fc.integer({ min: -200, max: 200 }), fc.constantFrom(-64, -63, 63, 64, 32, -32, 31, 33)),
      accept: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.maxSafeNat().map((x) => x % (COUNTER_MAX - 10_000) + 5000), fc.array(op, { minLength: 100, maxLength: 400 }), (start, ops) => {
        const f = new ReplayFilter(3);
        const models = [new Model(), new Model(), new Model()];
        const base = [start, start, start];
        for (const { sender, step, accept } of ops) {
          const c = Math.max(0, base[sender]! + step);
          const want = models[sender]!.check(c);
          expect(f.check(sender, c)).toBe(want);
          if (accept) {
            expect(f.accept(sender, c)).toBe(want === 'ok');
            if (want === 'ok') {
              models[sender]!.accept(c);
              base[sender] = Math.max(base[sender]!, c);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('shifts of 1, 31, 32, 33, 63 and 64 carry the bitmap across its two halves', () => {
    for (const shift of [1, 31, 32, 33, 63, 64]) {
      const f = new ReplayFilter(1);
      for (const c of [100, 99, 98, 70, 69, 37]) f.accept(0, c);
      f.accept(0, 100 + shift);
      for (let c = 100 + shift - 63; c <= 100 + shift; c++) {
        const seen = c === 100 + shift || [100, 99, 98, 70, 69, 37].includes(c);
        expect(f.check(0, c), `shift ${shift}, counter ${c}`).toBe(seen ? 'replay' : 'ok');
      }
      expect(f.check(0, 100 + shift - 64)).toBe('old');
    }
  });

  it('in-window out of order once each; below the window old; check alone moves nothing', () => {
    const f = new ReplayFilter(1);
    expect(f.check(0, 1000)).toBe('ok');
    expect(f.check(0, 1000)).toBe('ok'); // not accepted yet: a forged frame cannot move the window
    expect(f.highest(0)).toBeUndefined();
    f.accept(0, 1000);
    expect(f.check(0, 1000)).toBe('replay');
    for (const c of [937, 999, 968, 969]) {
      expect(f.check(0, c)).toBe('ok');
      expect(f.accept(0, c)).toBe(true);
      expect(f.check(0, c)).toBe('replay');
    }
    expect(f.check(0, 936)).toBe('old');
    expect(f.accept(0, 936)).toBe(false);
    expect(f.highest(0)).toBe(1000);
  });

  it('counters up to 2^48−1', () => {
    const f = new ReplayFilter(1);
    expect(f.accept(0, COUNTER_MAX)).toBe(true);
    expect(f.check(0, COUNTER_MAX)).toBe('replay');
    expect(f.check(0, COUNTER_MAX - 63)).toBe('ok');
    expect(f.check(0, COUNTER_MAX - 64)).toBe('old');
    expect(f.accept(0, COUNTER_MAX + 1)).toBe(false);
  });

  it('memory is fixed by the member count; a sender index outside it is a programming error', () => {
    const f = new ReplayFilter(5);
    expect(() => f.check(5, 1)).toThrow(RangeError);
    expect(() => new ReplayFilter(0)).toThrow(RangeError);
    expect(() => new ReplayFilter(257)).toThrow(RangeError);
  });

  it('snapshot/restore: a rebooted receiver refuses at or below the floors', () => {
    const f = new ReplayFilter(3);
    f.accept(0, 100);
    f.accept(2, 7);
    const snap = f.snapshot();
    expect(snap).toEqual([100, null, 7]);
    const g = new ReplayFilter(3);
    g.restore(snap);
    expect(g.check(0, 100)).toBe('replay');
    expect(g.check(0, 37)).toBe('replay');
    expect(g.check(0, 36)).toBe('old');
    expect(g.check(0, 101)).toBe('ok');
    expect(g.check(1, 0)).toBe('ok');
    g.restore([50, 'x' as unknown as number, -1]); // lower floors and junk change nothing
    expect(g.highest(0)).toBe(100);
    expect(g.highest(2)).toBe(7);
  });
});
