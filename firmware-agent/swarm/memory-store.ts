import type { LogEntry } from './messages.js';
import type { NodeId, SwarmStore } from './types.js';

/**
 * An in-memory `SwarmStore` for tests and simulations: "durable" for as long as the object
 * lives, so a simulated crash (drop the node, keep the store) followed by a restart (a new node
 * built from the same store) sees exactly what was written before the crash.
 *
 * Everything is copied in and out (`structuredClone`), as a real journal would serialise it, so
 * a node can never change its "disk" by mutating an object it handed over or got back.
 *
 * With `strict` (the default) the store also checks the contract a Raft node must keep, and
 * throws on a breach, so a test notices at the write that broke it:
 * - the term never goes back;
 * - within one term, once a vote is recorded it never changes (one vote per term);
 * - `appendLog` leaves no hole and numbers its entries consecutively from `fromIndex`.
 */
export interface MemorySwarmStoreOptions {
  strict?: boolean;
  /** Initial content (as if loaded from a journal). */
  initial?: Partial<ReturnType<SwarmStore['load']>>;
}

export class MemorySwarmStore implements SwarmStore {
  private term: number;
  private votedFor: NodeId | null;
  private counterReservedTo: number;
  private log: LogEntry[];
  private readonly strict: boolean;
  /** Write counts, for tests (each call is one fsync on a real journal). */
  readonly writes = { vote: 0, log: 0, counter: 0 };

  constructor(opts: MemorySwarmStoreOptions = {}) {
    this.strict = opts.strict ?? true;
    this.term = opts.initial?.term ?? 0;
    this.votedFor = opts.initial?.votedFor ?? null;
    this.counterReservedTo = opts.initial?.counterReservedTo ?? 0;
    this.log = structuredClone(opts.initial?.log ?? []);
  }

  load(): { term: number; votedFor: NodeId | null; counterReservedTo: number; log: LogEntry[] } {
    return { term: this.term, votedFor: this.votedFor, counterReservedTo: this.counterReservedTo, log: structuredClone(this.log) };
  }

  saveVote(term: number, votedFor: NodeId | null): void {
    if (this.strict) {
      if (!Number.isInteger(term) || term < 0) throw new RangeError(`saveVote: bad term ${term}`);
      if (term < this.term) throw new Error(`saveVote: term goes back from ${this.term} to ${term}`);
      if (term === this.term && this.votedFor !== null && votedFor !== this.votedFor) {
        throw new Error(`saveVote: second vote in term ${term} (had ${this.votedFor}, now ${votedFor ?? 'null'})`);
      }
    }
    this.term = term;
    this.votedFor = votedFor;
    this.writes.vote++;
  }

  reserveCounter(upTo: number): void {
    if (this.strict && upTo < this.counterReservedTo) throw new Error(`reserveCounter: goes back from ${this.counterReservedTo} to ${upTo}`);
    this.counterReservedTo = upTo;
    this.writes.counter++;
  }

  /** Replaces the log from `fromIndex` (1-based) on with `entries` (empty: truncate). */
  appendLog(entries: LogEntry[], fromIndex: number): void {
    if (this.strict) {
      if (!Number.isInteger(fromIndex) || fromIndex < 1) throw new RangeError(`appendLog: bad fromIndex ${fromIndex}`);
      if (fromIndex > this.log.length + 1) throw new Error(`appendLog: hole (log ends at ${this.log.length}, fromIndex ${fromIndex})`);
      entries.forEach((e, i) => {
        if (e.index !== fromIndex + i) throw new Error(`appendLog: entry ${i} has index ${e.index}, expected ${fromIndex + i}`);
      });
    }
    this.log.length = Math.min(this.log.length, fromIndex - 1);
    for (const e of entries) this.log.push(structuredClone(e));
    this.writes.log++;
  }

  /** The persisted term (what a checker compares a node's claims against). */
  get persistedTerm(): number {
    return this.term;
  }

  get persistedVote(): NodeId | null {
    return this.votedFor;
  }

  get logLength(): number {
    return this.log.length;
  }
}
