/**
 * Remembers how the last N requests ended, so an answer without a pending request can be
 * told apart: late (its request timed out), duplicate (already answered), or unknown.
 * A fixed ring: memory stays bounded however long the link runs.
 */
export type Outcome = 'timedOut' | 'answered';

export class RecentRequests {
  private readonly seqs: Float64Array;
  private readonly outcomes: Uint8Array;
  private readonly index = new Map<number, number>();
  private next = 0;

  constructor(private readonly size: number) {
    this.seqs = new Float64Array(size).fill(-1);
    this.outcomes = new Uint8Array(size);
  }

  remember(seq: number, outcome: Outcome): void {
    const at = this.index.get(seq);
    if (at !== undefined) {
      this.outcomes[at] = outcome === 'answered' ? 1 : 0;
      return;
    }
    const old = this.seqs[this.next]!;
    if (old !== -1) this.index.delete(old);
    this.seqs[this.next] = seq;
    this.outcomes[this.next] = outcome === 'answered' ? 1 : 0;
    this.index.set(seq, this.next);
    this.next = (this.next + 1) % this.size;
  }

  lookup(seq: number): Outcome | undefined {
    const at = this.index.get(seq);
    if (at === undefined) return undefined;
    return this.outcomes[at] === 1 ? 'answered' : 'timedOut';
  }
}
