import { encodeRecord, scanRecords } from '../journal/format.js';
import type { Mode } from '../decide/types.js';
import { RecordingError } from './errors.js';

/**
 * The flight-recording file format (see README.md). The record framing is the journal's
 * (u32 LE length + u32 LE CRC-32 + one plain-CBOR map with a text `type`), so a torn tail is
 * found the same way; only the file header differs:
 *
 *   file    = "FSWREC" (6 bytes ASCII) + u16 LE format version (1) + record*
 *   records = session (rx | tx | drop | link | decision | mode | steps | fires)* [end | full]
 *             … and again for every later boot appended to the same file.
 */
export const REC_MAGIC = Buffer.from('FSWREC', 'latin1');
export const REC_FORMAT_VERSION = 1;
export const REC_HEADER_BYTES = 8;
/** The journal is copied into the session header only up to this size (see README.md). */
export const MAX_JOURNAL_IN_HEADER = 8 * 1024 * 1024;

/** How the recorded agent's promise callbacks were interleaved with its clock events. */
export type Drive =
  /** A real clock: callbacks run after every event (Node's event loop). */
  | 'event'
  /** An in-process run on a virtual clock: callbacks run between steps, as `steps` records say. */
  | 'steps';

export interface SessionRecord {
  type: 'session';
  /** The agent's `id` option (the swarm member id; the board's `--id` or "agent"). */
  id: string;
  /** The satellite, when known at boot (the hello names it otherwise). */
  sat: string | null;
  sw: string;
  /** The effective agent configuration (paths included, never a key). */
  config: Record<string, unknown>;
  /** Agent clock at boot, ms. */
  start: number;
  /** Wall time at boot (ISO 8601), for people. */
  wall: string;
  clock: 'real' | 'virtual';
  drive: Drive;
  /** The link as the agent found it. */
  link: { name: string; state: string };
  journal_path: string;
  /** The journal file's bytes at boot; null when missing (empty) or too large (`journal_bytes` says which). */
  journal: Uint8Array | null;
  journal_bytes: number;
}
/** A frame body the agent received (SLIP and CRC removed; CBOR and schema checks are redone on replay). */
export interface RxRecord { type: 'rx'; t: number; b: Uint8Array }
/** A frame body the agent sent; `ok` false when the link refused it. */
export interface TxRecord { type: 'tx'; t: number; b: Uint8Array; ok?: false }
/** A frame the framing layer dropped (escape, crc, oversize). */
export interface DropRecord { type: 'drop'; t: number; r: 'escape' | 'crc' | 'oversize'; d: string }
/** A link state change; `self` when caused by the agent's own open()/close(). */
export interface LinkRecord { type: 'link'; t: number; s: string; self?: true }
export interface DecisionRecord { type: 'decision'; t: number; id: string; action: string | null; rule: string; ok: boolean }
export interface ModeRecord { type: 'mode'; t: number; from: Mode; to: Mode }
/** An in-process runner's stepping: from `t` to `end`, promise callbacks run every `step` ms. */
export interface StepsRecord { type: 'steps'; t: number; end: number; step: number }
export interface EndRecord { type: 'end'; t: number; reason: string }
/** The file reached its size cap; nothing more of this session was recorded. */
export interface FullRecord { type: 'full'; t: number; bytes: number }
/** Agent timers that ran at another time than due (a real clock): timer `n[i]` (in the order made) ran at `r[i]`. */
export interface FiresRecord { type: 'fires'; t: number; n: number[]; r: number[] }

export type EventRecord = RxRecord | TxRecord | DropRecord | LinkRecord | DecisionRecord | ModeRecord | StepsRecord | EndRecord | FullRecord | FiresRecord;
export type RecordingRecord = SessionRecord | EventRecord;

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isText = (x: unknown): x is string => typeof x === 'string';

/** The fields each event type needs (a record from a damaged or foreign writer is refused, not half-used). */
const EVENT_CHECKS: Record<EventRecord['type'], (r: Record<string, unknown>) => boolean> = {
  rx: (r) => r.b instanceof Uint8Array,
  tx: (r) => r.b instanceof Uint8Array,
  drop: (r) => r.r === 'escape' || r.r === 'crc' || r.r === 'oversize',
  link: (r) => isText(r.s),
  decision: (r) => isText(r.id) && isText(r.rule) && (r.action === null || isText(r.action)) && typeof r.ok === 'boolean',
  mode: (r) => isText(r.from) && isText(r.to),
  steps: (r) => isNum(r.end) && isNum(r.step) && r.step > 0,
  end: (r) => isText(r.reason),
  full: (r) => isNum(r.bytes),
  fires: (r) => Array.isArray(r.n) && Array.isArray(r.r) && r.n.length === r.r.length && r.n.every(isNum) && r.r.every(isNum),
};

function validEvent(r: { type: string } & Record<string, unknown>): r is EventRecord & Record<string, unknown> {
  const check = EVENT_CHECKS[r.type as EventRecord['type']];
  return check !== undefined && isNum(r.t) && check(r);
}

function validHeader(r: Record<string, unknown>): r is SessionRecord & Record<string, unknown> {
  const link = r.link as Record<string, unknown> | undefined;
  return isText(r.id) && isNum(r.start) && (r.sat === null || isText(r.sat)) && typeof r.config === 'object' && r.config !== null
    && (r.drive === 'event' || r.drive === 'steps') && !!link && isText(link.name) && isText(link.state)
    && (r.journal === null || r.journal instanceof Uint8Array) && isNum(r.journal_bytes);
}

/**
 * Written before every session header. Sessions are independent (each boots from its own
 * journal copy), so a reader that meets a torn record (a crash) skips to the next marker. Its
 * first four bytes, read as a record length, exceed the record cap: never a record header.
 */
export const SESSION_MARKER = Buffer.from('\xc0FSWREC-SESSION\xc0', 'latin1');

export function recordingFileHeader(): Buffer {
  const h = Buffer.alloc(REC_HEADER_BYTES);
  REC_MAGIC.copy(h, 0);
  h.writeUInt16LE(REC_FORMAT_VERSION, REC_MAGIC.length);
  return h;
}

/** One record → its bytes on disk (the journal's framing). */
export function encodeRecordingRecord(r: RecordingRecord): Buffer {
  return encodeRecord(r);
}

export interface Session {
  header: SessionRecord;
  events: EventRecord[];
  /** Ended by an `end` record (a clean stop); otherwise the process died or the file was cut. */
  ended: boolean;
  /** The size cap cut the session short. */
  full: boolean;
}

export interface RecordingProblem {
  code: 'E_RECORDING_TORN' | 'E_RECORDING_CORRUPT';
  /** Byte offset in the file of the bad record. */
  offset: number;
  /** The session it cut short (0-based), when there is one. */
  session: number | null;
  why: string;
}

export interface Recording {
  sessions: Session[];
  /** Why reading stopped before the end of a session (the sessions hold what came before each cut). */
  problems: RecordingProblem[];
  bytes: number;
}

/** True when the bytes start like a recording (for `fsw decode`, which reads both kinds of file). */
export function looksLikeRecording(b: Uint8Array): boolean {
  return b.length >= REC_MAGIC.length && Buffer.from(b.buffer, b.byteOffset, REC_MAGIC.length).equals(REC_MAGIC);
}

/** Offsets of every session marker in the file. */
function markerOffsets(buf: Buffer): number[] {
  const at: number[] = [];
  for (let i = buf.indexOf(SESSION_MARKER, REC_HEADER_BYTES); i >= 0; i = buf.indexOf(SESSION_MARKER, i + SESSION_MARKER.length)) at.push(i);
  return at;
}

/**
 * Reads a whole recording. Throws RecordingError E_RECORDING_FORMAT / E_RECORDING_VERSION
 * for a file that is not one, and E_RECORDING_TORN / _CORRUPT when no session header
 * survived. A bad record inside a session ends that session there (named in `problems`); the
 * next session is found by its marker, so one crash does not hide the boots after it.
 */
export function readRecording(b: Uint8Array): Recording {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < REC_HEADER_BYTES || !looksLikeRecording(b)) {
    const cut = b.length < REC_HEADER_BYTES && REC_MAGIC.subarray(0, Math.min(b.length, REC_MAGIC.length)).equals(buf.subarray(0, REC_MAGIC.length));
    throw new RecordingError('E_RECORDING_FORMAT', cut ? `file of ${b.length} bytes is cut inside the recording header` : 'not a flight recording (it does not start with FSWREC)');
  }
  const version = buf.readUInt16LE(REC_MAGIC.length);
  if (version !== REC_FORMAT_VERSION) throw new RecordingError('E_RECORDING_VERSION', `recording format version ${version}; this build reads ${REC_FORMAT_VERSION}`, { version });
  const sessions: Session[] = [];
  const problems: RecordingProblem[] = [];
  const marks = markerOffsets(buf);
  if (marks.length === 0 && b.length > REC_HEADER_BYTES) {
    throw new RecordingError('E_RECORDING_TORN', `no session marker in ${b.length - REC_HEADER_BYTES} bytes after the file header`);
  }
  marks.forEach((m, k) => {
    const from = m + SESSION_MARKER.length;
    const to = marks[k + 1] ?? b.length;
    const scan = scanRecords(buf.subarray(from, to), 0);
    const bad = (code: RecordingProblem['code'], offset: number, why: string): void => void problems.push({ code, offset, session: sessions.length > 0 && scan.records.length > 0 ? sessions.length - 1 : null, why });
    const first = scan.records[0] as unknown as (RecordingRecord & Record<string, unknown>) | undefined;
    if (!first || first.type !== 'session' || !validHeader(first)) {
      if (first) bad('E_RECORDING_CORRUPT', from, `session ${k + 1} does not start with a valid session header (${first.type})`);
      else if (scan.stop) bad(scan.stop.reason.startsWith('torn') ? 'E_RECORDING_TORN' : 'E_RECORDING_CORRUPT', from + scan.stop.offset, `session ${k + 1} header: ${scan.stop.why}`);
      return;
    }
    const s: Session = { header: first, events: [], ended: false, full: false };
    sessions.push(s);
    for (let i = 1; i < scan.records.length; i++) {
      const r = scan.records[i]! as { type: string } & Record<string, unknown>;
      if (!validEvent(r)) {
        bad('E_RECORDING_CORRUPT', -1, `session ${k + 1}, record ${i + 1}: not a valid record (type ${JSON.stringify(r.type)}); the session is read up to it`);
        return;
      }
      s.events.push(r);
      if (r.type === 'end') s.ended = true;
      if (r.type === 'full') s.full = true;
    }
    if (scan.stop) bad(scan.stop.reason.startsWith('torn') ? 'E_RECORDING_TORN' : 'E_RECORDING_CORRUPT', from + scan.stop.offset, `session ${k + 1}: ${scan.stop.why}`);
  });
  if (sessions.length === 0) {
    const p = problems[0];
    throw new RecordingError(p?.code ?? 'E_RECORDING_TORN', `no complete session header in the recording${p ? ` (${p.why})` : ''}`);
  }
  return { sessions, problems, bytes: b.length };
}
