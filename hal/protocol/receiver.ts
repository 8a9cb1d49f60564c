import { SlipDecoder, type FramingDropReason } from '../framing/slip.js';
import { decodeBody, decodeLentBody, type BodyResult } from './codec.js';
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
      // The body is decoded at once and nothing of it is kept: no copy per frame.
      lend: true,
      onFrame: (body) => this.deliver(decodeLentBody(body)),
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
    this.deliver(decodeBody(body));
  }

  private deliver(r: BodyResult): void {
    if (r.ok) {
      this.delivered++;
      try {
        this.h.onMessage(r.msg);
      } catch (err) {
        this.handlerError(err);
      }
      return;
    }
    this.drop(r.reason, r.why);
    try {
      this.h.onRefused?.(r);
    } catch (err) {
      this.handlerError(err);
    }
  }

  private drop(reason: DropReason, detail: string): void {
    this.drops[reason]++;
    try {
      this.h.onDrop?.(reason, detail);
    } catch (err) {
      this.handlerError(err);
    }
  }

  private handlerError(err: unknown): void {
    (this.h.onHandlerError ?? (() => {}))(err);
  }
}
