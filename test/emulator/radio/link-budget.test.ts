import { describe, expect, it } from 'vitest';
import { DEFAULT_LINK_BUDGET, fsplDb, maxRangeM, rssiDbm } from '../../../emulator/radio/link-budget.js';

const C = 299_792_458;
/** FSPL from first principles: (4π d f / c)², in dB. */
const fsplPhysics = (dM: number, fHz: number): number => 20 * Math.log10((4 * Math.PI * dM * fHz) / C);

describe('link budget', () => {
  it('free-space path loss is 20·log10(d_km) + 20·log10(f_MHz) + 32.44 dB (≈ 20·log10(4πdf/c))', () => {
    expect(fsplDb(1_000_000, 437)).toBeCloseTo(60 + 20 * Math.log10(437) + 32.44, 9);
    expect(fsplDb(1_000_000, 437)).toBeCloseTo(145.25, 2);
    for (const [d, f] of [[1e3, 437], [5e5, 437], [4.9e6, 437], [1e6, 2400], [2e7, 145.8]] as const) {
      expect(Math.abs(fsplDb(d, f) - fsplPhysics(d, f * 1e6))).toBeLessThan(0.02);
    }
  });

  it('loss grows 6.02 dB per doubling of distance and 20 dB per decade', () => {
    expect(fsplDb(2_000_000, 437) - fsplDb(1_000_000, 437)).toBeCloseTo(6.0206, 3);
    expect(fsplDb(10_000_000, 437) - fsplDb(1_000_000, 437)).toBeCloseTo(20, 9);
    expect(fsplDb(1_000_000, 874) - fsplDb(1_000_000, 437)).toBeCloseTo(6.0206, 3);
  });

  it('received power = tx power + antenna gains − path loss', () => {
    const b = DEFAULT_LINK_BUDGET;
    expect(rssiDbm(1_000_000, 30, b)).toBeCloseTo(30 + 4 - fsplDb(1_000_000, 437), 9);
    expect(rssiDbm(1_000_000, 20, b)).toBeCloseTo(rssiDbm(1_000_000, 30, b) - 10, 9);
  });

  it('defaults (437 MHz, 30 dBm, 4 dBi, −125 dBm) reach ≈ 4 900 km, and the sensitivity holds exactly there', () => {
    const b = DEFAULT_LINK_BUDGET;
    expect(b).toMatchObject({ frequencyMhz: 437, txPowerDbm: 30, antennaGainsDbi: 4, sensitivityDbm: -125 });
    const r = maxRangeM(30, b);
    expect(r / 1000).toBeGreaterThan(4800);
    expect(r / 1000).toBeLessThan(5000);
    expect(rssiDbm(r, 30, b)).toBeCloseTo(-125, 6);
    expect(rssiDbm(r * 0.99, 30, b)).toBeGreaterThan(-125);
    expect(rssiDbm(r * 1.01, 30, b)).toBeLessThan(-125);
  });

  it('every 20 dB less transmit power divides the range by ten', () => {
    const b = DEFAULT_LINK_BUDGET;
    expect(maxRangeM(10, b)).toBeCloseTo(maxRangeM(30, b) / 10, 3);
    expect(maxRangeM(0, b) / 1000).toBeGreaterThan(140);
    expect(maxRangeM(0, b) / 1000).toBeLessThan(170);
  });

  it('path loss stays finite at zero distance (clamped to 1 m)', () => {
    expect(Number.isFinite(fsplDb(0, 437))).toBe(true);
    expect(fsplDb(0, 437)).toBe(fsplDb(1, 437));
  });
});
