import type { FramingDropReason } from '../framing/slip.js';
import type { HalError } from '../errors.js';
import type { Listener } from '../util/emitter.js';

/**
 * A link carries frames between a flight computer and its hardware. Serial ports, pty pairs
 * and in-memory pipes all implement this one interface (the serialport idea: one binding
 * interface, real and mock implementations behind it), and all pass one contract suite.
 *
 *   closed ──open()──▶ opening ──▶ up ──(port vanished)──▶ lost ──(retry with backoff)──▶ up
 *      ▲                                                                 │
 *      └──────────────────────────── close() ◀───────────────────────────┘
 */
export type LinkState = 'closed' | 'opening' | 'up' | 'lost';

export type LinkEvents = {
  /** A CRC-checked body (SLIP and CRC already removed). */
  frame: [body: Uint8Array];
  /** A frame dropped by the framing layer. */
  drop: [reason: FramingDropReason, detail: string];
  state: [state: LinkState, previous: LinkState];
  /** A problem worth logging (failed reopen, write error); the link keeps trying. */
  error: [err: HalError];
};

export interface LinkStats {
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
  framesOut: number;
  /** Frames not sent because the link was not up. */
  sendRefused: number;
  drops: Record<FramingDropReason, number>;
  /** Times the link came back up after being lost. */
  reconnects: number;
}

export interface Link {
  readonly name: string;
  readonly state: LinkState;
  readonly stats: LinkStats;
  /** Resolves once up; rejects with E_LINK_OPEN if the first open fails. */
  open(): Promise<void>;
  /** Closes for good (no more retries). */
  close(): Promise<void>;
  /** Frames and writes one body. False (and counted) when the link is not up. */
  send(body: Uint8Array): boolean;
  on<K extends keyof LinkEvents>(event: K, fn: Listener<LinkEvents[K]>): () => void;
}

export interface BackoffOptions {
  /** First retry delay, ms. Default 100. */
  initialMs?: number;
  /** Cap on the retry delay, ms. Default 5000. */
  maxMs?: number;
}
