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
 * Leader side (`LeaderVerdicts`, verdicts.ts): at each command's deadline the leader judges
 * compliance = completed / targets; below `complianceThreshold` (90 %) the non-compliant are
 * escalated; the verdict is a `swarm.verdict` log entry, so escalation counts survive
 * failovers; a member escalated for `demoteAfter` (3) distinct commands is proposed for
 * demotion (`demote`, params `{member, role: 'standby'}`, targets `[member]`) through consensus.
 */
import type { Timer } from '../../hal/index.js';
import { Emitter } from '../../hal/util/emitter.js';
import { ComplianceLedger, EscalationBook, type ComplianceFigure, type ReportOutcome, type ReportRecord } from './compliance.js';
import { COMMAND_DEADLINE_MS, type ApprovedProposal } from './consensus-types.js';
import type { LogEntry, SwarmMessage } from './messages.js';
import {
  deadlineAt, DEMOTE_ACTION, PROMOTE_ACTION, ROLE_ACTIONS, toReport, VERDICT_ACTION, type PropagationEvents, type PropagationOptions,
} from './propagation-types.js';
import type { DeliveryReport, NodeId } from './types.js';
import { LeaderVerdicts } from './verdicts.js';

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

export class Propagation extends Emitter<PropagationEvents> {
  readonly ledger = new ComplianceLedger();
  readonly book = new EscalationBook();
  readonly stats = { executed: 0, reportsSent: 0, reportsResent: 0, verdicts: 0, escalations: 0, expired: 0, refused: 0 };
  private readonly deadlineMs: number;
  private readonly retryMs: number;
  private readonly firstRetryMs: number;
  private readonly pollMs: number;
  private readonly busyMs: number;
  private readonly retentionMs: number;
  private readonly historyLimit: number;
  /** Commands applied here (first delivery), by cid, oldest first. */
  private readonly entries = new Map<string, LogEntry>();
  private readonly jobs = new Map<string, Job>();
  /** The leader's side: verdicts at the deadlines, escalation, demotion (verdicts.ts). */
  private readonly judge: LeaderVerdicts;
  private tickTimer: Timer | undefined;
  private stopped = false;
  private readonly unsubs: (() => void)[] = [];

  constructor(private readonly o: PropagationOptions) {
    super();
    this.deadlineMs = o.commandDeadlineMs ?? COMMAND_DEADLINE_MS;
    this.retryMs = o.reportRetryMs ?? 1000;
    this.firstRetryMs = Math.min(this.retryMs, Math.max(0, o.reportFirstRetryMs ?? 500));
    this.pollMs = o.pollMs ?? 100;
    this.busyMs = o.busyRetryMs ?? 250;
    this.retentionMs = o.retentionMs ?? 60_000;
    this.historyLimit = o.historyLimit ?? 1000;
    this.judge = new LeaderVerdicts({
      log: o.log, clock: o.clock, consensus: o.consensus, ledger: this.ledger, book: this.book, stats: this.stats,
      // The leader's side alone uses these three.
      threshold: o.complianceThreshold ?? 0.9, demoteAfter: o.demoteAfter ?? 3, graceMs: o.takeoverGraceMs ?? 2000, retentionMs: this.retentionMs,
      commands: () => this.entries.values(),
      stopped: () => this.stopped,
      emit: (event, ...args) => this.emit(event, ...args),
    });
    const c = o.consensus;
    if (c) {
      c.setIssuer((p) => this.issue(p));
      this.unsubs.push(c.on('outcome', (r) => this.judge.proposalDecided(r)));
    }
    this.unsubs.push(o.log.onCommit((e) => this.apply(e)));
    this.unsubs.push(o.log.onLeaderChange(() => this.leadershipChanged()));
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
    return this.judge.verdict(cid);
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
    this.judge.stop();
    for (const u of this.unsubs) u();
    this.o.consensus?.setIssuer(undefined);
  }

  // ---- applying committed entries ----

  private apply(e: LogEntry): void {
    if (this.stopped) return;
    if (e.action === VERDICT_ACTION) {
      this.judge.applyVerdict(e);
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
    this.judge.commandApplied(e);
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

  // ---- leadership ----

  private leadershipChanged(): void {
    if (this.stopped) return;
    this.judge.leadershipChanged();
    // Tell the (new) leader every outcome it has not acknowledged.
    const key = this.leaderKey();
    if (key === null) return;
    for (const j of this.jobs.values()) if (j.report && j.ackedBy !== key) this.sendReport(j);
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
      this.judge.forget(oldest);
      const j = this.jobs.get(oldest);
      j?.timer?.cancel();
      j?.early?.cancel();
      this.jobs.delete(oldest);
    }
  }
}
