import type { NodeId } from './types.js';

/**
 * The QoS 2 receiver's memory of what it has delivered, so the application sees each message
 * once (the bus: bus.ts).
 *
 * **Horizon.** A sender starts no transmission after a send's deadline (at most
 * `maxDeadlineMs`), and a started one reaches us within `maxInFlightMs` (radio queue + airtime +
 * latency), so no copy of a message arrives later than `maxDeadlineMs + maxInFlightMs` after
 * it was sent. The receiver keeps each (sender, mid) that long after first receipt — longer
 * than any retry horizon — then forgets it and raises that sender's *floor* to it: since mids
 * increase with send time, any mid at or below the floor was sent before a message received
 * a whole horizon ago, so a copy arriving now can only be a late duplicate (suppressed). Memory
 * is bounded by `dedupeMaxPerSender` mids per sender (sized from the radio rate: 9600 bit/s
 * carries at most ~30 packets/s, ≈ 1000 per 33 s horizon; past the cap the oldest is forgotten
 * early and raises the floor: never a duplicate, at worst a straggler suppressed, counted) and
 * `dedupeMaxSenders` senders (least recently heard forgotten first, counted).
 */

/** Mids are uint32 on the air; compared in serial-number arithmetic (RFC 1982). */
export const MID_SPACE = 2 ** 32;

export interface DedupeStats {
  /** (sender, mid) pairs held now. */
  entries: number;
  senders: number;
  /** Forgotten before the horizon because a sender passed `maxPerSender` (raises its floor). */
  evictedEarly: number;
  /** Senders forgotten because more than `maxSenders` were heard. */
  sendersEvicted: number;
  /** Copies suppressed for being at or below the sender's floor (not individually remembered). */
  belowFloor: number;
}

interface SenderMemory {
  /** mid → first received at, ms; insertion order is receive order. */
  seen: Map<number, number>;
  /** Every mid at or before the floor (serial order) counts as seen; undefined: none yet. */
  floor: number | undefined;
}

/** a ≤ b for uint32 mids in serial-number arithmetic (RFC 1982): valid while live mids span < 2^31. */
export function midAtOrBefore(a: number, b: number): boolean {
  return a === b || (b - a + MID_SPACE) % MID_SPACE < MID_SPACE / 2;
}

/**
 * Which (sender, mid) pairs have been delivered, bounded in time (`horizonMs`) and space
 * (`maxPerSender` × `maxSenders`). See the file comment for why forgetting is safe.
 */
export class DedupeMemory {
  private readonly senders = new Map<NodeId, SenderMemory>();
  private evictedEarly = 0;
  private sendersEvicted = 0;
  private belowFloor = 0;

  constructor(
    readonly horizonMs: number,
    readonly maxPerSender: number,
    readonly maxSenders: number,
  ) {
    if (!(horizonMs > 0) || !(maxPerSender >= 1) || !(maxSenders >= 1)) throw new RangeError('dedupe memory: horizon, maxPerSender and maxSenders must be positive');
  }

  /** True the first time (from, mid) is seen; false for a copy (remembered, or at/below the floor). */
  firstTime(from: NodeId, mid: number, now: number): boolean {
    let s = this.senders.get(from);
    if (s) {
      this.senders.delete(from); // re-inserted below: the map's order is least recently heard first
    } else {
      if (this.senders.size >= this.maxSenders) {
        const oldest = this.senders.keys().next().value as NodeId;
        this.senders.delete(oldest);
        this.sendersEvicted++;
      }
      s = { seen: new Map(), floor: undefined };
    }
    this.senders.set(from, s);
    this.expire(s, now);
    if (s.floor !== undefined && midAtOrBefore(mid, s.floor)) {
      this.belowFloor++;
      return false;
    }
    if (s.seen.has(mid)) return false;
    s.seen.set(mid, now);
    if (s.seen.size > this.maxPerSender) {
      const [oldMid] = s.seen.keys();
      s.seen.delete(oldMid!);
      this.raiseFloor(s, oldMid!);
      this.evictedEarly++;
    }
    return true;
  }

  /** Forget what is older than the horizon everywhere (also done lazily per sender). */
  sweep(now: number): void {
    for (const s of this.senders.values()) this.expire(s, now);
  }

  size(): number {
    let n = 0;
    for (const s of this.senders.values()) n += s.seen.size;
    return n;
  }

  stats(): DedupeStats {
    return { entries: this.size(), senders: this.senders.size, evictedEarly: this.evictedEarly, sendersEvicted: this.sendersEvicted, belowFloor: this.belowFloor };
  }

  private expire(s: SenderMemory, now: number): void {
    for (const [mid, at] of s.seen) {
      if (now - at < this.horizonMs) break;
      s.seen.delete(mid);
      this.raiseFloor(s, mid);
    }
  }

  private raiseFloor(s: SenderMemory, mid: number): void {
    if (s.floor === undefined || midAtOrBefore(s.floor, mid)) s.floor = mid;
  }
}
