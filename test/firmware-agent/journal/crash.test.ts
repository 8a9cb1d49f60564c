import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../../firmware-agent/journal/journal.js';
import { replayOf, tempDir } from './helpers.js';
import { mulberry32 } from '../../helpers/prng.js';

/**
 * Crash test with real processes: a child appends with { sync: true } in a tight loop and
 * prints `ack <n>` after each append returns; the parent SIGKILLs it after a seeded random
 * number of acks and replays. Every acknowledged record must be there, in order, once.
 *
 * SIGKILL stops the process, not the machine: a write(2) to a local file completes or never
 * starts, and the page cache survives, so this proves the ack/ordering contract and recovery
 * from kills mid-loop and mid-compaction (stale .tmp), not power loss. Cut records (what a
 * power loss leaves) are covered byte by byte in journal.test.ts.
 */

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const writer = fileURLToPath(new URL('./crash-writer.mjs', import.meta.url));
const seed = Number(process.env['JOURNAL_CRASH_SEED'] ?? 20240611);


let outDir = '';
let moduleUrl = '';

beforeAll(() => {
  // The child runs plain node, so it needs JavaScript: transpile just the journal and what it
  // imports (no type check, ~0.2 s) into a private directory. It sits under dist/ (git-ignored)
  // so that the output's bare imports (cbor-x) resolve through the repo's node_modules, and it
  // is private so a concurrent full build, or other folders' type errors, cannot disturb it.
  fs.mkdirSync(path.join(repo, 'dist'), { recursive: true });
  outDir = fs.mkdtempSync(path.join(repo, 'dist', '.journal-crash-'));
  const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = ['--ignoreConfig', '--noCheck', '--outDir', outDir, '--rootDir', repo, '--module', 'nodenext', '--moduleResolution', 'nodenext'];
  args.push('--target', 'es2022', '--types', 'node', '--skipLibCheck', path.join(repo, 'firmware-agent', 'journal', 'journal.ts'));
  execFileSync(process.execPath, [tsc, ...args], { cwd: repo, stdio: 'pipe' });
  const compiled = path.join(outDir, 'firmware-agent', 'journal', 'journal.js');
  expect(fs.existsSync(compiled)).toBe(true);
  moduleUrl = pathToFileURL(compiled).href;
});

afterAll(() => {
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

interface Round {
  acked: number[];
  /** The child's own replay at start: records, torn, corrupt, last n. */
  open: number[];
}

function runChild(file: string, maxBytes: number, killAfter: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, moduleUrl, file, String(maxBytes)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let open: number[] = [];
    let pending = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child never reached ${killAfter} acks (got ${acked.length}); stderr: ${stderr}`));
    }, 4000);
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      pending += s;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [word, ...nums] = line.split(' ');
        // Lines read after the kill was sent are acks too: each was printed after its append returned.
        if (word === 'ack') acked.push(Number(nums[0]));
        else if (word === 'open') open = nums.map(Number);
      }
      if (!killed && acked.length >= killAfter) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child ended by itself (code ${code}, signal ${signal}); stderr: ${stderr}`));
      else resolve({ acked, open });
    });
  });
}

/** Folds a replay into the last n, checking it is one gapless, duplicate-free sequence. */
function lastOf(records: readonly JournalRecord[]): number {
  let last = -1;
  records.forEach((r, i) => {
    if (r.type === 'snap') {
      expect(i, 'a snapshot comes first').toBe(0);
      last = r['last'] as number;
    } else {
      expect(r.type).toBe('seq');
      expect(r['n'], `record ${i} follows ${last}`).toBe(last + 1);
      last = r['n'] as number;
    }
  });
  return last;
}

describe('journal: SIGKILL during synced appends (real child processes)', () => {
  it(`keeps every acknowledged record, in order, once (seed ${seed})`, async () => {
    const rnd = mulberry32(seed);
    const file = path.join(tempDir(), 'crash', 'agent.journal');
    // Same file throughout: two rounds that never compact, then two that compact every ~90
    // records (so some kills land mid-compaction), each round replaying what the last left.
    const rounds = [1 << 20, 1 << 20, 4096, 4096];
    let maxAcked = -1;
    let tornSeen = 0;
    let staleTmp = 0;
    for (const [i, maxBytes] of rounds.entries()) {
      const killAfter = 1 + Math.floor(rnd() * 300);
      const { acked, open } = await runChild(file, maxBytes, killAfter);
      expect(acked.length).toBeGreaterThanOrEqual(killAfter);
      expect(open[3], `round ${i} child resumed after the last acked record`).toBeGreaterThanOrEqual(maxAcked);
      expect(open[2], 'no corruption from a kill').toBe(0);
      tornSeen += open[1]!;
      expect(acked[0]).toBe(open[3]! + 1);
      expect(acked).toEqual(acked.map((_, k) => acked[0]! + k));
      maxAcked = acked.at(-1)!;

      // A kill between writing .tmp and its rename leaves it behind; open must drop it.
      if (fs.existsSync(`${file}.tmp`)) staleTmp++;
      const replay = replayOf(file, { maxBytes });
      expect(replay.corrupt).toBe(0);
      tornSeen += replay.torn;
      const last = lastOf(replay.records);
      expect(last, `round ${i}: every acked record (up to ${maxAcked}) is in the journal`).toBeGreaterThanOrEqual(maxAcked);
      if (maxBytes === 1 << 20 && i < 2) {
        // No compaction yet: the file is exactly 0..last.
        expect(replay.records.map((r) => r['n'])).toEqual(Array.from({ length: last + 1 }, (_, k) => k));
      }
      expect(fs.existsSync(`${file}.tmp`)).toBe(false);
    }
    // Tolerated, not required: SIGKILL cannot cut a write on a local disk, and a kill lands
    // inside a compaction only now and then.
    console.info(`journal crash test: seed ${seed}, last acked ${maxAcked}, torn tails ${tornSeen}, stale .tmp ${staleTmp}`);
  });
});
