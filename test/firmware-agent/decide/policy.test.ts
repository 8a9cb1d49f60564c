import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIONS, isAction } from '../../../firmware-agent/actions/catalog.js';
import type { Anomaly } from '../../../firmware-agent/assess/types.js';
import { decide, RULES, RULE_NAMES, safeDecision } from '../../../firmware-agent/decide/policy.js';
import { MODES, SOLO_CONTEXT, type Decision, type DecisionInputs, type GlobalContext, type Mode, type ParamValue } from '../../../firmware-agent/decide/types.js';
import type { FieldValue, TelemetrySnapshot } from '../../../firmware-agent/telemetry/types.js';
import { anomaly, assessment, HEALTHY, snapshot, WP } from './helpers.js';

function inputs(o: {
  mode?: Mode;
  anomalies?: readonly Anomaly[];
  over?: Record<string, FieldValue>;
  stale?: readonly string[];
  blocked?: readonly string[];
  ctx?: GlobalContext;
  recent?: readonly string[];
  snap?: TelemetrySnapshot;
} = {}): DecisionInputs {
  return {
    snap: o.snap ?? snapshot(HEALTHY, { over: o.over ?? {}, stale: o.stale ?? [] }),
    assessment: assessment(o.anomalies ?? []),
    mode: o.mode ?? 'nominal',
    ctx: o.ctx ?? SOLO_CONTEXT,
    recent: o.recent ?? [],
    ...(o.blocked ? { blocked: o.blocked } : {}),
  };
}

interface Case {
  rule: string;
  mode?: Mode;
  anomalies?: string[];
  over?: Record<string, FieldValue>;
  blocked?: string[];
  want: { action: string; params: Record<string, ParamValue>; type: Decision['type'] };
}

/** For every rule: a hand-built situation where it (and no rule above it) fires. */
const CASES: Case[] = [
  { rule: 'payload_overheat', anomalies: ['payload_overheat'], over: { 'thermal.payload': 55 }, want: { action: 'payload_off', params: {}, type: 'safety' } },
  { rule: 'battery_critical', anomalies: ['soc_critical'], over: { 'eps.soc': 0.15 }, want: { action: 'payload_off', params: {}, type: 'safety' } },
  { rule: 'battery_critical', anomalies: ['batt_v_low'], over: { 'eps.batt_v': 6.2 }, want: { action: 'payload_off', params: {}, type: 'safety' } },
  { rule: 'battery_cold', anomalies: ['batt_cold'], over: { 'thermal.battery': -2, 'eps.soc': 0.5 }, want: { action: 'heater_on', params: {}, type: 'safety' } },
  { rule: 'battery_cold', over: { 'thermal.battery': 4.9 }, want: { action: 'heater_on', params: {}, type: 'safety' } },
  { rule: 'battery_warm', over: { 'heater.on': true, 'thermal.battery': 16 }, want: { action: 'heater_off', params: {}, type: 'corrective' } },
  { rule: 'heater_stuck', over: { 'heater.on': true, 'thermal.battery': 16 }, blocked: ['heater'], want: { action: 'shed_load', params: { load: 'heater' }, type: 'corrective' } },
  { rule: 'payload_hot', anomalies: ['payload_hot'], over: { 'thermal.payload': 42 }, want: { action: 'payload_throttle', params: { duty: 0.3 }, type: 'corrective' } },
  { rule: 'payload_hot', anomalies: ['payload_temp_rate'], over: { 'thermal.payload': 36 }, want: { action: 'payload_throttle', params: { duty: 0.3 }, type: 'corrective' } },
  { rule: 'power_low', anomalies: ['soc_low'], over: { 'eps.soc': 0.3 }, want: { action: 'payload_off', params: {}, type: 'corrective' } },
  { rule: 'obc_hot', anomalies: ['obc_hot'], over: { 'thermal.obc': 72 }, want: { action: 'throttle_cpu', params: { cpu: 0.5 }, type: 'corrective' } },
  { rule: 'tumbling', anomalies: ['tumbling'], over: { 'imu.rate': 0.3 }, want: { action: 'adcs_detumble', params: {}, type: 'corrective' } },
  { rule: 'detumbled', over: { 'adcs.mode': 'detumble', 'imu.rate': 0.01 }, want: { action: 'adcs_sun_point', params: {}, type: 'corrective' } },
  { rule: 'idle_adcs', over: { 'adcs.mode': 'idle' }, want: { action: 'adcs_sun_point', params: {}, type: 'corrective' } },
  { rule: 'unthrottle', over: { 'obc.cpu': 0.5 }, want: { action: 'unthrottle_cpu', params: {}, type: 'mission' } },
  { rule: 'resume_payload', over: { 'payload.on': false, 'payload.duty': 0 }, want: { action: 'payload_on', params: { duty: 0.8 }, type: 'mission' } },
  { rule: 'resume_payload', over: { 'payload.duty': 0.3 }, want: { action: 'payload_on', params: { duty: 0.8 }, type: 'mission' } },
];

const caseInputs = (c: Case, extra: Partial<Parameters<typeof inputs>[0]> = {}): DecisionInputs =>
  inputs({ mode: c.mode ?? 'nominal', anomalies: (c.anomalies ?? []).map((id) => anomaly(id)), over: c.over ?? {}, ...(c.blocked ? { blocked: c.blocked } : {}), ...extra });

describe('decide: each rule', () => {
  it('every rule has a case here', () => {
    expect(new Set(CASES.map((c) => c.rule))).toEqual(new Set(RULE_NAMES));
  });

  it('a healthy, fresh satellite in nominal holds (noop, full confidence)', () => {
    const d = decide(inputs());
    expect(d).toMatchObject({ rule: 'hold', type: 'noop', action: null, params: {}, confidence: 1 });
  });

  for (const c of CASES) {
    const label = `${c.rule} fires on ${[...(c.anomalies ?? []), ...Object.entries(c.over ?? {}).map(([k, v]) => `${k}=${String(v)}`)].join(', ')}`;
    it(label, () => {
      const d = decide(caseInputs(c));
      expect(d).toMatchObject({ rule: c.rule, ...c.want, confidence: 1 });
      expect(d.reasoning.length).toBeGreaterThan(0);
    });

    it(`${label}: not when a device it reads is stale or missing`, () => {
      const needs = RULES.find((r) => r.name === c.rule)!.needs;
      expect(needs.length).toBeGreaterThan(0);
      for (const dev of needs) {
        const stale = decide(caseInputs(c, { stale: [dev] }));
        expect(stale.rule, `${c.rule} with ${dev} stale`).not.toBe(c.rule);
        // A device absent from the snapshot is not fresh either.
        const base = caseInputs(c);
        const { [dev]: _gone, ...rest } = base.snap.stale;
        const missing = decide({ ...base, snap: { ...base.snap, stale: rest } });
        expect(missing.rule, `${c.rule} with ${dev} missing`).not.toBe(c.rule);
      }
    });
  }

  it('mission rules fire only in nominal; safety and corrective rules in any mode', () => {
    for (const c of CASES) {
      for (const mode of MODES) {
        const d = decide(caseInputs(c, { mode }));
        if (c.want.type === 'mission' && mode !== 'nominal') expect(d.rule, `${c.rule} in ${mode}`).not.toBe(c.rule);
        else expect(d.rule, `${c.rule} in ${mode}`).toBe(c.rule);
      }
    }
  });

  it('battery_cold does not fire when the battery is too drained to run the heater', () => {
    expect(decide(inputs({ anomalies: [anomaly('batt_cold')], over: { 'thermal.battery': -2, 'eps.soc': 0.15 } })).rule).not.toBe('battery_cold');
  });

  it('payload_temp_rate alone does not throttle a payload that is still cool', () => {
    expect(decide(inputs({ anomalies: [anomaly('payload_temp_rate')], over: { 'thermal.payload': 30 } })).rule).not.toBe('payload_hot');
  });
});

describe('decide: priority', () => {
  it('rule order is safety, then corrective, then mission', () => {
    const rank = { safety: 0, corrective: 1, mission: 2, noop: 3 } as const;
    const ranks = RULES.map((r) => rank[r.type]);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it('safety before corrective before mission when all would fire', () => {
    const over = { 'thermal.payload': 55, 'obc.cpu': 0.5, 'adcs.mode': 'idle' };
    const all = decide(inputs({ anomalies: [anomaly('payload_overheat'), anomaly('tumbling')], over }));
    expect([all.rule, all.type]).toEqual(['payload_overheat', 'safety']);
    const corrective = decide(inputs({ anomalies: [anomaly('tumbling')], over }));
    expect([corrective.rule, corrective.type]).toEqual(['tumbling', 'corrective']);
    const mission = decide(inputs({ over: { 'obc.cpu': 0.5 } }));
    expect([mission.rule, mission.type]).toEqual(['unthrottle', 'mission']);
  });

  it('a critical battery is handled before a cold one, and the payload is shed before it is throttled', () => {
    const d = decide(inputs({ anomalies: [anomaly('soc_critical'), anomaly('batt_cold'), anomaly('payload_hot')], over: { 'eps.soc': 0.15, 'thermal.battery': -1, 'thermal.payload': 42 } }));
    expect(d.rule).toBe('battery_critical');
  });

  it('a rule whose action needs a blocked device gives way to the next rule', () => {
    // payload_overheat and power_low both act on the payload; obc_hot on the OBC.
    const anomalies = [anomaly('payload_overheat'), anomaly('soc_low'), anomaly('obc_hot')];
    expect(decide(inputs({ anomalies })).rule).toBe('payload_overheat');
    const d = decide(inputs({ anomalies, blocked: ['payload'] }));
    expect([d.rule, d.action]).toEqual(['obc_hot', 'throttle_cpu']);
    const none = decide(inputs({ anomalies, blocked: ['obc', 'payload'] }));
    expect(none.action).toBeNull();
    // A blocked device no rule needs changes nothing (but the id: blocked is an input).
    const other = decide(inputs({ anomalies, blocked: ['rad'] }));
    expect(other.rule).toBe('payload_overheat');
  });
});

describe('decide: purity and ids', () => {
  const rich = (): DecisionInputs =>
    inputs({
      anomalies: [anomaly('payload_hot', { recurrence: 2, since: 1234 }), anomaly('tumbling')],
      over: { 'thermal.payload': 42 },
      ctx: { role: 'follower', leader: 'SAT-2', term: 7, constellationHealth: 0.9, members: 3, quorum: 2, holds: [] },
      recent: ['a1', 'b2'],
      blocked: ['heater'],
    });

  it('same inputs give a deep-equal decision, id included, on repeated calls and after structuredClone', () => {
    const inp = rich();
    const d1 = decide(inp);
    const d2 = decide(inp);
    const d3 = decide(structuredClone(inp));
    expect(d1.id).toMatch(/^[0-9a-f]{16}$/);
    expect(d2).toEqual(d1);
    expect(d3).toEqual(d1);
    // The inputs were not touched.
    expect(inp).toEqual(rich());
  });

  it('the id ignores what does not change the decision: time, sample ages, anomaly times and unrelated values', () => {
    const base = rich();
    const later: DecisionInputs = {
      ...base,
      snap: { ...base.snap, at: base.snap.at + 5000, ageMs: { ...base.snap.ageMs, eps: 999 }, values: { ...base.snap.values, 'rad.dose_rate': 55 } },
      assessment: { ...base.assessment, at: 9999, anomalies: base.assessment.anomalies.map((a) => ({ ...a, since: a.since + 500, detail: 'other' })) },
    };
    expect(decide(later)).toEqual(decide(base));
  });

  it('the id changes with the mode, the anomaly episode, the context and the recent decisions', () => {
    const base = rich();
    const id = decide(base).id;
    const variants: [string, DecisionInputs][] = [
      ['mode', { ...base, mode: 'degraded' }],
      ['recurrence', { ...base, assessment: { ...base.assessment, anomalies: base.assessment.anomalies.map((a) => (a.id === 'payload_hot' ? { ...a, recurrence: 3 } : a)) } }],
      ['another anomaly', { ...base, assessment: assessment([...base.assessment.anomalies, anomaly('radiation_high')]) }],
      ['leader', { ...base, ctx: { ...base.ctx, leader: 'SAT-3' } }],
      ['term', { ...base, ctx: { ...base.ctx, term: 8 } }],
      ['role', { ...base, ctx: { ...base.ctx, role: 'leader' } }],
      ['recent', { ...base, recent: ['a1', 'b2', 'c3'] }],
      ['recent order', { ...base, recent: ['b2', 'a1'] }],
      ['blocked', { ...base, blocked: [] }],
    ];
    const ids = new Set([id]);
    for (const [what, v] of variants) {
      const d = decide(v);
      expect(d.rule, what).toBe('payload_hot'); // same rule, same action…
      expect(d.id, what).not.toBe(id); // …but a new id
      ids.add(d.id);
    }
    expect(ids.size).toBe(variants.length + 1);
  });

  it('safeDecision is a noop with zero confidence and an id of its own', () => {
    const inp = rich();
    const s = safeDecision(inp, 'policy error: boom');
    expect(s).toMatchObject({ type: 'noop', action: null, params: {}, confidence: 0, rule: 'safe_fallback', reasoning: 'policy error: boom' });
    expect(s.id).not.toBe(decide(inp).id);
    expect(safeDecision(structuredClone(inp), 'other words')).toEqual({ ...s, reasoning: 'other words' });
  });

  it('hold confidence is the fresh fraction of the devices', () => {
    const d = decide(inputs({ stale: ['eps', 'thermal'] }));
    expect(d.rule).toBe('hold');
    expect(d.confidence).toBeCloseTo(6 / 8, 12);
    expect(decide(inputs({ snap: { at: 0, values: {}, ageMs: {}, stale: {} } })).confidence).toBe(0);
  });
});

describe('decide: properties', () => {
  const KNOWN_FIELDS = Object.entries(HEALTHY).flatMap(([dev, fields]) => Object.keys(fields).map((f) => `${dev}.${f}`));
  const DEVICES = Object.keys(HEALTHY);
  const anyValue = fc.oneof(
    fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withBoxedValues: true, withSparseArray: true }),
    fc.double(),
    fc.constantFrom('idle', 'detumble', 'sun_point', 'nadir', true, false, null, 0.3, 0.8, 1),
  );
  const snapArb: fc.Arbitrary<TelemetrySnapshot> = fc
    .record({
      values: fc.dictionary(fc.constantFrom(...KNOWN_FIELDS, 'x.y', '__proto__', 'constructor'), anyValue),
      stale: fc.dictionary(fc.constantFrom(...DEVICES), fc.oneof(fc.boolean(), anyValue)),
      at: fc.double(),
    })
    .map(({ values, stale, at }) => ({ at, values: values as Record<string, FieldValue>, ageMs: {}, stale: stale as Record<string, boolean> }));
  const anomaliesArb = fc
    .uniqueArray(fc.constantFrom(...Object.keys(WP)), { maxLength: 6 })
    .chain((ids) => fc.tuple(...ids.map((id) => fc.integer({ min: 1, max: 5 }).map((recurrence) => anomaly(id, { recurrence })))));
  const ctxArb: fc.Arbitrary<GlobalContext> = fc.record({
    role: fc.constantFrom('solo', 'follower', 'candidate', 'leader', 'standby'),
    leader: fc.option(fc.string(), { nil: null }),
    term: fc.nat(),
    constellationHealth: fc.double({ min: 0, max: 1, noNaN: true }),
    holds: fc.subarray(['payload']),
    members: fc.nat(10),
    quorum: fc.nat(10),
  });
  const inputsArb: fc.Arbitrary<DecisionInputs> = fc.record({
    snap: snapArb,
    assessment: anomaliesArb.map((a) => assessment(a)),
    mode: fc.constantFrom(...MODES),
    ctx: ctxArb,
    recent: fc.array(fc.string(), { maxLength: 4 }),
    blocked: fc.uniqueArray(fc.constantFrom(...DEVICES), { maxLength: 3 }),
  });

  it('never throws, and returns null or a catalog action, with a well-formed decision', () => {
    fc.assert(
      fc.property(inputsArb, (inp) => {
        const d = decide(inp);
        expect(d.action === null || isAction(d.action)).toBe(true);
        expect(['noop', 'safety', 'corrective', 'mission']).toContain(d.type);
        expect(d.type === 'noop').toBe(d.action === null);
        expect(d.id).toMatch(/^[0-9a-f]{16}$/);
        expect(d.confidence).toBeGreaterThanOrEqual(0);
        expect(d.confidence).toBeLessThanOrEqual(1);
        expect([...RULE_NAMES, 'hold']).toContain(d.rule);
        if (d.action) {
          // Never an action on a blocked device, and never from a rule that read stale data.
          const devs = ACTIONS[d.action]!.steps(d.params).map((s) => s.dev);
          expect(devs.filter((x) => inp.blocked?.includes(x))).toEqual([]);
          const rule = RULES.find((r) => r.name === d.rule)!;
          for (const dev of rule.needs) expect(inp.snap.stale[dev]).toBe(false);
          expect(rule.modes).toContain(inp.mode);
        }
        // Deterministic.
        expect(decide(inp)).toEqual(d);
      }),
      { numRuns: 400 },
    );
  });
});
