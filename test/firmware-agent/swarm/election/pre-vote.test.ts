/**
 * PreVote (Raft thesis §9.6): before standing, a node asks whether a quorum would vote for it
 * in the next term, changing nothing anywhere; a member refuses while a leader is at work. So
 * a node cut off from the quorum never raises its term, and never disrupts a working leader
 * when it comes back. Safety is untouched (pre-votes decide nothing): the property test runs
 * with pre-vote on (the default).
 */
import { describe, expect, it } from 'vitest';
import { isPreVote } from '../../../../firmware-agent/swarm/candidate-rank.js';
import { Election } from '../../../../firmware-agent/swarm/election.js';
import { ELECTION_DEFAULTS, type ElectionConfig } from '../../../../firmware-agent/swarm/election-config.js';
import { createIslCodec } from '../../../../firmware-agent/swarm/isl-codec.js';
import { MemorySwarmStore } from '../../../../firmware-agent/swarm/memory-store.js';
import { swarmMessage, type LogEntry, type SwarmMessage, type SwarmMessageOf } from '../../../../firmware-agent/swarm/messages.js';
import { SwarmNode } from '../../../../firmware-agent/swarm/swarm-node.js';
import type { NodeId } from '../../../../firmware-agent/swarm/types.js';
import { VirtualClock } from '../../../../hal/time/virtual-clock.js';
import { KEY } from '../codec/helpers.js';

const FIVE = ['A', 'B', 'C', 'D', 'E'];
const MIN = ELECTION_DEFAULTS.election_timeout_min_ms;
const MAX = ELECTION_DEFAULTS.election_timeout_max_ms;

function le(index: number, term: number): LogEntry {
  return { index, term, cid: `e${index}`, action: 'test.act', params: {}, deadlineMs: 30_000, proposedAt: 0, targets: [] };
}

function node(opts: { self?: NodeId; store?: MemorySwarmStore; config?: Partial<ElectionConfig>; random?: () => number } = {}) {
  const clock = new VirtualClock(0);
  const store = opts.store ?? new MemorySwarmStore();
  const sent: { to: NodeId; msg: SwarmMessage; persistedTerm: number }[] = [];
  const e = new Election({
    self: opts.self ?? 'A',
    members: FIVE,
    outbox: { send: (to, msg) => sent.push({ to, msg, persistedTerm: store.persistedTerm }) },
    store,
    clock,
    random: opts.random ?? (() => 0.5),
    config: opts.config,
  });
  e.start();
  const take = <K extends SwarmMessage['t']>(t: K) => sent.filter((s) => s.msg.t === t) as { to: NodeId; msg: SwarmMessageOf<K>; persistedTerm: number }[];
  return { e, clock, store, sent, take, clear: () => void (sent.length = 0) };
}

const preReq = (term: number, lastLogIndex = 0, lastLogTerm = 0) => ({ t: 'vote_req', term, lastLogIndex, lastLogTerm, pre: true }) as SwarmMessageOf<'vote_req'>;
const preVote = (term: number, granted: boolean) => ({ t: 'vote', term, granted, pre: true }) as SwarmMessageOf<'vote'>;
const beat = (term: number): SwarmMessageOf<'append'> => ({ t: 'append', term, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });

describe('PreVote on the wire', () => {
  it('the pre flag passes the message schemas and survives the ISL codec (encode → decode)', () => {
    const members = ['SAT-1', 'SAT-2'];
    const a = createIslCodec({ key: KEY, members, self: 'SAT-1' });
    const b = createIslCodec({ key: KEY, members, self: 'SAT-2' });
    let counter = 1;
    for (const msg of [preReq(7, 3, 2), preVote(7, true), preVote(5, false)] as SwarmMessage[]) {
      expect(swarmMessage.check(msg)).toBeUndefined();
      const r = b.decode(a.encode(msg, { counter: counter++, qos: 0, to: 'SAT-2' }));
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.msg).toEqual(msg);
      expect(isPreVote(r.msg)).toBe(true);
    }
    expect(isPreVote({ t: 'vote_req', term: 7, lastLogIndex: 3, lastLogTerm: 2 })).toBe(false);
  });
});

describe('PreVote (receiver)', () => {
  it('grants when no leader is at work and the log is up to date — and changes nothing: no term, no vote, nothing persisted', () => {
    const n = node({ store: new MemorySwarmStore({ initial: { term: 3, votedFor: 'C', log: [le(1, 2)] } }) });
    n.e.onMessage('B', preReq(4, 1, 2));
    expect(n.take('vote').map((v) => v.msg)).toEqual([{ t: 'vote', term: 4, granted: true, pre: true }]);
    expect([n.e.term, n.e.votedFor, n.store.persistedTerm, n.store.persistedVote]).toEqual([3, 'C', 3, 'C']);
    // Not exclusive: another asker for the same term is granted too.
    n.e.onMessage('D', preReq(4, 1, 2));
    expect(n.take('vote').at(-1)!.msg).toMatchObject({ term: 4, granted: true });
    expect(n.e.stats.preVotesGranted).toBe(2);
    expect(n.e.stats.votesGranted).toBe(0);
  });

  it('refuses while it has heard a leader within election_timeout_min_ms, grants after', () => {
    const n = node();
    n.e.onMessage('C', beat(1));
    n.clock.advance(MIN - 1);
    n.e.onMessage('B', preReq(2));
    n.clock.advance(1);
    n.e.onMessage('D', preReq(2));
    expect(n.take('vote').map((v) => [v.to, v.msg.term, v.msg.granted])).toEqual([
      ['B', 1, false], // refused: our term
      ['D', 2, true],
    ]);
    expect(n.e.term).toBe(1);
  });

  it('refuses a candidate whose log is behind, or a term that is not ahead of ours', () => {
    const n = node({ store: new MemorySwarmStore({ initial: { term: 5, log: [le(1, 3), le(2, 5)] } }) });
    n.e.onMessage('B', preReq(6, 9, 4)); // older last term
    n.e.onMessage('C', preReq(6, 1, 5)); // shorter
    n.e.onMessage('D', preReq(5, 2, 5)); // not ahead of our term
    n.e.onMessage('E', preReq(6, 2, 5)); // as up to date: yes
    expect(n.take('vote').map((v) => [v.to, v.msg.term, v.msg.granted])).toEqual([
      ['B', 5, false],
      ['C', 5, false],
      ['D', 5, false],
      ['E', 6, true],
    ]);
    expect(n.e.term).toBe(5);
  });

  it('a leader with a lease refuses; a pre-vote request never makes it step down', () => {
    const n = node({ config: { pre_vote: false } });
    n.clock.advance(MAX + 1);
    for (const v of ['B', 'C']) n.e.onMessage(v, { t: 'vote', term: 1, granted: true });
    expect(n.e.role).toBe('leader');
    n.clear();
    n.e.onMessage('D', preReq(9, 1, 1)); // as up to date as the leader (its no-op): only the lease refuses
    expect(n.take('vote').map((v) => v.msg)).toEqual([{ t: 'vote', term: 1, granted: false, pre: true }]);
    expect([n.e.role, n.e.term, n.e.leader]).toEqual(['leader', 1, 'A']);
  });
});

describe('PreVote (asker)', () => {
  it('a timed-out follower asks for pre-votes for term + 1 without changing its term; a quorum makes it stand', () => {
    const n = node({ store: new MemorySwarmStore({ initial: { term: 2 } }) });
    n.clock.advance(MAX + 1);
    expect([n.e.state, n.e.role, n.e.term, n.store.persistedTerm]).toEqual(['precandidate', 'follower', 2, 2]);
    const reqs = n.take('vote_req');
    expect(reqs.map((r) => [r.to, r.msg.term, isPreVote(r.msg)])).toEqual([['*', 3, true]]);
    // A granted pre-vote carries the term asked about: it is not a term to adopt.
    n.e.onMessage('B', preVote(3, true));
    expect([n.e.state, n.e.term]).toEqual(['precandidate', 2]);
    n.e.onMessage('C', preVote(3, true));
    expect([n.e.state, n.e.role, n.e.term]).toEqual(['candidate', 'candidate', 3]);
    const real = n.take('vote_req').filter((r) => !isPreVote(r.msg));
    expect(real.map((r) => [r.msg.term, r.persistedTerm])).toEqual([[3, 3]]); // persisted before it left
    expect(n.e.stats).toMatchObject({ preCandidacies: 1, candidacies: 1 });
  });

  it('a refused pre-vote answering with a higher term makes the asker adopt it (a rejoining node learns the term at once)', () => {
    const n = node({ store: new MemorySwarmStore({ initial: { term: 2 } }) });
    n.clock.advance(MAX + 1);
    n.e.onMessage('B', preVote(9, false));
    expect([n.e.state, n.e.term, n.store.persistedTerm]).toEqual(['follower', 9, 9]);
  });

  it('a node that cannot reach a quorum never raises its term (without pre-vote it would, at every timeout)', () => {
    for (const preVote of [true, false]) {
      const n = node({ config: { pre_vote: preVote } });
      n.clock.advance(20_000); // nobody answers
      if (preVote) {
        expect(n.e.term).toBe(0);
        expect(n.e.stats.candidacies).toBe(0);
        expect(n.e.stats.preCandidacies).toBeGreaterThan(20);
      } else {
        expect(n.e.term).toBeGreaterThan(20);
      }
    }
  });

  it('a precandidate hearing the leader follows it', () => {
    const n = node();
    n.clock.advance(MAX + 1);
    expect(n.e.state).toBe('precandidate');
    n.e.onMessage('C', beat(0));
    expect([n.e.state, n.e.role, n.e.leader, n.e.term]).toEqual(['follower', 'follower', 'C', 0]);
  });

  it('a candidate whose round fails runs a pre-vote round again before the next term', () => {
    const n = node();
    n.clock.advance(MAX + 1);
    for (const v of ['B', 'C']) n.e.onMessage(v, preVote(1, true));
    expect([n.e.state, n.e.term]).toEqual(['candidate', 1]);
    n.clock.advance(MAX + 1);
    expect([n.e.state, n.e.role, n.e.term]).toEqual(['precandidate', 'follower', 1]);
  });
});

describe('PreVote timing (liveness only: followers reset by one broadcast time out together)', () => {
  it('a follower that grants a pre-vote restarts its election timer', () => {
    const n = node();
    n.clock.advance(MIN - 10); // its own timeout is MIN + 0.5·(MAX − MIN) after the start
    n.e.onMessage('B', preReq(1));
    expect(n.take('vote').at(-1)!.msg.granted).toBe(true);
    n.clock.advance(MIN - 1);
    expect(n.e.state).toBe('follower'); // would have stood by now without the restart
    n.clock.advance(MAX);
    expect(n.e.state).toBe('precandidate');
  });

  it('of two precandidates, the one outranked by the other steps back when it grants; the other goes on', () => {
    // Same log, same term: the per-term hash of the ids decides, the same on every node.
    const a = node({ self: 'A' });
    const b = node({ self: 'B' });
    a.clock.advance(MAX + 1);
    b.clock.advance(MAX + 1);
    expect([a.e.state, b.e.state]).toEqual(['precandidate', 'precandidate']);
    a.e.onMessage('B', preReq(1));
    b.e.onMessage('A', preReq(1));
    expect(a.take('vote').at(-1)!.msg.granted).toBe(true);
    expect(b.take('vote').at(-1)!.msg.granted).toBe(true);
    expect([a.e.state, b.e.state].sort()).toEqual(['follower', 'precandidate']);
  });
});

describe('SwarmNode and pre-votes', () => {
  it('a pre-vote request tells the registry only that the peer is alive (its term is a proposal, not a candidacy)', () => {
    const members = ['SAT-1', 'SAT-2', 'SAT-3'];
    const clock = new VirtualClock(0);
    const sn = new SwarmNode({
      self: 'SAT-1', members, key: KEY, clock, random: () => 0.5, store: new MemorySwarmStore(),
      radio: { transmit: async () => ({ ok: true }) },
      local: { arbitrate: () => ({ ok: true }), execute: () => ({ accepted: true }), outcome: () => undefined },
      status: () => ({ health: 1, mode: 'nominal', soc: 1, tmaxC: 20 }),
    });
    sn.start();
    const peer = createIslCodec({ key: KEY, members, self: 'SAT-2' });
    sn.receive('SAT-2', peer.encode(preReq(5), { counter: 1, qos: 0, to: '*' }));
    const p = sn.registry.peer('SAT-2')!;
    expect(p.lastHeard).toBe(0);
    expect([p.term, p.role]).toEqual([0, null]);
    expect(sn.election.term).toBe(0);
    expect(sn.election.stats.preVotesGranted).toBe(1);
    // A real one is a candidacy.
    sn.receive('SAT-2', peer.encode({ t: 'vote_req', term: 5, lastLogIndex: 0, lastLogTerm: 0 }, { counter: 2, qos: 0, to: '*' }));
    expect([p.term, p.role]).toEqual([5, 'candidate']);
    expect(sn.election.term).toBe(5);
    sn.stop();
  });
});
