import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_RADIATION_CONFIG, doseRateUGyH, sampleDoseRate } from '../../../emulator/world/radiation.js';
import { createRng } from '../../../emulator/world/rng.js';
import { DEG } from '../../../emulator/world/vec.js';

const at = (latDeg: number, lonDeg: number): number => doseRateUGyH(latDeg * DEG, lonDeg * DEG);

describe('radiation', () => {
  it('dose rate inside the SAA is far above outside it', () => {
    const inside = at(-25, -50);
    for (const [lat, lon] of [
      [0, 100],
      [0, 0],
      [45, -50],
      [-25, 130],
      [30, 60],
    ] as const) {
      expect(inside / at(lat, lon)).toBeGreaterThan(10);
    }
    expect(inside / DEFAULT_RADIATION_CONFIG.backgroundEquatorUGyH).toBeGreaterThan(10);
    expect(inside / DEFAULT_RADIATION_CONFIG.backgroundEquatorUGyH).toBeLessThan(60);
  });

  it('background rises with |latitude| away from the SAA', () => {
    expect(at(80, 100)).toBeGreaterThan(at(40, 100));
    expect(at(40, 100)).toBeGreaterThan(at(0, 100));
    expect(at(-80, 100)).toBeCloseTo(at(80, 100), 9);
  });

  it('is positive, finite and continuous across the date line (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -90, max: 90, noNaN: true }), fc.double({ min: -720, max: 720, noNaN: true }), (lat, lon) => {
        const v = at(lat, lon);
        expect(v).toBeGreaterThan(0);
        expect(Number.isFinite(v)).toBe(true);
        expect(at(lat, lon + 360)).toBeCloseTo(v, 6);
      }),
    );
    expect(at(-25, 179.999)).toBeCloseTo(at(-25, -180), 3);
  });

  it('noisy samples are non-negative, seeded and centred on the model', () => {
    const a = createRng(3);
    const b = createRng(3);
    let sum = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const x = sampleDoseRate(-25 * DEG, -50 * DEG, a);
      expect(x).toBe(sampleDoseRate(-25 * DEG, -50 * DEG, b));
      expect(x).toBeGreaterThanOrEqual(0);
      sum += x;
    }
    expect(sum / n / at(-25, -50)).toBeCloseTo(1, 1);
  });
});
