import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Assessor, type Assessment } from '../../../firmware-agent/assess/assessor.js';
import { scoreHealth } from '../../../firmware-agent/assess/health.js';
import { DEFAULT_WATCHPOINTS, SEVERITIES, SUBSYSTEMS } from '../../../firmware-agent/config/schema.js';
import type { FieldValue, TelemetrySnapshot } from '../../../firmware-agent/telemetry/types.js';
import type { WatchpointInput } from './helpers.js';

const FIELDS = { eps: ['soc', 'batt_v'], thermal: ['battery', 'payload', 'obc'], imu: ['rate'], rad: ['dose_rate'] } as const;
type Dev = keyof typeof FIELDS;
const DEVS = Object.keys(FIELDS) as Dev[];

const value: fc.Arbitrary<FieldValue> = fc.oneof(
  { weight: 12, arbitrary: fc.double({ min: -40, max: 400, noNaN: true }) },
  { weight: 4, arbitrary: fc.double({ min: -0.5, max: 1.5, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom<FieldValue>(null, 'x', true, Number.NaN, Number.POSITIVE_INFINITY) },
);

/** Per cycle and device: deliver a sample, keep the old one, go stale, or vanish from the snapshot. */
const devStep = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('sample' as const), v: fc.array(value, { minLength: 3, maxLength: 3 }) }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'hold' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'stale' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'absent' as const }) },
);
const cycle = fc.record({ dt: fc.integer({ min: 0, max: 1500 }), devs: fc.tuple(devStep, devStep, devStep, devStep) });

const fieldArb = fc.constantFrom(...DEVS.flatMap((d) => FIELDS[d].map((f) => `${d}.${f}`)));
const persistenceArb = fc.integer({ min: 1, max: 6 }).chain((m) => fc.record({ n: fc.integer({ min: 1, max: m }), m: fc.constant(m) }));
const wpArb: fc.Arbitrary<Omit<WatchpointInput, 'id'>> = fc.oneof(
  fc.record({
    kind: fc.constant('limit' as const),
    field: fieldArb,
    subsystem: fc.constantFrom(...SUBSYSTEMS),
    severity: fc.constantFrom(...SEVERITIES),
    low: fc.double({ min: -20, max: 100, noNaN: true }),
    high: fc.double({ min: 0, max: 300, noNaN: true }),
    hysteresis: fc.double({ min: 0, max: 20, noNaN: true }),
    persistence: persistenceArb,
  }),
  fc.record({
    kind: fc.constant('rate' as const),
    field: fieldArb,
    subsystem: fc.constantFrom(...SUBSYSTEMS),
    severity: fc.constantFrom(...SEVERITIES),
    max_per_s: fc.double({ min: 0.01, max: 50, noNaN: true }),
    hysteresis: fc.constant(0),
    persistence: persistenceArb,
  }),
  fc.record({
    kind: fc.constant('stale' as const),
    field: fc.constantFrom(...DEVS, 'radio'),
    subsystem: fc.constantFrom(...SUBSYSTEMS),
    severity: fc.constantFrom(...SEVERITIES),
    persistence: persistenceArb,
  }),
);
const tableArb = fc.oneof(
  fc.constant(DEFAULT_WATCHPOINTS as WatchpointInput[]),
  fc.array(wpArb, { minLength: 1, maxLength: 12 }).map((l) => [...DEFAULT_WATCHPOINTS, ...l.map((w, i) => ({ ...w, id: `p${i}` }) as WatchpointInput)]),
);

/** Turns a script into snapshots the way the telemetry stage would (ages from sample times). */
type Cycle = { dt: number; devs: readonly { kind: string; v?: FieldValue[] }[] };
function snapshots(script: readonly Cycle[]): TelemetrySnapshot[] {
  let at = 0;
  const values: Record<string, FieldValue> = {};
  const sampledAt: Record<string, number> = {};
  const out: TelemetrySnapshot[] = [];
  for (const c of script) {
    at += c.dt;
    const ageMs: Record<string, number> = {};
    const stale: Record<string, boolean> = {};
    const vals: Record<string, FieldValue> = {};
    c.devs.forEach((step, i) => {
      const dev = DEVS[i]!;
      if (step.kind === 'absent') return;
      if (step.kind === 'sample') {
        FIELDS[dev].forEach((f, j) => (values[`${dev}.${f}`] = step.v![j]!));
        sampledAt[dev] = at;
      }
      const t = sampledAt[dev];
      ageMs[dev] = t === undefined ? Number.POSITIVE_INFINITY : at - t;
      stale[dev] = step.kind === 'stale' || t === undefined;
      for (const f of FIELDS[dev]) if (`${dev}.${f}` in values) vals[`${dev}.${f}`] = values[`${dev}.${f}`]!;
    });
    out.push({ at, values: vals, ageMs, stale });
  }
  return out;
}

const SEV = { info: 0, warning: 1, critical: 2 } as const;

function checkInvariants(results: readonly Assessment[], a: Assessor): void {
  let prev = new Set<string>();
  const raises = new Map<string, number>();
  for (const r of results) {
    // health in [0, 1], overall ≤ every subsystem, and exactly the documented rule
    for (const s of SUBSYSTEMS) {
      expect(r.health[s]).toBeGreaterThanOrEqual(0);
      expect(r.health[s]).toBeLessThanOrEqual(1);
      expect(r.overall).toBeLessThanOrEqual(r.health[s]);
    }
    expect(r.overall).toBeGreaterThanOrEqual(0);
    expect(r.overall).toBeLessThanOrEqual(1);
    expect({ health: r.health, overall: r.overall }).toEqual(scoreHealth(r.anomalies));
    if (r.anomalies.length === 0) expect(r.overall).toBe(1);
    if (r.anomalies.some((x) => x.severity === 'critical')) expect(r.overall).toBeLessThanOrEqual(0.3);
    // sorted: severity desc, then id, then signature
    for (let i = 1; i < r.anomalies.length; i++) {
      const x = r.anomalies[i - 1]!;
      const y = r.anomalies[i]!;
      expect(SEV[x.severity] > SEV[y.severity] || (SEV[x.severity] === SEV[y.severity] && (x.id < y.id || (x.id === y.id && x.signature < y.signature)))).toBe(true);
    }
    // active = previous − cleared + raised; recurrence counts raises
    const now = new Set(r.anomalies.map((x) => x.signature));
    for (const c of r.cleared) expect(prev.has(c) && !now.has(c)).toBe(true);
    for (const x of r.raised) {
      expect(prev.has(x.signature)).toBe(false);
      expect(now.has(x.signature)).toBe(true);
      expect(x.since).toBe(r.at);
      raises.set(x.signature, (raises.get(x.signature) ?? 0) + 1);
      expect(x.recurrence).toBe(raises.get(x.signature));
    }
    const expected = new Set([...prev].filter((s) => !r.cleared.includes(s)).concat(r.raised.map((x) => x.signature)));
    expect(now).toEqual(expected);
    prev = now;
  }
  expect(a.exportState()).toEqual(Object.fromEntries([...raises].sort(([x], [y]) => (x < y ? -1 : 1))));
}

describe('assessor properties', () => {
  it('health in [0,1] per the documented rule; lists consistent; deterministic', () => {
    fc.assert(
      fc.property(tableArb, fc.array(cycle, { minLength: 1, maxLength: 120 }), (table, script) => {
        const snaps = snapshots(script);
        const a = new Assessor(table);
        const b = new Assessor(table);
        const ra = snaps.map((s) => a.assess(s));
        const rb = snaps.map((s) => b.assess(s));
        expect(JSON.stringify(rb)).toBe(JSON.stringify(ra));
        expect(rb).toEqual(ra);
        expect(b.exportState()).toEqual(a.exportState());
        checkInvariants(ra, a);
      }),
      { numRuns: 300 },
    );
  });

  it('state export/import round-trips: a rebooted assessor continues the counts', () => {
    fc.assert(
      fc.property(fc.array(cycle, { minLength: 1, maxLength: 80 }), fc.array(cycle, { minLength: 1, maxLength: 80 }), (s1, s2) => {
        const first = new Assessor(DEFAULT_WATCHPOINTS);
        for (const s of snapshots(s1)) first.assess(s);
        const saved = first.exportState();
        const second = new Assessor(DEFAULT_WATCHPOINTS);
        second.importState(saved);
        const fresh = new Assessor(DEFAULT_WATCHPOINTS);
        const counts = { ...saved };
        for (const s of snapshots(s2)) {
          const r2 = second.assess(s);
          const rf = fresh.assess(s);
          // same anomalies, recurrence offset by the restored count
          expect(r2.anomalies.map((x) => x.signature)).toEqual(rf.anomalies.map((x) => x.signature));
          for (const x of r2.raised) {
            counts[x.signature] = (counts[x.signature] ?? 0) + 1;
            expect(x.recurrence).toBe(counts[x.signature]);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});
