import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../hal/index.js';
import { CircuitBreaker, type BreakerState } from '../../../firmware-agent/actions/breaker.js';

function rig(threshold = 3, resetMs = 1000) {
  const clock = new VirtualClock(500);
  const changes: [string, BreakerState, number][] = [];
  const b = new CircuitBreaker('heater', clock, threshold, resetMs, (d, s) => changes.push([d, s, clock.now()]));
  return { clock, b, changes };
}

describe('circuit breaker', () => {
  it('opens after N consecutive failures, not before; a success in between resets the count', () => {
    const { b, changes } = rig(3);
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    expect(b.opens).toBe(1);
    expect(changes).toEqual([['heater', 'open', 500]]);
  });

  it('a threshold of 1 opens on the first failure', () => {
    const { b } = rig(1);
    b.failure();
    expect(b.state).toBe('open');
  });

  it('refuses while open, for exactly resetMs', () => {
    const { clock, b } = rig(2, 1000);
    b.failure();
    b.failure();
    for (const t of [0, 1, 500, 999]) {
      clock.runUntil(500 + t);
      expect(b.allow(), `at +${t} ms`).toBe(false);
      expect(b.state).toBe('open');
    }
    clock.runUntil(1500);
    expect(b.state).toBe('half_open');
  });

  it('half-open lets exactly one probe through; its success closes the breaker', () => {
    const { clock, b, changes } = rig(2, 1000);
    b.failure();
    b.failure();
    clock.advance(1000);
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(false);
    expect(b.allow()).toBe(false);
    expect(b.state).toBe('half_open');
    b.success();
    expect(b.state).toBe('closed');
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(true);
    expect(changes.map((c) => [c[1], c[2]])).toEqual([['open', 500], ['half_open', 1500], ['closed', 1500]]);
    // Closed again with a fresh count: one failure does not reopen it.
    b.failure();
    expect(b.state).toBe('closed');
  });

  it('a failed probe opens it again for another resetMs, counted as a new opening', () => {
    const { clock, b, changes } = rig(3, 1000);
    b.failure();
    b.failure();
    b.failure();
    clock.advance(1000);
    expect(b.allow()).toBe(true);
    clock.advance(200);
    b.failure(); // a single failure in half-open is enough
    expect(b.state).toBe('open');
    expect(b.opens).toBe(2);
    clock.advance(999);
    expect(b.allow()).toBe(false);
    clock.advance(1);
    expect(b.allow()).toBe(true);
    expect(changes.map((c) => [c[1], c[2]])).toEqual([['open', 500], ['half_open', 1500], ['open', 1700], ['half_open', 2700]]);
  });

  it('onChange fires once per change: more failures while open change nothing', () => {
    const { b, changes } = rig(2, 1000);
    for (let i = 0; i < 10; i++) b.failure();
    expect(changes).toHaveLength(1);
    expect(b.opens).toBe(1);
    b.success();
    b.success();
    expect(changes.map((c) => c[1])).toEqual(['open', 'closed']);
  });

  it('release() gives an unanswered probe back: the next attempt may probe', () => {
    const { clock, b } = rig(1, 100);
    b.failure();
    clock.advance(100);
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(false);
    b.release();
    expect(b.state).toBe('half_open');
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(false);
  });
});
