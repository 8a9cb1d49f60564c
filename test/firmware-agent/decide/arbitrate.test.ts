import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../../firmware-agent/actions/catalog.js';
import type { Anomaly } from '../../../firmware-agent/assess/types.js';
import { arbitrate, type Source } from '../../../firmware-agent/decide/arbitrate.js';
import { anomaly, assessment, HEALTHY, snapshot, WP } from './helpers.js';

const SOURCES: Source[] = ['local', 'constellation', 'ground'];
const ALL = Object.keys(ACTIONS);
const byEffect = (k: 'load' | 'heat', sign: 1 | -1 | 0) => ALL.filter((a) => ACTIONS[a]!.effects[k] === sign);
const snap = snapshot(HEALTHY);
const verdict = (action: string, anomalies: Anomaly[], source: Source = 'local', s = snap) => arbitrate(action, source, assessment(anomalies), s);

describe('arbitrate: critical battery', () => {
  for (const id of ['soc_critical', 'batt_v_low', 'eps_stale']) {
    it(`${id}: refuses every load-increasing action from any source, naming the watchpoint`, () => {
      const loadUp = byEffect('load', 1);
      expect(loadUp.length).toBeGreaterThan(0);
      for (const action of loadUp.filter((a) => a !== 'heater_on')) {
        for (const source of SOURCES) {
          const v = verdict(action, [anomaly(id)], source);
          expect(v, `${action} from ${source}`).toMatchObject({ ok: false, code: 'BATTERY_CRITICAL' });
          if (!v.ok) {
            expect(v.reason).toContain(id);
            expect(v.reason).toContain(action);
            expect(v.reason).toContain(source);
            expect(v.reason).toContain(`${id} test detail`);
          }
        }
      }
      // heater_on too, unless the battery is freezing.
      expect(verdict('heater_on', [anomaly(id)])).toMatchObject({ ok: false, code: 'BATTERY_CRITICAL' });
    });

    it(`${id}: allows load-neutral and load-shedding actions`, () => {
      for (const action of [...byEffect('load', 0), ...byEffect('load', -1)]) expect(verdict(action, [anomaly(id)], 'ground'), action).toEqual({ ok: true });
    });
  }

  it('any critical power anomaly counts, whatever its id; a warning does not', () => {
    const custom = anomaly('soc_low', { id: 'bus_undervolt', signature: 'bus_undervolt:low', severity: 'critical' });
    expect(verdict('payload_on', [custom])).toMatchObject({ ok: false, code: 'BATTERY_CRITICAL' });
    expect(verdict('payload_on', [anomaly('soc_low')])).toEqual({ ok: true });
  });

  it('heater_on is allowed when the battery is freezing, even with the battery critical', () => {
    expect(verdict('heater_on', [anomaly('batt_freezing')])).toEqual({ ok: true });
    expect(verdict('heater_on', [anomaly('soc_critical'), anomaly('batt_freezing')], 'ground')).toEqual({ ok: true });
    // …but only the heater: the payload stays refused.
    expect(verdict('payload_on', [anomaly('soc_critical'), anomaly('batt_freezing')])).toMatchObject({ ok: false, code: 'BATTERY_CRITICAL' });
  });
});

describe('arbitrate: critical thermal state', () => {
  for (const id of ['payload_overheat', 'batt_hot', 'obc_hot']) {
    it(`${id}: refuses every heat-adding action from any source, naming the watchpoint`, () => {
      const heatUp = byEffect('heat', 1);
      for (const action of heatUp) {
        for (const source of SOURCES) {
          const v = verdict(action, [anomaly(id)], source);
          expect(v, `${action} from ${source}`).toMatchObject({ ok: false, code: 'THERMAL_CRITICAL' });
          if (!v.ok) expect(v.reason).toContain(id);
        }
      }
      for (const action of [...byEffect('heat', 0), ...byEffect('heat', -1)]) expect(verdict(action, [anomaly(id)]), action).toEqual({ ok: true });
    });
  }

  it('a warning-level thermal anomaly refuses nothing', () => {
    for (const action of ALL) expect(verdict(action, [anomaly('payload_hot'), anomaly('batt_cold')]), action).toEqual({ ok: true });
  });

  it('heater_on with a freezing battery and something hot at the same time is refused, whatever the watchpoints are called', () => {
    // The answer must not depend on which anomaly sorts first (ids are names, not priorities).
    for (const hot of ['payload_overheat', 'batt_hot', 'obc_hot']) {
      const freezing = anomaly('batt_freezing');
      const renamed = { ...freezing, id: 'zz_freezing', signature: 'zz_freezing:low' };
      const a = verdict('heater_on', [freezing, anomaly(hot)]);
      const b = verdict('heater_on', [anomaly(hot), renamed]);
      expect(a).toMatchObject({ ok: false, code: 'THERMAL_CRITICAL' });
      expect(b).toMatchObject({ ok: false, code: 'THERMAL_CRITICAL' });
      if (!a.ok) expect(a.reason).toContain(hot);
    }
  });
});

describe('arbitrate: catalog and devices', () => {
  it('an unknown action is refused', () => {
    const v = verdict('self_destruct', []);
    expect(v).toMatchObject({ ok: false, code: 'UNKNOWN_ACTION' });
    if (!v.ok) expect(v.reason).toContain('self_destruct');
    expect(verdict('toString', [])).toMatchObject({ ok: false, code: 'UNKNOWN_ACTION' });
  });

  it('an action on a device this hardware does not have is refused, naming the device', () => {
    const { heater: _h, ...noHeater } = HEALTHY;
    const v = verdict('heater_on', [], 'ground', snapshot(noHeater));
    expect(v).toMatchObject({ ok: false, code: 'DEVICE_MISSING' });
    if (!v.ok) expect(v.reason).toContain('heater');
    // A stale device is still there.
    expect(verdict('heater_on', [], 'ground', snapshot(HEALTHY, { stale: ['heater'] }))).toEqual({ ok: true });
  });

  it('otherwise every catalog action is allowed, from every source', () => {
    for (const action of ALL) for (const source of SOURCES) expect(verdict(action, [], source), `${action} ${source}`).toEqual({ ok: true });
    // Non-critical anomalies change nothing.
    const warnings = Object.keys(WP).filter((id) => WP[id]!.severity !== 'critical').map((id) => anomaly(id));
    for (const action of ALL) expect(verdict(action, warnings), action).toEqual({ ok: true });
  });

  it('property: the verdict depends on the set of anomalies, not their order', () => {
    const ids = Object.keys(WP);
    fc.assert(
      fc.property(fc.uniqueArray(fc.constantFrom(...ids), { maxLength: 6 }), fc.constantFrom(...ALL), fc.constantFrom(...SOURCES), fc.func(fc.integer()), (set, action, source, key) => {
        const as = set.map((id) => anomaly(id));
        const shuffled = [...as].sort((x, y) => key(x.id) - key(y.id) || x.id.localeCompare(y.id));
        const v1 = arbitrate(action, source, assessment(as), snap);
        const v2 = arbitrate(action, source, { ...assessment(as), anomalies: shuffled }, snap);
        expect(v2.ok).toBe(v1.ok);
        if (!v1.ok && !v2.ok) expect(v2.code).toBe(v1.code);
        // A load-increasing action never passes a critical battery (but the freezing-heater exception).
        const battery = as.some((a) => a.severity === 'critical' && a.subsystem === 'power');
        const freezing = set.includes('batt_freezing');
        if (battery && ACTIONS[action]!.effects.load > 0 && !(action === 'heater_on' && freezing)) expect(v1.ok).toBe(false);
      }),
      { numRuns: 400 },
    );
  });
});
