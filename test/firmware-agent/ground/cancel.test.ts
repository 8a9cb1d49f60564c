import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../hal/index.js';
import { ActionExecutor, type ActionRecord } from '../../../firmware-agent/actions/executor.js';
import { emptyState, fold } from '../../../firmware-agent/persistence.js';
import { ACTIONS_CFG, drive, FakeHardware } from '../actions/fake-port.js';

const settleAll = (clock: VirtualClock, ms: number) => drive(clock, () => false, ms);

/** The executor's cancel (a ground command), on scripted hardware and virtual time. */
function rig() {
  const clock = new VirtualClock();
  const hw = new FakeHardware(clock);
  const updates: ActionRecord[] = [];
  const breakers: string[] = [];
  const ex = new ActionExecutor(hw, clock, ACTIONS_CFG, { onUpdate: (r) => void updates.push(r), onBreaker: (d, s) => void breakers.push(`${d} ${s}`) });
  return { clock, hw, ex, updates, breakers };
}

describe('cancelling an action', () => {
  it('a command never answered: cancel ends the action `cancelled` (final), frees the device, and the id never runs again', async () => {
    const r = rig();
    r.hw.otherwise('payload', { kind: 'silent' });
    expect(r.ex.request({ id: 'p1', action: 'payload_off', params: {}, source: 'local' })).toEqual({ accepted: true });
    await settleAll(r.clock, 1000);
    expect(r.ex.active().map((a) => a.state)).toEqual(['running']);
    expect(r.ex.cancel('p1')).toEqual({ ok: true });
    expect(r.ex.outcome('p1')).toBe('cancelled');
    expect(r.ex.active()).toEqual([]);
    expect(r.updates.at(-1)).toMatchObject({ id: 'p1', state: 'cancelled', endedAt: expect.any(Number) });
    // Final: nothing more happens to it, and the same id is a duplicate.
    const n = r.updates.length;
    await settleAll(r.clock, 60_000);
    expect(r.updates.length).toBe(n);
    expect(r.ex.request({ id: 'p1', action: 'payload_off', params: {}, source: 'ground' })).toMatchObject({ accepted: false, reason: 'duplicate', detail: 'action p1 already cancelled' });
    // The device is free for another action, and its breaker was not blamed.
    r.hw.otherwise('payload', { kind: 'ok' });
    expect(r.ex.request({ id: 'p2', action: 'payload_off', params: {}, source: 'local' })).toEqual({ accepted: true });
    await settleAll(r.clock, 2000);
    expect(r.ex.outcome('p2')).toBe('done');
    expect(r.breakers).toEqual([]);
  });

  it('during a backoff between retries, too', async () => {
    const r = rig();
    r.hw.otherwise('heater', { kind: 'refuse', code: 'busy' });
    r.ex.request({ id: 'h1', action: 'heater_on', params: {}, source: 'local' });
    await settleAll(r.clock, 50);
    expect(r.ex.active()[0]?.state).toBe('backoff');
    expect(r.ex.cancel('h1')).toEqual({ ok: true });
    expect(r.ex.outcome('h1')).toBe('cancelled');
    const cmds = r.hw.cmds.length;
    await settleAll(r.clock, 10_000);
    expect(r.hw.cmds.length).toBe(cmds);
  });

  it('unknown and finished ids are refused with the reason', async () => {
    const r = rig();
    expect(r.ex.cancel('nope')).toEqual({ ok: false, reason: 'unknown', detail: 'no action nope is running' });
    r.ex.request({ id: 'd1', action: 'heater_on', params: {}, source: 'local' });
    await settleAll(r.clock, 2000);
    expect(r.ex.cancel('d1')).toEqual({ ok: false, reason: 'finished', detail: 'action d1 already done' });
  });

  it('the journal folds a cancelled action as finished (not in flight, not a failure)', () => {
    const s = emptyState();
    fold(s, { type: 'action', id: 'x', action: 'payload_off', params: {}, source: 'local', state: 'running', step: 0, at: 0 });
    expect(s.inFlight.has('x')).toBe(true);
    fold(s, { type: 'action', id: 'x', action: 'payload_off', params: {}, source: 'local', state: 'cancelled', step: 0, at: 1 });
    expect(s.inFlight.has('x')).toBe(false);
    expect(s.completed.get('x')).toBe('cancelled');
    expect(s.counters).toMatchObject({ actionsDone: 0, actionsFailed: 0 });
  });

  it('the journal keeps the highest ground counter per key, never lowering it', () => {
    const s = emptyState();
    for (const [key, n] of [['k1', 5], ['k1', 9], ['k1', 7], ['k2', 3]] as const) fold(s, { type: 'ground_counter', key, n });
    expect([...s.groundCounters]).toEqual([['k1', 9], ['k2', 3]]);
    fold(s, { type: 'ground_counter', key: 'k1', n: -1 });
    fold(s, { type: 'ground_counter', n: 50 });
    expect(s.groundCounters.get('k1')).toBe(9);
  });
});
