import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseAgentConfig } from '../../../firmware-agent/config/load.js';
import { resolveScenario } from '../../../emulator/scenario/load.js';
import { fswInProcess as fsw } from '../../helpers/cli.js';
import { tempFiles } from '../../helpers/tmp.js';

const { dir: tmp, file } = tempFiles('fsw-config-print-');
afterEach(() => vi.unstubAllEnvs());

describe('fsw config print', () => {
  it('with nothing configured prints every field with its built-in default, the scenario\'s seed, sats and duration filled in', async () => {
    const r = await fsw(['config', 'print']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const printed = parseYaml(r.stdout) as Record<string, Record<string, unknown>>;
    const nominal = resolveScenario('nominal');
    expect(printed.agent).toEqual(JSON.parse(JSON.stringify(parseAgentConfig({}))));
    expect(printed.emulator).toEqual({ scenario: 'nominal', seed: nominal.seed, sats: nominal.constellation.count });
    expect(printed.emulate).toEqual({ pty_dir: null, ports: null, ground_port: null, baud: 115200, duration_s: null, status_every_s: 5 });
    expect(printed.run).toEqual({ duration_s: nominal.duration_s, every_s: 600, work_dir: null, speed: 'max', report: null, record: null });
  });

  it('--sources says where each value came from: the file, an FSW_ variable, a default or the scenario', async () => {
    const cfg = file('fsw.yaml', 'agent:\n  cycle_hz: 2\n  budget_ms: 25\nemulator:\n  scenario: thermal-runaway\n  sats: 3\n');
    vi.stubEnv('FSW_AGENT__CYCLE_HZ', '5');
    const r = await fsw(['config', 'print', '--config', cfg, '--sources']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').map((l) => l.trim());
    expect(lines).toContain('cycle_hz: 5 # env FSW_AGENT__CYCLE_HZ');
    expect(lines).toContain(`budget_ms: 25 # file ${cfg}`);
    expect(lines).toContain(`scenario: thermal-runaway # file ${cfg}`);
    expect(lines).toContain(`sats: 3 # file ${cfg}`);
    expect(lines).toContain(`seed: ${resolveScenario('thermal-runaway').seed} # default (scenario thermal-runaway)`);
    expect(lines).toContain('request_timeout_ms: 500 # default');
    expect(lines).toContain('pty_dir: null # default: a fresh temporary directory');
    // still YAML: the comments do not change the values
    expect((parseYaml(r.stdout) as { agent: { cycle_hz: number } }).agent.cycle_hz).toBe(5);
  });

  it('--json --sources prints {config, sources}; a JSON config file works the same', async () => {
    const cfg = file('fsw.json', JSON.stringify({ emulate: { baud: 57600 }, run: { every_s: 120 } }));
    vi.stubEnv('FSW_EMULATOR__SEED', '7');
    const r = await fsw(['config', 'print', '--config', cfg, '--json', '--sources']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { config: { emulator: { seed: number }; emulate: { baud: number }; run: { every_s: number } }; sources: Record<string, unknown> };
    expect(out.config.emulator.seed).toBe(7);
    expect(out.config.emulate.baud).toBe(57600);
    expect(out.config.run.every_s).toBe(120);
    expect(out.sources['emulator.seed']).toEqual({ source: 'env', name: 'FSW_EMULATOR__SEED' });
    expect(out.sources['emulate.baud']).toEqual({ source: 'file', name: cfg });
    expect(out.sources['agent.cycle_hz']).toEqual({ source: 'default', name: 'built-in' });
    const plain = JSON.parse((await fsw(['config', 'print', '--config', cfg, '--json'])).stdout) as { emulate: { baud: number } };
    expect(plain.emulate.baud).toBe(57600);
  });

  it('a plain agent file (the board\'s format) is the agent section', async () => {
    const cfg = file('agent.yaml', 'cycle_hz: 4\n');
    const r = await fsw(['config', 'print', '--config', cfg, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { agent: { cycle_hz: number } }).agent.cycle_hz).toBe(4);
  });

  it('an invalid value exits 2 naming the variable, the field and what it allows; nothing on stdout', async () => {
    vi.stubEnv('FSW_AGENT__CYCLE_HZ', '1000');
    const r = await fsw(['config', 'print']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('fsw config print: error: invalid configuration:');
    expect(r.stderr).toMatch(/- FSW_AGENT__CYCLE_HZ \(env\) → agent\.cycle_hz: .*100/);
  });

  it('an invalid scenario file named by the config exits 2 naming where it was set and the scenario\'s issue', async () => {
    const scenario = file('bad-scenario.yaml', 'name: x\nconstellation:\n  count: 0\n');
    const cfg = file('uses-bad.yaml', `emulator:\n  scenario: ${scenario}\n`);
    const r = await fsw(['config', 'print', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${cfg} (file) → emulator.scenario: ${scenario}: invalid scenario`);
    expect(r.stderr).toContain('constellation.count');
  });

  it('an FSW_ variable naming no section is a warning, not an error', async () => {
    vi.stubEnv('FSW_SEED', '7');
    const r = await fsw(['config', 'print', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('fsw config print: warning: ignoring FSW_SEED');
    expect(r.stderr).toContain('FSW_EMULATOR__SEED');
  });

  it('bad usage exits 2: --json with --yaml, a missing --config value, an unreadable file, no subcommand', async () => {
    for (const args of [['config', 'print', '--json', '--yaml'], ['config', 'print', '--config'], ['config', 'print', '--config', join(tmp, 'none.yaml')], ['config']]) {
      const r = await fsw(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
    }
  });
});
