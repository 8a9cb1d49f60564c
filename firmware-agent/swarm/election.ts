import { createActor, type Actor } from 'xstate';
import { xstateClock } from '../../hal/time/clock.js';
import { Emitter } from '../../hal/util/emitter.js';
import { compareRank, isPreVote, preVote, rank } from './candidate-rank.js';
import { quorumSize } from './consensus-types.js';
import {
  ELECTION_DEFAULTS, NOOP_ACTION, validateConfig,
  type ElectionConfig, type ElectionEvents, type ElectionOptions, type ElectionStats, type ProposedEntry,
} from './election-config.js';
import { electionMachine, stateOf } from './election-machine.js';
import type { LogEntry, SwarmMessage, SwarmMessageOf, SwarmRole } from './messages.js';
import { RaftLog } from './raft-log.js';
import { LeaderReplication } from './replication.js';
import { BROADCAST, type NodeId, type Qos } from './types.js';

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
 * itself). The leader's side of replication — follower progress, flow control sized to the
 * radio, heartbeats, commit by quorum, the lease — is `LeaderReplication` (replication.ts);
 * this class keeps the follower's side (`onAppend`) and everything about terms and votes.
 *
 * PreVote (Raft thesis §9.6, `pre_vote`, on by default): before a candidacy a node asks every
 * member whether it would vote for it in the next term — a `vote_req`/`vote` carrying
 * `pre: true`, which changes no term, vote or role anywhere. A member refuses while it has
 * heard a leader within `election_timeout_min_ms` (or leads with a lease), or when the
 * asker's log is behind. Only on a quorum of pre-votes does the node stand. A node that cannot
 * reach a quorum (rebooted with a stale log, partitioned) therefore never raises its term and
 * never forces a working leader to step down when it comes back. Safety is Raft's: pre-votes
 * decide nothing; the real vote follows. A refused pre-vote answers with the member's term,
 * which a node that was away adopts (so a rejoining node learns the current term at once).
 * `pre` is an optional field of both schemas in `messages.ts`, carried by the ISL codec
 * (ISL-FORMAT.md §6); a test pins that down (test/firmware-agent/swarm/election/pre-vote.test.ts).
 *
 * Commit: a new leader appends a no-op of its term (§8) so that what a
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
 *
 * The machine's actions never throw (a send that the transport refuses is counted in
 * `stats.sendErrors`): an xstate actor whose action throws stops for good, which used to leave
 * a node reporting `leader` forever while ignoring every later event. Should one throw anyway
 * (e.g. the store failing to persist a candidacy), the node fails safe: it drops any
 * leadership and starts a fresh machine as follower (`stats.machineErrors`).
 */

export class Election extends Emitter<ElectionEvents> {
  readonly self: NodeId;
  readonly members: readonly NodeId[];
  readonly peers: readonly NodeId[];
  readonly quorum: number;
  readonly config: Readonly<ElectionConfig>;
  readonly stats: ElectionStats = {
    votesGranted: 0, votesRefused: 0, preVotesGranted: 0, preVotesRefused: 0, preCandidacies: 0, candidacies: 0, elected: 0, leaseLost: 0,
    stepDownHealth: 0, appendsRefused: 0, anomalies: 0, appendsShipped: 0, appendsResent: 0, sendErrors: 0, machineErrors: 0,
  };
  /** The last error the role machine stopped on (see `stats.machineErrors`). */
  lastMachineError: unknown = undefined;

  private readonly opts: ElectionOptions;
  private readonly health: () => number;
  private readonly raftLog: RaftLog;
  private readonly machine: ReturnType<typeof electionMachine.provide>;
  private actor: Actor<typeof electionMachine>;
  private readonly qos: Qos;
  /** The leader's side: follower progress, lease, heartbeats, commit (replication.ts). */
  private readonly replication: LeaderReplication;

  // Persistent (mirrored in the store).
  private currentTerm: number;
  private votedForId: NodeId | null;
  // Volatile.
  private roleNow: SwarmRole = 'follower';
  private leaderId: NodeId | null = null;
  /** When the current leader was last heard (a valid `append`): pre-votes are refused within
   *  `election_timeout_min_ms` of it. */
  private leaderHeardAt = -Infinity;
  private commit = 0;
  private applied = 0;
  private applying = false;
  private started = false;
  private stopped = false;
  // Precandidate: pre-votes for currentTerm + 1, self included.
  private preVotes = new Set<NodeId>();
  // Candidate.
  private votes = new Set<NodeId>();
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
    this.replication = new LeaderReplication({
      clock: opts.clock, random: opts.random, config: this.config, peers: this.peers, quorum: this.quorum, log: this.raftLog, stats: this.stats, sizeOf: opts.sizeOf,
      term: () => this.currentTerm,
      role: () => this.roleNow,
      state: () => this.state,
      running: () => this.running,
      commitIndex: () => this.commit,
      commitTo: (n) => {
        this.commit = n;
        this.applyCommitted();
      },
      send: (to, msg) => this.send(to, msg),
      flushEvents: () => this.flush(),
    });

    const cfg = this.config;
    this.machine = electionMachine.provide({
      actions: {
        enterRole: (_, p) => this.enterRole(p.role),
        startPreVote: () => this.startPreVote(),
        startCandidacy: () => this.startCandidacy(),
        becomeLeader: () => this.becomeLeader(),
        sendHeartbeats: () => this.replication.replicate('tick'),
        endLeadership: () => this.endLeadership(),
        forgetLeader: () => this.setLeader(null),
        noteLeaseLost: () => void this.stats.leaseLost++,
        noteUnhealthy: () => void this.stats.stepDownHealth++,
      },
      guards: {
        canStand: () => this.canStand(),
        wonVotes: () => this.votes.size >= this.quorum,
        wonPreVotes: () => this.preVotes.size >= this.quorum,
        preVote: () => cfg.pre_vote,
        leaseLost: () => this.clock.now() >= this.replication.leaseExpiry() - 1e-6,
        unhealthy: () => !(this.health() >= cfg.stand_threshold),
      },
      delays: {
        electionTimeout: () => cfg.election_timeout_min_ms + this.opts.random() * (cfg.election_timeout_max_ms - cfg.election_timeout_min_ms),
        heartbeat: () => cfg.heartbeat_ms,
        candidateTimeout: () => Math.max(0, this.candidacy.start + this.candidateTimeoutMs() - this.clock.now()),
        // Capped at lease_ms: with no lease to lose (a quorum of one) it is re-checked at leisure.
        leaseCheck: () => Math.min(cfg.lease_ms, Math.max(1, this.replication.leaseExpiry() - this.clock.now())),
      },
    });
    this.actor = this.createMachineActor(cfg.standby);
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
    return this.roleNow === 'leader' && this.clock.now() < this.replication.leaseExpiry() - 1e-6;
  }

  get running(): boolean {
    return this.started && !this.stopped;
  }

  /** The machine's state (for tests and diagnostics): `precandidate` reports role `follower`. */
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
    this.replication.cancelTimers();
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
   * logged (with index and term), or null when this node is not the leader, or when the entry
   * could never be sent (its `append` does not fit the transport's largest frame). Committed
   * once a quorum stores it; delivered through `onCommit` on every node.
   */
  propose(entry: ProposedEntry): LogEntry | null {
    if (!this.running || this.roleNow !== 'leader' || this.state !== 'leader') return null;
    const e: LogEntry = { ...entry, index: this.raftLog.lastIndex + 1, term: this.currentTerm };
    if (this.opts.sizeOf && this.peers.length > 0) {
      const alone: SwarmMessageOf<'append'> = { t: 'append', term: this.currentTerm, prevIndex: e.index - 1, prevTerm: this.raftLog.lastTerm, entries: [e], commit: this.commit };
      let n: number;
      try {
        n = this.opts.sizeOf(alone);
      } catch {
        n = Infinity;
      }
      if (!Number.isFinite(n)) return null;
    }
    this.raftLog.append(e);
    this.replication.advanceCommit(); // a single-member constellation commits at once
    this.replication.scheduleFlush();
    this.flush();
    return e;
  }

  /**
   * Feed every message from an authenticated member here. Any message carrying a higher term
   * (the Raft kinds, but also `health`, `propose`, `ballot`) makes the node adopt that term and
   * follow (a standby stays standby) — except pre-vote requests and granted pre-votes, whose
   * term is a proposal, not a term anyone is in. Only the Raft kinds are acted on beyond that.
   */
  readonly onMessage = (from: NodeId, msg: SwarmMessage): void => {
    if (!this.running || from === this.self || !this.members.includes(from)) return;
    const term = 'term' in msg && typeof msg.term === 'number' ? msg.term : undefined;
    try {
      const proposal = isPreVote(msg) && (msg.t === 'vote_req' || (msg.t === 'vote' && msg.granted));
      if (term !== undefined && term > this.currentTerm && !proposal) this.adoptTerm(term);
      switch (msg.t) {
        case 'vote_req':
          return isPreVote(msg) ? this.onPreVoteRequest(from, msg) : this.onVoteRequest(from, msg);
        case 'vote':
          return isPreVote(msg) ? this.onPreVote(from, msg) : this.onVote(from, msg);
        case 'append':
          return this.onAppend(from, msg);
        case 'append_ack':
          return this.replication.onAppendAck(from, msg);
      }
    } finally {
      this.flush();
    }
  };

  // ── receiving ──────────────────────────────────────────────────────────────────────────

  private logUpToDate(lastLogTerm: number, lastLogIndex: number): boolean {
    return lastLogTerm > this.raftLog.lastTerm || (lastLogTerm === this.raftLog.lastTerm && lastLogIndex >= this.raftLog.lastIndex);
  }

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
    const upToDate = this.logUpToDate(msg.lastLogTerm, msg.lastLogIndex);
    const grant = msg.term === this.currentTerm && (this.votedForId === null || this.votedForId === from) && upToDate;
    if (grant) {
      if (this.votedForId !== from) {
        this.opts.store.saveVote(this.currentTerm, from); // durable before the answer leaves
        this.votedForId = from;
      }
      this.stats.votesGranted++;
    } else {
      this.stats.votesRefused++;
    }
    this.send(from, { t: 'vote', term: this.currentTerm, granted: grant });
    if (grant) this.actor.send({ type: 'GRANTED_VOTE' });
  }

  /**
   * Would we vote for `from` in `msg.term`? Yes if that term is ahead of ours, its log is at
   * least as up to date as ours, and we have no reason to believe a leader is at work: none
   * heard within the minimum election timeout, and we do not lead with a lease ourselves.
   * Nothing changes here (no term, no vote, no timer): the answer is only advice.
   */
  private onPreVoteRequest(from: NodeId, msg: SwarmMessageOf<'vote_req'>): void {
    const now = this.clock.now();
    const leaderAtWork =
      (this.leaderId !== null && this.leaderId !== this.self && now - this.leaderHeardAt < this.config.election_timeout_min_ms) || this.hasLease;
    const grant = msg.term > this.currentTerm && this.logUpToDate(msg.lastLogTerm, msg.lastLogIndex) && !leaderAtWork;
    if (grant) this.stats.preVotesGranted++;
    else this.stats.preVotesRefused++;
    // Granted: the term asked about (the asker counts it). Refused: our own term, which an
    // asker that was away adopts if it is ahead of its own.
    this.send(from, preVote({ t: 'vote', term: grant ? msg.term : this.currentTerm, granted: grant }));
    if (!grant) return;
    // Make way for the asker (liveness only, see election-machine.ts): a follower restarts its
    // timer; a precandidate steps back if the asker outranks it for that term.
    const state = this.state;
    if (state === 'follower') this.actor.send({ type: 'YIELD' });
    else if (state === 'precandidate') {
      const theirs = rank(msg.term, from, msg.lastLogTerm, msg.lastLogIndex);
      const ours = rank(this.currentTerm + 1, this.self, this.raftLog.lastTerm, this.raftLog.lastIndex);
      if (compareRank(theirs, ours) > 0) this.actor.send({ type: 'YIELD' });
    }
  }

  private onVote(from: NodeId, msg: SwarmMessageOf<'vote'>): void {
    if (this.roleNow !== 'candidate' || msg.term !== this.currentTerm || !msg.granted) return;
    this.votes.add(from);
    this.replication.heardFrom(from, this.clock.now());
    this.actor.send({ type: 'VOTE' });
  }

  private onPreVote(from: NodeId, msg: SwarmMessageOf<'vote'>): void {
    if (this.state !== 'precandidate' || msg.term !== this.currentTerm + 1 || !msg.granted) return;
    this.preVotes.add(from);
    this.actor.send({ type: 'PRE_VOTE' });
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
    this.leaderHeardAt = this.clock.now();
    this.actor.send({ type: 'HEARD_LEADER' }); // candidate, precandidate → follower; timers restart
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

  // ── machine actions ────────────────────────────────────────────────────────────────────

  private enterRole(role: SwarmRole): void {
    if (role === this.roleNow) return;
    this.roleNow = role;
    if (role === 'candidate') this.setLeader(null);
    const term = this.currentTerm;
    this.notify(() => this.emit('role', role, term));
  }

  private startPreVote(): void {
    this.stats.preCandidacies++;
    this.preVotes = new Set([this.self]);
    this.setLeader(null);
    const req = preVote({ t: 'vote_req', term: this.currentTerm + 1, lastLogIndex: this.raftLog.lastIndex, lastLogTerm: this.raftLog.lastTerm });
    this.sendToPeers(req);
  }

  private startCandidacy(): void {
    // Durable before anything changes or leaves (if the store throws, nothing has).
    this.opts.store.saveVote(this.currentTerm + 1, this.self);
    this.currentTerm++;
    this.votedForId = this.self;
    this.stats.candidacies++;
    this.votes = new Set([this.self]);
    this.preVotes.clear();
    this.candidacy = { start: this.clock.now(), draw: this.opts.random(), outranked: false, outranks: false };
    this.replication.forgetAcks();
    this.setLeader(null);
    const term = this.currentTerm;
    this.notify(() => this.emit('term', term));
    this.sendToPeers({ t: 'vote_req', term: this.currentTerm, lastLogIndex: this.raftLog.lastIndex, lastLogTerm: this.raftLog.lastTerm });
  }

  private becomeLeader(): void {
    this.stats.elected++;
    const next = this.raftLog.lastIndex + 1;
    this.replication.begin(next);
    this.setLeader(this.self);
    if (this.config.noop_on_election) {
      const e: LogEntry = { index: next, term: this.currentTerm, cid: `${NOOP_ACTION}:${this.currentTerm}:${this.self}`, action: NOOP_ACTION, params: {}, deadlineMs: 0, proposedAt: Math.max(0, Math.floor(this.clock.now())), targets: [] };
      this.raftLog.append(e);
    }
    this.replication.advanceCommit();
    // The first heartbeat (which carries the no-op) follows from the `beat.tick` entry.
  }

  private endLeadership(): void {
    this.replication.end();
    if (this.leaderId === this.self) this.setLeader(null);
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────

  private get clock() {
    return this.opts.clock;
  }

  /** A fresh role machine (also after a failure), reporting to this node. */
  private createMachineActor(standby: boolean): Actor<typeof electionMachine> {
    const actor = createActor(this.machine, { input: { standby }, clock: xstateClock(this.opts.clock) });
    actor.subscribe({ next: () => this.flush(), error: (err) => this.onMachineError(actor, err) });
    return actor;
  }

  /**
   * An action threw and xstate stopped the machine (it would ignore every later event, and the
   * node would go on reporting the role it had, e.g. `leader`, with no heartbeats and no way
   * to step down). Fail safe: no leadership, no leader, and a fresh machine as follower (or
   * standby), which stands again only through a new election.
   */
  private onMachineError(actor: Actor<typeof electionMachine>, err: unknown): void {
    if (actor !== this.actor || this.stopped) return;
    this.stats.machineErrors++;
    this.lastMachineError = err;
    const standby = this.roleNow === 'standby';
    this.endLeadership();
    this.setLeader(null);
    this.votes.clear();
    this.preVotes.clear();
    const role: SwarmRole = standby ? 'standby' : 'follower';
    if (this.roleNow !== role) {
      this.roleNow = role;
      const term = this.currentTerm;
      this.notify(() => this.emit('role', role, term));
    }
    this.actor = this.createMachineActor(standby);
    if (this.started) this.actor.start();
    // Emitted once the caller's step is over (`flush` runs at the end of every public method).
    this.clock.setTimer(0, () => this.flush());
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
    this.opts.store.saveVote(term, null); // durable first: if the store throws, nothing changed
    this.currentTerm = term;
    this.votedForId = null;
    this.votes.clear();
    this.preVotes.clear();
    this.setLeader(null);
    this.notify(() => this.emit('term', term));
    this.actor.send({ type: 'NEW_TERM' }); // precandidate, candidate, leader → follower
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

  private sendToPeers(msg: SwarmMessage): void {
    if (this.config.broadcast && this.peers.length > 1) this.send(BROADCAST, msg);
    else for (const p of this.peers) this.send(p, msg);
  }

  /** Never throws: Raft treats a send the transport refuses as a lost message (counted). */
  private send(to: NodeId | typeof BROADCAST, msg: SwarmMessage): void {
    try {
      this.opts.outbox.send(to, msg, { qos: this.qos });
    } catch {
      this.stats.sendErrors++;
    }
  }
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

