import type { LogEntry } from './messages.js';
import type { SwarmStore } from './types.js';

/**
 * The replicated log of one node (Raft §5.3), write-through to the `SwarmStore`: every change
 * is persisted before the method returns, so whatever the node says next (an `append_ack`, a
 * commit it counts itself in) is backed by its journal.
 *
 * Indices are 1-based; index 0 is the empty prefix, whose term is 0.
 */
export class RaftLog {
  private readonly entries: LogEntry[];

  constructor(
    private readonly store: SwarmStore,
    loaded: LogEntry[],
  ) {
    loaded.forEach((e, i) => {
      if (e.index !== i + 1) throw new Error(`swarm store: log entry at position ${i} has index ${e.index}`);
      if (i > 0 && e.term < loaded[i - 1]!.term) throw new Error(`swarm store: log term goes back at index ${e.index}`);
    });
    this.entries = loaded;
  }

  get lastIndex(): number {
    return this.entries.length;
  }

  get lastTerm(): number {
    return this.entries[this.entries.length - 1]?.term ?? 0;
  }

  /** Term of the entry at `index` (0 for index 0); undefined beyond the end. */
  termAt(index: number): number | undefined {
    if (index === 0) return 0;
    return this.entries[index - 1]?.term;
  }

  at(index: number): LogEntry | undefined {
    return index >= 1 ? this.entries[index - 1] : undefined;
  }

  /** Entries from `from` (inclusive), at most `max` of them. */
  slice(from: number, max: number): LogEntry[] {
    return this.entries.slice(Math.max(0, from - 1), Math.max(0, from - 1) + max);
  }

  /** A read-only view (the array itself: callers must not mutate it). */
  view(): readonly LogEntry[] {
    return this.entries;
  }

  /** Leader: append one entry (persisted). */
  append(entry: LogEntry): void {
    if (entry.index !== this.entries.length + 1) throw new Error(`raft log: appending index ${entry.index} after ${this.entries.length}`);
    this.store.appendLog([entry], entry.index);
    this.entries.push(entry);
  }

  /**
   * Follower: merge entries that follow a consistent `prevIndex` (Raft AppendEntries receiver
   * rules 3 and 4): an entry that conflicts with an existing one (same index, other term)
   * deletes it and all that follow; entries already present are kept (a reordered, older append
   * never truncates); new ones are appended. One store write for the whole change.
   * Returns false, changing nothing, when the change would delete an entry at or below
   * `keepThrough` (committed entries are never removed; under Raft this cannot happen).
   */
  merge(incoming: readonly LogEntry[], keepThrough: number): boolean {
    let k = 0;
    for (; k < incoming.length; k++) {
      const e = incoming[k]!;
      const mine = this.termAt(e.index);
      if (mine === undefined) break; // beyond our end: append from here
      if (mine !== e.term) {
        if (e.index <= keepThrough) return false;
        break; // conflict: replace from here
      }
    }
    if (k === incoming.length) return true; // nothing new
    const from = incoming[k]!.index;
    const added = incoming.slice(k);
    this.store.appendLog(added, from);
    this.entries.length = from - 1;
    for (const e of added) this.entries.push(e);
    return true;
  }
}
