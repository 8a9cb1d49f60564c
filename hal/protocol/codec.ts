import { Decoder, Encoder } from 'cbor-x';
import { CRC_BYTES, DEFAULT_MAX_PAYLOAD, encodeFrame, encodeFrameRange, END, ESC } from '../framing/slip.js';
import { FrameError } from '../errors.js';
import { checkPlainCbor, FAIL, readPlain, writeEnd, writePlainBody, writeTarget } from './plain-cbor.js';
import { KINDS, type Message } from './messages.js';
import { UINT32_MAX } from './schema.js';
import { validateBody, type Validation } from './validate.js';

/**
 * Body codec: plain RFC 8949 CBOR through cbor-x, configured so that nothing but plain major
 * types reaches the wire: no record extension (tag 105), no tag 259 for maps, no tag 64 for
 * Uint8Array, map headers sized to their count. Floats stay 64-bit (lossless).
 */
// Options cbor-x supports but its .d.ts does not list yet are passed through a cast.
type CborOptions = ConstructorParameters<typeof Encoder>[0] & Record<string, unknown>;

const encoder = new Encoder({
  useRecords: false,
  mapsAsObjects: true,
  useTag259ForMaps: false,
  tagUint8Array: false,
  variableMapSize: true,
  structuredClone: false,
  bundleStrings: false,
  pack: false,
} as CborOptions);

const decoder = new Decoder({ useRecords: false, mapsAsObjects: true, int64AsNumber: true } as CborOptions);

/**
 * cbor-x writes integers above 2^32−1 as float64; `time`/`at` are uints on the wire, so
 * such top-level integers go out as BigInt (uint64). Undefined fields are left out (cbor-x
 * would write the `undefined` simple value, which a strict peer refuses).
 */
const isBigUint = (v: unknown): boolean => typeof v === 'number' && v > UINT32_MAX && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v);

function wireShape(msg: Message): object {
  let clean = true;
  for (const k in msg) {
    const v = (msg as Record<string, unknown>)[k];
    if (v === undefined || isBigUint(v)) {
      clean = false;
      break;
    }
  }
  if (clean) return msg;
  const out: Record<string, unknown> = {};
  for (const k in msg) {
    const v = (msg as Record<string, unknown>)[k];
    if (v === undefined) continue;
    out[k] = isBigUint(v) ? BigInt(v as number) : v;
  }
  return out;
}

function checkOutgoing(msg: Message): void {
  const s = KINDS[msg.kind as keyof typeof KINDS];
  const why = s ? s.check(msg) : `unknown kind ${String(msg.kind)}`;
  if (why !== undefined) throw new FrameError('E_ENCODE_SCHEMA', `refusing to send ${String(msg.kind)}: ${why}`, { kind: msg.kind });
}

/** Largest body that fits a default frame. */
const MAX_BODY = DEFAULT_MAX_PAYLOAD - CRC_BYTES;

/**
 * Encodes after the kind's schema check, then runs the same plain-CBOR check a receiver runs
 * on the bytes, so nothing a strict peer would refuse (a nested `undefined`, a bignum tag,
 * nesting past the limit) can reach the wire. The result is a view into cbor-x's reused
 * buffer: copy or frame it before the next encode.
 *
 * This is the general path; `encodeBody`/`encodeMessageFrame` try the direct writer first
 * (plain-cbor.ts `writePlainBody`: the same bytes, plain by construction) and come here only
 * for what it does not handle, so every refusal still comes from here.
 */
function encodeChecked(msg: Message): Uint8Array {
  const body = encoder.encode(wireShape(msg));
  const plain = checkPlainCbor(body);
  if (!plain.ok) throw new FrameError('E_ENCODE_SCHEMA', `refusing to send ${String(msg.kind)}: not plain CBOR: ${plain.why}`, { kind: msg.kind });
  if (body.length > MAX_BODY) throw oversize(msg, body.length);
  return body;
}

function oversize(msg: Message, bytes: number): FrameError {
  return new FrameError('E_FRAME_OVERSIZE', `refusing to send ${String(msg.kind)}: body ${bytes} bytes > ${MAX_BODY}`, { kind: msg.kind });
}

// Where the direct writer puts bodies. Frames: a scratch buffer, framed (copied) at once.
// Bodies the caller keeps: a slab, handed out in slices as cbor-x does with its own buffer
// (a new slab when the rest could not hold a largest body).
const scratch = Buffer.allocUnsafeSlow(MAX_BODY + 16);
const scratchView = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
const SLAB = 32 * 1024;
let slab = Buffer.allocUnsafeSlow(SLAB);
let slabView = new DataView(slab.buffer, slab.byteOffset, slab.byteLength);
let slabPos = 0;

/** Message → CBOR body (a fresh copy). */
export function encodeBody(msg: Message): Uint8Array {
  checkOutgoing(msg);
  if (SLAB - slabPos < MAX_BODY + 1) {
    slab = Buffer.allocUnsafeSlow(SLAB);
    slabView = new DataView(slab.buffer, slab.byteOffset, slab.byteLength);
    slabPos = 0;
  }
  writeTarget(slab, slabView, slabPos, slabPos + MAX_BODY + 1);
  if (writePlainBody(msg)) {
    const end = writeEnd();
    if (end - slabPos > MAX_BODY) throw oversize(msg, end - slabPos);
    const body = slab.subarray(slabPos, end);
    slabPos = end;
    return body;
  }
  return encodeChecked(msg).slice();
}

/** Message → complete SLIP frame (END … END). */
export function encodeMessageFrame(msg: Message): Buffer {
  checkOutgoing(msg);
  writeTarget(scratch, scratchView, 0, MAX_BODY + 1);
  if (writePlainBody(msg)) {
    const end = writeEnd();
    if (end > MAX_BODY) throw oversize(msg, end);
    // Sentinels: the framer's END/ESC searches stop here instead of running on through the
    // stale rest of the scratch buffer.
    scratch[end] = END;
    scratch[end + 1] = ESC;
    return encodeFrameRange(scratch, 0, end);
  }
  // encodeFrame copies the body before the encoder's buffer can be reused.
  return encodeFrame(encodeChecked(msg));
}

/** Encodes any value with the wire configuration, unvalidated (tests, tools). */
export function encodePlain(value: unknown): Uint8Array {
  return encoder.encode(value).slice();
}

export type BodyResult =
  | { ok: true; msg: Message }
  | { ok: false; reason: 'cbor' | 'schema'; code: 'schema' | 'version' | 'kind' | 'cbor'; why: string; ref?: number; kind?: string };

/**
 * CRC-checked body → message, never throwing: the plain-CBOR check first (so tags,
 * indefinite lengths and deep nesting never reach cbor-x), then cbor-x under try/catch,
 * then the kind's schema.
 *
 * Fast path: `readPlain` decodes a body that is plain CBOR in one pass, to the value cbor-x
 * would give; whatever it gives up on takes the path above, so refusals are unchanged.
 */
export function decodeBody(body: Uint8Array): BodyResult {
  const value = readPlain(body, false);
  if (value === FAIL) return decodeChecked(body);
  return validated(value);
}

/**
 * decodeBody for a body that is only lent (valid until this returns, e.g. SlipDecoder with
 * `lend`): nothing of it is kept; byte strings in the message are copies.
 */
export function decodeLentBody(body: Uint8Array): BodyResult {
  const value = readPlain(body, true);
  // Uint8Array#slice: a real copy even of a Buffer (Buffer#slice is a view).
  if (value === FAIL) return decodeChecked(Uint8Array.prototype.slice.call(body));
  return validated(value);
}

function validated(value: unknown): BodyResult {
  const v: Validation = validateBody(value);
  if (v.ok) return v;
  return { ...v, ok: false, reason: 'schema' };
}

function decodeChecked(body: Uint8Array): BodyResult {
  const plain = checkPlainCbor(body);
  if (!plain.ok) return { ok: false, reason: plain.reason, code: plain.reason === 'cbor' ? 'cbor' : 'schema', why: plain.why };
  let value: unknown;
  try {
    value = decoder.decode(body);
  } catch (err) {
    return { ok: false, reason: 'cbor', code: 'cbor', why: `cbor-x: ${(err as Error).message}` };
  }
  return validated(value);
}

/** Plain decode with the wire configuration, after the strict check (tools, tests). */
export function decodePlain(body: Uint8Array): unknown {
  const value = readPlain(body, false);
  if (value !== FAIL) return value;
  const plain = checkPlainCbor(body);
  if (!plain.ok) throw new FrameError(plain.reason === 'cbor' ? 'E_BODY_CBOR' : 'E_BODY_SCHEMA', plain.why);
  return decoder.decode(body);
}
