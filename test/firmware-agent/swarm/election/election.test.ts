import { describe, expect, it } from 'vitest';
import { ELECTION_DEFAULTS } from '../../../../firmware-agent/swarm/election-config.js';
import type { SwarmRole } from '../../../../firmware-agent/swarm/messages.js';
import { percentile } from '../sim-net.js';
import { makeCluster, type Cluster } from './cluster.js';
import { CPU_BOUND_TEST_MS } from '../wall-time.js';

const stats = (xs: number[]): string =>
  `p50 ${percentile(xs, 50).toFixed(0)} ms, p99 ${percentile(xs, 99).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (n=${xs.length})`;

/** Every role each node has entered, in order. */
function recordRoles(c: Cluster): Map<string, SwarmRole[]> {
  const seen = new Map<string, SwarmRole[]>();
  const hook = (id: string): void => {
    c.node(id).on('role', (r) => seen.get(id)!.push(r));
  };
  for (const id of c.ids) {
    seen.set(id, []);
    hook(id);
  }
  return seen;
}

describe('election on the simulated ISL (5 nodes, 50–100 ms latency, defaults)', () => {
  it('elects exactly one leader, known to all, within 1.5 s (200 seeds)', () => {
    const times: number[] = [];
    for (let seed = 1; seed <= 200; seed++) {
      const c = makeCluster({ n: 5, seed });
      c.net.start();
      const t = c.net.runUntil(() => c.agreedLeader() !== null, 3000);
      expect(t, `seed ${seed}`).toBeDefined();
      times.push(t!);
      c.net.run(400);
      expect(c.leaders()).toHaveLength(1);
      expect(c.agreedLeader()).toBe(c.leaders()[0]!.self);
      expect(c.checker.violations).toEqual([]);
    }
    console.info(`first election, leader known to all: ${stats(times)}`);
    // The first timeout fires ≥ 300 ms in; one round takes two one-way latencies more.
    expect(Math.min(...times)).toBeGreaterThanOrEqual(ELECTION_DEFAULTS.election_timeout_min_ms + 100);
    expect(Math.max(...times)).toBeLessThan(1500);
  }, CPU_BOUND_TEST_MS);

  it('kill the leader: a new leader known to all alive nodes within 1.5 s (200 seeds)', () => {
    const times: number[] = [];
    for (let seed = 1; seed <= 200; seed++) {
      const c = makeCluster({ n: 5, seed });
      c.net.start();
      c.net.runUntil(() => c.agreedLeader() !== null, 3000);
      c.net.run(400 + (seed % 7) * 37); // kill at various points of the heartbeat cycle
      const old = c.agreedLeader()!;
      const oldTerm = c.node(old).term;
      const t0 = c.net.clock.now();
      c.net.crash(old);
      const t = c.net.runUntil(() => {
        const l = c.agreedLeader();
        return l !== null && l !== old;
      }, 3000);
      expect(t, `seed ${seed}`).toBeDefined();
      times.push(t! - t0);
      const now = c.node(c.agreedLeader()!);
      expect(now.term).toBeGreaterThan(oldTerm);
      expect(c.checker.violations).toEqual([]);
    }
    console.info(`failover (kill leader → new leader known to all alive): ${stats(times)}`);
    expect(percentile(times, 99)).toBeLessThan(1500);
    expect(Math.max(...times)).toBeLessThan(1500);
  }, CPU_BOUND_TEST_MS);

  it('partition 3|2 with the leader in the minority: it loses its lease within lease_ms, the majority elects; heal → one leader, higher term', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const c = makeCluster({ n: 5, seed });
      c.net.start();
      c.net.runUntil(() => c.agreedLeader() !== null, 3000);
      c.net.run(300);
      const old = c.agreedLeader()!;
      const termBefore = c.node(old).term;
      const minority = [old, c.ids.find((id) => id !== old)!];
      const majority = c.ids.filter((id) => !minority.includes(id));
      const t0 = c.net.clock.now();
      c.net.partition(minority, majority);

      // Until lease_ms has passed, the old leader may still believe it leads; then never.
      c.net.runUntil(() => false, ELECTION_DEFAULTS.lease_ms);
      const watch = (): void => {
        for (const id of minority) {
          const e = c.node(id);
          expect(e.hasLease, `seed ${seed}: ${id} still has a lease at +${c.net.clock.now() - t0} ms`).toBe(false);
          expect(e.role, `seed ${seed}: ${id} still leads at +${c.net.clock.now() - t0} ms`).not.toBe('leader');
        }
      };
      watch();
      const offs = minority.map((id) => c.node(id).on('role', watch));
      // The majority elects a leader of its own, that all three know.
      const t = c.net.runUntil(() => {
        const ls = majority.map((id) => c.node(id)).filter((e) => e.role === 'leader' && e.hasLease);
        return ls.length === 1 && majority.every((id) => c.node(id).leader === ls[0]!.self);
      }, 2000);
      expect(t, `seed ${seed}`).toBeDefined();
      c.net.run(2000);
      watch();
      offs.forEach((off) => off());
      const majorityLeader = c.leaders().find((e) => majority.includes(e.self))!;
      expect(majorityLeader).toBeDefined();

      c.net.heal();
      const th = c.net.runUntil(() => c.agreedLeader() !== null && c.ids.every((id) => c.node(id).term === c.node(c.agreedLeader()!).term), 3000);
      expect(th, `seed ${seed}: no single leader after heal`).toBeDefined();
      c.net.run(1000);
      expect(c.leaders()).toHaveLength(1);
      expect(c.leaders()[0]!.term).toBeGreaterThan(termBefore);
      expect(c.checker.violations).toEqual([]);
    }
  });

  for (const preVote of [true, false]) {
    const heal = preVote
      ? 'with pre-vote the minority never raises its term, and the heal disturbs nobody (same leader, same term)'
      : 'without pre-vote (plain Raft) the minority keeps standing, and the heal forces an election at a higher term';
    it(`partition 3|2 with the leader in the majority: it keeps leading; the minority never gets a leader; ${heal}`, () => {
      for (let seed = 1; seed <= 20; seed++) {
        const c = makeCluster({ n: 5, seed, config: { pre_vote: preVote } });
        c.net.start();
        c.net.runUntil(() => c.agreedLeader() !== null, 3000);
        c.net.run(300);
        const leader = c.agreedLeader()!;
        const term = c.node(leader).term;
        const others = c.ids.filter((id) => id !== leader);
        const minority = others.slice(0, 2);
        const majority = c.ids.filter((id) => !minority.includes(id));
        c.net.partition(minority, majority);
        const roles = recordRoles(c);
        c.net.run(3000);
        expect(c.node(leader).role).toBe('leader');
        expect(c.node(leader).term).toBe(term);
        expect(c.node(leader).hasLease).toBe(true);
        for (const id of minority) expect(roles.get(id), `seed ${seed}: ${id}`).not.toContain('leader');
        const minorityTerm = Math.max(...minority.map((id) => c.node(id).term));
        c.net.heal();
        if (preVote) {
          // They asked each other for pre-votes (2 < quorum 3) and never stood.
          expect(minorityTerm, `seed ${seed}`).toBe(term);
          for (const id of minority) expect(roles.get(id), `seed ${seed}: ${id}`).not.toContain('candidate');
          expect(c.net.runUntil(() => c.agreedLeader() === leader, 1000), `seed ${seed}`).toBeDefined();
          c.net.run(2000);
          expect(c.agreedLeader()).toBe(leader);
          expect(c.node(leader).term).toBe(term);
          expect(roles.get(leader), `seed ${seed}: the leader never stepped down`).toEqual([]);
        } else {
          // The minority has been standing (terms went up), which the heal makes everyone adopt.
          expect(minorityTerm).toBeGreaterThan(term);
          expect(c.net.runUntil(() => c.agreedLeader() !== null && c.node(c.agreedLeader()!).term > term, 3000)).toBeDefined();
        }
        expect(c.checker.violations).toEqual([]);
      }
    });
  }

  it('an isolated leader steps down exactly when its lease runs out', () => {
    const c = makeCluster({ n: 5, seed: 7 });
    c.net.start();
    c.net.runUntil(() => c.agreedLeader() !== null, 3000);
    c.net.run(250);
    const l = c.node(c.agreedLeader()!);
    const t0 = c.net.clock.now();
    c.net.partition([l.self]);
    let steppedAt: number | undefined;
    l.on('role', (r) => {
      if (r !== 'leader') steppedAt ??= c.net.clock.now();
    });
    c.net.run(2000);
    expect(steppedAt).toBeDefined();
    expect(steppedAt! - t0).toBeLessThanOrEqual(ELECTION_DEFAULTS.lease_ms);
    // Not much earlier either: the last acks came in just before the cut.
    expect(steppedAt! - t0).toBeGreaterThan(ELECTION_DEFAULTS.lease_ms - 250);
    expect(l.stats.leaseLost).toBe(1);
    expect(l.leader).toBeNull();
  });

  it('2/3 quorum: 6 nodes need 4, so a 4|2 split keeps a leader and 3|3 has none', () => {
    const c = makeCluster({ n: 6, seed: 3, config: { quorum: 'two_thirds' } });
    expect(c.node('SAT-1').quorum).toBe(4);
    c.net.start();
    expect(c.net.runUntil(() => c.agreedLeader() !== null, 3000)).toBeDefined();
    c.net.partition(c.ids.slice(0, 3), c.ids.slice(3));
    c.net.run(ELECTION_DEFAULTS.lease_ms + 1);
    const roles = recordRoles(c);
    c.net.run(3000);
    expect(c.leaders()).toHaveLength(0);
    for (const id of c.ids) expect(roles.get(id)).not.toContain('leader');
    c.net.partition(c.ids.slice(0, 4), c.ids.slice(4));
    expect(c.net.runUntil(() => c.leaders().some((e) => e.hasLease && c.ids.slice(0, 4).includes(e.self)), 3000)).toBeDefined();
    expect(c.checker.violations).toEqual([]);
  });
});

describe('health and standby', () => {
  it('nodes below stand_threshold never stand nor lead, but still vote (100 seeds, leaders killed in turn)', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const c = makeCluster({ n: 5, seed });
      c.health.set('SAT-1', 0.2);
      c.health.set('SAT-2', 0.49);
      const roles = recordRoles(c);
      c.net.start();
      for (let round = 0; round < 3; round++) {
        const t = c.net.runUntil(() => c.agreedLeader() !== null, 3000);
        expect(t, `seed ${seed} round ${round}`).toBeDefined();
        const l = c.agreedLeader()!;
        c.net.run(200);
        if (round < 2) {
          c.net.crash(l);
          c.net.run(100);
          if (round === 1) c.net.restart(c.ids.find((id) => !c.net.isUp(id) && id !== l)!);
        }
      }
      for (const id of ['SAT-1', 'SAT-2']) {
        expect(roles.get(id), `seed ${seed}`).not.toContain('candidate');
        expect(roles.get(id), `seed ${seed}`).not.toContain('leader');
      }
      // With three healthy nodes and two crashed, the two unhealthy ones' votes were needed.
      expect(c.node('SAT-1').stats.votesGranted + c.node('SAT-2').stats.votesGranted).toBeGreaterThan(0);
      expect(c.checker.violations).toEqual([]);
    }
  }, CPU_BOUND_TEST_MS);

  it('a leader whose health drops below the threshold steps down; another takes over', () => {
    const c = makeCluster({ n: 5, seed: 11 });
    c.net.start();
    c.net.runUntil(() => c.agreedLeader() !== null, 3000);
    const l = c.agreedLeader()!;
    c.health.set(l, 0.3);
    // Noticed at the next heartbeat at the latest…
    c.net.run(ELECTION_DEFAULTS.heartbeat_ms);
    expect(c.node(l).role).toBe('follower');
    expect(c.node(l).stats.stepDownHealth).toBe(1);
    // …and another, healthy, node takes over; the old one never stands again while unhealthy.
    const roles = recordRoles(c);
    expect(c.net.runUntil(() => c.agreedLeader() !== null, 2000)).toBeDefined();
    expect(c.agreedLeader()).not.toBe(l);
    c.net.run(3000);
    expect(roles.get(l)).toEqual([]);
    // healthChanged(): the step-down is immediate.
    const l2 = c.agreedLeader()!;
    c.health.set(l2, 0);
    c.node(l2).healthChanged();
    expect(c.node(l2).role).toBe('follower');
    expect(c.checker.violations).toEqual([]);
  });

  it('a standby votes but never becomes candidate; demote() makes a leader step down; promote() lets it stand again', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const c = makeCluster({ n: 3, seed, standby: ['SAT-3'] });
      const roles = recordRoles(c);
      c.net.start();
      expect(c.node('SAT-3').role).toBe('standby');
      // The leader known to all, and its no-op on all: a new leader announces itself with an
      // empty heartbeat before the no-op, and if it died in between, the standby could hold an
      // entry the other lacks — then (Raft's up-to-date rule) nobody could be elected.
      c.net.runUntil(() => {
        const l = c.agreedLeader();
        return l !== null && c.ids.every((id) => c.node(id).log.length === c.node(l).log.length);
      }, 3000);
      const l = c.agreedLeader()!;
      expect(l).not.toBe('SAT-3');
      expect(c.node('SAT-3').leader).toBe(l); // follows and replicates
      // Kill the leader: only the other healthy node can stand, and it needs the standby's vote.
      c.net.crash(l);
      const other = l === 'SAT-1' ? 'SAT-2' : 'SAT-1';
      expect(c.net.runUntil(() => c.node(other).role === 'leader' && c.node('SAT-3').leader === other, 3000), `seed ${seed}`).toBeDefined();
      expect(c.node('SAT-3').stats.votesGranted).toBeGreaterThan(0);
      // Demote the leader: it steps down and, standby too, nobody can lead now.
      c.node(other).demote();
      expect(c.node(other).role).toBe('standby');
      const mark = roles.get(other)!.length;
      c.net.run(3000);
      expect(c.leaders()).toHaveLength(0);
      expect(roles.get(other)!.slice(mark)).toEqual([]);
      expect(roles.get('SAT-3')).not.toContain('candidate');
      // Promote the configured standby: it stands, and wins with the (standby) other's vote.
      c.node('SAT-3').promote();
      expect(c.node('SAT-3').role).toBe('follower');
      expect(c.net.runUntil(() => c.node('SAT-3').role === 'leader' && c.node(other).leader === 'SAT-3', 3000), `seed ${seed}`).toBeDefined();
      expect(roles.get(other)!.slice(mark)).toEqual([]);
      expect(c.checker.violations).toEqual([]);
    }
  });
});
