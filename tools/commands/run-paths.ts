/**
 * `fsw run`'s path options (--work-dir, --record, --report) checked before the run starts, so
 * a bad path is a clear usage error (exit 2) naming the option, not a raw `EEXIST … mkdir`
 * after the run, or a hang: node's recursive mkdir loops forever under /proc, so missing
 * folders are created here one level at a time, each under a directory that exists.
 */
import { accessSync, constants, mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './common.js';

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Makes sure `dir` is a directory this process can write in, creating it (and missing parents)
 * if needed. Throws UsageError naming `option` when the path or a parent is a file, a parent is
 * not writable, or a folder cannot be created there.
 */
export function prepareDir(option: string, dir: string, shown = dir): void {
  const target = resolve(dir);
  const missing: string[] = [];
  let p = target;
  let st = statOf(p);
  while (!st) {
    missing.unshift(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
    st = statOf(p);
  }
  if (st && !st.isDirectory()) {
    throw new UsageError(p === target && shown === dir ? `${option} ${dir}: exists and is not a directory` : `${option} ${shown}: ${p} exists and is not a directory`);
  }
  try {
    accessSync(p, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${option} ${shown}: ${p} is not a writable directory`);
  }
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (err) {
      throw new UsageError(`${option} ${shown}: cannot create ${m} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
}

/** The report's folder, checked (and created) like a directory option; the file itself is written after the run. */
export function prepareReportPath(path: string): void {
  if (statOf(path)?.isDirectory()) throw new UsageError(`--report ${path}: is a directory (give a file name, e.g. ${path.replace(/\/+$/, '')}/report.html)`);
  prepareDir('--report', dirname(resolve(path)), path);
}
