import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach } from 'vitest';
import { Journal, type JournalOptions, type JournalRecord } from '../../../firmware-agent/journal/journal.js';

const dirs: string[] = [];

/** A fresh temp directory, removed after the test. */
export function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'journal-test-'));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

export function opts(over: Partial<JournalOptions> = {}): JournalOptions {
  return { maxBytes: 1 << 20, fsync: false, snapshot: () => [], ...over };
}

/** Writes `records` to a new journal at `file` and closes it; returns the frame offsets. */
export function writeJournal(file: string, records: readonly JournalRecord[], o: Partial<JournalOptions> = {}): number[] {
  const { journal } = Journal.open(file, opts(o));
  const offsets: number[] = [];
  for (const r of records) {
    offsets.push(journal.stats.bytes);
    journal.append(r);
  }
  offsets.push(journal.stats.bytes);
  journal.close();
  return offsets;
}

export function reopen(file: string, o: Partial<JournalOptions> = {}) {
  return Journal.open(file, opts(o));
}

/** Replays and closes. */
export function replayOf(file: string, o: Partial<JournalOptions> = {}) {
  const { journal, replay } = reopen(file, o);
  journal.close();
  return replay;
}
