import { crc32 } from './crc32.js';

/** SLIP special bytes (RFC 1055), PROTOCOL.md §1. */
export const END = 0xc0;
export const ESC = 0xdb;
export const ESC_END = 0xdc;
export const ESC_ESC = 0xdd;
export const DEFAULT_MAX_PAYLOAD = 4096;
export const CRC_BYTES = 4;

export type FramingDropReason = 'escape' | 'crc' | 'oversize';

/**
 * body → END, escape(body ‖ crc32le(body)), END. One allocation of the exact size.
 */
export function encodeFrame(body: Uint8Array): Buffer {
  const crc = crc32(body);
  const tail = [crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, (crc >>> 24) & 0xff];
  let specials = 0;
  for (let i = 0; i < body.length; i++) {
    const b = body[i]!;
    if (b === END || b === ESC) specials++;
  }
  for (const b of tail) if (b === END || b === ESC) specials++;
  const out = Buffer.allocUnsafe(body.length + CRC_BYTES + specials + 2);
  let o = 0;
  out[o++] = END;
  const put = (b: number): void => {
    if (b === END) {
      out[o++] = ESC;
      out[o++] = ESC_END;
    } else if (b === ESC) {
      out[o++] = ESC;
      out[o++] = ESC_ESC;
    } else out[o++] = b;
  };
  if (specials === 0) {
    out.set(body, 1);
    o += body.length;
  } else for (let i = 0; i < body.length; i++) put(body[i]!);
  for (const b of tail) put(b);
  out[o++] = END;
  return out;
}

export interface SlipDecoderOptions {
  /** Maximum unescaped payload (body + CRC), bytes. Default 4096. */
  maxPayload?: number;
  /** A frame whose CRC holds: `body` is a fresh copy the caller may keep. */
  onFrame: (body: Uint8Array) => void;
  /** A dropped frame, by reason; `bytes` is how much of it had been buffered. */
  onDrop?: (reason: FramingDropReason, bytes: number) => void;
  /** `onFrame` threw: the decoder carries on with the next frame either way. */
  onHandlerError?: (err: unknown) => void;
}

/**
 * Streaming SLIP + CRC-32 receiver, written for a noisy flight link:
 * - linear time, one fixed buffer of `maxPayload` bytes (never grows);
 * - an invalid escape or an oversize frame drops that frame and resyncs on the next END;
 * - ESC followed by END is an invalid escape, and that END still ends the frame;
 * - empty frames are ignored; a payload shorter than a CRC is a CRC drop;
 * - `end()` discards a partial frame (it is never delivered).
 */
export class SlipDecoder {
  private readonly buf: Uint8Array;
  private readonly max: number;
  private len = 0;
  private escaping = false;
  /** Discarding until the next END (the drop is already counted). */
  private discarding = false;
  private readonly onFrame: (body: Uint8Array) => void;
  private readonly onDrop: (reason: FramingDropReason, bytes: number) => void;
  private readonly onHandlerError: (err: unknown) => void;

  constructor(opts: SlipDecoderOptions) {
    this.max = opts.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    if (!(this.max > CRC_BYTES)) throw new RangeError(`maxPayload must exceed ${CRC_BYTES}`);
    this.buf = new Uint8Array(this.max);
    this.onFrame = opts.onFrame;
    this.onDrop = opts.onDrop ?? (() => {});
    this.onHandlerError = opts.onHandlerError ?? (() => {});
  }

  /** Bytes of an unfinished frame currently buffered. */
  get buffered(): number {
    return this.len;
  }

  push(chunk: Uint8Array): void {
    const buf = this.buf;
    const max = this.max;
    for (let i = 0; i < chunk.length; i++) {
      let b = chunk[i]!;
      if (b === END) {
        if (this.escaping && !this.discarding) this.drop('escape');
        this.finishFrame();
        continue;
      }
      if (this.discarding) continue;
      if (this.escaping) {
        this.escaping = false;
        if (b === ESC_END) b = END;
        else if (b === ESC_ESC) b = ESC;
        else {
          this.drop('escape');
          continue;
        }
      } else if (b === ESC) {
        this.escaping = true;
        continue;
      }
      if (this.len === max) {
        this.drop('oversize');
        continue;
      }
      buf[this.len++] = b;
    }
  }

  /** End of stream: a partial frame is discarded, never delivered. */
  end(): void {
    this.reset();
  }

  private drop(reason: FramingDropReason): void {
    this.discarding = true;
    this.escaping = false;
    this.report(reason, this.len);
  }

  /** Handlers never break the decoder: a throwing one is reported and the bytes go on. */
  private report(reason: FramingDropReason, bytes: number): void {
    try {
      this.onDrop(reason, bytes);
    } catch (err) {
      this.onHandlerError(err);
    }
  }

  private finishFrame(): void {
    const len = this.len;
    const discarding = this.discarding;
    this.reset();
    if (discarding || len === 0) return;
    if (len < CRC_BYTES) {
      this.report('crc', len);
      return;
    }
    const bodyLen = len - CRC_BYTES;
    const body = this.buf.slice(0, bodyLen);
    const b = this.buf;
    const got = (b[bodyLen]! | (b[bodyLen + 1]! << 8) | (b[bodyLen + 2]! << 16) | (b[bodyLen + 3]! << 24)) >>> 0;
    if (crc32(body) !== got) {
      this.report('crc', len);
      return;
    }
    try {
      this.onFrame(body);
    } catch (err) {
      this.onHandlerError(err);
    }
  }

  private reset(): void {
    this.len = 0;
    this.escaping = false;
    this.discarding = false;
  }
}
