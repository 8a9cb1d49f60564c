import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ADCS_MODES } from '../../../emulator/world/attitude.js';
import {
  cellOcv,
  createPowerState,
  DEFAULT_POWER_CONFIG,
  effectiveCapacityWh,
  packOcv,
  SOLAR_CONSTANT,
  stepPower,
  storedEnergyWh,
  type PowerInputs,
} from '../../../emulator/world/power.js';

const cfg = DEFAULT_POWER_CONFIG;
const base: PowerInputs = {
  sunIncidence: 0,
  payloadOn: false,
  payloadDuty: 0,
  heaterOn: false,
  radioTransmitting: false,
  obcCpu: 0,
  adcsMode: 'idle',
};

const inputsArb = fc.record({
  sunIncidence: fc.oneof(fc.double({ min: -1, max: 2, noNaN: false }), fc.constant(0), fc.constant(1)),
  payloadOn: fc.boolean(),
  payloadDuty: fc.double({ min: -1, max: 2 }),
  heaterOn: fc.boolean(),
  radioTransmitting: fc.boolean(),
  obcCpu: fc.double({ min: -1, max: 2 }),
  adcsMode: fc.constantFrom(...ADCS_MODES),
  shed: fc.record({ payload: fc.boolean(), heater: fc.boolean(), radio: fc.boolean(), adcs: fc.boolean() }, { requiredKeys: [] }),
  cellLoss: fc.integer({ min: 0, max: 3 }),
  heaterStuckOn: fc.boolean(),
  solarArrayLoss: fc.double({ min: -0.5, max: 1.5 }),
});

describe('power', () => {
  it('open-circuit voltage runs 6.0 V empty to 8.4 V full for the 2S pack, monotonically', () => {
    expect(packOcv(cfg.battery, 0)).toBeCloseTo(6.0, 9);
    expect(packOcv(cfg.battery, 1)).toBeCloseTo(8.4, 9);
    let prev = 0;
    for (let s = 0; s <= 1.0001; s += 0.01) {
      const v = cellOcv(cfg.battery.cellOcvCurve, s);
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
    expect(packOcv(cfg.battery, -3)).toBeCloseTo(6.0, 9);
    expect(packOcv(cfg.battery, 7)).toBeCloseTo(8.4, 9);
  });

  it('state of charge stays in [0, 1] for any inputs and dt (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1, max: 2 }),
        fc.array(fc.tuple(inputsArb, fc.double({ min: 0, max: 86400, noNaN: true })), { minLength: 1, maxLength: 40 }),
        (soc0, steps) => {
          let s = createPowerState(cfg, soc0);
          for (const [inputs, dt] of steps) {
            s = stepPower(s, inputs, dt);
            if (!(s.soc >= 0 && s.soc <= 1)) return false;
            if (![s.battV, s.battA, s.solarW, s.loadW, s.batteryW, s.shuntW].every(Number.isFinite)) return false;
            if (!(s.supplyRatio >= 0 && s.supplyRatio <= 1)) return false;
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('energy balance over one orbit: Δstored ≈ ∫(solar − load) within the charge/discharge efficiencies', () => {
    const periodS = 5677;
    const dt = 1;
    let s = createPowerState(cfg, 0.5);
    const e0 = storedEnergyWh(s);
    let netWh = 0;
    let chargeWh = 0;
    let drawWh = 0;
    for (let t = 0; t < periodS; t += dt) {
      const lit = t < 0.62 * periodS;
      s = stepPower(s, { ...base, sunIncidence: lit ? 0.8 : 0, payloadOn: true, payloadDuty: 0.5, obcCpu: 0.5, radioTransmitting: t % 600 < 60, adcsMode: 'sun_point' }, dt);
      netWh += ((s.solarW - s.loadW) * dt) / 3600;
      if (s.batteryW < 0) chargeWh += (-s.batteryW * dt) / 3600;
      else drawWh += (s.batteryW * dt) / 3600;
      expect(s.shuntW).toBe(0); // no clamping in this scenario
      expect(s.brownout).toBe(false);
    }
    const dE = storedEnergyWh(s) - e0;
    const b = cfg.battery;
    // Exact bookkeeping at the terminals…
    expect(dE).toBeCloseTo(b.chargeEfficiency * chargeWh - drawWh / b.dischargeEfficiency, 6);
    // …and against the raw solar − load integral, the only gap is the conversion losses.
    const losses = (1 - b.chargeEfficiency) * chargeWh + (1 / b.dischargeEfficiency - 1) * drawWh;
    expect(Math.abs(dE - netWh - -losses)).toBeLessThan(1e-6);
    expect(Math.abs(dE - netWh)).toBeLessThan(0.06 * (chargeWh + drawWh));
    expect(chargeWh).toBeGreaterThan(1);
    expect(drawWh).toBeGreaterThan(1);
  });

  it('solar power is S·A·η·incidence, zero in eclipse', () => {
    const lit = stepPower(createPowerState(cfg, 0.5), { ...base, sunIncidence: 1 }, 1);
    expect(lit.solarW).toBeCloseTo(SOLAR_CONSTANT * cfg.solar.areaM2 * cfg.solar.efficiency, 9);
    const half = stepPower(createPowerState(cfg, 0.5), { ...base, sunIncidence: 1, solarArrayLoss: 0.5 }, 1);
    expect(half.solarW).toBeCloseTo(lit.solarW / 2, 9);
    expect(stepPower(createPowerState(cfg, 0.5), { ...base, sunIncidence: 0 }, 1).solarW).toBe(0);
  });

  it('load adds up per device: payload × duty, heater, radio tx/idle, OBC base + cpu', () => {
    const l = cfg.loads;
    const s = stepPower(
      createPowerState(cfg, 0.5),
      { ...base, payloadOn: true, payloadDuty: 0.25, heaterOn: true, radioTransmitting: true, obcCpu: 0.5, adcsMode: 'nadir' },
      1,
    );
    expect(s.loads.payloadW).toBeCloseTo(l.payloadW * 0.25, 12);
    expect(s.loads.heaterW).toBe(l.heaterW);
    expect(s.loads.radioW).toBe(l.radioTxW);
    expect(s.loads.obcW).toBeCloseTo(l.obcBaseW + 0.5 * l.obcPerCpuW, 12);
    expect(s.loadW).toBeCloseTo(l.payloadW * 0.25 + l.heaterW + l.radioTxW + l.obcBaseW + 0.5 * l.obcPerCpuW + l.adcsW.nadir + l.epsW, 12);
    const shed = stepPower(
      createPowerState(cfg, 0.5),
      { ...base, payloadOn: true, payloadDuty: 1, heaterOn: true, radioTransmitting: true, shed: { payload: true, heater: true, radio: true, adcs: true } },
      1,
    );
    expect(shed.loadW).toBeCloseTo(l.obcBaseW + l.epsW, 12);
  });

  it('terminal voltage sags when discharging and rises when charging; current sign: + = discharging', () => {
    const dis = stepPower(createPowerState(cfg, 0.5), { ...base, payloadOn: true, payloadDuty: 1 }, 1);
    expect(dis.battA).toBeGreaterThan(0);
    expect(dis.battV).toBeLessThan(packOcv(cfg.battery, dis.soc));
    expect(dis.battV * dis.battA).toBeCloseTo(dis.batteryW, 9);
    const chg = stepPower(createPowerState(cfg, 0.5), { ...base, sunIncidence: 1 }, 1);
    expect(chg.battA).toBeLessThan(0);
    expect(chg.battV).toBeGreaterThan(packOcv(cfg.battery, chg.soc));
    expect(chg.soc).toBeGreaterThan(0.5);
  });

  it('charge limit and full battery shunt the surplus', () => {
    const big = { ...cfg, solar: { areaM2: 1, efficiency: 0.3 } };
    const s = stepPower(createPowerState(big, 0.5), { ...base, sunIncidence: 1 }, 1);
    expect(-s.batteryW).toBeCloseTo(cfg.battery.maxChargeW, 9);
    expect(s.shuntW).toBeGreaterThan(0);
    const full = stepPower(createPowerState(cfg, 1), { ...base, sunIncidence: 1 }, 10);
    expect(full.soc).toBe(1);
    expect(full.batteryW).toBe(0);
    expect(full.shuntW).toBeCloseTo(full.solarW - full.loadW, 9);
  });

  it('an empty battery in eclipse browns out; SoC stays at 0', () => {
    let s = createPowerState(cfg, 0.001);
    for (let i = 0; i < 100; i++) s = stepPower(s, { ...base, payloadOn: true, payloadDuty: 1 }, 60);
    expect(s.soc).toBe(0);
    expect(s.brownout).toBe(true);
    expect(s.supplyRatio).toBe(0);
  });

  it('cellLoss: a shorted cell removes capacity and voltage', () => {
    expect(effectiveCapacityWh(cfg.battery, 1)).toBeCloseTo(cfg.battery.capacityWh / 2, 9);
    expect(packOcv(cfg.battery, 1, 1)).toBeCloseTo(4.2, 9);
    expect(packOcv(cfg.battery, 1, 5)).toBeCloseTo(4.2, 9); // clamped: one cell always remains
    const healthy = stepPower(createPowerState(cfg, 0.6), { ...base }, 1);
    const lost = stepPower(createPowerState(cfg, 0.6), { ...base, cellLoss: 1 }, 1);
    expect(lost.battV).toBeLessThan(healthy.battV * 0.6);
    expect(storedEnergyWh(lost, 1)).toBeLessThan(storedEnergyWh(healthy, 0) * 0.6);
    expect(lost.battA).toBeGreaterThan(healthy.battA * 1.8); // same power at half the voltage
  });

  it('heaterStuckOn heats regardless of the command; shedding the heater line cuts it', () => {
    const stuck = stepPower(createPowerState(cfg, 0.5), { ...base, heaterOn: false, heaterStuckOn: true }, 1);
    expect(stuck.heaterActive).toBe(true);
    expect(stuck.loads.heaterW).toBe(cfg.loads.heaterW);
    const cut = stepPower(createPowerState(cfg, 0.5), { ...base, heaterStuckOn: true, shed: { heater: true } }, 1);
    expect(cut.heaterActive).toBe(false);
  });

  it('dt = 0 changes nothing stored', () => {
    const s0 = createPowerState(cfg, 0.42);
    expect(stepPower(s0, { ...base, payloadOn: true, payloadDuty: 1 }, 0).soc).toBe(0.42);
  });
});
