/**
 * Serves an emulated constellation out of process, in real time: each satellite's hardware
 * end is a `SerialLink`, either on a real serial port (boards wired to a laptop) or on one end
 * of a socat pseudo-terminal pair whose other end a flight computer (the agent, a Python
 * script, a terminal) opens. The scenario's fault timeline runs on wall time from the start.
 *
 *   socat pty,raw,echo=0,link=DIR/SAT-1 pty,raw,echo=0,link=DIR/SAT-1.hw
 *         ▲ the flight computer opens this         ▲ the emulator opens this
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SerialLink, type Clock, type LinkState, type Timer } from '../hal/index.js';
import { Constellation } from './constellation.js';
import type { Scenario } from './scenario/schema.js';

export const SOCAT_INSTALL_HINT = 'apt-get install -y socat';

/** socat is not installed (or not on PATH). */
export class SocatMissingError extends Error {
  readonly code = 'E_SOCAT_MISSING';
  constructor(command: string) {
    super(`${command} not found on PATH: serving satellites on pseudo-terminals needs socat. Install it with: ${SOCAT_INSTALL_HINT} (or serve real serial ports with --ports)`);
    this.name = 'SocatMissingError';
  }
}

/** Serving could not start (pty dir in use, socat failed, a port would not open). */
export class ServeError extends Error {
  readonly code = 'E_SERVE_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'ServeError';
  }
}

export interface ServeOptions {
  scenario: Scenario;
  /** Real serial ports, one per satellite in order (SAT-1 first). Without: socat ptys. */
  ports?: string[];
  /** With `ports`: a real serial port for the ground station's radio (scenarios with a ground station). */
  groundPort?: string;
  /** Baud rate for real ports. Default 115200 (PROTOCOL.md §1). */
  baudRate?: number;
  /** Where the pty links go. Default: a fresh temporary directory, removed on stop. */
  ptyDir?: string;
  /** One line per call: the path table, link trouble, faults, resets. Default: silent. */
  log?: (line: string) => void;
  /** Default: a real clock whose zero is the start of serving (scenario time). */
  clock?: Clock;
  /** The socat executable. Default `socat`. */
  socat?: string;
  /** Stop on SIGINT/SIGTERM (and exit, unless someone else listens for the signal). Default true. */
  handleSignals?: boolean;
  /** How long to wait for socat's links, ms. Default 5000. */
  readyTimeoutMs?: number;
}

export interface SatelliteStatus {
  id: string;
  /** The path a flight computer opens. */
  path: string;
  link: LinkState;
  /** A flight computer has said hello (and no watchdog reset since). */
  handshaken: boolean;
  samplesPushed: number;
  reads: number;
  cmds: number;
  resets: number;
}

export interface ServeStatus {
  /** Scenario time, ms since serving started. */
  tMs: number;
  sats: SatelliteStatus[];
}

export interface ServedConstellation {
  readonly constellation: Constellation;
  readonly clock: Clock;
  /** Satellite id → the path its flight computer opens (pty link or real port). */
  readonly paths: Map<string, string>;
  /** The path a ground console opens (`fsw ground --port`), when the scenario has a ground station. */
  readonly groundPath: string | undefined;
  /** `pty` (socat) or `serial` (real ports). */
  readonly mode: 'pty' | 'serial';
  /** The pty directory (pty mode). */
  readonly ptyDir: string | undefined;
  /** Pids of the socat children (pty mode). */
  socatPids(): number[];
  status(): ServeStatus;
  /** Stops the hardware, ends socat, removes the links. Idempotent. */
  stop(): Promise<void>;
}

/** A real-time clock whose zero is its creation: scenario time for a served constellation. */
export class StartedRealClock implements Clock {
  private readonly t0 = performance.now();

  now(): number {
    return performance.now() - this.t0;
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    return this.setTimerAt(this.now() + Math.max(0, delayMs), fn);
  }

  setTimerAt(atMs: number, fn: () => void): Timer {
    const handle = setTimeout(fn, Math.max(0, atMs - this.now()));
    return { at: atMs, cancel: () => clearTimeout(handle) };
  }
}

function onPath(command: string): boolean {
  if (command.includes('/')) {
    try {
      accessSync(command, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** A path we are about to link: free, or a dangling link left by a run that died. */
function claimLinkPath(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return; // free
  }
  if (!st.isSymbolicLink()) throw new ServeError(`${path} exists and is not a link made by socat; pick another --pty-dir`);
  if (existsSync(path)) {
    throw new ServeError(`${path} points at a live pseudo-terminal (another fsw emulate?); stop it or pick another --pty-dir`);
  }
  rmSync(path, { force: true });
}

/** One socat pty pair, respawned under the same links if it dies while serving. */
class SocatPair {
  child: ChildProcess | undefined;
  private exited = true;
  private log = '';
  private stopping = false;
  private respawnTimer: NodeJS.Timeout | undefined;
  private respawns = 0;
  /** Whether the links are ours to remove (never someone else's that made us refuse). */
  private ownsLinks = false;

  constructor(
    readonly id: string,
    readonly userPath: string,
    readonly hwPath: string,
    private readonly command: string,
    private readonly readyTimeoutMs: number,
    private readonly say: (line: string) => void,
  ) {}

  get pid(): number | undefined {
    return this.exited ? undefined : this.child?.pid;
  }

  async start(): Promise<void> {
    claimLinkPath(this.userPath);
    claimLinkPath(this.hwPath);
    this.ownsLinks = true;
    const c = spawn(this.command, ['-d', '-d', `pty,raw,echo=0,link=${this.userPath}`, `pty,raw,echo=0,link=${this.hwPath}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = c;
    this.exited = false;
    let spawnError: Error | undefined;
    c.on('error', (e) => (spawnError = e));
    c.stderr?.setEncoding('utf8');
    c.stderr?.on('data', (s: string) => {
      this.log = (this.log + s).slice(-4000);
    });
    c.once('exit', (code, signal) => {
      if (this.child !== c) return;
      this.exited = true;
      if (this.stopping) return;
      this.scheduleRespawn(`${signal ?? `code ${code}`}`);
    });
    const deadline = performance.now() + this.readyTimeoutMs;
    // existsSync follows the link: true once the pty behind it exists as well.
    while (!(existsSync(this.userPath) && existsSync(this.hwPath))) {
      if (spawnError) {
        const e = spawnError as NodeJS.ErrnoException;
        throw e.code === 'ENOENT' ? new SocatMissingError(this.command) : new ServeError(`${this.id}: cannot start socat: ${e.message}`);
      }
      if (this.exited) throw new ServeError(`${this.id}: socat exited during start:\n${this.log.trim()}`);
      if (performance.now() > deadline) throw new ServeError(`${this.id}: socat links not ready after ${this.readyTimeoutMs} ms:\n${this.log.trim()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** socat died under us. Wait a moment first: a Ctrl-C in the terminal reaches socat (same
   *  process group) as well as us, and then we are about to stop anyway, quietly. */
  private scheduleRespawn(how: string): void {
    this.respawnTimer = setTimeout(() => {
      this.respawnTimer = undefined;
      if (this.stopping) return;
      this.say(`${this.id}: socat exited (${how}); its pty ${this.userPath} is gone`);
      if (this.respawns >= 5) {
        this.say(`${this.id}: socat died ${this.respawns} times; not restarting it again`);
        return;
      }
      this.respawns++;
      this.start().then(
        () => this.say(`${this.id}: socat restarted; ${this.userPath} is back`),
        (e: Error) => this.say(`${this.id}: socat restart failed: ${e.message}`),
      );
    }, 500);
  }

  /** Synchronous last resort (process 'exit'): signal socat, drop the links. */
  killNow(): void {
    this.stopping = true;
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    if (!this.exited) this.child?.kill('SIGTERM');
    this.removeLinks();
  }

  private removeLinks(): void {
    if (!this.ownsLinks) return;
    rmSync(this.userPath, { force: true });
    rmSync(this.hwPath, { force: true });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    const c = this.child;
    if (c && !this.exited) {
      const gone = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGTERM');
      const hard = setTimeout(() => c.kill('SIGKILL'), 1000);
      await gone;
      clearTimeout(hard);
      this.exited = true;
    }
    this.removeLinks();
  }
}

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;

/**
 * Starts serving. Resolves once every satellite's hardware end is open (pty links exist and
 * a flight computer may open them). Rejects with SocatMissingError, ServeError, or a HalError
 * E_LINK_OPEN naming a port that would not open; nothing is left running then.
 */
export async function serveConstellation(opts: ServeOptions): Promise<ServedConstellation> {
  const say = opts.log ?? (() => {});
  const scenario = opts.scenario;
  const count = scenario.constellation.count;
  const mode: 'pty' | 'serial' = opts.ports ? 'serial' : 'pty';
  if (opts.ports && opts.ports.length !== count) {
    throw new ServeError(`${opts.ports.length} serial port(s) given for ${count} satellite(s); give one port per satellite`);
  }
  const socatCmd = opts.socat ?? 'socat';
  if (mode === 'pty' && !onPath(socatCmd)) throw new SocatMissingError(socatCmd);

  const clock = opts.clock ?? new StartedRealClock();
  const baudRate = opts.baudRate ?? 115200;
  const paths = new Map<string, string>();
  const pairs: SocatPair[] = [];
  let ptyDir: string | undefined;
  let ownDir = false;
  if (mode === 'pty') {
    if (opts.ptyDir) {
      ptyDir = resolve(opts.ptyDir);
      mkdirSync(ptyDir, { recursive: true });
    } else {
      ptyDir = mkdtempSync(join(tmpdir(), 'fsw-emulate-'));
      ownDir = true;
    }
  }

  const links: SerialLink[] = [];
  const gs = scenario.ground_station;
  // The ground station's radio is served like a satellite's hardware: on its own pty, or on --ground-port.
  let groundPath: string | undefined;
  let groundHwPath: string | undefined;
  if (gs && mode === 'pty') {
    groundPath = join(ptyDir!, gs.id);
    groundHwPath = join(ptyDir!, `${gs.id}.hw`);
  } else if (gs && opts.groundPort) groundPath = groundHwPath = opts.groundPort;
  const constellation = new Constellation({
    scenario,
    clock,
    hwLink: (id, i) => {
      const path = mode === 'serial' ? opts.ports![i]! : join(ptyDir!, `${id}.hw`);
      paths.set(id, mode === 'serial' ? path : join(ptyDir!, id));
      const link = new SerialLink({ path, baudRate, clock, name: `${id}/hw`, backoff: { initialMs: 100, maxMs: 2000 } });
      links.push(link);
      return link;
    },
    ...(groundHwPath
      ? { groundHwLink: (id: string) => new SerialLink({ path: groundHwPath, baudRate, clock, name: `${id}/hw`, backoff: { initialMs: 100, maxMs: 2000 } }) }
      : {}),
  });

  let stopping: Promise<void> | undefined;
  const cleanups: (() => void)[] = [];
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const c of cleanups.splice(0)) c();
      await constellation.stop().catch(() => {});
      await Promise.all(pairs.map((p) => p.stop()));
      if (ownDir && ptyDir) rmSync(ptyDir, { recursive: true, force: true });
    })());

  // Whatever happens to this process, no socat child outlives it.
  const onExit = (): void => {
    for (const p of pairs) p.killNow();
    if (ownDir && ptyDir) rmSync(ptyDir, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  cleanups.push(() => process.off('exit', onExit));
  if (opts.handleSignals ?? true) {
    for (const [sig, n] of Object.entries(SIGNALS) as [keyof typeof SIGNALS, number][]) {
      const handler = (): void => {
        // Alone: behave like the default action (exit), after cleaning up. Otherwise the
        // other listener (the CLI) decides when to exit.
        const alone = process.listenerCount(sig) === 1;
        void stop().finally(() => {
          if (alone) process.exit(128 + n);
        });
      };
      process.on(sig, handler);
      cleanups.push(() => process.off(sig, handler));
    }
  }

  try {
    if (mode === 'pty') {
      for (const id of constellation.ids()) {
        pairs.push(new SocatPair(id, join(ptyDir!, id), join(ptyDir!, `${id}.hw`), socatCmd, opts.readyTimeoutMs ?? 5000, say));
      }
      if (gs && groundPath && groundHwPath) pairs.push(new SocatPair(gs.id, groundPath, groundHwPath, socatCmd, opts.readyTimeoutMs ?? 5000, say));
      // A few at a time: each socat takes a moment to make its ptys.
      const queue = [...pairs];
      const worker = async (): Promise<void> => {
        for (let p = queue.shift(); p; p = queue.shift()) await p.start();
      };
      const results = await Promise.allSettled(Array.from({ length: Math.min(8, pairs.length) }, worker));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
    await constellation.start();
  } catch (err) {
    await stop();
    if (mode === 'serial' && (err as { code?: string }).code === 'E_LINK_OPEN') {
      throw new ServeError(`${(err as Error).message} (is the board connected, and may you open it? On Linux: group dialout)`);
    }
    throw err;
  }

  // Tell the person at the keyboard what happens on each satellite's link.
  for (const sat of constellation.satellites) {
    const link = links.find((l) => l.name === `${sat.id}/hw`);
    link?.on('state', (s, prev) => {
      if (stopping) return;
      if (s === 'lost') say(`${sat.id}: hardware end lost; reopening ${link.path} with backoff`);
      else if (s === 'up' && prev === 'lost') say(`${sat.id}: hardware end back up on ${link.path}`);
    });
    sat.server.on('hello', (h) => say(`${sat.id}: flight computer said hello (sw ${h.sw})`));
  }
  constellation.on('reset', (id, reason) => say(`${id}: flight computer reset (${reason}); waiting for a new hello`));
  constellation.on('fault', (f, target, active) =>
    say(`fault ${f.fault}${target ? ` on ${target}` : ''} ${active ? 'begins' : 'ends'} at t=${(clock.now() / 1000).toFixed(1)} s`),
  );
  constellation.on('power', (id, on) => say(`${id}: power ${on ? 'on' : 'off'}`));

  const width = Math.max(...constellation.ids().map((id) => id.length), 'satellite'.length);
  say(`${'satellite'.padEnd(width)}  path`);
  for (const [id, path] of paths) say(`${id.padEnd(width)}  ${path}`);
  if (gs && groundPath) say(`${gs.id.padEnd(width)}  ${groundPath}  (ground station: fsw ground --port ${groundPath} --key …)`);

  return {
    constellation,
    clock,
    paths,
    groundPath,
    mode,
    ptyDir,
    socatPids: () => pairs.map((p) => p.pid).filter((p): p is number => p !== undefined),
    status: () => ({
      tMs: clock.now(),
      sats: constellation.satellites.map((sat) => ({
        id: sat.id,
        path: paths.get(sat.id)!,
        link: links.find((l) => l.name === `${sat.id}/hw`)?.state ?? 'closed',
        handshaken: sat.server.isHandshaken,
        samplesPushed: sat.server.stats.samplesPushed,
        reads: sat.server.stats.reads,
        cmds: sat.server.stats.cmds,
        resets: sat.server.stats.resets,
      })),
    }),
    stop,
  };
}
