import type { PlainValue } from '../../hal/protocol/schema.js';
import type { Clock, Timer } from '../../hal/index.js';
import type { ComplianceLedger, EscalationBook } from './compliance.js';
import type { Consensus } from './consensus.js';
import type { ProposalReport, ReplicatedLog } from './consensus-types.js';
import type { LogEntry } from './messages.js';
import { deadlineAt, DEMOTE_ACTION, VERDICT_ACTION, type PropagationEvents } from './propagation-types.js';

/**
 * Propagation's leader side (see propagation.ts for the whole): for each command, at
 * `proposedAt + deadlineMs` (or, for a command inherited across a failover, no earlier than
 * `takeoverGraceMs` after taking over, so the members' re-sent reports arrive first) the leader
 * decides a verdict: compliance = completed / targets; below `complianceThreshold` every
 * non-compliant target is escalated. The verdict is appended to the log as a `swarm.verdict`
 * entry, so escalation counts are folded from committed entries on every node and survive
 * failovers; a command with a committed verdict is never judged again. A member escalated for
 * `demoteAfter` distinct commands is proposed for demotion through consensus.
 */

/** What the leader side needs of its `Propagation`. */
export interface VerdictHost {
  readonly log: ReplicatedLog;
  readonly clock: Clock;
  readonly consensus: Consensus | undefined;
  readonly ledger: ComplianceLedger;
  readonly book: EscalationBook;
  readonly stats: { verdicts: number; escalations: number };
  readonly threshold: number;
  readonly demoteAfter: number;
  readonly graceMs: number;
  readonly retentionMs: number;
  /** Commands applied on this node, oldest first. */
  commands(): Iterable<LogEntry>;
  stopped(): boolean;
  emit<K extends 'verdict' | 'escalation' | 'demotion'>(event: K, ...args: PropagationEvents[K]): void;
}

export class LeaderVerdicts {
  /** Committed verdicts, by the cid they judge. */
  private readonly verdicts = new Map<string, LogEntry>();
  private readonly evalTimers = new Map<string, Timer>();
  private readonly issuedVerdicts = new Set<string>();
  private readonly pendingDemotions = new Set<string>();
  private readonly demotionTried = new Map<string, number>();
  private leadTerm = -1;
  private leaderSince = 0;

  constructor(private readonly h: VerdictHost) {
    if (h.log.isLeader) this.becameLeader();
  }

  /** Leading in the term this side took over in (commands applied now are judged). */
  get judging(): boolean {
    return this.h.log.isLeader && this.leadTerm === this.h.log.term;
  }

  /** The committed verdict entry for a command, if any. */
  verdict(cid: string): LogEntry | undefined {
    return this.verdicts.get(cid);
  }

  /** The (leader, term) changed: take over, or stop judging. */
  leadershipChanged(): void {
    const { log } = this.h;
    if (log.isLeader) {
      if (this.leadTerm !== log.term) this.becameLeader();
    } else if (this.leadTerm !== -1) {
      this.stepDown();
    }
  }

  /** A command was applied here: judged at its deadline while this node leads. */
  commandApplied(e: LogEntry): void {
    if (this.judging) this.scheduleEval(e);
  }

  /** A command left the history (its verdict with it). */
  forget(cid: string): void {
    this.verdicts.delete(cid);
  }

  stop(): void {
    for (const t of this.evalTimers.values()) t.cancel();
    this.evalTimers.clear();
  }

  private becameLeader(): void {
    this.stepDown();
    this.leadTerm = this.h.log.term;
    this.leaderSince = this.h.clock.now();
    this.issuedVerdicts.clear();
    for (const e of this.h.commands()) this.scheduleEval(e);
    this.maybeDemote();
  }

  private stepDown(): void {
    this.leadTerm = -1;
    for (const t of this.evalTimers.values()) t.cancel();
    this.evalTimers.clear();
  }

  private scheduleEval(e: LogEntry): void {
    if (this.verdicts.has(e.cid) || this.evalTimers.has(e.cid) || this.issuedVerdicts.has(e.cid)) return;
    const due = deadlineAt(e);
    if (this.h.clock.now() > due + this.h.retentionMs) return; // reports are no longer re-sent: too old to judge fairly
    const at = e.proposedAt < this.leaderSince ? Math.max(due, this.leaderSince + this.h.graceMs) : due;
    this.evalTimers.set(e.cid, this.h.clock.setTimerAt(at, () => {
      this.evalTimers.delete(e.cid);
      this.evaluate(e.cid);
    }));
  }

  private evaluate(cid: string): void {
    const { log, clock } = this.h;
    if (this.h.stopped() || !log.isLeader || log.term !== this.leadTerm || this.verdicts.has(cid) || this.issuedVerdicts.has(cid)) return;
    const figure = this.h.ledger.compliance(cid);
    if (!figure) return;
    const escalated = figure.ratio < this.h.threshold ? this.h.ledger.nonCompliant(cid) : [];
    const now = clock.now();
    const reasons: Record<string, PlainValue> = {};
    for (const n of escalated) reasons[n.id] = n.reason;
    const ok = log.append({
      cid: `${cid}#verdict`, action: VERDICT_ACTION,
      params: { subject: cid, completed: figure.completed, targets: figure.targets, ratio: figure.ratio, escalated: escalated.map((n) => n.id), reasons },
      deadlineMs: 0, proposedAt: Math.max(0, Math.floor(now)), targets: [],
    });
    if (ok) this.issuedVerdicts.add(cid);
    this.h.stats.verdicts++;
    this.h.emit('verdict', { cid, term: log.term, at: now, figure, escalated });
    if (escalated.length > 0) {
      this.h.stats.escalations++;
      this.h.emit('escalation', { cid, term: log.term, at: now, ratio: figure.ratio, members: escalated });
    }
  }

  /** A committed `swarm.verdict` entry (on every node): the first one for its command stands. */
  applyVerdict(e: LogEntry): void {
    const subject = e.params['subject'];
    if (typeof subject !== 'string' || this.verdicts.has(subject)) return; // the first committed verdict stands
    const raw = e.params['escalated'];
    const escalated = Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];
    this.verdicts.set(subject, e);
    this.h.book.escalate(subject, escalated);
    this.evalTimers.get(subject)?.cancel();
    this.evalTimers.delete(subject);
    if (this.judging) this.maybeDemote();
  }

  private maybeDemote(): void {
    const c = this.h.consensus;
    if (!c || !this.h.log.isLeader) return;
    for (const [m, n] of this.h.book.counts()) {
      if (n < this.h.demoteAfter || this.h.book.isDemoted(m) || this.pendingDemotions.has(m)) continue;
      if ((this.demotionTried.get(m) ?? 0) >= n) continue; // tried at this count already: wait for another escalation
      this.demotionTried.set(m, n);
      this.pendingDemotions.add(m);
      const r = c.propose(DEMOTE_ACTION, { member: m, role: 'standby' }, [m]);
      if (!r.ok) this.pendingDemotions.delete(m);
    }
  }

  /** A consensus outcome: a demotion proposal was decided. */
  proposalDecided(r: ProposalReport): void {
    if (r.action !== DEMOTE_ACTION) return;
    const m = r.params['member'];
    if (typeof m !== 'string') return;
    this.pendingDemotions.delete(m);
    this.h.emit('demotion', m, r);
  }
}
