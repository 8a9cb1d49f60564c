import { describe, expect, it } from 'vitest';
import { execStatusOf } from '../../../firmware-agent/swarm/agent-wiring.js';

describe('execStatusOf: a local action as the constellation sees it', () => {
  it('maps final states to final outcomes and the rest to running', () => {
    expect(execStatusOf(undefined)).toBeUndefined();
    expect(execStatusOf('done')).toEqual({ state: 'done' });
    expect(execStatusOf('failed')?.state).toBe('failed');
    expect(execStatusOf('timed_out')?.state).toBe('timed_out');
    for (const s of ['pending', 'running', 'verifying', 'backoff'] as const) expect(execStatusOf(s)).toEqual({ state: 'running' });
  });

  it('reports a ground-cancelled action as failed at once, with the reason', () => {
    const st = execStatusOf('cancelled');
    expect(st?.state).toBe('failed');
    expect(st && 'reason' in st ? st.reason : '').toMatch(/cancelled by a ground command/);
  });
});
