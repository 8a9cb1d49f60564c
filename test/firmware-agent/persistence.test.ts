import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../firmware-agent/journal/index.js';
import { emptyState, fold, KEEP_COMPLETED, KEEP_RECENT, snapshotRecords, type PersistedState } from '../../firmware-agent/persistence.js';

const replay = (records: readonly JournalRecord[], s: PersistedState = emptyState()): PersistedState => {
  for (const r of records) fold(s, r);
  return s;
};
const action = (id: string, state: string, over: Record<string, unknown> = {}): JournalRecord => ({
  type: 'action', id, action: 'enter_safe', params: {}, source: 'local', state, step: 0, at: 0, ...over,
});

describe('persistence: folding records', () => {
  it('boot counts boots', () => {
    expect(replay([{ type: 'boot', at: 0 }, { type: 'boot', at: 5 }]).counters.boots).toBe(2);
  });

  it('mode sets the mode; safe entries count only on entering safe', () => {
    const s = replay([
      { type: 'mode', mode: 'nominal' },
      { type: 'mode', mode: 'safe' },
      { type: 'mode', mode: 'safe' }, // already safe (e.g. restored from the journal): not an entry
      { type: 'mode', mode: 'recovery' },
      { type: 'mode', mode: 'safe' },
    ]);
    expect(s.mode).toBe('safe');
    expect(s.counters.safeEntries).toBe(2);
    expect(replay([{ type: 'mode', mode: 'degraded' }]).counters.safeEntries).toBe(0);
  });

  it('decision counts every decision and keeps the last KEEP_RECENT ids, oldest first', () => {
    const ids = Array.from({ length: 7 }, (_, i) => `d${i}`);
    const s = replay(ids.map((id) => ({ type: 'decision', id, action: 'payload_off', rule: 'r', at: 0 })));
    expect(s.counters.decisions).toBe(7);
    expect(s.recent).toEqual(ids.slice(-KEEP_RECENT));
    expect(KEEP_RECENT).toBe(4);
  });

  it('a non-final action record puts it in flight (with its step, params and source); a final one completes it', () => {
    const s = replay([action('a', 'pending'), action('a', 'running', { step: 1, params: { duty: 0.3 }, source: 'ground' })]);
    expect([...s.inFlight.values()]).toEqual([{ id: 'a', action: 'enter_safe', params: { duty: 0.3 }, source: 'ground', step: 1 }]);
    fold(s, action('a', 'done', { step: 2 }));
    expect(s.inFlight.size).toBe(0);
    expect([...s.completed]).toEqual([['a', 'done']]);
    expect(s.counters).toMatchObject({ actionsDone: 1, actionsFailed: 0 });
  });

  it('done and failed are counted once per id even when a final record repeats; timed_out counts as failed', () => {
    const s = replay([
      action('a', 'running'),
      action('a', 'done'),
      action('a', 'done'),
      action('b', 'failed'),
      action('b', 'failed'),
      action('c', 'timed_out'),
      action('a', 'done'),
    ]);
    expect(s.counters).toMatchObject({ actionsDone: 1, actionsFailed: 2 });
    expect(Object.fromEntries(s.completed)).toEqual({ a: 'done', b: 'failed', c: 'timed_out' });
  });

  it('counters restores the counters it carries (valid non-negative integers only)', () => {
    const s = replay([
      { type: 'boot' },
      { type: 'counters', boots: 7, decisions: 3, actionsDone: 2, actionsFailed: 1, safeEntries: 4 },
      { type: 'boot' },
    ]);
    expect(s.counters).toEqual({ boots: 8, decisions: 3, actionsDone: 2, actionsFailed: 1, safeEntries: 4 });
    fold(s, { type: 'counters', boots: -1, decisions: 1.5, actionsDone: '9', actionsFailed: null, safeEntries: 5 });
    expect(s.counters).toEqual({ boots: 8, decisions: 3, actionsDone: 2, actionsFailed: 1, safeEntries: 5 });
  });

  it('snapshot restores completed ids, recent decisions and recurrence counts', () => {
    const s = replay([
      { type: 'snapshot', completed: [['x', 'done'], ['y', 'failed']], recent: ['r1', 'r2', 'r3', 'r4', 'r5'], recurrence: { 'soc_low:low': 3, 'tumbling:high': 1 } },
    ]);
    expect([...s.completed]).toEqual([['x', 'done'], ['y', 'failed']]);
    expect(s.recent).toEqual(['r2', 'r3', 'r4', 'r5']);
    expect(s.recurrence).toEqual({ 'soc_low:low': 3, 'tumbling:high': 1 });
    // A snapshot does not count: its completed ids were counted before the compaction.
    expect(s.counters.actionsDone).toBe(0);
    fold(s, action('x', 'done'));
    expect(s.counters.actionsDone).toBe(0);
  });

  it('unknown record types change nothing', () => {
    const s = replay([{ type: 'boot' }, action('a', 'running'), { type: 'mode', mode: 'degraded' }]);
    const before = structuredClone(s);
    for (const type of ['telemetry', 'anomaly', 'future_thing', '', 'constructor', '__proto__']) fold(s, { type, id: 'a', mode: 'safe', boots: 99 });
    expect(s).toEqual(before);
  });

  it('fields of the wrong type are ignored, and never throw', () => {
    const s = replay([{ type: 'boot' }, { type: 'mode', mode: 'nominal' }, { type: 'decision', id: 'd1' }, action('a', 'running', { step: 2 })]);
    const before = structuredClone(s);
    const bad: JournalRecord[] = [
      { type: 'mode', mode: 5 },
      { type: 'mode', mode: 'hyperspace' },
      { type: 'mode' },
      { type: 'decision', id: 7 },
      { type: 'decision' },
      { type: 'action', id: 1, action: 'x', state: 'running' },
      { type: 'action', id: 'b', action: 2, state: 'running' },
      { type: 'action', id: 'b', action: 'x', state: null },
      { type: 'action', id: 'a', action: 'enter_safe' },
      { type: 'counters', boots: 'many' },
      { type: 'snapshot', completed: 'x', recent: 'y', recurrence: 5 },
      { type: 'snapshot', completed: [[1, 'done'], ['z'], 'z', null, ['q', 3]], recent: [1, null] },
    ];
    for (const r of bad) expect(() => fold(s, r)).not.toThrow();
    expect({ ...s, recent: before.recent }).toEqual(before);
    expect(s.recent).toEqual([]); // recent: [1, null] is a list with no ids
    // Wrong-typed optional fields fall back to defaults instead of dropping the record.
    fold(s, action('c', 'running', { params: [1, 2], source: 'martians', step: -3 }));
    expect(s.inFlight.get('c')).toEqual({ id: 'c', action: 'enter_safe', params: {}, source: 'local', step: 0 });
    // Recurrence entries that are not positive integers are dropped.
    fold(s, { type: 'snapshot', recurrence: { a: 2, b: 'x', c: -1, d: 1.5 } });
    expect(s.recurrence).toEqual({ a: 2 });
  });

  it('completed ids are bounded at KEEP_COMPLETED, oldest dropped first, and still counted', () => {
    const n = KEEP_COMPLETED + 88;
    const s = replay(Array.from({ length: n }, (_, i) => action(`id${i}`, i % 2 ? 'failed' : 'done')));
    expect(s.completed.size).toBe(KEEP_COMPLETED);
    expect([...s.completed.keys()][0]).toBe(`id${n - KEEP_COMPLETED}`);
    expect([...s.completed.keys()].at(-1)).toBe(`id${n - 1}`);
    expect(s.counters.actionsDone + s.counters.actionsFailed).toBe(n);
  });
});

describe('persistence: snapshotRecords', () => {
  it('replays a typical state exactly', () => {
    const s = replay([
      { type: 'boot' },
      { type: 'boot' },
      { type: 'mode', mode: 'nominal' },
      { type: 'mode', mode: 'safe' },
      { type: 'decision', id: 'd1' },
      action('safe-2-1', 'pending'),
      action('safe-2-1', 'running', { step: 1 }),
      action('h', 'running', { action: 'heater_on', source: 'constellation' }),
      action('h', 'failed'),
      action('p', 'done'),
      { type: 'snapshot', recurrence: { 'soc_critical:low': 2 } },
    ]);
    const records = snapshotRecords(s);
    expect(records.every((r) => typeof r.type === 'string')).toBe(true);
    expect(replay(records)).toEqual(s);
    // The replayed state snapshots to the same records again (compaction is a fixed point).
    expect(snapshotRecords(replay(records))).toEqual(records);
    // And it survives a structured clone (plain data: what the journal's CBOR keeps).
    expect(replay(structuredClone(records))).toEqual(s);
  });

  it('an empty state snapshots to records that replay to an empty state', () => {
    expect(replay(snapshotRecords(emptyState()))).toEqual(emptyState());
  });

  const ids = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'safe-1-1');
  const states = fc.constantFrom('pending', 'running', 'verifying', 'backoff', 'done', 'failed', 'timed_out');
  const junk = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer({ min: -3, max: 5 }), fc.double(), fc.string({ maxLength: 3 }), fc.boolean());
  const recordArb: fc.Arbitrary<JournalRecord> = fc.oneof(
    fc.constant<JournalRecord>({ type: 'boot' }),
    fc.record({ type: fc.constant('mode'), mode: fc.oneof(fc.constantFrom('boot', 'nominal', 'degraded', 'safe', 'recovery'), junk) }),
    fc.record({ type: fc.constant('decision'), id: fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 4 }) }, junk) }),
    fc.record({
      type: fc.constant('action'),
      id: fc.oneof({ weight: 5, arbitrary: ids }, junk),
      action: fc.oneof({ weight: 5, arbitrary: fc.constantFrom('enter_safe', 'heater_on') }, junk),
      state: fc.oneof({ weight: 5, arbitrary: states }, junk),
      step: fc.oneof(fc.nat(3), junk),
      params: fc.oneof(fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.double({ noNaN: true }), fc.string(), fc.boolean())), junk),
      source: fc.oneof(fc.constantFrom('local', 'constellation', 'ground'), junk),
    }),
    fc.record({
      type: fc.constant('counters'),
      boots: fc.oneof(fc.nat(20), junk),
      decisions: fc.oneof(fc.nat(20), junk),
      actionsDone: fc.oneof(fc.nat(20), junk),
      actionsFailed: fc.oneof(fc.nat(20), junk),
      safeEntries: fc.oneof(fc.nat(20), junk),
    }),
    fc.record({
      type: fc.constant('snapshot'),
      completed: fc.oneof(fc.array(fc.oneof(fc.tuple(ids, states), fc.tuple(junk, junk), junk)), junk),
      recent: fc.oneof(fc.array(fc.oneof(fc.string({ maxLength: 4 }), junk), { maxLength: 6 }), junk),
      recurrence: fc.oneof(fc.dictionary(fc.constantFrom('soc_low:low', 'tumbling:high', 'x'), fc.oneof(fc.nat(9), junk)), junk),
    }),
    fc.record({ type: fc.constantFrom('future', 'telemetry'), id: ids }),
  );

  it('property: snapshotRecords(s) replayed into an empty state gives the same state', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 60 }), (records) => {
        const s = replay(records);
        const again = replay(snapshotRecords(s));
        expect(again).toEqual(s);
        // Order of the maps is kept too (the oldest completed id is dropped first after a restore).
        expect([...again.completed.keys()]).toEqual([...s.completed.keys()]);
        expect([...again.inFlight.keys()]).toEqual([...s.inFlight.keys()]);
        // And the counters were counted from the records, never beside them.
        expect(again.counters).toEqual(s.counters);
      }),
      { numRuns: 500 },
    );
  });

  it('property: continuing after a compaction gives the same state as never compacting', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 40 }), fc.array(recordArb, { maxLength: 40 }), (before, after) => {
        const straight = replay([...before, ...after]);
        const compacted = replay([...snapshotRecords(replay(before)), ...after]);
        expect(compacted).toEqual(straight);
      }),
      { numRuns: 500 },
    );
  });
});
