/**
 * What the agents say to each other over the ISL, declared once (types and validators from
 * the HAL's schema kit). These are the payloads; `isl-codec.ts` wraps each in the
 * authenticated envelope that goes on the air (PROTOCOL.md §5), and the health broadcast has a
 * compressed form of its own (`health-codec.ts`) to fit 64 bytes.
 */
import {
  arrayOf, bool, byField, bytes, literal, mapOf, nonNegative, num, oneOf, plain, struct, text, uint32, uint53,
  type Infer,
} from '../../hal/protocol/schema.js';

export const ROLES = ['follower', 'candidate', 'leader', 'standby'] as const;
export type SwarmRole = (typeof ROLES)[number];

/** One constellation-wide action in the replicated log (Raft entry). */
export const logEntry = struct({
  index: uint53,
  term: uint53,
  /** Command id: the idempotency key every satellite executes the action under. */
  cid: text,
  action: text,
  params: mapOf(plain),
  /** How long the command has, ms: its deadline is `proposedAt + deadlineMs` (clocks synchronised, e.g. by GPS). */
  deadlineMs: uint53,
  proposedAt: uint53,
  targets: arrayOf(text),
});
export type LogEntry = Infer<typeof logEntry>;

export const SWARM_MESSAGES = {
  /** Periodic health broadcast (QoS 0). */
  health: struct({
    t: literal('health'),
    term: uint53,
    role: oneOf(...ROLES),
    /** The leader this node follows, or '' if none. */
    leader: text,
    /** 0..1 */
    health: nonNegative,
    mode: text,
    soc: num,
    tmaxC: num,
    /** Digest of the node's recent decisions (divergence detection), 32-bit. */
    digest: uint32,
  }, {
    /**
     * The sender's current health broadcast interval, ms (the governor stretches it under
     * congestion): the registry's liveness window for this peer follows it. Absent: nominal.
     */
    intervalMs: uint53,
  }),
  /** Raft RequestVote; `pre: true` for a PreVote round (no term change, no vote recorded). */
  vote_req: struct({ t: literal('vote_req'), term: uint53, lastLogIndex: uint53, lastLogTerm: uint53 }, { pre: bool }),
  vote: struct({ t: literal('vote'), term: uint53, granted: bool }, { pre: bool }),
  /** Raft AppendEntries (heartbeat when `entries` is empty). */
  append: struct({ t: literal('append'), term: uint53, prevIndex: uint53, prevTerm: uint53, entries: arrayOf(logEntry), commit: uint53 }),
  append_ack: struct({ t: literal('append_ack'), term: uint53, success: bool, match: uint53 }),
  /** The leader asks for a vote on a constellation-wide action; `deadlineMs` is the ballot window (relative). */
  propose: struct({ t: literal('propose'), term: uint53, pid: text, action: text, params: mapOf(plain), deadlineMs: uint53 }, { targets: arrayOf(text) }),
  /** A member's vote on a proposal, after its own arbitration. */
  ballot: struct({ t: literal('ballot'), term: uint53, pid: text, approve: bool, reason: text }),
  /** Outcome of a propagated command on one satellite. */
  report: struct({ t: literal('report'), cid: text, outcome: oneOf('completed', 'partial', 'failed'), reason: text }),
  /** Digest of the last decisions, for divergence counting. */
  digest: struct({ t: literal('digest'), window: uint53, digest: uint32 }),
  /** Bulk data (telemetry dumps), lowest priority. */
  bulk: struct({ t: literal('bulk'), data: bytes }),
  /** Bus-level acknowledgement of QoS 1/2 messages (by message id); never reaches the application. */
  ack: struct({ t: literal('ack'), mids: arrayOf(uint32) }),
} as const;

export const swarmMessage = byField('t', SWARM_MESSAGES);
export type SwarmKind = keyof typeof SWARM_MESSAGES;
export type SwarmMessage = Infer<typeof swarmMessage>;
export type SwarmMessageOf<K extends SwarmKind> = Extract<SwarmMessage, { t: K }>;

/** Priority classes of the bandwidth governor, highest first. */
export const PRIORITIES = ['critical', 'report', 'health', 'bulk'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** The class each kind travels in. */
export const PRIORITY_OF: Readonly<Record<SwarmKind, Priority>> = {
  vote_req: 'critical',
  vote: 'critical',
  append: 'critical',
  append_ack: 'critical',
  propose: 'critical',
  ballot: 'critical',
  report: 'report',
  health: 'health',
  digest: 'health',
  bulk: 'bulk',
  ack: 'critical',
};

