import { describe, expect, it } from 'vitest';
import { Assessor } from '../../../firmware-agent/assess/assessor.js';
import { ConfigError } from '../../../firmware-agent/config/load.js';
import { snap, wps } from './helpers.js';

const table = () =>
  wps(
    { kind: 'limit', id: 'batt_temp', field: 'thermal.battery', subsystem: 'thermal', low: 0, high: 45, hysteresis: 2, persistence: { n: 1, m: 1 } },
    { kind: 'stale', id: 'thermal_stale', field: 'thermal', subsystem: 'thermal' },
  );

function drive(a: Assessor, temps: number[], t0 = 0) {
  return temps.map((v, i) => a.assess(snap(t0 + i * 100, { 'thermal.battery': v })));
}

describe('recurrence and signatures', () => {
  it('counts raises per signature across raise/clear cycles; the signature stays the same', () => {
    const a = new Assessor(table());
    const r = drive(a, [50, 20, 50, 20, 50, -5, 20]);
    const raised = r.flatMap((x) => x.raised);
    expect(raised.map((x) => [x.signature, x.recurrence, x.since])).toEqual([
      ['batt_temp:high', 1, 0],
      ['batt_temp:high', 2, 200],
      ['batt_temp:high', 3, 400],
      ['batt_temp:low', 1, 500],
    ]);
    expect(r.flatMap((x) => x.cleared)).toEqual(['batt_temp:high', 'batt_temp:high', 'batt_temp:high', 'batt_temp:low']);
    expect(a.exportState()).toEqual({ 'batt_temp:high': 3, 'batt_temp:low': 1 });
  });

  it('a signature carries no value or time: different values of the same fault give the same signature', () => {
    const a = new Assessor(table());
    const sigs = drive(a, [46, 20, 90, 20, 45.5]).flatMap((x) => x.raised.map((y) => y.signature));
    expect(new Set(sigs)).toEqual(new Set(['batt_temp:high']));
    expect(sigs).toHaveLength(3);
  });

  it('exportState/importState carry the counts across a reboot', () => {
    const before = new Assessor(table());
    drive(before, [50, 20, 50, 20]);
    const saved = JSON.parse(JSON.stringify(before.exportState())) as Record<string, number>;
    const after = new Assessor(table());
    after.importState(saved);
    expect(after.exportState()).toEqual({ 'batt_temp:high': 2 });
    expect(drive(after, [50], 10_000)[0]!.raised[0]!.recurrence).toBe(3);
  });

  it('importState replaces and ignores entries that are not positive integers', () => {
    const a = new Assessor(table());
    drive(a, [50]);
    a.importState({ 'batt_temp:low': 4, bad: -1, worse: 1.5, nan: Number.NaN, str: 'x' as unknown as number });
    expect(a.exportState()).toEqual({ 'batt_temp:low': 4 });
    a.importState(null as unknown as Record<string, number>);
    expect(a.exportState()).toEqual({});
  });

  it('sorts active anomalies by severity (critical first), then id', () => {
    const a = new Assessor(
      wps(
        { kind: 'limit', id: 'b_warn', field: 'eps.soc', subsystem: 'power', low: 0.5, severity: 'warning', persistence: { n: 1, m: 1 } },
        { kind: 'limit', id: 'a_info', field: 'eps.soc', subsystem: 'power', low: 0.6, severity: 'info', persistence: { n: 1, m: 1 } },
        { kind: 'limit', id: 'z_crit', field: 'eps.soc', subsystem: 'power', low: 0.2, severity: 'critical', persistence: { n: 1, m: 1 } },
        { kind: 'limit', id: 'a_warn', field: 'eps.soc', subsystem: 'power', low: 0.4, severity: 'warning', persistence: { n: 1, m: 1 } },
      ),
    );
    const r = a.assess(snap(0, { 'eps.soc': 0.1 }));
    expect(r.anomalies.map((x) => x.id)).toEqual(['z_crit', 'a_warn', 'b_warn', 'a_info']);
    expect(r.raised.map((x) => x.id)).toEqual(['z_crit', 'a_warn', 'b_warn', 'a_info']);
    const c = a.assess(snap(100, { 'eps.soc': 0.9 }));
    expect(c.cleared).toEqual(['z_crit:low', 'a_warn:low', 'b_warn:low', 'a_info:low']);
  });

  it('results are frozen', () => {
    const a = new Assessor(table());
    const r = a.assess(snap(0, { 'thermal.battery': 50 }));
    expect(Object.isFrozen(r.anomalies)).toBe(true);
    expect(Object.isFrozen(r.anomalies[0])).toBe(true);
    expect(Object.isFrozen(r.health)).toBe(true);
  });

  it('refuses a table that cannot work, naming the field (E_CONFIG_INVALID)', () => {
    const dup = () =>
      new Assessor(
        wps(
          { kind: 'limit', id: 'x', field: 'eps.soc', subsystem: 'power', low: 0.2 },
          { kind: 'limit', id: 'x', field: 'eps.batt_v', subsystem: 'power', low: 6 },
        ),
      );
    expect(dup).toThrow(ConfigError);
    expect(dup).toThrow(/watchpoints\.1\.id: duplicate watchpoint id "x"/);
    expect(() => new Assessor(wps({ kind: 'limit', id: 'x', field: 'eps.soc', subsystem: 'power' }))).toThrow(/watchpoints\.0: a limit watchpoint needs low, high or both/);
    expect(() => new Assessor(wps({ kind: 'rate', id: 'r', field: 'thermal.obc', subsystem: 'obc', max_per_s: 0.1, hysteresis: 0.1 }))).toThrow(
      /watchpoints\.0\.hysteresis: must be below max_per_s/,
    );
    try {
      dup();
    } catch (e) {
      expect((e as ConfigError).code).toBe('E_CONFIG_INVALID');
    }
  });

  it('units from the hello device table override the built-in ones in the detail', () => {
    const a = new Assessor(wps({ kind: 'limit', id: 'lidar_hot', field: 'lidar.temp', subsystem: 'payload', high: 40, persistence: { n: 1, m: 1 } }), {
      units: { 'lidar.temp': 'K' },
    });
    expect(a.assess(snap(0, { 'lidar.temp': 41.23456 })).raised[0]!.detail).toBe('lidar.temp 41.23 K above high limit 40 K');
  });
});
