import { describe, expect, it } from 'vitest';
import { Registry } from '../../../../firmware-agent/swarm/registry.js';
import type { SwarmMessageOf } from '../../../../firmware-agent/swarm/messages.js';
import { VirtualClock } from '../../../../hal/time/virtual-clock.js';

const health = (over: Partial<SwarmMessageOf<'health'>> = {}): SwarmMessageOf<'health'> => ({
  t: 'health', term: 1, role: 'follower', leader: 'B', health: 0.8, mode: 'nominal', soc: 0.9, tmaxC: 30, digest: 7, ...over,
});

function registry(selfHealth = 1) {
  const clock = new VirtualClock(0);
  let h = selfHealth;
  const r = new Registry({ self: 'A', members: ['A', 'B', 'C', 'D'], clock, health: () => h });
  return { r, clock, setSelf: (x: number) => void (h = x) };
}

describe('registry', () => {
  it('records what health broadcasts say', () => {
    const { r } = registry();
    r.onMessage('B', health({ term: 3, role: 'leader', leader: 'B', health: 0.7 }));
    expect(r.peer('B')).toMatchObject({ lastHeard: 0, health: 0.7, role: 'leader', term: 3, leader: 'B', mode: 'nominal', soc: 0.9, tmaxC: 30, digest: 7 });
    r.onMessage('C', health({ leader: '' }));
    expect(r.peer('C')!.leader).toBeNull();
    expect(r.members).toEqual(['A', 'B', 'C', 'D']);
    expect(r.peers().map((p) => p.id)).toEqual(['B', 'C', 'D']);
  });

  it('alive = heard within missed_broadcasts × the health interval (defaults 3 × 1 s); self always', () => {
    const { r, clock } = registry();
    expect(r.alive()).toEqual(['A']);
    r.onMessage('B', health());
    clock.advance(1000);
    r.onMessage('C', { t: 'vote', term: 1, granted: false }); // any authenticated message counts
    expect(r.alive()).toEqual(['A', 'B', 'C']);
    clock.advance(2000); // B last heard 3 s ago: still alive (≤ window)
    expect(r.isAlive('B')).toBe(true);
    clock.advance(1);
    expect(r.alive()).toEqual(['A', 'C']);
    clock.advance(1000);
    expect(r.alive()).toEqual(['A']);
  });

  it('a peer broadcasting every 8 s (interval advertised) stays alive; silent, it is dead after 3 × 8 s', () => {
    const { r, clock } = registry(0.9);
    const died: string[] = [];
    r.on('down', (id) => void died.push(id));
    // B advertises its stretched interval; C broadcasts every 8 s without advertising one.
    for (let t = 0; t <= 80_000; t += 8000) {
      clock.advance(t - clock.now());
      r.onMessage('B', health({ health: 0.5, intervalMs: 8000 }));
      if (t === 0 || t === 8000) r.onMessage('C', health({ health: 0.1 }));
      clock.advance(7999);
      r.sweep();
      expect(r.isAlive('B')).toBe(true);
    }
    expect(r.windowOf('B')).toBe(24_000);
    expect(r.windowOf('C')).toBe(3000); // nominal: 3 × 1 s
    expect(died).toEqual(['C', 'C']); // unadvertised, C was counted dead after each of its two broadcasts; B never
    expect(r.constellationHealth()).toBeCloseTo((0.9 + 0.5) / 2);
    // B falls silent after its broadcast at 80 s: alive up to 80 s + 3 × 8 s, dead after.
    clock.advance(104_000 - clock.now());
    expect(r.isAlive('B')).toBe(true);
    clock.advance(1);
    expect(r.sweep()).toEqual(['B']);
    expect(r.constellationHealth()).toBeCloseTo(0.9);
  });

  it('the latest broadcast sets the window: back to nominal when the interval recovers or is not advertised', () => {
    const { r, clock } = registry();
    r.onMessage('B', health({ intervalMs: 8000 }));
    clock.advance(20_000);
    expect(r.isAlive('B')).toBe(true);
    r.onMessage('B', health({ intervalMs: 500 })); // shorter than nominal: the nominal 1 s holds
    expect(r.peer('B')!.intervalMs).toBe(500);
    expect(r.windowOf('B')).toBe(3000);
    r.onMessage('B', health({ intervalMs: 4000 }));
    r.onMessage('B', health());
    expect(r.peer('B')!.intervalMs).toBeNull();
    clock.advance(3001);
    expect(r.isAlive('B')).toBe(false);
    // Other traffic refreshes liveness but leaves the advertised interval as it was.
    r.onMessage('B', health({ intervalMs: 2000 }));
    r.onMessage('B', { t: 'vote', term: 1, granted: false });
    clock.advance(6000);
    expect(r.isAlive('B')).toBe(true);
    clock.advance(1);
    expect(r.isAlive('B')).toBe(false);
  });

  it('constellation health = mean of self and the alive peers that reported one', () => {
    const { r, clock, setSelf } = registry(0.9);
    expect(r.constellationHealth()).toBeCloseTo(0.9);
    r.onMessage('B', health({ health: 0.5 }));
    r.onMessage('C', health({ health: 0.7 }));
    r.onMessage('D', { t: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 }); // alive, no health yet
    expect(r.constellationHealth()).toBeCloseTo((0.9 + 0.5 + 0.7) / 3);
    clock.advance(3001);
    r.onMessage('C', health({ health: 0.3 }));
    setSelf(0.6);
    expect(r.constellationHealth()).toBeCloseTo((0.6 + 0.3) / 2); // B dead
    r.onMessage('B', health({ health: 7 })); // clamped
    expect(r.peer('B')!.health).toBe(1);
  });

  it('follows role and term from Raft traffic; an older term refreshes liveness only', () => {
    const { r, clock } = registry();
    r.onMessage('B', { t: 'vote_req', term: 4, lastLogIndex: 0, lastLogTerm: 0 });
    expect(r.peer('B')).toMatchObject({ role: 'candidate', term: 4, leader: null });
    r.onMessage('B', { t: 'append', term: 4, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });
    expect(r.peer('B')).toMatchObject({ role: 'leader', term: 4, leader: 'B' });
    clock.advance(50);
    r.onMessage('B', health({ term: 3, role: 'follower', leader: 'C', health: 0.4 })); // late, reordered
    expect(r.peer('B')).toMatchObject({ role: 'leader', term: 4, leader: 'B', health: 0.4, lastHeard: 50 });
  });

  it('ignores non-members and reports peers going down and coming back', () => {
    const { r, clock } = registry();
    const events: string[] = [];
    r.on('up', (id) => events.push(`up ${id}`));
    r.on('down', (id) => events.push(`down ${id}`));
    r.onMessage('Z', health());
    expect(r.peer('Z')).toBeUndefined();
    r.onMessage('B', health());
    r.onMessage('B', health());
    clock.advance(3500);
    expect(r.sweep()).toEqual(['B']);
    r.onMessage('B', health());
    clock.advance(3500);
    r.onMessage('B', health()); // died and came back between sweeps
    expect(events).toEqual(['up B', 'down B', 'up B', 'down B', 'up B']);
  });

  it('takes its window from config', () => {
    const clock = new VirtualClock(0);
    const r = new Registry({ self: 'A', members: ['B'], clock, health: () => 1, config: { health_interval_ms: 200, missed_broadcasts: 2 } });
    expect(r.members).toEqual(['A', 'B']);
    r.onMessage('B', health());
    clock.advance(401);
    expect(r.alive()).toEqual(['A']);
    expect(() => new Registry({ self: 'A', members: [], clock, health: () => 1, config: { missed_broadcasts: 0 } })).toThrow(RangeError);
  });
});
