import type { Device } from '../../hal/index.js';
import { ADCS_MODES, senseGyro, senseMagnetometer, senseSun } from '../world/attitude.js';
import type { SheddableLoad } from '../world/power.js';
import { arg, makeDevice, refused, type DeviceHost, type DeviceSpec } from './host.js';

const round = (x: number, digits: number): number => {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
};
const SHEDDABLE: readonly SheddableLoad[] = ['payload', 'heater', 'radio', 'adcs'];

/**
 * The devices of PROTOCOL.md §4, read from the satellite's world model. Rates are chosen for
 * a 10 Hz agent on a 115200 baud line: the IMU at 5 Hz, housekeeping at 1 Hz or slower.
 */
export const DEVICE_SPECS: readonly DeviceSpec[] = [
  {
    id: 'imu', type: 'sensor', rateHz: 5, fields: { gyro: 'rad/s' }, noise: 2.5e-4, latencyMs: 2,
    read: (h) => ({ gyro: senseGyro(h.world().attitude, h.rng).map((x) => round(x, 6)) }),
  },
  {
    id: 'mag', type: 'sensor', rateHz: 1, fields: { field: 'µT' }, noise: 0.1, latencyMs: 2,
    read: (h) => ({ field: senseMagnetometer(h.world().attitude, h.world().posEci, h.rng).map((x) => round(x, 3)) }),
  },
  {
    id: 'sun', type: 'sensor', rateHz: 1, fields: { vec: 'unit vector', lit: 'bool' }, noise: 0.01, latencyMs: 2,
    read: (h) => {
      const s = senseSun(h.world().attitude, h.world().sunEci, h.world().lit, h.rng);
      return { vec: s.vec.map((x) => round(x, 4)), lit: s.lit };
    },
  },
  {
    id: 'thermal', type: 'sensor', rateHz: 1, fields: { obc: '°C', battery: '°C', payload: '°C', radio: '°C' }, noise: 0.1, latencyMs: 3,
    read: (h) => {
      const t = h.world().thermal;
      const n = (c: number): number => round(c + 0.1 * h.rng.gaussian(), 2);
      return { obc: n(t.obcC), battery: n(t.batteryC), payload: n(t.payloadC), radio: n(t.radioC) };
    },
  },
  {
    id: 'eps', type: 'sensor+actuator', rateHz: 1, noise: 0.01, latencyMs: 4,
    fields: { batt_v: 'V', soc: '0..1', batt_a: 'A', solar_w: 'W', load_w: 'W' },
    read: (h) => {
      const p = h.world().power;
      return { batt_v: round(p.battV, 3), soc: round(p.soc, 4), batt_a: round(p.battA, 3), solar_w: round(p.solarW, 2), load_w: round(p.loadW, 2) };
    },
    ops: {
      shed: (h, args) => {
        const load = arg.oneOf(args, 'load', SHEDDABLE);
        if (refused(load)) return load;
        const on = arg.bool(args, 'on');
        if (refused(on)) return on;
        (h.inputs.shed ??= {})[load] = !on;
        return { ok: true };
      },
    },
  },
  {
    id: 'rad', type: 'sensor', rateHz: 0.2, fields: { dose_rate: 'µGy/h' }, noise: 0.5, latencyMs: 2,
    read: (h) => ({ dose_rate: round(Math.max(0, h.world().doseRateUGyH * (1 + 0.05 * h.rng.gaussian())), 2) }),
  },
  {
    id: 'heater', type: 'actuator', rateHz: 0.5, fields: { on: 'bool' }, noise: 0, latencyMs: 5,
    // The relay as commanded (or welded on by `heater_stuck_on`) and not shed at the EPS: the
    // same rule the power model applies at the next world step, so a read-back right after a
    // command already shows it (reading `power.heaterActive` lagged by up to one world step).
    read: (h) => ({ on: (h.inputs.heaterOn || h.inputs.faults?.heaterStuckOn === true) && !h.inputs.shed?.heater }),
    ops: {
      set: (h, args) => {
        const on = arg.bool(args, 'on');
        if (refused(on)) return on;
        h.inputs.heaterOn = on;
        return { ok: true };
      },
    },
  },
  {
    id: 'payload', type: 'actuator', rateHz: 0.5, fields: { on: 'bool', duty: '0..1' }, noise: 0, latencyMs: 5,
    read: (h) => ({ on: h.inputs.payloadOn && !h.inputs.shed?.payload, duty: h.inputs.payloadDuty }),
    ops: {
      set: (h, args) => {
        const on = arg.bool(args, 'on');
        if (refused(on)) return on;
        const duty = args.duty === undefined ? h.inputs.payloadDuty : arg.number(args, 'duty', 0, 1, '(fraction)');
        if (refused(duty)) return duty;
        h.inputs.payloadOn = on;
        h.inputs.payloadDuty = duty;
        return { ok: true };
      },
    },
  },
  {
    id: 'adcs', type: 'actuator', rateHz: 0.5, fields: { mode: 'text' }, noise: 0, latencyMs: 5,
    read: (h) => ({ mode: h.inputs.adcsMode }),
    ops: {
      mode: (h, args) => {
        const mode = arg.oneOf(args, 'mode', ADCS_MODES);
        if (refused(mode)) return mode;
        h.inputs.adcsMode = mode;
        return { ok: true };
      },
    },
  },
  {
    id: 'obc', type: 'actuator', rateHz: 0.5, fields: { cpu: '0..1' }, noise: 0, latencyMs: 3,
    read: (h) => ({ cpu: h.inputs.obcCpu }),
    ops: {
      throttle: (h, args) => {
        const cpu = arg.number(args, 'cpu', 0.05, 1, '(fraction of full speed)');
        if (refused(cpu)) return cpu;
        h.inputs.obcCpu = cpu;
        return { ok: true };
      },
    },
  },
  {
    id: 'radio', type: 'radio', rateHz: 0.2, fields: { link_up: 'bool', peers: 'count', tx_dbm: 'dBm' }, noise: 0, latencyMs: 5,
    read: (h) => ({ link_up: h.radio.linkUp(), peers: h.radio.peers(), tx_dbm: h.radio.txPowerDbm() }),
    ops: {
      tx_power: (h, args) => {
        const dbm = arg.number(args, 'dbm', 0, 33, 'dBm');
        if (refused(dbm)) return dbm;
        h.radio.setTxPower(dbm);
        return { ok: true };
      },
    },
  },
];

export const DEVICE_IDS = DEVICE_SPECS.map((s) => s.id);

export function createDevices(host: DeviceHost): Device[] {
  return DEVICE_SPECS.map((s) => makeDevice(host, s));
}
