import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import type { AgentConfig } from '../config/schema.js';
import { JournalError } from './errors.js';
import { checkHeader, encodeRecord, fileHeader, HEADER_BYTES, scanRecords, type JournalRecord, type ScanStop } from './format.js';

export type { JournalRecord } from './format.js';

export interface JournalOptions {
  /** Compact before an append would take the file past this size, bytes. */
  maxBytes: number;
  /** Honour `sync` requests with fdatasync. Off only for benchmarks: then nothing is durable. */
  fsync: boolean;
  /**
   * The state as of every record appended so far, as records that replay to it. Called from
   * inside `append` (before that append's record is written) and from `compact()`.
   */
  snapshot: () => readonly JournalRecord[];
}

export interface JournalReplay {
  /** Every good record, in the order appended. */
  records: JournalRecord[];
  /** 1 when the tail was a record cut short by a crash (dropped), else 0. */
  torn: number;
  /** 1 when a bad record had data after it (replay stopped there), else 0. */
  corrupt: number;
  /** File size after replay (header + good records): where appends resume. */
  bytes: number;
  /** Bytes cut off the end (torn tail or everything from a corrupt record on). */
  droppedBytes: number;
  /** Why replay stopped before the end of the file, when it did. */
  stop?: { reason: ScanStop | 'torn-file-header'; offset: number; why: string };
}

export interface JournalStats {
  /** Records in the file now (replayed or snapshot, plus appended). */
  records: number;
  /** File size now, bytes. */
  bytes: number;
  compactions: number;
  /** From the replay at open. */
  torn: number;
  corrupt: number;
  /** fdatasync calls made for appends and sync() (compaction's own syncs not counted). */
  syncs: number;
}

export interface AppendOptions {
  /** Make this record (and every one before it) durable before returning (if `fsync` is on). */
  sync?: boolean;
}

/** Maps the agent config's `journal` section onto journal options. */
export function journalOptions(cfg: AgentConfig['journal'], snapshot: JournalOptions['snapshot']): JournalOptions {
  return { maxBytes: cfg.max_bytes, fsync: cfg.fsync, snapshot };
}

/** Smallest accepted maxBytes: the header and room for a few small records. */
export const MIN_MAX_BYTES = 256;

const errnoOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

function ioError(op: string, path: string, err: unknown): JournalError {
  const errno = errnoOf(err);
  return new JournalError('E_JOURNAL_IO', `journal ${op} ${path} failed: ${(err as Error)?.message ?? String(err)}`, { op, path, errno }, { cause: err });
}

function writeAll(fd: number, buf: Uint8Array, position: number): void {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off, position + off);
}

/**
 * Makes a rename or a new directory entry durable. Linux needs an fsync of the directory;
 * Windows cannot open a directory for it (and NTFS journals the metadata itself).
 */
function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function unlinkIfPresent(p: string): boolean {
  try {
    fs.unlinkSync(p);
    return true;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Writes `content` to `tmp`, makes it durable, renames it over `target` and makes the rename
 * durable: after a crash at any point, `target` is either wholly the old file or wholly the
 * new one. `tmp` is removed on failure before the rename; a failure after the rename (the
 * directory fsync) throws with `renamed: true` in the detail.
 */
function atomicReplace(tmp: string, target: string, content: Uint8Array): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w');
    writeAll(fd, content, 0);
    fs.fdatasyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      unlinkIfPresent(tmp);
    } catch {
      /* open() removes stale tmp files too */
    }
    throw ioError('write-and-rename', tmp, err);
  }
  try {
    fsyncDir(nodePath.dirname(target));
  } catch (err) {
    const e = ioError('fsync-dir', nodePath.dirname(target), err);
    e.detail!['renamed'] = true;
    throw e;
  }
}

/**
 * The append-only journal: one file of CRC-checked plain-CBOR records, replayed at boot,
 * kept under `maxBytes` by compaction. One writer (one process, one thread) per file; all
 * calls are synchronous so that an append with `sync` is durable when it returns.
 */
export class Journal {
  readonly path: string;
  readonly tmpPath: string;
  private readonly maxBytes: number;
  private readonly fsyncOn: boolean;
  private readonly snapshot: () => readonly JournalRecord[];
  private fd: number | undefined;
  private size: number;
  private count: number;
  private compactions = 0;
  private syncs = 0;
  private readonly tornAtOpen: number;
  private readonly corruptAtOpen: number;
  /** Bytes written since the last fdatasync. */
  private dirty = false;
  /** Set when the file's state is no longer known (failed fdatasync, failed undo): refuse writes. */
  private failed: JournalError | undefined;
  private closed = false;

  private constructor(path: string, opts: JournalOptions, fd: number, size: number, count: number, torn: number, corrupt: number) {
    this.path = path;
    this.tmpPath = `${path}.tmp`;
    this.maxBytes = opts.maxBytes;
    this.fsyncOn = opts.fsync;
    this.snapshot = opts.snapshot;
    this.fd = fd;
    this.size = size;
    this.count = count;
    this.tornAtOpen = torn;
    this.corruptAtOpen = corrupt;
  }

  /**
   * Opens (creating it and its directory if missing) and replays the journal at `path`.
   * A torn tail or a corrupt record is counted, cut off and never thrown; a file that is not
   * a journal throws E_JOURNAL_FORMAT / E_JOURNAL_VERSION and is left untouched.
   */
  static open(path: string, opts: JournalOptions): { journal: Journal; replay: JournalReplay } {
    if (!Number.isInteger(opts.maxBytes) || opts.maxBytes < MIN_MAX_BYTES) {
      throw new JournalError('E_JOURNAL_OPTIONS', `journal maxBytes must be an integer >= ${MIN_MAX_BYTES}, got ${String(opts.maxBytes)}`, { maxBytes: opts.maxBytes });
    }
    if (typeof opts.snapshot !== 'function') throw new JournalError('E_JOURNAL_OPTIONS', 'journal snapshot must be a function');
    if (typeof opts.fsync !== 'boolean') throw new JournalError('E_JOURNAL_OPTIONS', 'journal fsync must be a boolean');
    const dir = nodePath.dirname(path);
    const tmp = `${path}.tmp`;
    try {
      fs.mkdirSync(dir, { recursive: true });
      // A .tmp is a compaction (or creation) that crashed before its rename: `path` is still
      // the whole old journal (rename is atomic), so the leftover is garbage.
      unlinkIfPresent(tmp);
    } catch (err) {
      throw ioError('prepare', dir, err);
    }

    let fd: number;
    try {
      fd = fs.openSync(path, 'r+');
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw ioError('open', path, err);
      atomicReplace(tmp, path, fileHeader());
      try {
        fd = fs.openSync(path, 'r+');
      } catch (err2) {
        throw ioError('open', path, err2);
      }
    }

    try {
      return Journal.replayOpen(path, opts, fd);
    } catch (err) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing */
      }
      throw err;
    }
  }

  private static replayOpen(path: string, opts: JournalOptions, fd: number): { journal: Journal; replay: JournalReplay } {
    let content: Buffer;
    try {
      content = fs.readFileSync(fd);
    } catch (err) {
      throw ioError('read', path, err);
    }
    const header = checkHeader(content);
    if (!header.ok && header.kind === 'format') {
      throw new JournalError('E_JOURNAL_FORMAT', `${path} is not a journal: ${header.why}`, { path });
    }
    if (!header.ok && header.kind === 'version') {
      throw new JournalError('E_JOURNAL_VERSION', `${path} is a journal of format version ${header.version}; this build reads version 1`, { path, version: header.version });
    }
    if (!header.ok) {
      // Empty, or a prefix of our own header: only a creation cut short can leave that (we
      // create by rename, but an older file system or a person with `touch` may not).
      try {
        fs.ftruncateSync(fd, 0);
        writeAll(fd, fileHeader(), 0);
        fs.fdatasyncSync(fd);
      } catch (err) {
        throw ioError('rewrite-header', path, err);
      }
      const torn = content.length > 0 ? 1 : 0;
      const replay: JournalReplay = { records: [], torn, corrupt: 0, bytes: HEADER_BYTES, droppedBytes: content.length };
      if (torn) replay.stop = { reason: 'torn-file-header', offset: 0, why: `file of ${content.length} bytes: a cut header` };
      return { journal: new Journal(path, opts, fd, HEADER_BYTES, 0, torn, 0), replay };
    }

    const scan = scanRecords(content);
    if (scan.end < content.length) {
      // Cut the bad tail off now, so the next append starts on a record boundary instead of
      // being glued after garbage (which would make it unreadable too).
      try {
        fs.ftruncateSync(fd, scan.end);
        fs.fdatasyncSync(fd);
      } catch (err) {
        throw ioError('truncate', path, err);
      }
    }
    const replay: JournalReplay = {
      records: scan.records,
      torn: scan.torn,
      corrupt: scan.corrupt,
      bytes: scan.end,
      droppedBytes: content.length - scan.end,
    };
    if (scan.stop) replay.stop = scan.stop;
    return { journal: new Journal(path, opts, fd, scan.end, scan.records.length, scan.torn, scan.corrupt), replay };
  }

  get stats(): JournalStats {
    return {
      records: this.count,
      bytes: this.size,
      compactions: this.compactions,
      torn: this.tornAtOpen,
      corrupt: this.corruptAtOpen,
      syncs: this.syncs,
    };
  }

  /**
   * Appends one record. If the file would pass maxBytes, compacts first (snapshot() is then
   * called before this record is written). With `sync` (and `fsync` on), this record and all
   * before it are on the media when this returns. If it throws, the record was not written.
   */
  append(record: JournalRecord, opts: AppendOptions = {}): void {
    const fd = this.usable();
    const frame = encodeRecord(record);
    if (HEADER_BYTES + frame.length > this.maxBytes) {
      throw new JournalError('E_JOURNAL_TOO_LARGE', `record of type ${record.type} takes ${frame.length} bytes; max_bytes is ${this.maxBytes}`, {
        type: record.type,
        bytes: frame.length,
        maxBytes: this.maxBytes,
      });
    }
    const at = this.size;
    if (at + frame.length > this.maxBytes) {
      this.compact();
      this.appendFrame(this.fd!, frame, this.size);
    } else {
      this.appendFrame(fd, frame, at);
    }
    if (opts.sync) this.sync();
  }

  private appendFrame(fd: number, frame: Buffer, at: number): void {
    try {
      writeAll(fd, frame, at);
    } catch (err) {
      // Undo a partial write, so the next append does not land after half a record.
      try {
        fs.ftruncateSync(fd, at);
      } catch {
        this.failed = ioError('write (and undo)', this.path, err);
        throw this.failed;
      }
      throw ioError('write', this.path, err);
    }
    this.size = at + frame.length;
    this.count++;
    this.dirty = true;
  }

  /** Makes every append so far durable (fdatasync), if `fsync` is on and anything is pending. */
  sync(): void {
    const fd = this.usable();
    if (!this.fsyncOn || !this.dirty) return;
    try {
      fs.fdatasyncSync(fd);
    } catch (err) {
      // After a failed fdatasync the kernel may have dropped the dirty pages and cleared the
      // error: a retry could "succeed" with the data gone. Refuse further writes; reopening
      // replays what is really on the media.
      this.failed = ioError('fdatasync', this.path, err);
      throw this.failed;
    }
    this.dirty = false;
    this.syncs++;
  }

  /**
   * Rewrites the journal as snapshot(): written to `path.tmp`, fdatasync'd, renamed over
   * `path`, directory fsync'd, reopened. Always synced, even with `fsync` off: renaming an
   * unsynced file could leave an empty journal after a power loss.
   */
  compact(): void {
    this.usable();
    let records: readonly JournalRecord[];
    try {
      records = this.snapshot();
    } catch (err) {
      throw new JournalError('E_JOURNAL_COMPACT', `journal snapshot() threw: ${(err as Error)?.message ?? String(err)}`, { path: this.path }, { cause: err });
    }
    const frames: Buffer[] = [fileHeader()];
    let total = HEADER_BYTES;
    for (let i = 0; i < records.length; i++) {
      let frame: Buffer;
      try {
        frame = encodeRecord(records[i]);
      } catch (err) {
        if (err instanceof JournalError) {
          throw new JournalError(err.code, `snapshot record ${i}: ${err.message}`, { ...err.detail, index: i }, { cause: err });
        }
        throw err;
      }
      frames.push(frame);
      total += frame.length;
    }
    const content = Buffer.concat(frames, total);
    try {
      atomicReplace(this.tmpPath, this.path, content);
    } catch (err) {
      if (!(err instanceof JournalError) || err.detail?.['renamed'] !== true) throw err;
      // Renamed but the directory fsync failed: the new file is the journal, but whether the
      // rename survives a power loss is unknown. Switch to it and refuse further writes.
      this.failed = err;
    }
    const old = this.fd!;
    try {
      this.fd = fs.openSync(this.path, 'r+');
    } catch (err) {
      this.fd = undefined;
      this.failed = ioError('reopen after compaction', this.path, err);
    }
    try {
      fs.closeSync(old);
    } catch {
      /* the old inode is unlinked; nothing of it matters any more */
    }
    this.size = total;
    this.count = records.length;
    this.compactions++;
    this.dirty = false;
    if (this.failed) throw this.failed;
  }

  /**
   * Syncs pending appends (if `fsync` is on) and closes the file. Idempotent. A journal that
   * already failed closes without syncing and without throwing again.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    let error: unknown;
    if (!this.failed && this.fsyncOn && this.dirty) {
      try {
        fs.fdatasyncSync(fd);
        this.syncs++;
        this.dirty = false;
      } catch (err) {
        error = ioError('fdatasync', this.path, err);
      }
    }
    try {
      fs.closeSync(fd);
    } catch (err) {
      error ??= ioError('close', this.path, err);
    }
    if (error) throw error;
  }

  private usable(): number {
    if (this.closed) throw new JournalError('E_JOURNAL_CLOSED', `journal ${this.path} is closed`, { path: this.path });
    if (this.failed) throw this.failed;
    return this.fd!;
  }
}
