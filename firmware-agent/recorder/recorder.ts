import * as fs from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Clock } from '../../hal/time/clock.js';
import type { Link } from '../../hal/link/link.js';
import type { AgentConfig } from '../config/schema.js';
import type { Emitter } from '../../hal/util/emitter.js';
import type { AgentEvents } from '../agent.js';
import { RecordingError } from './errors.js';
import {
  encodeRecordingRecord, looksLikeRecording, MAX_JOURNAL_IN_HEADER, REC_FORMAT_VERSION, REC_HEADER_BYTES, recordingFileHeader, SESSION_MARKER,
  type Drive, type EventRecord, type SessionRecord,
} from './format.js';
import { RecordingLink } from './recording-link.js';
import { TimingClock } from './timing-clock.js';

/** Default cap on a recording file: ~36 h of a nominal solo agent, ~12–17 h with the swarm, the leader shortest (README.md). */
export const DEFAULT_MAX_RECORDING_BYTES = 256 * 1024 * 1024;
const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 1000;
/** Timer run times are written in batches of at most this many (one `fires` record). */
const FIRES_BATCH = 512;

export interface FlightRecorderOptions {
  /** The recording file: created if missing, appended to (a new session) if it is one. */
  file: string;
  clock: Clock;
  clockKind: 'real' | 'virtual';
  /** How the agent's promise callbacks interleave with its clock (see format.ts `Drive`). */
  drive: Drive;
  /** Stop recording (with a `full` record) once the file would pass this size. Default 256 MiB. */
  maxBytes?: number;
  /** Buffered records are written at least this often, agent-clock ms. Default 1000. */
  flushMs?: number;
  /** Told once when recording stops for a reason other than close(): I/O failure or the cap. */
  onStop?: (why: RecordingError | { code: 'full'; bytes: number }) => void;
}

export interface SessionInfo {
  /** The agent's `id` option. */
  id: string;
  sat: string | null;
  sw: string;
  config: Readonly<AgentConfig>;
  /** The link the agent would get; the recorder hands back a wrapper of it. */
  link: Link;
  /** The agent's journal, copied into the header before the agent opens it. */
  journalPath: string;
}

/** What an Agent offers the recorder: its events. */
type AgentLike = Pick<Emitter<AgentEvents>, 'on'>;

/**
 * One boot of an agent recorded into a file (several boots append several sessions). Writes
 * are buffered: appended with one write() when 64 KiB are waiting or a second of agent time
 * has passed since the last, and at close; never an fsync. A crash loses what was buffered
 * (at most ~1 s); a power cut also loses what the kernel had not written back.
 */
export class FlightRecorder {
  /** The link to give the agent: the wrapped one while recording, else the bare link. */
  readonly link: Link;
  /** The clock to give the agent: on a real clock, one that notes when its timers really ran. */
  readonly clock: Clock;
  readonly stats = { records: 0, bytes: 0, writes: 0, dropped: 0 };
  state: 'recording' | 'full' | 'failed' | 'closed' = 'recording';
  private fd: number | undefined;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private lastFlush: number;
  private readonly maxBytes: number;
  private readonly flushMs: number;
  private readonly offs: (() => void)[] = [];
  private firesN: number[] = [];
  private firesR: number[] = [];

  private constructor(private readonly opts: FlightRecorderOptions, session: SessionInfo) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_RECORDING_BYTES;
    this.flushMs = opts.flushMs ?? FLUSH_MS;
    this.lastFlush = opts.clock.now();
    try {
      this.fd = openForAppend(opts.file);
      this.stats.bytes = fs.fstatSync(this.fd).size;
      if (this.stats.bytes === 0) this.put(recordingFileHeader());
      this.put(SESSION_MARKER);
      this.put(encodeRecordingRecord(this.header(session)));
      this.flush();
    } catch (err) {
      this.fail(err instanceof RecordingError ? err : new RecordingError('E_RECORDING_IO', `${opts.file}: ${(err as Error).message}`, { file: opts.file }, { cause: err }));
    }
    this.link = this.state === 'recording' ? new RecordingLink(session.link, () => opts.clock.now(), (r) => this.write(r)) : session.link;
    this.clock = this.state === 'recording' && opts.clockKind === 'real' ? new TimingClock(opts.clock, (n, t) => this.timerRan(n, t)) : opts.clock;
  }

  /** Opens (or creates) the file and writes this session's header. Never throws: a failure is `state` 'failed' and `onStop`. */
  static start(opts: FlightRecorderOptions, session: SessionInfo): FlightRecorder {
    return new FlightRecorder(opts, session);
  }

  /** Records the agent's decisions and mode changes (the outputs a replay is checked against). */
  attach(agent: AgentLike): void {
    const now = (): number => this.opts.clock.now();
    this.offs.push(
      agent.on('decision', (d, v) => this.write({ type: 'decision', t: now(), id: d.id, action: d.action, rule: d.rule, ok: v?.ok ?? true })),
      agent.on('mode', (to, from) => this.write({ type: 'mode', t: now(), from, to })),
      agent.on('cycle', () => {
        if (this.buffered > 0 && now() - this.lastFlush >= this.flushMs) this.flush();
      }),
    );
  }

  /** An in-process runner's stepping (promise callbacks run every `step` ms until `end`). */
  steps(end: number, step: number): void {
    this.write({ type: 'steps', t: this.opts.clock.now(), end, step });
  }

  /** The agent is being stopped now (call before `agent.stop()`: replay stops it at this time). */
  end(reason: string): void {
    this.write({ type: 'end', t: this.opts.clock.now(), reason });
  }

  /** Writes what is buffered and closes the file. */
  close(): void {
    for (const off of this.offs.splice(0)) off();
    if (this.link instanceof RecordingLink) this.link.detach();
    if (this.state === 'recording' || this.state === 'full') this.flush();
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // nothing left to lose
      }
      this.fd = undefined;
    }
    if (this.state !== 'failed') this.state = 'closed';
  }

  private header(s: SessionInfo): SessionRecord {
    let journal: Buffer | null = null;
    let size = 0;
    try {
      size = fs.statSync(s.journalPath).size;
      if (size <= MAX_JOURNAL_IN_HEADER) journal = fs.readFileSync(s.journalPath);
    } catch {
      // no journal yet: the agent boots fresh
    }
    return {
      type: 'session', id: s.id, sat: s.sat, sw: s.sw, config: withAbsoluteKeyPaths(s.config),
      start: this.opts.clock.now(), wall: new Date().toISOString(), clock: this.opts.clockKind, drive: this.opts.drive,
      link: { name: s.link.name, state: s.link.state }, journal_path: s.journalPath, journal, journal_bytes: size,
    };
  }

  private write(r: EventRecord): void {
    if (this.state !== 'recording') {
      this.stats.dropped++;
      return;
    }
    let bytes: Buffer;
    try {
      bytes = encodeRecordingRecord(r);
    } catch {
      this.stats.dropped++; // cannot happen for our own records; never let it reach the agent
      return;
    }
    if (this.stats.bytes + this.buffered + bytes.length > this.maxBytes) {
      this.stats.dropped++;
      this.stopFull(r.t);
      return;
    }
    this.put(bytes);
    this.stats.records++;
    if (this.buffered >= FLUSH_BYTES) this.flush();
  }

  /**
   * The cap is reached: a `full` record ends the session, and `onStop` is told once. The state
   * changes first, so that nothing written on the way (the flush's pending `fires`) can reach
   * the cap a second time. Pending timer run times go in when they fit, else are dropped.
   */
  private stopFull(t: number): void {
    this.state = 'full';
    if (this.firesN.length > 0) {
      const fires = encodeRecordingRecord({ type: 'fires', t: this.firesR.at(-1)!, n: this.firesN, r: this.firesR });
      this.firesN = [];
      this.firesR = [];
      if (this.stats.bytes + this.buffered + fires.length <= this.maxBytes) {
        this.put(fires);
        this.stats.records++;
      } else this.stats.dropped++;
    }
    this.put(encodeRecordingRecord({ type: 'full', t, bytes: this.stats.bytes + this.buffered }));
    this.flush();
    // A write failure in that flush has already stopped the recorder (state failed, told).
    if (this.state === 'full') this.opts.onStop?.({ code: 'full', bytes: this.stats.bytes });
  }

  private timerRan(n: number, t: number): void {
    if (this.state !== 'recording') return;
    this.firesN.push(n);
    this.firesR.push(t);
    if (this.firesN.length >= FIRES_BATCH) this.writeFires();
  }

  private writeFires(): void {
    if (this.firesN.length === 0) return;
    const r = { type: 'fires' as const, t: this.firesR.at(-1)!, n: this.firesN, r: this.firesR };
    this.firesN = [];
    this.firesR = [];
    this.write(r);
  }

  private put(b: Buffer): void {
    this.chunks.push(b);
    this.buffered += b.length;
  }

  private flush(): void {
    if (this.state === 'recording') this.writeFires();
    this.lastFlush = this.opts.clock.now();
    if (this.buffered === 0 || this.fd === undefined) return;
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    try {
      fs.writeSync(this.fd, data);
      this.stats.bytes += data.length;
      this.stats.writes++;
    } catch (err) {
      this.fail(new RecordingError('E_RECORDING_IO', `${this.opts.file}: write failed: ${(err as Error).message}`, { file: this.opts.file }, { cause: err }));
    }
  }

  private fail(err: RecordingError): void {
    this.state = 'failed';
    this.chunks = [];
    this.buffered = 0;
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already failing
      }
      this.fd = undefined;
    }
    this.opts.onStop?.(err);
  }
}

/**
 * The configuration as recorded: the key file paths (`swarm.key_file`, `ground.public_key_file`)
 * made absolute against this process's working directory, the one the agent opens them from,
 * so that a replay started anywhere else finds them. Paths only: a key is never read here.
 */
export function withAbsoluteKeyPaths(config: Readonly<AgentConfig>): Record<string, unknown> {
  const cfg = { ...(config as unknown as Record<string, unknown>) };
  const abs = (section: string, field: string): void => {
    const sec = cfg[section] as Record<string, unknown> | undefined;
    const path = sec?.[field];
    if (typeof path === 'string' && path !== '' && !isAbsolute(path)) cfg[section] = { ...sec, [field]: resolve(path) };
  };
  abs('swarm', 'key_file');
  abs('ground', 'public_key_file');
  return cfg;
}

/** Opens for appending; an existing non-empty file must be a recording of our format version. */
function openForAppend(file: string): number {
  const fd = fs.openSync(file, 'a+');
  const size = fs.fstatSync(fd).size;
  if (size === 0) return fd;
  const head = Buffer.alloc(REC_HEADER_BYTES);
  fs.readSync(fd, head, 0, REC_HEADER_BYTES, 0);
  const bad = !looksLikeRecording(head) ? 'E_RECORDING_FORMAT' : head.readUInt16LE(6) !== REC_FORMAT_VERSION ? 'E_RECORDING_VERSION' : undefined;
  if (bad) {
    fs.closeSync(fd);
    throw new RecordingError(bad, `${file} exists and is not a flight recording this build writes; it was left untouched`, { file });
  }
  return fd;
}
