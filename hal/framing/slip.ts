import { crc32Range } from './crc32.js';

/** SLIP special bytes (RFC 1055), PROTOCOL.md §1. */
export const END = 0xc0;
export const ESC = 0xdb;
export const ESC_END = 0xdc;
export const ESC_ESC = 0xdd;
export const DEFAULT_MAX_PAYLOAD = 4096;
export const CRC_BYTES = 4;

export type FramingDropReason = 'escape' | 'crc' | 'oversize';

/** Escapes up to this many in a body are located with memchr; more, and a byte loop wins. */
const FEW = 8;
/** Ordinary bytes copied one by one before the decoder looks for the end of the run. */
const SHORT_RUN = 16;

const bufferIndexOf = Buffer.prototype.indexOf as (this: Uint8Array, value: number, byteOffset: number) => number;

/**
 * Index of the first `byte` in `a[from, n)`, or n (also when the first one lies past n).
 * Node's Buffer#indexOf (memchr) works on any Uint8Array and costs ~15 ns a call, far less
 * than a JS loop over a typical frame (~1–2 ns a byte) or TypedArray#indexOf.
 */
function indexOfByte(a: Uint8Array, byte: number, from: number, n: number): number {
  const j = from < n ? bufferIndexOf.call(a, byte, from) : -1;
  return j < 0 || j > n ? n : j;
}

/**
 * body → END, escape(body ‖ crc32le(body)), END. One allocation of the exact size.
 */
export function encodeFrame(body: Uint8Array): Buffer {
  return encodeFrameRange(body, 0, body.length);
}

/**
 * encodeFrame of `src[start, end)` without making a view of it first (the codec frames the
 * body straight from its scratch buffer). No array or closure per call; END/ESC are found
 * with memchr (Buffer#indexOf), and the runs between them are copied whole. A caller that
 * may put END, ESC at src[end], src[end + 1] keeps those searches from running past `end`.
 */
export function encodeFrameRange(src: Uint8Array, start: number, end: number): Buffer {
  const crc = crc32Range(src, start, end);
  const c0 = crc & 0xff;
  const c1 = (crc >>> 8) & 0xff;
  const c2 = (crc >>> 16) & 0xff;
  const c3 = crc >>> 24;
  const firstEnd = indexOfByte(src, END, start, end);
  const firstEsc = indexOfByte(src, ESC, start, end);
  // Counted with memchr while they are few; a body dense with them is done byte by byte.
  let specials = 0;
  for (let j = firstEnd; j < end && specials <= FEW; j = indexOfByte(src, END, j + 1, end)) specials++;
  for (let j = firstEsc; j < end && specials <= FEW; j = indexOfByte(src, ESC, j + 1, end)) specials++;
  const dense = specials > FEW;
  if (dense) {
    specials = 0;
    for (let i = start; i < end; i++) {
      const b = src[i]!;
      if (b === END || b === ESC) specials++;
    }
  }
  const bodySpecials = specials;
  if (c0 === END || c0 === ESC) specials++;
  if (c1 === END || c1 === ESC) specials++;
  if (c2 === END || c2 === ESC) specials++;
  if (c3 === END || c3 === ESC) specials++;
  const n = end - start;
  const out = Buffer.allocUnsafe(n + CRC_BYTES + specials + 2);
  out[0] = END;
  let o = 1;
  if (bodySpecials === 0) o = copyRun(src, start, end, out, o);
  else if (dense) {
    for (let i = start; i < end; i++) {
      const b = src[i]!;
      if (b === END) {
        out[o++] = ESC;
        out[o++] = ESC_END;
      } else if (b === ESC) {
        out[o++] = ESC;
        out[o++] = ESC_ESC;
      } else out[o++] = b;
    }
  } else {
    let p = start;
    let nextEnd = firstEnd;
    let nextEsc = firstEsc;
    for (;;) {
      const q = nextEnd < nextEsc ? nextEnd : nextEsc;
      o = copyRun(src, p, q, out, o);
      if (q >= end) break;
      out[o++] = ESC;
      if (q === nextEnd) {
        out[o++] = ESC_END;
        nextEnd = indexOfByte(src, END, q + 1, end);
      } else {
        out[o++] = ESC_ESC;
        nextEsc = indexOfByte(src, ESC, q + 1, end);
      }
      p = q + 1;
    }
  }
  o = putEscaped(out, o, c0);
  o = putEscaped(out, o, c1);
  o = putEscaped(out, o, c2);
  o = putEscaped(out, o, c3);
  out[o] = END;
  return out;
}

/** src[from, to) → out at o; returns the index after it. */
function copyRun(src: Uint8Array, from: number, to: number, out: Buffer, o: number): number {
  const k = to - from;
  if (k > 48) out.set(from === 0 && to === src.length ? src : src.subarray(from, to), o);
  else for (let i = 0; i < k; i++) out[o + i] = src[from + i]!;
  return o + k;
}

function putEscaped(out: Uint8Array, o: number, b: number): number {
  if (b === END) {
    out[o] = ESC;
    out[o + 1] = ESC_END;
    return o + 2;
  }
  if (b === ESC) {
    out[o] = ESC;
    out[o + 1] = ESC_ESC;
    return o + 2;
  }
  out[o] = b;
  return o + 1;
}

export interface SlipDecoderOptions {
  /** Maximum unescaped payload (body + CRC), bytes. Default 4096. */
  maxPayload?: number;
  /** A frame whose CRC holds: `body` is a fresh copy the caller may keep (unless `lend`). */
  onFrame: (body: Uint8Array) => void;
  /** A dropped frame, by reason; `bytes` is how much of it had been buffered. */
  onDrop?: (reason: FramingDropReason, bytes: number) => void;
  /** `onFrame` threw: the decoder carries on with the next frame either way. */
  onHandlerError?: (err: unknown) => void;
  /**
   * true: `onFrame` gets a view into the decoder's own buffer instead of a copy, valid only
   * until `onFrame` returns (the next frame overwrites it). For a consumer that decodes the
   * body at once and keeps nothing of it: it saves an allocation per frame. Default false.
   */
  lend?: boolean;
}

/**
 * Streaming SLIP + CRC-32 receiver, written for a noisy flight link:
 * - linear time, one fixed buffer of `maxPayload` bytes (never grows);
 * - an invalid escape or an oversize frame drops that frame and resyncs on the next END;
 * - ESC followed by END is an invalid escape, and that END still ends the frame;
 * - empty frames are ignored; a payload shorter than a CRC is a CRC drop;
 * - `end()` discards a partial frame (it is never delivered).
 *
 * Speed: at a frame boundary, a whole frame that lies in one chunk without an escape (found
 * with memchr) is CRC-checked where it lies and never copied byte by byte; anything else goes
 * through the state machine, which keeps its state in locals (written back around every
 * handler call), copies long runs of ordinary bytes whole and skips a discarded frame with
 * memchr. Only a body whose CRC holds is copied (or lent).
 */
export class SlipDecoder {
  private readonly buf: Uint8Array;
  private readonly max: number;
  private len = 0;
  private escaping = false;
  /** Discarding until the next END (the drop is already counted). */
  private discarding = false;
  private readonly lend: boolean;
  private readonly onFrame: (body: Uint8Array) => void;
  private readonly onDrop: (reason: FramingDropReason, bytes: number) => void;
  private readonly onHandlerError: (err: unknown) => void;

  constructor(opts: SlipDecoderOptions) {
    this.max = opts.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    if (!(this.max > CRC_BYTES)) throw new RangeError(`maxPayload must exceed ${CRC_BYTES}`);
    this.buf = new Uint8Array(this.max);
    this.lend = opts.lend === true;
    this.onFrame = opts.onFrame;
    this.onDrop = opts.onDrop ?? (() => {});
    this.onHandlerError = opts.onHandlerError ?? (() => {});
  }

  /** Bytes of an unfinished frame currently buffered. */
  get buffered(): number {
    return this.len;
  }

  push(chunk: Uint8Array): void {
    const n = chunk.length;
    const max = this.max;
    let i = 0;
    // Next END / ESC at or after i (n: none left in this chunk); -1: not looked up yet.
    let nextEnd = -1;
    let nextEsc = -1;
    while (i < n) {
      if (this.len === 0 && !this.escaping && !this.discarding) {
        // At a frame boundary. A whole frame in this chunk without an escape is checked and
        // handed on where it lies: no byte-by-byte copy.
        if (nextEnd < i) nextEnd = indexOfByte(chunk, END, i, n);
        if (nextEnd === n) break; // a partial frame: buffered below
        if (nextEnd === i) {
          i++; // an empty frame (or the leading END of the next one)
          continue;
        }
        if (nextEnd - i <= max) {
          if (nextEsc < i) nextEsc = indexOfByte(chunk, ESC, i, n);
          if (nextEsc > nextEnd) {
            this.deliver(chunk, i, nextEnd);
            i = nextEnd + 1;
            continue;
          }
        }
      }
      i = this.scan(chunk, i, n);
    }
    if (i < n) this.scan(chunk, i, n);
  }

  /**
   * The byte-by-byte state machine, from `i` until it has ended one frame (returns the index
   * after that END) or reached the end of the chunk (returns n). State in locals, written
   * back around every handler call.
   */
  private scan(chunk: Uint8Array, i: number, n: number): number {
    const buf = this.buf;
    const max = this.max;
    let len = this.len;
    let escaping = this.escaping;
    let discarding = this.discarding;
    let nextEnd = -1;
    let nextEsc = -1;
    while (i < n) {
      if (discarding) {
        // Nothing but an END matters until the frame ends.
        const j = indexOfByte(chunk, END, i, n);
        if (j === n) {
          i = n;
          break;
        }
        i = j;
      }
      let b = chunk[i++]!;
      if (b === END) {
        this.len = len;
        this.escaping = escaping;
        this.discarding = discarding;
        if (escaping && !discarding) this.drop('escape');
        this.finishFrame();
        return i;
      }
      if (escaping) {
        escaping = false;
        if (b === ESC_END) b = END;
        else if (b === ESC_ESC) b = ESC;
        else {
          this.len = len;
          this.escaping = false;
          this.discarding = discarding;
          this.drop('escape');
          len = this.len;
          escaping = this.escaping;
          discarding = this.discarding;
          continue;
        }
      } else if (b === ESC) {
        escaping = true;
        continue;
      }
      if (len === max) {
        this.len = len;
        this.escaping = escaping;
        this.discarding = discarding;
        this.drop('oversize');
        len = this.len;
        escaping = this.escaping;
        discarding = this.discarding;
        continue;
      }
      buf[len++] = b;
      // A run of ordinary bytes, as far as the buffer has room: the first few byte by byte
      // (escapes close together stay cheap), the rest of a long run found with memchr
      // (remembered until passed) and copied whole.
      const limit = Math.min(n - i, max - len);
      let k = 0;
      for (; k < limit && k < SHORT_RUN; k++) {
        const c = chunk[i + k]!;
        if (c === END || c === ESC) break;
        buf[len + k] = c;
      }
      len += k;
      i += k;
      if (k === SHORT_RUN && k < limit) {
        if (nextEnd < i) nextEnd = indexOfByte(chunk, END, i, n);
        if (nextEsc < i) nextEsc = indexOfByte(chunk, ESC, i, n);
        let stop = nextEnd < nextEsc ? nextEnd : nextEsc;
        if (stop - i > max - len) stop = i + (max - len);
        const r = stop - i;
        if (r > 48) buf.set(chunk.subarray(i, stop), len);
        else for (let q = 0; q < r; q++) buf[len + q] = chunk[i + q]!;
        len += r;
        i = stop;
      }
    }
    this.len = len;
    this.escaping = escaping;
    this.discarding = discarding;
    return i;
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
    this.deliver(this.buf, 0, len);
  }

  /**
   * A complete unescaped payload `src[start, end)`: the CRC is checked where it lies, and
   * only a body that passes is copied (or lent).
   */
  private deliver(src: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (len < CRC_BYTES) {
      this.report('crc', len);
      return;
    }
    const bodyEnd = end - CRC_BYTES;
    const got = (src[bodyEnd]! | (src[bodyEnd + 1]! << 8) | (src[bodyEnd + 2]! << 16) | (src[bodyEnd + 3]! << 24)) >>> 0;
    if (crc32Range(src, start, bodyEnd) !== got) {
      this.report('crc', len);
      return;
    }
    let body: Uint8Array;
    if (this.lend) body = src.subarray(start, bodyEnd);
    else {
      // A Uint8Array of its own (as before), whatever `src` is.
      body = new Uint8Array(bodyEnd - start);
      if (bodyEnd - start > 64) body.set(src.subarray(start, bodyEnd));
      else for (let k = start; k < bodyEnd; k++) body[k - start] = src[k]!;
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
