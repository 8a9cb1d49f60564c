/** The simulated network itself (and the in-memory store it gives each node). */
import { describe, expect, it } from 'vitest';
import { MemorySwarmStore } from '../../../../firmware-agent/swarm/memory-store.js';
import type { LogEntry, SwarmMessage } from '../../../../firmware-agent/swarm/messages.js';
import { BROADCAST, type NodeId } from '../../../../firmware-agent/swarm/types.js';
import { SimNet, percentile, type SimNodeEnv } from '../sim-net.js';

interface Echo {
  inbox: (from: NodeId, msg: SwarmMessage) => void;
  start(): void;
  stop(): void;
  env: SimNodeEnv;
  got: { from: NodeId; msg: SwarmMessage; at: number }[];
  stopped: boolean;
}

function net(n: number, opts: ConstructorParameters<typeof SimNet>[2] = {}) {
  const ids = Array.from({ length: n }, (_, i) => `N${i}`);
  return new SimNet<Echo>(
    ids,
    (env) => {
      const node: Echo = {
        env,
        got: [],
        stopped: false,
        inbox: (from, msg) => node.got.push({ from, msg, at: env.clock.now() }),
        start: () => {},
        stop: () => void (node.stopped = true),
      };
      return node;
    },
    opts,
  );
}

const ping = (term: number): SwarmMessage => ({ t: 'vote', term, granted: true });
const terms = (node: Echo): number[] => node.got.map((g) => (g.msg.t === 'vote' ? g.msg.term : -1));

describe('sim-net', () => {
  it('delivers with uniform seeded latency in the configured range; same seed, same run', () => {
    const run = (seed: number): number[] => {
      const s = net(2, { seed });
      s.start();
      for (let i = 0; i < 500; i++) s.node('N0').env.outbox.send('N1', ping(i), { qos: 0 });
      s.run(1000);
      return s.node('N1').got.map((g) => g.at);
    };
    const a = run(1);
    expect(a).toHaveLength(500);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...a)).toBeLessThanOrEqual(100);
    expect(percentile(a, 50)).toBeGreaterThan(70);
    expect(percentile(a, 50)).toBeLessThan(80);
    expect(run(1)).toEqual(a);
    expect(run(2)).not.toEqual(a);
  });

  it('loses the configured fraction; broadcast reaches every other node', () => {
    const s = net(3, { loss: 0.3, seed: 5 });
    for (let i = 0; i < 2000; i++) s.node('N0').env.outbox.send(BROADCAST, ping(i), { qos: 0 });
    s.run(200);
    expect(s.node('N0').got).toHaveLength(0);
    for (const id of ['N1', 'N2']) {
      const got = s.node(id).got.length;
      expect(got / 2000).toBeGreaterThan(0.65);
      expect(got / 2000).toBeLessThan(0.75);
    }
    expect(s.stats.sent).toBe(4000);
    expect(s.stats.delivered + s.stats.dropped.loss).toBe(4000);
  });

  it('partitions cut new and in-flight messages; heal restores', () => {
    const s = net(4);
    const send = (from: string, to: string, t: number): number => s.node(from).env.outbox.send(to, ping(t), { qos: 0 });
    send('N0', 'N2', 1); // in flight when the partition comes
    s.partition(['N0', 'N1'], ['N2']); // N3 is in no group: a group of its own (with any other unlisted)
    send('N0', 'N1', 2);
    send('N0', 'N2', 3);
    send('N0', 'N3', 4);
    expect(s.connected('N2', 'N3')).toBe(false);
    s.run(200);
    expect(terms(s.node('N1'))).toEqual([2]);
    expect(s.node('N2').got).toHaveLength(0);
    expect(s.node('N3').got).toHaveLength(0);
    expect(s.stats.dropped.partition).toBe(3);
    s.heal();
    send('N0', 'N3', 5);
    s.run(200);
    expect(terms(s.node('N3'))).toEqual([5]);
  });

  it('crash stops the node and drops everything to and from it; restart builds a new instance on the same store', () => {
    const s = net(2);
    s.start();
    s.store('N1').saveVote(3, 'N0');
    const first = s.node('N1');
    s.node('N0').env.outbox.send('N1', ping(1), { qos: 0 }); // in flight to N1
    first.env.outbox.send('N0', ping(2), { qos: 0 }); // in flight from N1
    s.crash('N1');
    expect(first.stopped).toBe(true);
    expect(s.isUp('N1')).toBe(false);
    first.env.outbox.send('N0', ping(3), { qos: 0 }); // a stopped instance says nothing
    s.run(200);
    expect(first.got).toHaveLength(0);
    expect(s.node('N0').got).toHaveLength(0);
    const second = s.restart('N1');
    expect(second).not.toBe(first);
    expect(second.env.incarnation).toBe(1);
    expect(second.env.store.load()).toMatchObject({ term: 3, votedFor: 'N0' });
    expect(second.env.random()).not.toBe(first.env.random());
    first.env.outbox.send('N0', ping(4), { qos: 0 }); // the old instance stays mute
    second.env.outbox.send('N0', ping(5), { qos: 0 });
    s.run(200);
    expect(terms(s.node('N0'))).toEqual([5]);
  });

  it("a crashed node's timers never fire, even those it did not cancel", () => {
    const s = net(1);
    let fired = 0;
    s.node('N0').env.clock.setTimer(100, () => fired++);
    s.node('N0').env.clock.setTimerAt(150, () => fired++);
    s.crash('N0');
    s.restart('N0').env.clock.setTimer(100, () => (fired += 10));
    s.run(500);
    expect(fired).toBe(10);
  });

  it('refuses malformed messages (schema check)', () => {
    const s = net(2);
    expect(() => s.node('N0').env.outbox.send('N1', { t: 'vote', term: 1.5, granted: true }, { qos: 0 })).toThrow(/malformed vote/);
  });

  it('runUntil stops at the first event after which the predicate holds', () => {
    const s = net(2, { latencyMs: [10, 10] });
    s.node('N0').env.outbox.send('N1', ping(1), { qos: 0 });
    expect(s.runUntil(() => s.node('N1').got.length > 0, 1000)).toBe(10);
    expect(s.runUntil(() => false, 500)).toBeUndefined();
    expect(s.clock.now()).toBe(510);
  });
});

describe('MemorySwarmStore', () => {
  const le = (index: number, term: number): LogEntry => ({ index, term, cid: `c${index}`, action: 'a', params: { p: [1] }, deadlineMs: 0, proposedAt: 0, targets: [] });

  it('replaces the log from fromIndex on, and copies in and out', () => {
    const st = new MemorySwarmStore();
    const e1 = le(1, 1);
    st.appendLog([e1, le(2, 1), le(3, 1)], 1);
    (e1.params.p as number[]).push(2); // the caller's object: not the stored one
    st.appendLog([le(3, 2)], 3);
    const out = st.load();
    expect(out.log.map((e) => `${e.index}@${e.term}`)).toEqual(['1@1', '2@1', '3@2']);
    expect(out.log[0]!.params).toEqual({ p: [1] });
    out.log.pop();
    expect(st.load().log).toHaveLength(3);
    st.appendLog([], 2); // truncate
    expect(st.logLength).toBe(1);
    expect(st.writes.log).toBe(3);
  });

  it('strict mode refuses what a Raft node must never write', () => {
    const st = new MemorySwarmStore();
    st.saveVote(2, null);
    st.saveVote(2, 'A');
    st.saveVote(2, 'A');
    expect(() => st.saveVote(2, 'B')).toThrow(/second vote/);
    expect(() => st.saveVote(2, null)).toThrow(/second vote/);
    expect(() => st.saveVote(1, null)).toThrow(/goes back/);
    expect(() => st.appendLog([le(2, 1)], 2)).toThrow(/hole/);
    expect(() => st.appendLog([le(2, 1)], 1)).toThrow(/index/);
    st.reserveCounter(1024);
    expect(() => st.reserveCounter(10)).toThrow(/goes back/);
    const lax = new MemorySwarmStore({ strict: false });
    lax.saveVote(2, 'A');
    lax.saveVote(2, 'B');
    expect(lax.load().votedFor).toBe('B');
  });
});
