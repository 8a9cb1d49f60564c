import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Journal, type JournalRecord } from '../../../firmware-agent/journal/journal.js';
import { JOURNAL_ERROR_CODES, JournalError, type JournalErrorCode } from '../../../firmware-agent/journal/errors.js';
import { HEADER_BYTES, RECORD_HEADER_BYTES, fileHeader } from '../../../firmware-agent/journal/format.js';
import { opts, reopen, replayOf, tempDir, writeJournal } from './helpers.js';

function expectCode(fn: () => unknown, code: JournalErrorCode): JournalError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(JournalError);
    expect((err as JournalError).code).toBe(code);
    return err as JournalError;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

const sample = (n: number): JournalRecord[] =>
  Array.from({ length: n }, (_, i) =>
    i % 3 === 0
      ? { type: 'mode', mode: i % 2 ? 'safe' : 'nominal', at: 1_700_000_000_000 + i }
      : i % 3 === 1
        ? { type: 'action', id: `a${i}`, state: 'running', attempt: i, steps: [{ dev: 'eps', op: 'set', v: i / 7 }] }
        : { type: 'term', term: i, votedFor: i % 2 ? null : `sat-${i}` },
  );

/** Any value plain CBOR gives back unchanged (no -0: CBOR writes it as the integer 0). */
const plainValue = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.integer(),
    fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    fc.double({ noNaN: true }).filter((x) => !Object.is(x, -0)),
    fc.string(),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.boolean(),
    fc.constant(null),
  ),
  node: fc.oneof({ depthSize: 'small', maxDepth: 3 }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string({ unit: 'grapheme-composite', maxLength: 6 }).filter((k) => k !== '__proto__'), tie('node'), { maxKeys: 4 })),
})).node;

const recordArb: fc.Arbitrary<JournalRecord> = fc
  .tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__' && k !== 'type'), plainValue, { maxKeys: 5 }))
  .map(([type, rest]) => ({ ...rest, type }));

describe('journal: round trip', () => {
  it('gives back every record, in order, after close and reopen', () => {
    const file = path.join(tempDir(), 'nested', 'dir', 'agent.journal');
    const records = sample(200);
    const { journal, replay } = Journal.open(file, opts({ fsync: true }));
    expect(replay).toMatchObject({ records: [], torn: 0, corrupt: 0, bytes: HEADER_BYTES });
    for (const [i, r] of records.entries()) journal.append(r, { sync: i % 10 === 0 });
    expect(journal.stats).toMatchObject({ records: 200, torn: 0, corrupt: 0, compactions: 0, syncs: 20 });
    const bytes = journal.stats.bytes;
    journal.close();
    expect(fs.statSync(file).size).toBe(bytes);

    const again = replayOf(file);
    expect(again.records).toEqual(records);
    expect(again).toMatchObject({ torn: 0, corrupt: 0, bytes, droppedBytes: 0 });
  });

  it('keeps integers past 2^32, floats, byte strings and nesting; drops undefined fields', () => {
    const file = path.join(tempDir(), 'j');
    const { journal } = Journal.open(file, opts());
    journal.append({ type: 'x', at: 1_795_000_000_123, big: Number.MAX_SAFE_INTEGER, neg: -(2 ** 40), f: 0.1, raw: Buffer.from([0, 1, 255]), deep: { a: [1, { b: 'c' }] } });
    journal.append({ type: 'y', gone: undefined, kept: { also: undefined, here: 1 }, list: [{ z: undefined, w: 2 }] });
    journal.close();
    const { records } = replayOf(file);
    expect(records).toEqual([
      { type: 'x', at: 1_795_000_000_123, big: Number.MAX_SAFE_INTEGER, neg: -(2 ** 40), f: 0.1, raw: Buffer.from([0, 1, 255]), deep: { a: [1, { b: 'c' }] } },
      { type: 'y', kept: { here: 1 }, list: [{ w: 2 }] },
    ]);
    expect(Object.keys(records[1]!)).not.toContain('gone');
  });

  it('round-trips random records (property)', () => {
    const dir = tempDir();
    let run = 0;
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 20 }), (records) => {
        const file = path.join(dir, `p${run++}`);
        writeJournal(file, records);
        expect(replayOf(file).records).toEqual(records);
      }),
      { numRuns: 100 },
    );
  });

  it('syncs only when asked and fsync is on', () => {
    const dir = tempDir();
    const on = Journal.open(path.join(dir, 'on'), opts({ fsync: true })).journal;
    on.append({ type: 'a' });
    on.sync();
    on.sync(); // nothing pending: no second fdatasync
    on.append({ type: 'b' }, { sync: true });
    expect(on.stats.syncs).toBe(2);
    on.close();
    const off = Journal.open(path.join(dir, 'off'), opts({ fsync: false })).journal;
    off.append({ type: 'a' }, { sync: true });
    off.sync();
    expect(off.stats.syncs).toBe(0);
    off.close();
  });
});

describe('journal: torn tail', () => {
  const records = sample(6);

  it('drops the last record cut at every byte, counts it, and appends cleanly after', () => {
    const dir = tempDir();
    const whole = path.join(dir, 'whole');
    const offsets = writeJournal(whole, records);
    const bytes = fs.readFileSync(whole);
    const lastStart = offsets[records.length - 1]!;
    for (let cut = lastStart + 1; cut < bytes.length; cut++) {
      const file = path.join(dir, `cut${cut}`);
      fs.writeFileSync(file, bytes.subarray(0, cut));
      const { journal, replay } = reopen(file);
      expect(replay.records).toEqual(records.slice(0, -1));
      expect(replay).toMatchObject({ torn: 1, corrupt: 0, bytes: lastStart, droppedBytes: cut - lastStart });
      expect(journal.stats).toMatchObject({ torn: 1, corrupt: 0, records: records.length - 1 });
      expect(fs.statSync(file).size).toBe(lastStart);
      journal.append({ type: 'after', cut });
      journal.close();
      const again = replayOf(file);
      expect(again.records).toEqual([...records.slice(0, -1), { type: 'after', cut }]);
      expect(again).toMatchObject({ torn: 0, corrupt: 0 });
    }
  });

  it('drops a final record whose CRC fails (a full-size but partly written record)', () => {
    const dir = tempDir();
    const file = path.join(dir, 'j');
    const offsets = writeJournal(file, records);
    const bytes = fs.readFileSync(file);
    const lastStart = offsets[records.length - 1]!;
    bytes.fill(0, lastStart + RECORD_HEADER_BYTES + 2); // the page with the body never landed
    fs.writeFileSync(file, bytes);
    const replay = replayOf(file);
    expect(replay.records).toEqual(records.slice(0, -1));
    expect(replay).toMatchObject({ torn: 1, corrupt: 0, bytes: lastStart });
    expect(replay.stop?.reason).toBe('torn-crc');
  });

  it('treats a zero-filled tail (file grown before its data landed) as torn', () => {
    const file = path.join(tempDir(), 'j');
    const offsets = writeJournal(file, records);
    fs.appendFileSync(file, Buffer.alloc(300));
    const replay = replayOf(file);
    expect(replay.records).toEqual(records);
    expect(replay).toMatchObject({ torn: 1, corrupt: 0, bytes: offsets.at(-1) });
    expect(replay.stop?.reason).toBe('torn-zeros');
  });

  it('at any cut point of the last of any records (property): earlier records kept, torn = 1, no garbage glued', () => {
    const dir = tempDir();
    let run = 0;
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 8 }), recordArb, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (recs, next, where) => {
        const file = path.join(dir, `t${run++}`);
        const offsets = writeJournal(file, recs);
        const lastStart = offsets[recs.length - 1]!;
        const end = offsets[recs.length]!;
        // A cut strictly inside the last record: lastStart + 1 .. end - 1.
        const cut = lastStart + 1 + Math.floor(where * (end - lastStart - 1));
        fs.truncateSync(file, cut);
        const { journal, replay } = reopen(file);
        expect(replay.records).toEqual(recs.slice(0, -1));
        expect(replay.torn).toBe(1);
        expect(replay.corrupt).toBe(0);
        journal.append(next);
        journal.close();
        const again = replayOf(file);
        expect(again.records).toEqual([...recs.slice(0, -1), next]);
        expect(again.torn + again.corrupt).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('recovers a file whose header was cut during creation', () => {
    const dir = tempDir();
    for (const len of [0, 1, 5, 7]) {
      const file = path.join(dir, `h${len}`);
      fs.writeFileSync(file, fileHeader().subarray(0, len));
      const { journal, replay } = reopen(file);
      expect(replay).toMatchObject({ records: [], torn: len > 0 ? 1 : 0, corrupt: 0, bytes: HEADER_BYTES });
      journal.append({ type: 'first' });
      journal.close();
      expect(replayOf(file).records).toEqual([{ type: 'first' }]);
    }
  });
});

describe('journal: corruption in the middle', () => {
  it('counts a bad CRC with data after it, stops there, truncates, never throws', () => {
    const file = path.join(tempDir(), 'j');
    const records = sample(10);
    const offsets = writeJournal(file, records);
    const bytes = fs.readFileSync(file);
    const at = offsets[4]! + RECORD_HEADER_BYTES + 3;
    bytes[at] = bytes[at]! ^ 0x10; // one flipped bit in record 4's body
    fs.writeFileSync(file, bytes);

    const { journal, replay } = reopen(file);
    expect(replay.records).toEqual(records.slice(0, 4));
    expect(replay).toMatchObject({ torn: 0, corrupt: 1, bytes: offsets[4], droppedBytes: bytes.length - offsets[4]! });
    expect(replay.stop?.reason).toBe('corrupt-crc');
    expect(journal.stats.corrupt).toBe(1);
    journal.append({ type: 'after' });
    journal.close();
    expect(replayOf(file).records).toEqual([...records.slice(0, 4), { type: 'after' }]);
  });

  it('counts a damaged length field (zero or impossibly large) as corruption', () => {
    const dir = tempDir();
    const records = sample(5);
    for (const [name, len] of [
      ['zero', 0],
      ['huge', 0xfff0_0000],
    ] as const) {
      const file = path.join(dir, name);
      const offsets = writeJournal(file, records);
      const bytes = fs.readFileSync(file);
      bytes.writeUInt32LE(len, offsets[2]!);
      fs.writeFileSync(file, bytes);
      const replay = replayOf(file);
      expect(replay.records).toEqual(records.slice(0, 2));
      expect(replay).toMatchObject({ torn: 0, corrupt: 1 });
      expect(replay.stop?.reason).toBe('corrupt-length');
    }
  });

  it('never throws on random damage: replay is always a prefix of what was written', () => {
    const dir = tempDir();
    const records = sample(12);
    const whole = path.join(dir, 'whole');
    writeJournal(whole, records);
    const bytes = fs.readFileSync(whole);
    let run = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(bytes.length - HEADER_BYTES - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
        const damaged = Buffer.from(bytes);
        for (const [i, x] of flips) damaged[HEADER_BYTES + i] = damaged[HEADER_BYTES + i]! ^ x;
        const file = path.join(dir, `d${run++}`);
        fs.writeFileSync(file, damaged);
        const replay = replayOf(file);
        expect(records.slice(0, replay.records.length)).toEqual(replay.records);
        expect(replay.records.length).toBeLessThan(records.length);
        expect(replay.torn + replay.corrupt).toBe(1);
      }),
      { numRuns: 200 },
    );
  });
});

describe('journal: a file that is not a journal', () => {
  it('refuses a wrong magic with E_JOURNAL_FORMAT and leaves the file alone', () => {
    const dir = tempDir();
    const file = path.join(dir, 'config.yaml');
    const content = 'cycle_hz: 10\nbudget_ms: 20\n';
    fs.writeFileSync(file, content);
    const err = expectCode(() => Journal.open(file, opts()), 'E_JOURNAL_FORMAT');
    expect(err.message).toContain(file);
    expect(fs.readFileSync(file, 'utf8')).toBe(content);
    // Short and not a prefix of the header: also not ours.
    fs.writeFileSync(file, 'abc');
    expectCode(() => Journal.open(file, opts()), 'E_JOURNAL_FORMAT');
    expect(fs.readFileSync(file, 'utf8')).toBe('abc');
  });

  it('refuses another format version with E_JOURNAL_VERSION', () => {
    const file = path.join(tempDir(), 'j');
    writeJournal(file, sample(3));
    const bytes = fs.readFileSync(file);
    bytes.writeUInt16LE(2, 6);
    fs.writeFileSync(file, bytes);
    const err = expectCode(() => Journal.open(file, opts()), 'E_JOURNAL_VERSION');
    expect(err.detail).toMatchObject({ version: 2 });
    expect(fs.readFileSync(file)).toEqual(bytes);
  });

  it('reports an unopenable path as E_JOURNAL_IO', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'is-a-dir'));
    expectCode(() => Journal.open(path.join(dir, 'is-a-dir'), opts()), 'E_JOURNAL_IO');
    fs.writeFileSync(path.join(dir, 'file'), '');
    expectCode(() => Journal.open(path.join(dir, 'file', 'j'), opts()), 'E_JOURNAL_IO');
  });
});

describe('journal: bad input', () => {
  it('refuses records replay could not give back, writing nothing', () => {
    const file = path.join(tempDir(), 'j');
    const { journal } = Journal.open(file, opts());
    journal.append({ type: 'ok' });
    const before = journal.stats;
    const cyclic: JournalRecord = { type: 'loop' };
    cyclic['self'] = cyclic;
    const bad: unknown[] = [
      null,
      'mode',
      [{ type: 'x' }],
      {},
      { type: '' },
      { type: 7 },
      { type: 'x', at: new Date() },
      { type: 'x', m: new Map([[1, 2]]) },
      { type: 'x', list: [1, undefined] },
      { type: 'x', big: 2n ** 70n },
      { type: 'x', s: '\uD800' },
      { type: 'x', s: `${'long '.repeat(40)}\uDC00` }, // cbor-x would write U+FFFD here, silently
      { type: 'x', ['k\uD800']: 1 },
      { type: 'x', deep: [{ s: 'ok' }, { s: 'a\uDFFFb' }] },
      cyclic,
    ];
    for (const r of bad) expectCode(() => journal.append(r as JournalRecord), 'E_JOURNAL_RECORD');
    expect(journal.stats).toEqual(before);
    journal.append({ type: 'still ok' });
    journal.close();
    expect(replayOf(file).records).toEqual([{ type: 'ok' }, { type: 'still ok' }]);
  });

  it('refuses a record larger than max_bytes with E_JOURNAL_TOO_LARGE', () => {
    const { journal } = Journal.open(path.join(tempDir(), 'j'), opts({ maxBytes: 4096 }));
    expectCode(() => journal.append({ type: 'blob', data: 'x'.repeat(5000) }), 'E_JOURNAL_TOO_LARGE');
    expect(journal.stats.records).toBe(0);
    journal.close();
  });

  it('refuses bad options with E_JOURNAL_OPTIONS', () => {
    const file = path.join(tempDir(), 'j');
    expectCode(() => Journal.open(file, opts({ maxBytes: 10 })), 'E_JOURNAL_OPTIONS');
    expectCode(() => Journal.open(file, opts({ maxBytes: 1.5e4 + 0.5 })), 'E_JOURNAL_OPTIONS');
    expectCode(() => Journal.open(file, { ...opts(), snapshot: undefined as never }), 'E_JOURNAL_OPTIONS');
    expect(fs.existsSync(file)).toBe(false);
  });

  it('refuses use after close with E_JOURNAL_CLOSED; close is idempotent', () => {
    const { journal } = Journal.open(path.join(tempDir(), 'j'), opts());
    journal.close();
    journal.close();
    expectCode(() => journal.append({ type: 'late' }), 'E_JOURNAL_CLOSED');
    expectCode(() => journal.sync(), 'E_JOURNAL_CLOSED');
    expectCode(() => journal.compact(), 'E_JOURNAL_CLOSED');
  });
});

describe('journal: compaction', () => {
  /** A tiny state machine journaled as `set` records, snapshotted as one `state` record. */
  function model() {
    const state: Record<string, number> = {};
    const snapshots: JournalRecord[][] = [];
    return {
      state,
      snapshots,
      snapshot: (): JournalRecord[] => {
        const s = [{ type: 'state', values: { ...state } }, { type: 'term', term: Object.keys(state).length, votedFor: null }];
        snapshots.push(s);
        return s;
      },
      fold(records: readonly JournalRecord[]): Record<string, number> {
        const out: Record<string, number> = {};
        for (const r of records) {
          if (r.type === 'state') Object.assign(out, r['values']);
          if (r.type === 'set') out[r['key'] as string] = r['value'] as number;
        }
        return out;
      },
    };
  }

  it('keeps the file under max_bytes; reopen gives the snapshot, then what came after', () => {
    const file = path.join(tempDir(), 'j');
    const m = model();
    const maxBytes = 4096;
    const { journal } = Journal.open(file, opts({ maxBytes, fsync: true, snapshot: m.snapshot }));
    let afterLast: JournalRecord[] = [];
    for (let i = 0; i < 1200; i++) {
      const rec = { type: 'set', key: `k${i % 17}`, value: i, at: 1_700_000_000_000 + i };
      const compactionsBefore = journal.stats.compactions;
      journal.append(rec, { sync: i % 50 === 0 });
      m.state[rec.key] = rec.value;
      if (journal.stats.compactions !== compactionsBefore) afterLast = [];
      afterLast.push(rec);
      expect(journal.stats.bytes).toBeLessThanOrEqual(maxBytes);
    }
    expect(journal.stats.compactions).toBeGreaterThan(10);
    expect(fs.statSync(file).size).toBe(journal.stats.bytes);
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
    journal.close();

    const { records, torn, corrupt } = replayOf(file);
    expect(torn + corrupt).toBe(0);
    expect(records).toEqual([...m.snapshots.at(-1)!, ...afterLast]);
    expect(m.fold(records)).toEqual(m.state);
  });

  it('compacts on demand, and with fsync off still leaves a complete file', () => {
    const file = path.join(tempDir(), 'j');
    const { journal } = Journal.open(file, opts({ fsync: false, snapshot: () => [{ type: 'state', n: 3 }] }));
    for (let i = 0; i < 3; i++) journal.append({ type: 'n', i });
    journal.compact();
    expect(journal.stats).toMatchObject({ records: 1, compactions: 1 });
    journal.append({ type: 'n', i: 3 });
    journal.close();
    expect(replayOf(file).records).toEqual([{ type: 'state', n: 3 }, { type: 'n', i: 3 }]);
  });

  it('leaves the file unchanged and the record unwritten when snapshot() throws (E_JOURNAL_COMPACT)', () => {
    const file = path.join(tempDir(), 'j');
    let fail = true;
    const { journal } = Journal.open(file, opts({ maxBytes: 512, snapshot: () => {
      if (fail) throw new Error('state not ready');
      return [{ type: 'state' }];
    } }));
    const written: JournalRecord[] = [];
    let err: unknown;
    for (let i = 0; i < 100 && !err; i++) {
      try {
        journal.append({ type: 'n', i, pad: 'xxxxxxxxxxxxxxxx' });
        written.push({ type: 'n', i, pad: 'xxxxxxxxxxxxxxxx' });
      } catch (e) {
        err = e;
      }
    }
    expect((err as JournalError).code).toBe('E_JOURNAL_COMPACT');
    expect(((err as JournalError).cause as Error).message).toBe('state not ready');
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
    expect(replayOf(file).records).toEqual(written);
    // Once snapshot() works again, the journal carries on.
    fail = false;
    journal.append({ type: 'n', i: 1000, pad: 'xxxxxxxxxxxxxxxx' });
    expect(journal.stats).toMatchObject({ records: 2, compactions: 1 });
    journal.close();
  });

  it('refuses a snapshot with a bad record, naming its index, file unchanged', () => {
    const file = path.join(tempDir(), 'j');
    const { journal } = Journal.open(file, opts({ snapshot: () => [{ type: 'ok' }, { type: 'bad', when: new Date(0) }] }));
    journal.append({ type: 'a' });
    const err = expectCode(() => journal.compact(), 'E_JOURNAL_RECORD');
    expect(err.detail).toMatchObject({ index: 1 });
    journal.close();
    expect(replayOf(file).records).toEqual([{ type: 'a' }]);
  });

  it('ignores and removes a stale .tmp left by a crash between writing it and the rename', () => {
    const dir = tempDir();
    const file = path.join(dir, 'j');
    const records = sample(8);
    writeJournal(file, records);
    // A complete, valid compacted journal sat in .tmp when the power went: not yet renamed,
    // so the journal is still the old file.
    writeJournal(`${file}.tmp`, [{ type: 'state', from: 'unfinished compaction' }]);
    const { journal, replay } = reopen(file);
    expect(replay.records).toEqual(records);
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
    journal.close();

    // Half-written garbage in .tmp, too.
    fs.writeFileSync(`${file}.tmp`, Buffer.from([1, 2, 3]));
    expect(replayOf(file).records).toEqual(records);
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);

    // A .tmp without a journal (creation cut before its rename): a fresh journal.
    const fresh = path.join(dir, 'fresh');
    fs.writeFileSync(`${fresh}.tmp`, fileHeader().subarray(0, 5));
    expect(replayOf(fresh)).toMatchObject({ records: [], torn: 0, corrupt: 0 });
    expect(fs.existsSync(`${fresh}.tmp`)).toBe(false);
  });
});

describe('journal: error codes', () => {
  it('README lists every code, and every code is a JournalError code', () => {
    const readme = fs.readFileSync(new URL('../../../firmware-agent/journal/README.md', import.meta.url), 'utf8');
    for (const code of Object.keys(JOURNAL_ERROR_CODES)) {
      expect(code).toMatch(/^E_JOURNAL_[A-Z_]+$/);
      expect(readme).toContain(code);
    }
    const mentioned = new Set(readme.match(/E_JOURNAL_[A-Z_]+/g));
    expect([...mentioned].sort()).toEqual(Object.keys(JOURNAL_ERROR_CODES).sort());
  });

  it('the journal imports only node:, hal/ and its own folder at run time', () => {
    const dir = new URL('../../../firmware-agent/journal/', import.meta.url);
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const src = fs.readFileSync(new URL(f, dir), 'utf8');
      for (const m of src.matchAll(/^import\s+(type\s+)?[^'"]*from\s+'([^']+)'/gm)) {
        const [, typeOnly, spec] = m;
        if (typeOnly) continue;
        expect(spec!.startsWith('node:') || spec!.startsWith('./') || spec!.startsWith('../../hal/'), `${f} imports ${spec}`).toBe(true);
      }
    }
  });
});
