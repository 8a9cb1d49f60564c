/**
 * Replay protection for the ISL (ISL-FORMAT.md §4).
 *
 * Receive side: `ReplayFilter`, a per-sender sliding window in the style of IPsec
 * (RFC 4303 §3.4.3): the highest counter accepted from each sender and a 64-bit bitmap of
 * which of the 64 counters ending at it were accepted. `check` only reads; `accept` is called
 * after the MAC has verified, so a forged frame can never move a window. Memory is fixed at
 * creation: one slot per constellation member (the codec addresses senders by member index).
 *
 * Send side (not here: the bus draws counters, reserving them in blocks through
 * `SwarmStore.reserveCounter`, ISL-FORMAT.md §4.4): counters strictly increase and are never
 * reused, at most `COUNTER_MAX`.
 */

/** Counters per window (the bitmap's width). */
export const REPLAY_WINDOW = 64;

/** Largest counter: the envelope carries 48 bits (ISL-FORMAT.md §2). */
export const COUNTER_MAX = 2 ** 48 - 1;

export type ReplayVerdict = 'ok' | 'replay' | 'old';

const NONE = -1;

export class ReplayFilter {
  readonly senders: number;
  /** Highest accepted counter per sender; NONE before the first. */
  private readonly top: Float64Array;
  /** Bitmap, low and high 32 bits: bit i set = counter `top − i` was accepted. */
  private readonly lo: Uint32Array;
  private readonly hi: Uint32Array;

  /** `senders`: the number of constellation members (indices 0..senders−1). */
  constructor(senders: number) {
    if (!Number.isInteger(senders) || senders < 1 || senders > 256) throw new RangeError(`senders must be an integer in 1..256, got ${senders}`);
    this.senders = senders;
    this.top = new Float64Array(senders).fill(NONE);
    this.lo = new Uint32Array(senders);
    this.hi = new Uint32Array(senders);
  }

  private slot(sender: number): number {
    if (!Number.isInteger(sender) || sender < 0 || sender >= this.senders) throw new RangeError(`sender index ${sender} outside 0..${this.senders - 1}`);
    return sender;
  }

  /**
   * Would `counter` from `sender` be fresh? `ok`: above the highest seen, or inside the
   * window and not seen; `replay`: inside the window and already accepted; `old`: below the
   * window (64 or more under the highest). Reads only.
   */
  check(sender: number, counter: number): ReplayVerdict {
    const s = this.slot(sender);
    const top = this.top[s]!;
    if (top === NONE || counter > top) return 'ok';
    const d = top - counter;
    if (d >= REPLAY_WINDOW) return 'old';
    const bit = d < 32 ? (this.lo[s]! >>> d) & 1 : (this.hi[s]! >>> (d - 32)) & 1;
    return bit === 1 ? 'replay' : 'ok';
  }

  /**
   * Records `counter` as accepted (call only once the frame's MAC has verified). Re-checks,
   * and returns false without changing anything when `check` would not say `ok`.
   */
  accept(sender: number, counter: number): boolean {
    if (!Number.isInteger(counter) || counter < 0 || counter > COUNTER_MAX) return false;
    if (this.check(sender, counter) !== 'ok') return false;
    const s = sender;
    const top = this.top[s]!;
    if (top === NONE) {
      this.top[s] = counter;
      this.lo[s] = 1;
      this.hi[s] = 0;
    } else if (counter > top) {
      const shift = counter - top;
      if (shift >= REPLAY_WINDOW) {
        this.lo[s] = 1;
        this.hi[s] = 0;
      } else if (shift >= 32) {
        this.hi[s] = this.lo[s]! << (shift - 32);
        this.lo[s] = 1;
      } else {
        const lo = this.lo[s]!;
        this.hi[s] = (this.hi[s]! << shift) | (lo >>> (32 - shift));
        this.lo[s] = (lo << shift) | 1;
      }
      this.top[s] = counter;
    } else {
      const d = top - counter;
      if (d < 32) this.lo[s] = this.lo[s]! | (1 << d);
      else this.hi[s] = this.hi[s]! | (1 << (d - 32));
    }
    return true;
  }

  /** Highest counter accepted from `sender`, or undefined before the first. */
  highest(sender: number): number | undefined {
    const t = this.top[this.slot(sender)]!;
    return t === NONE ? undefined : t;
  }

  /**
   * Highest counter per sender (null: none yet), to persist now and then. A receiver's window
   * is volatile: after a reboot without `restore`, the first frame from each sender sets the
   * window, so a recorded old frame could be accepted once (ISL-FORMAT.md §4.3).
   */
  snapshot(): (number | null)[] {
    return Array.from(this.top, (t) => (t === NONE ? null : t));
  }

  /**
   * After a reboot: refuse everything at or below each persisted floor (a window full at the
   * floor). Entries past `senders`, nulls and non-counters are ignored.
   */
  restore(floors: readonly (number | null | undefined)[]): void {
    const n = Math.min(floors.length, this.senders);
    for (let s = 0; s < n; s++) {
      const f = floors[s];
      if (typeof f !== 'number' || !Number.isInteger(f) || f < 0 || f > COUNTER_MAX) continue;
      const top = this.top[s]!;
      if (top !== NONE && top >= f) continue;
      this.top[s] = f;
      this.lo[s] = 0xffffffff;
      this.hi[s] = 0xffffffff;
    }
  }
}
