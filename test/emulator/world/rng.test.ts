import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createRng, deriveSeed } from '../../../emulator/world/rng.js';

describe('rng (xoshiro128**)', () => {
  it('same seed gives the same sequence; different seeds differ', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 100 }, () => a.next());
    const sb = Array.from({ length: 100 }, () => b.next());
    const sc = Array.from({ length: 100 }, () => c.next());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('next() is in [0, 1) for any seed', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const r = createRng(seed);
        for (let i = 0; i < 200; i++) {
          const x = r.next();
          if (!(x >= 0 && x < 1)) return false;
        }
        return true;
      }),
    );
  });

  it('uniform and gaussian moments are about right', () => {
    const r = createRng(7);
    const n = 50_000;
    let su = 0;
    let sg = 0;
    let sg2 = 0;
    for (let i = 0; i < n; i++) {
      su += r.next();
      const g = r.gaussian();
      sg += g;
      sg2 += g * g;
    }
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(Math.abs(sg / n)).toBeLessThan(0.02);
    expect(sg2 / n).toBeGreaterThan(0.97);
    expect(sg2 / n).toBeLessThan(1.03);
  });

  it('clone continues the same sequence independently', () => {
    const a = createRng(5);
    a.next();
    a.gaussian(); // leaves a spare normal cached
    const b = a.clone();
    expect([a.gaussian(), a.next(), a.next()]).toEqual([b.gaussian(), b.next(), b.next()]);
  });

  it('derived seeds are distinct for neighbouring indices', () => {
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => deriveSeed(1, i)));
    expect(seeds.size).toBe(1000);
  });
});
