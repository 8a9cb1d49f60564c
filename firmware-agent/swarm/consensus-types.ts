import type { Clock } from '../../hal/index.js';
import type { PlainValue } from '../../hal/protocol/schema.js';
import type { LogEntry, SwarmMessageOf } from './messages.js';
import type { NodeId, Outbox } from './types.js';

/**
 * The consensus contract (consensus.ts): the replicated log and the local executor it works
 * with, its options, the proposal outcomes it reports, and the quorum rule.
 */

export type Params = Readonly<Record<string, PlainValue>>;

/** A log entry as the leader hands it to the log (the log assigns index and term). */
export type NewEntry = Omit<LogEntry, 'index' | 'term'>;

/**
 * What consensus and propagation need from the Raft log (`election.ts` adapts to it).
 * - `append` is only meaningful on the leader: false when this node is not the leader (then
 *   nothing was appended). true means appended locally, not committed: Raft may still lose
 *   an uncommitted entry across a failover.
 * - `onCommit` delivers committed entries in index order, at least once each (re-delivery is
 *   allowed), and after a reboot replays the committed log from the start (or from a
 *   snapshot that preserves every entry younger than the retention window).
 * - `onLeaderChange` fires whenever `term`, `leader` or `isLeader` changes.
 */
export interface ReplicatedLog {
  readonly isLeader: boolean;
  readonly term: number;
  readonly leader: NodeId | null;
  append(entry: NewEntry): boolean;
  onCommit(fn: (e: LogEntry) => void): () => void;
  onLeaderChange(fn: () => void): () => void;
}

/** Local safety's answer (the agent's `arbitrate`, source `constellation`). */
export type LocalVerdict = { ok: true } | { ok: false; reason: string };

/** State of an action on this satellite, as the executor knows it under its id. */
export type ExecStatus =
  | { state: 'running' }
  | { state: 'done' }
  /** `verifiedSteps`/`steps`: how far a multi-step action got (verified by read-back). */
  | { state: 'failed' | 'timed_out'; reason: string; verifiedSteps?: number; steps?: number };

export type ExecRequestResult = { accepted: true } | { accepted: false; reason: 'duplicate' | 'busy' | 'unknown'; detail: string };

/**
 * What consensus and propagation need from the local agent (the agent adapts: `arbitrate`
 * = `decide/arbitrate.ts` with source `constellation` on the latest assessment; `execute` =
 * `executor.request({id: cid, action, params, source: 'constellation'})`; `outcome` from the
 * executor's records, which the journal restores at boot — that is what makes a replay after
 * a reboot run an action once). Role actions (`demote`, `promote`, params `{member}`) are
 * executed by the swarm node's adapter (set the election role), not by the action executor.
 */
export interface LocalExecutor {
  arbitrate(action: string, params: Params, ctx: { targets: readonly NodeId[]; proposer: NodeId }): LocalVerdict;
  execute(cid: string, action: string, params: Params): ExecRequestResult;
  outcome(cid: string): ExecStatus | undefined;
}

export type QuorumRule = 'majority' | 'two_thirds';

/** A proposal is broadcast again this often while members have not voted, ms. */
export const PROPOSE_REPEAT_MS = 800;

/** Default deadline of a command (an approved proposal, or one issued directly), ms after it is appended. */
export const COMMAND_DEADLINE_MS = 30_000;

export function quorumSize(members: number, rule: QuorumRule = 'majority'): number {
  return rule === 'two_thirds' ? Math.ceil((2 * members) / 3) : Math.floor(members / 2) + 1;
}

/** Reserved key of `propose.params` that carries the targets. */
export const TARGETS_KEY = '_targets';

export interface ConsensusOptions {
  self: NodeId;
  log: Pick<ReplicatedLog, 'isLeader' | 'term' | 'leader' | 'onLeaderChange'>;
  local: Pick<LocalExecutor, 'arbitrate'>;
  outbox: Outbox;
  clock: Clock;
  /** The known members (registry), self included or not (it is added). */
  members: () => Iterable<NodeId>;
  /** Default 2000 ms. */
  ballotTimeoutMs?: number;
  /** Default `majority`. */
  quorum?: QuorumRule;
  /** Deadline of the command an approved proposal becomes, ms after it is appended. Default 30 000. */
  commandDeadlineMs?: number;
}

export type ProposalOutcome = 'approved' | 'rejected' | 'timed_out' | 'abandoned';

export interface Refusal {
  readonly from: NodeId;
  readonly reason: string;
}

/** What happened to one proposal (every proposal gets exactly one). */
export interface ProposalReport {
  readonly pid: string;
  readonly term: number;
  readonly action: string;
  readonly params: Params;
  readonly targets: readonly NodeId[];
  readonly outcome: ProposalOutcome;
  /** Human-readable summary (why rejected, timed out or abandoned). */
  readonly reason: string;
  readonly proposedAt: number;
  readonly decidedAt: number;
  readonly members: readonly NodeId[];
  readonly quorum: number;
  /** The voters who approved (each once). */
  readonly approvals: readonly NodeId[];
  readonly refusals: readonly Refusal[];
  /** Members that never answered. */
  readonly silent: readonly NodeId[];
  /** Ballots that did not count, and why (non-member, duplicate, wrong term). */
  readonly ignored: readonly Refusal[];
  /** Approved and appended to the log as this command id. */
  readonly cid?: string;
}

/** An approved proposal, handed to the issuer (propagation) to become a log entry. */
export interface ApprovedProposal {
  readonly pid: string;
  readonly term: number;
  readonly action: string;
  readonly params: Params;
  readonly targets: readonly NodeId[];
  readonly deadlineMs: number;
}

export type Issuer = (p: ApprovedProposal) => { ok: true; cid: string } | { ok: false; reason: string };

export type ConsensusEvents = {
  outcome: [r: ProposalReport];
  /** A ballot this member sent (observability). */
  voted: [to: NodeId, b: SwarmMessageOf<'ballot'>];
};
