import { describe, expect, it } from 'vitest';
import { VirtualClock, type DeviceInfo, type Sample, type ValueMap } from '../../../hal/index.js';
import { TelemetryStore } from '../../../firmware-agent/telemetry/store.js';

const dev = (id: string, rate_hz: number, fields: Record<string, string> = {}): DeviceInfo => ({ id, type: 'sensor', rate_hz, fields, ops: [] });
const DEVICES: DeviceInfo[] = [
  dev('imu', 10, { gyro: 'rad/s' }),
  dev('eps', 1, { soc: '1', batt_v: 'V' }),
  dev('mag', 2, { field: 'uT' }),
  dev('heater', 0, { on: 'bool' }),
  dev('adcs', 5, { mode: 'enum' }),
];
const sample = (d: string, val: ValueMap): Sample => ({ v: 1, kind: 'sample', seq: 0, time: 0, dev: d, at: 0, val });

function rig(helloAt = 1000, periods = 3) {
  const clock = new VirtualClock(0);
  const store = new TelemetryStore(clock, periods);
  clock.runUntil(helloAt);
  store.setDevices(DEVICES);
  return { clock, store };
}

describe('telemetry store', () => {
  it('flattens values to dev.field, keeps scalars as they are, and turns 3-vectors into magnitudes', () => {
    const { store } = rig();
    store.ingest(sample('imu', { gyro: [3, 4, 12] }));
    store.ingest(sample('mag', { field: [1, 2, 2] }));
    store.ingest(sample('eps', { soc: 0.5, batt_v: 7.9, charging: true, state: 'ok', fault: null }));
    store.ingest(sample('adcs', { mode: 'sun_point', q: [1, 0, 0, 0], nested: { a: 1 }, pair: [1, 2], mixed: [1, 'x', 3] }));
    const s = store.snapshot();
    expect(s.values).toEqual({
      'imu.rate': 13,
      'mag.field_norm': 3,
      'eps.soc': 0.5,
      'eps.batt_v': 7.9,
      'eps.charging': true,
      'eps.state': 'ok',
      'eps.fault': null,
      'adcs.mode': 'sun_point',
    });
    expect(store.value('eps', 'soc')).toBe(0.5);
    expect(store.value('imu', 'gyro')).toEqual([3, 4, 12]);
    expect(store.value('nope', 'x')).toBeUndefined();
    expect(store.received).toBe(4);
  });

  it('a newer sample replaces the device’s values entirely', () => {
    const { store } = rig();
    store.ingest(sample('eps', { soc: 0.5, batt_v: 7.9 }));
    store.ingest(sample('eps', { soc: 0.4 }));
    expect(store.snapshot().values).toEqual({ 'eps.soc': 0.4 });
  });

  it('ages are agent-clock ms since receipt (Infinity if never heard), snapshot `at` is now', () => {
    const { clock, store } = rig();
    store.ingest(sample('eps', { soc: 0.5 }));
    clock.advance(250);
    store.ingest(sample('imu', { gyro: [0, 0, 0] }));
    clock.advance(40);
    const s = store.snapshot();
    expect(s.at).toBe(1290);
    expect(s.ageMs).toEqual({ imu: 40, eps: 290, mag: Infinity, heater: Infinity, adcs: Infinity });
  });

  it('a device is stale when its sample is older than stale_after_periods of its own period', () => {
    const { clock, store } = rig(1000, 3);
    store.ingest(sample('imu', { gyro: [0, 0, 0] })); // 10 Hz: limit 300 ms
    store.ingest(sample('eps', { soc: 0.5 })); // 1 Hz: limit 3000 ms
    clock.advance(300);
    expect(store.snapshot().stale).toMatchObject({ imu: false, eps: false });
    clock.advance(1);
    expect(store.snapshot().stale).toMatchObject({ imu: true, eps: false });
    clock.advance(2699);
    expect(store.snapshot().stale.eps).toBe(false);
    clock.advance(1);
    expect(store.snapshot().stale.eps).toBe(true);
    // A fresh sample clears it at once; stale values stay listed.
    store.ingest(sample('imu', { gyro: [0, 0, 1] }));
    const s = store.snapshot();
    expect(s.stale.imu).toBe(false);
    expect(s.values['eps.soc']).toBe(0.5);
  });

  it('stale_after_periods scales the limit', () => {
    const { clock, store } = rig(0, 5);
    store.ingest(sample('imu', { gyro: [0, 0, 0] }));
    clock.advance(500);
    expect(store.snapshot().stale.imu).toBe(false);
    clock.advance(1);
    expect(store.snapshot().stale.imu).toBe(true);
  });

  it('a device never heard from is stale only once its limit has passed since the hello', () => {
    const { clock, store } = rig(5000);
    expect(store.snapshot().stale).toMatchObject({ imu: false, eps: false, mag: false, adcs: false });
    clock.advance(300);
    expect(store.snapshot().stale).toMatchObject({ imu: false, adcs: false });
    clock.advance(1);
    expect(store.snapshot().stale).toMatchObject({ imu: true, adcs: false, mag: false, eps: false });
    clock.advance(300);
    expect(store.snapshot().stale).toMatchObject({ adcs: true, mag: false });
    clock.advance(900);
    expect(store.snapshot().stale).toMatchObject({ mag: true, eps: false });
    clock.advance(1800);
    expect(store.snapshot().stale.eps).toBe(true);
  });

  it('a new hello restarts the never-heard clock', () => {
    const { clock, store } = rig(0);
    clock.advance(10_000);
    expect(store.snapshot().stale.imu).toBe(true);
    store.setDevices(DEVICES);
    expect(store.snapshot().stale.imu).toBe(false);
  });

  it('a device with rate 0 is stale while never heard, and never stale once heard', () => {
    const { clock, store } = rig();
    expect(store.snapshot().stale.heater).toBe(true);
    store.ingest(sample('heater', { on: false }));
    expect(store.snapshot().stale.heater).toBe(false);
    clock.advance(24 * 3600 * 1000);
    expect(store.snapshot().stale.heater).toBe(false);
    expect(store.snapshot().ageMs.heater).toBe(24 * 3600 * 1000);
  });

  it('only devices from the hello are in the snapshot; the device table is queryable', () => {
    const { store } = rig();
    store.ingest(sample('ghost', { x: 1 }));
    const s = store.snapshot();
    expect(Object.keys(s.stale).sort()).toEqual(['adcs', 'eps', 'heater', 'imu', 'mag']);
    expect(s.values).toEqual({});
    expect(store.hasDevice('imu')).toBe(true);
    expect(store.hasDevice('ghost')).toBe(false);
    expect(store.deviceInfo('eps')?.rate_hz).toBe(1);
    expect(store.deviceInfo('ghost')).toBeUndefined();
  });

  it('before any hello the snapshot is empty', () => {
    const store = new TelemetryStore(new VirtualClock(0), 3);
    store.ingest(sample('imu', { gyro: [1, 0, 0] }));
    expect(store.snapshot()).toEqual({ at: 0, values: {}, ageMs: {}, stale: {} });
  });

  it('clear() forgets every reading: no values, ages Infinity, staleness as if never heard', () => {
    const { clock, store } = rig(0);
    store.ingest(sample('imu', { gyro: [0, 0, 1] }));
    store.ingest(sample('heater', { on: true }));
    clock.advance(100);
    store.clear();
    const s = store.snapshot();
    expect(s.values).toEqual({});
    expect(Object.values(s.ageMs).every((a) => a === Infinity)).toBe(true);
    expect(s.stale.heater).toBe(true); // rate 0, never heard (again)
    expect(store.value('imu', 'gyro')).toBeUndefined();
    store.ingest(sample('imu', { gyro: [0, 0, 2] }));
    expect(store.snapshot().values).toEqual({ 'imu.rate': 2 });
  });
});
