import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseAgentConfig } from '../../firmware-agent/config/load.js';
import { describeIssue, envLayer, flagLayer, originOf, resolveAgentSection, type AgentSectionOptions } from '../../firmware-agent/config-layers.js';
import { tempFiles } from '../helpers/tmp.js';

/** The board's side of the layered configuration (no tools/): the agent section alone. */
const { dir: tmp, file } = tempFiles('fsw-layers-test-');
const resolve = (o: AgentSectionOptions) => resolveAgentSection(o, parseAgentConfig, (s, i) => new ConfigError(s, i), o.file ?? 'built-in defaults');
function refused(o: AgentSectionOptions): ConfigError {
  try {
    resolve(o);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('accepted');
}
const logLevelFlag = (value: unknown) => ({ flag: '--log-level', path: ['agent', 'observability', 'log_level'], value });

describe('resolveAgentSection (the board entry)', () => {
  it('a plain agent file, FSW_AGENT__ variables over it, flags over both', () => {
    const cfg = file('agent.yaml', 'cycle_hz: 2\nobservability:\n  log_level: warn\n  metrics_port: 9100\n');
    const r = resolve({ file: cfg, env: { FSW_AGENT__CYCLE_HZ: '4', FSW_AGENT__OBSERVABILITY__LOG_LEVEL: 'debug' }, flags: [logLevelFlag('error')] });
    expect(r.config.cycle_hz).toBe(4);
    expect(r.config.observability).toEqual({ log_level: 'error', metrics_port: 9100 });
    expect(r.warnings).toEqual([]);
  });

  it('a unified file: only its agent section is read; the other sections are the tools\'', () => {
    const cfg = file('fsw.yaml', 'agent:\n  cycle_hz: 3\nemulator:\n  seed: 7\nemulate:\n  pty_dir: /tmp/sats\n');
    expect(resolve({ file: cfg, env: {} }).config.cycle_hz).toBe(3);
    // FSW_ variables of the tools' sections are not the board's business, and not warned about
    expect(resolve({ file: cfg, env: { FSW_EMULATOR__SEED: '9' } }).warnings).toEqual([]);
  });

  it('a plain file\'s issues read as before (field: message, the heading names the file)', () => {
    const cfg = file('bad.yaml', 'cycle_hz: 1000\n');
    const e = refused({ file: cfg, env: {} });
    expect(e.message).toMatch(new RegExp(`^${cfg}: invalid configuration`));
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]).toMatch(/^cycle_hz: .*100/);
  });

  it('a unified file\'s issues name agent.field; an unknown section is refused', () => {
    expect(refused({ file: file('bad-u.yaml', 'agent:\n  cycle_hz: 0\n'), env: {} }).issues[0]).toMatch(/^agent\.cycle_hz: .*0\.1/);
    expect(refused({ file: file('typo-u.yaml', 'agent: {}\nemulater: {}\n'), env: {} }).issues).toEqual(['emulater: unknown section; the sections are agent, emulator, emulate, run']);
  });

  it('a bad value from a variable or a flag names it', () => {
    const e = refused({ env: { FSW_AGENT__CYCLE_HZ: '1000', FSW_AGENT__JOURNAL__FSYNC: 'maybe' }, flags: [logLevelFlag('loud')] });
    expect(e.issues).toContainEqual(expect.stringMatching(/^FSW_AGENT__CYCLE_HZ \(env\) → cycle_hz: .*100/));
    expect(e.issues).toContainEqual(expect.stringMatching(/^FSW_AGENT__JOURNAL__FSYNC \(env\) → journal\.fsync: /));
    expect(e.issues).toContainEqual(expect.stringMatching(/^--log-level \(flag\) → observability\.log_level: .*debug/));
  });

  it('an unreadable file is refused with the reason', () => {
    expect(refused({ file: join(tmp, 'missing.yaml'), env: {} }).issues[0]).toMatch(/^cannot read: /);
  });

  it('FSW_ variables naming no section are warned about', () => {
    expect(resolve({ env: { FSW_CYCLE_HZ: '5' } }).warnings[0]).toContain('ignoring FSW_CYCLE_HZ');
  });
});

describe('layers: origins and issues', () => {
  it('the highest layer that set a leaf is its origin; a whole array set above names its setter', () => {
    const env = envLayer({ FSW_AGENT__SWARM__MEMBERS: '["A","B"]', FSW_AGENT__CYCLE_HZ: '5' }).layer;
    const flags = flagLayer([{ flag: '--cycle', path: ['agent', 'cycle_hz'], value: 6 }]);
    expect(originOf([env, flags], ['agent', 'cycle_hz'])).toEqual({ source: 'flag', name: '--cycle' });
    expect(originOf([env, flags], ['agent', 'swarm', 'members', '1'])).toEqual({ source: 'env', name: 'FSW_AGENT__SWARM__MEMBERS' });
    expect(originOf([env, flags], ['agent', 'swarm'])).toBeUndefined();
    expect(originOf([env, flags], ['agent', 'budget_ms'])).toBeUndefined();
  });

  it('an issue about a parent names the children its message mentions', () => {
    const env = envLayer({ FSW_AGENT__SWARM__ELECTION__ELECTION_TIMEOUT_MIN_MS: '900', FSW_AGENT__SWARM__BIT_RATE: '1200' }).layer;
    const told = describeIssue('swarm.election: election_timeout_min_ms must be <= election_timeout_max_ms', [env], ['agent']);
    expect(told).toBe('FSW_AGENT__SWARM__ELECTION__ELECTION_TIMEOUT_MIN_MS (env) → agent.swarm.election: election_timeout_min_ms must be <= election_timeout_max_ms');
  });
});
