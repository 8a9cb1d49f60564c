/**
 * Child processes for the real-time benchmarks (agent.ts, emulator.ts in this folder), and
 * the parent-side helper that spawns them. Not a benchmark module (no `benchmarks` export);
 * the bench runner imports every .js file here, so the child part runs only when this file
 * is the process's main script.
 *
 *   node dist/tools/bench/child.js agent --path PTY --seconds S --t0 MS --journal FILE [--sat ID]
 *     One agent on a SerialLink (RealClock) at PTY, as a flight computer runs it (default
 *     config, logs to stdout). Reports on fd 3, JSON lines: `first-cycle` (ms since --t0, an
 *     epoch time with fraction taken by the parent just before spawning), then after S s of
 *     cycles (0: right after the first cycle) `done`: cycles, slips, late starts, max RSS.
 *
 *   node dist/tools/bench/child.js idle --paths PTY[,PTY…] [--isl-bytes N]
 *     An IdleFlightComputer per path (handshake, watchdog pets, optional 1 Hz ISL beacon):
 *     the far end of a served constellation. Reports `up` once every client is up, `done`
 *     on SIGTERM.
 *
 *   node [FLAGS] dist/tools/bench/child.js decision --quick 0|1
 *     agent.ts's decision-step measurement (record an in-process run, replay it), in a
 *     process of its own so that it runs with a board's node flags. Reports `done` with the
 *     measurement.
 *
 *   node dist/tools/bench/child.js timer --periods MS[,MS…] --seconds S
 *     The scheduler alone: `every()` on a RealClock for each period, ticks that do nothing,
 *     lateness of each tick recorded. The baseline for real-time lateness figures: the same
 *     timers with none of the work, on the same machine at the same time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fstatSync, mkdirSync, readFileSync, realpathSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { every, RealClock, SerialLink } from '../../hal/index.js';
import { Agent } from '../../firmware-agent/agent.js';
import { parseAgentConfig } from '../../firmware-agent/config/load.js';
import { IdleFlightComputer } from '../../emulator/idle-flight-computer.js';

/** Epoch ms with sub-ms resolution, comparable across processes on one machine. */
const epochMs = (): number => performance.timeOrigin + performance.now();

/** Reached once the static imports above are loaded. */
const importedAt = epochMs();

// ---------------------------------------------------------------------------------------
// Parent side

export type ChildMessage = { type: string } & Record<string, unknown>;

export interface ChildHandle {
  readonly proc: ChildProcess;
  /** Every fd-3 message so far. */
  readonly messages: ChildMessage[];
  /** The next (or an already received) message of this type; rejects on exit or timeout. */
  message(type: string, timeoutMs: number): Promise<ChildMessage>;
  /** Lines the child wrote on stdout (agent logs). */
  readonly stdoutLines: () => number;
  /** The last bits of stdout and stderr, for error messages. */
  readonly tail: () => string;
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** This file, compiled: the script the children run. */
export const CHILD_SCRIPT = fileURLToPath(import.meta.url);

/**
 * The node flags a board runs the agent with: those on the first line of the built board
 * entry (`#!/usr/bin/env -S node FLAGS`, dist/firmware-agent/main.js), so that benchmarks run
 * the agent as a board does. [] when the file is missing or its first line names none.
 */
export function boardNodeFlags(mainJs: string): string[] {
  let first: string;
  try {
    first = readFileSync(mainJs, 'utf8').slice(0, 200).split('\n', 1)[0]!;
  } catch {
    return [];
  }
  const m = /^#!\/usr\/bin\/env -S node\s+(.+)$/.exec(first.trim());
  return m ? m[1]!.trim().split(/\s+/) : [];
}

/**
 * Spawns `node [NODE_FLAGS] ARGS` with fd 3 as a JSON-lines report channel (see above). `args`
 * is what follows: `[CHILD_SCRIPT, 'agent', …]` or `['-e', code, '--', …]`.
 */
export function spawnChild(args: string[], nodeFlags: readonly string[] = []): ChildHandle {
  const proc = spawn(process.execPath, [...nodeFlags, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const messages: ChildMessage[] = [];
  const waiters: { type: string; resolve: (m: ChildMessage) => void }[] = [];
  let out = '';
  let err = '';
  let lines = 0;
  let exitCode: number | null | undefined;
  proc.stdout!.on('data', (d: Buffer) => {
    for (const b of d) if (b === 10) lines++;
    out = (out + d.toString()).slice(-2000);
  });
  proc.stderr!.on('data', (d: Buffer) => void (err = (err + d.toString()).slice(-4000)));
  let buf = '';
  (proc.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.trim()) continue;
      const m = JSON.parse(line) as ChildMessage;
      messages.push(m);
      for (const w of waiters.splice(0)) {
        if (w.type === m.type || m.type === 'error') w.resolve(m);
        else waiters.push(w);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    });
    proc.once('error', () => resolve(-1));
  });
  const tail = (): string => `stdout …${out.slice(-600)}\nstderr …${err.slice(-1500)}`;
  const message = (type: string, timeoutMs: number): Promise<ChildMessage> => {
    const have = messages.find((m) => m.type === type || m.type === 'error');
    const p = have
      ? Promise.resolve(have)
      : new Promise<ChildMessage>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`child: no '${type}' message in ${timeoutMs} ms\n${tail()}`)), timeoutMs);
          waiters.push({ type, resolve: (m) => (clearTimeout(t), resolve(m)) });
          void exited.then((code) => {
            clearTimeout(t);
            // Let a last message in the pipe arrive first.
            setTimeout(() => reject(new Error(`child exited (${code}) before '${type}'\n${tail()}`)), 50);
          });
        });
    return p.then((m) => {
      if (m.type === 'error' && type !== 'error') throw new Error(`child failed: ${String(m.message)}\n${tail()}`);
      return m;
    });
  };
  const stop = async (graceMs = 3000): Promise<void> => {
    if (exitCode !== undefined) return;
    proc.kill('SIGTERM');
    const hard = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(hard);
  };
  return { proc, messages, message, stdoutLines: () => lines, tail, exited, stop };
}

// ---------------------------------------------------------------------------------------
// Child side

function report(msg: Record<string, unknown>): void {
  let fd = 2;
  try {
    fstatSync(3);
    fd = 3;
  } catch {
    // run by hand: stderr
  }
  writeSync(fd, `${JSON.stringify(msg)}\n`);
}

function parseArgs(argv: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) m.set(a.slice(2), argv[++i] ?? '');
  }
  return m;
}

function need(a: Map<string, string>, k: string): string {
  const v = a.get(k);
  if (v === undefined || v === '') throw new Error(`child: --${k} is required`);
  return v;
}

/** Summary of a list of lateness (or duration) samples, ms, as the children report it. */
export interface Summary {
  n: number;
  mean: number;
  /** Mean with negative values (a timer that ran early) counted as 0. */
  meanClamped: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
  /** Share of negative values, %. */
  earlyPct: number;
}

/** Nearest-rank percentiles, means and extremes of a list. */
export function summarize(xs: readonly number[]): Summary {
  const s = Float64Array.from(xs).sort();
  const n = s.length;
  const at = (p: number): number => (n ? s[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]! : Number.NaN);
  let sum = 0;
  let clamped = 0;
  let early = 0;
  for (const x of s) {
    sum += x;
    if (x > 0) clamped += x;
    else if (x < 0) early++;
  }
  return { n, mean: sum / n, meanClamped: clamped / n, min: s[0] ?? Number.NaN, p50: at(50), p99: at(99), max: s[n - 1] ?? Number.NaN, earlyPct: (100 * early) / n };
}

async function runAgent(a: Map<string, string>): Promise<void> {
  const t0 = Number(need(a, 't0'));
  const seconds = Number(need(a, 'seconds'));
  const path = need(a, 'path');
  const journalPath = need(a, 'journal');
  const sat = a.get('sat') ?? 'SAT-1';
  const startAt = epochMs();
  mkdirSync(dirname(journalPath), { recursive: true });
  const clock = new RealClock();
  const config = parseAgentConfig({});
  const link = new SerialLink({ path, clock, name: `${sat}/fc` });
  const agent = new Agent({ id: sat, link, clock, config, journalPath });
  const late: number[] = [];
  const total: number[] = [];
  let slips = 0;
  let errors = 0;
  let firstAt = 0;
  let helloAt = Number.NaN;
  let finish: (() => void) | undefined;
  const finished = new Promise<void>((r) => (finish = r));
  const offHello = agent.client.on('hello', () => {
    helloAt = epochMs();
    offHello();
  });
  agent.on('cycle', (r) => {
    if (late.length === 0) {
      firstAt = epochMs();
      report({ type: 'first-cycle', ms: firstAt - t0, importedMs: importedAt - t0, mainMs: startAt - t0, helloMs: helloAt - t0 });
      if (seconds <= 0) finish?.();
      else setTimeout(() => finish?.(), seconds * 1000);
    }
    late.push(r.lateMs);
    total.push(r.totalMs);
    if (r.slipped) slips++;
    if (r.error) errors++;
  });
  await agent.start();
  report({ type: 'started', ms: epochMs() - t0 });
  await finished;
  const wallS = (epochMs() - firstAt) / 1000;
  const done = {
    type: 'done',
    wallS,
    cycles: agent.cycle.index,
    slips,
    runnerSlips: agent.cycle.slips,
    skipped: agent.cycle.skipped,
    errors,
    mode: agent.currentMode,
    lateMs: summarize(late),
    totalMs: summarize(total),
    metricTotalUs: agent.metrics.histogram('cycle_phase_us', 'total').summary(),
    clientStats: { ...agent.client.stats },
    // ru_maxrss: the peak resident set of this process, KiB (Linux).
    maxRssKiB: process.resourceUsage().maxRSS,
    rssBytes: process.memoryUsage().rss,
    heapUsedBytes: process.memoryUsage().heapUsed,
  };
  await agent.stop('bench done');
  report(done);
}

async function runIdle(a: Map<string, string>): Promise<void> {
  const paths = need(a, 'paths').split(',');
  const islBytes = Number(a.get('isl-bytes') ?? '0');
  const clock = new RealClock();
  const fcs = paths.map(
    (path, i) =>
      new IdleFlightComputer({
        link: new SerialLink({ path, clock, name: `fc-${i}` }),
        clock,
        id: `fc-${i}`,
        ...(islBytes > 0 ? { islBytes, islPeriodMs: 1000 } : {}),
      }),
  );
  const stop = async (): Promise<void> => {
    report({ type: 'done', samples: fcs.reduce((s, fc) => s + fc.samples, 0), isl: fcs.reduce((s, fc) => s + fc.islReceived, 0) });
    for (const fc of fcs) await fc.stop().catch(() => {});
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  for (const fc of fcs) await fc.start();
  const deadline = performance.now() + 15_000;
  while (fcs.some((fc) => fc.client.state !== 'up')) {
    if (performance.now() > deadline) throw new Error(`${fcs.filter((fc) => fc.client.state !== 'up').length} client(s) not up after 15 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
  report({ type: 'up', n: fcs.length });
}

async function runDecision(a: Map<string, string>): Promise<void> {
  // Loaded here, not at the top: agent.ts imports this file (a cycle only this mode needs).
  const { measureDecisionStep } = await import('./agent.js');
  const measurement = await measureDecisionStep({ quick: a.get('quick') === '1', log: () => {} });
  report({ type: 'done', measurement });
}

async function runTimer(a: Map<string, string>): Promise<void> {
  const periods = need(a, 'periods').split(',').map(Number);
  const seconds = Number(need(a, 'seconds'));
  const clock = new RealClock();
  const late: number[] = [];
  const timers = periods.map((p, i) => every(clock, p, (_d, lateMs) => void late.push(lateMs), { startAt: clock.now() + p + ((i * 9) % p) }));
  report({ type: 'up' });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  for (const t of timers) t.stop();
  report({ type: 'done', lateMs: summarize(late), skipped: timers.reduce((s, t) => s + t.skipped, 0) });
}

function isMain(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return CHILD_SCRIPT === realpathSync(script);
  } catch {
    return false;
  }
}

if (isMain()) {
  const [mode, ...rest] = process.argv.slice(2);
  const a = parseArgs(rest);
  const runs: Record<string, (a: Map<string, string>) => Promise<void>> = { agent: runAgent, idle: runIdle, timer: runTimer, decision: runDecision };
  const run = runs[mode ?? ''] ?? (() => Promise.reject(new Error(`unknown mode ${mode} (agent, idle, timer, decision)`)));
  run(a).then(
    () => {
      if (mode !== 'idle') process.exit(0);
    },
    (err: unknown) => {
      report({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      process.exit(1);
    },
  );
}
