import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ADCS_MODES } from '../../../emulator/world/attitude.js';
import { createRng } from '../../../emulator/world/rng.js';
import {
  createThermalModel,
  createThermalState,
  DEFAULT_THERMAL_CONFIG,
  earthViewFactor,
  STEFAN_BOLTZMANN,
  stepThermal,
  ZERO_CELSIUS_K,
  type ThermalInputs,
  type ThermalState,
} from '../../../emulator/world/thermal.js';
import { createWorld, defaultInputs, stepWorld, type SatelliteWorld, type WorldInputs } from '../../../emulator/world/world.js';

const temps = (t: ThermalState): number[] => [t.obcC, t.batteryC, t.payloadC, t.radioC];

const inputsArb: fc.Arbitrary<WorldInputs> = fc.record({
  payloadOn: fc.boolean(),
  payloadDuty: fc.double({ min: 0, max: 1, noNaN: true }),
  heaterOn: fc.boolean(),
  adcsMode: fc.constantFrom(...ADCS_MODES),
  obcCpu: fc.double({ min: 0, max: 1, noNaN: true }),
  radioTransmitting: fc.boolean(),
  shed: fc.record({ payload: fc.boolean(), heater: fc.boolean(), radio: fc.boolean(), adcs: fc.boolean() }, { requiredKeys: [] }),
  faults: fc.record({ heaterStuckOn: fc.boolean(), cellLoss: fc.integer({ min: 0, max: 1 }), solarArrayLoss: fc.double({ min: 0, max: 1, noNaN: true }) }, { requiredKeys: [] }),
});

/** Run until the satellite leaves the next eclipse. */
function throughEclipse(w: SatelliteWorld, inputs: WorldInputs): SatelliteWorld {
  const rng = createRng(1);
  while (w.lit) w = stepWorld(w, inputs, 5, rng);
  while (!w.lit) w = stepWorld(w, inputs, 5, rng);
  return w;
}

describe('thermal', () => {
  it('temperatures stay within −60..+120 °C over many orbits for any inputs and dt ≤ 10 s (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(inputsArb, fc.integer({ min: 60, max: 6000 })), { minLength: 1, maxLength: 8 }),
        fc.double({ min: 0.5, max: 10, noNaN: true }),
        fc.integer({ min: 0, max: 360 }),
        fc.double({ min: -40, max: 60, noNaN: true }),
        (schedule, dt, raan, t0) => {
          let w = createWorld({ orbit: { raanDeg: raan }, initial: { temperatureC: t0 } });
          const rng = createRng(3);
          const endS = 10 * w.orbit.periodS;
          let k = 0;
          let segEnd = schedule[0]![1];
          while (w.tS < endS) {
            if (w.tS >= segEnd) {
              k = (k + 1) % schedule.length;
              segEnd += schedule[k]![1];
            }
            w = stepWorld(w, schedule[k]![0], dt, rng);
            for (const c of temps(w.thermal)) if (!(c > -60 && c < 120)) return false;
          }
          return true;
        },
      ),
      { numRuns: 12 },
    );
  });

  it('stays bounded and consistent when one call covers a long dt (sub-stepping)', () => {
    const model = createThermalModel(DEFAULT_THERMAL_CONFIG);
    expect(model.maxSubstepS).toBeGreaterThan(10); // dt ≤ 10 s is a single Euler step
    const hot: ThermalInputs = { solarW_m2: 1361, earthIrW_m2: 70, albedoW_m2: 100, obcW: 3, batteryW: 2, payloadW: 6, radioW: 4 };
    let fine = createThermalState(model, -50);
    for (let i = 0; i < 3600; i++) fine = stepThermal(fine, hot, 1);
    const coarse = stepThermal(createThermalState(model, -50), hot, 3600);
    temps(coarse).forEach((c, i) => expect(Math.abs(c - temps(fine)[i]!)).toBeLessThan(1));
    // Even absurd steps stay physical.
    const huge = stepThermal(createThermalState(model, 20), hot, 1e7);
    for (const c of temps(huge)) {
      expect(c).toBeGreaterThan(-100);
      expect(c).toBeLessThan(150);
    }
  });

  it('reaches radiative equilibrium: absorbed + dissipated = emitted', () => {
    const model = createThermalModel(DEFAULT_THERMAL_CONFIG);
    const inp: ThermalInputs = { solarW_m2: 1361, earthIrW_m2: 74, albedoW_m2: 40, obcW: 2, batteryW: 0, payloadW: 3, radioW: 0.3 };
    let s = createThermalState(model, 0);
    for (let i = 0; i < 2000; i++) s = stepThermal(s, inp, 100);
    let absorbed = inp.obcW + inp.batteryW + inp.payloadW + inp.radioW;
    let emitted = 0;
    Object.values(DEFAULT_THERMAL_CONFIG.nodes).forEach((n, i) => {
      const tk = temps(s)[i]! + ZERO_CELSIUS_K;
      absorbed += n.absorptivity * n.areaM2 * (inp.solarW_m2 * 0.25 + inp.albedoW_m2) + n.emissivity * n.areaM2 * inp.earthIrW_m2;
      emitted += n.emissivity * n.areaM2 * STEFAN_BOLTZMANN * tk ** 4;
    });
    expect(emitted).toBeCloseTo(absorbed, 2);
  });

  it('Earth view factor at 500 km is about 0.31', () => {
    expect(earthViewFactor(6378137 + 500e3)).toBeCloseTo(0.313, 2);
  });

  it('battery is warmer after an eclipse with the heater on than off', () => {
    const start = createWorld({ initial: { temperatureC: 0 } });
    const off = throughEclipse(start, { ...defaultInputs(), heaterOn: false });
    const on = throughEclipse(start, { ...defaultInputs(), heaterOn: true });
    expect(on.thermal.batteryC - off.thermal.batteryC).toBeGreaterThan(1);
    // The stuck heater fault has the same effect as a commanded one.
    const stuck = throughEclipse(start, { ...defaultInputs(), faults: { heaterStuckOn: true } });
    expect(stuck.thermal.batteryC).toBeCloseTo(on.thermal.batteryC, 6);
  });

  it('payload node is warmer with the payload on', () => {
    const start = createWorld();
    const rng = createRng(1);
    let off = start;
    let on = start;
    for (let i = 0; i < 600; i++) {
      off = stepWorld(off, { ...defaultInputs(), adcsMode: 'sun_point' }, 10, rng);
      on = stepWorld(on, { ...defaultInputs(), adcsMode: 'sun_point', payloadOn: true, payloadDuty: 1 }, 10, rng);
    }
    expect(on.thermal.payloadC - off.thermal.payloadC).toBeGreaterThan(3);
    expect(on.thermal.payloadC - on.thermal.batteryC).toBeGreaterThan(0);
  });

  it('orbital temperature swing is cubesat-like (eclipse colder than sunlight)', () => {
    let w = createWorld();
    const rng = createRng(1);
    for (let i = 0; i < 6 * 570; i++) w = stepWorld(w, defaultInputs(), 10, rng); // settle
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < 570; i++) {
      w = stepWorld(w, defaultInputs(), 10, rng);
      min = Math.min(min, w.thermal.obcC);
      max = Math.max(max, w.thermal.obcC);
    }
    expect(max - min).toBeGreaterThan(5);
    expect(max - min).toBeLessThan(60);
    expect(min).toBeGreaterThan(-40);
    expect(max).toBeLessThan(60);
  });
});
