/**
 * Propagation: approved actions become commands in the replicated log; every satellite that
 * a committed command targets executes it once and reports; the leader tracks compliance,
 * escalates the non-compliant at the deadline and has repeat offenders demoted.
 *
 * Member side, for each committed entry (in log order, at least once):
 *  1. Not a target: only bookkeeping (targets, verdicts, role changes).
 *  2. A target, and the executor already knows the command id (a second commit delivery, a
 *     replay after a reboot): no new execution; report what the executor knows.
 *  3. Otherwise, if the command's deadline (`proposedAt + deadlineMs`) has passed: report
 *     `failed` (expired) without running it — a satellite that was down does not run a stale
 *     constellation order. If it is older than the retention window, nothing at all. Role
 *     changes (`demote`/`promote`) are exempt: they are state, applied whenever replayed.
 *  4. Otherwise local arbitration (a refusal → `failed` with its reason), then
 *     `execute(cid, …)`; `busy` is retried every `busyRetryMs` until the deadline; the
 *     outcome is polled every `pollMs` until final.
 *  Outcome → report: `done` → `completed`; a failed / timed-out multi-step action with at least
 *  one but not all steps verified → `partial` ("k/n steps verified: …"); any other failure →
 *  `failed` with the reason.
 *
 * Reports (QoS 1, class `report`) go to whoever leads when they are sent. A report is
 * acknowledged by a leader when the bus's delivery report for it says delivered (wire
 * `onDelivery`); the leader records it in its ledger on receipt. A member re-sends its report
 * for every command it holds (within the retention window) whenever the (leader, term) it
 * knows changes, and every `reportRetryMs` while the current (leader, term) has not
 * acknowledged it; the first send to a (leader, term) also gets one early copy if it is not
 * acknowledged within `reportFirstRetryMs` (500 ms: a lost report costs about that, not a tick). This is how a new leader rebuilds compliance: it needs no state from the
 * old one — every member tells it again. The leader's own report goes straight to its ledger.
 *
 * Leader side: for each command, at `proposedAt + deadlineMs` (or, for a command inherited
 * across a failover, no earlier than `takeoverGraceMs` after taking over, so the members'
 * re-sent reports arrive first) the leader decides a verdict: compliance = completed /
 * targets; below `complianceThreshold` (90 %) every non-compliant target is escalated (an
 * `escalation` event with ids and reasons). The verdict is appended to the log as a
 * `swarm.verdict` entry (no targets), so escalation counts are folded from committed entries
 * on every node and survive failovers; a command with a committed verdict is never judged
 * again. A member escalated for `demoteAfter` (3) distinct commands is proposed for
 * demotion (`demote`, params `{member, role: 'standby'}`, targets `[member]`) through
 * consensus like any constellation action.
 */
import type { Clock, Timer } from '../../hal/index.js';
import type { PlainValue } from '../../hal/protocol/schema.js';
import { Emitter } from '../../hal/util/emitter.js';
import { ComplianceLedger, EscalationBook, type ComplianceFigure, type NonCompliant, type ReportOutcome, type ReportRecord } from './compliance.js';
import type { ApprovedProposal, Consensus, ExecStatus, LocalExecutor, ProposalReport, ReplicatedLog } from './consensus.js';
import type { LogEntry, SwarmMessage } from './messages.js';
import type { DeliveryReport, NodeId, Outbox } from './types.js';

export type { ExecStatus, LocalExecutor, Params, ReplicatedLog } from './consensus.js';

/** Log entry that records a leader's verdict on a command (no targets: nobody executes it). */
export const VERDICT_ACTION = 'swarm.verdict';
/** Role reassignment actions (params `{member}`; targets `[member]`). */
export const DEMOTE_ACTION = 'demote';
export const PROMOTE_ACTION = 'promote';
const ROLE_ACTIONS: ReadonlySet<string> = new Set([DEMOTE_ACTION, PROMOTE_ACTION]);

export interface PropagationOptions {
  self: NodeId;
  log: ReplicatedLog;
  local: LocalExecutor;
  outbox: Outbox;
  clock: Clock;
  /** Issues approved proposals, and is used to propose demotions. */
  consensus?: Consensus;
  /** Default 30 000 ms (when the proposal does not set one). */
  commandDeadlineMs?: number;
  /** Default 0.9. */
  complianceThreshold?: number;
  /** Default 3 escalations. */
  demoteAfter?: number;
  /** Re-send an unacknowledged report after this long; also the report's QoS deadline. Default 1000 ms. */
  reportRetryMs?: number;
  /**
   * A report to a (leader, term) not acknowledged this long after its first send gets one early
   * second copy (a fresh send, alongside the bus's own retries), so a lost report costs about
   * this much rather than a whole `reportRetryMs` tick. 0 disables. Default 500 ms (capped at
   * `reportRetryMs`).
   */
  reportFirstRetryMs?: number;
  /** Executor outcome polling. Default 100 ms. */
  pollMs?: number;
  /** Retry of an `execute` refused as busy. Default 250 ms. */
  busyRetryMs?: number;
  /** A new leader judges inherited commands no earlier than this after taking over. Default 2000 ms. */
  takeoverGraceMs?: number;
  /** Reports are re-sent, and commands judged, up to this long after their deadline. Default 60 000 ms. */
  retentionMs?: number;
  /** Commands kept in memory (with their reports), oldest dropped first. Default 1000. */
  historyLimit?: number;
}

export interface VerdictEvent {
  readonly cid: string;
  readonly term: number;
  readonly at: number;
  readonly figure: ComplianceFigure;
  /** Non-compliant targets escalated (empty when compliance ≥ threshold). */
  readonly escalated: readonly NonCompliant[];
}

export interface Escalation {
  readonly cid: string;
  readonly term: number;
  readonly at: number;
  readonly ratio: number;
  readonly members: readonly NonCompliant[];
}

export type PropagationEvents = {
  /** A committed entry applied here (first delivery only). */
  applied: [e: LogEntry];
  /** This satellite's own outcome for a command it was targeted by. */
  outcome: [cid: string, outcome: ReportOutcome, reason: string];
  /** Every report received (leader or not). */
  report: [r: ReportRecord];
  verdict: [v: VerdictEvent];
  escalation: [e: Escalation];
  /** A demotion proposal was decided. */
  demotion: [member: NodeId, r: ProposalReport];
};

interface Job {
  entry: LogEntry;
  started: boolean;
  report: { outcome: ReportOutcome; reason: string } | null;
  /** `${leader}@${term}` that acknowledged the report. */
  ackedBy: string | null;
  sentTo: string | null;
  /** QoS 1 sends of the report not yet reported by the bus. */
  mids: Set<number>;
  lastSent: number;
  timer: Timer | undefined;
  /** The early second copy to the current `sentTo`, pending. */
  early: Timer | undefined;
}

/** Maps the executor's final state to a report; undefined while running. */
export function toReport(st: ExecStatus): { outcome: ReportOutcome; reason: string } | undefined {
  if (st.state === 'running') return undefined;
  if (st.state === 'done') return { outcome: 'completed', reason: '' };
  const why = st.state === 'timed_out' ? `timed out: ${st.reason}` : st.reason;
  const v = st.verifiedSteps ?? 0;
  if (st.steps !== undefined && v > 0 && v < st.steps) return { outcome: 'partial', reason: `${v}/${st.steps} steps verified: ${why}` };
  return { outcome: 'failed', reason: why };
}

export class Propagation extends Emitter<PropagationEvents> {
  readonly ledger = new ComplianceLedger();
  readonly book = new EscalationBook();
  readonly stats = { executed: 0, reportsSent: 0, reportsResent: 0, verdicts: 0, escalations: 0, expired: 0, refused: 0 };
  private readonly deadlineMs: number;
  private readonly threshold: number;
  private readonly demoteAfter: number;
  private readonly retryMs: number;
  private readonly firstRetryMs: number;
  private readonly pollMs: number;
  private readonly busyMs: number;
  private readonly graceMs: number;
  private readonly retentionMs: number;
  private readonly historyLimit: number;
  /** Commands applied here (first delivery), by cid, oldest first. */
  private readonly entries = new Map<string, LogEntry>();
  private readonly jobs = new Map<string, Job>();
  /** Committed verdicts, by the cid they judge. */
  private readonly verdicts = new Map<string, LogEntry>();
  private readonly evalTimers = new Map<string, Timer>();
  private readonly issuedVerdicts = new Set<string>();
  private readonly pendingDemotions = new Set<NodeId>();
  private readonly demotionTried = new Map<NodeId, number>();
  private leadTerm = -1;
  private leaderSince = 0;
  private tickTimer: Timer | undefined;
  private stopped = false;
  private readonly unsubs: (() => void)[] = [];

  constructor(private readonly o: PropagationOptions) {
    super();
    this.deadlineMs = o.commandDeadlineMs ?? 30_000;
    this.threshold = o.complianceThreshold ?? 0.9;
    this.demoteAfter = o.demoteAfter ?? 3;
    this.retryMs = o.reportRetryMs ?? 1000;
    this.firstRetryMs = Math.min(this.retryMs, Math.max(0, o.reportFirstRetryMs ?? 500));
    this.pollMs = o.pollMs ?? 100;
    this.busyMs = o.busyRetryMs ?? 250;
    this.graceMs = o.takeoverGraceMs ?? 2000;
    this.retentionMs = o.retentionMs ?? 60_000;
    this.historyLimit = o.historyLimit ?? 1000;
    const c = o.consensus;
    if (c) {
      c.setIssuer((p) => this.issue(p));
      this.unsubs.push(c.on('outcome', (r) => this.proposalDecided(r)));
    }
    this.unsubs.push(o.log.onCommit((e) => this.apply(e)));
    this.unsubs.push(o.log.onLeaderChange(() => this.leadershipChanged()));
    if (o.log.isLeader) this.becameLeader();
    this.scheduleTick();
  }

  /** Leader: an approved proposal becomes a log entry (command id = proposal id). */
  issue(p: Pick<ApprovedProposal, 'pid' | 'action' | 'params' | 'targets'> & { deadlineMs?: number }): { ok: true; cid: string } | { ok: false; reason: string } {
    const { log, clock } = this.o;
    if (!log.isLeader) return { ok: false, reason: `not the leader (term ${log.term})` };
    const entry = {
      cid: p.pid, action: p.action, params: { ...p.params }, targets: [...p.targets],
      deadlineMs: Math.max(0, Math.round(p.deadlineMs ?? this.deadlineMs)), proposedAt: Math.max(0, Math.floor(clock.now())),
    };
    return log.append(entry) ? { ok: true, cid: p.pid } : { ok: false, reason: 'the log refused the append (not the leader)' };
  }

  /** Handles `report`; false for other kinds. */
  receive(from: NodeId, msg: SwarmMessage): boolean {
    if (msg.t !== 'report') return false;
    this.accept(from, msg.cid, msg.outcome, msg.reason);
    return true;
  }

  /** Wire the bus's delivery reports here: a delivered report is acknowledged by its leader. */
  onDelivery(r: DeliveryReport): void {
    for (const j of this.jobs.values()) {
      if (!j.mids.delete(r.mid)) continue;
      if (r.delivered && j.sentTo !== null && j.sentTo.startsWith(`${r.to}@`)) {
        j.ackedBy = j.sentTo;
        j.early?.cancel();
        j.early = undefined;
      }
      return;
    }
  }

  /** Tracked compliance of a command (undefined until its entry is applied here). */
  compliance(cid: string): ComplianceFigure | undefined {
    return this.ledger.compliance(cid);
  }

  /** Compliance recomputed from the report list. */
  recount(cid: string): ComplianceFigure | undefined {
    return this.ledger.recount(cid);
  }

  /** Every report received (cid, from, outcome, reason, time, term). */
  reports(cid?: string): readonly ReportRecord[] {
    return this.ledger.reports(cid);
  }

  /** Commands applied here, oldest first. */
  commands(): LogEntry[] {
    return [...this.entries.values()];
  }

  /** The committed verdict entry for a command, if any. */
  verdict(cid: string): LogEntry | undefined {
    return this.verdicts.get(cid);
  }

  /** This satellite's own outcome for a command, once final. */
  ownOutcome(cid: string): { outcome: ReportOutcome; reason: string } | undefined {
    return this.jobs.get(cid)?.report ?? undefined;
  }

  /** Commands whose report the current leader has not acknowledged yet. */
  unacknowledged(): string[] {
    const key = this.leaderKey();
    return [...this.jobs.values()].filter((j) => j.report && j.ackedBy !== key).map((j) => j.entry.cid);
  }

  stop(): void {
    this.stopped = true;
    this.tickTimer?.cancel();
    for (const j of this.jobs.values()) {
      j.timer?.cancel();
      j.early?.cancel();
    }
    for (const t of this.evalTimers.values()) t.cancel();
    this.evalTimers.clear();
    for (const u of this.unsubs) u();
    this.o.consensus?.setIssuer(undefined);
  }

  // ---- applying committed entries ----

  private apply(e: LogEntry): void {
    if (this.stopped) return;
    if (e.action === VERDICT_ACTION) {
      this.applyVerdict(e);
      return;
    }
    if (e.targets.length === 0 || this.entries.has(e.cid)) return; // no-ops; re-deliveries
    this.entries.set(e.cid, e);
    this.ledger.setTargets(e.cid, e.targets);
    const member = typeof e.params['member'] === 'string' ? e.params['member'] : undefined;
    if (member !== undefined && e.action === DEMOTE_ACTION) this.book.demote(member);
    if (member !== undefined && e.action === PROMOTE_ACTION) this.book.promote(member);
    this.emit('applied', e);
    // Role changes are state, not physical actions: they apply whenever the entry is applied
    // (a replay after a reboot included), so the last committed role change wins.
    const current = this.o.clock.now() <= deadlineAt(e) + this.retentionMs || ROLE_ACTIONS.has(e.action);
    if (e.targets.includes(this.o.self) && current) this.startJob(e);
    if (this.o.log.isLeader && this.leadTerm === this.o.log.term) this.scheduleEval(e);
    this.prune();
  }

  private startJob(e: LogEntry): void {
    const job: Job = { entry: e, started: false, report: null, ackedBy: null, sentTo: null, mids: new Set(), lastSent: -Infinity, timer: undefined, early: undefined };
    this.jobs.set(e.cid, job);
    this.advance(job);
  }

  /** One step of a job: learn from the executor, or run the command, or wait. */
  private advance(job: Job): void {
    job.timer = undefined;
    if (this.stopped || job.report) return;
    const { local, clock } = this.o;
    const e = job.entry;
    const known = local.outcome(e.cid);
    if (known) {
      const rep = toReport(known);
      if (rep) this.finish(job, rep);
      else job.timer = clock.setTimer(this.pollMs, () => this.advance(job));
      return;
    }
    if (job.started) {
      this.finish(job, { outcome: 'failed', reason: 'the executor lost track of the command' });
      return;
    }
    const now = clock.now();
    if (now > deadlineAt(e) && !ROLE_ACTIONS.has(e.action)) {
      this.stats.expired++;
      this.finish(job, { outcome: 'failed', reason: `expired: applied at ${Math.round(now)} ms, after the deadline ${deadlineAt(e)} ms` });
      return;
    }
    const proposer = e.cid.split('/')[0] ?? '';
    const v = local.arbitrate(e.action, e.params, { targets: e.targets, proposer });
    if (!v.ok) {
      this.stats.refused++;
      this.finish(job, { outcome: 'failed', reason: `refused by local safety: ${v.reason}` });
      return;
    }
    const r = local.execute(e.cid, e.action, e.params);
    if (r.accepted || r.reason === 'duplicate') {
      if (r.accepted) this.stats.executed++;
      job.started = true;
      job.timer = clock.setTimer(this.pollMs, () => this.advance(job));
    } else if (r.reason === 'busy') {
      if (now + this.busyMs > deadlineAt(e) && !ROLE_ACTIONS.has(e.action)) this.finish(job, { outcome: 'failed', reason: `busy until the deadline: ${r.detail}` });
      else job.timer = clock.setTimer(this.busyMs, () => this.advance(job));
    } else {
      this.finish(job, { outcome: 'failed', reason: `not executable here: ${r.detail}` });
    }
  }

  private finish(job: Job, rep: { outcome: ReportOutcome; reason: string }): void {
    job.timer?.cancel();
    job.timer = undefined;
    job.report = rep;
    this.emit('outcome', job.entry.cid, rep.outcome, rep.reason);
    this.sendReport(job);
  }

  // ---- reports ----

  private leaderKey(): string | null {
    const { leader, term } = this.o.log;
    return leader === null ? null : `${leader}@${term}`;
  }

  private sendReport(job: Job): void {
    const rep = job.report;
    const key = this.leaderKey();
    const leader = this.o.log.leader;
    if (!rep || key === null || leader === null) return; // re-sent when a leader is known
    const { cid } = job.entry;
    if (leader === this.o.self) {
      this.accept(this.o.self, cid, rep.outcome, rep.reason);
      job.ackedBy = key;
      job.sentTo = key;
      return;
    }
    const first = job.sentTo !== key;
    this.transmitReport(job, leader, key);
    // The first send to this (leader, term): if it is not acknowledged soon, one early copy.
    job.early?.cancel();
    job.early = undefined;
    if (first && this.firstRetryMs > 0 && this.firstRetryMs < this.retryMs) {
      job.early = this.o.clock.setTimer(this.firstRetryMs, () => {
        job.early = undefined;
        if (this.stopped || job.ackedBy === key || job.sentTo !== key || this.leaderKey() !== key) return;
        this.transmitReport(job, leader, key);
      });
    }
  }

  private transmitReport(job: Job, leader: NodeId, key: string): void {
    const rep = job.report!;
    if (job.sentTo !== null) this.stats.reportsResent++;
    this.stats.reportsSent++;
    job.sentTo = key;
    job.lastSent = this.o.clock.now();
    if (job.mids.size >= 8) job.mids.delete(job.mids.values().next().value as number); // an outbox that never reports
    job.mids.add(this.o.outbox.send(leader, { t: 'report', cid: job.entry.cid, outcome: rep.outcome, reason: rep.reason }, { qos: 1, priority: 'report', deadlineMs: this.retryMs }));
  }

  private accept(from: NodeId, cid: string, outcome: ReportOutcome, reason: string): void {
    const r: ReportRecord = { cid, from, outcome, reason, at: this.o.clock.now(), term: this.o.log.term };
    this.ledger.record(r);
    this.emit('report', r);
    if (this.ledger.size > 2 * this.historyLimit) this.prune();
  }

  private scheduleTick(): void {
    if (this.stopped) return;
    this.tickTimer = this.o.clock.setTimer(this.retryMs, () => {
      this.tick();
      this.scheduleTick();
    });
  }

  /** Re-send unacknowledged reports; drop jobs past retention. */
  private tick(): void {
    const now = this.o.clock.now();
    const key = this.leaderKey();
    for (const [cid, j] of this.jobs) {
      if (now > deadlineAt(j.entry) + this.retentionMs && j.report) {
        j.timer?.cancel();
        j.early?.cancel();
        this.jobs.delete(cid);
        continue;
      }
      if (j.report && key !== null && j.ackedBy !== key && now - j.lastSent >= this.retryMs) this.sendReport(j);
    }
  }

  // ---- leader: verdicts, escalation, demotion ----

  private leadershipChanged(): void {
    if (this.stopped) return;
    const { log } = this.o;
    if (log.isLeader) {
      if (this.leadTerm !== log.term) this.becameLeader();
    } else if (this.leadTerm !== -1) {
      this.stepDown();
    }
    // Tell the (new) leader every outcome it has not acknowledged.
    const key = this.leaderKey();
    if (key === null) return;
    for (const j of this.jobs.values()) if (j.report && j.ackedBy !== key) this.sendReport(j);
  }

  private becameLeader(): void {
    this.stepDown();
    this.leadTerm = this.o.log.term;
    this.leaderSince = this.o.clock.now();
    this.issuedVerdicts.clear();
    for (const e of this.entries.values()) this.scheduleEval(e);
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
    if (this.o.clock.now() > due + this.retentionMs) return; // reports are no longer re-sent: too old to judge fairly
    const at = e.proposedAt < this.leaderSince ? Math.max(due, this.leaderSince + this.graceMs) : due;
    this.evalTimers.set(e.cid, this.o.clock.setTimerAt(at, () => {
      this.evalTimers.delete(e.cid);
      this.evaluate(e.cid);
    }));
  }

  private evaluate(cid: string): void {
    const { log, clock } = this.o;
    if (this.stopped || !log.isLeader || log.term !== this.leadTerm || this.verdicts.has(cid) || this.issuedVerdicts.has(cid)) return;
    const figure = this.ledger.compliance(cid);
    if (!figure) return;
    const escalated = figure.ratio < this.threshold ? this.ledger.nonCompliant(cid) : [];
    const now = clock.now();
    const reasons: Record<string, PlainValue> = {};
    for (const n of escalated) reasons[n.id] = n.reason;
    const ok = log.append({
      cid: `${cid}#verdict`, action: VERDICT_ACTION,
      params: { subject: cid, completed: figure.completed, targets: figure.targets, ratio: figure.ratio, escalated: escalated.map((n) => n.id), reasons },
      deadlineMs: 0, proposedAt: Math.max(0, Math.floor(now)), targets: [],
    });
    if (ok) this.issuedVerdicts.add(cid);
    this.stats.verdicts++;
    this.emit('verdict', { cid, term: log.term, at: now, figure, escalated });
    if (escalated.length > 0) {
      this.stats.escalations++;
      this.emit('escalation', { cid, term: log.term, at: now, ratio: figure.ratio, members: escalated });
    }
  }

  private applyVerdict(e: LogEntry): void {
    const subject = e.params['subject'];
    if (typeof subject !== 'string' || this.verdicts.has(subject)) return; // the first committed verdict stands
    const raw = e.params['escalated'];
    const escalated = Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];
    this.verdicts.set(subject, e);
    this.book.escalate(subject, escalated);
    this.evalTimers.get(subject)?.cancel();
    this.evalTimers.delete(subject);
    if (this.o.log.isLeader && this.leadTerm === this.o.log.term) this.maybeDemote();
  }

  private maybeDemote(): void {
    const c = this.o.consensus;
    if (!c || !this.o.log.isLeader) return;
    for (const [m, n] of this.book.counts()) {
      if (n < this.demoteAfter || this.book.isDemoted(m) || this.pendingDemotions.has(m)) continue;
      if ((this.demotionTried.get(m) ?? 0) >= n) continue; // tried at this count already: wait for another escalation
      this.demotionTried.set(m, n);
      this.pendingDemotions.add(m);
      const r = c.propose(DEMOTE_ACTION, { member: m, role: 'standby' }, [m]);
      if (!r.ok) this.pendingDemotions.delete(m);
    }
  }

  private proposalDecided(r: ProposalReport): void {
    if (r.action !== DEMOTE_ACTION) return;
    const m = r.params['member'];
    if (typeof m !== 'string') return;
    this.pendingDemotions.delete(m);
    this.emit('demotion', m, r);
  }

  private prune(): void {
    // Reports for commands this node never applied (they arrive early, or are bogus) are kept
    // up to a bound too.
    if (this.ledger.size > 2 * this.historyLimit) {
      const excess = this.ledger.size - 2 * this.historyLimit;
      for (const cid of this.ledger.commands().filter((c) => !this.entries.has(c)).slice(0, excess)) this.ledger.forget(cid);
    }
    while (this.entries.size > this.historyLimit) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.ledger.forget(oldest);
      this.verdicts.delete(oldest);
      const j = this.jobs.get(oldest);
      j?.timer?.cancel();
      j?.early?.cancel();
      this.jobs.delete(oldest);
    }
  }
}

/** Absolute deadline of a command: `proposedAt + deadlineMs` (ms, the leader's clock scale). */
export function deadlineAt(e: Pick<LogEntry, 'proposedAt' | 'deadlineMs'>): number {
  return e.proposedAt + e.deadlineMs;
}

export type { ComplianceFigure, NonCompliant, ReportOutcome, ReportRecord } from './compliance.js';
