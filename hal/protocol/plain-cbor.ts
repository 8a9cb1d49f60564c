/**
 * Strict well-formedness check for the plain CBOR subset of PROTOCOL.md §2, run on every
 * body before it reaches the decoder. It walks the bytes once with an explicit stack (no
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

export function checkPlainCbor(b: Uint8Array, maxDepth = MAX_NESTING): PlainCheck {
  const n = b.length;
  let p = 0;
  // remaining[d]: items still to read in the container at depth d (maps count keys and
  // values); keyNext[d]: the next item of that container is a map key.
  const remaining: number[] = [1];
  const isMapAt: boolean[] = [false];
  let depth = 0;
  const bad = (why: string): PlainCheck => ({ ok: false, reason: 'cbor', why: `${why} at byte ${p}` });

  while (depth >= 0) {
    if (remaining[depth] === 0) {
      depth--;
      continue;
    }
    if (p >= n) return bad('truncated');
    const left = remaining[depth]!;
    remaining[depth] = left - 1;
    // In a map the key is read when the count left is even.
    if (isMapAt[depth] && left % 2 === 0 && b[p]! >> 5 !== 3) {
      return { ok: false, reason: 'schema', why: `map key is not text at byte ${p}` };
    }
    const ib = b[p++]!;
    const major = ib >> 5;
    const ai = ib & 0x1f;
    let arg: number;
    if (ai < 24) arg = ai;
    else if (ai === 24) {
      if (p + 1 > n) return bad('truncated argument');
      arg = b[p]!;
      p += 1;
    } else if (ai === 25) {
      if (p + 2 > n) return bad('truncated argument');
      arg = (b[p]! << 8) | b[p + 1]!;
      p += 2;
    } else if (ai === 26) {
      if (p + 4 > n) return bad('truncated argument');
      arg = ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
      p += 4;
    } else if (ai === 27) {
      if (p + 8 > n) return bad('truncated argument');
      const hi = ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
      const lo = ((b[p + 4]! << 24) >>> 0) + ((b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!);
      arg = hi * 0x100000000 + lo; // may round past 2^53; only used as a length bound below
      p += 8;
    } else if (ai === 31) {
      return bad(major === 7 ? 'break outside an indefinite item' : 'indefinite length');
    } else return bad('reserved additional information');

    switch (major) {
      case 0:
      case 1:
        break;
      case 2:
        if (arg > n - p) return bad('declared length past the end of the frame');
        p += arg;
        break;
      case 3:
        if (arg > n - p) return bad('declared length past the end of the frame');
        if (!validUtf8(b, p, p + arg)) return bad('text string is not valid UTF-8');
        p += arg;
        break;
      case 4:
      case 5: {
        const items = major === 5 ? arg * 2 : arg;
        if (items > n - p) return bad('declared length past the end of the frame');
        if (depth + 1 > maxDepth + 1) return bad(`nested deeper than ${maxDepth}`);
        if (items > 0) {
          depth++;
          remaining[depth] = items;
          isMapAt[depth] = major === 5;
        }
        break;
      }
      case 6:
        return bad(`tag ${arg}`);
      case 7:
        if (ai < 24) {
          if (ai < 20 || ai > 22) return bad(`simple value ${ai}`);
        } else if (ai === 24) return bad(`simple value ${arg}`);
        break;
    }
    if (depth === 0 && remaining[0] === 0) break;
  }
  if (p !== n) return bad('trailing bytes after the body');
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
