import { describe, expect, it } from 'vitest';
import { Assessor } from '../../../firmware-agent/assess/assessor.js';
import { clearedAt, raisedAt, Rig, runLoop, wps } from './helpers.js';

const heating = (n = 5, m = 10, hysteresis = 0.01) =>
  wps({ kind: 'rate', id: 'heating_fast', field: 'thermal.payload', subsystem: 'thermal', max_per_s: 0.05, hysteresis, persistence: { n, m } });

/** thermal at 1 Hz (every 10th cycle of a 10 Hz loop), payload temperature = f(seconds). */
const oneHz = (f: (s: number) => number) => (i: number, rig: Rig) => {
  if (i % 10 === 0) rig.sample('thermal', { payload: f(i / 10) });
};

describe('rate watchpoints', () => {
  it('computes the rate between distinct 1 Hz samples under a 10 Hz loop (no zero rates between arrivals)', () => {
    const a = new Assessor(heating());
    // +0.1 °C/s for 8 s, then flat
    const r = runLoop(a, new Rig(), 160, oneHz((s) => 20 + 0.1 * Math.min(s, 8)));
    // baseline at t=0, rates 0.1 at t=1..5 s → 5 of 10 at t=5 s (cycle 50)
    expect(raisedAt(r, 'heating_fast:rate')).toEqual([50]);
    const an = r[50]!.raised[0]!;
    expect(an.value).toBeCloseTo(0.1, 9);
    expect(an.detail).toBe('thermal.payload changing at 0.1 °C/s, limit 0.05 °C/s');
    // between sample arrivals nothing is evaluated, so it never clears while heating continues;
    // flat from t=9 s: 5 samples with rate 0 → cleared at t=13 s
    expect(clearedAt(r, 'heating_fast:rate')).toEqual([130]);
    expect(r.slice(50, 130).every((x) => x.anomalies.length === 1)).toBe(true);
  });

  it('a slow ramp stays quiet', () => {
    const r = runLoop(new Assessor(heating()), new Rig(), 300, oneHz((s) => 20 + 0.04 * s));
    expect(r.every((x) => x.anomalies.length === 0)).toBe(true);
  });

  it('a falling value trips it too (|Δ/Δt|)', () => {
    const r = runLoop(new Assessor(heating(1, 1)), new Rig(), 30, oneHz((s) => 20 - 0.2 * s));
    expect(raisedAt(r, 'heating_fast:rate')).toEqual([10]);
  });

  it('uses the sample times, not the cycle times: irregular sample spacing gives the true rate', () => {
    const a = new Assessor(heating(1, 1));
    const r = runLoop(a, new Rig(), 40, (i, h) => {
      if (i === 0) h.sample('thermal', { payload: 20 });
      if (i === 25) h.sample('thermal', { payload: 20.1 }); // +0.1 °C in 2.5 s: 0.04 °C/s
      if (i === 30) h.sample('thermal', { payload: 20.2 }); // +0.1 °C in 0.5 s: 0.2 °C/s
    });
    expect(raisedAt(r, 'heating_fast:rate')).toEqual([30]);
    expect(r[30]!.raised[0]!.value).toBeCloseTo(0.2, 9);
  });

  it('hysteresis is in per-second units: a rate between max − h and max keeps it raised', () => {
    const a = new Assessor(heating(1, 1, 0.01));
    // 0.1 °C/s for 3 s, then 0.045 (inside the limit but not by the margin), then 0.03
    const r = runLoop(
      a,
      new Rig(),
      120,
      oneHz((s) => (s <= 3 ? 20 + 0.1 * s : s <= 7 ? 20.3 + 0.045 * (s - 3) : 20.48 + 0.03 * (s - 7))),
    );
    expect(raisedAt(r, 'heating_fast:rate')).toEqual([10]);
    expect(clearedAt(r, 'heating_fast:rate')).toEqual([80]);
  });

  it('a stale gap restarts the baseline: a jump across the gap is not a rate', () => {
    const a = new Assessor(heating(1, 1));
    const rig = new Rig();
    const r = runLoop(a, rig, 200, (i, h) => {
      const s = i / 10;
      if (i % 10 !== 0) return;
      if (s < 5) h.sample('thermal', { payload: 20 });
      else if (s < 10) h.setStale('thermal', true); // no samples
      else h.setStale('thermal', false).sample('thermal', { payload: 30 }); // back, 10 °C higher, then flat
    });
    expect(r.every((x) => x.anomalies.length === 0)).toBe(true);
  });

  it('a non-number sample restarts the baseline', () => {
    const a = new Assessor(heating(1, 1));
    const seq = [20, 20, null, 25, 25, 25];
    const r = runLoop(a, new Rig(), 60, oneHz((s) => seq[s] as number));
    expect(r.every((x) => x.anomalies.length === 0)).toBe(true);
  });

  it('without device ages, a changed value marks a new sample', () => {
    const a = new Assessor(heating(3, 5));
    const out = [];
    for (let i = 0; i < 100; i++) {
      const v = 20 + 0.1 * Math.floor(i / 10); // changes once per second
      out.push(a.assess({ at: i * 100, values: { 'thermal.payload': v }, ageMs: {}, stale: {} }));
    }
    // changes at 1, 2, 3 s → rate 0.1 °C/s each → 3 of 5 at t=3 s
    expect(raisedAt(out, 'heating_fast:rate')).toEqual([30]);
    expect(out[30]!.raised[0]!.value).toBeCloseTo(0.1, 9);
  });
});
