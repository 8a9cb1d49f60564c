/**
 * An n-of-m persistence window over the last m evaluations: a ring of m two-bit entries
 * (bit 0 = out of limits, bit 1 = inside by the hysteresis margin) with running counts, so a
 * push is O(1) for any m and allocates nothing.
 */
export class NofM {
  private readonly ring: Uint8Array;
  private i = 0;
  /** Out-of-limit evaluations among the last m. */
  out = 0;
  /** Inside-by-hysteresis evaluations among the last m. */
  ok = 0;

  constructor(readonly m: number) {
    this.ring = new Uint8Array(m);
  }

  push(out: boolean, ok: boolean): void {
    const ring = this.ring;
    const i = this.i;
    const old = ring[i]!;
    const b = (out ? 1 : 0) | (ok ? 2 : 0);
    ring[i] = b;
    this.out += (b & 1) - (old & 1);
    this.ok += (b >> 1) - (old >> 1);
    this.i = i + 1 === this.m ? 0 : i + 1;
  }

  /** Forget all history (done on every raise and clear). */
  reset(): void {
    this.ring.fill(0);
    this.i = 0;
    this.out = 0;
    this.ok = 0;
  }
}
