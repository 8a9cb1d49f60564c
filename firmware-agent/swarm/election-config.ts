import type { QuorumRule } from './consensus-types.js';
import type { LogEntry, SwarmMessage, SwarmRole } from './messages.js';
import type { NodeId, Outbox, Qos, SwarmClock, SwarmStore } from './types.js';

/**
 * The election's configuration (with its defaults and checks), options, events and counters:
 * the contract of `Election` (election.ts), apart from its code.
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
  quorum: QuorumRule;
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
  /** Send vote requests, heartbeats, and appends that are the same for several peers once to
   *  BROADCAST rather than once per peer. */
  broadcast: boolean;
  /** Ask for pre-votes before standing (Raft thesis §9.6; see the file comment). */
  pre_vote: boolean;
  /** Largest `append` on the air, bytes, when the transport can size messages (`sizeOf`);
   *  an append always carries at least one entry. */
  max_append_bytes: number;
  /** An append with entries that was not acknowledged is sent again after this long, ms (and
   *  only once the follower has been heard from since). 0: `election_timeout_min_ms`. */
  append_retry_ms: number;
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
  pre_vote: true,
  max_append_bytes: 512,
  append_retry_ms: 0,
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
  /** Bytes a message takes on the air (the ISL frame), Infinity if it cannot be sent at all.
   *  Enables `max_append_bytes`, and `propose` refuses an entry that could never be sent. */
  sizeOf?: (msg: SwarmMessage) => number;
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
  preVotesGranted: number;
  preVotesRefused: number;
  /** Pre-vote rounds started (each may or may not lead to a candidacy). */
  preCandidacies: number;
  candidacies: number;
  elected: number;
  leaseLost: number;
  stepDownHealth: number;
  appendsRefused: number;
  /** Messages that break the protocol (e.g. an `append` of our own term while we lead). */
  anomalies: number;
  /** Appends with entries sent to one follower or broadcast, and those that were resends. */
  appendsShipped: number;
  appendsResent: number;
  /** Sends the transport refused (thrown; nothing sent). */
  sendErrors: number;
  /** The role machine failed (an action threw) and was restarted as follower. */
  machineErrors: number;
}

export function validateConfig(c: ElectionConfig): void {
  const bad = (why: string): never => {
    throw new RangeError(`election config: ${why}`);
  };
  if (!(c.election_timeout_min_ms > 0) || !(c.election_timeout_max_ms >= c.election_timeout_min_ms)) bad('need 0 < election_timeout_min_ms ≤ election_timeout_max_ms');
  if (!(c.heartbeat_ms > 0) || !(c.heartbeat_ms < c.election_timeout_min_ms)) bad('need 0 < heartbeat_ms < election_timeout_min_ms');
  if (!(c.lease_ms > c.heartbeat_ms)) bad('need lease_ms > heartbeat_ms');
  if (!(c.stand_threshold >= 0 && c.stand_threshold <= 1)) bad('stand_threshold must be in 0..1');
  if (!(Number.isInteger(c.max_entries_per_append) && c.max_entries_per_append >= 1)) bad('max_entries_per_append must be an integer ≥ 1');
  if (!(c.max_append_bytes >= 1)) bad('max_append_bytes must be ≥ 1');
  if (!(c.append_retry_ms >= 0)) bad('append_retry_ms must be ≥ 0 (0: election_timeout_min_ms)');
}
