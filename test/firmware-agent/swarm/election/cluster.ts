/**
 * Elections on the simulated network, with the Raft safety checks wired in: every role, term
 * and leader change on any node re-checks the whole constellation.
 */
import { isPreVote } from '../../../../firmware-agent/swarm/candidate-rank.js';
import { Election } from '../../../../firmware-agent/swarm/election.js';
import type { ElectionConfig } from '../../../../firmware-agent/swarm/election-config.js';
import type { LogEntry } from '../../../../firmware-agent/swarm/messages.js';
import type { NodeId } from '../../../../firmware-agent/swarm/types.js';
import { SimNet, type SimNode, type SimNetOptions } from '../sim-net.js';

/** One node of the simulated network: its election. */
export interface ElectionNode extends SimNode {
  election: Election;
}

export interface ClusterOptions extends SimNetOptions {
  n: number;
  config?: Partial<ElectionConfig>;
  /** Configured standby nodes. */
  standby?: readonly NodeId[];
  /** Record every `onCommit` delivery (default true). */
  recordCommits?: boolean;
}

export interface Cluster {
  net: SimNet<ElectionNode>;
  ids: NodeId[];
  /** Health of each node, 0..1 (mutable; default 1). */
  health: Map<NodeId, number>;
  checker: Checker;
  node(id: NodeId): Election;
  /** Nodes that are up and lead. */
  leaders(): Election[];
  /** The one leader every up node follows, when there is exactly such a leader. */
  agreedLeader(): NodeId | null;
  /** Propose on the current leader (if any); returns the logged entry. */
  propose(tag: string): LogEntry | null;
}

export const ids = (n: number): NodeId[] => Array.from({ length: n }, (_, i) => `SAT-${i + 1}`);

export function entry(cid: string): Omit<LogEntry, 'index' | 'term'> {
  return { cid, action: 'test.act', params: { k: cid }, deadlineMs: 30_000, proposedAt: 0, targets: [] };
}

/** Raft's safety properties, checked as the run goes. */
export class Checker {
  readonly violations: string[] = [];
  /** term → the node that led it. */
  readonly leaderOfTerm = new Map<number, NodeId>();
  /** index → the entry committed there (by anyone, ever). */
  readonly ledger = new Map<number, LogEntry>();
  /** Number of commit events (no-ops included), `onCommit` deliveries, elections. */
  delivered = 0;
  applied = 0;
  /** Indices delivered by `onCommit`, per node, over all its lifetimes. */
  readonly appliedBy: Record<NodeId, number[]> = {};
  elections = 0;
  checks = 0;

  constructor(private readonly net: () => SimNet<ElectionNode> | undefined) {}

  fail(msg: string): void {
    if (this.violations.length < 20) this.violations.push(msg);
  }

  /** Election safety, on every state change, using each leader's persisted term. */
  checkLeaders(): void {
    const net = this.net();
    if (!net) return;
    this.checks++;
    const seen = new Map<number, NodeId>();
    for (const id of net.upIds()) {
      const e = net.node(id).election;
      const persisted = net.store(id).persistedTerm;
      if (persisted !== e.term) this.fail(`${id}: term ${e.term} but persisted ${persisted}`);
      if (e.role !== 'leader') continue;
      const other = seen.get(persisted);
      if (other !== undefined && other !== id) this.fail(`two leaders in term ${persisted}: ${other} and ${id}`);
      seen.set(persisted, id);
      const before = this.leaderOfTerm.get(persisted);
      if (before !== undefined && before !== id) this.fail(`term ${persisted} led by ${before}, then by ${id}`);
      this.leaderOfTerm.set(persisted, id);
    }
  }

  /** "term voter" → the candidate it voted for (over all its lifetimes). */
  readonly votes = new Map<string, NodeId>();

  /** One vote per term: every granted `vote` a node sends, across restarts. */
  onVoteSent(voter: NodeId, candidate: NodeId, term: number): void {
    const key = `${term} ${voter}`;
    const before = this.votes.get(key);
    if (before !== undefined && before !== candidate) this.fail(`${voter} voted twice in term ${term}: for ${before} and ${candidate}`);
    this.votes.set(key, candidate);
  }

  /** Leader completeness: a new leader holds everything committed so far. */
  onElected(id: NodeId, e: Election): void {
    this.elections++;
    for (const [i, c] of this.ledger) {
      const mine = e.log[i - 1];
      if (!mine || mine.term !== c.term || mine.cid !== c.cid) this.fail(`leader ${id} (term ${e.term}) lacks committed entry ${i} (${c.cid}@${c.term})`);
    }
  }

  /** State machine safety: one entry per index, ever; in order, once, per lifetime. */
  onCommit(id: NodeId, index: number, entry: LogEntry, expected: number): void {
    if (index !== expected) this.fail(`${id}: commit delivered index ${index}, expected ${expected}`);
    if (entry.index !== index) this.fail(`${id}: entry ${entry.index} delivered as ${index}`);
    const c = this.ledger.get(index);
    if (!c) this.ledger.set(index, { ...entry });
    else if (c.term !== entry.term || c.cid !== entry.cid) this.fail(`index ${index} committed as ${c.cid}@${c.term} and as ${entry.cid}@${entry.term} (on ${id})`);
  }

  /** Log matching on committed prefixes of every node (up or not). */
  checkPrefixes(): void {
    const net = this.net();
    if (!net) return;
    for (const id of net.ids) {
      const e = net.node(id).election;
      for (let i = 1; i <= e.commitIndex; i++) {
        const mine = e.log[i - 1];
        const c = this.ledger.get(i);
        if (!mine || !c || mine.term !== c.term || mine.cid !== c.cid) {
          this.fail(`${id}: committed entry ${i} differs from the ledger (${mine?.cid}@${mine?.term} vs ${c?.cid}@${c?.term})`);
          break;
        }
      }
    }
  }
}

export function makeCluster(opts: ClusterOptions): Cluster {
  const names = ids(opts.n);
  const health = new Map<NodeId, number>(names.map((id) => [id, 1]));
  let net: SimNet<ElectionNode> | undefined;
  const checker = new Checker(() => net);
  const standby = new Set(opts.standby ?? []);
  net = new SimNet<ElectionNode>(
    names,
    (env) => {
      let expected = 1;
      let lastDelivered = 0;
      const e: Election = new Election({
        self: env.id,
        members: env.ids,
        outbox: {
          send: (to, msg, o) => {
            // Pre-votes are advice, not votes: one per term is not their rule.
            if (msg.t === 'vote' && msg.granted && !isPreVote(msg)) checker.onVoteSent(env.id, to, msg.term);
            return env.outbox.send(to, msg, o);
          },
        },
        store: env.store,
        clock: env.clock,
        random: env.random,
        health: () => health.get(env.id) ?? 1,
        config: { ...opts.config, standby: standby.has(env.id) },
        onCommit: (entry) => {
          if (entry.index <= lastDelivered) checker.fail(`${env.id}#${env.incarnation}: onCommit delivered index ${entry.index} after ${lastDelivered}`);
          lastDelivered = entry.index;
          checker.applied++;
          if (opts.recordCommits ?? true) (checker.appliedBy[env.id] ??= []).push(entry.index);
        },
      });
      e.on('role', (role) => {
        checker.checkLeaders();
        if (role === 'leader') checker.onElected(env.id, e);
      });
      e.on('term', () => checker.checkLeaders());
      e.on('leader', () => checker.checkLeaders());
      e.on('commit', (index, entry) => {
        checker.delivered++;
        checker.onCommit(env.id, index, entry, expected);
        expected = index + 1;
      });
      return { inbox: e.onMessage, start: () => e.start(), stop: () => e.stop(), election: e };
    },
    opts,
  );
  const realNet = net;
  const cluster: Cluster = {
    net: realNet,
    ids: names,
    health,
    checker,
    node: (id) => realNet.node(id).election,
    leaders: () => realNet.upIds().map((id) => cluster.node(id)).filter((e) => e.role === 'leader'),
    agreedLeader: () => {
      const up = realNet.upIds();
      const ls = up.map((id) => cluster.node(id)).filter((e) => e.role === 'leader');
      if (ls.length !== 1) return null;
      const l = ls[0]!;
      for (const id of up) if (cluster.node(id).leader !== l.self) return null;
      return l.self;
    },
    propose: (tag) => {
      const ls = cluster.leaders().filter((e) => e.hasLease);
      return ls[0]?.propose(entry(tag)) ?? null;
    },
  };
  return cluster;
}
