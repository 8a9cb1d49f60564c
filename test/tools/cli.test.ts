import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, ROOT, ensureBuilt } from '../helpers/build.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinScenarioNames } from '../../emulator/scenario/load.js';
import { COMMANDS, runCli } from '../../tools/cli.js';
import { fswInProcess } from '../helpers/cli.js';

/**
 * The built `fsw` binary as a real child process: help, version, and exit codes that mean
 * something (0 ok, 1 failure, 2 bad usage) for every kind of bad usage `emulate` can meet.
 * None of these needs socat: they all stop before serving anything.
 */



interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function fsw(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 10_000): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fsw ${args.join(' ')} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'fsw-cli-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(ensureBuilt, 60_000);

describe.concurrent('fsw (built binary)', () => {
  it('starts with a node shebang so npm can link it as a bin', () => {
    expect(readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('--help exits 0 and lists every subcommand and the exit codes', async () => {
    const r = await fsw(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: fsw /);
    for (const m of COMMANDS) expect(r.stdout).toContain(`${m.name} `);
    expect(r.stdout).toMatch(/Exit status: 0 ok, 1 failure, 2 bad usage/);
  });

  it('--version prints the package version and exits 0', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await fsw(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('emulate --help exits 0, documents every option and lists the shipped scenarios', async () => {
    const r = await fsw(['emulate', '--help']);
    expect(r.code).toBe(0);
    for (const opt of ['--sats <n>', '--seed <n>', '--ports <p1,p2,...>', '--pty-dir <dir>', '--baud <n>', '--duration <s>', '[scenario]']) {
      expect(r.stdout).toContain(opt);
    }
    for (const name of builtinScenarioNames()) expect(r.stdout).toContain(name);
    expect(r.stdout).toContain('apt-get install -y socat');
  });

  it('an unknown subcommand exits 2 with a message', async () => {
    const r = await fsw(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    expect(r.stdout).toBe('');
  });

  it('emulate --sats 0 exits 2 naming the option and what it allows', async () => {
    const r = await fsw(['emulate', '--sats', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("option '--sats <n>' argument '0' is invalid");
    expect(r.stderr).toContain('integer from 1 to 1000');
  });

  it('an unknown scenario exits 2 naming the shipped ones', async () => {
    const r = await fsw(['emulate', 'no-such-scenario.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no scenario "no-such-scenario.yaml"');
    expect(r.stderr).toContain('nominal');
  });

  it('--ports with the wrong count exits 2 naming both numbers', async () => {
    const r = await fsw(['emulate', 'nominal', '--sats', '3', '--ports', '/dev/ttyUSB0,/dev/ttyUSB1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--ports names 2 port(s)');
    expect(r.stderr).toContain('3 satellite(s)');
  });

  it('without socat on PATH, emulate fails (exit 1) naming the install command', async () => {
    const r = await fsw(['emulate', '--sats', '1', '--duration', '1'], { ...process.env, PATH: tmp });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('apt-get install -y socat');
  });

  it('a serial port that does not exist fails with exit 1 naming it', async () => {
    const port = join(tmp, 'no-such-tty');
    const r = await fsw(['emulate', '--sats', '1', '--ports', port, '--duration', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(port);
  });
});

describe('fsw in process (runCli: same program, no child process)', () => {
  const cli = fswInProcess;

  it('help emulate exits 0 and prints the emulate help', async () => {
    const r = await cli(['help', 'emulate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: fsw emulate');
  });

  it('no subcommand at all exits 2 and shows the help on stderr', async () => {
    const r = await cli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: fsw');
  });

  it('an unknown option exits 2', async () => {
    const r = await cli(['emulate', '--frob']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--frob'");
  });

  it.each([
    [['--sats', '0'], '--sats', 'integer from 1 to 1000'],
    [['--sats', 'two'], '--sats', 'integer'],
    [['--sats', '2.5'], '--sats', 'integer'],
    [['--seed', '-1'], '--seed', 'integer from 0 to 4294967295'],
    [['--duration', '0'], '--duration', 'seconds > 0'],
    [['--baud', 'fast'], '--baud', 'integer'],
    [['--ports', 'a,,b'], '--ports', 'no empty entries'],
  ])('emulate %j exits 2 naming the option (%s) and what it allows', async (args, option, allows) => {
    const r = await cli(['emulate', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`option '${option}`);
    expect(r.stderr).toContain(allows);
  });

  it('an invalid scenario file exits 2 with the issues of each bad field', async () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(file, 'name: bad\nconstellation: { count: 0 }\nfaults:\n  - { at_s: 5, fault: overheat }\n');
    const r = await cli(['emulate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid scenario');
    expect(r.stderr).toContain('constellation.count');
    expect(r.stderr).toContain('faults.0.fault');
  });

  it('--sats that leaves a scenario fault without its satellite exits 2 naming the fault', async () => {
    const r = await cli(['emulate', 'battery-crisis', '--sats', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('faults.0.sat: no satellite SAT-3');
  });

  it('--ports and --pty-dir together exit 2', async () => {
    const r = await cli(['emulate', '--ports', '/dev/ttyUSB0', '--sats', '1', '--pty-dir', tmp]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot be used with');
  });

});
