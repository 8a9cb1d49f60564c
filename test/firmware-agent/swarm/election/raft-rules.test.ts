/**
 * Raft's rules on one node, driven message by message (no network): votes and their
 * persistence, the AppendEntries receiver rules, the leader's commit rule (§5.4.2, Figure 8),
 * nextIndex back-off, restart. Plain Raft: `pre_vote` is off here unless a test turns it on
 * (pre-vote.test.ts covers PreVote; flow-control.test.ts the leader's replication pacing).
 */
import { describe, expect, it } from 'vitest';
import { Election } from '../../../../firmware-agent/swarm/election.js';
import { ELECTION_DEFAULTS, NOOP_ACTION, type ElectionConfig } from '../../../../firmware-agent/swarm/election-config.js';
import { MemorySwarmStore } from '../../../../firmware-agent/swarm/memory-store.js';
import type { LogEntry, SwarmMessage, SwarmMessageOf } from '../../../../firmware-agent/swarm/messages.js';
import type { NodeId } from '../../../../firmware-agent/swarm/types.js';
import { VirtualClock } from '../../../../hal/time/virtual-clock.js';

const FIVE = ['A', 'B', 'C', 'D', 'E'];

function le(index: number, term: number, cid = `e${index}`): LogEntry {
  return { index, term, cid, action: 'test.act', params: {}, deadlineMs: 30_000, proposedAt: 0, targets: [] };
}

interface Sent {
  to: NodeId;
  msg: SwarmMessage;
  /** What the store held when the message left. */
  stored: { term: number; votedFor: NodeId | null; logLength: number };
}

function node(opts: { self?: NodeId; members?: NodeId[]; store?: MemorySwarmStore; config?: Partial<ElectionConfig>; health?: () => number; clock?: VirtualClock } = {}) {
  const clock = opts.clock ?? new VirtualClock(0);
  const store = opts.store ?? new MemorySwarmStore();
  const sent: Sent[] = [];
  const applied: LogEntry[] = [];
  const commits: number[] = [];
  const make = (): Election => {
    const e = new Election({
      self: opts.self ?? 'A',
      members: opts.members ?? FIVE,
      outbox: {
        send: (to, msg) => {
          sent.push({ to, msg, stored: { term: store.persistedTerm, votedFor: store.persistedVote, logLength: store.logLength } });
          return sent.length;
        },
      },
      store,
      clock,
      random: () => 0.5,
      health: opts.health,
      config: { pre_vote: false, ...opts.config },
      onCommit: (x) => applied.push(x),
    });
    e.on('commit', (i) => commits.push(i));
    return e;
  };
  const e = make();
  e.start();
  const take = <K extends SwarmMessage['t']>(t: K, to?: NodeId): (Sent & { msg: SwarmMessageOf<K> })[] => {
    const out = sent.filter((s) => s.msg.t === t && (to === undefined || s.to === to)) as (Sent & { msg: SwarmMessageOf<K> })[];
    return out;
  };
  return { e, clock, store, sent, applied, commits, take, make, clear: () => void (sent.length = 0) };
}

/** Make `n.e` the leader of the next term with votes from `voters`. */
function elect(n: ReturnType<typeof node>, voters: NodeId[]): void {
  n.clock.advance(ELECTION_DEFAULTS.election_timeout_max_ms + 1);
  expect(n.e.role).toBe('candidate');
  for (const v of voters) n.e.onMessage(v, { t: 'vote', term: n.e.term, granted: true });
  expect(n.e.role).toBe('leader');
}

describe('RequestVote (receiver)', () => {
  it('grants one vote per term, persisted before the answer leaves', () => {
    const n = node();
    n.e.onMessage('B', { t: 'vote_req', term: 1, lastLogIndex: 0, lastLogTerm: 0 });
    n.e.onMessage('C', { t: 'vote_req', term: 1, lastLogIndex: 0, lastLogTerm: 0 });
    n.e.onMessage('B', { t: 'vote_req', term: 1, lastLogIndex: 0, lastLogTerm: 0 }); // a retry: same answer
    const votes = n.take('vote');
    expect(votes.map((v) => [v.to, v.msg.granted])).toEqual([
      ['B', true],
      ['C', false],
      ['B', true],
    ]);
    expect(votes[0]!.stored).toMatchObject({ term: 1, votedFor: 'B' });
    expect(n.e.votedFor).toBe('B');
  });

  it('refuses a candidate whose log is less up to date (last term, then last index)', () => {
    const store = new MemorySwarmStore({ initial: { term: 3, log: [le(1, 1), le(2, 3)] } });
    const n = node({ store });
    n.e.onMessage('B', { t: 'vote_req', term: 4, lastLogIndex: 9, lastLogTerm: 2 }); // older last term
    n.e.onMessage('C', { t: 'vote_req', term: 5, lastLogIndex: 1, lastLogTerm: 3 }); // same term, shorter
    n.e.onMessage('D', { t: 'vote_req', term: 6, lastLogIndex: 2, lastLogTerm: 3 }); // as up to date: yes
    expect(n.take('vote').map((v) => [v.to, v.msg.term, v.msg.granted])).toEqual([
      ['B', 4, false],
      ['C', 5, false],
      ['D', 6, true],
    ]);
    // Every higher term was adopted (and persisted) even where the vote was refused.
    expect(n.store.persistedTerm).toBe(6);
  });

  it('refuses a stale term, answering with its own', () => {
    const n = node({ store: new MemorySwarmStore({ initial: { term: 7, votedFor: null } }) });
    n.e.onMessage('B', { t: 'vote_req', term: 6, lastLogIndex: 0, lastLogTerm: 0 });
    expect(n.take('vote')[0]!.msg).toEqual({ t: 'vote', term: 7, granted: false });
  });

  it('a restarted node keeps its term and vote: it does not vote twice in the same term', () => {
    const n = node();
    n.e.onMessage('B', { t: 'vote_req', term: 5, lastLogIndex: 0, lastLogTerm: 0 });
    n.e.stop(); // crash
    const again = n.make();
    again.start();
    expect(again.term).toBe(5);
    expect(again.votedFor).toBe('B');
    again.onMessage('C', { t: 'vote_req', term: 5, lastLogIndex: 0, lastLogTerm: 0 });
    again.onMessage('B', { t: 'vote_req', term: 5, lastLogIndex: 0, lastLogTerm: 0 });
    expect(n.take('vote').map((v) => [v.to, v.msg.granted])).toEqual([
      ['B', true],
      ['C', false],
      ['B', true],
    ]);
    // The store refuses a second vote in a term outright (strict mode), as a second line.
    expect(() => n.store.saveVote(5, 'C')).toThrow(/second vote/);
  });

  it('a candidacy is persisted (term + 1, vote for self) before any vote_req leaves', () => {
    const n = node({ store: new MemorySwarmStore({ initial: { term: 2 } }) });
    n.clock.advance(ELECTION_DEFAULTS.election_timeout_max_ms + 1);
    expect(n.e.role).toBe('candidate');
    const reqs = n.take('vote_req');
    expect(reqs.map((r) => r.to)).toEqual(['*']); // one broadcast: the same request for all
    for (const r of reqs) {
      expect(r.msg.term).toBe(3);
      expect(r.stored).toMatchObject({ term: 3, votedFor: 'A' });
    }
  });

  it('a candidate that times out stands again in the next term', () => {
    const n = node();
    n.clock.advance(ELECTION_DEFAULTS.election_timeout_max_ms + 1);
    expect(n.e.term).toBe(1);
    n.clock.advance(ELECTION_DEFAULTS.election_timeout_max_ms + 1);
    expect(n.e.term).toBe(2);
    expect(n.e.role).toBe('candidate');
    expect(n.e.stats.candidacies).toBe(2);
  });

  it('any message of a higher term turns a leader into a follower of that term', () => {
    const n = node();
    elect(n, ['B', 'C']);
    n.e.onMessage('D', { t: 'append_ack', term: 9, success: false, match: 0 });
    expect(n.e.role).toBe('follower');
    expect(n.e.term).toBe(9);
    expect(n.e.leader).toBeNull();
    expect(n.store.persistedTerm).toBe(9);
    expect(n.store.persistedVote).toBeNull();
  });

  it('a higher term in any message counts (a health broadcast too); a standby stays standby', () => {
    const n = node({ config: { standby: true } });
    expect(n.e.role).toBe('standby');
    n.e.onMessage('B', { t: 'health', term: 4, role: 'candidate', leader: '', health: 1, mode: 'nominal', soc: 1, tmaxC: 20, digest: 0 });
    expect(n.e.term).toBe(4);
    expect(n.store.persistedTerm).toBe(4);
    expect(n.e.role).toBe('standby');
    n.e.onMessage('B', { t: 'report', cid: 'x', outcome: 'completed', reason: '' }); // no term: nothing
    expect(n.e.term).toBe(4);
    expect(n.sent).toHaveLength(0);
  });
});

describe('AppendEntries (receiver)', () => {
  it('refuses an inconsistent append with a back-off hint', () => {
    const n = node({ store: new MemorySwarmStore({ initial: { term: 2, log: [le(1, 1), le(2, 1), le(3, 2), le(4, 2)] } }) });
    // Too far ahead: the hint is our last index.
    n.e.onMessage('B', { t: 'append', term: 3, prevIndex: 9, prevTerm: 3, entries: [], commit: 0 });
    // Term mismatch at 4: the hint skips back over the whole run of term 2 (indices 3–4).
    n.e.onMessage('B', { t: 'append', term: 3, prevIndex: 4, prevTerm: 3, entries: [], commit: 0 });
    expect(n.take('append_ack').map((a) => [a.msg.success, a.msg.match])).toEqual([
      [false, 4],
      [false, 2],
    ]);
    expect(n.e.leader).toBe('B');
    expect(n.e.log).toHaveLength(4); // nothing removed by a refused append
  });

  it('truncates a conflicting suffix, then appends; persisted before the ack', () => {
    const n = node({ store: new MemorySwarmStore({ initial: { term: 2, log: [le(1, 1), le(2, 1), le(3, 2, 'stale3'), le(4, 2, 'stale4')] } }) });
    n.e.onMessage('B', { t: 'append', term: 3, prevIndex: 2, prevTerm: 1, entries: [le(3, 3, 'new3')], commit: 0 });
    expect(n.e.log.map((x) => x.cid)).toEqual(['e1', 'e2', 'new3']);
    const ack = n.take('append_ack')[0]!;
    expect(ack.msg).toEqual({ t: 'append_ack', term: 3, success: true, match: 3 });
    expect(ack.stored.logLength).toBe(3);
    expect(n.store.load().log.map((x) => x.cid)).toEqual(['e1', 'e2', 'new3']);
  });

  it('an older, reordered append never truncates what a newer one added', () => {
    const n = node();
    n.e.onMessage('B', { t: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries: [le(1, 1), le(2, 1), le(3, 1)], commit: 0 });
    n.e.onMessage('B', { t: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries: [le(1, 1)], commit: 0 });
    expect(n.e.log).toHaveLength(3);
    expect(n.take('append_ack').map((a) => a.msg.match)).toEqual([3, 1]);
  });

  it('commits only what the append proves it shares with the leader (stale entries past the match stay uncommitted)', () => {
    // Index 3 is an uncommitted leftover of term 2; the leader of term 3 has committed its own 3.
    const n = node({ store: new MemorySwarmStore({ initial: { term: 2, log: [le(1, 1), le(2, 1), le(3, 2, 'stale')] } }) });
    n.e.onMessage('B', { t: 'append', term: 3, prevIndex: 2, prevTerm: 1, entries: [], commit: 3 });
    expect(n.e.commitIndex).toBe(2);
    expect(n.applied.map((x) => x.cid)).toEqual(['e1', 'e2']);
    n.e.onMessage('B', { t: 'append', term: 3, prevIndex: 2, prevTerm: 1, entries: [le(3, 3, 'real')], commit: 3 });
    expect(n.e.commitIndex).toBe(3);
    expect(n.applied.map((x) => x.cid)).toEqual(['e1', 'e2', 'real']);
  });

  it('a refused stale-term append answers with our term and does not change the leader', () => {
    const n = node({ store: new MemorySwarmStore({ initial: { term: 5 } }) });
    n.e.onMessage('B', { t: 'append', term: 4, prevIndex: 0, prevTerm: 0, entries: [le(1, 4)], commit: 1 });
    expect(n.take('append_ack')[0]!.msg).toEqual({ t: 'append_ack', term: 5, success: false, match: 0 });
    expect(n.e.leader).toBeNull();
    expect(n.e.log).toHaveLength(0);
  });

  it('delivers committed entries in order, once per lifetime; a restart re-learns the commit index from the leader', () => {
    const n = node();
    const entries = [le(1, 1), { ...le(2, 1), cid: 'noop', action: NOOP_ACTION }, le(3, 1)];
    n.e.onMessage('B', { t: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries, commit: 1 });
    n.e.onMessage('B', { t: 'append', term: 1, prevIndex: 3, prevTerm: 1, entries: [], commit: 3 });
    n.e.onMessage('B', { t: 'append', term: 1, prevIndex: 3, prevTerm: 1, entries: [], commit: 3 }); // again
    n.e.onMessage('B', { t: 'append', term: 1, prevIndex: 1, prevTerm: 1, entries: [], commit: 1 }); // older commit
    expect(n.commits).toEqual([1, 2, 3]); // every index, the no-op too
    expect(n.applied.map((x) => x.index)).toEqual([1, 3]); // the no-op is not the agent's business
    expect(n.e.commitIndex).toBe(3);

    n.e.stop();
    const again = n.make();
    again.start();
    expect(again.commitIndex).toBe(0); // volatile
    expect(again.log).toHaveLength(3); // durable
    again.onMessage('B', { t: 'append', term: 1, prevIndex: 3, prevTerm: 1, entries: [], commit: 3 });
    again.onMessage('B', { t: 'append', term: 1, prevIndex: 3, prevTerm: 1, entries: [], commit: 3 });
    expect(again.commitIndex).toBe(3);
    expect(n.applied.map((x) => x.index)).toEqual([1, 3, 1, 3]); // once more in the new lifetime, once
  });

  it('a candidate hearing the leader of its own term becomes its follower', () => {
    const n = node();
    n.clock.advance(ELECTION_DEFAULTS.election_timeout_max_ms + 1);
    expect(n.e.role).toBe('candidate');
    n.e.onMessage('C', { t: 'append', term: n.e.term, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });
    expect(n.e.role).toBe('follower');
    expect(n.e.leader).toBe('C');
  });

  it('heartbeats keep a follower from standing; silence makes it forget the leader and stand', () => {
    const n = node();
    for (let t = 0; t < 3000; t += 100) {
      n.e.onMessage('B', { t: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });
      n.clock.advance(100);
    }
    expect(n.e.role).toBe('follower');
    expect(n.e.leader).toBe('B');
    n.clock.advance(ELECTION_DEFAULTS.election_timeout_max_ms);
    expect(n.e.role).toBe('candidate');
    expect(n.e.leader).toBeNull();
  });
});

describe('leader', () => {
  it('never commits an entry of an earlier term by counting replicas (Raft §5.4.2, Figure 8)', () => {
    // A holds 2@2 from an old term; as leader of term 4 it replicates it to a majority.
    const store = new MemorySwarmStore({ initial: { term: 3, log: [le(1, 1), le(2, 2)] } });
    const n = node({ store, config: { noop_on_election: false } });
    elect(n, ['B', 'C']);
    expect(n.e.term).toBe(4);
    n.clock.advance(0);
    for (const p of ['B', 'C']) n.e.onMessage(p, { t: 'append_ack', term: 4, success: true, match: 2 });
    expect(n.e.commitIndex).toBe(0); // stored on A, B, C — but of term 2: not committed
    // An entry of the current term commits, and with it everything before.
    const e3 = n.e.propose({ cid: 'x', action: 'test.act', params: {}, deadlineMs: 1, proposedAt: 0, targets: [] })!;
    expect(e3).toMatchObject({ index: 3, term: 4 });
    n.e.onMessage('B', { t: 'append_ack', term: 4, success: true, match: 3 });
    expect(n.e.commitIndex).toBe(0); // A and B: two of five
    n.e.onMessage('C', { t: 'append_ack', term: 4, success: true, match: 3 });
    expect(n.e.commitIndex).toBe(3);
    expect(n.applied.map((x) => x.cid)).toEqual(['e1', 'e2', 'x']);
  });

  it('a new leader appends a no-op of its term, so earlier entries commit without a new proposal', () => {
    const store = new MemorySwarmStore({ initial: { term: 3, log: [le(1, 1), le(2, 2)] } });
    const n = node({ store });
    elect(n, ['B', 'C']);
    expect(n.e.log[2]).toMatchObject({ index: 3, term: 4, action: NOOP_ACTION });
    for (const p of ['B', 'C']) n.e.onMessage(p, { t: 'append_ack', term: 4, success: true, match: 3 });
    expect(n.e.commitIndex).toBe(3);
    expect(n.applied.map((x) => x.cid)).toEqual(['e1', 'e2']);
  });

  it('moves nextIndex to the refusal hint and then sends the missing entries, one append in flight at a time', () => {
    const store = new MemorySwarmStore({ initial: { term: 1, log: [le(1, 1), le(2, 1), le(3, 1), le(4, 1)] } });
    const n = node({ store, config: { max_entries_per_append: 2 } });
    elect(n, ['B', 'C']); // log now 1..4 + no-op 5@2, broadcast to all (in flight everywhere)
    n.clear();
    n.e.onMessage('B', { t: 'append_ack', term: 2, success: false, match: 1 }); // B has index 1 only
    let a = n.take('append', 'B').at(-1)!.msg;
    expect([a.prevIndex, a.prevTerm, a.entries.map((x) => x.index)]).toEqual([1, 1, [2, 3]]); // capped at 2
    n.e.onMessage('B', { t: 'append_ack', term: 2, success: true, match: 3 });
    a = n.take('append', 'B').at(-1)!.msg; // acknowledged: the next batch at once
    expect([a.prevIndex, a.entries.map((x) => x.index)]).toEqual([3, [4, 5]]);
    n.clear();
    n.e.onMessage('B', { t: 'append_ack', term: 2, success: true, match: 5 });
    expect(n.take('append', 'B')).toHaveLength(0); // caught up: heartbeats only from here
    // C lacks just the no-op, which is on its way: a refusal that agrees with what the leader
    // believes (the answer to a heartbeat, say) sends nothing more.
    n.e.onMessage('C', { t: 'append_ack', term: 2, success: false, match: 4 });
    expect(n.take('append', 'C')).toHaveLength(0);
    // A hint further back (a conflict from index 3 on) moves nextIndex there: a new probe.
    n.e.onMessage('C', { t: 'append_ack', term: 2, success: false, match: 2 });
    a = n.take('append', 'C').at(-1)!.msg;
    expect([a.prevIndex, a.entries.map((x) => x.index)]).toEqual([2, [3, 4]]);
    // Never below matchIndex + 1.
    n.e.onMessage('B', { t: 'append_ack', term: 2, success: false, match: 0 });
    expect(n.take('append', 'B')).toHaveLength(0); // B's match is 5 = our last: nothing to back off to
  });

  it('heartbeats stay one broadcast; a lagging follower gets its entries by itself, resent only when overdue and it is heard from', () => {
    const n = node();
    elect(n, ['B', 'C']);
    // Right after the election: an empty heartbeat (everyone learns the leader at once), then
    // the no-op, both broadcast: every peer stands at the no-op.
    expect(n.take('append').map((a) => [a.to, a.msg.prevIndex, a.msg.entries.length])).toEqual([
      ['*', 0, 0],
      ['*', 0, 1],
    ]);
    for (const p of ['B', 'C', 'D']) n.e.onMessage(p, { t: 'append_ack', term: 1, success: true, match: 1 });
    n.clear();
    // E has not answered: its no-op is still in flight. Heartbeats go on, one broadcast each,
    // and E gets nothing more while it is silent (dead, or its answer on the way) — even once
    // the retry time has passed.
    const until = n.clock.now() + ELECTION_DEFAULTS.election_timeout_min_ms + 5 * ELECTION_DEFAULTS.heartbeat_ms;
    while (n.clock.now() < until) {
      n.clock.advance(ELECTION_DEFAULTS.heartbeat_ms);
      for (const p of ['B', 'C', 'D']) n.e.onMessage(p, { t: 'append_ack', term: 1, success: true, match: 1 }); // the lease holds
    }
    expect(n.e.role).toBe('leader');
    const beats = n.take('append');
    expect(beats.length).toBeGreaterThanOrEqual(8);
    for (const b of beats) expect([b.to, b.msg.prevIndex, b.msg.entries.length]).toEqual(['*', 1, 0]);
    // E answers a heartbeat (it lacks the no-op): overdue and alive, it gets the no-op again.
    n.clear();
    n.e.onMessage('E', { t: 'append_ack', term: 1, success: false, match: 0 });
    expect(n.take('append').map((a) => [a.to, a.msg.prevIndex, a.msg.entries.length])).toEqual([['E', 0, 1]]);
    expect(n.e.stats.appendsResent).toBe(1);
    // Further refusals while that one is in flight (answers to heartbeats) send nothing.
    n.clear();
    n.clock.advance(ELECTION_DEFAULTS.heartbeat_ms);
    n.e.onMessage('E', { t: 'append_ack', term: 1, success: false, match: 0 });
    expect(n.take('append').map((a) => a.to)).toEqual(['*']);
    n.e.onMessage('E', { t: 'append_ack', term: 1, success: true, match: 1 });
    n.clear();
    n.clock.advance(ELECTION_DEFAULTS.heartbeat_ms);
    expect(n.take('append').map((a) => [a.to, a.msg.prevIndex, a.msg.entries.length])).toEqual([['*', 1, 0]]);
    // A proposal while all are in sync: one broadcast.
    n.clear();
    n.e.propose({ cid: 'x', action: 'a', params: {}, deadlineMs: 1, proposedAt: 0, targets: [] });
    n.clock.advance(0);
    expect(n.take('append').map((a) => [a.to, a.msg.entries.map((e) => e.cid)])).toEqual([['*', ['x']]]);
  });

  it('with broadcast off, sends to each peer', () => {
    const n = node({ config: { broadcast: false } });
    n.clock.advance(ELECTION_DEFAULTS.election_timeout_max_ms + 1);
    expect(n.take('vote_req').map((r) => r.to)).toEqual(['B', 'C', 'D', 'E']);
    for (const v of ['B', 'C']) n.e.onMessage(v, { t: 'vote', term: 1, granted: true });
    expect(n.take('append').map((a) => a.to)).toEqual(['B', 'C', 'D', 'E']);
  });

  it('steps down when no quorum has answered for lease_ms', () => {
    const n = node();
    elect(n, ['B', 'C']); // votes count as answers at election time
    const t0 = n.clock.now();
    let steppedDown: number | undefined;
    n.e.on('role', (r) => void (steppedDown ??= r === 'follower' ? n.clock.now() : undefined));
    for (let i = 0; i < 10; i++) {
      n.clock.advance(100);
      n.e.onMessage('B', { t: 'append_ack', term: 1, success: true, match: 1 }); // one peer only
    }
    expect(steppedDown! - t0).toBe(ELECTION_DEFAULTS.lease_ms);
    expect(n.e.stats.leaseLost).toBe(1);
    expect(n.e.hasLease).toBe(false);
    expect(n.e.role).not.toBe('leader');
  });

  it('propose is refused (null) on anything but the leader', () => {
    const n = node();
    expect(n.e.propose({ cid: 'x', action: 'a', params: {}, deadlineMs: 1, proposedAt: 0, targets: [] })).toBeNull();
  });

  it('a single-member constellation leads alone and commits at once', () => {
    const n = node({ members: ['A'] });
    n.clock.advance(ELECTION_DEFAULTS.election_timeout_max_ms + 1);
    expect(n.e.role).toBe('leader');
    expect(n.e.propose({ cid: 'x', action: 'a', params: {}, deadlineMs: 1, proposedAt: 0, targets: [] })).toMatchObject({ index: 2, term: 1 });
    expect(n.e.commitIndex).toBe(2);
    expect(n.applied.map((x) => x.cid)).toEqual(['x']);
    n.clock.advance(5000);
    expect(n.e.role).toBe('leader');
  });

  it('an unhealthy node does not stand when its timeout fires; it still votes', () => {
    let h = 0.4;
    const n = node({ health: () => h });
    n.clock.advance(5000);
    expect(n.e.role).toBe('follower');
    expect(n.e.stats.candidacies).toBe(0);
    n.e.onMessage('B', { t: 'vote_req', term: 1, lastLogIndex: 0, lastLogTerm: 0 });
    expect(n.take('vote')[0]!.msg.granted).toBe(true);
    h = 0.9;
    n.clock.advance(ELECTION_DEFAULTS.election_timeout_max_ms + 1);
    expect(n.e.role).toBe('candidate');
  });
});

describe('configuration', () => {
  it('validates its parameters and membership', () => {
    const base = { self: 'A', members: ['A', 'B'], outbox: { send: () => 0 }, store: new MemorySwarmStore(), clock: new VirtualClock(), random: () => 0 };
    expect(() => new Election({ ...base, config: { election_timeout_min_ms: 700 } })).toThrow(RangeError);
    expect(() => new Election({ ...base, config: { heartbeat_ms: 300 } })).toThrow(RangeError);
    expect(() => new Election({ ...base, config: { lease_ms: 50 } })).toThrow(RangeError);
    expect(() => new Election({ ...base, config: { stand_threshold: 2 } })).toThrow(RangeError);
    expect(() => new Election({ ...base, self: 'Z' })).toThrow(/not among the members/);
    expect(() => new Election({ ...base, members: ['A', 'B', 'B'] })).toThrow(/duplicate/);
    expect(new Election({ ...base, members: ['A', 'B', 'C', 'D', 'E', 'F'] }).quorum).toBe(4);
    expect(new Election({ ...base, members: ['A', 'B', 'C', 'D', 'E', 'F'], config: { quorum: 'two_thirds' } }).quorum).toBe(4);
    expect(new Election({ ...base, members: ['A', 'B', 'C', 'D', 'E', 'F', 'G'], config: { quorum: 'two_thirds' } }).quorum).toBe(5);
    expect(new Election({ ...base, members: ['A', 'B', 'C'], config: { quorum: 'two_thirds' } }).quorum).toBe(2);
  });

  it('refuses a store whose log breaks the Raft invariants', () => {
    const base = { self: 'A', members: ['A', 'B'], outbox: { send: () => 0 }, clock: new VirtualClock(), random: () => 0 };
    expect(() => new Election({ ...base, store: new MemorySwarmStore({ initial: { term: 1, log: [le(2, 1)] } }) })).toThrow(/index/);
    expect(() => new Election({ ...base, store: new MemorySwarmStore({ initial: { term: 1, log: [le(1, 2)] } }) })).toThrow(/beyond the persisted term/);
  });
});
