import { describe, expect, it } from 'vitest';
import { ProcedureWatcher } from '../../../firmware-agent/actions/procedure-watcher.js';

describe('procedure watcher', () => {
  it('flags an action silent for more than factor × its expected step time, once per stall episode', () => {
    const w = new ProcedureWatcher(3);
    w.progress('a', 1000, 100);
    expect(w.check(1200)).toEqual([]);
    expect(w.check(1300)).toEqual([]); // exactly at the limit: not yet
    expect(w.check(1301)).toEqual([{ id: 'a', silentMs: 301, limitMs: 300 }]);
    // Still silent: the same episode, no new flag.
    for (let t = 1400; t < 10_000; t += 100) expect(w.check(t)).toEqual([]);
    expect(w.flags).toBe(1);
  });

  it('progress ends an episode: a later stall is flagged again', () => {
    const w = new ProcedureWatcher(3);
    w.progress('a', 0, 100);
    expect(w.check(400)).toHaveLength(1);
    w.progress('a', 450, 100);
    expect(w.check(500)).toEqual([]);
    expect(w.check(750)).toEqual([]);
    expect(w.check(751)).toEqual([{ id: 'a', silentMs: 301, limitMs: 300 }]);
    expect(w.flags).toBe(2);
  });

  it('never flags an action that keeps progressing, even when checks are sparse', () => {
    const w = new ProcedureWatcher(3);
    let t = 0;
    w.progress('a', t, 100);
    for (let i = 0; i < 200; i++) {
      t += 250; // within the 300 ms limit each time
      w.progress('a', t, 100);
      if (i % 7 === 0) expect(w.check(t + 40)).toEqual([]);
    }
    expect(w.flags).toBe(0);
  });

  it('progress recorded before the check is folded in (a late check does not flag a moving action)', () => {
    const w = new ProcedureWatcher(2);
    w.progress('a', 0, 100);
    w.progress('a', 150, 100);
    w.progress('a', 300, 100);
    expect(w.check(450)).toEqual([]);
    // An out-of-order progress stamp never moves the clock back.
    w.progress('a', 10, 100);
    expect(w.check(500)).toEqual([]);
    expect(w.check(501)).toEqual([{ id: 'a', silentMs: 201, limitMs: 200 }]);
  });

  it('the limit follows the expected time of the current step', () => {
    const w = new ProcedureWatcher(3);
    w.progress('a', 0, 100);
    w.progress('a', 100, 1000);
    expect(w.check(3000)).toEqual([]);
    expect(w.check(3101)).toEqual([{ id: 'a', silentMs: 3001, limitMs: 3000 }]);
  });

  it('finished stops watching: no flag afterwards', () => {
    const w = new ProcedureWatcher(3);
    w.progress('a', 0, 100);
    w.progress('b', 0, 100);
    expect(w.watching).toBe(2);
    w.finished('a');
    expect(w.watching).toBe(1);
    expect(w.check(10_000).map((f) => f.id)).toEqual(['b']);
    w.finished('b');
    w.finished('unknown');
    expect(w.watching).toBe(0);
    expect(w.check(20_000)).toEqual([]);
  });

  it('actions are watched independently', () => {
    const w = new ProcedureWatcher(3);
    w.progress('a', 0, 100);
    w.progress('b', 0, 1000);
    expect(w.check(301).map((f) => f.id)).toEqual(['a']);
    w.progress('a', 350, 100);
    expect(w.check(3001).map((f) => f.id)).toEqual(['a', 'b']);
  });
});
