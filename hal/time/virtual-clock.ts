import type { Clock, Timer } from './clock.js';
import { HalError } from '../errors.js';

interface Entry {
  at: number;
  order: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Discrete-event scheduler. Time moves only when told (`advance`, `runUntil`, `runNext`);
 * events due at the same time run in the order they were scheduled, so a run is
 * deterministic. Timers scheduled in the past run at the current time.
 */
export class VirtualClock implements Clock {
  private t: number;
  private order = 0;
  private readonly heap: Entry[] = [];
  /** Guard against a zero-delay loop that would never let time advance. */
  maxEventsPerInstant = 1_000_000;

  constructor(startMs = 0) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    return this.setTimerAt(this.t + Math.max(0, delayMs), fn);
  }

  setTimerAt(atMs: number, fn: () => void): Timer {
    const e: Entry = { at: Math.max(atMs, this.t), order: this.order++, fn, cancelled: false };
    this.push(e);
    return {
      at: e.at,
      cancel: () => {
        e.cancelled = true;
      },
    };
  }

  /** Number of scheduled (not cancelled) events. */
  get pending(): number {
    let n = 0;
    for (const e of this.heap) if (!e.cancelled) n++;
    return n;
  }

  /** Due time of the next live event, or undefined when idle. */
  nextAt(): number | undefined {
    this.dropCancelledHead();
    return this.heap[0]?.at;
  }

  /** Run every event due at or before `t`, then set the time to `t`. Returns events run. */
  runUntil(t: number): number {
    if (t < this.t) throw new HalError('E_CLOCK_PAST', `cannot run back in time: now ${this.t} ms, asked ${t} ms`);
    let ran = 0;
    let sameInstant = 0;
    let lastAt = this.t;
    for (;;) {
      this.dropCancelledHead();
      const head = this.heap[0];
      if (!head || head.at > t) break;
      this.pop();
      sameInstant = head.at === lastAt ? sameInstant + 1 : 0;
      if (sameInstant > this.maxEventsPerInstant) {
        throw new Error(`virtual clock: more than ${this.maxEventsPerInstant} events at t=${head.at} ms (zero-delay loop?)`);
      }
      lastAt = head.at;
      this.t = head.at;
      ran++;
      head.fn();
    }
    this.t = t;
    return ran;
  }

  advance(ms: number): number {
    return this.runUntil(this.t + ms);
  }

  /** Run exactly the next event (jumping time to it). False when nothing is scheduled. */
  runNext(): boolean {
    this.dropCancelledHead();
    const head = this.pop();
    if (!head) return false;
    this.t = head.at;
    head.fn();
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

  private dropCancelledHead(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** Let pending promise reactions run (several turns, since chains can be long). */
export async function flushMicrotasks(turns = 8): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}
