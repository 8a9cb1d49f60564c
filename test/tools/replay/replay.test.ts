import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBody, encodeBody, type Message } from '../../../hal/index.js';
import { readRecording, type RecordingRecord } from '../../../firmware-agent/recorder/index.js';
import { fswInProcess } from '../../helpers/cli.js';
import { recordFaultyRun, rewriteRecording } from './helpers.js';

/**
 * `fsw replay` on recordings of in-process runs with faults: an untouched recording replays
 * with no difference (exit 0), swarm off and on, two boots of one satellite included; a
 * tampered one (a sample, a watchpoint) is reported difference by difference with times
 * (exit 1); damaged files and bad usage get their codes, never a crash.
 */
const tmp = mkdtempSync(join(tmpdir(), 'replay-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let solo: { rec: string; work: string };
let swarm: { rec: string; work: string };
beforeAll(async () => {
  solo = await recordFaultyRun(join(tmp, 'solo'), false);
  swarm = await recordFaultyRun(join(tmp, 'swarm'), true);
}, 120_000);

interface JsonReport {
  sessions: { session: number; sat: string; ended: boolean; differences: { stream: string; kind: string; t: number; expected?: string; actual?: string }[]; counts: Record<string, { recorded: number; replayed: number }>; notes: string[] }[];
  problems: { code: string; session: number | null }[];
  differences: number;
}
const report = (stdout: string): JsonReport => JSON.parse(stdout) as JsonReport;

describe('fsw replay: an untouched recording replays identically', () => {
  for (const which of ['solo', 'swarm'] as const) {
    it(`${which === 'solo' ? 'swarm off' : 'swarm on'}: every satellite, every boot, zero differences, exit 0`, async () => {
      const dir = which === 'solo' ? solo.rec : swarm.rec;
      for (const sat of ['SAT-1', 'SAT-2']) {
        const r = await fswInProcess(['replay', join(dir, `${sat}.rec`), '--json']);
        expect(r.stderr, sat).toBe('');
        expect(r.code, sat).toBe(0);
        const j = report(r.stdout);
        expect(j.differences).toBe(0);
        // SAT-2 was powered off and on: two sessions, each booted from its own journal.
        expect(j.sessions.map((s) => s.ended)).toEqual(sat === 'SAT-2' ? [true, true] : [true]);
        const first = j.sessions[0]!;
        // The run did things worth comparing: the start-up actions and the fault's mode changes.
        expect(first.counts.decision!.recorded).toBeGreaterThanOrEqual(3);
        expect(first.counts.mode!.recorded).toBeGreaterThanOrEqual(2);
        expect(first.counts.cmd!.recorded).toBeGreaterThanOrEqual(3);
        for (const k of ['decision', 'mode', 'cmd']) expect(first.counts[k]!.replayed, k).toBe(first.counts[k]!.recorded);
        // A virtual clock runs timers on time: no `fires` record is needed.
        expect(readRecording(readFileSync(join(dir, `${sat}.rec`))).sessions.flatMap((x) => x.events).some((e) => e.type === 'fires')).toBe(false);
        // A faithful replay sends the recorded frames in the recorded order: no answer needed re-addressing.
        for (const x of j.sessions) expect(x.notes, `${sat} session ${x.session}`).toEqual([]);
      }
    }, 60_000);
  }

  it('text output: one block per session and a summary line', async () => {
    const r = await fswInProcess(['replay', join(solo.rec, 'SAT-2.rec')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^session 1 of 2: SAT-2, agent clock 0\.000 s to 150\.000 s \(stopped: powered off\)$/m);
    expect(r.stdout).toMatch(/^session 2 of 2: SAT-2, agent clock 170\.000 s to 240\.000 s \(stopped: run finished\)$/m);
    expect(r.stdout).toMatch(/identical; 150\.0 virtual s replayed in [\d.]+ wall s/);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('2 sessions replayed: no differences');
  }, 60_000);
});

describe('fsw replay: a tampered recording is reported, with times, exit 1', () => {
  it('the payload temperature in four thermal samples from 10 s made 80 °C: the replayed agent reacts; the recorded one did not', async () => {
    // Four: a limit trips on 3 out-of-limit evaluations of fresh samples (persistence 3 of 5).
    const file = join(tmp, 'hot-samples.rec');
    let tamperedAt = -1;
    let tampered = 0;
    rewriteRecording(join(solo.rec, 'SAT-1.rec'), file, (r) => {
      if (r.type !== 'rx' || tampered >= 4 || r.t < 10_000) return r;
      const m = decodeBody(r.b);
      if (!m.ok || m.msg.kind !== 'sample' || m.msg.dev !== 'thermal') return r;
      if (tampered++ === 0) tamperedAt = r.t;
      const hot = { ...m.msg, val: { ...m.msg.val, payload: 80 } } as Message;
      return { ...r, b: Uint8Array.from(encodeBody(hot)) };
    });
    expect(tamperedAt).toBeGreaterThan(10_000);
    const r = await fswInProcess(['replay', file, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fsw replay: \d+ differences? from the recording/);
    const diffs = report(r.stdout).sessions[0]!.differences;
    expect(diffs.length).toBeGreaterThan(0);
    // Nothing differs before the tampered sample; the first difference follows within seconds.
    expect(diffs[0]!.t).toBeGreaterThanOrEqual(tamperedAt);
    expect(diffs[0]!.t).toBeLessThan(tamperedAt + 5000);
    expect(diffs.some((d) => d.stream === 'mode' && d.kind !== 'missing' && /mode nominal -> (safe|degraded)/.test(d.actual ?? ''))).toBe(true);
    // The text form names each difference with its time.
    const t = await fswInProcess(['replay', file]);
    expect(t.code).toBe(1);
    expect(t.stdout).toMatch(/^ {2}DIFF t=\d+\.\d{3} s mode: /m);
  }, 60_000);

  it('a watchpoint changed in the recorded config (payload_hot above 10 °C): differences from the first anomaly on', async () => {
    const file = join(tmp, 'watchpoint.rec');
    rewriteRecording(join(solo.rec, 'SAT-1.rec'), file, (r) => {
      if (r.type !== 'session') return r;
      const cfg = r.config as { watchpoints: { id: string; high?: number }[] };
      return { ...r, config: { ...r.config, watchpoints: cfg.watchpoints.map((w) => (w.id === 'payload_hot' ? { ...w, high: 10 } : w)) } } as RecordingRecord;
    });
    const r = await fswInProcess(['replay', file, '--json']);
    expect(r.code).toBe(1);
    const diffs = report(r.stdout).sessions[0]!.differences;
    expect(diffs.length).toBeGreaterThan(0);
    expect(diffs.every((d) => typeof d.t === 'number' && d.t >= 0)).toBe(true);
  }, 60_000);
});

describe('fsw replay: damaged files and the swarm key', () => {
  it('a torn tail (a crash mid-write): E_RECORDING_TORN on stderr, the good prefix replays, no crash', async () => {
    const file = join(tmp, 'torn.rec');
    copyFileSync(join(solo.rec, 'SAT-2.rec'), file);
    // Cut inside the second boot (the run is deterministic, so the cut always lands in the same record).
    truncateSync(file, Math.floor(statSync(file).size * 0.9));
    const r = await fswInProcess(['replay', file, '--json']);
    expect(r.stderr).toMatch(/warning: E_RECORDING_TORN: session 2: /);
    expect(r.code).toBe(0);
    const j = report(r.stdout);
    expect(j.problems).toMatchObject([{ code: 'E_RECORDING_TORN', session: 2 }]);
    expect(j.sessions[1]!.ended).toBe(false);
    expect(j.sessions[1]!.notes.join()).toContain('no end record');
  }, 60_000);

  it('a corrupt record inside the first boot: E_RECORDING_CORRUPT; the second boot, after its marker, still replays', async () => {
    const file = join(tmp, 'corrupt.rec');
    const b = readFileSync(join(solo.rec, 'SAT-2.rec'));
    b[Math.floor(b.length / 4)]! ^= 0xff;
    writeFileSync(file, b);
    const r = await fswInProcess(['replay', file, '--json']);
    expect(r.stderr).toMatch(/E_RECORDING_CORRUPT: session 1: /);
    const j = report(r.stdout);
    expect(j.sessions.map((s) => s.session)).toEqual([1, 2]);
    expect(j.sessions[1]!.differences).toEqual([]);
  }, 60_000);

  it('a file cut inside its first session header: exit 1 naming E_RECORDING_TORN', async () => {
    const file = join(tmp, 'cut.rec');
    writeFileSync(file, readFileSync(join(solo.rec, 'SAT-1.rec')).subarray(0, 60));
    const r = await fswInProcess(['replay', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('E_RECORDING_TORN');
  });

  it('a file that is not a recording (a journal, text): exit 1 naming E_RECORDING_FORMAT', async () => {
    for (const f of [join(solo.work, 'SAT-1.journal'), join(tmp, 'notes.txt')]) {
      writeFileSync(join(tmp, 'notes.txt'), 'hello\n');
      const r = await fswInProcess(['replay', f]);
      expect(r.code, f).toBe(1);
      expect(r.stderr, f).toMatch(/E_RECORDING_FORMAT: not a flight recording/);
    }
  });

  it('a swarm recording whose key file is gone: exit 2 asking for --key-file; with it, zero differences', async () => {
    const key = join(swarm.rec, 'constellation.key');
    const moved = join(tmp, 'elsewhere.key');
    renameSync(key, moved);
    try {
      const r = await fswInProcess(['replay', join(swarm.rec, 'SAT-1.rec')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('give --key-file FILE');
      const ok = await fswInProcess(['replay', join(swarm.rec, 'SAT-1.rec'), '--key-file', moved]);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
    } finally {
      renameSync(moved, key);
    }
  }, 60_000);

  it('an in-process run\'s recordings replay after its work dir (journals) is gone: the run\'s key is kept beside them', async () => {
    rmSync(swarm.work, { recursive: true, force: true });
    const r = await fswInProcess(['replay', join(swarm.rec, 'SAT-2.rec')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 60_000);

  it('the key itself is never in the recording, only its path', () => {
    const keyHex = readFileSync(join(swarm.rec, 'constellation.key'), 'utf8').trim();
    const bytes = readFileSync(join(swarm.rec, 'SAT-1.rec'));
    expect(bytes.includes(Buffer.from(keyHex, 'utf8'))).toBe(false);
    expect(bytes.includes(Buffer.from(keyHex, 'hex'))).toBe(false);
    const h = readRecording(bytes).sessions[0]!.header;
    expect((h.config.swarm as { key_file: string }).key_file).toBe(join(swarm.rec, 'constellation.key'));
  });
});

describe('fsw replay: usage', () => {
  it('--help: what it does, the key file, the exit statuses, examples', async () => {
    const r = await fswInProcess(['replay', '--help']);
    expect(r.code).toBe(0);
    for (const s of ['--key-file', '--session', '--json', 'Exit status: 0', 'E_RECORDING_TORN', 'fsw agent --port /tmp/sats/SAT-1 --record']) expect(r.stdout).toContain(s);
    const flat = r.stdout.replace(/\s+/g, ' ');
    expect(flat).toContain('else a key file of that name or constellation.key beside the recording, else give --key-file');
    expect(flat).toContain('writes into DIR is the simulated key, derived from the public seed; a board\'s key is never written into a recording');
    // The key file a run writes is in its record directory (the example named the work dir).
    expect(r.stdout).toContain('--key-file out/rec/constellation.key');
    expect(r.stdout).not.toContain('out/work/constellation.key');
    expect((await fswInProcess(['--help'])).stdout).toMatch(/^ {2}replay /m);
  });

  it('bad usage exits 2: no FILE, an unknown option, a missing file, a directory, a session out of range', async () => {
    const cases: [string[], RegExp][] = [
      [['replay'], /missing required argument 'file'/],
      [['replay', join(solo.rec, 'SAT-1.rec'), '--bogus'], /unknown option '--bogus'/],
      [['replay', join(tmp, 'nope.rec')], /no such file/],
      [['replay', solo.rec], /is a directory/],
      [['replay', join(solo.rec, 'SAT-1.rec'), '--session', '0'], /--session/],
      [['replay', join(solo.rec, 'SAT-1.rec'), '--session', '3'], /the recording has 1 session$/m],
    ];
    for (const [args, msg] of cases) {
      const r = await fswInProcess(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(msg);
    }
  });

  it('--session N replays only that boot', async () => {
    const r = await fswInProcess(['replay', join(solo.rec, 'SAT-2.rec'), '--session', '2', '--json']);
    expect(r.code).toBe(0);
    expect(report(r.stdout).sessions.map((s) => s.session)).toEqual([2]);
  }, 60_000);
});

describe('fsw decode on a recording', () => {
  it('prints each session, then every frame with its agent-clock time and direction; --json too', async () => {
    const file = join(solo.rec, 'SAT-2.rec');
    const t = await fswInProcess(['decode', file]);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^== session 1: agent SAT-2 \(SAT-2\), fsw-agent\/[\d.]+, booted .* at agent clock 0\.000 ms/m);
    expect(t.stdout).toMatch(/^== session 2: agent SAT-2 /m);
    expect(t.stdout).toMatch(/^ +\d+\.\d{3} tx #1 hello +seq +1 /m);
    expect(t.stdout).toMatch(/^ +\d+\.\d{3} rx #\d+ sample +seq/m);
    expect(t.stdout).toMatch(/^ +150000\.000 stopped: powered off$/m);
    expect(t.stderr).toMatch(/^recording of 2 sessions: \d+ frames received, \d+ sent, 0 dropped by framing$/m);
    const j = await fswInProcess(['decode', file, '--json']);
    const lines = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as { session?: number; t?: number; dir?: string; frame?: { kind: string } });
    expect(lines.filter((l) => l.session !== undefined).map((l) => l.session)).toEqual([1, 2]);
    const frames = lines.filter((l) => l.dir);
    expect(frames.some((l) => l.dir === 'tx' && l.frame?.kind === 'cmd')).toBe(true);
    // In time order within each session.
    const first = frames.slice(0, 200).map((l) => l.t!);
    expect(first).toEqual([...first].sort((a, b) => a - b));
  }, 60_000);

  it('a file that starts like a recording but is of another version: exit 1 naming E_RECORDING_VERSION', async () => {
    const file = join(tmp, 'v9.rec');
    writeFileSync(file, Buffer.from('FSWREC\x09\x00', 'latin1'));
    const r = await fswInProcess(['decode', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('E_RECORDING_VERSION');
  });
});
