import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fswInProcess as fsw } from '../../helpers/cli.js';
import { tempFiles } from '../../helpers/tmp.js';

/** --config, FSW_ variables and flags reach the commands, in that order of precedence. */
const { dir: tmp, file } = tempFiles('fsw-config-wiring-');
afterEach(() => vi.unstubAllEnvs());

describe('fsw run with a configuration', () => {
  it('scenario and run fields from the file, the seed from FSW_, --sats typed over the file', async () => {
    const report = join(tmp, 'report.html');
    const cfg = file('run.yaml', `emulator:\n  scenario: nominal\n  sats: 3\nrun:\n  duration_s: 30\n  every_s: 30\n  report: ${report}\n  work_dir: ${join(tmp, 'work')}\nagent:\n  cycle_hz: 2\n`);
    vi.stubEnv('FSW_EMULATOR__SEED', '5');
    const r = await fsw(['run', '--config', cfg, '--sats', '2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('fsw run: scenario "nominal" (seed 5), 2 satellites, 30.0 s of virtual time');
    expect(existsSync(join(tmp, 'work'))).toBe(true);
    expect(existsSync(report), 'run.report from the file').toBe(true);
  }, 60_000);

  it('the scenario argument wins over emulator.scenario', async () => {
    const cfg = file('run2.json', JSON.stringify({ emulator: { scenario: 'battery-crisis', sats: 1 }, run: { duration_s: 10, every_s: 10, report: false } }));
    const r = await fsw(['run', 'leader-loss', '--config', cfg]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('scenario "leader-loss"');
  }, 60_000);

  it('a bad agent field from the environment exits 2 before running, naming the variable', async () => {
    vi.stubEnv('FSW_AGENT__CYCLE_HZ', '1000');
    const r = await fsw(['run', '--sats', '1', '--duration', '10', '--no-report']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/fsw run: error: invalid configuration:\n {2}- FSW_AGENT__CYCLE_HZ \(env\) → agent\.cycle_hz: .*100/);
  });

  it('a bad value in the file exits 2 naming the file and the field', async () => {
    const cfg = file('bad-run.yaml', 'run:\n  speed: warp\n');
    const r = await fsw(['run', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${cfg} (file) → run.speed: must be max (as fast as possible), realtime, or xK`);
  });
});

describe('fsw emulate with a configuration (all stop before serving, or at a port that is not there)', () => {
  it('emulator.sats and emulate.ports from the file reach the command', async () => {
    const cfg = file('emulate.yaml', 'emulator:\n  sats: 3\nemulate:\n  ports: [/dev/ttyFSW-A, /dev/ttyFSW-B]\n');
    const r = await fsw(['emulate', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--ports names 2 port(s) but scenario "nominal" has 3 satellite(s)');
  });

  it('--sats typed wins over the file; the ports from FSW_EMULATE__PORTS are then opened (and fail, exit 1, naming the port)', async () => {
    const cfg = file('emulate2.yaml', 'emulator:\n  sats: 3\nemulate:\n  duration_s: 1\n');
    const port = join(tmp, 'no-such-tty');
    vi.stubEnv('FSW_EMULATE__PORTS', JSON.stringify([port]));
    const r = await fsw(['emulate', '--config', cfg, '--sats', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(port);
  }, 20_000);

  it('ports in the file and a pty directory in the environment exclude each other: exit 2 naming both', async () => {
    const cfg = file('emulate3.yaml', 'emulate:\n  ports: [/dev/ttyUSB0]\n');
    vi.stubEnv('FSW_EMULATE__PTY_DIR', '/tmp/sats');
    const r = await fsw(['emulate', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${cfg} (file)`);
    expect(r.stderr).toContain('FSW_EMULATE__PTY_DIR (env)');
    expect(r.stderr).toContain('ports and pty_dir exclude each other');
  });
});

describe('fsw agent with a configuration', () => {
  it('a bad FSW_AGENT__ variable exits 2 naming it, before the port is opened', async () => {
    vi.stubEnv('FSW_AGENT__CYCLE_HZ', '0');
    const r = await fsw(['agent', '--port', join(tmp, 'no-tty'), '--journal', join(tmp, 'a.journal')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/FSW_AGENT__CYCLE_HZ \(env\) → cycle_hz: .*0\.1/);
    expect(r.stderr).not.toContain('cannot open serial port');
  });

  it('a unified file is read for its agent section; the port is then tried (exit 3)', async () => {
    const cfg = file('agent-unified.yaml', 'agent:\n  cycle_hz: 3\nemulator:\n  seed: 4\n');
    const r = await fsw(['agent', '--port', join(tmp, 'no-tty'), '--journal', join(tmp, 'b.journal'), '--config', cfg]);
    expect(r.code).toBe(3);
    const loaded = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.code === 'CONFIG_LOADED');
    expect(loaded).toMatchObject({ cycle_hz: 3 });
  });
});
