import { SlipDecoder, type FramingDropReason } from '../framing/slip.js';
import { decodeBody, type BodyResult } from './codec.js';
import type { Message } from './messages.js';

export type DropReason = FramingDropReason | 'cbor' | 'schema';
export const DROP_REASONS: readonly DropReason[] = ['escape', 'crc', 'oversize', 'cbor', 'schema'];
export type DropCounts = Record<DropReason, number>;

export const zeroDrops = (): DropCounts => ({ escape: 0, crc: 0, oversize: 0, cbor: 0, schema: 0 });

export type Refusal = Extract<BodyResult, { ok: false }>;

export interface ReceiverHandlers {
  onMessage: (msg: Message) => void;
  /** A body that passed the CRC but was refused (`cbor` or `schema`); the endpoint may answer. */
  onRefused?: (r: Refusal) => void;
  /** Any drop, framing or body, by reason. Counted before this is called. */
  onDrop?: (reason: DropReason, detail: string) => void;
  /** A handler threw; the receiver keeps going. */
  onHandlerError?: (err: unknown) => void;
}

/**
 * Bytes in, validated messages out: SLIP + CRC, plain-CBOR check, decode, schema. Every
 * drop is counted by reason; nothing that arrives can throw out of `push`.
 */
export class FrameReceiver {
  readonly drops: DropCounts = zeroDrops();
  delivered = 0;
  private readonly slip: SlipDecoder;

  constructor(private readonly h: ReceiverHandlers, opts: { maxPayload?: number } = {}) {
    const onHandlerError = h.onHandlerError ?? (() => {});
    this.slip = new SlipDecoder({
      ...(opts.maxPayload !== undefined ? { maxPayload: opts.maxPayload } : {}),
      onFrame: (body) => this.onBody(body),
      onDrop: (reason, bytes) => this.drop(reason, `${bytes} bytes buffered`),
      onHandlerError,
    });
  }

  push(chunk: Uint8Array): void {
    this.slip.push(chunk);
  }

  /** Stream ended or the link dropped: a partial frame is discarded. */
  reset(): void {
    this.slip.end();
  }

  /** A CRC-checked body (also used by links that carry bodies without SLIP). */
  onBody(body: Uint8Array): void {
    const r = decodeBody(body);
    if (r.ok) {
      this.delivered++;
      this.guard(() => this.h.onMessage(r.msg));
      return;
    }
    this.drop(r.reason, r.why);
    this.guard(() => this.h.onRefused?.(r));
  }

  private drop(reason: DropReason, detail: string): void {
    this.drops[reason]++;
    this.guard(() => this.h.onDrop?.(reason, detail));
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      (this.h.onHandlerError ?? (() => {}))(err);
    }
  }
}
