import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  createAttitude,
  DEFAULT_ATTITUDE_CONFIG,
  dipoleFieldEci,
  panelIncidence,
  senseGyro,
  senseMagnetometer,
  senseSun,
  stepAttitude,
  sunAngleRad,
  sunInBody,
  type AdcsMode,
  type AttitudeInputs,
  type AttitudeState,
} from '../../../emulator/world/attitude.js';
import { createOrbit, positionEci, R_EARTH, velocityEci } from '../../../emulator/world/orbit.js';
import { createRng, type Rng } from '../../../emulator/world/rng.js';
import { DEG, norm, normalize, rotate, type Vec3 } from '../../../emulator/world/vec.js';

const orbit = createOrbit({ altitudeKm: 500, inclinationDeg: 97.4 });
const sun = normalize([0.3, -0.5, 0.8]);
const rate = (s: AttitudeState): number => norm(s.ratesRadS as Vec3);

function run(s: AttitudeState, mode: AdcsMode, seconds: number, dt: number, rng: Rng, extra: Partial<AttitudeInputs> = {}, t0 = 0): AttitudeState {
  const inputs: AttitudeInputs = { mode, powered: true, wheelsFailed: false, ...extra };
  for (let t = t0; t < t0 + seconds; t += dt) {
    s = stepAttitude(s, inputs, { sunEci: sun, posEci: positionEci(orbit, t + dt), velEci: velocityEci(orbit, t + dt) }, dt, rng);
  }
  return s;
}

describe('attitude', () => {
  it('starts tumbling at a few deg/s, seeded', () => {
    const a = createAttitude(DEFAULT_ATTITUDE_CONFIG, createRng(1));
    const b = createAttitude(DEFAULT_ATTITUDE_CONFIG, createRng(1));
    expect(a).toEqual(b);
    expect(rate(a) / DEG).toBeGreaterThan(0.3);
    expect(rate(a) / DEG).toBeLessThan(6);
    expect(Math.hypot(...a.q)).toBeCloseTo(1, 12);
  });

  it('detumble removes > 90 % of the rate within 3 time constants (property over seeds and dt)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom(0.1, 1, 10), (seed, dt) => {
        const rng = createRng(seed);
        const s0 = createAttitude(DEFAULT_ATTITUDE_CONFIG, rng);
        const s1 = run(s0, 'detumble', 3 * DEFAULT_ATTITUDE_CONFIG.detumbleTauS, dt, rng);
        expect(rate(s1)).toBeLessThan(0.1 * rate(s0));
        expect(Math.hypot(...s1.q)).toBeCloseTo(1, 9);
      }),
      { numRuns: 20 },
    );
  });

  it('sun_point from a tumble brings the sun angle error below 2° and holds it', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rng = createRng(seed);
      let s = createAttitude(DEFAULT_ATTITUDE_CONFIG, rng);
      s = run(s, 'sun_point', 1800, 1, rng);
      expect(sunAngleRad(s, sun) / DEG).toBeLessThan(2);
      expect(panelIncidence(s, sun, true)).toBeGreaterThan(0.999);
      expect(panelIncidence(s, sun, false)).toBe(0);
      const b = sunInBody(s, sun);
      expect(b[2]).toBeGreaterThan(0.999);
      s = run(s, 'sun_point', 600, 10, rng, {}, 1800);
      expect(sunAngleRad(s, sun) / DEG).toBeLessThan(1);
    }
  });

  it('nadir points +Z to zenith (payload face down) and turns at the orbital rate', () => {
    const rng = createRng(9);
    let s = createAttitude(DEFAULT_ATTITUDE_CONFIG, rng);
    s = run(s, 'nadir', 2400, 1, rng);
    const t = 2400;
    const z = rotate(s.q, [0, 0, 1]);
    const up = normalize(positionEci(orbit, t));
    expect(Math.acos(Math.min(1, z[0] * up[0] + z[1] * up[1] + z[2] * up[2])) / DEG).toBeLessThan(2);
    expect(rate(s)).toBeCloseTo(orbit.meanMotionRadS, 4);
  });

  it('failed wheels: pointing modes only damp, the error is not removed', () => {
    const rng = createRng(4);
    const s0 = createAttitude(DEFAULT_ATTITUDE_CONFIG, rng);
    const s = run(s0, 'sun_point', 1800, 1, rng, { wheelsFailed: true });
    expect(s.mode).toBe('sun_point');
    expect(rate(s)).toBeLessThan(rate(s0));
    expect(sunAngleRad(s, sun)).toBeCloseTo(sunAngleRad(run(s0, 'detumble', 1800, 1, createRng(4)), sun), 9);
  });

  it('unpowered ADCS drifts like idle; idle drift is slight', () => {
    const rng = createRng(2);
    const s0 = { ...createAttitude(DEFAULT_ATTITUDE_CONFIG, rng), ratesRadS: [0, 0, 0] as Vec3 };
    const s = run(s0, 'sun_point', 3600, 1, rng, { powered: false });
    expect(s.mode).toBe('idle');
    expect(rate(s)).toBeGreaterThan(0);
    expect(rate(s) / DEG).toBeLessThan(0.5);
  });

  it('a tumbling panel averages about a quarter of full incidence (over many random tumbles)', () => {
    // One tumble spins about a fixed axis, so its +Z sweeps a cone that may never see the Sun;
    // averaged over random orientations and axes the mean incidence of a one-sided panel is 1/4.
    let sum = 0;
    let count = 0;
    for (let seed = 0; seed < 200; seed++) {
      const rng = createRng(seed);
      let s = createAttitude(DEFAULT_ATTITUDE_CONFIG, rng);
      for (let i = 0; i < 100; i++) {
        s = run(s, 'idle', 1, 1, rng, {}, i);
        sum += panelIncidence(s, sun, true);
        count++;
      }
    }
    expect(sum / count).toBeGreaterThan(0.18);
    expect(sum / count).toBeLessThan(0.32);
  });

  it('dipole field: 20–65 µT along a 500 km orbit, ~25 µT at the equator, ~50 µT at the poles, northward at the equator', () => {
    const rng = createRng(1);
    const s = createAttitude(DEFAULT_ATTITUDE_CONFIG, rng);
    let min = Infinity;
    let max = 0;
    for (let t = 0; t < orbit.periodS; t += 10) {
      const m = norm(senseMagnetometer(s, positionEci(orbit, t), rng));
      min = Math.min(min, m);
      max = Math.max(max, m);
    }
    expect(min).toBeGreaterThan(20);
    expect(max).toBeLessThan(65);
    const r = R_EARTH + 500e3;
    const eq = dipoleFieldEci([r, 0, 0]);
    expect(norm(eq) * 1e6).toBeCloseTo(31.2 * (R_EARTH / r) ** 3, 6);
    expect(eq[2]).toBeGreaterThan(0);
    expect(norm(dipoleFieldEci([0, 0, r])) / norm(eq)).toBeCloseTo(2, 9);
    // Magnitude does not depend on attitude (rotation only).
    const p = positionEci(orbit, 500);
    const noiseless = (st: AttitudeState): number => norm(senseMagnetometer(st, p, rng, 0));
    expect(noiseless(s)).toBeCloseTo(norm(dipoleFieldEci(p)) * 1e6, 9);
  });

  it('gyro reads true rate + bias + noise', () => {
    const rng = createRng(5);
    const s = { ...createAttitude(DEFAULT_ATTITUDE_CONFIG, rng), ratesRadS: [0.01, -0.02, 0.03] as Vec3 };
    const bias: Vec3 = [0.001, 0, -0.001];
    const n = 5000;
    const mean: Vec3 = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const g = senseGyro(s, rng, 2.5e-4, bias);
      mean[0] += g[0] / n;
      mean[1] += g[1] / n;
      mean[2] += g[2] / n;
    }
    expect(mean[0]).toBeCloseTo(0.011, 4);
    expect(mean[1]).toBeCloseTo(-0.02, 4);
    expect(mean[2]).toBeCloseTo(0.029, 4);
    expect(senseGyro(s, rng, 0)).toEqual([0.01, -0.02, 0.03]);
  });

  it('sun sensor: unit body vector when lit, zero vector in shadow', () => {
    const rng = createRng(6);
    const s = createAttitude(DEFAULT_ATTITUDE_CONFIG, rng);
    const lit = senseSun(s, sun, true, rng);
    expect(lit.lit).toBe(true);
    expect(norm(lit.vec)).toBeCloseTo(1, 12);
    const truth = sunInBody(s, sun);
    expect(lit.vec[0] * truth[0] + lit.vec[1] * truth[1] + lit.vec[2] * truth[2]).toBeGreaterThan(Math.cos(5 * DEG));
    expect(senseSun(s, sun, false, rng)).toEqual({ vec: [0, 0, 0], lit: false });
  });
});
