import { describe, expect, it } from 'vitest';
import { Assessor } from '../../../firmware-agent/assess/assessor.js';
import { activeSignatures, clearedAt, raisedAt, Rig, runLoop, snap, wps } from './helpers.js';

/** Feeds one fresh sample per cycle (age 0) of `field` and returns every assessment. */
function feed(a: Assessor, field: string, seq: readonly (number | null | string | undefined)[], t0 = 0) {
  return seq.map((v, i) => a.assess(snap(t0 + i * 100, v === undefined ? {} : { [field]: v }, v === undefined ? { ageMs: { eps: 0 }, stale: { eps: false } } : {})));
}

const battLow = (n = 3, m = 5, hysteresis = 0.2) =>
  wps({ kind: 'limit', id: 'v_low', field: 'eps.batt_v', subsystem: 'power', low: 6.4, hysteresis, severity: 'critical', persistence: { n, m } });

describe('limit watchpoints', () => {
  it('raises :low after n of m out-of-limit cycles, with the tripping value and a detail with units', () => {
    const a = new Assessor(battLow(3, 5));
    const r = feed(a, 'eps.batt_v', [7.4, 7.4, 6.3, 6.2, 6.1, 6.0]);
    expect(raisedAt(r, 'v_low:low')).toEqual([4]);
    const an = r[4]!.raised[0]!;
    expect(an).toEqual({
      id: 'v_low',
      signature: 'v_low:low',
      subsystem: 'power',
      severity: 'critical',
      since: 400,
      recurrence: 1,
      value: 6.1,
      detail: 'eps.batt_v 6.1 V below low limit 6.4 V',
    });
    expect(r[5]!.raised).toEqual([]);
    expect(r[5]!.anomalies).toEqual([an]);
    expect(r[5]!.anomalies[0]).toBe(an); // the same object while active
  });

  it('raises :high above the high limit; a two-sided watchpoint names the direction', () => {
    const a = new Assessor(
      wps({ kind: 'limit', id: 'batt_temp', field: 'thermal.battery', subsystem: 'thermal', low: 0, high: 45, persistence: { n: 2, m: 2 } }),
    );
    const r = feed(a, 'thermal.battery', [20, 46, 47, 20, 20, -1, -2]);
    expect(raisedAt(r, 'batt_temp:high')).toEqual([2]);
    expect(r[2]!.raised[0]!.detail).toBe('thermal.battery 47 °C above high limit 45 °C');
    expect(clearedAt(r, 'batt_temp:high')).toEqual([4]);
    expect(raisedAt(r, 'batt_temp:low')).toEqual([6]);
    expect(r[6]!.raised[0]!.id).toBe('batt_temp');
  });

  it('a value exactly at the limit is inside (strict < low, > high)', () => {
    const a = new Assessor(battLow(1, 1, 0));
    expect(feed(a, 'eps.batt_v', [6.4, 6.4, 6.4]).every((x) => x.anomalies.length === 0)).toBe(true);
  });

  it('n of m: intermittent out-of-limit cycles raise when they reach n within any m-window', () => {
    const out = 6.0;
    const ok = 7.0;
    // 3 of 5 reached on the 5th cycle although never 3 in a row
    expect(raisedAt(feed(new Assessor(battLow(3, 5)), 'eps.batt_v', [out, ok, out, ok, out]), 'v_low:low')).toEqual([4]);
    // never more than 2 in any window of 5: never raised
    const sparse = [out, ok, ok, out, ok, ok, out, ok, ok, out, ok, ok, out];
    expect(raisedAt(feed(new Assessor(battLow(3, 5)), 'eps.batt_v', sparse), 'v_low:low')).toEqual([]);
    // a single glitch never raises a 3-of-5 watchpoint
    expect(raisedAt(feed(new Assessor(battLow(3, 5)), 'eps.batt_v', [ok, out, ok, ok, ok, ok]), 'v_low:low')).toEqual([]);
  });

  it('hysteresis prevents chatter around the threshold', () => {
    const around = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 6.39 : 6.41));
    // without hysteresis and with 1-of-1 persistence it chatters: raise, clear, raise, clear...
    const chatter = feed(new Assessor(battLow(1, 1, 0)), 'eps.batt_v', around);
    expect(raisedAt(chatter, 'v_low:low')).toHaveLength(10);
    expect(clearedAt(chatter, 'v_low:low')).toHaveLength(10);
    // with a 0.2 V margin it raises once and stays raised until the value is back above 6.6 V
    const calm = feed(new Assessor(battLow(1, 1, 0.2)), 'eps.batt_v', [...around, 6.59, 6.6]);
    expect(raisedAt(calm, 'v_low:low')).toEqual([0]);
    expect(clearedAt(calm, 'v_low:low')).toEqual([21]);
  });

  it('clears only after n of m cycles inside by the margin; values in the band count neither way', () => {
    const a = new Assessor(battLow(3, 5, 0.2));
    const seq = [6.0, 6.0, 6.0, /* raised */ 6.5, 6.5, 6.5, 6.5, 6.5, 6.5, /* band */ 6.7, 6.5, 6.7, 6.0, 6.7];
    const r = feed(a, 'eps.batt_v', seq);
    expect(raisedAt(r, 'v_low:low')).toEqual([2]);
    expect(clearedAt(r, 'v_low:low')).toEqual([13]);
    expect(r[12]!.anomalies.map((x) => x.signature)).toEqual(['v_low:low']);
    expect(r[13]!.anomalies).toEqual([]);
  });

  it('the window restarts on clear: an old out-of-limit cycle does not re-raise right away', () => {
    const a = new Assessor(battLow(2, 5, 0.2));
    const r = feed(a, 'eps.batt_v', [6.0, 6.0, 7.0, 7.0, 6.0, 7.0, 7.0, 6.0, 6.0]);
    // raised at 1, cleared at 3; the 6.0 at 4 is alone in the restarted window (a window kept
    // across the clear would hold 3 out-of-limit cycles there and re-raise at once)
    expect(raisedAt(r, 'v_low:low')).toEqual([1, 7]);
    expect(clearedAt(r, 'v_low:low')).toEqual([3]);
  });

  it('a non-number, non-finite or missing value is not evaluated (state is held)', () => {
    const a = new Assessor(battLow(2, 2, 0.2));
    const r = feed(a, 'eps.batt_v', [6.0, null, 'low', Number.NaN, Number.NEGATIVE_INFINITY, undefined, 6.0]);
    expect(raisedAt(r, 'v_low:low')).toEqual([6]);
    // and once raised, garbage does not clear it
    const r2 = feed(a, 'eps.batt_v', [null, undefined, Number.NaN, 7.0, 7.0], 1000);
    expect(clearedAt(r2, 'v_low:low')).toEqual([4]);
  });

  it('a watchpoint whose device or field is absent is simply not evaluated', () => {
    const a = new Assessor([...battLow(1, 1), ...wps({ kind: 'limit', id: 'hot', field: 'lidar.temp', subsystem: 'payload', high: 10, persistence: { n: 1, m: 1 } })]);
    const r = feed(a, 'eps.batt_v', [7, 7, 7]);
    expect(r.every((x) => x.anomalies.length === 0 && x.overall === 1)).toBe(true);
  });

  it('stale data is never evaluated: not raised from stale values, not cleared by stale values', () => {
    const a = new Assessor(battLow(1, 1, 0.2));
    // stale and out of limits: ignored
    expect(a.assess(snap(0, { 'eps.batt_v': 5.0 }, { stale: { eps: true }, ageMs: { eps: 5000 } })).anomalies).toEqual([]);
    // a fresh sample: raised
    expect(activeSignatures(a.assess(snap(100, { 'eps.batt_v': 5.0 })))).toEqual(['v_low:low']);
    // stale again with a nominal-looking value: held (not cleared)
    const held = a.assess(snap(200, { 'eps.batt_v': 7.5 }, { stale: { eps: true }, ageMs: { eps: 4000 } }));
    expect(held.cleared).toEqual([]);
    expect(activeSignatures(held)).toEqual(['v_low:low']);
    // fresh: cleared
    expect(a.assess(snap(300, { 'eps.batt_v': 7.5 })).cleared).toEqual(['v_low:low']);
  });

  it('a stale flag that drops without a new sample does not make the old sample count again', () => {
    const a = new Assessor(battLow(2, 2, 0.2));
    const rig = new Rig();
    const r = runLoop(a, rig, 30, (i, h) => {
      if (i === 0) h.sample('eps', { batt_v: 5.0 }); // evaluated once: 1 of 2
      if (i === 5) h.setStale('eps', true);
      if (i === 8) h.setStale('eps', false); // flag flickers back, same old sample: not evaluated again
      if (i === 20) h.sample('eps', { batt_v: 5.0 }); // a genuinely new sample: 2 of 2
    });
    expect(raisedAt(r, 'v_low:low')).toEqual([20]);
  });

  it('evaluates each device sample once: a 1 Hz sample seen by ten 10 Hz cycles counts once toward n of m', () => {
    const a = new Assessor(battLow(3, 5, 0.2));
    const rig = new Rig();
    // one glitched sample at t=1 s lasts ten loop cycles but is one evaluation: no raise
    const values = [7.4, 6.0, 7.4, 7.4, 6.0, 6.0, 6.0, 7.4];
    const r = runLoop(a, rig, 80, (i, h) => {
      if (i % 10 === 0) h.sample('eps', { batt_v: values[i / 10]! });
    });
    // per sample: the glitch at t=1 s is one evaluation (counted per loop cycle it would raise at
    // cycle 12); the samples at t=1..5 s are 6.0, 7.4, 7.4, 6.0, 6.0: 3 of 5 out → raise at t=5 s
    expect(raisedAt(r, 'v_low:low')).toEqual([50]);
  });
});
