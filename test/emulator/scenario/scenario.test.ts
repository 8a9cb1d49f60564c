import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../hal/index.js';
import { Constellation } from '../../../emulator/constellation.js';
import { DEVICE_IDS } from '../../../emulator/devices/catalog.js';
import { BUILTIN_DIR, builtinScenarioNames, loadScenarioFile, parseScenario, parseScenarioText, resolveScenario, ScenarioError } from '../../../emulator/scenario/load.js';
import { DEVICE_FAULTS, FAULT_KINDS, NETWORK_FAULTS, satIds, type ScenarioInput } from '../../../emulator/scenario/schema.js';

/** The ScenarioError a bad input throws (fails the test if it does not throw one). */
function refusal(input: unknown): ScenarioError {
  try {
    if (typeof input === 'string') parseScenarioText(input, 'bad.yaml');
    else parseScenario(input, 'bad.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return err as ScenarioError;
  }
  throw new Error('expected a ScenarioError');
}

/** Exactly one issue, on the field `path`; returns its text. */
function issueOn(input: unknown, path: string): string {
  const e = refusal(input);
  expect(e.issues, JSON.stringify(e.issues)).toHaveLength(1);
  expect(e.issues[0]!.startsWith(`${path}: `), e.issues[0]).toBe(true);
  return e.issues[0]!;
}

const base = { name: 'bad' } satisfies ScenarioInput;

describe('shipped scenarios', () => {
  const files = readdirSync(BUILTIN_DIR).filter((f) => /\.(ya?ml|json)$/.test(f));

  it('the shipped set is the six documented ones, all listed by builtinScenarioNames', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
    expect(builtinScenarioNames()).toEqual(files.map((f) => basename(f).replace(/\.(ya?ml|json)$/, '')).sort());
    expect(builtinScenarioNames()).toEqual(expect.arrayContaining(['nominal', 'battery-crisis', 'isl-partition', 'leader-loss', 'sensor-dropout', 'thermal-runaway']));
  });

  for (const name of builtinScenarioNames()) {
    it(`${name}: loads, validates, names itself, and builds a constellation whose faults target real satellites and devices`, () => {
      const s = resolveScenario(name);
      expect(s.name).toBe(name);
      expect(s.description.length).toBeGreaterThan(10);
      expect(Object.isFrozen(s)).toBe(true);
      const ids = satIds(s.constellation.count, s.constellation.id_prefix);
      for (const f of s.faults) {
        expect(FAULT_KINDS).toContain(f.fault);
        if (f.sat && f.sat !== '*' && f.sat !== 'leader') expect(ids).toContain(f.sat);
        if (DEVICE_FAULTS.includes(f.fault)) expect(DEVICE_IDS).toContain(f.params.dev);
        if (NETWORK_FAULTS.includes(f.fault)) expect(f.sat).toBeUndefined();
        if (f.until_s !== undefined) expect(f.until_s).toBeLessThanOrEqual(s.duration_s);
        expect(f.at_s).toBeLessThan(s.duration_s);
      }
      const con = new Constellation({ scenario: s, clock: new VirtualClock() });
      expect(con.ids()).toEqual(ids);
      // A path works as well as a name.
      expect(loadScenarioFile(join(BUILTIN_DIR, `${name}.yaml`))).toEqual(s);
    });
  }

  it('the defaults fill a minimal scenario as documented', () => {
    const s = parseScenario({ name: 'min' });
    expect(s).toMatchObject({
      seed: 1,
      duration_s: 5700,
      constellation: { count: 5, planes: 1, altitude_km: 500, inclination_deg: 97.4, phase_spacing_deg: 4, raan_spacing_deg: 2, id_prefix: 'SAT-' },
      radio: { bit_rate: 9600, queue_bytes: 2048, latency_min_ms: 50, latency_max_ms: 100, loss_probability: 0 },
      world_step_s: 1,
      watchdog_ms: 2000,
      faults: [],
      agent: {},
    });
    expect(s.ground_station).toBeUndefined();
    expect(parseScenario({ name: 'gs', ground_station: { lat_deg: 1, lon_deg: 2 } }).ground_station).toEqual({ id: 'GROUND', lat_deg: 1, lon_deg: 2, elevation_mask_deg: 10 });
  });

  it('JSON text is accepted (JSON is YAML)', () => {
    const s = parseScenarioText(JSON.stringify({ name: 'j', seed: 9, constellation: { count: 2 } }));
    expect(s).toMatchObject({ name: 'j', seed: 9, constellation: { count: 2 } });
  });
});

describe('bad scenarios fail with a ScenarioError naming the field', () => {
  it('until_s not after at_s → faults.N.until_s', () => {
    const msg = issueOn({ ...base, faults: [{ at_s: 0, sat: 'SAT-1', fault: 'radio_outage' }, { at_s: 50, sat: 'SAT-1', fault: 'radio_outage', until_s: 40 }] }, 'faults.1.until_s');
    expect(msg).toContain('after at_s');
  });

  it('a constellation count out of range → constellation.count', () => {
    issueOn({ ...base, constellation: { count: 0 } }, 'constellation.count');
    issueOn({ ...base, constellation: { count: 2.5 } }, 'constellation.count');
    issueOn({ ...base, constellation: { count: 'five' } }, 'constellation.count');
  });

  it('an unknown top-level key is named (strict schema)', () => {
    const msg = issueOn({ ...base, colour: 'red' }, '(top level)');
    expect(msg).toContain('colour');
    issueOn({ ...base, constellation: { count: 2, shape: 'ring' } }, 'constellation');
    issueOn({ ...base, faults: [{ at_s: 1, sat: 'SAT-1', fault: 'radio_outage', when: 'later' }] }, 'faults.0');
  });

  it('an unknown fault kind lists the allowed ones', () => {
    const msg = issueOn({ ...base, faults: [{ at_s: 1, sat: 'SAT-1', fault: 'meteor_strike' }] }, 'faults.0.fault');
    for (const k of FAULT_KINDS) expect(msg).toContain(k);
  });

  it('a fault on a satellite that does not exist → faults.N.sat, and the same for partition groups', () => {
    expect(issueOn({ ...base, faults: [{ at_s: 1, sat: 'SAT-6', fault: 'power_off' }] }, 'faults.0.sat')).toContain('SAT-6');
    expect(issueOn({ ...base, constellation: { count: 3, id_prefix: 'X' }, faults: [{ at_s: 1, sat: 'SAT-1', fault: 'power_off' }] }, 'faults.0.sat')).toContain('X1');
    expect(issueOn({ ...base, faults: [{ at_s: 1, fault: 'partition', params: { groups: [['SAT-1', 'SAT-9']] } }] }, 'faults.0.params.groups')).toContain('SAT-9');
    // "*" and "leader" are always fine.
    expect(() => parseScenario({ ...base, faults: [{ at_s: 1, sat: '*', fault: 'radio_outage' }, { at_s: 1, sat: 'leader', fault: 'power_off' }] })).not.toThrow();
  });

  it('a device fault without params.dev, and a satellite fault without sat', () => {
    for (const fault of DEVICE_FAULTS) {
      expect(issueOn({ ...base, faults: [{ at_s: 1, sat: 'SAT-1', fault }] }, 'faults.0.params.dev')).toContain(fault);
    }
    issueOn({ ...base, faults: [{ at_s: 1, fault: 'power_off' }] }, 'faults.0.sat');
    // Network faults need no sat, but their own params.
    issueOn({ ...base, faults: [{ at_s: 1, fault: 'partition' }] }, 'faults.0.params.groups');
    issueOn({ ...base, faults: [{ at_s: 1, fault: 'isl_loss', params: { probability: 1.5 } }] }, 'faults.0.params.probability');
  });

  it('other fields: empty name, negative seed, inverted latency bounds, bad ground station', () => {
    expect(issueOn({ name: '' }, 'name')).toBe('name: must not be empty, got text ""');
    issueOn({ ...base, seed: -1 }, 'seed');
    issueOn({ ...base, radio: { latency_min_ms: 100, latency_max_ms: 50 } }, 'radio.latency_max_ms');
    issueOn({ ...base, ground_station: { lat_deg: 95, lon_deg: 0 } }, 'ground_station.lat_deg');
    issueOn({ ...base, faults: [{ at_s: -1, sat: 'SAT-1', fault: 'power_off' }] }, 'faults.0.at_s');
  });

  it('several problems are all reported at once', () => {
    const e = refusal({ ...base, seed: -1, constellation: { count: 0 }, faults: [{ at_s: 5, sat: 'SAT-1', fault: 'dropout', until_s: 1 }] });
    const paths = e.issues.map((i) => i.split(': ')[0]);
    expect(paths).toEqual(expect.arrayContaining(['seed', 'constellation.count', 'faults.0.until_s', 'faults.0.params.dev']));
    expect(e.message).toContain('bad.yaml: invalid scenario');
    for (const i of e.issues) expect(e.message).toContain(i);
    expect(e.code).toBe('E_SCENARIO_INVALID');
  });

  it('text that is not YAML, or YAML that is not a map', () => {
    const e = refusal('name: [unclosed\nseed: 1\n');
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]).toMatch(/^not valid YAML\/JSON/);
    expect(e.source).toBe('bad.yaml');
    // Plain words, not zod's "Invalid input: expected object, received string".
    const fields = 'name, description, seed, duration_s, constellation, ground_station, radio, world_step_s, watchdog_ms, agent, faults';
    expect(issueOn('just some words', '(top level)')).toBe(`(top level): expected a map of scenario fields (${fields}), got text "just some words"`);
    expect(issueOn('- a\n- b\n', '(top level)')).toBe(`(top level): expected a map of scenario fields (${fields}), got a list`);
    expect(issueOn('', '(top level)')).toMatch(/expected a map of scenario fields .*, got nothing \(null, or an empty file\)$/);
  });

  it('issues say what is allowed and what came, in plain words', () => {
    expect(issueOn({ ...base, duration_s: 'long' }, 'duration_s')).toBe('duration_s: expected a number, got text "long"');
    expect(issueOn({ ...base, seed: -1 }, 'seed')).toBe('seed: must be >= 0, got the number -1');
    expect(issueOn({ ...base, colour: 'red' }, '(top level)')).toMatch(/^\(top level\): unknown field colour \(allowed: name, description, seed, /);
    expect(issueOn({ ...base, constellation: { size: 3 } }, 'constellation')).toMatch(/^constellation: unknown field size \(allowed: count, planes, altitude_km, /);
    expect(issueOn({ ...base, constellation: 3 }, 'constellation')).toMatch(/^constellation: expected a map of fields \(count, planes, .*\), got the number 3$/);
    expect(issueOn({ ...base, faults: [{ at_s: 1, sat: '*', fault: 'meteor' }] }, 'faults.0.fault')).toMatch(/^faults\.0\.fault: expected one of sensor_stuck, .*, got text "meteor"$/);
    expect(issueOn({ ...base, ground_station: { lon_deg: 0 } }, 'ground_station.lat_deg')).toBe('ground_station.lat_deg: required (a number)');
  });

  it('name has a default (README: every field has one): the file\'s base name, else "scenario"', () => {
    expect(parseScenario({ duration_s: 120 }).name).toBe('scenario');
    expect(parseScenarioText('duration_s: 120\n').name).toBe('scenario');
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    const file = join(dir, 'short-pass.yaml');
    writeFileSync(file, 'duration_s: 120\n');
    const s = loadScenarioFile(file);
    expect(s.name).toBe('short-pass');
    expect(s.duration_s).toBe(120);
    writeFileSync(file, 'name: given\n');
    expect(resolveScenario(file).name).toBe('given');
  });

  it('files: a bad file names its path; a missing file says it cannot be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\nconstellation: { count: 0 }\n');
    expect(() => loadScenarioFile(bad)).toThrow(ScenarioError);
    try {
      loadScenarioFile(bad);
    } catch (err) {
      expect((err as ScenarioError).source).toBe(bad);
      expect((err as ScenarioError).message).toContain(bad);
      expect((err as ScenarioError).issues[0]).toMatch(/^constellation\.count: /);
    }
    const missing = join(dir, 'nope.yaml');
    expect(() => resolveScenario(missing)).toThrow(/cannot read/);
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'name: good\nconstellation: { count: 2 }\n');
    expect(resolveScenario(good).constellation.count).toBe(2);
  });
});
