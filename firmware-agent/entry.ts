import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Where a program writes, and the signals it stops on (injectable for in-process tests). */
export interface ProcessIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Subscribe to SIGINT/SIGTERM; returns the unsubscribe. */
  onSignal: (fn: (signal: NodeJS.Signals) => void) => () => void;
}

export const processIO: ProcessIO = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  onSignal: (fn) => {
    const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
    for (const s of sigs) process.on(s, fn);
    return () => {
      for (const s of sigs) process.off(s, fn);
    };
  },
};

/** True when the module at `metaUrl` is the script node was started with (through symlinks, as npm bins are). */
export function isEntryPoint(metaUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return metaUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}
