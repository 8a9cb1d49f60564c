import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseScenario } from '../../../emulator/scenario/load.js';
import { serveConstellation, type ServedConstellation } from '../../../emulator/serve.js';
import { readRecording } from '../../../firmware-agent/recorder/index.js';
import { ensureBuilt, ROOT } from '../../helpers/build.js';
import { captureIO, fswInProcess } from '../../helpers/cli.js';
import { runCli } from '../../../tools/cli.js';
import { pollUntil } from '../../helpers/pty.js';
import { describeWithTool, SOCAT_INSTALL } from '../../helpers/system-tool.js';

/**
 * A bug seen on a board becomes a test: the BUILT board entry (`node dist/firmware-agent/main.js
 * --record FILE`) flies one satellite served in real time on a socat pty, is stopped with
 * SIGTERM, and its recording replays on the virtual clock with no difference. Then it is
 * started again on the same file: a second session appended, both replayable.
 */
const MAIN_JS = join(ROOT, 'dist/firmware-agent/main.js');
const work = mkdtempSync(join(tmpdir(), 'record-process-'));
let served: ServedConstellation | undefined;
const children: ReturnType<typeof spawn>[] = [];

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await served?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Runs the built agent until `done(lines)` holds, then SIGTERM; resolves with its exit code and log lines. */
async function flyUntil(args: string[], done: (codes: string[]) => boolean): Promise<{ code: number | null; codes: string[]; stderr: string }> {
  const child = spawn(process.execPath, [MAIN_JS, ...args], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const codes: string[] = [];
  let stderr = '';
  createInterface({ input: child.stdout! }).on('line', (l) => codes.push((JSON.parse(l) as { code: string }).code));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  await pollUntil(() => done(codes) || child.exitCode !== null, 'the agent to do its start-up actions', 15_000);
  child.kill('SIGTERM');
  return { code: await exited, codes, stderr };
}

describeWithTool('socat', SOCAT_INSTALL)('main.js --record on a served satellite (real process, real time)', () => {
  let path = '';
  beforeAll(async () => {
    await ensureBuilt();
    const scenario = parseScenario({ name: 'record-process', seed: 4, duration_s: 3600, constellation: { count: 1 }, watchdog_ms: 10_000 }, 'record-process test');
    served = await serveConstellation({ scenario, handleSignals: false });
    path = served.paths.get('SAT-1')!;
  }, 120_000);

  it('records a real-time flight that fsw replay reproduces exactly; a restart appends a second session', async () => {
    const rec = join(work, 'SAT-1.rec');
    const args = ['--port', path, '--journal', join(work, 'j'), '--record', rec];
    // The three start-up actions (sun pointing, CPU unthrottle, payload on) finish in ~3 s.
    const run1 = await flyUntil(args, (c) => c.filter((x) => x === 'ACTION_DONE').length >= 3);
    expect(run1.stderr).toBe('');
    expect(run1.code).toBe(0);
    expect(run1.codes).toContain('HAL_HELLO');
    const size1 = statSync(rec).size;
    // A real clock: the agent's timers ran late, and when is in the recording (the replay runs them then).
    expect(readRecording(readFileSync(rec)).sessions[0]!.events.some((e) => e.type === 'fires')).toBe(true);
    expect(size1).toBeGreaterThan(1000);

    const r1 = await fswInProcess(['replay', rec, '--json']);
    expect(r1.stderr).toBe('');
    expect(r1.code).toBe(0);
    const s1 = (JSON.parse(r1.stdout) as { sessions: { sat: string; ended: boolean; counts: Record<string, { recorded: number; replayed: number }> }[] }).sessions;
    expect(s1).toHaveLength(1);
    expect(s1[0]).toMatchObject({ sat: 'SAT-1', ended: true, counts: { decision: { recorded: 3, replayed: 3 }, cmd: { recorded: 3, replayed: 3 } } });

    // The same file again: a new session (booted from the journal the first one left).
    const run2 = await flyUntil(args, (c) => c.includes('HAL_HELLO') && c.filter((x) => x === 'MODE_CHANGE').length >= 1);
    expect(run2.code).toBe(0);
    expect(statSync(rec).size).toBeGreaterThan(size1);
    const r2 = await fswInProcess(['replay', rec, '--json']);
    expect(r2.code).toBe(0);
    expect((JSON.parse(r2.stdout) as { sessions: unknown[] }).sessions).toHaveLength(2);

    // fsw decode shows the recorded frames with their times and directions.
    const d = await fswInProcess(['decode', rec]);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/^== session 1: agent agent, fsw-agent\//m);
    expect(d.stdout).toMatch(/^ +\d+\.\d{3} rx #\d+ hello +seq/m);
    expect(d.stdout).toMatch(/^ +\d+\.\d{3} tx #\d+ cmd +seq/m);
    expect(d.stderr).toMatch(/recording of 2 sessions: \d+ frames received, \d+ sent, 0 dropped by framing/);
  }, 60_000);

  it('a --record file that cannot be written: said once on stderr (E_RECORDING_IO); the agent flies on and stops with 0', async () => {
    const run = await flyUntil(['--port', path, '--journal', join(work, 'j3'), '--record', join(work, 'no', 'such', 'dir', 'x.rec')], (c) => c.includes('MODE_CHANGE'));
    expect(run.code).toBe(0);
    expect(run.codes).toContain('MODE_CHANGE');
    expect(run.codes).toContain('RECORDER_STOPPED');
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/flight recorder stopped: E_RECORDING_IO: .*x\.rec.*\(the agent flies on\)$/)]);
  }, 30_000);

  it('fsw agent --record (in process, the same main behind commander): a recording fsw replay reproduces', async () => {
    const rec = join(work, 'fsw-agent.rec');
    const c = captureIO();
    let stop: ((s: NodeJS.Signals) => void) | undefined;
    const io = { ...c.io, onSignal: (fn: (s: NodeJS.Signals) => void) => ((stop = fn), () => (stop = undefined)) };
    const exit = runCli(['agent', '--port', path, '--journal', join(work, 'j2'), '--record', rec, '--log-level', 'info'], io);
    // The satellite is already configured by the agent before: this one handshakes and reaches nominal.
    await pollUntil(() => c.out().includes('"code":"MODE_CHANGE"') || c.err() !== '', 'fsw agent to reach nominal', 15_000);
    stop?.('SIGINT');
    expect(await exit).toBe(0);
    expect(c.err()).toBe('');
    expect(c.out()).toContain(`"record":"${rec}"`);
    const r = await fswInProcess(['replay', rec]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/recorded (\d+) decisions, (\d+) mode changes, (\d+) commands; replayed \1, \2, \3$/m);
    expect(r.stdout).toMatch(/recorded \d+ decisions, [1-9]\d* mode changes/);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('1 session replayed: no differences');
  }, 30_000);
});
