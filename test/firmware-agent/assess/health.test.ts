import { describe, expect, it } from 'vitest';
import { Assessor } from '../../../firmware-agent/assess/assessor.js';
import { scoreHealth } from '../../../firmware-agent/assess/health.js';
import { SUBSYSTEMS, type Severity, type Subsystem } from '../../../firmware-agent/config/schema.js';
import { snap, wps } from './helpers.js';

const A = (subsystem: Subsystem, severity: Severity) => ({ subsystem, severity });

describe('health score (README: "Health score")', () => {
  it('no anomalies: every subsystem and overall are 1', () => {
    const s = scoreHealth([]);
    expect(s.overall).toBe(1);
    for (const sub of SUBSYSTEMS) expect(s.health[sub]).toBe(1);
  });

  it('penalties per severity: info 0.05, warning 0.3, critical 0.7, summed per subsystem, clamped at 0', () => {
    expect(scoreHealth([A('comms', 'info')])).toMatchObject({ overall: 0.95, health: { comms: 0.95, power: 1 } });
    expect(scoreHealth([A('power', 'warning')])).toMatchObject({ overall: 0.7, health: { power: 0.7 } });
    // exact thousandths: 1 − 0.3 − 0.3 is 0.4, so a `< 0.4` threshold does not trip on float noise
    expect(scoreHealth([A('power', 'warning'), A('power', 'warning')])).toMatchObject({ overall: 0.4, health: { power: 0.4 } });
    expect(scoreHealth([A('power', 'critical'), A('power', 'warning'), A('power', 'info')]).health.power).toBe(0);
  });

  it('one warning anywhere: overall in (0.4, 0.8)', () => {
    for (const sub of SUBSYSTEMS) {
      const o = scoreHealth([A(sub, 'warning')]).overall;
      expect(o).toBeGreaterThan(0.4);
      expect(o).toBeLessThan(0.8);
    }
    expect(scoreHealth([A('payload', 'warning'), A('payload', 'info')]).overall).toBe(0.65);
  });

  it('any critical: overall ≤ 0.3, whatever its subsystem', () => {
    for (const sub of SUBSYSTEMS) expect(scoreHealth([A(sub, 'critical')]).overall).toBe(0.3);
    expect(scoreHealth([A('payload', 'critical'), A('power', 'warning')]).overall).toBe(0.2);
  });

  it('breadth: each further subsystem with a warning or critical takes 0.1 off overall; infos do not', () => {
    expect(scoreHealth([A('power', 'warning'), A('thermal', 'warning')]).overall).toBe(0.6);
    expect(scoreHealth([A('power', 'warning'), A('thermal', 'warning'), A('adcs', 'warning')]).overall).toBe(0.5);
    expect(scoreHealth([A('power', 'warning'), A('thermal', 'info'), A('adcs', 'info')]).overall).toBe(0.7);
    expect(scoreHealth(SUBSYSTEMS.map((s) => A(s, 'critical'))).overall).toBe(0);
  });

  it('the assessor reports exactly scoreHealth of its active anomalies', () => {
    const a = new Assessor(
      wps(
        { kind: 'limit', id: 'soc_low', field: 'eps.soc', subsystem: 'power', low: 0.35, severity: 'warning', persistence: { n: 1, m: 1 } },
        { kind: 'limit', id: 'soc_critical', field: 'eps.soc', subsystem: 'power', low: 0.2, severity: 'critical', persistence: { n: 1, m: 1 } },
      ),
    );
    const w = a.assess(snap(0, { 'eps.soc': 0.3 }));
    expect(w.overall).toBe(0.7);
    expect(w.health).toEqual({ ...scoreHealth([]).health, power: 0.7 });
    const c = a.assess(snap(100, { 'eps.soc': 0.1 }));
    expect(c.health.power).toBe(0);
    expect(c.overall).toBe(0);
    const back = a.assess(snap(200, { 'eps.soc': 0.9 }));
    expect(back.overall).toBe(1);
    expect(back.health).toEqual(scoreHealth([]).health);
  });
});
