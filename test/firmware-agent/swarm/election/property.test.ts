import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeCluster } from './cluster.js';
import { CPU_BOUND_TEST_MS } from '../wall-time.js';

/**
 * Raft's safety properties over randomised runs: 3–7 nodes, 0–30 % loss, varied latency,
 * partitions, crashes and restarts, health drops, demotions, and proposals all along. Checked
 * as the run goes (cluster.ts `Checker`):
 * - election safety: never two leaders in one term (at every role/term/leader change on any
 *   node, using each node's persisted term);
 * - state machine safety: an index commits to one entry only, ever, on every node and every
 *   lifetime (so a committed entry is never lost or replaced after a failover);
 * - leader completeness: a new leader holds every entry committed so far;
 * - log matching: committed prefixes are identical on all nodes;
 * - `onCommit` delivers each index at most once per lifetime, in increasing order.
 * And at the end, with the network healed: one leader, every node holding every committed entry.
 */
type Op =
  /** Crash a node (the leader, when `leader`), restart it `back` ms later (never, if null). */
  | { k: 'crash'; i: number; leader: boolean; back: number | null }
  | { k: 'restart'; i: number }
  /** Cut the constellation in two (the leader with a minority, when `leader`), heal after `heal` ms. */
  | { k: 'partition'; mask: number; leader: boolean; heal: number | null }
  | { k: 'heal' }
  | { k: 'health'; i: number; h: number }
  | { k: 'demote'; i: number }
  | { k: 'promote'; i: number };

const later = fc.option(fc.integer({ min: 0, max: 1200 }), { freq: 4 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('crash' as const), i: fc.nat(6), leader: fc.boolean(), back: later }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('restart' as const), i: fc.nat(6) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('partition' as const), mask: fc.nat(127), leader: fc.boolean(), heal: later }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('heal' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('health' as const), i: fc.nat(6), h: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('demote' as const), i: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('promote' as const), i: fc.nat(6) }) },
);

const RUNS = Number(process.env.RAFT_PROPERTY_RUNS ?? 1000);
/** Virtual time with faults (then: heal, restart, no loss, and wait for convergence). */
const CHAOS_MS = 2000;
const SETTLE_MS = 4000;

const scenario = fc.record({
  n: fc.integer({ min: 3, max: 7 }),
  seed: fc.integer(),
  loss: fc.double({ min: 0, max: 0.3, noNaN: true }),
  latLo: fc.integer({ min: 5, max: 80 }),
  latSpread: fc.integer({ min: 0, max: 70 }),
  twoThirds: fc.boolean(),
  proposeEveryMs: fc.integer({ min: 60, max: 400 }),
  events: fc.array(fc.record({ at: fc.integer({ min: 0, max: CHAOS_MS }), op }), { minLength: 1, maxLength: 10 }),
});

describe('Raft safety under chaos (property)', () => {
  it(`holds over ${RUNS} randomised runs`, () => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const totals = { runs: 0, elections: 0, commits: 0, applied: 0, messages: 0, crashes: 0, partitions: 0 };
    fc.assert(
      fc.property(scenario, (s) => {
        const c = makeCluster({
          n: s.n,
          seed: s.seed,
          loss: s.loss,
          latencyMs: [s.latLo, s.latLo + s.latSpread],
          config: { quorum: s.twoThirds ? 'two_thirds' : 'majority' },
          recordCommits: false,
          clone: false,
        });
        const clock = c.net.clock;
        const at = (i: number): string => c.ids[i % s.n]!;
        for (const { at: t, op: o } of s.events) {
          clock.setTimer(t, () => {
            switch (o.k) {
              case 'crash': {
                const id = o.leader ? c.leaders()[0]?.self : at(o.i);
                if (id === undefined || !c.net.isUp(id)) return;
                totals.crashes++;
                c.net.crash(id);
                if (o.back !== null) clock.setTimer(o.back, () => void (c.net.isUp(id) || c.net.restart(id)));
                return;
              }
              case 'restart':
                if (!c.net.isUp(at(o.i))) c.net.restart(at(o.i));
                return;
              case 'partition': {
                let a = c.ids.filter((_, i) => (o.mask >> i) & 1);
                const l = c.leaders()[0];
                if (o.leader && l) a = [l.self, ...a.filter((id) => id !== l.self)].slice(0, Math.max(1, Math.ceil(s.n / 2) - 1));
                totals.partitions++;
                c.net.partition(a, c.ids.filter((id) => !a.includes(id)));
                if (o.heal !== null) clock.setTimer(o.heal, () => c.net.heal());
                return;
              }
              case 'heal':
                return c.net.heal();
              case 'health':
                c.health.set(at(o.i), o.h);
                if (c.net.isUp(at(o.i))) c.node(at(o.i)).healthChanged();
                return;
              case 'demote':
                if (c.net.isUp(at(o.i))) c.node(at(o.i)).demote();
                return;
              case 'promote':
                if (c.net.isUp(at(o.i))) c.node(at(o.i)).promote();
                return;
            }
          });
        }
        // Proposals all along, on whoever leads (lease or not: some will be lost, uncommitted).
        let k = 0;
        const tick = (): void => {
          if (clock.now() >= CHAOS_MS) return;
          for (const e of c.leaders()) e.propose({ cid: `c${k++}`, action: 'test.act', params: {}, deadlineMs: 30_000, proposedAt: Math.floor(clock.now()), targets: [] });
          clock.setTimer(s.proposeEveryMs, tick);
        };
        clock.setTimer(s.proposeEveryMs, tick);
        c.net.start();
        c.net.run(CHAOS_MS);

        // Calm: heal, restart, restore health and roles, no loss; then everything must converge.
        c.net.heal();
        c.net.loss = 0;
        for (const id of c.ids) {
          c.health.set(id, 1);
          if (!c.net.isUp(id)) c.net.restart(id);
          c.node(id).promote();
          c.node(id).healthChanged();
        }
        const converged = c.net.runUntil(() => {
          const l = c.agreedLeader();
          if (l === null) return false;
          const leader = c.node(l);
          return leader.commitIndex === leader.log.length && c.ids.every((id) => c.node(id).commitIndex === leader.commitIndex);
        }, SETTLE_MS);
        c.checker.checkPrefixes();
        const leader = c.agreedLeader();
        const finalLog = leader ? c.node(leader).log : [];
        for (const [i, e] of c.checker.ledger) {
          const f = finalLog[i - 1];
          if (!f || f.cid !== e.cid || f.term !== e.term) c.checker.fail(`committed entry ${i} (${e.cid}@${e.term}) missing from the final log`);
        }
        totals.runs++;
        totals.elections += c.checker.elections;
        totals.commits += c.checker.ledger.size;
        totals.applied += c.checker.applied;
        totals.messages += c.net.stats.sent;
        for (const id of c.ids) c.node(id).stop();
        if (c.checker.violations.length > 0) throw new Error(`safety: ${c.checker.violations.join('; ')}`);
        if (converged === undefined) throw new Error(`liveness: no convergence within ${SETTLE_MS} ms after healing (leaders: ${c.leaders().map((e) => `${e.self}@${e.term}`).join(', ') || 'none'})`);
      }),
      { numRuns: RUNS },
    );
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    console.info(
      `property: ${totals.runs} runs in ${ms.toFixed(0)} ms (cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms) — ${totals.elections} elections, ${totals.commits} committed indices, ` +
        `${totals.applied} onCommit deliveries, ${totals.crashes} crashes, ${totals.partitions} partitions, ${totals.messages} messages`,
    );
    expect(totals.runs).toBeGreaterThanOrEqual(RUNS);
  }, CPU_BOUND_TEST_MS);
});
