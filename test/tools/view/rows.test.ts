import { describe, expect, it } from 'vitest';
import type { ActionRecord } from '../../../firmware-agent/actions/executor.js';
import { ActionTally, hottestC } from '../../../tools/view/rows.js';

const rec = (id: string, state: ActionRecord['state'], source: ActionRecord['source'] = 'local'): ActionRecord => ({
  id, action: 'payload_off', params: {}, source, state, step: 0, steps: 1, attempt: 1, lastError: null, startedAt: 0, endedAt: null,
});

describe('ActionTally', () => {
  it('counts each action once by id (a resumed action is not counted twice), done apart from failed, constellation apart', () => {
    const t = new ActionTally();
    for (const s of ['pending', 'running', 'done'] as const) t.onAction('A', rec('a1', s));
    t.onAction('A', rec('a1', 'done')); // re-announced after a restart
    t.onAction('A', rec('a2', 'failed'));
    t.onAction('A', rec('c1', 'pending', 'constellation'));
    t.onAction('A', rec('c2', 'pending', 'constellation'));
    t.onAction('A', rec('c2', 'done', 'constellation'));
    t.onAction('B', rec('x', 'timed_out'));
    expect(t.counts('A')).toEqual({ actionsEnded: 3, actionsDone: 2, constAssigned: 2, constDone: 1 });
    expect(t.counts('B')).toEqual({ actionsEnded: 1, actionsDone: 0, constAssigned: 0, constDone: 0 });
    expect(t.counts('never-seen')).toEqual({ actionsEnded: 0, actionsDone: 0, constAssigned: 0, constDone: 0 });
  });

  it('hottest of the four thermal nodes', () => {
    expect(hottestC({ obcC: 20, batteryC: 41.5, payloadC: 30, radioC: -5 })).toBe(41.5);
  });
});
