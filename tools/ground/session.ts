/**
 * Running the ground console: on a port (a pty from `fsw emulate`, or a real radio's serial
 * line) in real time, interactively or from a script; or in a run, with the constellation in
 * this process on virtual time and the script's `at` lines sent at their virtual times.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { HardwareClient, RealClock, SerialLink, type Clock, type Link } from '../../hal/index.js';
import { satIds, type Scenario } from '../../emulator/scenario/schema.js';
import { GROUND_RESULTS } from '../../firmware-agent/ground/handler.js';
import { GroundKeyError, loadGroundPrivateKey } from '../../firmware-agent/ground/keys.js';
import { loadConstellationKey } from '../../firmware-agent/swarm/keys.js';
import { InProcessRun } from '../runner/in-process.js';
import { prepareDirArg, UsageError } from '../commands/common.js';
import { GroundConsole } from './console.js';
import { CommandCounter, CounterFileError } from './counter.js';
import { CommandLineError, parseConsoleLine, parseScript, type ScriptLine } from './script.js';
import { GroundTelemetry } from './telemetry.js';
import { writeGroundKeyPair } from './keys.js';

export const CONSOLE_SW = 'fsw-ground/0.1.0';

/** Reads the private key, as bad usage (exit 2) when it will not load. */
export function privateKeyArg(path: string): KeyObject {
  try {
    return loadGroundPrivateKey(path);
  } catch (err) {
    if (err instanceof GroundKeyError) throw new UsageError(`--key: ${err.message}`);
    throw err;
  }
}

/** Reads and parses a script file, as bad usage when it cannot be read or has a bad line. */
export function scriptArg(path: string): ScriptLine[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--script ${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return parseScript(text);
  } catch (err) {
    if (err instanceof CommandLineError) throw new UsageError(`--script ${path}: ${err.message}`);
    throw err;
  }
}

export function counterArg(path: string): CommandCounter {
  try {
    return new CommandCounter(path);
  } catch (err) {
    if (err instanceof CounterFileError) throw new UsageError(err.message);
    throw err;
  }
}

export interface PortSessionOptions {
  port: string;
  baud: number;
  key: KeyObject;
  counter: CommandCounter;
  constellationKey?: Uint8Array;
  members?: string[];
  script?: ScriptLine[];
  summaryEveryS: number;
  replyTimeoutMs: number;
  out: (line: string) => void;
  /** Interactive input (default: none; the command passes stdin). */
  input?: NodeJS.ReadableStream;
  /** Ends the session early (Ctrl-C). */
  stopSignal: Promise<unknown>;
  /** Tests: the station's link and a clock instead of the serial port and the real clock. */
  link?: Link;
  clock?: Clock;
}

export interface PortSessionResult {
  console: GroundConsole;
  /** Script lines never run (the session was stopped first). */
  linesNotRun: number;
}

/** The console on a port, in real time. Resolves when the script ends, on quit, EOF, or the stop signal. */
export async function runOnPort(o: PortSessionOptions): Promise<PortSessionResult> {
  const clock = o.clock ?? new RealClock();
  const link = o.link ?? new SerialLink({ path: o.port, baudRate: o.baud, clock, name: 'ground' });
  const con = makeConsole(link, clock, o);
  let stopped = false;
  void o.stopSignal.then(() => (stopped = true));
  let linesRun = 0;
  try {
    // Nothing may answer the handshake (a pty with no emulator behind it): Ctrl-C still ends it.
    const starting = con.start();
    starting.catch(() => {}); // settled below, or abandoned on Ctrl-C
    await Promise.race([starting, o.stopSignal]);
    if (stopped) return { console: con, linesNotRun: o.script?.length ?? 0 };
    if (o.script) linesRun = await runScriptRealTime(con, clock, o.script, o.stopSignal);
    else if (o.input) await runInteractive(con, o.input, o.out, o.stopSignal);
    // Replies still on their way: wait for them (or their timeouts).
    await Promise.race([con.settled(), o.stopSignal]);
  } finally {
    await con.stop();
  }
  return { console: con, linesNotRun: o.script ? o.script.length - linesRun : 0 };
}

function makeConsole(link: Link, clock: Clock, o: { key: KeyObject; counter: CommandCounter; constellationKey?: Uint8Array; members?: readonly string[]; summaryEveryS: number; replyTimeoutMs: number; out: (l: string) => void }): GroundConsole {
  const client = new HardwareClient({ link, clock, sw: CONSOLE_SW });
  const telemetry = new GroundTelemetry({
    say: (l) => o.out(`[t=${(clock.now() / 1000).toFixed(1).padStart(7)} s] ${l}`),
    now: () => clock.now(),
    ...(o.constellationKey && o.members ? { key: o.constellationKey, members: o.members } : {}),
  });
  return new GroundConsole({ client, clock, key: o.key, counter: o.counter, telemetry, out: o.out, summaryEveryS: o.summaryEveryS, replyTimeoutMs: o.replyTimeoutMs });
}

/** Runs the script's lines at their times; returns how many ran (all but those after a stop; quit counts as run). */
async function runScriptRealTime(con: GroundConsole, clock: Clock, script: ScriptLine[], stop: Promise<unknown>): Promise<number> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  const t0 = clock.now();
  let run = 0;
  for (const line of script) {
    if (line.at !== undefined) {
      const wait = t0 + line.at * 1000 - clock.now();
      if (wait > 0) {
        let timer: { cancel(): void } | undefined;
        await Promise.race([new Promise((r) => (timer = clock.setTimer(wait, () => r(undefined)))), stop]);
        timer?.cancel();
      }
    }
    if (stopped) return run;
    run++;
    if ((await con.execute(line)) === 'quit') return script.length; // nothing follows quit (parseScript)
  }
  return run;
}

async function runInteractive(con: GroundConsole, input: NodeJS.ReadableStream, out: (l: string) => void, stop: Promise<unknown>): Promise<void> {
  const rl = createInterface({ input, terminal: false });
  out('type help for the commands, quit to leave');
  const lines = (async () => {
    for await (const text of rl) {
      try {
        if ((await con.execute(parseConsoleLine(text))) === 'quit') return;
      } catch (err) {
        if (!(err instanceof CommandLineError)) throw err;
        out(`? ${err.message}`);
      }
    }
  })();
  try {
    await Promise.race([lines, stop]);
  } finally {
    rl.close();
  }
}

export interface RunSessionOptions {
  scenario: Scenario;
  /** The ground private key; absent: a fresh pair is made for this run. */
  key?: KeyObject;
  script: ScriptLine[];
  durationS: number;
  summaryEveryS: number;
  replyTimeoutMs: number;
  out: (line: string) => void;
  workDir?: string;
  stopped: () => boolean;
}

export interface RunSessionResult {
  console: GroundConsole;
  /** Each satellite's `ground_commands` figures at the end (nonzero only). */
  satCounts: Record<string, Record<string, number>>;
  /** Script lines never run (the run was stopped first). */
  linesNotRun: number;
}

/** The console in a run: the scenario's constellation and agents in process, on virtual time. */
export async function runInRun(o: RunSessionOptions): Promise<RunSessionResult> {
  const gs = o.scenario.ground_station;
  if (!gs) throw new UsageError(`scenario "${o.scenario.name}" has no ground_station; add one (e.g. ground_station: { lat_deg: 78.2, lon_deg: 15.4 }) or pick nominal`);
  // The run would make --work-dir anyway; make it first (checked: a file in the way is bad
  // usage, and no recursive mkdir spinning under /proc), so keygen's one-level check passes.
  if (o.workDir) prepareDirArg('--work-dir', o.workDir);
  const dir = o.workDir ?? mkdtempSync(join(tmpdir(), 'fsw-ground-'));
  try {
    let key = o.key;
    let publicPath = join(dir, 'ground.pub');
    if (key) writeFileSync(publicPath, createPublicKey(key).export({ type: 'spki', format: 'pem' }));
    else {
      const made = writeGroundKeyPair(join(dir, 'keys'));
      key = loadGroundPrivateKey(made.privatePath);
      publicPath = made.publicPath;
      o.out(`no --key: made a ground key pair for this run (${made.privatePath})`);
    }
    const run = new InProcessRun({ scenario: o.scenario, workDir: dir, agentConfig: { ground: { public_key_file: publicPath, station_id: gs.id } } });
    await run.start();
    const swarm = run.config.swarm;
    const members = swarm.members.length >= 2 ? [...swarm.members] : satIds(o.scenario.constellation.count, o.scenario.constellation.id_prefix);
    const con = makeConsole(run.constellation.groundLink!, run.clock, {
      key, counter: new CommandCounter(join(dir, 'ground.counter')), summaryEveryS: o.summaryEveryS, replyTimeoutMs: o.replyTimeoutMs, out: o.out,
      ...(swarm.key_file ? { constellationKey: loadConstellationKey(swarm.key_file), members } : {}),
    });
    const started = con.start();
    await run.runTo(1);
    await started;
    let quit = false;
    let linesRun = 0;
    for (const line of o.script) {
      // checkScriptEnd refused any `at` at or past the end; a line without one runs now.
      const at = Math.min(line.at ?? run.clock.now() / 1000, o.durationS);
      await run.runTo(at);
      if (o.stopped() || at >= o.durationS) break;
      linesRun++;
      // Not awaited: the radio's answer comes as virtual time runs on.
      if (line.kind === 'quit') {
        quit = true;
        break;
      }
      void con.execute(line);
    }
    if (!quit && !o.stopped()) {
      for (let t = run.clock.now() / 1000; t < o.durationS && !o.stopped(); t = Math.min(o.durationS, t + 60)) await run.runTo(Math.min(o.durationS, t + 60));
    }
    const satCounts: Record<string, Record<string, number>> = {};
    for (const [id, a] of run.agents) {
      const counts = Object.fromEntries(GROUND_RESULTS.map((r) => [r, a.metrics.counter('ground_commands', r).value] as const).filter(([, v]) => v > 0));
      if (Object.keys(counts).length) satCounts[id] = counts;
    }
    await con.stop();
    await run.stop();
    return { console: con, satCounts, linesNotRun: quit ? 0 : o.script.length - linesRun };
  } finally {
    if (!o.workDir) rmSync(dir, { recursive: true, force: true });
  }
}
