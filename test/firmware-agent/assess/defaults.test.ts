import { describe, expect, it } from 'vitest';
import { Assessor } from '../../../firmware-agent/assess/assessor.js';
import { agentConfigSchema, DEFAULT_WATCHPOINTS } from '../../../firmware-agent/config/schema.js';
import { parseAgentConfig } from '../../../firmware-agent/config/load.js';
import { clearedAt, raisedAt, Rig, runLoop } from './helpers.js';

/** Nominal readings for the PROTOCOL.md §4 sensors at their rates; `soc(s)` lets a test drain the battery. */
function nominal(soc: (s: number) => number = () => 0.8) {
  return (i: number, rig: Rig) => {
    const s = i / 10;
    if (i % 10 === 0) {
      rig.sample('eps', { batt_v: 7.6, soc: soc(s), batt_a: 0.4, solar_w: 12, load_w: 6 });
      rig.sample('thermal', { obc: 32, battery: 18 + 0.01 * s, payload: 24 + 0.02 * s, radio: 22 });
    }
    rig.sample('imu', { rate: 0.01 }); // 10 Hz
    if (i % 100 === 0) rig.sample('rad', { dose_rate: 15 });
  };
}

describe('DEFAULT_WATCHPOINTS', () => {
  const wps = agentConfigSchema.parse({ watchpoints: DEFAULT_WATCHPOINTS }).watchpoints;

  it('parse through agentConfigSchema and compile', () => {
    expect(wps).toHaveLength(15);
    expect(wps.every((w) => w.persistence !== undefined && w.severity !== undefined)).toBe(true);
    expect(() => new Assessor(wps)).not.toThrow();
  });

  it('the schema default path (agentConfigSchema.parse({}), frozen loader) works too', () => {
    // The loader's default table, parsed and frozen, must behave exactly like the table given.
    const fromDefault = parseAgentConfig({}).watchpoints;
    const a = new Assessor(fromDefault);
    const b = new Assessor(wps);
    const script = nominal((s) => (50 - s) / 100);
    const ra = runLoop(a, new Rig(), 400, script);
    const rb = runLoop(b, new Rig(), 400, script);
    expect(ra).toEqual(rb);
    expect(ra[399]!.anomalies.map((x) => x.id)).toEqual(['soc_critical', 'soc_low']);
  });

  it('a bad entry is refused with its path', () => {
    expect(() => new Assessor([{ kind: 'limit', id: 'x', field: 'eps.soc', subsystem: 'power', low: 0.2, persistence: { n: 4, m: 2 } }])).toThrow(
      /watchpoints\.0\.persistence: n must be <= m/,
    );
  });

  it('a nominal minute raises nothing', () => {
    const r = runLoop(new Assessor(wps), new Rig(), 600, nominal());
    expect(r.every((x) => x.anomalies.length === 0 && x.overall === 1)).toBe(true);
  });

  it('a draining battery raises soc_low, then soc_critical; charging clears them with hysteresis', () => {
    // soc = 0.50 − 0.01/s for 40 s, then +0.01/s
    const soc = (s: number) => (s <= 40 ? 50 - s : 10 + (s - 40)) / 100;
    const r = runLoop(new Assessor(wps), new Rig(), 900, nominal(soc));
    const raised = r.flatMap((x) => x.raised.map((a) => a.signature));
    const cleared = r.flatMap((x) => x.cleared);
    expect(raised).toEqual(['soc_low:low', 'soc_critical:low']);
    expect(cleared).toEqual(['soc_critical:low', 'soc_low:low']);
    // < 0.35 from t=16 s; 3 of 5 samples at t=18 s. < 0.2 from t=31 s; raised at t=33 s.
    expect(raisedAt(r, 'soc_low:low')).toEqual([180]);
    expect(raisedAt(r, 'soc_critical:low')).toEqual([330]);
    expect(r[180]!.raised[0]).toMatchObject({ value: 0.32, severity: 'warning', subsystem: 'power', detail: 'eps.soc 0.32 below low limit 0.35' });
    expect(r[180]!.overall).toBe(0.7);
    const worst = r[400]!;
    expect(worst.anomalies.map((a) => a.id)).toEqual(['soc_critical', 'soc_low']);
    expect(worst.health.power).toBe(0);
    expect(worst.overall).toBeLessThanOrEqual(0.3);
    expect(Object.entries(worst.health).filter(([k]) => k !== 'power').every(([, v]) => v === 1)).toBe(true);
    // charging: soc ≥ 0.2 + 0.1 from t=60 s → cleared at t=62 s; ≥ 0.35 + 0.05 from t=70 s → t=72 s
    expect(clearedAt(r, 'soc_critical:low')).toEqual([620]);
    expect(clearedAt(r, 'soc_low:low')).toEqual([720]);
    expect(r[899]!.overall).toBe(1);
  });

  it('a silent EPS raises eps_stale (critical) after 3 stale cycles and limits on its old values stay quiet', () => {
    const r = runLoop(new Assessor(wps), new Rig(), 100, (i, rig) => {
      nominal(() => (i < 50 ? 0.8 : 0.1))(i, rig);
      if (i >= 50) rig.setStale('eps', true);
    });
    expect(raisedAt(r, 'eps_stale:stale')).toEqual([52]);
    expect(r[99]!.anomalies.map((a) => a.signature)).toEqual(['eps_stale:stale']);
    expect(r[99]!.overall).toBeLessThanOrEqual(0.3);
  });
});
