import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadAgentConfig, parseAgentConfig } from '../../../firmware-agent/config/load.js';
import { DEFAULT_WATCHPOINTS, watchpointSchema, type AgentConfig } from '../../../firmware-agent/config/schema.js';

const tmp = mkdtempSync(join(tmpdir(), 'agent-config-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The issues of a config parseAgentConfig refuses. */
function refused(value: unknown): string[] {
  try {
    parseAgentConfig(value, 'test');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).code).toBe('E_CONFIG_INVALID');
    return (e as ConfigError).issues;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

describe('parseAgentConfig: defaults', () => {
  const c = parseAgentConfig({});

  it('fills every section with its documented default', () => {
    const { watchpoints, ...rest } = c;
    expect(rest).toEqual({
      cycle_hz: 10,
      budget_ms: 20,
      stale_after_periods: 3,
      request_timeout_ms: 500,
      modes: { degraded_below: 0.8, safe_below: 0.4, persistence_cycles: 5, safe_exit_stable_s: 60, recovery_dwell_s: 30 },
      actions: { retries: 3, backoff_ms: 100, verify_timeout_ms: 3000, breaker_failures: 4, breaker_reset_ms: 30_000, stall_factor: 3 },
      journal: { max_bytes: 1_048_576, fsync: true },
      health: { ping_ms: 1000, warn_missed: 2, fatal_missed: 5 },
      observability: { log_level: 'info', metrics_port: 0 },
      swarm: {
        enabled: true,
        members: [],
        bit_rate: 9600,
        quorum: 'majority',
        election: { heartbeat_ms: 200, election_timeout_min_ms: 500, election_timeout_max_ms: 650, lease_ms: 800, stand_threshold: 0.5, pre_vote: true, max_append_bytes: 256 },
      },
      ground: { station_id: 'GROUND' },
    } satisfies Omit<AgentConfig, 'watchpoints'>);
    expect(watchpoints).toHaveLength(DEFAULT_WATCHPOINTS.length);
  });

  it('the default watchpoints come out parsed: each with severity, persistence and (limit/rate) hysteresis', () => {
    for (const w of c.watchpoints) {
      expect(w.persistence).toBeDefined();
      expect(w.severity).toBeDefined();
      if (w.kind !== 'stale') expect(typeof w.hysteresis).toBe('number');
    }
    const stale = c.watchpoints.find((w) => w.id === 'imu_stale')!;
    expect(stale.persistence).toEqual({ n: 1, m: 1 });
    const rate = c.watchpoints.find((w) => w.id === 'payload_temp_rate')!;
    expect(rate).toEqual({ kind: 'rate', id: 'payload_temp_rate', field: 'thermal.payload', subsystem: 'payload', max_per_s: 0.05, window_s: 10, hysteresis: 0.02, severity: 'warning', persistence: { n: 2, m: 3 } });
  });

  it('a given section keeps the defaults of the fields it leaves out', () => {
    const d = parseAgentConfig({ actions: { retries: 0 }, swarm: { election: { heartbeat_ms: 100 } } });
    expect(d.actions).toEqual({ ...c.actions, retries: 0 });
    expect(d.swarm.election).toEqual({ ...c.swarm.election, heartbeat_ms: 100 });
    expect(parseAgentConfig(undefined)).toEqual(c);
    expect(parseAgentConfig(null)).toEqual(c);
  });

  it('is frozen all the way down, and a fresh object each time', () => {
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.swarm.election)).toBe(true);
    expect(Object.isFrozen(c.swarm.members)).toBe(true);
    expect(Object.isFrozen(c.watchpoints[0]!.persistence)).toBe(true);
    expect(() => ((c as { cycle_hz: number }).cycle_hz = 5)).toThrow(TypeError);
    const again = parseAgentConfig({});
    expect(again.watchpoints).not.toBe(c.watchpoints);
    expect(Object.isFrozen(DEFAULT_WATCHPOINTS[0])).toBe(false);
  });

  it('a parsed config parses again to itself (callers merge raw objects over a parsed base)', () => {
    const base = parseAgentConfig({ cycle_hz: 5, ground: { public_key_file: '/k.pem' } });
    expect(parseAgentConfig({ ...base, observability: { ...base.observability, metrics_port: 9100 } })).toEqual({
      ...base,
      observability: { log_level: 'info', metrics_port: 9100 },
    });
  });
});

describe('parseAgentConfig: refusals name the field and what it allows', () => {
  it('out of range and wrong types', () => {
    expect(refused({ cycle_hz: 500 })).toEqual(['cycle_hz: expected a number in 0.1..100, got 500']);
    expect(refused({ cycle_hz: '10' })).toEqual(['cycle_hz: expected a number in 0.1..100, got "10"']);
    expect(refused({ budget_ms: 0 })).toEqual(['budget_ms: expected a number > 0 and <= 1000, got 0']);
    expect(refused({ request_timeout_ms: 100.5 })).toEqual(['request_timeout_ms: expected an integer >= 10, got 100.5']);
    expect(refused({ modes: { safe_below: 1.5 } })).toEqual(['modes.safe_below: expected a number in 0..1, got 1.5']);
    expect(refused({ actions: { retries: 11 } })).toEqual(['actions.retries: expected an integer in 0..10, got 11']);
    expect(refused({ journal: { fsync: 'yes' } })).toEqual(['journal.fsync: expected true or false, got "yes"']);
    expect(refused({ observability: { log_level: 'loud' } })).toEqual(['observability.log_level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"']);
    expect(refused({ observability: { metrics_port: 70000 } })).toEqual(['observability.metrics_port: expected an integer in 0..65535, got 70000']);
    expect(refused({ swarm: { members: 'SAT-1' } })).toEqual(['swarm.members: expected a list, got "SAT-1"']);
    expect(refused({ swarm: { quorum: 'all' } })).toEqual(['swarm.quorum: expected one of majority, two_thirds, got "all"']);
    expect(refused({ swarm: null })).toEqual(['swarm: expected a map (enabled, members, key_file, bit_rate, quorum, election), got null']);
    expect(refused(42)[0]).toMatch(/^\(top level\): expected a map \(cycle_hz, .*\), got 42$/);
  });

  it('every issue at once', () => {
    expect(refused({ cycle_hz: 1000, actions: { verify_timeout_ms: 1 }, health: { ping_ms: 'x' } })).toEqual([
      'cycle_hz: expected a number in 0.1..100, got 1000',
      'actions.verify_timeout_ms: expected an integer >= 10, got 1',
      'health.ping_ms: expected an integer >= 10, got "x"',
    ]);
  });

  it('unknown keys, at the top and in a section', () => {
    expect(refused({ cycle_hertz: 5 })).toEqual([expect.stringMatching(/^cycle_hertz: unknown key; allowed here: cycle_hz, budget_ms, .*ground$/)]);
    expect(refused({ swarm: { election: { heartbeat: 100 } } })[0]).toMatch(/^swarm\.election\.heartbeat: unknown key; allowed here: heartbeat_ms, /);
  });

  it('cross-field rules: election timeouts, duplicate ids, a limit with no bound, a rate that could never clear', () => {
    expect(refused({ swarm: { election: { election_timeout_min_ms: 900 } } })).toEqual(['swarm.election.election_timeout_max_ms: must be >= election_timeout_min_ms (900)']);
    const limit = { kind: 'limit', id: 'x', field: 'eps.soc', subsystem: 'power', low: 0.2 };
    expect(refused({ watchpoints: [limit, limit] })).toEqual(['watchpoints.1.id: duplicate watchpoint id x']);
    expect(refused({ watchpoints: [{ ...limit, low: undefined }] })).toEqual(['watchpoints.0: a limit watchpoint needs low, high or both']);
    expect(refused({ watchpoints: [{ kind: 'rate', id: 'r', field: 'thermal.obc', subsystem: 'obc', max_per_s: 0.1, hysteresis: 0.1 }] })).toEqual([
      'watchpoints.0.hysteresis: must be below max_per_s (0.1) or it could never clear',
    ]);
  });
});

describe('watchpoints: kinds told apart by `kind`', () => {
  it('each kind with its own fields and defaults', () => {
    expect(watchpointSchema.parse({ kind: 'limit', id: 'a', field: 'eps.soc', subsystem: 'power', high: 1 })).toEqual({
      kind: 'limit', id: 'a', field: 'eps.soc', subsystem: 'power', high: 1, severity: 'warning', hysteresis: 0, persistence: { n: 3, m: 5 },
    });
    expect(watchpointSchema.parse({ kind: 'rate', id: 'r', field: 'thermal.obc', subsystem: 'obc', max_per_s: 2 })).toEqual({
      kind: 'rate', id: 'r', field: 'thermal.obc', subsystem: 'obc', max_per_s: 2, window_s: 0, severity: 'warning', hysteresis: 0, persistence: { n: 3, m: 5 },
    });
    expect(watchpointSchema.parse({ kind: 'stale', id: 's', field: 'imu', subsystem: 'adcs' })).toEqual({
      kind: 'stale', id: 's', field: 'imu', subsystem: 'adcs', severity: 'warning', persistence: { n: 1, m: 1 },
    });
  });

  it("a field of another kind is unknown; a missing required field is named; the kind must be one of the three", () => {
    const r = watchpointSchema.safeParse({ kind: 'stale', id: 's', field: 'imu', subsystem: 'adcs', max_per_s: 1 });
    expect(r.success).toBe(false);
    expect(refused({ watchpoints: [{ kind: 'stale', id: 's', field: 'imu', subsystem: 'adcs', high: 1 }] })).toEqual([
      'watchpoints.0.high: unknown key; allowed here: kind, id, field, subsystem, severity, persistence',
    ]);
    expect(refused({ watchpoints: [{ kind: 'rate', id: 'r', field: 'thermal.obc', subsystem: 'obc' }] })).toEqual(['watchpoints.0.max_per_s: required: a number > 0']);
    expect(refused({ watchpoints: [{ kind: 'limit', field: 'eps.soc', subsystem: 'power', low: 1 }] })).toEqual(['watchpoints.0.id: required: non-empty text']);
    expect(refused({ watchpoints: [{ kind: 'band', id: 'b' }] })).toEqual(['watchpoints.0.kind: expected one of limit, rate, stale, got "band"']);
    expect(refused({ watchpoints: [{ kind: 'limit', id: 'a', field: 'soc', subsystem: 'power', low: 1 }] })).toEqual([
      'watchpoints.0.field: expected text like device.field, e.g. eps.soc, got "soc"',
    ]);
    expect(refused({ watchpoints: [{ kind: 'stale', id: 'a', field: 'eps.soc', subsystem: 'power' }] })).toEqual([
      'watchpoints.0.field: expected text like a device id, e.g. thermal, got "eps.soc"',
    ]);
    expect(refused({ watchpoints: [{ kind: 'limit', id: 'a', field: 'eps.soc', subsystem: 'cpu', low: 1, severity: 'fatal' }] })).toEqual([
      'watchpoints.0.subsystem: expected one of power, thermal, adcs, comms, payload, obc, radiation, got "cpu"',
      'watchpoints.0.severity: expected one of info, warning, critical, got "fatal"',
    ]);
  });

  it('persistence: integers >= 1 with n <= m', () => {
    const wp = (persistence: unknown) => ({ watchpoints: [{ kind: 'limit', id: 'a', field: 'eps.soc', subsystem: 'power', low: 1, persistence }] });
    expect(parseAgentConfig(wp({ n: 2, m: 2 })).watchpoints[0]!.persistence).toEqual({ n: 2, m: 2 });
    expect(refused(wp({ n: 4, m: 2 }))).toEqual(['watchpoints.0.persistence: n must be <= m (n of the last m cycles), got n=4 m=2']);
    expect(refused(wp({ n: 0, m: 2 }))).toEqual(['watchpoints.0.persistence.n: expected an integer >= 1, got 0']);
    expect(refused(wp({ n: 1.5, m: 2 }))).toEqual(['watchpoints.0.persistence.n: expected an integer >= 1, got 1.5']);
    expect(refused(wp({ n: 1 }))).toEqual(['watchpoints.0.persistence.m: required: an integer >= 1']);
  });
});

describe('loadAgentConfig', () => {
  it('reads YAML and JSON, and refuses a bad file naming its path', () => {
    const yaml = join(tmp, 'agent.yaml');
    writeFileSync(yaml, 'cycle_hz: 5\nground:\n  public_key_file: /etc/fsw/ground.pem\n');
    expect(loadAgentConfig(yaml)).toMatchObject({ cycle_hz: 5, ground: { public_key_file: '/etc/fsw/ground.pem', station_id: 'GROUND' } });
    const json = join(tmp, 'agent.json');
    writeFileSync(json, JSON.stringify({ budget_ms: 2000 }));
    expect(() => loadAgentConfig(json)).toThrow(`${json}: invalid configuration:\n  - budget_ms: expected a number > 0 and <= 1000, got 2000`);
    const broken = join(tmp, 'broken.json');
    writeFileSync(broken, '{');
    expect(() => loadAgentConfig(broken)).toThrow(/not valid YAML\/JSON/);
    expect(() => loadAgentConfig(join(tmp, 'missing.yaml'))).toThrow(/cannot read/);
  });
});
