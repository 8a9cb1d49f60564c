import { describe, expect, it } from 'vitest';
import { quorumSize, type ProposalReport } from '../../../../firmware-agent/swarm/consensus-types.js';
import type { SwarmMessageOf } from '../../../../firmware-agent/swarm/messages.js';
import { sat, Swarm, type SwarmOptions } from './sim.js';

const BATTERY = 'BATTERY_CRITICAL: constellation asked for enter_safe while soc_critical is active';

/** Five members, SAT-1 elected and known to everyone. */
function five(over: Partial<SwarmOptions> = {}): Swarm {
  const s = new Swarm({ n: 5, seed: 7, ...over });
  s.elect('SAT-1');
  s.run(500);
  return s;
}

function refusing(ids: string[], reason = BATTERY): SwarmOptions['behaviour'] {
  return (id) => (ids.includes(id) ? { refuse: () => `${reason} (${id})` } : {});
}

function outcome(s: Swarm, node: string, pid: string): ProposalReport {
  const r = s.node(node).consensus.report(pid);
  if (!r) throw new Error(`no outcome for ${pid} on ${node}`);
  return r;
}

function propose(s: Swarm, node = 'SAT-1', action = 'enter_safe'): string {
  const r = s.node(node).consensus.propose(action, {}, s.ids);
  if (!r.ok) throw new Error(r.reason);
  return r.pid;
}

describe('quorum', () => {
  it('is a majority of the known members including the leader, or ⌈2n/3⌉ when configured', () => {
    expect([1, 2, 3, 4, 5, 10].map((n) => quorumSize(n))).toEqual([1, 2, 2, 3, 3, 6]);
    expect([1, 2, 3, 4, 5, 10].map((n) => quorumSize(n, 'two_thirds'))).toEqual([1, 2, 2, 3, 4, 7]);
  });
});

describe('consensus: 5 members', () => {
  it('a proposal approved by a majority becomes a command every member applies', () => {
    const s = five({ behaviour: refusing(['SAT-4', 'SAT-5']) });
    const pid = propose(s);
    s.run(3000);
    const r = outcome(s, 'SAT-1', pid);
    expect(r.outcome).toBe('approved');
    expect(r.quorum).toBe(3);
    expect(r.approvals).toEqual(['SAT-1', 'SAT-2', 'SAT-3']);
    expect(r.cid).toBe(pid);
    for (const f of r.refusals) expect(f.reason).toContain('BATTERY_CRITICAL');
    for (const id of s.ids) expect(s.node(id).prop.commands().map((e) => e.cid)).toEqual([pid]);
    // Every proposal reports exactly one outcome.
    expect(s.outcomes.filter((o) => o.pid === pid)).toHaveLength(1);
  });

  it('is rejected when a majority of the members\' own arbitration refuses, with each reason', () => {
    const s = five({ behaviour: refusing(['SAT-3', 'SAT-4', 'SAT-5']) });
    const pid = propose(s);
    s.run(3000);
    const r = outcome(s, 'SAT-1', pid);
    expect(r.outcome).toBe('rejected');
    expect(r.refusals.map((f) => f.from)).toEqual(['SAT-3', 'SAT-4', 'SAT-5']);
    expect(r.refusals.map((f) => f.reason)).toEqual(['SAT-3', 'SAT-4', 'SAT-5'].map((id) => `${BATTERY} (${id})`));
    expect(r.reason).toMatch(/3 of 5 refused/);
    expect(r.cid).toBeUndefined();
    expect(s.raft.logs.get('SAT-1')).toEqual([]);
  });

  it('rejects as soon as a quorum of approvals is impossible, not at the timeout', () => {
    const s = five({ behaviour: refusing(['SAT-3', 'SAT-4', 'SAT-5']) });
    const pid = propose(s);
    s.run(3000);
    const r = outcome(s, 'SAT-1', pid);
    expect(r.decidedAt - r.proposedAt).toBeLessThan(300);
  });

  it('a timeout is a rejection: 2 members silent and 1 refusing leave 2 approvals < 3', () => {
    const s = five({ behaviour: refusing(['SAT-3']) });
    s.net.muted.add('SAT-4');
    s.net.muted.add('SAT-5');
    const pid = propose(s);
    s.run(1999);
    expect(s.node('SAT-1').consensus.openProposals()).toEqual([pid]);
    s.run(1);
    const r = outcome(s, 'SAT-1', pid);
    expect(r.outcome).toBe('timed_out');
    expect(r.decidedAt - r.proposedAt).toBe(2000);
    expect(r.approvals).toEqual(['SAT-1', 'SAT-2']);
    expect(r.refusals.map((f) => f.from)).toEqual(['SAT-3']);
    expect(r.silent).toEqual(['SAT-4', 'SAT-5']);
    expect(r.cid).toBeUndefined();
    s.run(5000);
    expect(s.raft.logs.get('SAT-1')).toEqual([]);
  });

  it('silence is never counted: with 2 silent, a majority still approves on real ballots, ⌈2n/3⌉ times out', () => {
    const maj = five();
    maj.net.muted.add('SAT-4');
    maj.net.muted.add('SAT-5');
    const p1 = propose(maj);
    maj.run(3000);
    expect(outcome(maj, 'SAT-1', p1)).toMatchObject({ outcome: 'approved', approvals: ['SAT-1', 'SAT-2', 'SAT-3'] });

    const twoThirds = five({ consensus: { quorum: 'two_thirds', ballotTimeoutMs: 1500 } });
    twoThirds.net.muted.add('SAT-4');
    twoThirds.net.muted.add('SAT-5');
    const p2 = propose(twoThirds);
    twoThirds.run(3000);
    const r = outcome(twoThirds, 'SAT-1', p2);
    expect(r).toMatchObject({ outcome: 'timed_out', quorum: 4, approvals: ['SAT-1', 'SAT-2', 'SAT-3'], silent: ['SAT-4', 'SAT-5'] });
    expect(r.decidedAt - r.proposedAt).toBe(1500);
  });

  it('ballots from non-members, duplicate ballots and approvals for another term do not count', () => {
    const s = five();
    for (const id of ['SAT-3', 'SAT-4', 'SAT-5']) s.net.muted.add(id);
    const pid = propose(s);
    s.run(400); // SAT-2's genuine approval is in
    const leader = s.node('SAT-1').consensus;
    const approve = (term = 1): SwarmMessageOf<'ballot'> => ({ t: 'ballot', term, pid, approve: true, reason: '' });
    leader.receive('SAT-9', approve());
    leader.receive('EVE', approve());
    leader.receive('SAT-2', approve());
    leader.receive('SAT-2', approve());
    leader.receive('SAT-1', approve());
    leader.receive('SAT-3', approve(0));
    s.run(2000);
    const r = outcome(s, 'SAT-1', pid);
    expect(r.outcome).toBe('timed_out');
    expect(r.approvals).toEqual(['SAT-1', 'SAT-2']);
    // The same vote again (a member answering a re-broadcast copy of the proposal) is counted
    // once and not reported as suspicious; foreign, stale-term ballots are.
    expect(r.ignored).toEqual([
      { from: 'SAT-9', reason: 'not a member' },
      { from: 'EVE', reason: 'not a member' },
      { from: 'SAT-3', reason: 'approval for term 0, proposal is term 1' },
    ]);
    expect(leader.stats.ballotsRepeated).toBeGreaterThanOrEqual(3);
  });

  it('a duplicate ballot cannot turn a refusal into an approval (first ballot per sender counts)', () => {
    const s = five({ behaviour: refusing(['SAT-3', 'SAT-4']) });
    s.net.muted.add('SAT-5');
    const pid = propose(s);
    s.run(400);
    s.node('SAT-1').consensus.receive('SAT-3', { t: 'ballot', term: 1, pid, approve: true, reason: '' });
    s.run(2000);
    const r = outcome(s, 'SAT-1', pid);
    expect(r.outcome).toBe('timed_out');
    expect(r.approvals).toEqual(['SAT-1', 'SAT-2']);
    expect(r.refusals.map((f) => f.from)).toEqual(['SAT-3', 'SAT-4']);
  });

  it('a proposal from the leader of an old term is refused by the members', () => {
    const s = five();
    // SAT-1 is cut off from replication; the others elect SAT-2 in term 2. SAT-1 still
    // believes it leads term 1 and proposes over the (separate) ISL message path.
    s.raft.isolated.add('SAT-1');
    s.elect('SAT-2');
    s.run(500);
    expect(s.node('SAT-1').log.isLeader).toBe(true);
    expect(s.node('SAT-3').log.term).toBe(2);
    const pid = propose(s, 'SAT-1');
    s.run(3000);
    const r = outcome(s, 'SAT-1', pid);
    expect(r.outcome).toBe('rejected');
    expect(r.approvals).toEqual(['SAT-1']);
    // Decided at the third refusal (a quorum of 3 became impossible); the fourth came later.
    expect(r.refusals.length).toBeGreaterThanOrEqual(3);
    for (const f of r.refusals) expect(f.reason).toBe('stale term: proposal is term 1, current term is 2');
    for (const id of ['SAT-2', 'SAT-3', 'SAT-4', 'SAT-5']) expect(s.node(id).consensus.stats.refusedStale).toBe(1);
    for (const id of s.ids) expect(s.node(id).prop.commands()).toEqual([]);
  });

  it('a member that saw a newer term in a proposal refuses an older one even before its log catches up', () => {
    const s = five();
    const m = s.node('SAT-3').consensus;
    const voted: SwarmMessageOf<'ballot'>[] = [];
    m.on('voted', (_to, b) => voted.push(b));
    const prop = (term: number, pid: string): SwarmMessageOf<'propose'> => ({ t: 'propose', term, pid, action: 'payload_off', params: { _targets: ['SAT-3'] }, deadlineMs: 2000 });
    m.receive('SAT-4', prop(3, 'SAT-4/3/1'));
    m.receive('SAT-1', prop(1, 'SAT-1/1/9'));
    expect(voted.map((b) => [b.pid, b.approve, b.reason])).toEqual([
      ['SAT-4/3/1', true, ''],
      ['SAT-1/1/9', false, 'stale term: proposal is term 1, current term is 3'],
    ]);
  });

  it('a proposal from someone who is not the leader of the current term is refused', () => {
    const s = five();
    const voted: SwarmMessageOf<'ballot'>[] = [];
    s.node('SAT-3').consensus.on('voted', (_to, b) => voted.push(b));
    s.node('SAT-3').consensus.receive('SAT-4', { t: 'propose', term: 1, pid: 'SAT-4/1/1', action: 'payload_off', params: {}, deadlineMs: 2000 });
    expect(voted[0]).toMatchObject({ approve: false, reason: 'SAT-4 is not the leader of term 1 (SAT-1 is)' });
  });

  it('a new leader does not inherit an open proposal: it is abandoned and reported; the new leader asks again', () => {
    const s = five();
    for (const id of ['SAT-3', 'SAT-4', 'SAT-5']) s.net.muted.add(id);
    const old = propose(s, 'SAT-1');
    s.run(400);
    s.elect('SAT-2'); // SAT-1 stays up and learns of term 2 from the heartbeats
    s.run(400);
    const r = outcome(s, 'SAT-1', old);
    expect(r.outcome).toBe('abandoned');
    expect(r.approvals).toEqual(['SAT-1', 'SAT-2']);
    expect(r.reason).toMatch(/approvals are not carried over/);
    expect(s.node('SAT-2').consensus.openProposals()).toEqual([]);
    for (const id of ['SAT-3', 'SAT-4', 'SAT-5']) s.net.muted.delete(id);
    const fresh = propose(s, 'SAT-2');
    s.run(3000);
    const r2 = outcome(s, 'SAT-2', fresh);
    expect(r2).toMatchObject({ outcome: 'approved', term: 2 });
    // Every approval of the new proposal is a fresh ballot for it.
    expect(r2.approvals).toContain('SAT-2');
    expect(r2.approvals.length).toBeGreaterThanOrEqual(3);
    // Only the new proposal became a command.
    expect(s.raft.committed().map((e) => e.cid)).toEqual([fresh]);
    expect(s.outcomes.filter((o) => o.pid === old).map((o) => o.outcome)).toEqual(['abandoned']);
  });

  it('a repeated propose gets the same ballot again without a second arbitration', () => {
    const s = five({ behaviour: refusing(['SAT-3']) });
    const m = s.node('SAT-3');
    const voted: SwarmMessageOf<'ballot'>[] = [];
    m.consensus.on('voted', (_to, b) => voted.push(b));
    const before = m.exec.arbitrations;
    const msg: SwarmMessageOf<'propose'> = { t: 'propose', term: 1, pid: 'SAT-1/1/77', action: 'enter_safe', params: { _targets: s.ids }, deadlineMs: 2000 };
    m.consensus.receive('SAT-1', msg);
    m.consensus.receive('SAT-1', msg);
    expect(m.exec.arbitrations - before).toBe(1);
    expect(voted).toHaveLength(2);
    expect(voted[0]).toEqual(voted[1]);
  });

  it('only the leader can propose; targets must be members', () => {
    const s = five();
    expect(s.node('SAT-2').consensus.propose('enter_safe', {}, s.ids)).toMatchObject({ ok: false, reason: expect.stringMatching(/not the leader/) });
    expect(s.node('SAT-1').consensus.propose('enter_safe', {}, ['SAT-1', 'SAT-77'])).toMatchObject({ ok: false, reason: expect.stringMatching(/SAT-77/) });
    expect(s.node('SAT-1').consensus.propose('enter_safe', {}, [])).toMatchObject({ ok: false });
  });

  it('a lossy ISL does not change the rules: approvals still come only from real ballots', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const s = five({ seed, loss: 0.2, behaviour: refusing(['SAT-4', 'SAT-5']) });
      const pid = propose(s);
      s.run(3000);
      const r = outcome(s, 'SAT-1', pid);
      expect(['approved', 'timed_out']).toContain(r.outcome);
      expect(r.approvals.every((a) => ['SAT-1', 'SAT-2', 'SAT-3'].includes(a))).toBe(true);
      if (r.outcome === 'approved') expect(r.approvals).toHaveLength(3);
    }
    expect(sat(3)).toBe('SAT-3');
  });
});
