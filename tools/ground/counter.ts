/**
 * The console's command counter. Satellites accept a command only if its counter is above the
 * highest they have accepted under this key, so the console must never reuse one — across
 * restarts too. Each counter is written to the state file (and synced) before the command
 * that carries it is sent. A lost or reset state file is harmless: the next counter is never
 * below the wall clock in milliseconds, which has passed every counter used before.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';

/** `E_GROUND_COUNTER`: the counter state file cannot be read, holds no counter, or cannot be written. */
export class CounterFileError extends Error {
  readonly code = 'E_GROUND_COUNTER';
  constructor(readonly path: string, message: string, options?: { cause?: unknown }) {
    super(`ground counter file ${path}: ${message}`, options);
    this.name = 'CounterFileError';
  }
}

export class CommandCounter {
  private last: number;

  /** `now`: milliseconds of wall time (injectable for tests). */
  constructor(private readonly path: string, private readonly now: () => number = Date.now) {
    this.last = readCounter(path);
  }

  /** The highest counter used so far (0: none). */
  get current(): number {
    return this.last;
  }

  /** Reserves the next counter: durable in the state file before it is returned. */
  next(): number {
    const n = Math.max(this.last + 1, Math.floor(this.now()));
    writeCounter(this.path, n);
    this.last = n;
    return n;
  }
}

function readCounter(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw new CounterFileError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  const n = /^\d{1,16}\n?$/.test(text) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n)) throw new CounterFileError(path, 'does not hold a counter (one decimal integer); fix or remove it (removing it is safe)');
  return n;
}

function writeCounter(path: string, n: number): void {
  const tmp = `${path}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${n}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    throw new CounterFileError(path, `cannot be written (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
}
