import { describe, expect, it } from 'vitest';
import type { ExecStatus } from '../../../../firmware-agent/swarm/consensus-types.js';
import { toReport } from '../../../../firmware-agent/swarm/propagation-types.js';
import { Swarm, type SwarmOptions } from './sim.js';

/** Ten members, SAT-1 elected; enter_safe takes 3 steps of 250–350 ms each. */
function ten(over: Partial<SwarmOptions> = {}): Swarm {
  const s = new Swarm({
    n: 10, seed: 1, loss: 0.05,
    behaviour: (_id, random) => ({ durationMs: (a) => (a === 'enter_safe' ? 3 : 1) * (250 + 100 * random()) }),
    ...over,
  });
  s.elect('SAT-1');
  s.run(1000);
  return s;
}

function propose(s: Swarm, action: string, targets = s.ids, node = s.leader!.id): string {
  const r = s.node(node).consensus.propose(action, {}, targets);
  if (!r.ok) throw new Error(r.reason);
  return r.pid;
}

/** Tracked compliance equals the recount from the report list, on every node, for every command. */
function expectRecountsMatch(s: Swarm): void {
  for (const n of s.nodes.values()) {
    for (const e of n.prop.commands()) expect(n.prop.compliance(e.cid), `${n.id} ${e.cid}`).toEqual(n.prop.recount(e.cid));
  }
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

describe('propagation: 10 members at 5 % loss', () => {
  it('an approved command reaches ≥ 99 % compliance within 3 s (seeded runs; figures measured)', () => {
    const t90: number[] = [];
    const t100: number[] = [];
    const fromProposal: number[] = [];
    const commitLag: number[] = [];
    for (let seed = 1; seed <= 50; seed++) {
      const s = ten({ seed });
      const leader = s.node('SAT-1');
      let cid = '';
      let reached90: number | undefined;
      let reached100: number | undefined;
      leader.prop.on('report', (r) => {
        const f = leader.prop.compliance(r.cid);
        if (!f || r.cid !== cid) return;
        if (reached90 === undefined && f.ratio >= 0.9) reached90 = s.clock.now();
        if (reached100 === undefined && f.ratio >= 0.99) reached100 = s.clock.now();
      });
      const proposedAt = s.clock.now();
      cid = propose(s, 'enter_safe');
      s.run(6000);
      const o = leader.consensus.report(cid)!;
      expect(o.outcome, `seed ${seed}`).toBe('approved');
      expect(reached100, `seed ${seed}`).toBeDefined();
      t90.push(reached90! - o.decidedAt);
      t100.push(reached100! - o.decidedAt);
      fromProposal.push(reached100! - proposedAt);
      commitLag.push(s.raft.committedAt.get(cid)! - o.decidedAt);
      expect(reached100! - o.decidedAt, `seed ${seed}`).toBeLessThanOrEqual(3000);
      expect(leader.prop.compliance(cid)).toMatchObject({ targets: 10, completed: 10, ratio: 1 });
      expectRecountsMatch(s);
      expect(s.doubleRuns()).toEqual([]);
    }
    const fmt = (xs: number[]): string => `median ${quantile(xs, 0.5).toFixed(0)} ms, p95 ${quantile(xs, 0.95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;
    console.info(
      `[swarm/propagation] 10 members, 5 % loss, 50 seeds, enter_safe (3 steps, 0.75–1.05 s):\n` +
        `  approval → commit at leader: ${fmt(commitLag)}\n  approval → 90 %: ${fmt(t90)}\n  approval → 100 %: ${fmt(t100)}\n  proposal → 100 %: ${fmt(fromProposal)}`,
    );
    expect(Math.max(...t100)).toBeLessThanOrEqual(3000);
  });

  it('the report list is the audit trail: every report (cid, from, outcome, time), and the recount equals the tracked figure', () => {
    const s = ten({ seed: 3, behaviour: (id) => (id === 'SAT-7' ? { refuse: (a) => (a === 'payload_off' ? 'THERMAL_CRITICAL: obc_hot' : null) } : {}) });
    const cid = propose(s, 'payload_off');
    s.run(5000);
    const leader = s.node('SAT-1').prop;
    const reports = leader.reports(cid);
    expect(new Set(reports.map((r) => r.from)).size).toBe(10);
    for (const r of reports) {
      expect(r).toMatchObject({ cid, outcome: expect.stringMatching(/completed|failed/), term: 1 });
      expect(typeof r.at).toBe('number');
    }
    expect(reports.find((r) => r.from === 'SAT-7')).toMatchObject({ outcome: 'failed', reason: 'refused by local safety: THERMAL_CRITICAL: obc_hot' });
    expect(leader.compliance(cid)).toEqual({ cid, targets: 10, completed: 9, partial: 0, failed: 1, missing: 0, ratio: 0.9 });
    expect(leader.recount(cid)).toEqual(leader.compliance(cid));
    expectRecountsMatch(s);
  });

  it('at the deadline, compliance ≥ 90 % escalates nobody; the verdict is committed to the log', () => {
    const s = ten({ seed: 4, consensus: { commandDeadlineMs: 5000 }, behaviour: (id) => (id === 'SAT-7' ? { refuse: () => 'THERMAL_CRITICAL: obc_hot' } : {}) });
    const cid = propose(s, 'payload_off');
    s.run(7000);
    expect(s.verdicts.map((v) => [v.cid, v.figure.ratio, v.escalated])).toEqual([[cid, 0.9, []]]);
    expect(s.escalations).toEqual([]);
    for (const n of s.nodes.values()) expect(n.prop.verdict(cid)?.params).toMatchObject({ subject: cid, ratio: 0.9, escalated: [] });
  });

  it('below 90 % at the deadline the non-compliant are escalated with reasons; 3 escalations → demoted to standby', () => {
    const s = ten({
      seed: 5,
      consensus: { commandDeadlineMs: 5000 },
      behaviour: (id) => (id === 'SAT-9' ? { refuse: (a) => (a === 'payload_off' ? 'BATTERY_CRITICAL: soc_critical' : null) } : {}),
    });
    s.kill('SAT-10');
    const cids: string[] = [];
    for (let k = 0; k < 3; k++) {
      cids.push(propose(s, 'payload_off'));
      s.run(6000);
    }
    s.run(4000);
    const payload = s.escalations.filter((e) => cids.includes(e.cid));
    expect(payload.map((e) => e.cid)).toEqual(cids);
    for (const e of payload) {
      expect(e.node).toBe('SAT-1');
      expect(e.ratio).toBe(0.8);
      expect(e.members).toEqual([
        { id: 'SAT-10', reason: 'no report received' },
        { id: 'SAT-9', reason: 'failed: refused by local safety: BATTERY_CRITICAL: soc_critical' },
      ]);
    }
    // The third committed verdict made both repeat offenders subject to a demotion proposal,
    // voted like any constellation action; both were approved (SAT-10 silent).
    const demotions = s.outcomes.filter((o) => o.action === 'demote').sort((a, b) => String(a.params['member']).localeCompare(String(b.params['member'])));
    expect(demotions.map((o) => [o.params['member'], o.outcome, o.targets])).toEqual([
      ['SAT-10', 'approved', ['SAT-10']],
      ['SAT-9', 'approved', ['SAT-9']],
    ]);
    expect(demotions[0]!.approvals).not.toContain('SAT-10');
    expect(demotions[0]!.silent).toContain('SAT-10');
    // Every live node folded the same book from the log.
    for (const n of s.nodes.values()) {
      if (s.isDead(n.id)) continue;
      expect(n.prop.book.count('SAT-9'), n.id).toBe(3);
      expect(n.prop.book.count('SAT-10'), n.id).toBeGreaterThanOrEqual(3);
      expect(n.prop.book.demoted(), n.id).toEqual(['SAT-10', 'SAT-9']);
    }
    // SAT-9 executed its own demotion; SAT-10 does when it comes back (role changes do not expire).
    expect(s.node('SAT-9').exec.started.filter((x) => x.action === 'demote').map((x) => x.params)).toEqual([{ member: 'SAT-9', role: 'standby' }]);
    s.reboot('SAT-10');
    s.run(3000);
    const ten10 = s.node('SAT-10');
    expect(ten10.exec.started.map((x) => x.action)).toEqual(['demote']);
    for (const cid of cids) expect(ten10.prop.ownOutcome(cid)).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/^expired/) });
    // A further escalation does not propose a second demotion.
    propose(s, 'payload_off');
    s.run(8000);
    expect(s.outcomes.filter((o) => o.action === 'demote')).toHaveLength(2);
    expectRecountsMatch(s);
    expect(s.doubleRuns()).toEqual([]);
  });

  it('partial = a multi-step action only partly verified; it does not count as compliant', () => {
    const results: Record<string, ExecStatus> = {
      'SAT-2': { state: 'failed', reason: 'read-back obc.cpu = 1, expected 0.5', verifiedSteps: 2, steps: 3 },
      'SAT-3': { state: 'failed', reason: 'payload set refused: E_RANGE', verifiedSteps: 0, steps: 3 },
      'SAT-4': { state: 'timed_out', reason: 'adcs stuck', verifiedSteps: 1, steps: 3 },
    };
    const s = ten({ seed: 6, loss: 0, consensus: { commandDeadlineMs: 5000 }, behaviour: (id) => ({ result: () => results[id] ?? { state: 'done' } }) });
    const cid = propose(s, 'enter_safe');
    s.run(7000);
    const latest = s.node('SAT-1').prop.ledger.latest(cid);
    expect(latest.get('SAT-2')).toMatchObject({ outcome: 'partial', reason: '2/3 steps verified: read-back obc.cpu = 1, expected 0.5' });
    expect(latest.get('SAT-3')).toMatchObject({ outcome: 'failed', reason: 'payload set refused: E_RANGE' });
    expect(latest.get('SAT-4')).toMatchObject({ outcome: 'partial', reason: '1/3 steps verified: timed out: adcs stuck' });
    expect(s.node('SAT-1').prop.compliance(cid)).toMatchObject({ completed: 7, partial: 2, failed: 1, ratio: 0.7 });
    expect(s.escalations[0]!.members.map((m) => m.id)).toEqual(['SAT-2', 'SAT-3', 'SAT-4']);
    expect(toReport({ state: 'running' })).toBeUndefined();
    expect(toReport({ state: 'done' })).toEqual({ outcome: 'completed', reason: '' });
  });

  it('runs once per command id: duplicate commit deliveries and a replay after a reboot do not re-execute', () => {
    const s = ten({ seed: 8, dupCommit: 1 });
    const cid = propose(s, 'enter_safe');
    s.run(4000);
    for (const n of s.nodes.values()) expect(n.exec.runs.get(cid), n.id).toBe(1);
    const before = s.node('SAT-1').prop.reports(cid).filter((r) => r.from === 'SAT-3').length;
    s.reboot('SAT-3');
    s.run(3000);
    expect(s.node('SAT-3').exec.runs.get(cid)).toBe(1);
    expect(s.node('SAT-3').prop.ownOutcome(cid)).toEqual({ outcome: 'completed', reason: '' });
    // The rebooted member told the leader again; compliance is unchanged.
    expect(s.node('SAT-1').prop.reports(cid).filter((r) => r.from === 'SAT-3').length).toBeGreaterThan(before);
    expect(s.node('SAT-1').prop.compliance(cid)?.ratio).toBe(1);
    expectRecountsMatch(s);
  });

  it('a satellite that was down past the deadline does not run a stale command; it reports it expired', () => {
    const s = ten({ seed: 9, consensus: { commandDeadlineMs: 5000 } });
    s.kill('SAT-4');
    const cid = propose(s, 'payload_off');
    s.run(8000);
    s.reboot('SAT-4');
    s.run(3000);
    expect(s.node('SAT-4').exec.runs.get(cid)).toBeUndefined();
    expect(s.node('SAT-1').prop.ledger.latest(cid).get('SAT-4')).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/^expired: applied at \d+ ms, after the deadline \d+ ms$/) });
  });

  it('an executor busy with another action is retried until it accepts; it still runs once', () => {
    const s = ten({ seed: 10, loss: 0, behaviour: (id) => (id === 'SAT-5' ? { busyTimes: 3 } : {}) });
    const cid = propose(s, 'payload_off');
    s.run(4000);
    expect(s.node('SAT-5').exec.runs.get(cid)).toBe(1);
    expect(s.node('SAT-1').prop.compliance(cid)?.ratio).toBe(1);
  });

  it('without delivery reports wired, reports are re-sent on a timer and compliance is still complete', () => {
    const s = ten({ seed: 11, deliveryReports: false });
    const cid = propose(s, 'enter_safe');
    s.run(5000);
    expect(s.node('SAT-1').prop.compliance(cid)?.ratio).toBe(1);
    expectRecountsMatch(s);
  });

  it('memory is bounded: only the newest historyLimit commands (and their reports) are kept', () => {
    const s = ten({ seed: 13, loss: 0, propagation: { historyLimit: 2 } });
    const cids: string[] = [];
    for (let k = 0; k < 4; k++) {
      cids.push(propose(s, 'payload_off'));
      s.run(2000);
    }
    const leader = s.node('SAT-1').prop;
    expect(leader.commands().map((e) => e.cid)).toEqual(cids.slice(2));
    expect(new Set(leader.reports().map((r) => r.cid))).toEqual(new Set(cids.slice(2)));
    for (const n of s.nodes.values()) for (const cid of cids) expect(n.exec.runs.get(cid), n.id).toBe(1);
  });

  it('targets only: a command for 3 members is executed by them and judged over 3', () => {
    const s = ten({ seed: 12 });
    const targets = ['SAT-2', 'SAT-5', 'SAT-8'];
    const cid = propose(s, 'payload_off', targets);
    s.run(4000);
    for (const n of s.nodes.values()) expect(n.exec.runs.get(cid) ?? 0, n.id).toBe(targets.includes(n.id) ? 1 : 0);
    expect(s.node('SAT-1').prop.compliance(cid)).toMatchObject({ targets: 3, completed: 3, ratio: 1 });
  });
});
