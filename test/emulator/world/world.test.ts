import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ADCS_MODES } from '../../../emulator/world/attitude.js';
import { R_EARTH } from '../../../emulator/world/orbit.js';
import { createRng } from '../../../emulator/world/rng.js';
import { DEG, norm } from '../../../emulator/world/vec.js';
import {
  createWorld,
  DEFAULT_WORLD_CONFIG,
  defaultInputs,
  resolveWorldConfig,
  stepWorld,
  type SatelliteWorld,
  type WorldInputs,
} from '../../../emulator/world/world.js';

const inputsArb: fc.Arbitrary<WorldInputs> = fc.record({
  payloadOn: fc.boolean(),
  payloadDuty: fc.double({ min: 0, max: 1, noNaN: true }),
  heaterOn: fc.boolean(),
  adcsMode: fc.constantFrom(...ADCS_MODES),
  obcCpu: fc.double({ min: 0, max: 1, noNaN: true }),
  radioTransmitting: fc.boolean(),
});

function runFor(w: SatelliteWorld, inputs: WorldInputs, seconds: number, dt: number, seed = 1): SatelliteWorld {
  const rng = createRng(seed);
  const end = w.tS + seconds;
  while (w.tS < end - 1e-9) w = stepWorld(w, inputs, Math.min(dt, end - w.tS), rng);
  return w;
}

describe('world', () => {
  it('defaults: a 3U cubesat at 500 km, 97.4°, tumbling, 80 % charged, 20 °C', () => {
    const w = createWorld();
    expect(w.orbit.elements.altitudeKm).toBe(500);
    expect(w.orbit.elements.inclinationDeg).toBe(97.4);
    expect(w.altitudeM).toBeCloseTo(500e3, 3);
    expect(norm(w.posEci as [number, number, number])).toBeCloseTo(R_EARTH + 500e3, 3);
    expect(w.power.soc).toBe(0.8);
    expect(w.thermal.batteryC).toBe(20);
    expect(norm(w.attitude.ratesRadS as [number, number, number]) / DEG).toBeGreaterThan(0.3);
    expect(w.tS).toBe(0);
    expect(Object.isFrozen(w.config.power.battery)).toBe(true);
    expect(Object.isFrozen(DEFAULT_WORLD_CONFIG.orbit)).toBe(true);
  });

  it('config overrides merge deeply and invalid values are refused by field name', () => {
    const c = resolveWorldConfig({ orbit: { altitudeKm: 550 }, power: { battery: { capacityWh: 20 } } });
    expect(c.orbit.altitudeKm).toBe(550);
    expect(c.orbit.inclinationDeg).toBe(97.4);
    expect(c.power.battery.capacityWh).toBe(20);
    expect(c.power.battery.seriesCells).toBe(2);
    expect(DEFAULT_WORLD_CONFIG.power.battery.capacityWh).toBe(38);
    expect(() => createWorld({ power: { battery: { capacityWh: 0 } } })).toThrow(/power\.battery\.capacityWh/);
    expect(() => createWorld({ initial: { soc: 1.5 } })).toThrow(/initial\.soc/);
    expect(() => createWorld({ thermal: { nodes: { obc: { heatCapacityJPerK: Number.NaN } } } })).toThrow(/thermal\.nodes\.obc\.heatCapacityJPerK/);
    expect(() => createWorld({ orbit: { altitudeKm: -1 } })).toThrow(/altitudeKm/);
    const fixed = createWorld({ sun: { fixedEci: [0, 0, 2] } });
    expect(fixed.sunEci).toEqual([0, 0, 1]);
  });

  it('refuses a negative or non-finite dt; dt = 0 is a no-op in time', () => {
    const w = createWorld();
    const rng = createRng(1);
    expect(() => stepWorld(w, defaultInputs(), -1, rng)).toThrow(RangeError);
    expect(() => stepWorld(w, defaultInputs(), Number.NaN, rng)).toThrow(RangeError);
    expect(() => stepWorld(w, defaultInputs(), Infinity, rng)).toThrow(RangeError);
    const same = stepWorld(w, { ...defaultInputs(), adcsMode: 'detumble' }, 0, rng);
    expect(same.tS).toBe(0);
    expect(same.power.soc).toBe(w.power.soc);
    expect(same.thermal.obcC).toBe(w.thermal.obcC);
  });

  it('is deterministic: same seed and inputs give identical states (property)', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.array(fc.tuple(inputsArb, fc.double({ min: 0.05, max: 10, noNaN: true })), { minLength: 1, maxLength: 30 }),
        (seed, steps) => {
          const play = (): SatelliteWorld => {
            let w = createWorld({ seed });
            const rng = createRng(seed);
            for (let rep = 0; rep < 20; rep++) for (const [inputs, dt] of steps) w = stepWorld(w, inputs, dt, rng);
            return w;
          };
          expect(JSON.stringify(play())).toBe(JSON.stringify(play()));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('different seeds give different tumbles', () => {
    expect(createWorld({ seed: 1 }).attitude.ratesRadS).not.toEqual(createWorld({ seed: 2 }).attitude.ratesRadS);
  });

  it('sun-pointing charges the battery; a tumbling satellite running its payload drains it', () => {
    const w0 = createWorld({ initial: { soc: 0.5 } });
    const period = w0.orbit.periodS;
    const pointing = runFor(w0, { ...defaultInputs(), adcsMode: 'sun_point' }, 3 * period, 1);
    expect(pointing.power.soc).toBeGreaterThan(0.6);
    const tumbling = runFor(w0, { ...defaultInputs(), adcsMode: 'idle', payloadOn: true, payloadDuty: 1, radioTransmitting: true }, 3 * period, 1);
    expect(tumbling.power.soc).toBeLessThan(0.45);
  });

  it('eclipse zeroes solar power; sub-satellite point and dose are tracked', () => {
    let w = createWorld();
    const rng = createRng(1);
    let sawDark = false;
    let sawLit = false;
    for (let i = 0; i < 600; i++) {
      w = stepWorld(w, { ...defaultInputs(), adcsMode: 'sun_point' }, 10, rng);
      if (!w.lit) {
        sawDark = true;
        expect(w.power.solarW).toBe(0);
        expect(w.sunIncidence).toBe(0);
      } else sawLit = true;
      expect(Math.abs(w.latRad)).toBeLessThanOrEqual((180 - 97.4) * DEG + 1e-9);
    }
    expect(sawDark && sawLit).toBe(true);
    expect(w.doseUGy).toBeGreaterThan(0);
    // About one orbit at several µGy/h on average.
    expect(w.doseUGy).toBeGreaterThan(3);
    expect(w.doseUGy).toBeLessThan(200);
  });

  it('shedding the ADCS leaves the attitude uncontrolled (idle)', () => {
    const w = runFor(createWorld(), { ...defaultInputs(), adcsMode: 'detumble', shed: { adcs: true } }, 100, 1);
    expect(w.attitude.mode).toBe('idle');
    expect(w.power.loads.adcsW).toBe(0);
  });

  it('a large dt and many small ones agree on the slow states', () => {
    const w0 = createWorld();
    const inputs: WorldInputs = { ...defaultInputs(), adcsMode: 'detumble', payloadOn: true, payloadDuty: 0.5 };
    const fine = runFor(w0, inputs, 600, 0.1);
    const coarse = runFor(w0, inputs, 600, 10);
    expect(coarse.tS).toBeCloseTo(fine.tS, 6);
    expect(coarse.posEci[0]).toBeCloseTo(fine.posEci[0], 0);
    expect(Math.abs(coarse.thermal.payloadC - fine.thermal.payloadC)).toBeLessThan(0.2);
    expect(Math.abs(coarse.power.soc - fine.power.soc)).toBeLessThan(0.01);
  });
});
