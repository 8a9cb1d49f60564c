/**
 * What every `fsw` subcommand shares: exit codes, the error that means "bad usage", option
 * value parsers that name the option and what it allows, and the I/O a command writes to.
 *
 * A subcommand is one file in tools/commands/ exporting a `CommandModule`; tools/cli.ts lists
 * the modules and registers each on the program.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';

/** Exit codes: the same meaning in every subcommand. */
export const EXIT = {
  /** Did what was asked. */
  OK: 0,
  /** Tried and failed (a port would not open, socat missing, a run crashed). */
  FAILURE: 1,
  /** Bad usage: unknown subcommand or option, invalid value, invalid scenario file. */
  USAGE: 2,
} as const;
/** 0, 1, 2 for every command; a command may pass through a documented status of its own
 *  (`fsw agent`: 3 port not openable, 75 hardware reset) by throwing a `StatusError`. */
export type ExitCode = number;

/** Ends a command with a specific documented exit status (the message is printed first). */
export class StatusError extends Error {
  constructor(readonly exitCode: number, message: string) {
    super(message);
    this.name = 'StatusError';
  }
}

/** Thrown by a command for bad usage: printed as `fsw <cmd>: error: …`, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Where a command writes, and the signals it listens to (injectable for in-process tests). */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Subscribe to SIGINT/SIGTERM; returns the unsubscribe. */
  onSignal: (fn: (signal: NodeJS.Signals) => void) => () => void;
}

export { processIO } from '../../firmware-agent/entry.js';

/** One subcommand: registers itself (options, help, action) on the program. */
export interface CommandModule {
  /** The subcommand's name, as typed after `fsw`. */
  name: string;
  register(program: Command, io: CliIO): Command;
}

// ── option value parsers (commander `argParser`s): throw InvalidArgumentError → exit 2 ──

/** An integer in [min, max]. */
export function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `must be an integer >= ${min}` : `must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** A finite number > 0 (or >= min when given). */
export function positiveNumberArg(what = 'a number > 0'): (value: string) => number {
  return (value) => {
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`must be ${what}`);
    return n;
  };
}

/** A comma-separated list of non-empty items. */
export function listArg(what = 'item'): (value: string) => string[] {
  return (value) => {
    const items = value.split(',').map((s) => s.trim());
    if (items.length === 0 || items.some((s) => s === '')) throw new InvalidArgumentError(`must be a comma-separated list of ${what}s with no empty entries`);
    return items;
  };
}

/** The value ranges several commands (and their config sections) share, so they agree. */
export const secondsArg = positiveNumberArg('a number of seconds > 0');
/** A serial line's baud rate. */
export const baudArg = intArg(50, 4_000_000);
/** A constellation's size (the scenario schema's constellation.count range). */
export const satsArg = intArg(1, 1000);
/** A scenario's random seed (32 bits). */
export const seedArg = intArg(0, 0xffffffff);

// ── paths a user gives: checked before use, so a wrong one is bad usage (exit 2) naming the
//    option or argument, not a raw EISDIR / EEXIST / ENOTDIR from deep inside (exit 1), or a
//    hang: node's recursive mkdir loops forever under /proc, so directories are made here one
//    level at a time, each under one that exists ──

/** `path`, given as `name` (e.g. `FILE`), must be an existing file; `what` says which (e.g. 'a capture file'). */
export function checkFileArg(path: string, name: string, what: string): void {
  if (!existsSync(path)) throw new UsageError(`${name} ${path}: no such file (give ${what})`);
  if (statSync(path).isDirectory()) throw new UsageError(`${name} ${path} is a directory: give ${what}`);
}

export interface DirArgOptions {
  /** What to give instead, for the message (e.g. 'a directory for the pty links'). */
  what?: string;
  /** The value as the user typed it, when `dir` was derived from it (`--report a/r.html` checks `a`). */
  shown?: string;
  /** false: only the last level may be missing (a typo'd path should not grow a tree). Default true. */
  parents?: boolean;
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Checks that `dir`, given as `name`, is or can be made a directory this process writes in:
 * the path or its nearest existing ancestor must be a writable directory. Makes nothing;
 * returns the missing levels, outermost first. Throws a UsageError naming `name` otherwise.
 */
export function checkDirArg(name: string, dir: string, o: DirArgOptions = {}): string[] {
  const shown = o.shown ?? dir;
  const give = o.what ? ` (give ${o.what})` : '';
  const target = resolve(dir);
  const missing: string[] = [];
  let p = target;
  let st = statOf(p);
  while (!st && dirname(p) !== p) {
    missing.unshift(p);
    p = dirname(p);
    st = statOf(p);
  }
  if (st && !st.isDirectory()) {
    throw new UsageError(`${name} ${shown}: ${p === target && shown === dir ? '' : `${p} `}exists and is not a directory${give}`);
  }
  if (o.parents === false && missing.length > 1) {
    throw new UsageError(`${name} ${shown}: its parent ${dirname(target)} does not exist (create it first: only the last directory is made)`);
  }
  try {
    accessSync(p, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${name} ${shown}: ${p} is not a writable directory`);
  }
  return missing;
}

/** checkDirArg, then makes the missing levels one at a time (a level that cannot be made: UsageError). */
export function prepareDirArg(name: string, dir: string, o: DirArgOptions = {}): void {
  for (const m of checkDirArg(name, dir, o)) {
    try {
      mkdirSync(m);
    } catch (err) {
      throw new UsageError(`${name} ${o.shown ?? dir}: cannot create ${m} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
}

/** This package's version (package.json beside the source tree or above dist/). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.version && pkg.name) return pkg.version;
      } catch {
        // not ours; keep looking
      }
    }
    dir = dirname(dir);
  }
  return '0.0.0-unknown';
}

/** Seconds as `12.3 s` / `4 min 05 s` for status lines. */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.floor(s - m * 60);
  return m < 60 ? `${m} min ${String(rest).padStart(2, '0')} s` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
