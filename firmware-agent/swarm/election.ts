import { createActor, type Actor } from 'xstate';
import { xstateClock, type Timer } from '../../hal/time/clock.js';
import { Emitter } from '../../hal/util/emitter.js';
import { electionMachine, stateOf } from './election-machine.js';
import type { LogEntry, SwarmMessage, SwarmMessageOf, SwarmRole } from './messages.js';
import { RaftLog } from './raft-log.js';
import { BROADCAST, type NodeId, type Outbox, type Qos, type SwarmClock, type SwarmStore } from './types.js';

/**
 * Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm", 2014) for
 * the constellation: leader election (§5.2) and log replication (§5.3, §5.4), with the
 * README's additions — health-aware candidacy, a standby role, and a leader lease that makes a
 * leader cut off from a quorum step down. The role and its timers are an xstate machine
 * (`election-machine.ts`); this class holds the Raft state and implements its actions.
 *
 * Persistence (`SwarmStore`, synchronous and durable by contract): `currentTerm`/`votedFor` are
 * saved before a vote is answered, before a candidacy sends anything, and whenever a higher
 * term is adopted; log changes are saved before they are acknowledged or counted. The commit
 * index is volatile and re-learned from the leader after a restart.
 *
 * Wire: `vote_req`, `vote`, `append`, `append_ack` only, sent at QoS 0 (Raft retries by
 * itself: heartbeats resend whatever is missing). On a refused `append`, `append_ack.match`
 * carries a hint — the index after which the leader should retry — so the leader backs off
 * nextIndex by more than one entry at a time.
 *
 * Commit: an entry commits when stored on a quorum and of the leader's current term (§5.4.2);
 * earlier entries commit with it. A new leader appends a no-op of its term (§8) so that what a
 * deposed leader left behind commits without waiting for a proposal. Every node delivers
 * committed entries in index order, each once per process lifetime (`commit` event, and
 * `onCommit` for all but the no-ops); after a restart delivery starts again from index 1 as the
 * commit index is re-learned (applying is idempotent by `cid` at the agent level).
 *
 * Split votes: with 300–600 ms timeouts against 50–100 ms latency, two followers often time
 * out within one latency of each other. Votes stay Raft's; only the candidates' retry timing
 * is biased (`split_vote_tiebreak`, see `candidateTimeoutMs`) so that the next round has one
 * clear first candidate. Off, the node is plain Raft.
 *
 * Events (`role`, `term`, `leader`) are queued during a state change and emitted once it is
 * complete, so a listener never sees, say, a node that leads a term it has already left.
 */

export interface ElectionConfig {
  /** Randomised election timeout, uniform in [min, max] ms. */
  election_timeout_min_ms: number;
  election_timeout_max_ms: number;
  /** Leader heartbeat (empty `append`) period, ms. */
  heartbeat_ms: number;
  /** A leader that has not heard a quorum (acks) for this long steps down, ms. */
  lease_ms: number;
  /** Below this health (0..1) a node does not stand, and a leader steps down. */
  stand_threshold: number;
  /** Quorum: majority of members (floor(n/2)+1), or two thirds (ceil(2n/3)). */
  quorum: 'majority' | 'two_thirds';
  /** Start as standby (votes and replicates, never stands). */
  standby: boolean;
  /** At most this many entries in one `append` (the rest follows on the acks). */
  max_entries_per_append: number;
  /** A new leader appends a no-op entry of its term, so entries of earlier terms commit
   *  without waiting for a new proposal (Raft §5.4.2, §8). Not delivered to `onCommit`. */
  noop_on_election: boolean;
  /** After a split vote, the higher-ranked candidate (log, then a per-term hash of its id)
   *  stands again first and the others yield (a liveness heuristic; see `candidateTimeoutMs`). */
  split_vote_tiebreak: boolean;
  /** Send vote requests, and appends that are the same for every peer (heartbeats in the
   *  steady state), once to BROADCAST rather than once per peer. */
  broadcast: boolean;
}

export const ELECTION_DEFAULTS: Readonly<ElectionConfig> = Object.freeze({
  election_timeout_min_ms: 300,
  election_timeout_max_ms: 600,
  heartbeat_ms: 100,
  lease_ms: 500,
  stand_threshold: 0.5,
  quorum: 'majority',
  standby: false,
  max_entries_per_append: 16,
  noop_on_election: true,
  split_vote_tiebreak: true,
  broadcast: true,
});

/** Action of the leader's no-op entry (never delivered to `onCommit`). */
export const NOOP_ACTION = 'raft.noop';

export type ProposedEntry = Omit<LogEntry, 'index' | 'term'>;

export interface ElectionOptions extends SwarmClock {
  self: NodeId;
  /** Every voting member, self included. */
  members: readonly NodeId[];
  outbox: Outbox;
  store: SwarmStore;
  /** This node's health, 0..1 (read when deciding to stand and at every leader heartbeat). */
  health?: () => number;
  config?: Partial<ElectionConfig>;
  /** Each committed application entry, in index order, once per index per process lifetime. */
  onCommit?: (entry: LogEntry) => void;
  /** QoS of Raft messages (default 0). */
  qos?: Qos;
}

export interface ElectionEvents {
  role: [role: SwarmRole, term: number];
  leader: [leader: NodeId | null, term: number];
  term: [term: number];
  /** Every index as it commits (no-ops included), in order, once per process lifetime. */
  commit: [index: number, entry: LogEntry];
  /** `onCommit` threw (the entry still counts as delivered). */
  applyError: [err: unknown, entry: LogEntry];
}

export interface ElectionStats {
  votesGranted: number;
  votesRefused: number;
  candidacies: number;
  elected: number;
  leaseLost: number;
  stepDownHealth: number;
  appendsRefused: number;
  /** Messages that break the protocol (e.g. an `append` of our own term while we lead). */
  anomalies: number;
}

export function quorumSize(n: number, kind: ElectionConfig['quorum']): number {
  return kind === 'two_thirds' ? Math.ceil((2 * n) / 3) : Math.floor(n / 2) + 1;
}

export class Election extends Emitter<ElectionEvents> {
  readonly self: NodeId;
  readonly members: readonly NodeId[];
  readonly peers: readonly NodeId[];
  readonly quorum: number;
  readonly config: Readonly<ElectionConfig>;
  readonly stats: ElectionStats = { votesGranted: 0, votesRefused: 0, candidacies: 0, elected: 0, leaseLost: 0, stepDownHealth: 0, appendsRefused: 0, anomalies: 0 };

  private readonly opts: ElectionOptions;
  private readonly health: () => number;
  private readonly raftLog: RaftLog;
  private readonly actor: Actor<typeof electionMachine>;
  private readonly qos: Qos;

  // Persistent (mirrored in the store).
  private currentTerm: number;
  private votedForId: NodeId | null;
  // Volatile.
  private roleNow: SwarmRole = 'follower';
  private leaderId: NodeId | null = null;
  private commit = 0;
  private applied = 0;
  private applying = false;
  private started = false;
  private stopped = false;
  // Candidate.
  private votes = new Set<NodeId>();
  // Leader.
  private readonly nextIndex = new Map<NodeId, number>();
  private readonly matchIndex = new Map<NodeId, number>();
  /** Last time each peer answered us in our current term as leader (vote or ack). */
  private readonly lastAck = new Map<NodeId, number>();
  private flushTimer: Timer | undefined;
  private readonly notes: (() => void)[] = [];
  /** The current candidacy: when it started, its random draw, competitors seen. */
  private candidacy = { start: 0, draw: 0, outranked: false, outranks: false };

  constructor(opts: ElectionOptions) {
    super();
    this.opts = opts;
    this.self = opts.self;
    this.config = { ...ELECTION_DEFAULTS, ...opts.config };
    validateConfig(this.config);
    const members = [...new Set(opts.members)];
    if (members.length !== opts.members.length) throw new Error(`election: duplicate members in ${opts.members.join(', ')}`);
    if (!members.includes(opts.self)) throw new Error(`election: ${opts.self} is not among the members (${members.join(', ')})`);
    this.members = members;
    this.peers = members.filter((m) => m !== opts.self);
    this.quorum = quorumSize(members.length, this.config.quorum);
    this.health = opts.health ?? (() => 1);
    this.qos = opts.qos ?? 0;

    const loaded = opts.store.load();
    this.currentTerm = loaded.term;
    this.votedForId = loaded.votedFor;
    this.raftLog = new RaftLog(opts.store, loaded.log);
    if (this.raftLog.lastTerm > this.currentTerm) throw new Error(`swarm store: log has term ${this.raftLog.lastTerm} beyond the persisted term ${this.currentTerm}`);

    const cfg = this.config;
    const machine = electionMachine.provide({
      actions: {
        enterRole: (_, p) => this.enterRole(p.role),
        startCandidacy: () => this.startCandidacy(),
        becomeLeader: () => this.becomeLeader(),
        sendHeartbeats: () => this.sendHeartbeats(),
        endLeadership: () => this.endLeadership(),
        forgetLeader: () => this.setLeader(null),
        noteLeaseLost: () => void this.stats.leaseLost++,
        noteUnhealthy: () => void this.stats.stepDownHealth++,
      },
      guards: {
        canStand: () => this.canStand(),
        wonVotes: () => this.votes.size >= this.quorum,
        leaseLost: () => this.clock.now() >= this.leaseExpiry() - 1e-6,
        unhealthy: () => !(this.health() >= cfg.stand_threshold),
      },
      delays: {
        electionTimeout: () => cfg.election_timeout_min_ms + this.opts.random() * (cfg.election_timeout_max_ms - cfg.election_timeout_min_ms),
        heartbeat: () => cfg.heartbeat_ms,
        candidateTimeout: () => Math.max(0, this.candidacy.start + this.candidateTimeoutMs() - this.clock.now()),
        // Capped at lease_ms: with no lease to lose (a quorum of one) it is re-checked at leisure.
        leaseCheck: () => Math.min(cfg.lease_ms, Math.max(1, this.leaseExpiry() - this.clock.now())),
      },
    });
    this.actor = createActor(machine, { input: { standby: cfg.standby }, clock: xstateClock(opts.clock) });
    this.actor.subscribe(() => this.flush());
    this.roleNow = cfg.standby ? 'standby' : 'follower';
  }

  // ── state ──────────────────────────────────────────────────────────────────────────────

  get role(): SwarmRole {
    return this.roleNow;
  }

  get term(): number {
    return this.currentTerm;
  }

  get votedFor(): NodeId | null {
    return this.votedForId;
  }

  /** The leader this node follows (itself when leading), or null when it knows none. */
  get leader(): NodeId | null {
    return this.leaderId;
  }

  get commitIndex(): number {
    return this.commit;
  }

  /** Highest index delivered (commit event / onCommit) in this process lifetime. */
  get lastApplied(): number {
    return this.applied;
  }

  /** The whole log (read-only view: do not mutate). */
  get log(): readonly LogEntry[] {
    return this.raftLog.view();
  }

  /** Committed entries, no-ops included. */
  committed(): LogEntry[] {
    return this.raftLog.view().slice(0, this.commit);
  }

  /** Leader that has heard a quorum within lease_ms (what a reader of `leader` should trust). */
  get hasLease(): boolean {
    return this.roleNow === 'leader' && this.clock.now() < this.leaseExpiry() - 1e-6;
  }

  get running(): boolean {
    return this.started && !this.stopped;
  }

  /** The machine's state (for tests and diagnostics). */
  get state(): string {
    return stateOf(this.actor.getSnapshot().value);
  }

  // ── lifecycle and commands ─────────────────────────────────────────────────────────────

  start(): void {
    if (this.started) return;
    this.started = true;
    this.actor.start();
    this.flush();
  }

  /** Stops every timer and ignores all further messages (a crash, or shutdown). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    this.actor.stop();
  }

  /** Standby: keep voting and replicating, never stand (a leader steps down). */
  demote(): void {
    if (this.running) this.actor.send({ type: 'DEMOTE' });
    this.flush();
  }

  promote(): void {
    if (this.running) this.actor.send({ type: 'PROMOTE' });
    this.flush();
  }

  /** Tell the node its health may have changed: a leader below the threshold steps down now
   *  (otherwise at its next heartbeat). */
  healthChanged(): void {
    if (this.running) this.actor.send({ type: 'CHECK_HEALTH' });
    this.flush();
  }

  /**
   * Leader only: append an entry of the current term and replicate it. Returns the entry as
   * logged (with index and term), or null when this node is not the leader. Committed once a
   * quorum stores it; delivered through `onCommit` on every node.
   */
  propose(entry: ProposedEntry): LogEntry | null {
    if (!this.running || this.roleNow !== 'leader') return null;
    const e: LogEntry = { ...entry, index: this.raftLog.lastIndex + 1, term: this.currentTerm };
    this.raftLog.append(e);
    this.advanceCommit(); // a single-member constellation commits at once
    this.scheduleFlush();
    this.flush();
    return e;
  }

  /**
   * Feed every message from an authenticated member here. Any message carrying a higher term
   * (the Raft kinds, but also `health`, `propose`, `ballot`) makes the node adopt that term and
   * follow (a standby stays standby); only the Raft kinds are acted on beyond that.
   */
  readonly onMessage = (from: NodeId, msg: SwarmMessage): void => {
    if (!this.running || from === this.self || !this.members.includes(from)) return;
    const term = 'term' in msg && typeof msg.term === 'number' ? msg.term : undefined;
    try {
      if (term !== undefined && term > this.currentTerm) this.adoptTerm(term);
      switch (msg.t) {
        case 'vote_req':
          return this.onVoteRequest(from, msg);
        case 'vote':
          return this.onVote(from, msg);
        case 'append':
          return this.onAppend(from, msg);
        case 'append_ack':
          return this.onAppendAck(from, msg);
      }
    } finally {
      this.flush();
    }
  };

  // ── receiving ──────────────────────────────────────────────────────────────────────────

  private onVoteRequest(from: NodeId, msg: SwarmMessageOf<'vote_req'>): void {
    if (this.roleNow === 'candidate' && msg.term === this.currentTerm && this.config.split_vote_tiebreak) {
      // A competitor in our term: a split vote is likely. The higher-ranked candidate stands
      // again first; the other yields (see `candidateTimeoutMs`).
      const theirs = rank(msg.term, from, msg.lastLogTerm, msg.lastLogIndex);
      const ours = rank(msg.term, this.self, this.raftLog.lastTerm, this.raftLog.lastIndex);
      if (compareRank(theirs, ours) > 0) this.candidacy.outranked = true;
      else this.candidacy.outranks = true;
      this.actor.send({ type: 'COMPETITOR' });
    }
    const upToDate = msg.lastLogTerm > this.raftLog.lastTerm || (msg.lastLogTerm === this.raftLog.lastTerm && msg.lastLogIndex >= this.raftLog.lastIndex);
    const grant = msg.term === this.currentTerm && (this.votedForId === null || this.votedForId === from) && upToDate;
    if (grant) {
      if (this.votedForId !== from) {
        this.votedForId = from;
        this.opts.store.saveVote(this.currentTerm, from); // durable before the answer leaves
      }
      this.stats.votesGranted++;
    } else {
      this.stats.votesRefused++;
    }
    this.send(from, { t: 'vote', term: this.currentTerm, granted: grant });
    if (grant) this.actor.send({ type: 'GRANTED_VOTE' });
  }

  private onVote(from: NodeId, msg: SwarmMessageOf<'vote'>): void {
    if (this.roleNow !== 'candidate' || msg.term !== this.currentTerm || !msg.granted) return;
    this.votes.add(from);
    this.lastAck.set(from, this.clock.now());
    this.actor.send({ type: 'VOTE' });
  }

  private onAppend(from: NodeId, msg: SwarmMessageOf<'append'>): void {
    if (msg.term < this.currentTerm) {
      this.send(from, { t: 'append_ack', term: this.currentTerm, success: false, match: 0 });
      return;
    }
    // msg.term === currentTerm from here: `from` is this term's leader.
    if (this.roleNow === 'leader') {
      this.stats.anomalies++; // two leaders in one term: impossible under Raft
      return;
    }
    if (!wellFormed(msg)) {
      this.stats.anomalies++;
      return;
    }
    this.actor.send({ type: 'HEARD_LEADER' }); // candidate → follower; timers restart
    this.setLeader(from);
    const prevTerm = this.raftLog.termAt(msg.prevIndex);
    if (prevTerm === undefined || prevTerm !== msg.prevTerm) {
      this.stats.appendsRefused++;
      // Hint: retry after our last entry, or before the whole run of the conflicting term.
      let hint: number;
      if (prevTerm === undefined) hint = this.raftLog.lastIndex;
      else {
        hint = msg.prevIndex - 1;
        while (hint > this.commit && this.raftLog.termAt(hint) === prevTerm) hint--;
      }
      this.send(from, { t: 'append_ack', term: this.currentTerm, success: false, match: hint });
      return;
    }
    if (!this.raftLog.merge(msg.entries, this.commit)) {
      this.stats.anomalies++; // would remove a committed entry: refuse
      return;
    }
    const match = msg.prevIndex + msg.entries.length;
    // Commit only what this append proves we share with the leader (Raft Fig. 2, rule 5).
    const newCommit = Math.min(msg.commit, match);
    if (newCommit > this.commit) {
      this.commit = newCommit;
      this.applyCommitted();
    }
    this.send(from, { t: 'append_ack', term: this.currentTerm, success: true, match });
  }

  private onAppendAck(from: NodeId, msg: SwarmMessageOf<'append_ack'>): void {
    if (this.roleNow !== 'leader' || msg.term !== this.currentTerm) return;
    this.lastAck.set(from, this.clock.now());
    const matched = this.matchIndex.get(from) ?? 0;
    if (msg.success) {
      const m = Math.min(msg.match, this.raftLog.lastIndex);
      if (m > matched) this.matchIndex.set(from, m);
      if (m + 1 > (this.nextIndex.get(from) ?? 1)) this.nextIndex.set(from, m + 1);
      this.advanceCommit();
      if ((this.nextIndex.get(from) ?? 1) <= this.raftLog.lastIndex) this.sendAppend(from);
    } else {
      const next = this.nextIndex.get(from) ?? 1;
      const backTo = Math.max(matched + 1, Math.min(next - 1, msg.match + 1), 1);
      if (backTo < next) {
        this.nextIndex.set(from, backTo);
        this.sendAppend(from);
      }
    }
  }

  // ── machine actions ────────────────────────────────────────────────────────────────────

  private enterRole(role: SwarmRole): void {
    if (role === this.roleNow) return;
    this.roleNow = role;
    if (role === 'candidate') this.setLeader(null);
    const term = this.currentTerm;
    this.notify(() => this.emit('role', role, term));
  }

  private startCandidacy(): void {
    this.currentTerm++;
    this.votedForId = this.self;
    this.opts.store.saveVote(this.currentTerm, this.self); // durable before any vote_req leaves
    this.stats.candidacies++;
    this.votes = new Set([this.self]);
    this.candidacy = { start: this.clock.now(), draw: this.opts.random(), outranked: false, outranks: false };
    this.lastAck.clear();
    this.setLeader(null);
    const term = this.currentTerm;
    this.notify(() => this.emit('term', term));
    const req: SwarmMessage = { t: 'vote_req', term: this.currentTerm, lastLogIndex: this.raftLog.lastIndex, lastLogTerm: this.raftLog.lastTerm };
    if (this.config.broadcast && this.peers.length > 1) this.send(BROADCAST, req);
    else for (const p of this.peers) this.send(p, req);
  }

  private becomeLeader(): void {
    this.stats.elected++;
    const next = this.raftLog.lastIndex + 1;
    for (const p of this.peers) {
      this.nextIndex.set(p, next);
      this.matchIndex.set(p, 0);
    }
    this.setLeader(this.self);
    if (this.config.noop_on_election) {
      const e: LogEntry = { index: next, term: this.currentTerm, cid: `${NOOP_ACTION}:${this.currentTerm}:${this.self}`, action: NOOP_ACTION, params: {}, deadlineMs: 0, proposedAt: Math.max(0, Math.floor(this.clock.now())), targets: [] };
      this.raftLog.append(e);
    }
    this.advanceCommit();
    // The first heartbeat (which carries the no-op) follows from the `beat.tick` entry.
  }

  private endLeadership(): void {
    this.nextIndex.clear();
    this.matchIndex.clear();
    this.lastAck.clear();
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    if (this.leaderId === this.self) this.setLeader(null);
  }

  private sendHeartbeats(): void {
    this.replicate(this.peers);
  }

  /**
   * One `append` to each of `peers`, from its nextIndex. When they all stand at the same
   * nextIndex the message is the same for all, and goes out once, broadcast: on a radio that
   * sends one packet at a time that is one airtime instead of n − 1 (the steady state: every
   * heartbeat; and every proposal while all are in sync).
   */
  private replicate(peers: readonly NodeId[]): void {
    if (peers.length === 0) return;
    const first = this.nextIndex.get(peers[0]!);
    if (this.config.broadcast && peers.length === this.peers.length && peers.length > 1 && peers.every((p) => this.nextIndex.get(p) === first)) {
      this.send(BROADCAST, this.appendFrom(first ?? this.raftLog.lastIndex + 1));
      return;
    }
    for (const p of peers) this.sendAppend(p);
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────

  private get clock() {
    return this.opts.clock;
  }

  /**
   * How long a candidacy waits for a quorum before the node stands again. Plain Raft: a fresh
   * uniform draw in [election_timeout_min_ms, election_timeout_max_ms]. With
   * `split_vote_tiebreak`, once a competitor of the same term has been seen (a split vote is
   * likely): the higher-ranked candidate stands again after exactly election_timeout_min_ms —
   * ahead of every follower, whose timers restarted with at least that much when they voted —
   * and the lower-ranked one yields, waiting in [max, 2·max − min], so that it votes for the
   * other in the next term. Only timing changes: votes, terms and quorums are Raft's.
   */
  private candidateTimeoutMs(): number {
    const c = this.config;
    const span = c.election_timeout_max_ms - c.election_timeout_min_ms;
    const { draw, outranked, outranks } = this.candidacy;
    if (outranked) return c.election_timeout_max_ms + draw * span;
    if (outranks) return c.election_timeout_min_ms;
    return c.election_timeout_min_ms + draw * span;
  }

  private canStand(): boolean {
    return !this.stopped && this.health() >= this.config.stand_threshold;
  }

  private adoptTerm(term: number): void {
    this.currentTerm = term;
    this.votedForId = null;
    this.opts.store.saveVote(term, null);
    this.votes.clear();
    this.setLeader(null);
    this.notify(() => this.emit('term', term));
    this.actor.send({ type: 'NEW_TERM' }); // candidate, leader → follower
  }

  /** Events are queued while the node changes state and emitted once it is consistent (after
   *  each machine step and at the end of every public method), so a listener always sees a
   *  whole state: never a leader of a term it has already left, say. */
  private notify(fn: () => void): void {
    this.notes.push(fn);
  }

  private flush(): void {
    while (this.notes.length > 0) this.notes.shift()!();
  }

  private setLeader(id: NodeId | null): void {
    if (id === this.leaderId) return;
    this.leaderId = id;
    const term = this.currentTerm;
    this.notify(() => this.emit('leader', id, term));
  }

  /** When the lease ends: the quorum-th most recent answer (self counts as now) + lease_ms. */
  private leaseExpiry(): number {
    const need = this.quorum - 1;
    if (need <= 0) return Infinity;
    const acks = this.peers.map((p) => this.lastAck.get(p) ?? -Infinity).sort((a, b) => b - a);
    return (acks[need - 1] ?? -Infinity) + this.config.lease_ms;
  }

  private sendAppend(peer: NodeId): void {
    this.send(peer, this.appendFrom(this.nextIndex.get(peer) ?? this.raftLog.lastIndex + 1));
  }

  private appendFrom(next: number): SwarmMessageOf<'append'> {
    const prevIndex = next - 1;
    const entries = this.raftLog.slice(next, this.config.max_entries_per_append);
    return { t: 'append', term: this.currentTerm, prevIndex, prevTerm: this.raftLog.termAt(prevIndex) ?? 0, entries, commit: this.commit };
  }

  /** Coalesce the proposals of one instant into one round of appends. */
  private scheduleFlush(): void {
    if (this.flushTimer || this.peers.length === 0) return;
    this.flushTimer = this.clock.setTimer(0, () => {
      this.flushTimer = undefined;
      if (!this.running || this.roleNow !== 'leader') return;
      this.replicate(this.peers.filter((p) => (this.nextIndex.get(p) ?? 1) <= this.raftLog.lastIndex));
    });
  }

  /** Leader: the highest index of the current term stored on a quorum commits (Raft §5.4.2). */
  private advanceCommit(): void {
    for (let n = this.raftLog.lastIndex; n > this.commit; n--) {
      if (this.raftLog.termAt(n) !== this.currentTerm) break; // earlier terms commit only indirectly
      let count = 1;
      for (const p of this.peers) if ((this.matchIndex.get(p) ?? 0) >= n) count++;
      if (count >= this.quorum) {
        this.commit = n;
        this.applyCommitted();
        return;
      }
    }
  }

  private applyCommitted(): void {
    if (this.applying) return;
    this.applying = true;
    try {
      while (this.applied < this.commit) {
        const e = this.raftLog.at(this.applied + 1);
        if (!e) break;
        this.applied = e.index;
        this.emit('commit', e.index, e);
        if (e.action !== NOOP_ACTION && this.opts.onCommit) {
          try {
            this.opts.onCommit(e);
          } catch (err) {
            this.emit('applyError', err, e);
          }
        }
      }
    } finally {
      this.applying = false;
    }
  }

  private send(to: NodeId | typeof BROADCAST, msg: SwarmMessage): void {
    this.opts.outbox.send(to, msg, { qos: this.qos });
  }
}

type Rank = readonly [lastLogTerm: number, lastLogIndex: number, hash: number, id: NodeId];

/** A candidate's rank in one term: more up-to-date log first, then a per-term hash of its id
 *  (so no node is always preferred), then the id. Every node computes the same order. */
function rank(term: number, id: NodeId, lastLogTerm: number, lastLogIndex: number): Rank {
  let h = (2166136261 ^ term) >>> 0; // FNV-1a over the term and the id
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return [lastLogTerm, lastLogIndex, h, id];
}

function compareRank(a: Rank, b: Rank): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) > (b[i] as number) ? 1 : -1;
  return a[3] === b[3] ? 0 : a[3] > b[3] ? 1 : -1;
}

function wellFormed(msg: SwarmMessageOf<'append'>): boolean {
  let prevTerm = msg.prevTerm;
  for (let i = 0; i < msg.entries.length; i++) {
    const e = msg.entries[i]!;
    if (e.index !== msg.prevIndex + 1 + i || e.term < prevTerm || e.term > msg.term) return false;
    prevTerm = e.term;
  }
  return true;
}

function validateConfig(c: ElectionConfig): void {
  const bad = (why: string): never => {
    throw new RangeError(`election config: ${why}`);
  };
  if (!(c.election_timeout_min_ms > 0) || !(c.election_timeout_max_ms >= c.election_timeout_min_ms)) bad('need 0 < election_timeout_min_ms ≤ election_timeout_max_ms');
  if (!(c.heartbeat_ms > 0) || !(c.heartbeat_ms < c.election_timeout_min_ms)) bad('need 0 < heartbeat_ms < election_timeout_min_ms');
  if (!(c.lease_ms > c.heartbeat_ms)) bad('need lease_ms > heartbeat_ms');
  if (!(c.stand_threshold >= 0 && c.stand_threshold <= 1)) bad('stand_threshold must be in 0..1');
  if (!(Number.isInteger(c.max_entries_per_append) && c.max_entries_per_append >= 1)) bad('max_entries_per_append must be an integer ≥ 1');
}
