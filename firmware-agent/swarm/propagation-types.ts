import type { Clock } from '../../hal/index.js';
import type { ComplianceFigure, NonCompliant, ReportOutcome, ReportRecord } from './compliance.js';
import type { Consensus } from './consensus.js';
import type { ExecStatus, LocalExecutor, ProposalReport, ReplicatedLog } from './consensus-types.js';
import type { LogEntry } from './messages.js';
import type { NodeId, Outbox } from './types.js';

/** Propagation's contract (options, events, the log actions it reserves) and two pure helpers
 *  shared by its member side (propagation.ts) and leader side (verdicts.ts). */

/** Log entry that records a leader's verdict on a command (no targets: nobody executes it). */
export const VERDICT_ACTION = 'swarm.verdict';
/** Role reassignment actions (params `{member}`; targets `[member]`). */
export const DEMOTE_ACTION = 'demote';
export const PROMOTE_ACTION = 'promote';
export const ROLE_ACTIONS: ReadonlySet<string> = new Set([DEMOTE_ACTION, PROMOTE_ACTION]);

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

/** Maps the executor's final state to a report; undefined while running. */
export function toReport(st: ExecStatus): { outcome: ReportOutcome; reason: string } | undefined {
  if (st.state === 'running') return undefined;
  if (st.state === 'done') return { outcome: 'completed', reason: '' };
  const why = st.state === 'timed_out' ? `timed out: ${st.reason}` : st.reason;
  const v = st.verifiedSteps ?? 0;
  if (st.steps !== undefined && v > 0 && v < st.steps) return { outcome: 'partial', reason: `${v}/${st.steps} steps verified: ${why}` };
  return { outcome: 'failed', reason: why };
}

/** Absolute deadline of a command: `proposedAt + deadlineMs` (ms, the leader's clock scale). */
export function deadlineAt(e: Pick<LogEntry, 'proposedAt' | 'deadlineMs'>): number {
  return e.proposedAt + e.deadlineMs;
}
