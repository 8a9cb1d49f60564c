import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  betaAngleRad,
  createOrbit,
  distanceM,
  elevationRad,
  inEclipse,
  lineOfSight,
  passWindows,
  positionEci,
  R_EARTH,
  subSatellitePoint,
  sunDirectionEci,
  sunForBetaAngle,
  velocityEci,
  type GroundStation,
} from '../../../emulator/world/orbit.js';
import { DEG, dot, norm, type Vec3 } from '../../../emulator/world/vec.js';

function eclipseFraction(betaDeg: number, altitudeKm = 500): number {
  const orbit = createOrbit({ altitudeKm, inclinationDeg: 97.4 });
  const sun = sunForBetaAngle(orbit, betaDeg);
  const n = 20_000;
  let dark = 0;
  for (let i = 0; i < n; i++) if (inEclipse(positionEci(orbit, (i / n) * orbit.periodS), sun)) dark++;
  return dark / n;
}

describe('orbit', () => {
  it('period matches Kepler (independent formula) and the textbook 94.6 min at 500 km', () => {
    const orbit = createOrbit({ altitudeKm: 500, inclinationDeg: 97.4 });
    const mu = 398600.4418; // km³/s²
    const a = 6378.137 + 500; // km
    const kepler = 2 * Math.PI * Math.sqrt((a * a * a) / mu);
    expect(Math.abs(orbit.periodS / kepler - 1)).toBeLessThan(0.005);
    expect(Math.abs(orbit.periodS / (94.6 * 60) - 1)).toBeLessThan(0.005);
  });

  it('radius stays constant, speed is √(μ/a), velocity ⟂ position (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 200, max: 2000, noNaN: true }),
        fc.double({ min: 0, max: 180, noNaN: true }),
        fc.double({ min: 0, max: 360, noNaN: true }),
        fc.double({ min: 0, max: 360, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (alt, inc, raan, phase, t) => {
          const o = createOrbit({ altitudeKm: alt, inclinationDeg: inc, raanDeg: raan, phaseDeg: phase });
          const r = positionEci(o, t);
          const v = velocityEci(o, t);
          expect(Math.abs(norm(r) - o.radiusM)).toBeLessThan(1e-6 * o.radiusM);
          expect(Math.abs(norm(v) - Math.sqrt(3.986004418e14 / o.radiusM))).toBeLessThan(1e-3);
          expect(Math.abs(dot(r, v)) / (norm(r) * norm(v))).toBeLessThan(1e-9);
        },
      ),
    );
  });

  it('returns to the same position after one period (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 300, max: 1200, noNaN: true }), fc.double({ min: 0, max: 5e4, noNaN: true }), (alt, t) => {
        const o = createOrbit({ altitudeKm: alt, inclinationDeg: 53, raanDeg: 40, phaseDeg: 10 });
        expect(distanceM(positionEci(o, t), positionEci(o, t + o.periodS))).toBeLessThan(1);
      }),
    );
  });

  it('velocity is the time derivative of position', () => {
    const o = createOrbit({ inclinationDeg: 51.6, raanDeg: 30, phaseDeg: 77 });
    const t = 1234;
    const h = 0.01;
    const a = positionEci(o, t - h);
    const b = positionEci(o, t + h);
    const v = velocityEci(o, t);
    expect((b[0] - a[0]) / (2 * h)).toBeCloseTo(v[0], 2);
    expect((b[1] - a[1]) / (2 * h)).toBeCloseTo(v[1], 2);
    expect((b[2] - a[2]) / (2 * h)).toBeCloseTo(v[2], 2);
  });

  it('ground track reaches latitude = 180° − inclination and drifts west with Earth rotation', () => {
    const o = createOrbit({ inclinationDeg: 97.4 });
    let maxLat = 0;
    for (let t = 0; t < o.periodS; t += 5) maxLat = Math.max(maxLat, subSatellitePoint(positionEci(o, t), t).latRad);
    expect(maxLat / DEG).toBeCloseTo(180 - 97.4, 1);
    // Ascending-node longitude after one orbit shifts west by ω_E·T ≈ 23.7°.
    const lon0 = subSatellitePoint(positionEci(o, 0), 0).lonRad;
    const lon1 = subSatellitePoint(positionEci(o, o.periodS), o.periodS).lonRad;
    expect((lon0 - lon1) / DEG).toBeCloseTo((7.2921159e-5 * o.periodS) / DEG, 3);
  });

  it('sun direction is a unit vector with the right declination through the year', () => {
    for (const d of [0, 80, 172, 266, 355]) expect(norm(sunDirectionEci(d))).toBeCloseTo(1, 12);
    expect(sunDirectionEci(80)[0]).toBeCloseTo(1, 6); // March equinox: along +x
    expect(Math.asin(sunDirectionEci(80 + 365.25 / 4)[2]) / DEG).toBeCloseTo(23.44, 2); // June solstice
  });

  it('eclipse fraction at 500 km with beta = 0 is the textbook ~35–38 %', () => {
    const f = eclipseFraction(0);
    expect(f).toBeGreaterThan(0.35);
    expect(f).toBeLessThan(0.38);
  });

  it('eclipse fraction falls with beta and vanishes beyond ~68°', () => {
    const f0 = eclipseFraction(0);
    const f45 = eclipseFraction(45);
    const f60 = eclipseFraction(60);
    expect(f45).toBeLessThan(f0);
    expect(f60).toBeLessThan(f45);
    expect(eclipseFraction(75)).toBe(0);
    const o = createOrbit({});
    expect(betaAngleRad(o, sunForBetaAngle(o, 30)) / DEG).toBeCloseTo(30, 9);
  });

  it('inEclipse: sunward side is lit, directly behind Earth is dark', () => {
    const sun: Vec3 = [1, 0, 0];
    const r = R_EARTH + 500e3;
    expect(inEclipse([r, 0, 0], sun)).toBe(false);
    expect(inEclipse([-r, 0, 0], sun)).toBe(true);
    expect(inEclipse([-r, R_EARTH * 1.01, 0], sun)).toBe(false);
  });

  it('a polar orbit over a high-latitude station gives several passes a day of a few to ~12 minutes', () => {
    const o = createOrbit({ altitudeKm: 500, inclinationDeg: 97.4 });
    const gs: GroundStation = { latDeg: 64.8, lonDeg: -147.7, minElevationDeg: 5 }; // Fairbanks-like
    const passes = passWindows(o, gs, 0, 86400);
    expect(passes.length).toBeGreaterThanOrEqual(4);
    expect(passes.length).toBeLessThanOrEqual(16);
    let longest = 0;
    let prevEnd = -Infinity;
    for (const p of passes) {
      expect(p.startS).toBeGreaterThan(prevEnd);
      expect(p.endS).toBeGreaterThan(p.startS);
      expect(p.durationS).toBeLessThan(13 * 60);
      expect(p.maxElevationDeg).toBeGreaterThanOrEqual(5);
      expect(p.maxElevationDeg).toBeLessThanOrEqual(90);
      const mid = (p.startS + p.endS) / 2;
      expect(elevationRad(positionEci(o, mid), gs, mid) / DEG).toBeGreaterThanOrEqual(5 - 1e-6);
      prevEnd = p.endS;
      longest = Math.max(longest, p.durationS);
    }
    expect(longest).toBeGreaterThan(8 * 60);
    const typical = passes.filter((p) => p.durationS > 3 * 60).length;
    expect(typical).toBeGreaterThanOrEqual(3);
    // Edges are refined: just outside a window the satellite is below the mask.
    const p0 = passes[0]!;
    if (p0.startS > 1) expect(elevationRad(positionEci(o, p0.startS - 1), gs, p0.startS - 1) / DEG).toBeLessThan(5);
  });

  it('a pass already in progress at the start of the span starts there', () => {
    const o = createOrbit({ altitudeKm: 500, inclinationDeg: 90, phaseDeg: 0 });
    // Station directly under the satellite at t = 0 (ascending node, lon 0).
    const passes = passWindows(o, { latDeg: 0, lonDeg: 0, minElevationDeg: 10 }, 0, 3000);
    expect(passes[0]!.startS).toBe(0);
    expect(passes[0]!.maxElevationDeg).toBeGreaterThan(85);
  });

  it('inter-satellite distance and line of sight with Earth occlusion', () => {
    const o1 = createOrbit({ phaseDeg: 0 });
    const o2 = createOrbit({ phaseDeg: 10 });
    const o3 = createOrbit({ phaseDeg: 180 });
    const a = positionEci(o1, 0);
    const b = positionEci(o2, 0);
    const c = positionEci(o3, 0);
    expect(distanceM(a, b)).toBeCloseTo(2 * o1.radiusM * Math.sin(5 * DEG), 3);
    expect(lineOfSight(a, b)).toBe(true);
    expect(lineOfSight(a, c)).toBe(false);
    expect(lineOfSight(a, a)).toBe(true);
    // Limit: the chord's lowest point is a·cos(Δ/2); visible while that exceeds R + 100 km.
    const limit = 2 * Math.acos((R_EARTH + 100e3) / o1.radiusM);
    const just = positionEci(createOrbit({ phaseDeg: limit / DEG - 0.5 }), 0);
    const past = positionEci(createOrbit({ phaseDeg: limit / DEG + 0.5 }), 0);
    expect(lineOfSight(a, just)).toBe(true);
    expect(lineOfSight(a, past)).toBe(false);
  });

  it('rejects a bad altitude', () => {
    expect(() => createOrbit({ altitudeKm: -5 })).toThrow(/altitudeKm/);
  });
});
