import { crc32 } from '../../hal/framing/crc32.js';
import { decodePlain, encodePlain } from '../../hal/protocol/codec.js';
import { checkPlainCbor, MAX_NESTING } from '../../hal/protocol/plain-cbor.js';
import { JournalError } from './errors.js';

/**
 * The on-disk format, as pure functions over bytes (no fs here, so every cut point and bit
 * flip can be tested without touching a disk).
 *
 *   file   = header record*
 *   header = "CAJRNL" (6 bytes ASCII) + u16 LE format version (1)
 *   record = u32 LE body length (> 0) + u32 LE CRC-32 (IEEE) of body + body
 *   body   = exactly one plain CBOR map (PROTOCOL.md §2 subset) with a text `type`
 */
export type JournalRecord = { type: string } & Record<string, unknown>;

export const MAGIC = Buffer.from('CAJRNL', 'latin1');
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 8;
export const RECORD_HEADER_BYTES = 8;
/**
 * Hard cap on one body, whatever max_bytes says. The writer never exceeds it, so on replay a
 * declared length above it is a damaged length field, not a record cut short by a crash.
 */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export function fileHeader(version = FORMAT_VERSION): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(h, 0);
  h.writeUInt16LE(version, MAGIC.length);
  return h;
}

export type HeaderCheck =
  | { ok: true }
  /** Empty, or a strict prefix of our own header: a creation cut short. */
  | { ok: false; kind: 'short' }
  | { ok: false; kind: 'format'; why: string }
  | { ok: false; kind: 'version'; version: number };

export function checkHeader(b: Uint8Array): HeaderCheck {
  const want = fileHeader();
  if (b.length < HEADER_BYTES) {
    for (let i = 0; i < b.length; i++) {
      if (b[i] !== want[i]) return { ok: false, kind: 'format', why: `file of ${b.length} bytes does not start with the journal magic` };
    }
    return { ok: false, kind: 'short' };
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (b[i] !== MAGIC[i]) return { ok: false, kind: 'format', why: 'bad magic (not a journal file)' };
  }
  const version = b[6]! | (b[7]! << 8);
  if (version !== FORMAT_VERSION) return { ok: false, kind: 'version', version };
  return { ok: true };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A UTF-16 surrogate with no partner (with the `u` flag, paired surrogates are one code point). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function checkText(s: string, where: string): void {
  if (LONE_SURROGATE.test(s)) {
    // Such a string has no UTF-8 form: cbor-x writes short ones as invalid UTF-8 (which
    // replay would refuse) and long ones with U+FFFD in its place (a silent change).
    throw new JournalError('E_JOURNAL_RECORD', `${where} holds a lone UTF-16 surrogate (not valid Unicode text)`);
  }
}

/**
 * Prepares a value for encoding, copying only what changes: drops properties whose value is
 * `undefined` (as JSON does), at any depth, and refuses text with lone surrogates. cbor-x
 * would write the `undefined` simple value, which the plain-CBOR check (and so replay)
 * refuses; optional fields left undefined are too common in TypeScript to refuse.
 */
function prepare(v: unknown, depth: number): unknown {
  if (typeof v === 'string') {
    checkText(v, 'a text value');
    return v;
  }
  if (v === null || typeof v !== 'object' || depth > MAX_NESTING + 1) return v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const c = prepare(v[i], depth + 1);
      if (c !== v[i]) (out ??= v.slice())[i] = c;
    }
    return out ?? v;
  }
  if (!isPlainObject(v)) return v;
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(v)) {
    checkText(k, 'a key');
    const x = v[k];
    if (x === undefined) {
      out ??= { ...v };
      delete out[k];
      continue;
    }
    const c = prepare(x, depth + 1);
    if (c !== x) (out ??= { ...v })[k] = c;
  }
  return out ?? v;
}

/**
 * One record → its complete on-disk frame. Refuses (E_JOURNAL_RECORD) anything replay would
 * not read back as the same plain object: not a plain object, no text `type`, or a value that
 * does not encode as plain CBOR (Date, Map with non-text keys, undefined in an array, BigInt
 * beyond 64 bits, nesting deeper than MAX_NESTING, cycles, text with lone surrogates).
 */
export function encodeRecord(record: unknown): Buffer {
  if (!isPlainObject(record)) throw new JournalError('E_JOURNAL_RECORD', 'a journal record must be a plain object');
  const type = record['type'];
  if (typeof type !== 'string' || type.length === 0) {
    throw new JournalError('E_JOURNAL_RECORD', 'a journal record needs a non-empty text `type`', { type: typeof type });
  }
  const value = prepare(record, 0);
  let body: Uint8Array;
  try {
    body = encodePlain(value);
  } catch (err) {
    throw new JournalError('E_JOURNAL_RECORD', `record of type ${type} does not encode as CBOR: ${(err as Error).message}`, { type }, { cause: err });
  }
  const plain = checkPlainCbor(body);
  if (!plain.ok) throw new JournalError('E_JOURNAL_RECORD', `record of type ${type} is not plain CBOR: ${plain.why}`, { type });
  if (body.length > MAX_RECORD_BYTES) {
    throw new JournalError('E_JOURNAL_TOO_LARGE', `record of type ${type} is ${body.length} bytes; the cap is ${MAX_RECORD_BYTES}`, { type, bytes: body.length });
  }
  const frame = Buffer.allocUnsafe(RECORD_HEADER_BYTES + body.length);
  frame.writeUInt32LE(body.length, 0);
  frame.writeUInt32LE(crc32(body), 4);
  frame.set(body, RECORD_HEADER_BYTES);
  return frame;
}

export type ScanStop =
  /** Fewer than 8 bytes left: the length/CRC header itself was cut. */
  | 'torn-header'
  /** The declared body runs past the end of the file. */
  | 'torn-body'
  /** The final record's CRC fails (its bytes were only partly written). */
  | 'torn-crc'
  /** Everything from the bad record to the end is zero (size extended before data landed). */
  | 'torn-zeros'
  /** CRC mismatch (or a zero or impossible length) with more data after it. */
  | 'corrupt-crc'
  | 'corrupt-length'
  /** The CRC matched but the body is not a plain CBOR map with a text `type`. */
  | 'corrupt-body';

export interface ScanResult {
  records: JournalRecord[];
  /** Offset just past the last good record: where the file is cut and appends resume. */
  end: number;
  torn: number;
  corrupt: number;
  /** Why the scan stopped before the end of the file, and where. */
  stop?: { reason: ScanStop; offset: number; why: string };
}

function allZero(b: Uint8Array, from: number): boolean {
  for (let i = from; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Reads every good record after the header, in order, and classifies the first bad one.
 *
 * A bad record that is the last thing in the file is a torn tail: the crash interrupted the
 * final write (a cut header, a body past the end, a final CRC that fails, or a zero-filled
 * tail left by a filesystem that grew the file before the data reached the disk). That is the
 * expected result of losing power mid-append and is counted in `torn`.
 *
 * A bad record with more data after it is corruption (a flipped bit on the media, or unsynced
 * pages written back out of order before a crash). The scan stops there rather than skipping
 * ahead, for two reasons: the damaged record's length field cannot be trusted, so there is no
 * sound way to find the next record boundary (a guess could land inside a body whose bytes
 * happen to look like a frame); and the journal is a causal history, so replaying records
 * that came after a missing one (an action's `done` without its `running`, a vote without
 * its term) would build a state that never existed. Stopping gives the state as of the last
 * record known good, which is a state the agent really was in.
 */
export function scanRecords(b: Uint8Array, start = HEADER_BYTES): ScanResult {
  const records: JournalRecord[] = [];
  const n = b.length;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = start;
  const stop = (reason: ScanStop, why: string): ScanResult => {
    const torn = reason.startsWith('torn');
    return { records, end: p, torn: torn ? 1 : 0, corrupt: torn ? 0 : 1, stop: { reason, offset: p, why } };
  };
  // A bad record at p: torn if nothing real follows it, corrupt otherwise.
  const bad = (recordEnd: number, corrupt: 'corrupt-crc' | 'corrupt-length', why: string): ScanResult => {
    if (allZero(b, p)) return stop('torn-zeros', `${why}; zero-filled to the end`);
    if (recordEnd === n) return stop('torn-crc', why);
    return stop(corrupt, `${why}; ${n - p} bytes follow`);
  };
  while (p < n) {
    if (n - p < RECORD_HEADER_BYTES) {
      return allZero(b, p) ? stop('torn-zeros', 'cut record header, zero-filled') : stop('torn-header', `${n - p} bytes left, a record header needs ${RECORD_HEADER_BYTES}`);
    }
    const len = view.getUint32(p, true);
    const crc = view.getUint32(p + 4, true);
    if (len === 0) return bad(p + RECORD_HEADER_BYTES, 'corrupt-length', 'zero body length');
    if (len > MAX_RECORD_BYTES) return bad(-1, 'corrupt-length', `declared body length ${len} is above the cap ${MAX_RECORD_BYTES}`);
    const bodyStart = p + RECORD_HEADER_BYTES;
    const end = bodyStart + len;
    if (end > n) {
      return allZero(b, p) ? stop('torn-zeros', 'zero-filled tail') : stop('torn-body', `body of ${len} bytes, ${n - bodyStart} present`);
    }
    const body = b.subarray(bodyStart, end);
    if (crc32(body) !== crc) return bad(end, 'corrupt-crc', 'CRC-32 mismatch');
    let value: unknown;
    try {
      value = decodePlain(body);
    } catch (err) {
      return stop('corrupt-body', `CRC good but body is not plain CBOR: ${(err as Error).message}`);
    }
    if (!isPlainObject(value) || typeof value['type'] !== 'string') {
      return stop('corrupt-body', 'CRC good but body is not a map with a text `type`');
    }
    records.push(value as JournalRecord);
    p = end;
  }
  return { records, end: p, torn: 0, corrupt: 0 };
}
