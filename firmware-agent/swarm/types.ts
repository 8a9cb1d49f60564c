import type { Clock } from '../../hal/index.js';
import type { Priority, SwarmMessage } from './messages.js';

/** A satellite id as the hardware's hello names it (`SAT-3`). */
export type NodeId = string;
export const BROADCAST = '*';

/** Delivery guarantee of one send. */
export type Qos = 0 | 1 | 2;

export interface SendOptions {
  qos: Qos;
  /** Defaults to the message kind's class (`PRIORITY_OF`). */
  priority?: Priority;
  /** QoS 1/2: give up (and report) if not acknowledged by then, ms from now. */
  deadlineMs?: number;
}

/** What happened to a QoS 1/2 send. */
export type DeliveryReport = { mid: number; to: NodeId; delivered: true; attempts: number; latencyMs: number } | { mid: number; to: NodeId; delivered: false; attempts: number; reason: 'deadline' | 'refused' };

/**
 * How swarm components send: the message bus implements it (codec, authentication, QoS,
 * governor); tests can implement it directly over a simulated network.
 */
export interface Outbox {
  /** Returns the message id (for QoS 1/2 reports). */
  send(to: NodeId | typeof BROADCAST, msg: SwarmMessage, opts: SendOptions): number;
}

/** Messages in, from an authenticated, replay-checked sender. */
export type Inbox = (from: NodeId, msg: SwarmMessage) => void;

/**
 * Durable state of the swarm layer: written (fsync'd) before the node answers anything that
 * depends on it (Raft: `currentTerm`, `votedFor` before a vote is granted; the ISL send
 * counter, reserved in blocks so a reboot never reuses a counter).
 */
export interface SwarmStore {
  load(): { term: number; votedFor: NodeId | null; counterReservedTo: number; log: import('./messages.js').LogEntry[] };
  saveVote(term: number, votedFor: NodeId | null): void;
  reserveCounter(upTo: number): void;
  appendLog(entries: import('./messages.js').LogEntry[], fromIndex: number): void;
}

export interface SwarmClock {
  clock: Clock;
  /** Seeded randomness in [0,1) (election timeouts): deterministic under test. */
  random: () => number;
}
