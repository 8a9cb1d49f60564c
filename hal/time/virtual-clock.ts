import type { Clock, Timer } from './clock.js';
import { HalError } from '../errors.js';

/**
 * The handle of one scheduled event. The queue holds the event's key and function itself (in
 * arrays), not this object, so running an event never touches its handle.
 */
class Entry implements Timer {
  private cancelled = false;

  constructor(
    private readonly clock: VirtualClock,
    readonly at: number,
    readonly order: number,
    /** The event's ring node, when it went straight into the ring (-1: the far heap). */
    readonly node: number,
  ) {}

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.clock.cancelEntry(this);
  }
}

/** Calendar buckets per millisecond (a power of two: bucket numbers are exact). */
const PER_MS = 2;
/** Calendar buckets (a power of two): with PER_MS, a 4.096 s horizon (64 KiB of list ends). */
const BUCKETS = 8192;
const MASK = BUCKETS - 1;

/** nFlag values: a live event; one cancelled; one moved in from the far heap (see `cancelled`). */
const LIVE = 0;
const CANCELLED = 1;
const FROM_HEAP = 2;

/**
 * Discrete-event scheduler. Time moves only when told (`advance`, `runUntil`, `runNext`);
 * events due at the same time run in the order they were scheduled, so a run is
 * deterministic. Timers scheduled in the past run at the current time.
 *
 * This is the innermost loop of every in-process emulator run (~70 events per
 * satellite-second, thousands pending), so the queue is a calendar: a ring of buckets
 * (1/PER_MS ms each) covering the next ~4 s, each a list kept in (due time, insertion) order,
 * and a 4-ary heap for events due later, moved into the ring as it comes within reach. All of
 * it lives in typed arrays and one array of functions: no object per queued event, nothing
 * that moves once in the ring. Taking the next event is taking a bucket's head; scheduling
 * one is mostly appending to a short list (looked for from the tail: a bucket's long runs of
 * equal times, periodic timers of many satellites due on the same millisecond, sit at its
 * front, and a newcomer is the newest of its time).
 *
 * Cancelling: an event that went straight into the ring is flagged in its node (the handle
 * knows the node; a node reused since holds another insertion number). One created in the
 * far heap is recorded by insertion number in `cancelled`, unless it has already run: events
 * run in increasing (due time, insertion) order, and every event scheduled is later than all
 * that have run (its time is at least now, its insertion number the newest), so it has run
 * exactly when its key is at most the last run's. Cancelled events are dropped when they
 * come to the front.
 */
export class VirtualClock implements Clock {
  private t: number;
  private order = 0;
  // Ring nodes: due time, insertion number, next and previous in the bucket (-1: none),
  // flag, function (undefined: a free node).
  private nAt = new Float64Array(1024);
  private nOrder = new Float64Array(1024);
  private nNext = new Int32Array(1024);
  private nPrev = new Int32Array(1024);
  private nFlag = new Uint8Array(1024);
  private readonly nFn: ((() => void) | undefined)[] = [];
  /** Free nodes, chained through nNext (-1: none; then the pool grows). */
  private free = -1;
  private used = 0;
  /** First and last node of each bucket (-1: empty). */
  private readonly bHead = new Int32Array(BUCKETS).fill(-1);
  private readonly bTail = new Int32Array(BUCKETS).fill(-1);
  /**
   * The ring's first bucket, absolute (bucket of `now` or earlier): every ring event's
   * bucket b = floor(at · PER_MS) has base ≤ b < base + BUCKETS; every far event's
   * b ≥ base + BUCKETS (or is not finite).
   */
  private base: number;
  /** No ring bucket before this one (absolute) holds an event: where to look from. */
  private hint: number;
  private ringCount = 0;
  /** Ring events flagged CANCELLED, still queued. */
  private ringCancelled = 0;
  // Far events: a 4-ary heap, keys in typed arrays.
  private hAt = new Float64Array(64);
  private hOrder = new Float64Array(64);
  private readonly hFn: ((() => void) | undefined)[] = [];
  private hSize = 0;
  /** Insertion numbers of cancelled events created in the far heap, still queued. */
  private readonly cancelled = new Set<number>();
  /** Key of the last event run: every event with a key up to it has left the queue. */
  private lastAt = -Infinity;
  /** Events run in a row at `streakAt` during the current runUntil (the zero-delay guard). */
  private streak = 0;
  private streakAt = 0;
  private lastOrder = -1;
  /** Guard against a zero-delay loop that would never let time advance. */
  maxEventsPerInstant = 1_000_000;

  constructor(startMs = 0) {
    this.t = startMs;
    this.base = Number.isFinite(startMs) ? Math.floor(startMs * PER_MS) : 0;
    this.hint = this.base;
  }

  now(): number {
    return this.t;
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    return this.setTimerAt(this.t + Math.max(0, delayMs), fn);
  }

  setTimerAt(atMs: number, fn: () => void): Timer {
    const at = Math.max(atMs, this.t);
    const order = this.order++;
    const b = Math.floor(at * PER_MS);
    let node = -1;
    if (b < this.base + BUCKETS) {
      node = this.ringInsert(b & MASK, at, order, fn, LIVE);
      if (b < this.hint) this.hint = b;
    } else this.heapPush(at, order, fn);
    return new Entry(this, at, order, node);
  }

  /** Number of scheduled (not cancelled) events. */
  get pending(): number {
    return this.ringCount + this.hSize - this.ringCancelled - this.cancelled.size;
  }

  /** Due time of the next live event, or undefined when idle. */
  nextAt(): number | undefined {
    const n = this.peek(false);
    return n === -1 ? undefined : n === -2 ? this.hAt[0] : this.nAt[n];
  }

  /** Run every event due at or before `t`, then set the time to `t`. Returns events run. */
  runUntil(t: number): number {
    if (t < this.t) throw new HalError('E_CLOCK_PAST', `cannot run back in time: now ${this.t} ms, asked ${t} ms`);
    const bHead = this.bHead;
    const tb = Math.floor(t * PER_MS);
    let ran = 0;
    this.streak = 0;
    this.streakAt = this.t;
    for (;;) {
      const h = bHead[this.base & MASK]!;
      if (h < 0) {
        // On to the next bucket that holds something, not past t's.
        if (!(this.base < tb)) break;
        if (this.ringCount > 0) {
          // Straight to the first bucket that may hold something (not past t's).
          const nb = this.hint > this.base ? this.hint : this.base + 1;
          this.base = nb < tb ? nb : tb;
        } else {
          // Nothing in the ring: jump (to the far heap's first, or to t).
          const next = this.hSize > 0 ? Math.floor(this.hAt[0]! * PER_MS) : tb;
          this.base = next < tb ? next : tb;
        }
        this.migrate();
        continue;
      }
      if (this.nFlag[h] !== LIVE && this.isCancelled(h)) {
        this.takeHead(h);
        continue;
      }
      const at = this.nAt[h]!;
      if (at > t) break;
      const order = this.nOrder[h]!;
      this.fire(at, order, this.takeHead(h));
      ran++;
    }
    // Events a non-finite `t` would run (due at +Infinity) live in the far heap only.
    if (t === Infinity) ran += this.runFar(t);
    this.t = t;
    if (Number.isFinite(t) && tb > this.base) {
      this.base = tb;
      this.migrate();
    }
    return ran;
  }

  advance(ms: number): number {
    return this.runUntil(this.t + ms);
  }

  /** Run exactly the next event (jumping time to it). False when nothing is scheduled. */
  runNext(): boolean {
    const n = this.peek(true);
    if (n === -1) return false;
    let at: number;
    let fn: () => void;
    if (n === -2) {
      at = this.hAt[0]!;
      this.lastOrder = this.hOrder[0]!;
      fn = this.heapPop();
    } else {
      at = this.nAt[n]!;
      this.lastOrder = this.nOrder[n]!;
      fn = this.takeHead(n);
    }
    this.lastAt = at;
    this.t = at;
    fn();
    return true;
  }

  /**
   * Advance in steps, letting promise callbacks settle between events, until `done()`
   * holds or `limitMs` of virtual time passes. For tests of async code on virtual time.
   */
  async runUntilAsync(done: () => boolean, limitMs: number, stepMs = 1): Promise<boolean> {
    const end = this.t + limitMs;
    while (!done()) {
      if (this.t >= end) return false;
      const next = this.nextAt();
      this.runUntil(Math.min(end, next !== undefined && next > this.t ? Math.min(next, this.t + stepMs) : this.t + stepMs));
      await flushMicrotasks();
    }
    return true;
  }

  /** Timer.cancel, the first time: a no-op when the event has already run. @internal */
  cancelEntry(e: Entry): void {
    const n = e.node;
    if (n >= 0) {
      // Still queued exactly when its node still holds it.
      if (this.nFn[n] !== undefined && this.nOrder[n] === e.order && this.nFlag[n] === LIVE) {
        this.nFlag[n] = CANCELLED;
        this.ringCancelled++;
      }
      return;
    }
    const ran = e.at < this.lastAt || (e.at === this.lastAt && e.order <= this.lastOrder);
    if (!ran) this.cancelled.add(e.order);
  }

  /** Whether ring node `h` (flagged, not LIVE) was cancelled; forgets the record if so. */
  private isCancelled(h: number): boolean {
    if (this.nFlag[h] === CANCELLED) {
      this.ringCancelled--;
      return true;
    }
    return this.cancelled.size > 0 && this.cancelled.delete(this.nOrder[h]!);
  }

  /**
   * The next live event, dropping cancelled ones on the way: a node (its bucket's head), -2
   * (the far heap's head) or -1 (none). `advance`: the ring may move up to that event (time is
   * about to jump there); else it stays (time does not move).
   */
  private peek(advance: boolean): number {
    const bHead = this.bHead;
    if (this.ringCount > 0) {
      for (let k = this.hint > this.base ? this.hint - this.base : 0; k < BUCKETS; k++) {
        const b = this.base + k;
        let h = bHead[b & MASK]!;
        while (h >= 0 && this.nFlag[h] !== LIVE && this.isCancelled(h)) {
          this.takeHead(h);
          h = bHead[b & MASK]!;
        }
        if (h >= 0) {
          this.hint = b;
          if (advance && b > this.base) {
            this.base = b;
            this.migrate();
          }
          return h;
        }
        if (this.ringCount === 0) break;
      }
    }
    while (this.hSize > 0 && this.cancelled.size > 0 && this.cancelled.delete(this.hOrder[0]!)) this.heapPop();
    if (this.hSize === 0) return -1;
    if (advance) {
      const b = Math.floor(this.hAt[0]! * PER_MS);
      if (Number.isFinite(b) && b > this.base) {
        this.base = b;
        this.migrate();
        return this.peek(false);
      }
    }
    return -2;
  }

  /**
   * Runs one due event: time jumps to it, and a run of more than `maxEventsPerInstant` events at
   * one instant (a zero-delay loop that would never let time advance) is refused.
   */
  private fire(at: number, order: number, fn: () => void): void {
    this.lastAt = at;
    this.lastOrder = order;
    this.streak = at === this.streakAt ? this.streak + 1 : 0;
    if (this.streak > this.maxEventsPerInstant) {
      throw new Error(`virtual clock: more than ${this.maxEventsPerInstant} events at t=${at} ms (zero-delay loop?)`);
    }
    this.streakAt = at;
    this.t = at;
    fn();
  }

  /** Runs far-heap events due at or before a non-finite `t` (only +Infinity ones can be). */
  private runFar(t: number): number {
    let ran = 0;
    while (this.hSize > 0) {
      const at = this.hAt[0]!;
      if (this.cancelled.size > 0 && this.cancelled.delete(this.hOrder[0]!)) {
        this.heapPop();
        continue;
      }
      if (at > t) break;
      const order = this.hOrder[0]!;
      this.fire(at, order, this.heapPop());
      ran++;
    }
    return ran;
  }

  /** Moves far events that the ring now reaches into it (dropping those cancelled). */
  private migrate(): void {
    const limit = this.base + BUCKETS;
    while (this.hSize > 0 && Math.floor(this.hAt[0]! * PER_MS) < limit) {
      const at = this.hAt[0]!;
      const order = this.hOrder[0]!;
      const fn = this.heapPop();
      if (this.cancelled.size > 0 && this.cancelled.delete(order)) continue;
      const b = Math.floor(at * PER_MS);
      this.ringInsert(b & MASK, at, order, fn, FROM_HEAP);
      if (b < this.hint) this.hint = b;
    }
  }

  /** Into bucket `bi`, after every event with a smaller (at, order), looked for from the tail; returns the node. */
  private ringInsert(bi: number, at: number, order: number, fn: () => void, flag: number): number {
    let node = this.free;
    if (node >= 0) this.free = this.nNext[node]!;
    else {
      if (this.used === this.nAt.length) this.growNodes();
      node = this.used++;
    }
    const nAt = this.nAt;
    const nOrder = this.nOrder;
    const nNext = this.nNext;
    const nPrev = this.nPrev;
    nAt[node] = at;
    nOrder[node] = order;
    this.nFlag[node] = flag;
    this.nFn[node] = fn;
    this.ringCount++;
    // The last event that goes before this one (-1: none).
    let p = this.bTail[bi]!;
    while (p >= 0) {
      const pa = nAt[p]!;
      if (pa < at || (pa === at && nOrder[p]! < order)) break;
      p = nPrev[p]!;
    }
    nPrev[node] = p;
    if (p < 0) {
      const h = this.bHead[bi]!;
      nNext[node] = h;
      if (h >= 0) nPrev[h] = node;
      else this.bTail[bi] = node;
      this.bHead[bi] = node;
    } else {
      const q = nNext[p]!;
      nNext[node] = q;
      nNext[p] = node;
      if (q >= 0) nPrev[q] = node;
      else this.bTail[bi] = node;
    }
    return node;
  }

  /** Takes node `h` (the head of its bucket) off and frees it; returns its function. */
  private takeHead(h: number): () => void {
    const bi = Math.floor(this.nAt[h]! * PER_MS) & MASK;
    const next = this.nNext[h]!;
    this.bHead[bi] = next;
    if (next < 0) this.bTail[bi] = -1;
    else this.nPrev[next] = -1;
    const fn = this.nFn[h]!;
    this.nFn[h] = undefined;
    this.nNext[h] = this.free;
    this.free = h;
    this.ringCount--;
    return fn;
  }

  private growNodes(): void {
    const cap = this.nAt.length * 2;
    this.nAt = grown(this.nAt, new Float64Array(cap));
    this.nOrder = grown(this.nOrder, new Float64Array(cap));
    this.nNext = grown(this.nNext, new Int32Array(cap));
    this.nPrev = grown(this.nPrev, new Int32Array(cap));
    this.nFlag = grown(this.nFlag, new Uint8Array(cap));
  }

  /** Far heap: sift-up with a hole (4-ary: the parent of i is (i − 1) >> 2). */
  private heapPush(at: number, order: number, fn: () => void): void {
    if (this.hSize === this.hAt.length) {
      this.hAt = grown(this.hAt, new Float64Array(this.hAt.length * 2));
      this.hOrder = grown(this.hOrder, new Float64Array(this.hOrder.length * 2));
    }
    const fns = this.hFn;
    const ka = this.hAt;
    const ko = this.hOrder;
    let i = this.hSize++;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pa = ka[p]!;
      if (pa < at || (pa === at && ko[p]! < order)) break;
      fns[i] = fns[p];
      ka[i] = pa;
      ko[i] = ko[p]!;
      i = p;
    }
    fns[i] = fn;
    ka[i] = at;
    ko[i] = order;
  }

  /** Far heap: takes the head off (not empty); returns its function. */
  private heapPop(): () => void {
    const fns = this.hFn;
    const ka = this.hAt;
    const ko = this.hOrder;
    const top = fns[0]!;
    const n = --this.hSize;
    const last = fns[n]!;
    fns[n] = undefined;
    if (n === 0) return top;
    const at = ka[n]!;
    const order = ko[n]!;
    let i = 0;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      let c = first;
      let ca = ka[first]!;
      const end = first + 4 < n ? first + 4 : n;
      for (let j = first + 1; j < end; j++) {
        const ja = ka[j]!;
        if (ja < ca || (ja === ca && ko[j]! < ko[c]!)) {
          c = j;
          ca = ja;
        }
      }
      if (at < ca || (at === ca && order < ko[c]!)) break;
      fns[i] = fns[c];
      ka[i] = ca;
      ko[i] = ko[c]!;
      i = c;
    }
    fns[i] = last;
    ka[i] = at;
    ko[i] = order;
    return top;
  }
}

/** Let pending promise reactions run (several turns, since chains can be long). */
export async function flushMicrotasks(turns = 8): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

/** A typed array grown to a larger one of the same kind, contents kept. */
function grown<T extends Float64Array | Int32Array | Uint8Array>(old: T, bigger: T): T {
  bigger.set(old);
  return bigger;
}
