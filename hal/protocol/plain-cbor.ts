/**
 * Strict well-formedness check for the plain CBOR subset of PROTOCOL.md §2, run on every
 * body before it reaches cbor-x (the codec's one-pass reader below applies the same rules
 * and hands anything it refuses to this check). It walks the bytes once with an explicit stack (no
 * recursion, so a hostile 4000-deep body cannot blow the call stack) and refuses: tags,
 * indefinite lengths, simple values other than false/true/null, reserved encodings,
 * declared lengths past the end, nesting deeper than `maxDepth`, trailing bytes, and maps
 * with keys that are not text. cbor-x alone would decode tags into Dates or extension
 * objects and silently accept most of this.
 */
export type PlainCheck = { ok: true } | { ok: false; reason: 'cbor' | 'schema'; why: string };

/** Containers nested inside the body map; the body map itself is depth 0. */
export const MAX_NESTING = 16;

const OK: PlainCheck = { ok: true };

const bad = (why: string, p: number): PlainCheck => ({ ok: false, reason: 'cbor', why: `${why} at byte ${p}` });

// The walk's stack, shared by every call (the check is synchronous and never re-entered):
// remaining[d]: items still to read in the container at depth d (maps count keys and values);
// isMapAt[d]: that container is a map. Grown when a caller asks for a deeper limit.
let remaining = new Int32Array(MAX_NESTING + 2);
let isMapAt = new Uint8Array(MAX_NESTING + 2);

export function checkPlainCbor(b: Uint8Array, maxDepth = MAX_NESTING): PlainCheck {
  const n = b.length;
  let p = 0;
  if (remaining.length < maxDepth + 2) {
    remaining = new Int32Array(maxDepth + 2);
    isMapAt = new Uint8Array(maxDepth + 2);
  }
  const rem = remaining;
  const isMap = isMapAt;
  rem[0] = 1;
  isMap[0] = 0;
  let depth = 0;

  while (depth >= 0) {
    const left = rem[depth]!;
    if (left === 0) {
      depth--;
      continue;
    }
    if (p >= n) return bad('truncated', p);
    rem[depth] = left - 1;
    // In a map the key is read when the count left is even.
    if (isMap[depth] === 1 && (left & 1) === 0 && b[p]! >> 5 !== 3) {
      return { ok: false, reason: 'schema', why: `map key is not text at byte ${p}` };
    }
    const ib = b[p++]!;
    const major = ib >> 5;
    const ai = ib & 0x1f;
    let arg: number;
    if (ai < 24) arg = ai;
    else if (ai === 24) {
      if (p + 1 > n) return bad('truncated argument', p);
      arg = b[p]!;
      p += 1;
    } else if (ai === 25) {
      if (p + 2 > n) return bad('truncated argument', p);
      arg = (b[p]! << 8) | b[p + 1]!;
      p += 2;
    } else if (ai === 26) {
      if (p + 4 > n) return bad('truncated argument', p);
      arg = ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
      p += 4;
    } else if (ai === 27) {
      if (p + 8 > n) return bad('truncated argument', p);
      const hi = ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
      const lo = ((b[p + 4]! << 24) >>> 0) + ((b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!);
      arg = hi * 0x100000000 + lo; // may round past 2^53; only used as a length bound below
      p += 8;
    } else if (ai === 31) {
      return bad(major === 7 ? 'break outside an indefinite item' : 'indefinite length', p);
    } else return bad('reserved additional information', p);

    switch (major) {
      case 0:
      case 1:
        break;
      case 2:
        if (arg > n - p) return bad('declared length past the end of the frame', p);
        p += arg;
        break;
      case 3:
        if (arg > n - p) return bad('declared length past the end of the frame', p);
        if (!validUtf8(b, p, p + arg)) return bad('text string is not valid UTF-8', p);
        p += arg;
        break;
      case 4:
      case 5: {
        const items = major === 5 ? arg * 2 : arg;
        if (items > n - p) return bad('declared length past the end of the frame', p);
        if (depth + 1 > maxDepth + 1) return bad(`nested deeper than ${maxDepth}`, p);
        if (items > 0) {
          depth++;
          rem[depth] = items;
          isMap[depth] = major === 5 ? 1 : 0;
        }
        break;
      }
      case 6:
        return bad(`tag ${arg}`, p);
      case 7:
        if (ai < 24) {
          if (ai < 20 || ai > 22) return bad(`simple value ${ai}`, p);
        } else if (ai === 24) return bad(`simple value ${arg}`, p);
        break;
    }
    if (depth === 0 && rem[0] === 0) break;
  }
  if (p !== n) return bad('trailing bytes after the body', p);
  return OK;
}

/** RFC 3629 UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF). ASCII runs take the fast path. */
function validUtf8(b: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return false;
    if (i + need >= end) return false; // the sequence runs past the string
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k]!;
      if ((cc & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// The plain subset, read and written directly (the codec's fast paths).
//
// Both are exact shortcuts, never a second definition of the wire format:
// - `readPlain` accepts only what `checkPlainCbor` accepts (same grammar, same limits) and
//   builds the value cbor-x would (with the codec's decoder options). Anything it is not
//   sure of it gives up on (FAIL), and the caller runs the full check and cbor-x instead, so
//   every refusal still comes from there, with the same reason and text.
// - `writePlain*` produce byte for byte what cbor-x writes with the codec's encoder options
//   for the values they handle (plain objects, arrays, Uint8Array/Buffer, text that is
//   well-formed UTF-16, numbers, booleans, null), within the nesting limit. Anything else
//   (a nested undefined, a Date, Map, Set, other typed arrays, a bigint, a lone surrogate, a
//   function, an inherited enumerable key, nesting past the limit, a body past the size
//   limit) gives up (false), and the caller encodes with cbor-x and re-scans the bytes, as
//   before. What they write is plain by construction, so it needs no re-scan.

/** What `readPlain` returns when it gives up. */
export const FAIL: unique symbol = Symbol('not read');

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const f64 = new Float64Array(1);
const f64b = new Uint8Array(f64.buffer);
const f32 = new Float32Array(1);
const f32b = new Uint8Array(f32.buffer);

let src: Uint8Array = new Uint8Array(0);
let pos = 0;
let srcEnd = 0;
let copyBytes = false;

/** Short text (map keys, kinds, device names) decoded once and reused: no allocation, and
 *  the string is already internalized when it is used as a property key. */
const KEY_MAX = 16;
const KEY_SLOTS = 512;
const keyLen = new Int16Array(KEY_SLOTS).fill(-1);
const keyBytes = new Uint8Array(KEY_SLOTS * KEY_MAX);
const keyStr: string[] = new Array<string>(KEY_SLOTS).fill('');

/**
 * Decodes `b` if it is one plain CBOR item (PROTOCOL.md §2) nested at most MAX_NESTING deep;
 * otherwise FAIL. `copy`: byte strings are copied out (for a body that is only lent);
 * otherwise they are views into `b`, as cbor-x gives them.
 */
export function readPlain(b: Uint8Array, copy: boolean): unknown {
  src = b;
  pos = 0;
  srcEnd = b.length;
  copyBytes = copy;
  const v = readItem(0);
  const done = pos === srcEnd;
  src = EMPTY;
  return done ? v : FAIL;
}
const EMPTY = new Uint8Array(0);
const u8slice = Uint8Array.prototype.slice as (this: Uint8Array, start: number, end: number) => Uint8Array;

/** The argument of an item (ai < 28), or -1 when truncated or reserved. */
function readArg(ai: number): number {
  if (ai < 24) return ai;
  const b = src;
  const p = pos;
  if (ai === 24) {
    if (p + 1 > srcEnd) return -1;
    pos = p + 1;
    return b[p]!;
  }
  if (ai === 25) {
    if (p + 2 > srcEnd) return -1;
    pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }
  if (ai === 26) {
    if (p + 4 > srcEnd) return -1;
    pos = p + 4;
    return ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }
  if (ai === 27) {
    if (p + 8 > srcEnd) return -1;
    pos = p + 8;
    // As cbor-x computes it (int64AsNumber): may round above 2^53.
    const hi = ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
    const lo = ((b[p + 4]! << 24) >>> 0) + ((b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!);
    return hi * 0x100000000 + lo;
  }
  return -1;
}

function readItem(depth: number): unknown {
  if (pos >= srcEnd) return FAIL;
  const ib = src[pos++]!;
  const major = ib >> 5;
  const ai = ib & 0x1f;
  if (major === 7) return readSimple(ai);
  if (ai > 27) return FAIL;
  const arg = readArg(ai);
  if (arg < 0) return FAIL;
  switch (major) {
    case 0:
      return arg;
    case 1:
      return -1 - arg;
    case 2: {
      if (arg > srcEnd - pos) return FAIL;
      const start = pos;
      pos += arg;
      // A copy must be a copy even when the body is a Buffer (whose own slice is a view).
      return copyBytes ? u8slice.call(src, start, pos) : src.subarray(start, pos);
    }
    case 3:
      return readText(arg);
    case 4: {
      if (arg > srcEnd - pos || depth > MAX_NESTING) return FAIL;
      const a = new Array<unknown>(arg);
      for (let i = 0; i < arg; i++) {
        const v = readItem(depth + 1);
        if (v === FAIL) return FAIL;
        a[i] = v;
      }
      return a;
    }
    case 5: {
      if (arg * 2 > srcEnd - pos || depth > MAX_NESTING) return FAIL;
      const o: Record<string, unknown> = {};
      for (let i = 0; i < arg; i++) {
        // Keys are text (refused otherwise: the full check gives the reason).
        if (pos >= srcEnd) return FAIL;
        const kb = src[pos++]!;
        if (kb >> 5 !== 3) return FAIL;
        const kai = kb & 0x1f;
        if (kai > 27) return FAIL;
        const klen = readArg(kai);
        if (klen < 0) return FAIL;
        const k = readText(klen);
        if (k === FAIL) return FAIL;
        const v = readItem(depth + 1);
        if (v === FAIL) return FAIL;
        // cbor-x renames this one key (prototype pollution guard); so do we.
        o[k === '__proto__' ? '__proto_' : (k as string)] = v;
      }
      return o;
    }
    default:
      return FAIL; // tags
  }
}

function readSimple(ai: number): unknown {
  const b = src;
  const p = pos;
  switch (ai) {
    case 20:
      return false;
    case 21:
      return true;
    case 22:
      return null;
    case 25: {
      if (p + 2 > srcEnd) return FAIL;
      pos = p + 2;
      return half(b[p]!, b[p + 1]!);
    }
    case 26: {
      if (p + 4 > srcEnd) return FAIL;
      pos = p + 4;
      if (LITTLE_ENDIAN) {
        f32b[3] = b[p]!;
        f32b[2] = b[p + 1]!;
        f32b[1] = b[p + 2]!;
        f32b[0] = b[p + 3]!;
      } else for (let i = 0; i < 4; i++) f32b[i] = b[p + i]!;
      return f32[0]!;
    }
    case 27: {
      if (p + 8 > srcEnd) return FAIL;
      pos = p + 8;
      if (LITTLE_ENDIAN) {
        f64b[7] = b[p]!;
        f64b[6] = b[p + 1]!;
        f64b[5] = b[p + 2]!;
        f64b[4] = b[p + 3]!;
        f64b[3] = b[p + 4]!;
        f64b[2] = b[p + 5]!;
        f64b[1] = b[p + 6]!;
        f64b[0] = b[p + 7]!;
      } else for (let i = 0; i < 8; i++) f64b[i] = b[p + i]!;
      return f64[0]!;
    }
    default:
      return FAIL; // undefined, other simple values, reserved, break
  }
}

/** IEEE 754 binary16, as cbor-x's getFloat16 computes it. */
function half(byte0: number, byte1: number): number {
  const exponent = (byte0 & 0x7f) >> 2;
  if (exponent === 0x1f) {
    if (byte1 || byte0 & 3) return NaN;
    return byte0 & 0x80 ? -Infinity : Infinity;
  }
  if (exponent === 0) {
    const abs = (((byte0 & 3) << 8) | byte1) / (1 << 24);
    return byte0 & 0x80 ? -abs : abs;
  }
  // (sign, exponent rebased from 15 to 127, mantissa) as a float32.
  const bits = ((byte0 & 0x80) << 24) | (((exponent + 112) << 23) >>> 0) | (((byte0 & 3) << 8) | byte1) << 13;
  f32b[LITTLE_ENDIAN ? 3 : 0] = bits >>> 24;
  f32b[LITTLE_ENDIAN ? 2 : 1] = (bits >>> 16) & 0xff;
  f32b[LITTLE_ENDIAN ? 1 : 2] = (bits >>> 8) & 0xff;
  f32b[LITTLE_ENDIAN ? 0 : 3] = bits & 0xff;
  return f32[0]!;
}

function readText(len: number): string | typeof FAIL {
  if (len > srcEnd - pos) return FAIL;
  const b = src;
  const start = pos;
  const end = start + len;
  if (len <= KEY_MAX) {
    let h = len;
    for (let i = start; i < end; i++) h = (Math.imul(h, 31) + b[i]!) | 0;
    const slot = (h ^ (h >>> 9)) & (KEY_SLOTS - 1);
    if (keyLen[slot] === len) {
      const base = slot * KEY_MAX - start;
      let same = true;
      for (let i = start; i < end; i++) {
        if (keyBytes[base + i] !== b[i]) {
          same = false;
          break;
        }
      }
      if (same) {
        pos = end;
        return keyStr[slot]!;
      }
    }
    const s = decodeUtf8(b, start, end);
    if (s === FAIL) return FAIL;
    keyLen[slot] = len;
    keyBytes.set(b.subarray(start, end), slot * KEY_MAX);
    keyStr[slot] = s;
    pos = end;
    return s;
  }
  const s = decodeUtf8(b, start, end);
  if (s === FAIL) return FAIL;
  pos = end;
  return s;
}

const utf8Slice = (Buffer.prototype as unknown as { utf8Slice: (this: Uint8Array, start: number, end: number) => string }).utf8Slice;

/** Valid UTF-8 → string; FAIL otherwise. */
function decodeUtf8(b: Uint8Array, start: number, end: number): string | typeof FAIL {
  if (end - start <= 8) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = b[i]!;
      if (c >= 0x80) return validUtf8(b, start, end) ? utf8Slice.call(b, start, end) : FAIL;
      s += String.fromCharCode(c);
    }
    return s;
  }
  return validUtf8(b, start, end) ? utf8Slice.call(b, start, end) : FAIL;
}

// --- writing --------------------------------------------------------------------------

let out: Uint8Array = new Uint8Array(0);
let outView = new DataView(out.buffer);
let wpos = 0;
let wlim = 0;

const UINT32_MAX = 0xffffffff;

/** Where the next write goes: `buf[start, limit)`, through `view` (a DataView of `buf`). */
export function writeTarget(buf: Uint8Array, view: DataView, start: number, limit: number): void {
  out = buf;
  outView = view;
  wpos = start;
  wlim = limit;
}

/** Position after the last write. */
export function writeEnd(): number {
  return wpos;
}

/**
 * A message as the codec sends it: a map of its own enumerable fields, `undefined` fields
 * left out, and top-level integers above 2^32−1 (and up to 2^53−1) as uint64, as the codec's
 * `wireShape` + cbor-x write them. false: gave up (nothing to keep of what was written).
 */
export function writePlainBody(msg: object): boolean {
  if (msg === null || typeof msg !== 'object' || msg.constructor !== Object) return false;
  if (wpos >= wlim) return false;
  const head = wpos++;
  let count = 0;
  const m = msg as Record<string, unknown>;
  for (const k in m) {
    if (!Object.hasOwn(m, k)) return false;
    const v = m[k];
    if (v === undefined) continue;
    if (!writeText(k)) return false;
    if (typeof v === 'number' && v > UINT32_MAX && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
      if (wpos + 9 > wlim) return false;
      out[wpos] = 0x1b;
      const hi = Math.floor(v / 0x100000000);
      outView.setUint32(wpos + 1, hi);
      outView.setUint32(wpos + 5, v - hi * 0x100000000);
      wpos += 9;
    } else if (!writeValue(v, 1)) return false;
    count++;
  }
  return patchHeader(head, 0xa0, count);
}

/** Writes the count of a container whose first byte was reserved at `head` (minimal size). */
function patchHeader(head: number, major: number, count: number): boolean {
  if (count < 24) {
    out[head] = major | count;
    return true;
  }
  const extra = count < 0x100 ? 1 : count < 0x10000 ? 2 : 4;
  if (wpos + extra > wlim) return false;
  out.copyWithin(head + 1 + extra, head + 1, wpos);
  wpos += extra;
  if (extra === 1) {
    out[head] = major | 24;
    out[head + 1] = count;
  } else if (extra === 2) {
    out[head] = major | 25;
    out[head + 1] = count >> 8;
    out[head + 2] = count & 0xff;
  } else {
    out[head] = major | 26;
    outView.setUint32(head + 1, count);
  }
  return true;
}

function writeHeader(major: number, n: number): boolean {
  if (wpos + 5 > wlim) return false;
  const o = out;
  if (n < 24) o[wpos++] = major | n;
  else if (n < 0x100) {
    o[wpos++] = major | 24;
    o[wpos++] = n;
  } else if (n < 0x10000) {
    o[wpos++] = major | 25;
    o[wpos++] = n >> 8;
    o[wpos++] = n & 0xff;
  } else {
    o[wpos++] = major | 26;
    outView.setUint32(wpos, n);
    wpos += 4;
  }
  return true;
}

/** One value at nesting level `depth` (if it is a container). */
function writeValue(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'number':
      return writeNumber(v);
    case 'string':
      return writeText(v);
    case 'boolean':
      if (wpos >= wlim) return false;
      out[wpos++] = v ? 0xf5 : 0xf4;
      return true;
    case 'object': {
      if (v === null) {
        if (wpos >= wlim) return false;
        out[wpos++] = 0xf6;
        return true;
      }
      const c = v.constructor;
      if (c === Object) {
        if (depth > MAX_NESTING || wpos >= wlim) return false;
        const head = wpos++;
        let count = 0;
        const m = v as Record<string, unknown>;
        for (const k in m) {
          if (!Object.hasOwn(m, k)) return false;
          if (!writeText(k) || !writeValue(m[k], depth + 1)) return false;
          count++;
        }
        return patchHeader(head, 0xa0, count);
      }
      if (c === Array) {
        if (depth > MAX_NESTING) return false;
        const a = v as unknown[];
        const n = a.length;
        if (!writeHeader(0x80, n)) return false;
        for (let i = 0; i < n; i++) if (!writeValue(a[i], depth + 1)) return false;
        return true;
      }
      if ((c === Uint8Array || c === Buffer) && v instanceof Uint8Array) {
        const n = v.length;
        if (!writeHeader(0x40, n) || wpos + n > wlim) return false;
        if (n > 32) out.set(v, wpos);
        else for (let i = 0; i < n; i++) out[wpos + i] = v[i]!;
        wpos += n;
        return true;
      }
      return false;
    }
    default:
      return false; // undefined, bigint, symbol, function
  }
}

/** A number exactly as cbor-x writes it (alwaysUseFloat and useFloat32 off). */
function writeNumber(value: number): boolean {
  if (wpos + 9 > wlim) return false;
  const o = out;
  if (value >>> 0 === value) {
    if (value < 0x18) o[wpos++] = value;
    else if (value < 0x100) {
      o[wpos++] = 0x18;
      o[wpos++] = value;
    } else if (value < 0x10000) {
      o[wpos++] = 0x19;
      o[wpos++] = value >> 8;
      o[wpos++] = value & 0xff;
    } else {
      o[wpos++] = 0x1a;
      outView.setUint32(wpos, value);
      wpos += 4;
    }
  } else if (value >> 0 === value) {
    if (value >= -0x18) o[wpos++] = 0x1f - value;
    else if (value >= -0x100) {
      o[wpos++] = 0x38;
      o[wpos++] = ~value;
    } else if (value >= -0x10000) {
      o[wpos++] = 0x39;
      outView.setUint16(wpos, ~value);
      wpos += 2;
    } else {
      o[wpos++] = 0x3a;
      outView.setUint32(wpos, ~value);
      wpos += 4;
    }
  } else if (value < 0 && value >= -0x100000000 && Math.floor(value) === value) {
    o[wpos++] = 0x3a;
    outView.setUint32(wpos, -1 - value);
    wpos += 4;
  } else {
    o[wpos++] = 0xfb;
    outView.setFloat64(wpos, value);
    wpos += 8;
  }
  return true;
}

/** Text as UTF-8 with a minimal header; false for a lone surrogate (or no room). */
function writeText(s: string): boolean {
  const n = s.length;
  // Worst case 3 bytes per UTF-16 unit, plus the header.
  if (wpos + 5 + 3 * n > wlim) return false;
  const o = out;
  const head = n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
  const start = wpos + head;
  let q = start;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) o[q++] = c;
    else if (c < 0x800) {
      o[q++] = (c >> 6) | 0xc0;
      o[q++] = (c & 0x3f) | 0x80;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      if (c > 0xdbff || i + 1 >= n) return false;
      const c2 = s.charCodeAt(i + 1);
      if (c2 < 0xdc00 || c2 > 0xdfff) return false;
      c = 0x10000 + ((c & 0x3ff) << 10) + (c2 & 0x3ff);
      i++;
      o[q++] = (c >> 18) | 0xf0;
      o[q++] = ((c >> 12) & 0x3f) | 0x80;
      o[q++] = ((c >> 6) & 0x3f) | 0x80;
      o[q++] = (c & 0x3f) | 0x80;
    } else {
      o[q++] = (c >> 12) | 0xe0;
      o[q++] = ((c >> 6) & 0x3f) | 0x80;
      o[q++] = (c & 0x3f) | 0x80;
    }
  }
  const len = q - start;
  const need = len < 24 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 5;
  if (need !== head) o.copyWithin(wpos + need, start, q);
  if (need === 1) o[wpos] = 0x60 | len;
  else if (need === 2) {
    o[wpos] = 0x78;
    o[wpos + 1] = len;
  } else if (need === 3) {
    o[wpos] = 0x79;
    o[wpos + 1] = len >> 8;
    o[wpos + 2] = len & 0xff;
  } else {
    o[wpos] = 0x7a;
    outView.setUint32(wpos + 1, len);
  }
  wpos += need + len;
  return true;
}
