import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, ROOT, ensureBuilt } from '../helpers/build.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HardwareClient, RealClock, SerialLink } from '../../hal/index.js';
import { pollUntil } from '../helpers/pty.js';
import { describeWithTool, SOCAT_INSTALL } from '../helpers/system-tool.js';

/**
 * `fsw emulate` end to end, as a person runs it: the built CLI as a child process serving
 * two satellites on socat ptys; the project's own SerialLink + HardwareClient open each
 * printed path, handshake, read and command; SIGINT then stops it with exit 0, and no socat
 * and no pty link is left behind.
 */



/** Pids of the direct children of `pid` whose command is `comm` (Linux /proc). */
function childrenNamed(pid: number, comm: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // pid (comm) state ppid …  — comm may hold spaces, so split after the last ')'.
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && name === comm) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

class Emulator {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [CLI, 'emulate', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.stdout += s));
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.exited = new Promise((r) => this.child.once('exit', (code, signal) => r({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The path table printed at start: satellite id → path. */
  async paths(): Promise<Map<string, string>> {
    await pollUntil(() => this.stdout.includes('\nready:') || !this.running, 'fsw emulate prints ready', 8000);
    if (!this.stdout.includes('\nready:')) throw new Error(`fsw emulate exited early:\n${this.stdout}\n${this.stderr}`);
    const table = this.stdout.slice(this.stdout.indexOf('satellite  path'), this.stdout.indexOf('\nready:'));
    return new Map([...table.matchAll(/^(SAT-\d+)\s+(\/\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  }
}

const running: Emulator[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'fsw-emulate-test-'));
afterAll(async () => {
  // A test that failed midway leaves its emulator running: stop it the way a person would
  // (SIGINT, so it ends its socat children), and only then force it.
  await Promise.all(
    running
      .filter((e) => e.running)
      .map(async (e) => {
        e.child.kill('SIGINT');
        const hard = setTimeout(() => e.child.kill('SIGKILL'), 3000);
        await e.exited;
        clearTimeout(hard);
      }),
  );
  rmSync(tmp, { recursive: true, force: true });
});

describeWithTool('socat', SOCAT_INSTALL)('fsw emulate (built CLI, socat ptys, real time)', () => {
  beforeAll(ensureBuilt, 60_000);

  it('serves 2 satellites a HardwareClient can talk to, and stops on SIGINT with exit 0 leaving no socat', async () => {
    const ptyDir = join(tmp, 'ptys');
    const emu = new Emulator(['nominal', '--sats', '2', '--pty-dir', ptyDir, '--status-every', '0.5']);
    running.push(emu);
    const paths = await emu.paths();
    expect([...paths.keys()]).toEqual(['SAT-1', 'SAT-2']);
    expect(paths.get('SAT-1')).toBe(join(ptyDir, 'SAT-1'));
    const socats = childrenNamed(emu.child.pid!, 'socat');
    expect(socats).toHaveLength(3); // two satellites and nominal's ground station
    expect(emu.stdout).toMatch(new RegExp(`^GROUND +${join(ptyDir, 'GROUND')} {2}\\(ground station`, 'm'));

    const clock = new RealClock();
    const clients = [...paths].map(([id, path]) => ({
      id,
      client: new HardwareClient({
        link: new SerialLink({ path, clock, name: `${id}/fc`, backoff: { initialMs: 50, maxMs: 200 } }),
        clock,
        sw: 'emulate-test/1',
        helloRetryMs: 300,
        requestTimeoutMs: 1000,
      }),
    }));
    try {
      await Promise.all(
        clients.map(async ({ id, client }) => {
          await client.start();
          const hello = await client.ready();
          expect(hello).toMatchObject({ role: 'hw', sat: id, hw: 'emulator', watchdog_ms: 2000 });
          expect([...client.devices.keys()]).toEqual(expect.arrayContaining(['eps', 'heater', 'thermal', 'imu', 'radio']));

          const eps = await client.read('eps');
          expect(eps).toMatchObject({ kind: 'sample', dev: 'eps' });
          for (const f of ['batt_v', 'soc', 'batt_a', 'solar_w', 'load_w']) expect(typeof eps.val[f]).toBe('number');

          const ack = await client.cmd('heater', 'set', { on: true });
          expect(ack).toMatchObject({ kind: 'ack', ok: true });
          // The heater switches at the satellite's next world step (1 s).
          let on = false;
          const until = performance.now() + 3000;
          while (!on && performance.now() < until) {
            on = (await client.read('heater')).val.on === true;
            if (!on) await new Promise((r) => setTimeout(r, 100));
          }
          expect(on, `${id} heater reads back on`).toBe(true);
        }),
      );
    } finally {
      for (const { client } of clients) await client.close();
    }

    await pollUntil(() => /SAT-1 fc up samples [1-9]\d* resets 0 \| SAT-2 fc up samples [1-9]/.test(emu.stdout), 'a status line with both flight computers up', 3000);
    expect(emu.stdout).toContain('SAT-1: flight computer said hello (sw emulate-test/1)');

    emu.child.kill('SIGINT');
    const { code, signal } = await emu.exited;
    expect({ code, signal, stderr: emu.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(emu.stdout).toMatch(/stopped \(SIGINT\)/);
    for (const pid of socats) expect(alive(pid), `socat ${pid} still running`).toBe(false);
    expect(readdirSync(ptyDir)).toEqual([]); // links removed (the directory was ours to name, so it stays)
  });

  it('--duration stops on its own with exit 0; its temporary pty directory is removed', async () => {
    const emu = new Emulator(['nominal', '--sats', '1', '--duration', '0.5']);
    running.push(emu);
    const paths = await emu.paths();
    const dir = dirname(paths.get('SAT-1')!);
    expect(existsSync(paths.get('SAT-1')!)).toBe(true);
    const socats = childrenNamed(emu.child.pid!, 'socat');
    expect(socats).toHaveLength(2); // the satellite and nominal's ground station
    const { code } = await emu.exited;
    expect(code).toBe(0);
    expect(emu.stdout).toContain('stopped (--duration 0.5 s)');
    expect(existsSync(dir)).toBe(false);
    for (const pid of socats) expect(alive(pid)).toBe(false);
  });

  it('a --pty-dir in use by another emulator is refused (exit 1); a dangling link from a dead run is replaced', async () => {
    const dir = join(tmp, 'shared');
    mkdirSync(dir);
    symlinkSync('/dev/pts/no-such-pty', join(dir, 'SAT-1')); // what a SIGKILLed run leaves behind
    const first = new Emulator(['nominal', '--sats', '1', '--pty-dir', dir]);
    running.push(first);
    expect((await first.paths()).get('SAT-1')).toBe(join(dir, 'SAT-1'));
    expect(existsSync(join(dir, 'SAT-1'))).toBe(true); // now a live pty

    const second = new Emulator(['nominal', '--sats', '1', '--pty-dir', dir]);
    running.push(second);
    const { code } = await second.exited;
    expect(code).toBe(1);
    expect(second.stderr).toContain('points at a live pseudo-terminal');
    expect(existsSync(join(dir, 'SAT-1')), 'the first run keeps its link').toBe(true);

    first.child.kill('SIGINT');
    expect((await first.exited).code).toBe(0);
  });

  it('SIGTERM stops it too (exit 0, no socat left)', async () => {
    const emu = new Emulator(['nominal', '--sats', '1']);
    running.push(emu);
    await emu.paths();
    const socats = childrenNamed(emu.child.pid!, 'socat');
    emu.child.kill('SIGTERM');
    const { code } = await emu.exited;
    expect(code).toBe(0);
    expect(emu.stdout).toContain('stopped (SIGTERM)');
    for (const pid of socats) expect(alive(pid)).toBe(false);
  });
});
