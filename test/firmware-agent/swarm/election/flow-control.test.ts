/**
 * The leader's replication pacing on a slow radio (9,600 bit/s, one packet at a time): one
 * broadcast heartbeat whatever the followers' progress, at most one unacknowledged append with
 * entries per follower (none resent to a silent one), appends sized to the air
 * (`max_append_bytes`, measured by the transport); and a node that stays consistent when its
 * transport refuses a send or its role machine fails.
 */
import { describe, expect, it } from 'vitest';
import { Election } from '../../../../firmware-agent/swarm/election.js';
import { ELECTION_DEFAULTS, type ElectionConfig } from '../../../../firmware-agent/swarm/election-config.js';
import { createIslCodec } from '../../../../firmware-agent/swarm/isl-codec.js';
import { MemorySwarmStore } from '../../../../firmware-agent/swarm/memory-store.js';
import type { SwarmMessage, SwarmMessageOf } from '../../../../firmware-agent/swarm/messages.js';
import type { NodeId } from '../../../../firmware-agent/swarm/types.js';
import { VirtualClock } from '../../../../hal/time/virtual-clock.js';
import { KEY } from '../codec/helpers.js';

const FIVE = ['A', 'B', 'C', 'D', 'E'];
const HB = ELECTION_DEFAULTS.heartbeat_ms;

/** The ISL frame size of a message from A (what `SwarmNode` gives the election). */
const codec = createIslCodec({ key: KEY, members: FIVE, self: 'A' });
const islSize = (msg: SwarmMessage): number => {
  try {
    return codec.encode(msg, { counter: 0, qos: 0, to: '*' }).length;
  } catch {
    return Infinity;
  }
};

class FlakyStore extends MemorySwarmStore {
  failVotes = false;
  override saveVote(term: number, votedFor: NodeId | null): void {
    if (this.failVotes) throw new Error('disk full');
    super.saveVote(term, votedFor);
  }
}

function leader(opts: { config?: Partial<ElectionConfig>; sizeOf?: (m: SwarmMessage) => number; store?: MemorySwarmStore; refuse?: (to: NodeId, msg: SwarmMessage) => boolean } = {}) {
  const clock = new VirtualClock(0);
  const store = opts.store ?? new MemorySwarmStore();
  const sent: { at: number; to: NodeId; msg: SwarmMessage }[] = [];
  const e = new Election({
    self: 'A',
    members: FIVE,
    outbox: {
      send: (to, msg) => {
        if (opts.refuse?.(to, msg)) throw new Error(`oversize ${msg.t}`);
        sent.push({ at: clock.now(), to, msg });
        return 0;
      },
    },
    store,
    clock,
    random: () => 0.5,
    config: { pre_vote: false, ...opts.config },
    ...(opts.sizeOf ? { sizeOf: opts.sizeOf } : {}),
  });
  e.start();
  const elect = (): void => {
    clock.advance(ELECTION_DEFAULTS.election_timeout_max_ms + 1);
    for (const v of ['B', 'C']) e.onMessage(v, { t: 'vote', term: e.term, granted: true });
    expect(e.role).toBe('leader');
  };
  const appends = (to?: NodeId) => sent.filter((s) => s.msg.t === 'append' && (to === undefined || s.to === to)) as { at: number; to: NodeId; msg: SwarmMessageOf<'append'> }[];
  /** Every append with entries that reached `peer` (unicast or broadcast). */
  const shipped = (peer: NodeId) => appends().filter((s) => (s.to === peer || s.to === '*') && s.msg.entries.length > 0);
  const ack = (from: NodeId, match: number, success = true): void => e.onMessage(from, { t: 'append_ack', term: e.term, success, match });
  /** Let `ms` pass in heartbeats, B, C and D answering each (the lease holds). */
  const pass = (ms: number): void => {
    for (let t = 0; t < ms; t += HB) {
      clock.advance(Math.min(HB, ms - t));
      for (const p of ['B', 'C', 'D']) ack(p, e.log.length);
    }
  };
  return { e, clock, store, sent, elect, appends, shipped, ack, pass };
}

const bigEntry = (i: number) => ({ cid: `cmd-${i}`, action: 'payload.capture', params: { target: 'zone-' + 'x'.repeat(40), exposureMs: 1200 + i }, deadlineMs: 30_000, proposedAt: 0, targets: ['B', 'C', 'D', 'E'] });

describe('flow control', () => {
  it('a dead follower costs no append per heartbeat: while it is silent it gets nothing but the broadcasts everybody gets', () => {
    const l = leader();
    l.elect();
    const ticks0 = l.appends().length;
    // 10 s of heartbeats and a proposal every 500 ms; B, C, D answer everything, E is dead.
    let proposals = 0;
    for (let t = 0; t < 10_000; t += HB) {
      if (t % 500 === 0) {
        l.e.propose(bigEntry(proposals++));
        l.clock.advance(0);
      }
      l.clock.advance(HB);
      for (const p of ['B', 'C', 'D']) l.ack(p, l.e.log.length);
    }
    expect(l.e.role).toBe('leader');
    expect(l.e.commitIndex).toBe(l.e.log.length);
    expect(l.appends('E')).toEqual([]); // never a unicast to the dead member
    expect(l.appends().every((a) => a.to === '*')).toBe(true);
    // One broadcast per heartbeat, plus one per proposal (the in-sync followers' entries) and
    // at most one per commit advance (the empty append announcing the new commit index).
    expect(l.appends().length - ticks0).toBeLessThanOrEqual(10_000 / HB + 2 * proposals + 1);
    expect(l.e.stats.appendsResent).toBe(0);
  });

  it('a follower that comes back catches up one append at a time, each within max_append_bytes on the air', () => {
    const l = leader({ sizeOf: islSize, config: { max_append_bytes: 300 } });
    l.elect();
    for (let i = 0; i < 20; i++) {
      l.e.propose(bigEntry(i));
      l.clock.advance(0);
      for (const p of ['B', 'C', 'D']) l.ack(p, l.e.log.length);
    }
    expect(l.e.commitIndex).toBe(21);
    l.sent.length = 0;
    // E comes back with nothing (its no-op, sent at the election, is overdue): it answers a heartbeat.
    l.pass(ELECTION_DEFAULTS.election_timeout_min_ms);
    l.ack('E', 0, false);
    let inFlight = 0;
    for (let round = 0; round < 50 && l.e.log.length > 0; round++) {
      const toE = l.appends('E').filter((a) => a.msg.entries.length > 0);
      if (toE.length === inFlight) break; // nothing new: done
      expect(toE.length, 'one new append per acknowledgement').toBe(inFlight + 1);
      inFlight = toE.length;
      const a = toE.at(-1)!.msg;
      expect(a.entries.length === 1 || islSize(a) <= 300, `append of ${a.entries.length} entries is ${islSize(a)} bytes`).toBe(true);
      // A refusal of a heartbeat meanwhile changes nothing.
      l.ack('E', a.prevIndex, false);
      expect(l.appends('E').filter((x) => x.msg.entries.length > 0)).toHaveLength(inFlight);
      l.ack('E', a.prevIndex + a.entries.length);
    }
    const toE = l.appends('E').filter((a) => a.msg.entries.length > 0);
    expect(toE.at(-1)!.msg.prevIndex + toE.at(-1)!.msg.entries.length).toBe(21);
    expect(toE.length).toBeGreaterThan(21 / ELECTION_DEFAULTS.max_entries_per_append + 1); // the byte cap, not the count, split them
    expect(Math.max(...toE.map((a) => islSize(a.msg)))).toBeLessThanOrEqual(300);
  });

  it('an append lost on the way is sent again after append_retry_ms, once the follower is heard from', () => {
    const l = leader({ config: { append_retry_ms: 1000 } });
    l.elect();
    for (const p of ['B', 'C', 'D', 'E']) l.ack(p, 1);
    l.e.propose(bigEntry(0));
    l.clock.advance(0);
    for (const p of ['B', 'C', 'D']) l.ack(p, 2);
    // E never got entry 2 and refuses every heartbeat (it has 1).
    const resends = (): number => l.shipped('E').length;
    const first = resends();
    for (let t = 0; t < 900; t += HB) {
      l.pass(HB);
      l.ack('E', 1, false);
    }
    expect(resends()).toBe(first);
    l.pass(200);
    l.ack('E', 1, false);
    expect(resends()).toBe(first + 1);
    expect(l.e.stats.appendsResent).toBe(1);
  });

  it('propose refuses an entry whose append could never be sent (larger than the largest frame)', () => {
    const l = leader({ sizeOf: islSize });
    l.elect();
    const before = l.e.log.length;
    expect(l.e.propose({ ...bigEntry(0), params: { blob: 'x'.repeat(2000) } })).toBeNull();
    expect(l.e.log.length).toBe(before);
    expect(l.e.propose(bigEntry(1))).not.toBeNull();
  });
});

describe('a node stays consistent when a send or its machine fails', () => {
  it('a send the transport refuses is a lost message: the leader goes on, and steps down on a higher term (no zombie leader)', () => {
    // The full-stack failure: an append over the codec's frame cap threw inside the heartbeat
    // action, xstate stopped the machine, and the node reported `leader` forever (with leader
    // null once it adopted a higher term), ignoring appends and never standing again.
    const l = leader({ refuse: (_to, msg) => msg.t === 'append' });
    l.elect();
    l.pass(5 * HB); // (the followers answer: say the votes got through and the acks to heartbeats of before)
    expect(l.e.stats.sendErrors).toBeGreaterThanOrEqual(5);
    expect(l.e.stats.machineErrors).toBe(0);
    expect([l.e.role, l.e.state, l.e.leader]).toEqual(['leader', 'leader', 'A']);
    l.e.onMessage('C', { t: 'vote_req', term: 7, lastLogIndex: 9, lastLogTerm: 6 });
    expect([l.e.role, l.e.state, l.e.term, l.e.leader]).toEqual(['follower', 'follower', 7, null]);
    // And it follows the new leader.
    l.e.onMessage('C', { t: 'append', term: 7, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });
    expect([l.e.role, l.e.leader]).toEqual(['follower', 'C']);
  });

  it('when the role machine fails (the store cannot persist a candidacy), the node restarts it as follower and stands again later', () => {
    const store = new FlakyStore();
    const l = leader({ store });
    const roles: string[] = [];
    l.e.on('role', (r) => roles.push(r));
    store.failVotes = true;
    l.clock.advance(ELECTION_DEFAULTS.election_timeout_max_ms + 1);
    expect(l.e.stats.machineErrors).toBeGreaterThanOrEqual(1);
    expect(String(l.e.lastMachineError)).toMatch(/disk full/);
    expect([l.e.role, l.e.state, l.e.leader]).toEqual(['follower', 'follower', null]);
    expect(l.sent.filter((s) => s.msg.t === 'vote_req')).toEqual([]); // nothing left unpersisted
    expect(l.e.propose(bigEntry(0))).toBeNull();
    // Still a working member: it votes and follows…
    store.failVotes = false;
    l.e.onMessage('B', { t: 'append', term: 0, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });
    expect(l.e.leader).toBe('B');
    // …and stands when the leader goes quiet.
    l.clock.advance(ELECTION_DEFAULTS.election_timeout_max_ms + 1);
    expect(l.e.role).toBe('candidate');
    for (const v of ['B', 'C']) l.e.onMessage(v, { t: 'vote', term: l.e.term, granted: true });
    expect([l.e.role, l.e.leader]).toEqual(['leader', 'A']);
    expect(roles).toContain('leader');
  });
});
