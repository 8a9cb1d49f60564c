/**
 * Consensus on constellation-wide actions: the leader proposes (`propose`, QoS 1, critical)
 * to every known member; each member runs the proposal through its own arbitration and
 * answers a `ballot` (approve, or refuse with its reason); the leader needs real approvals
 * from a quorum. The rules, as checked by the tests:
 *
 * - Quorum: a majority of the known members including the leader (⌊n/2⌋+1), or ⌈2n/3⌉ when
 *   configured `two_thirds`. Members are snapshotted when the proposal is made.
 * - A ballot counts once per sender id (the first one; later ones are recorded as ignored),
 *   only from a snapshotted member, and an approval only for the proposal's own term.
 * - Silence is never an approval: at the ballot timeout (default 2 s) an undecided proposal
 *   is `timed_out`, a rejection. It is `rejected` as soon as the refusals make a quorum of
 *   approvals impossible.
 * - A member refuses a proposal whose term is older than the newest term it knows (its log's
 *   term, or a newer proposal's), or that comes from someone other than its leader of that term.
 * - A leader that loses leadership or changes term abandons its open proposals (reported
 *   `abandoned`); a new leader starts with none: approvals are never inherited.
 * - Every proposal's outcome is reported (`outcome` event and `reports()`).
 *
 * Wire format notes: `propose.deadlineMs` carries the ballot window (ms, relative: the
 * member uses it as its ballot's QoS deadline); the targets travel in `params._targets`
 * (the `propose` message has no field for them — see the report on contract changes).
 */
import type { Timer } from '../../hal/index.js';
import type { PlainValue } from '../../hal/protocol/schema.js';
import { Emitter } from '../../hal/util/emitter.js';
import {
  COMMAND_DEADLINE_MS, PROPOSE_REPEAT_MS, quorumSize, TARGETS_KEY,
  type ConsensusEvents, type ConsensusOptions, type Issuer, type Params, type ProposalOutcome, type ProposalReport, type QuorumRule, type Refusal,
} from './consensus-types.js';
import type { SwarmMessage, SwarmMessageOf } from './messages.js';
import { BROADCAST, type NodeId } from './types.js';

interface Open {
  pid: string;
  term: number;
  action: string;
  params: Params;
  targets: NodeId[];
  deadlineMs: number;
  members: Set<NodeId>;
  quorum: number;
  approvals: Set<NodeId>;
  refusals: Map<NodeId, string>;
  ignored: Refusal[];
  proposedAt: number;
  timer: Timer | undefined;
  /** The pending re-broadcasts (cancelled once decided). */
  repeats: Timer[];
}

const MAX_IGNORED = 64;
const MAX_ANSWERED = 512;
const MAX_HISTORY = 1024;

export class Consensus extends Emitter<ConsensusEvents> {
  readonly ballotTimeoutMs: number;
  readonly quorumRule: QuorumRule;
  readonly commandDeadlineMs: number;
  readonly stats = { proposed: 0, ballotsSent: 0, ballotsIgnored: 0, ballotsRepeated: 0, lateBallots: 0, refusedStale: 0 };
  private readonly open = new Map<string, Open>();
  private readonly history = new Map<string, ProposalReport>();
  /** Member side: the ballot already given per (proposer, pid), re-sent on a duplicate propose. */
  private readonly answered = new Map<string, SwarmMessageOf<'ballot'>>();
  /** Newest term seen in a proposal (a member may hear a new leader's proposal before its log's heartbeat). */
  private newestTerm = 0;
  private seq = 0;
  private issuer: Issuer | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly o: ConsensusOptions) {
    super();
    this.ballotTimeoutMs = o.ballotTimeoutMs ?? 2000;
    this.quorumRule = o.quorum ?? 'majority';
    this.commandDeadlineMs = o.commandDeadlineMs ?? COMMAND_DEADLINE_MS;
    this.unsubscribe = o.log.onLeaderChange(() => this.leadershipChanged());
  }

  /** Who turns an approved proposal into a log entry (propagation registers itself). */
  setIssuer(fn: Issuer | undefined): void {
    this.issuer = fn;
  }

  /** Leader: put an action to the vote. The outcome comes as an `outcome` event. */
  propose(action: string, params: Params, targets: readonly NodeId[], opts: { deadlineMs?: number } = {}): { ok: true; pid: string } | { ok: false; reason: string } {
    const { log, self, clock } = this.o;
    if (!log.isLeader) return { ok: false, reason: `not the leader (leader: ${log.leader ?? 'none'}, term ${log.term})` };
    if (Object.prototype.hasOwnProperty.call(params, TARGETS_KEY)) return { ok: false, reason: `params may not use the reserved key ${TARGETS_KEY}` };
    const members = this.memberSet();
    const tset = [...new Set(targets)];
    if (tset.length === 0) return { ok: false, reason: 'no targets' };
    const strangers = tset.filter((t) => !members.has(t));
    if (strangers.length > 0) return { ok: false, reason: `targets are not members: ${strangers.join(', ')}` };
    const term = log.term;
    const pid = `${self}/${term}/${++this.seq}`;
    const p: Open = {
      pid, term, action, params: { ...params }, targets: tset, deadlineMs: opts.deadlineMs ?? this.commandDeadlineMs,
      members, quorum: quorumSize(members.size, this.quorumRule), approvals: new Set(), refusals: new Map(), ignored: [],
      proposedAt: clock.now(), timer: undefined, repeats: [],
    };
    this.open.set(pid, p);
    this.stats.proposed++;
    // The leader's own ballot: its own arbitration, like everyone's.
    const own = this.o.local.arbitrate(action, p.params, { targets: tset, proposer: self });
    this.count(p, self, own.ok, own.ok ? '' : own.reason);
    if (!this.open.has(pid)) return { ok: true, pid }; // decided by the leader's vote alone (tiny constellations)
    const msg: SwarmMessage = { t: 'propose', term, pid, action, params: { ...p.params, [TARGETS_KEY]: tset }, deadlineMs: this.ballotTimeoutMs };
    // One broadcast on the shared radio instead of a unicast per member (airtime is the scarce
    // resource at 9600 bit/s); repeated while members are silent — a ballot is the answer, and
    // a member answers every copy (the leader counts each voter once).
    // A copy is repeated only while it can still matter: the proposal is undecided, fewer than
    // a quorum have approved, and some member is silent (ballots are QoS 1, so a member that
    // heard the proposal is already being retried by its bus; a copy only helps one that missed
    // it). Each copy costs the leader ~140 ms of air and every member a second ballot.
    const rebroadcast = (): void => {
      if (!this.open.has(pid) || p.approvals.size >= p.quorum) return;
      if ([...members].some((m) => m !== self && !p.approvals.has(m) && !p.refusals.has(m))) this.o.outbox.send(BROADCAST, msg, { qos: 0, priority: 'critical' });
    };
    rebroadcast();
    for (let k = 1; k * PROPOSE_REPEAT_MS < this.ballotTimeoutMs; k++) p.repeats.push(clock.setTimer(k * PROPOSE_REPEAT_MS, rebroadcast));
    p.timer = clock.setTimer(this.ballotTimeoutMs, () => this.timeout(pid));
    return { ok: true, pid };
  }

  /** Handles `propose` (as a member) and `ballot` (as the leader); false for other kinds. */
  receive(from: NodeId, msg: SwarmMessage): boolean {
    if (msg.t === 'propose') {
      this.onPropose(from, msg);
      return true;
    }
    if (msg.t === 'ballot') {
      this.onBallot(from, msg);
      return true;
    }
    return false;
  }

  /** Outcome of a decided proposal. */
  report(pid: string): ProposalReport | undefined {
    return this.history.get(pid);
  }

  /** Every decided proposal, oldest first (bounded history). */
  reports(): ProposalReport[] {
    return [...this.history.values()];
  }

  openProposals(): string[] {
    return [...this.open.keys()];
  }

  stop(): void {
    for (const p of this.open.values()) {
      p.timer?.cancel();
      for (const t of p.repeats) t.cancel();
    }
    this.open.clear();
    this.unsubscribe();
  }

  // ---- member side ----

  private onPropose(from: NodeId, m: SwarmMessageOf<'propose'>): void {
    const { log, self } = this.o;
    if (from === self) return;
    const key = `${from}|${m.pid}`;
    const again = this.answered.get(key);
    if (again) {
      this.sendBallot(from, again, m.deadlineMs);
      return;
    }
    const raw = m.params[TARGETS_KEY];
    const targets = Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];
    const params: Record<string, PlainValue> = { ...m.params };
    delete params[TARGETS_KEY];
    const current = Math.max(log.term, this.newestTerm);
    let ballot: SwarmMessageOf<'ballot'>;
    if (m.term < current) {
      this.stats.refusedStale++;
      ballot = { t: 'ballot', term: current, pid: m.pid, approve: false, reason: `stale term: proposal is term ${m.term}, current term is ${current}` };
    } else if (m.term === log.term && log.leader !== null && log.leader !== from) {
      ballot = { t: 'ballot', term: current, pid: m.pid, approve: false, reason: `${from} is not the leader of term ${m.term} (${log.leader} is)` };
    } else {
      // A newer term than the log knows: Raft elects at most one leader per term and the sender
      // is authenticated, so the sender is that term's leader; remember the term.
      this.newestTerm = Math.max(this.newestTerm, m.term);
      const v = this.o.local.arbitrate(m.action, params, { targets, proposer: from });
      ballot = { t: 'ballot', term: m.term, pid: m.pid, approve: v.ok, reason: v.ok ? '' : v.reason };
    }
    this.answered.set(key, ballot);
    if (this.answered.size > MAX_ANSWERED) this.answered.delete(this.answered.keys().next().value as string);
    this.sendBallot(from, ballot, m.deadlineMs);
  }

  private sendBallot(to: NodeId, b: SwarmMessageOf<'ballot'>, windowMs: number): void {
    this.stats.ballotsSent++;
    this.o.outbox.send(to, b, { qos: 1, priority: 'critical', deadlineMs: Math.max(1, Math.min(windowMs, this.ballotTimeoutMs)) });
    this.emit('voted', to, b);
  }

  // ---- leader side ----

  private onBallot(from: NodeId, b: SwarmMessageOf<'ballot'>): void {
    const p = this.open.get(b.pid);
    if (!p) {
      this.stats.lateBallots++;
      return;
    }
    const ignore = (reason: string): void => {
      this.stats.ballotsIgnored++;
      if (p.ignored.length < MAX_IGNORED) p.ignored.push({ from, reason });
    };
    if (!p.members.has(from)) return ignore('not a member');
    if (p.approvals.has(from) || p.refusals.has(from)) {
      // The same vote again answers a re-broadcast copy: expected, not suspicious. A changed vote is.
      const same = b.approve ? p.approvals.has(from) : p.refusals.has(from);
      if (same) {
        this.stats.ballotsRepeated++;
        return;
      }
      return ignore('duplicate ballot');
    }
    if (b.approve && b.term !== p.term) return ignore(`approval for term ${b.term}, proposal is term ${p.term}`);
    this.count(p, from, b.approve, b.reason);
  }

  private count(p: Open, from: NodeId, approve: boolean, reason: string): void {
    if (approve) p.approvals.add(from);
    else p.refusals.set(from, reason || 'refused (no reason given)');
    const { log } = this.o;
    if (!log.isLeader || log.term !== p.term) {
      this.finish(p, 'abandoned', `leadership lost before the decision (now term ${log.term}, leader ${log.leader ?? 'none'})`);
      return;
    }
    if (p.approvals.size >= p.quorum) {
      this.approve(p);
    } else if (p.members.size - p.refusals.size < p.quorum) {
      this.finish(p, 'rejected', `${p.refusals.size} of ${p.members.size} refused: a quorum of ${p.quorum} approvals is impossible`);
    }
  }

  private approve(p: Open): void {
    if (!this.issuer) {
      this.finish(p, 'approved', `${p.approvals.size} approvals ≥ quorum ${p.quorum}`, p.pid);
      return;
    }
    const r = this.issuer({ pid: p.pid, term: p.term, action: p.action, params: p.params, targets: p.targets, deadlineMs: p.deadlineMs });
    if (r.ok) this.finish(p, 'approved', `${p.approvals.size} approvals ≥ quorum ${p.quorum}`, r.cid);
    else this.finish(p, 'abandoned', `approved by quorum but not appended to the log: ${r.reason}`);
  }

  private timeout(pid: string): void {
    const p = this.open.get(pid);
    if (!p) return;
    const silent = [...p.members].filter((m) => !p.approvals.has(m) && !p.refusals.has(m));
    this.finish(p, 'timed_out', `ballot window of ${this.ballotTimeoutMs} ms closed with ${p.approvals.size} approvals < quorum ${p.quorum}; silent: ${silent.join(', ') || 'none'}`);
  }

  private leadershipChanged(): void {
    const { log } = this.o;
    for (const p of [...this.open.values()]) {
      if (!log.isLeader || log.term !== p.term) {
        this.finish(p, 'abandoned', `leadership changed (now term ${log.term}, leader ${log.leader ?? 'none'}): approvals are not carried over`);
      }
    }
  }

  private finish(p: Open, outcome: ProposalOutcome, reason: string, cid?: string): void {
    if (!this.open.delete(p.pid)) return;
    p.timer?.cancel();
    for (const t of p.repeats) t.cancel();
    p.repeats.length = 0;
    const r: ProposalReport = {
      pid: p.pid, term: p.term, action: p.action, params: p.params, targets: p.targets, outcome, reason,
      proposedAt: p.proposedAt, decidedAt: this.o.clock.now(), members: [...p.members].sort(), quorum: p.quorum,
      approvals: [...p.approvals].sort(),
      refusals: [...p.refusals].map(([from, why]) => ({ from, reason: why })).sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0)),
      silent: [...p.members].filter((m) => !p.approvals.has(m) && !p.refusals.has(m)).sort(),
      ignored: [...p.ignored],
      ...(cid !== undefined ? { cid } : {}),
    };
    this.history.set(p.pid, r);
    if (this.history.size > MAX_HISTORY) this.history.delete(this.history.keys().next().value as string);
    this.emit('outcome', r);
  }

  private memberSet(): Set<NodeId> {
    const s = new Set(this.o.members());
    s.add(this.o.self);
    return s;
  }
}
