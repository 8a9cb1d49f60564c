import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../../firmware-agent/config/load.js';
import { FswConfigError, resolveConfig, type ResolveOptions } from '../../../tools/config/resolve.js';
import { EMULATE_FIELDS, RUN_FIELDS } from '../../../tools/config/sections.js';
import { tempFiles } from '../../helpers/tmp.js';

const { dir: tmp, file } = tempFiles('fsw-config-test-');
/** The issues of a refused configuration (fails the test if it was accepted). */
function issues(opts: ResolveOptions): string[] {
  try {
    resolveConfig(opts);
  } catch (err) {
    expect(err).toBeInstanceOf(FswConfigError);
    expect((err as FswConfigError).code).toBe('E_FSW_CONFIG_INVALID');
    return (err as FswConfigError).issues;
  }
  throw new Error('the configuration was accepted');
}
const flag = (f: string, path: string, value: unknown) => ({ flag: f, path: path.split('.'), value });

describe('resolveConfig: defaults', () => {
  it('with no file, no FSW_ variables and no flags, every leaf is the built-in default', () => {
    const r = resolveConfig({ env: {} });
    expect(r.config.agent).toEqual(parseAgentConfig({}));
    expect(r.config.emulator).toEqual({ scenario: 'nominal', seed: null, sats: null });
    expect(r.config.emulate.baud).toBe(EMULATE_FIELDS.baud!.default);
    expect(r.config.run.every_s).toBe(RUN_FIELDS.every_s!.default);
    expect(r.sources.size).toBeGreaterThan(30);
    expect([...r.sources.values()].every((o) => o.source === 'default')).toBe(true);
    expect(r.warnings).toEqual([]);
    expect(r.explicitAgent).toEqual({});
  });
});

describe('resolveConfig: precedence file < env < flag, leaf by leaf', () => {
  const yaml = (): string =>
    file(
      'fsw.yaml',
      ['agent:', '  cycle_hz: 2', '  budget_ms: 30', '  observability:', '    log_level: warn', '    metrics_port: 9000', 'emulator:', '  seed: 3', '  sats: 2', 'run:', '  every_s: 60', ''].join('\n'),
    );

  it('the same field set in all three: the flag wins; each leaf names its own source', () => {
    const cfg = yaml();
    const r = resolveConfig({
      file: cfg,
      env: { FSW_AGENT__OBSERVABILITY__LOG_LEVEL: 'debug', FSW_AGENT__CYCLE_HZ: '5', FSW_EMULATOR__SEED: '7' },
      flags: [flag('--log-level', 'agent.observability.log_level', 'error'), flag('--seed', 'emulator.seed', 11)],
    });
    // log_level: file warn < env debug < flag error
    expect(r.config.agent.observability.log_level).toBe('error');
    expect(r.sources.get('agent.observability.log_level')).toEqual({ source: 'flag', name: '--log-level' });
    // cycle_hz: file 2 < env 5
    expect(r.config.agent.cycle_hz).toBe(5);
    expect(r.sources.get('agent.cycle_hz')).toEqual({ source: 'env', name: 'FSW_AGENT__CYCLE_HZ' });
    // siblings of overridden fields keep the file's values and origin
    expect(r.config.agent.budget_ms).toBe(30);
    expect(r.sources.get('agent.budget_ms')).toEqual({ source: 'file', name: cfg });
    expect(r.config.agent.observability.metrics_port).toBe(9000);
    expect(r.sources.get('agent.observability.metrics_port')).toEqual({ source: 'file', name: cfg });
    // seed: file 3 < env 7 < flag 11; sats only in the file; fields nobody set are defaults
    expect(r.config.emulator).toEqual({ scenario: 'nominal', seed: 11, sats: 2 });
    expect(r.sources.get('emulator.seed')).toEqual({ source: 'flag', name: '--seed' });
    expect(r.sources.get('emulator.sats')).toEqual({ source: 'file', name: cfg });
    expect(r.sources.get('emulator.scenario')).toEqual({ source: 'default', name: 'built-in' });
    expect(r.config.run.every_s).toBe(60);
    expect(r.sources.get('agent.request_timeout_ms')?.source).toBe('default');
    // what fsw run lays over a scenario's agent section: explicit values only, no defaults
    expect(r.explicitAgent).toEqual({ cycle_hz: 5, budget_ms: 30, observability: { log_level: 'error', metrics_port: 9000 } });
  });

  it('the same file as JSON resolves to the same configuration', () => {
    const y = resolveConfig({ file: yaml(), env: {} });
    const j = resolveConfig({
      file: file('fsw.json', JSON.stringify({ agent: { cycle_hz: 2, budget_ms: 30, observability: { log_level: 'warn', metrics_port: 9000 } }, emulator: { seed: 3, sats: 2 }, run: { every_s: 60 } })),
      env: {},
    });
    expect(j.config).toEqual(y.config);
  });

  it('environment values parse as JSON when they can (numbers, booleans, arrays, objects), else are strings', () => {
    const r = resolveConfig({
      env: {
        FSW_AGENT__JOURNAL__FSYNC: 'false',
        FSW_AGENT__SWARM__MEMBERS: '["SAT-1","SAT-2"]',
        FSW_AGENT__MODES: '{"safe_below":0.3}',
        FSW_AGENT__GROUND__STATION_ID: 'GS-7',
        FSW_EMULATE__PTY_DIR: '/tmp/sats',
        FSW_RUN__WORK_DIR: undefined,
      },
    });
    expect(r.config.agent.journal.fsync).toBe(false);
    expect(r.config.agent.swarm.members).toEqual(['SAT-1', 'SAT-2']);
    expect(r.sources.get('agent.swarm.members')).toEqual({ source: 'env', name: 'FSW_AGENT__SWARM__MEMBERS' });
    // a whole object from one variable: its field is from env, its siblings stay defaults
    expect(r.config.agent.modes.safe_below).toBe(0.3);
    expect(r.sources.get('agent.modes.safe_below')).toEqual({ source: 'env', name: 'FSW_AGENT__MODES' });
    expect(r.sources.get('agent.modes.degraded_below')?.source).toBe('default');
    expect(r.config.agent.ground.station_id).toBe('GS-7');
    expect(r.config.emulate.pty_dir).toBe('/tmp/sats');
    expect(r.config.run.work_dir).toBeNull();
    expect(resolveConfig({ env: { FSW_EMULATE__PORTS: '/dev/ttyUSB0,/dev/ttyUSB1' } }).config.emulate.ports).toEqual(['/dev/ttyUSB0', '/dev/ttyUSB1']);
  });

  it('FSW_ variables naming no section are ignored with a warning naming them; FSW_DEBUG is not config', () => {
    const r = resolveConfig({ env: { FSW_SEED: '7', FSW_FROB__X: '1', FSW_DEBUG: '1', HOME: '/root' } });
    expect(r.config.emulator.seed).toBeNull();
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain('FSW_FROB__X, FSW_SEED');
    expect(r.warnings[0]).toContain('FSW_EMULATOR__SEED=7');
    expect(r.warnings[0]).not.toContain('FSW_DEBUG');
  });

  it('a plain agent file (the board format) is read as the agent section', () => {
    const cfg = file('agent.yaml', 'cycle_hz: 4\nswarm:\n  enabled: false\n');
    const r = resolveConfig({ file: cfg, env: {} });
    expect(r.config.agent.cycle_hz).toBe(4);
    expect(r.config.agent.swarm.enabled).toBe(false);
    expect(r.sources.get('agent.swarm.enabled')).toEqual({ source: 'file', name: cfg });
  });
});

describe('resolveConfig: invalid values name their source, the field and what it allows', () => {
  it('from the environment', () => {
    const r = issues({ env: { FSW_AGENT__CYCLE_HZ: '1000' } });
    expect(r).toHaveLength(1);
    expect(r[0]).toMatch(/^FSW_AGENT__CYCLE_HZ \(env\) → agent\.cycle_hz: .*100/);
  });

  it('from a flag', () => {
    const r = issues({ env: {}, flags: [flag('--metrics-port', 'agent.observability.metrics_port', 70000), flag('--sats', 'emulator.sats', 0)] });
    expect(r).toContainEqual(expect.stringMatching(/^--metrics-port \(flag\) → agent\.observability\.metrics_port: .*65535/));
    expect(r).toContain('--sats (flag) → emulator.sats: must be an integer from 1 to 1000');
  });

  it('from the file, every bad field at once, in YAML', () => {
    const cfg = file('bad.yaml', 'agent:\n  cycle_hz: 0\nemulator:\n  seed: -1\n  scenario: no-such-scenario\nemulate:\n  baud: fast\n');
    const r = issues({ file: cfg, env: {} });
    expect(r).toContainEqual(expect.stringMatching(new RegExp(`^${cfg} \\(file\\) → agent\\.cycle_hz: .*0\\.1`)));
    expect(r).toContain(`${cfg} (file) → emulator.seed: must be an integer from 0 to 4294967295`);
    expect(r).toContainEqual(expect.stringMatching(new RegExp(`^${cfg} \\(file\\) → emulator\\.scenario: no scenario "no-such-scenario": not a shipped scenario \\(.*nominal.*\\) and no such file`)));
    expect(r).toContain(`${cfg} (file) → emulate.baud: must be an integer from 50 to 4000000`);
    expect(r).toHaveLength(4);
  });

  it('run.speed and run.report: kept as typed when valid, refused naming what they allow', () => {
    const r = resolveConfig({ env: { FSW_RUN__SPEED: 'X10', FSW_RUN__REPORT: 'false' } });
    expect(r.config.run).toMatchObject({ speed: 'x10', report: false });
    const bad = issues({ env: { FSW_RUN__SPEED: 'fast', FSW_RUN__REPORT: '3' } });
    expect(bad).toContainEqual(expect.stringMatching(/^FSW_RUN__SPEED \(env\) → run\.speed: must be max \(as fast as possible\), realtime, or xK/));
    expect(bad).toContain('FSW_RUN__REPORT (env) → run.report: must be a file path for the HTML report, or false for none');
  });

  it('from the file, in JSON, a value of the wrong type', () => {
    const cfg = file('bad.json', JSON.stringify({ run: { every_s: 'often', work_dir: '' }, agent: { journal: { fsync: 'yes' } } }));
    const r = issues({ file: cfg, env: {} });
    expect(r).toContain(`${cfg} (file) → run.every_s: must be a number of seconds > 0`);
    expect(r).toContain(`${cfg} (file) → run.work_dir: must be a directory path (a non-empty string)`);
    expect(r).toContainEqual(expect.stringMatching(new RegExp(`^${cfg} \\(file\\) → agent\\.journal\\.fsync: .*(true or false|bool)`)));
  });

  it('an unknown key in the file, in an agent subsection and in a tool section, names the key', () => {
    const cfg = file('typo.yaml', 'agent:\n  modes:\n    safe_bellow: 0.3\nemulate:\n  pty_dri: /tmp/x\n');
    const r = issues({ file: cfg, env: {} });
    expect(r).toContainEqual(expect.stringMatching(new RegExp(`^${cfg} \\(file\\) → agent\\.modes(\\.safe_bellow)?: .*(safe_bellow|safe_below)`)));
    expect(r).toContainEqual(expect.stringMatching(new RegExp(`^${cfg} \\(file\\) → emulate\\.pty_dri: unknown key; allowed here: pty_dir, ports`)));
  });

  it('an unknown section in the file is refused, naming the sections', () => {
    const cfg = file('section.yaml', 'agent: {}\nemulater:\n  seed: 1\n');
    expect(issues({ file: cfg, env: {} })).toEqual([`${cfg} (file) → emulater: unknown section; the sections are agent, emulator, emulate, run`]);
  });

  it('an unknown field under a known section in the environment is refused, naming the variable', () => {
    const r = issues({ env: { FSW_AGENT__CYCLE_HERTZ: '5', FSW_RUN__EVERY: '5' } });
    expect(r).toContainEqual(expect.stringMatching(/^FSW_AGENT__CYCLE_HERTZ \(env\) → agent(\.cycle_hertz)?: .*(cycle_hertz|unknown)/));
    expect(r).toContainEqual(expect.stringMatching(/^FSW_RUN__EVERY \(env\) → run\.every: unknown key; allowed here: duration_s, every_s, work_dir/));
  });

  it('a rule across two fields names both values\' sources', () => {
    const cfg = file('both.yaml', 'emulate:\n  ports: [/dev/ttyUSB0]\n');
    const r = issues({ file: cfg, env: { FSW_EMULATE__PTY_DIR: '/tmp/sats' } });
    expect(r).toHaveLength(1);
    expect(r[0]).toContain(`${cfg} (file)`);
    expect(r[0]).toContain('FSW_EMULATE__PTY_DIR (env)');
    expect(r[0]).toContain('ports and pty_dir exclude each other');
  });

  it('a file that cannot be read, or does not parse, or is not a map', () => {
    expect(issues({ file: join(tmp, 'missing.yaml'), env: {} })[0]).toMatch(/missing\.yaml \(file\): cannot read/);
    expect(issues({ file: file('broken.json', '{"agent": '), env: {} })[0]).toMatch(/broken\.json \(file\): not valid YAML\/JSON/);
    expect(issues({ file: file('list.yaml', '- 1\n- 2\n'), env: {} })[0]).toMatch(/list\.yaml \(file\): must be a map of sections/);
  });

  it('a section that is not a map is refused', () => {
    const cfg = file('scalar.yaml', 'agent: 5\n');
    expect(issues({ file: cfg, env: {} })).toEqual([`${cfg} (file) → agent: must be a map of fields`]);
  });
});
