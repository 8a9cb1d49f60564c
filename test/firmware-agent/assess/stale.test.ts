import { describe, expect, it } from 'vitest';
import { Assessor } from '../../../firmware-agent/assess/assessor.js';
import { clearedAt, raisedAt, Rig, runLoop, wps } from './helpers.js';

const thermalStale = (n = 1, m = 1) =>
  wps({ kind: 'stale', id: 'thermal_stale', field: 'thermal', subsystem: 'thermal', severity: 'warning', persistence: { n, m } });

describe('stale watchpoints', () => {
  it('raises when the device is stale, clears on the first fresh cycle', () => {
    const a = new Assessor(thermalStale());
    const rig = new Rig();
    const r = runLoop(a, rig, 40, (i, h) => {
      if (i === 0) h.sample('thermal', { payload: 20 });
      if (i === 10) h.setStale('thermal', true);
      if (i === 20) h.setStale('thermal', false).sample('thermal', { payload: 20 });
    });
    expect(raisedAt(r, 'thermal_stale:stale')).toEqual([10]);
    expect(clearedAt(r, 'thermal_stale:stale')).toEqual([20]);
    const an = r[10]!.raised[0]!;
    expect(an).toMatchObject({ id: 'thermal_stale', signature: 'thermal_stale:stale', subsystem: 'thermal', severity: 'warning', since: 1000, value: null });
    expect(an.detail).toBe('thermal data stale: last sample 1000 ms old');
  });

  it('n of m: a flickering stale flag raises when it is stale in n of the last m cycles', () => {
    const a = new Assessor(thermalStale(3, 5));
    const flags = [false, true, false, true, false, true, true];
    const r = flags.map((s, i) => a.assess({ at: i * 100, values: {}, ageMs: { thermal: s ? 5000 : 0 }, stale: { thermal: s } }));
    expect(raisedAt(r, 'thermal_stale:stale')).toEqual([5]);
    expect(r[6]!.anomalies).toHaveLength(1);
  });

  it('a device never heard from is stale with "no sample yet"', () => {
    const a = new Assessor(thermalStale());
    const r = a.assess(new Rig().declare('thermal').snapshot());
    expect(r.raised[0]!.detail).toBe('thermal data stale: no sample yet');
  });

  it('a device absent from the snapshot (not on this hardware) is not evaluated', () => {
    const a = new Assessor(thermalStale());
    const rig = new Rig();
    const r = runLoop(a, rig, 10, (i, h) => {
      if (i === 0) h.sample('eps', { soc: 0.9 });
    });
    expect(r.every((x) => x.anomalies.length === 0)).toBe(true);
  });
});
