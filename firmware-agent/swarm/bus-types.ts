/**
 * The message bus's contract: what it exchanges with its codec and radio, its options,
 * configuration, errors and metrics (the bus itself: bus.ts).
 */
import type { Clock } from '../../hal/index.js';
import type { DedupeStats } from './dedupe.js';
import type { Governor } from './governor.js';
import { SWARM_MESSAGES, type SwarmKind, type SwarmMessage } from './messages.js';
import type { BROADCAST, DeliveryReport, Inbox, NodeId, Qos } from './types.js';

/** The bus's own acknowledgement (proposed for messages.ts as kind `ack`, class critical). */
export interface AckMessage {
  t: 'ack';
  mids: number[];
}
export type BusMessage = SwarmMessage | AckMessage;
export type BusKind = SwarmKind | 'ack';
export const BUS_KINDS: readonly BusKind[] = [...(Object.keys(SWARM_MESSAGES) as SwarmKind[]), 'ack'];

export interface EncodeMeta {
  /** Replay counter of this transmission. */
  counter: number;
  qos: Qos;
  /** Message id (0 for QoS 0). */
  mid: number;
  /** Destination (proposed: bound into the MAC, so a unicast cannot be replayed to another node). */
  to: NodeId | typeof BROADCAST;
}

export type DecodeResult =
  | { ok: true; from: NodeId; msg: BusMessage; counter: number; qos: Qos; mid: number; to?: NodeId | typeof BROADCAST }
  | { ok: false; reason: string };

/** The ISL codec as the bus uses it (isl-codec.ts: envelope, HMAC, replay window). */
export interface BusCodec {
  /** Bytes for the air. Throws on a message that breaks its schema. */
  encode(msg: BusMessage, meta: EncodeMeta): Uint8Array;
  decode(bytes: Uint8Array): DecodeResult;
}

export type RadioResult = { ok: true } | { ok: false; code: string; msg?: string };

/** The ISL transmitter (the agent backs it with `HardwareClient.islTx`). */
export interface BusRadio {
  transmit(to: NodeId | typeof BROADCAST, bytes: Uint8Array): Promise<RadioResult>;
}

export type BusErrorCode = 'broadcast_qos' | 'bad_options' | 'oversize' | 'self' | 'closed';

/** A send the bus refuses outright (thrown by `send`, nothing queued, no report). */
export class BusError extends Error {
  readonly code: BusErrorCode;
  readonly detail: Record<string, unknown> | undefined;
  constructor(code: BusErrorCode, message: string, detail?: Record<string, unknown>) {
    super(message);
    this.name = 'BusError';
    this.code = code;
    this.detail = detail;
  }
}

export interface BusConfig {
  /** QoS 1/2 deadline when the send names none, ms. Default 10 000. */
  defaultDeadlineMs: number;
  /** Longest deadline a send may ask for, ms (bounds the dedupe horizon). Default 30 000. */
  maxDeadlineMs: number;
  /** Longest a started transmission takes to reach a receiver, ms (radio queue + air + latency). Default 3000. */
  maxInFlightMs: number;
  /** Retransmission timeout before a peer's round trip is measured, ms. Default 600. */
  initialRtoMs: number;
  minRtoMs: number;
  /** Cap of one backoff step, ms. Default 5000. */
  maxRtoMs: number;
  /** Backoff jitter, ± fraction. Default 0.2. */
  jitter: number;
  /** QoS 2 dedupe memory: mids kept per sender, senders kept. Defaults 1024, 64. */
  dedupeMaxPerSender: number;
  dedupeMaxSenders: number;
  /** Mids one ack carries at most. Default 16. */
  maxAckMids: number;
  /** QoS 1/2 sends awaiting their report at most; past it a send is reported `refused`. Default 1024. */
  maxPending: number;
}

export const DEFAULT_BUS_CONFIG: Readonly<BusConfig> = Object.freeze({
  defaultDeadlineMs: 10_000,
  maxDeadlineMs: 30_000,
  maxInFlightMs: 3_000,
  initialRtoMs: 600,
  minRtoMs: 200,
  maxRtoMs: 5_000,
  jitter: 0.2,
  dedupeMaxPerSender: 1024,
  dedupeMaxSenders: 64,
  maxAckMids: 16,
  maxPending: 1024,
});

export interface BusOptions {
  self: NodeId;
  clock: Clock;
  codec: BusCodec;
  radio: BusRadio;
  governor: Governor;
  inbox: Inbox;
  /** One call per QoS 1/2 send. */
  onReport?: (report: DeliveryReport) => void;
  /**
   * The sender's replay counter: strictly increasing, never reused (also across reboots: back
   * it with `reservingCounter`). Default: in memory from 1 (tests only).
   */
  nextCounter?: () => number;
  /** Randomness in [0, 1) for backoff jitter. Default: seeded from `self`. */
  random?: () => number;
  config?: Partial<BusConfig>;
}

export type QosCounts = [number, number, number];

export interface BusMetrics {
  /** Sends accepted, by kind and QoS (acks counted as sent packets). */
  sent: Record<BusKind, QosCounts>;
  /** Authenticated messages received, by kind and QoS (duplicates included). */
  received: Record<BusKind, QosCounts>;
  /** Handed to the Inbox. */
  delivered: number;
  /** Transmissions after the first. */
  retries: number;
  /** Ack packets sent, and mids they carried. */
  acksSent: number;
  ackedMids: number;
  /** Acks that settled a send; acks for nothing pending (duplicate or late). */
  acksReceived: number;
  acksUnknown: number;
  /** QoS 2 copies not delivered again. */
  duplicatesSuppressed: number;
  reportsDelivered: number;
  reportsExpired: number;
  reportsRefused: number;
  /** Packets lost to us, by reason: the codec's (`mac`, `replay`, …) and the bus's. */
  drops: Record<string, number>;
  /** QoS 1/2 sends not yet reported. */
  pending: number;
  dedupe: DedupeStats;
  inboxErrors: number;
}
