import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A pseudo-terminal pair made by socat: two symlinks, `fc` and `hw`, each pointing at one end
 * of a virtual null-modem cable. `kill()` makes the cable vanish (both ptys go away, the way a
 * USB adapter does when pulled); `restart()` brings it back under the same link paths (new
 * /dev/pts numbers underneath).
 */
export interface PtyPair {
  readonly dir: string;
  readonly fcPath: string;
  readonly hwPath: string;
  /** Whether socat is running. */
  readonly alive: boolean;
  /** socat's stderr so far (with -d -d it names the ptys), for failure messages. */
  readonly log: string;
  /** Stops socat (SIGTERM, SIGKILL after a bound) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts socat again with the same link paths (kills it first if still running). */
  restart(): Promise<void>;
  /** Kills socat and removes the temp dir. Idempotent. */
  dispose(): Promise<void>;
}

export interface PtyOptions {
  /** How long to wait for both symlinks, ms. Default 5000. */
  readyTimeoutMs?: number;
}

const live = new Set<PtyPair>();
const children = new Set<ChildProcess>();

// Last line of defence when a test run dies without its afterEach: no stray socat survives us.
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  for (const p of live) rmSync(p.dir, { recursive: true, force: true });
});

const POLL_MS = 10;

function waitFor(cond: () => boolean, timeoutMs: number, fail: () => Error): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      let err: Error | undefined;
      try {
        if (cond()) return resolve();
      } catch (e) {
        err = e as Error;
      }
      if (err || performance.now() > deadline) return reject(err ?? fail());
      setTimeout(check, POLL_MS);
    };
    check();
  });
}

export async function startPtyPair(opts: PtyOptions = {}): Promise<PtyPair> {
  const readyTimeoutMs = opts.readyTimeoutMs ?? 5000;
  const dir = mkdtempSync(join(tmpdir(), 'hal-pty-'));
  const fcPath = join(dir, 'fc');
  const hwPath = join(dir, 'hw');
  let child: ChildProcess | undefined;
  let exited = true;
  let log = '';
  let disposed = false;

  const removeLinks = (): void => {
    rmSync(fcPath, { force: true });
    rmSync(hwPath, { force: true });
  };

  const start = async (): Promise<void> => {
    removeLinks(); // a stale link could point at someone else's new pty
    const c = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${fcPath}`, `pty,raw,echo=0,link=${hwPath}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = c;
    exited = false;
    children.add(c);
    let spawnError: Error | undefined;
    c.on('error', (e) => (spawnError = e));
    c.stderr?.setEncoding('utf8');
    c.stderr?.on('data', (s: string) => {
      log = (log + s).slice(-8000);
    });
    c.once('exit', () => {
      if (child === c) exited = true;
      children.delete(c);
    });
    try {
      // existsSync follows the symlink: true once the pty behind it exists too.
      await waitFor(
        () => {
          if (spawnError) throw new Error(`cannot start socat: ${spawnError.message}`);
          if (exited) throw new Error(`socat exited during start:\n${log}`);
          return existsSync(fcPath) && existsSync(hwPath);
        },
        readyTimeoutMs,
        () => new Error(`socat links not ready after ${readyTimeoutMs} ms:\n${log}`),
      );
    } catch (err) {
      await kill();
      throw err;
    }
  };

  const kill = async (): Promise<void> => {
    const c = child;
    if (!c || exited) {
      removeLinks();
      return;
    }
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 1000);
    await gone;
    clearTimeout(timer);
    removeLinks();
  };

  const pair: PtyPair = {
    dir,
    fcPath,
    hwPath,
    get alive() {
      return !exited;
    },
    get log() {
      return log;
    },
    kill,
    async restart() {
      if (disposed) throw new Error('pty pair disposed');
      await kill();
      await start();
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      live.delete(pair);
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  live.add(pair);
  try {
    await start();
  } catch (err) {
    await pair.dispose();
    throw err;
  }
  return pair;
}

/** Disposes every pair still alive (for afterEach/afterAll). */
export async function disposeAllPtyPairs(): Promise<void> {
  await Promise.all([...live].map((p) => p.dispose()));
}

/** Polls `cond` on real time (no fixed sleeps); throws naming `what` after `limitMs`. */
export async function pollUntil(cond: () => boolean, what: string, limitMs = 3000): Promise<void> {
  const end = performance.now() + limitMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`not within ${limitMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
