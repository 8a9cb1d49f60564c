import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deadlineAt, VERDICT_ACTION } from '../../../../firmware-agent/swarm/propagation-types.js';
import { Swarm } from './sim.js';
import { CPU_BOUND_TEST_MS } from '../wall-time.js';

const END = 27_000;

type Ev = { at: number; kind: 'propose' | 'failover' | 'depose' | 'reboot' | 'kill'; who: number; pick: number };

const scenario = fc.record({
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  n: fc.integer({ min: 3, max: 7 }),
  loss: fc.double({ min: 0, max: 0.3, noNaN: true }),
  latMax: fc.integer({ min: 5, max: 150 }),
  dupCommit: fc.constantFrom(0, 0.3),
  deadlineMs: fc.constantFrom(3000, 10_000),
  events: fc.array(
    fc.record({
      at: fc.integer({ min: 0, max: 6000 }),
      kind: fc.constantFrom<Ev['kind']>('propose', 'propose', 'propose', 'failover', 'depose', 'reboot', 'kill'),
      who: fc.nat({ max: 1000 }),
      pick: fc.nat({ max: 0xffff }),
    }),
    { maxLength: 14 },
  ),
});

/**
 * Random loss, latency, commit re-deliveries, leader deaths and depositions, member kills and
 * reboots, proposals at random times to random targets; then everyone comes back under one
 * stable leader. Checked: no satellite ran a command twice; nothing ran that the log did not
 * commit; the tracked compliance equals the recount on every node; the final leader holds a
 * report from every target of every committed command, and `completed` ⇔ ran once; every
 * command gets a committed verdict, and every node folds the same escalation book.
 */
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function runScenario(p: Scenario): void {
  const s = new Swarm({
    n: p.n, seed: p.seed, loss: p.loss, latency: [1, p.latMax], dupCommit: p.dupCommit,
    consensus: { commandDeadlineMs: p.deadlineMs },
    behaviour: (_id, random) => {
      const refuses = random() < 0.15 ? 'payload_off' : '';
      return { refuse: (a) => (a === refuses ? 'THERMAL_CRITICAL: obc_hot' : null), durationMs: () => 50 + 1450 * random() };
    },
  });
  const qualified = (): string[] => s.ids.filter((id) => s.raft.qualified(id));
  s.elect('SAT-1');
  for (const ev of [...p.events].sort((a, b) => a.at - b.at)) {
    s.runUntil(Math.max(s.clock.now(), ev.at));
    const leader = s.raft.leader;
    const who = s.ids[ev.who % p.n]!;
    switch (ev.kind) {
      case 'propose': {
        if (leader === null) break;
        const targets = s.ids.filter((_, i) => (ev.pick >> i) & 1);
        s.node(leader).consensus.propose(ev.pick & 0x100 ? 'payload_off' : 'enter_safe', {}, targets.length ? targets : [who]);
        break;
      }
      case 'failover': {
        if (leader === null) break;
        s.kill(leader);
        s.clock.setTimer(150 + (ev.pick % 500), () => {
          const q = qualified();
          if (s.raft.leader === null && q.length > 0) s.elect(q[ev.pick % q.length]!);
        });
        break;
      }
      case 'depose': {
        const q = qualified().filter((id) => id !== leader);
        if (q.length > 0) s.elect(q[ev.pick % q.length]!);
        break;
      }
      case 'reboot':
        s.reboot(who);
        break;
      case 'kill':
        if (who !== leader && !s.isDead(who)) s.kill(who);
        break;
    }
  }
  s.runUntil(7000);
  for (const id of s.ids) if (s.isDead(id)) s.reboot(id);
  if (s.raft.leader === null) s.elect(qualified()[0]!);
  s.runUntil(END);

  STATS.runs++;
  STATS.terms += s.raft.term;
  STATS.committed += s.raft.committed().filter((e) => e.action !== VERDICT_ACTION).length;
  STATS.proposals += s.outcomes.length;
  for (const o of s.outcomes) STATS.outcomes[o.outcome] = (STATS.outcomes[o.outcome] ?? 0) + 1;
  for (const n of s.nodes.values()) for (const r of n.exec.runs.values()) STATS.executions += r;
  for (const n of s.nodes.values()) STATS.expired += n.prop.stats.expired;
  STATS.reboots += [...s.nodes.values()].reduce((a, n) => a + n.boots, 0);
  // No satellite ran anything twice, and nothing ran that was not committed.
  expect(s.doubleRuns()).toEqual([]);
  const committed = s.raft.committed().filter((e) => e.action !== VERDICT_ACTION);
  const committedCids = new Set(committed.map((e) => e.cid));
  for (const n of s.nodes.values()) for (const cid of n.exec.runs.keys()) expect(committedCids.has(cid), `${n.id} ran uncommitted ${cid}`).toBe(true);
  // Tracked compliance = recount, everywhere.
  for (const n of s.nodes.values()) for (const e of n.prop.commands()) expect(n.prop.compliance(e.cid)).toEqual(n.prop.recount(e.cid));
  // The final leader heard from every target of every committed command.
  const L = s.leader!;
  for (const e of committed) {
    const fig = L.prop.compliance(e.cid);
    expect(fig, e.cid).toBeDefined();
    expect(fig!.missing, `${e.cid} missing at ${L.id}`).toBe(0);
    for (const t of e.targets) {
      const last = L.prop.ledger.latest(e.cid).get(t)!;
      const runs = s.node(t).exec.runs.get(e.cid) ?? 0;
      expect(last.outcome === 'completed', `${e.cid} ${t}: ${last.outcome} ${last.reason}, runs ${runs}`).toBe(runs === 1);
    }
    // Every command whose deadline has passed (with a second for the verdict to commit) was
    // judged, and the verdict is in the log.
    if (deadlineAt(e) + 1000 < END) expect(L.prop.verdict(e.cid), `verdict for ${e.cid}`).toBeDefined();
  }
  // Escalation counts are folded from the log: the same book on every node.
  for (const n of s.nodes.values()) {
    expect(n.prop.book.counts(), n.id).toEqual(L.prop.book.counts());
    expect(n.prop.book.demoted(), n.id).toEqual(L.prop.book.demoted());
  }
}

const STATS = { runs: 0, terms: 0, committed: 0, proposals: 0, executions: 0, expired: 0, reboots: 0, outcomes: {} as Record<string, number> };

describe('property: random loss, latency and leader changes', () => {
  it('no command runs twice on a satellite; compliance equals the recount; the final leader hears every target', () => {
    fc.assert(fc.property(scenario, (p) => runScenario(p)), { numRuns: Number(process.env['SWARM_PROP_RUNS'] ?? 1000), ...(process.env['SWARM_PROP_SEED'] ? { seed: Number(process.env['SWARM_PROP_SEED']) } : {}) });
    console.info(`[swarm/property] ${JSON.stringify(STATS)}`);
  }, CPU_BOUND_TEST_MS);
});
