/**
 * A simulated ISL network for swarm tests and simulations: N nodes on one `VirtualClock`, each
 * with its own `Outbox` (what it sends) and `Inbox` (what the network delivers to it), its own
 * seeded `random`, and its own `MemorySwarmStore` that outlives crashes.
 *
 * What the network does to a message (every decision from one seeded generator, so a seed
 * reproduces a run exactly):
 * - latency: uniform in `latencyMs` (default 50–100 ms), drawn per message (so messages can
 *   overtake each other, as independent radio frames do);
 * - loss: dropped with probability `loss`;
 * - partitions: `partition([a, b, c], [d, e])` — a message passes only between nodes of the
 *   same group (nodes named in no group form one more group together); checked when sent and
 *   again when due, so a partition also cuts what is in flight; `heal()` joins everything;
 * - crash: `crash(id)` stops the node (its `stop()`; and whatever timers it left, scheduled
 *   through `env.clock`, never fire) and drops everything to and from it, in flight included;
 *   `restart(id)` builds a new instance with the factory, from the same store, and starts it.
 *
 * The network is raw: no QoS (acks, retries) and no authentication — it is what the bus runs
 * over, and what components that do their own retries (Raft) can be tested on directly. Every
 * message is checked against the `messages.ts` schema and copied (`structuredClone`), as the
 * codec would, unless turned off.
 */
import { BROADCAST, type Inbox, type NodeId, type Outbox, type SendOptions } from '../../../firmware-agent/swarm/types.js';
import { swarmMessage, type SwarmMessage } from '../../../firmware-agent/swarm/messages.js';
import { MemorySwarmStore } from '../../../firmware-agent/swarm/memory-store.js';
import type { Clock } from '../../../hal/time/clock.js';
import { VirtualClock } from '../../../hal/time/virtual-clock.js';
import { createRng, deriveSeed } from '../../../emulator/world/rng.js';

export interface SimNode {
  inbox: Inbox;
  start?(): void;
  stop(): void;
}

/** What the factory gets to build one incarnation of a node. */
export interface SimNodeEnv {
  id: NodeId;
  /** Every node id of the network, in order. */
  ids: readonly NodeId[];
  outbox: Outbox;
  /** The network's clock, as this incarnation sees it: its timers never fire once it crashed. */
  clock: Clock;
  /** Seeded per node and incarnation. */
  random: () => number;
  store: MemorySwarmStore;
  /** 0 for the first instance, +1 per restart. */
  incarnation: number;
}

export interface SimNetOptions {
  seed?: number;
  clock?: VirtualClock;
  /** [min, max] one-way latency, ms (uniform). Default [50, 100]. */
  latencyMs?: readonly [number, number];
  /** Loss probability per message, 0..1. Default 0. */
  loss?: number;
  /** Check every message against the schema (default true). */
  validate?: boolean;
  /** Deliver a copy, as a decoder would (default true). */
  clone?: boolean;
  /** Build each node's store (default: a strict `MemorySwarmStore`). */
  store?: (id: NodeId) => MemorySwarmStore;
}

export type SimDropReason = 'loss' | 'partition' | 'down';

export interface SimTrace {
  at: number;
  from: NodeId;
  to: NodeId;
  msg: SwarmMessage;
  /** 'send': accepted by the network; 'deliver': handed to the inbox; 'drop': lost. */
  kind: 'send' | 'deliver' | 'drop';
  reason?: SimDropReason;
}

export interface SimNetStats {
  sent: number;
  delivered: number;
  dropped: Record<SimDropReason, number>;
  byKind: Record<string, number>;
}

interface Slot<N> {
  id: NodeId;
  index: number;
  store: MemorySwarmStore;
  node: N | undefined;
  up: boolean;
  incarnation: number;
}

export class SimNet<N extends SimNode> {
  readonly clock: VirtualClock;
  readonly ids: readonly NodeId[];
  readonly stats: SimNetStats = { sent: 0, delivered: 0, dropped: { loss: 0, partition: 0, down: 0 }, byKind: {} };
  latencyMs: readonly [number, number];
  loss: number;
  private readonly rng: ReturnType<typeof createRng>;
  private readonly seed: number;
  private readonly slots = new Map<NodeId, Slot<N>>();
  private readonly factory: (env: SimNodeEnv) => N;
  private readonly validate: boolean;
  private readonly clone: boolean;
  private group = new Map<NodeId, number>();
  private mid = 0;
  private readonly taps: ((t: SimTrace) => void)[] = [];

  constructor(ids: readonly NodeId[], factory: (env: SimNodeEnv) => N, opts: SimNetOptions = {}) {
    if (new Set(ids).size !== ids.length) throw new Error('sim-net: duplicate node ids');
    this.ids = [...ids];
    this.factory = factory;
    this.seed = opts.seed ?? 1;
    this.rng = createRng(deriveSeed(this.seed, 0x6e6574));
    this.clock = opts.clock ?? new VirtualClock(0);
    this.latencyMs = opts.latencyMs ?? [50, 100];
    this.loss = opts.loss ?? 0;
    this.validate = opts.validate ?? true;
    this.clone = opts.clone ?? true;
    ids.forEach((id, index) => {
      const store = opts.store?.(id) ?? new MemorySwarmStore();
      this.slots.set(id, { id, index, store, node: undefined, up: false, incarnation: -1 });
    });
    for (const id of ids) this.boot(this.slot(id));
  }

  /** Start every node that is up (call once, after wiring listeners). */
  start(): void {
    for (const s of this.slots.values()) if (s.up) s.node?.start?.();
  }

  /** The current instance of a node (also after a crash: the stopped one). */
  node(id: NodeId): N {
    const n = this.slot(id).node;
    if (!n) throw new Error(`sim-net: no node ${id}`);
    return n;
  }

  /** Current instances of the nodes that are up. */
  upNodes(): N[] {
    return [...this.slots.values()].filter((s) => s.up).map((s) => s.node!);
  }

  upIds(): NodeId[] {
    return [...this.slots.values()].filter((s) => s.up).map((s) => s.id);
  }

  isUp(id: NodeId): boolean {
    return this.slot(id).up;
  }

  store(id: NodeId): MemorySwarmStore {
    return this.slot(id).store;
  }

  incarnation(id: NodeId): number {
    return this.slot(id).incarnation;
  }

  /** Observe every send, delivery and drop. Returns the function that removes the tap. */
  tap(fn: (t: SimTrace) => void): () => void {
    this.taps.push(fn);
    return () => {
      const i = this.taps.indexOf(fn);
      if (i >= 0) this.taps.splice(i, 1);
    };
  }

  crash(id: NodeId): void {
    const s = this.slot(id);
    if (!s.up) return;
    s.up = false;
    s.node?.stop();
  }

  /** A new instance from the node's store (the old one stays stopped). Started at once. */
  restart(id: NodeId): N {
    const s = this.slot(id);
    if (s.up) this.crash(id);
    const n = this.boot(s);
    n.start?.();
    return n;
  }

  /** Groups that can talk among themselves only; nodes in no group form one more group. */
  partition(...groups: readonly (readonly NodeId[])[]): void {
    const g = new Map<NodeId, number>();
    groups.forEach((members, i) => {
      for (const id of members) {
        this.slot(id);
        if (g.has(id)) throw new Error(`sim-net: ${id} in two groups`);
        g.set(id, i + 1);
      }
    });
    this.group = g;
  }

  heal(): void {
    this.group = new Map();
  }

  /** True when a message from `a` to `b` would pass the partitions now (ignores loss, crashes). */
  connected(a: NodeId, b: NodeId): boolean {
    return (this.group.get(a) ?? 0) === (this.group.get(b) ?? 0);
  }

  /** Advance virtual time by `ms`. */
  run(ms: number): void {
    this.clock.advance(ms);
  }

  /**
   * Run events one at a time until `pred()` holds (checked after every event) or `limitMs`
   * passes. Returns the time it first held, or undefined.
   */
  runUntil(pred: () => boolean, limitMs: number): number | undefined {
    const end = this.clock.now() + limitMs;
    if (pred()) return this.clock.now();
    for (;;) {
      const next = this.clock.nextAt();
      if (next === undefined || next > end) {
        this.clock.runUntil(end);
        return pred() ? this.clock.now() : undefined;
      }
      this.clock.runNext();
      if (pred()) return this.clock.now();
    }
  }

  private slot(id: NodeId): Slot<N> {
    const s = this.slots.get(id);
    if (!s) throw new Error(`sim-net: unknown node ${id}`);
    return s;
  }

  private boot(s: Slot<N>): N {
    s.incarnation++;
    const inc = s.incarnation;
    const rng = createRng(deriveSeed(this.seed, s.index * 4096 + inc + 1));
    const outbox: Outbox = {
      send: (to: NodeId | typeof BROADCAST, msg: SwarmMessage, _opts: SendOptions): number => {
        const mid = ++this.mid;
        if (!s.up || s.incarnation !== inc) return mid; // a stopped instance says nothing
        if (this.validate) {
          const why = swarmMessage.check(msg);
          if (why !== undefined) throw new Error(`sim-net: ${s.id} sent a malformed ${msg.t}: ${why}`);
        }
        const targets = to === BROADCAST ? this.ids.filter((x) => x !== s.id) : [to];
        for (const t of targets) this.transmit(s, inc, t, msg);
        return mid;
      },
    };
    // Whatever the node forgets to cancel on stop(), a crashed incarnation's timers stay silent.
    const alive = (): boolean => s.up && s.incarnation === inc;
    const base = this.clock;
    const clock: Clock = {
      now: () => base.now(),
      setTimer: (ms, fn) => base.setTimer(ms, () => void (alive() && fn())),
      setTimerAt: (at, fn) => base.setTimerAt(at, () => void (alive() && fn())),
    };
    s.node = this.factory({ id: s.id, ids: this.ids, outbox, clock, random: () => rng.next(), store: s.store, incarnation: inc });
    s.up = true;
    return s.node;
  }

  private transmit(from: Slot<N>, fromInc: number, toId: NodeId, msg: SwarmMessage): void {
    const to = this.slots.get(toId);
    this.stats.sent++;
    this.stats.byKind[msg.t] = (this.stats.byKind[msg.t] ?? 0) + 1;
    const now = this.clock.now();
    if (this.tracing) this.trace({ at: now, from: from.id, to: toId, msg, kind: 'send' });
    if (!to) return this.drop(now, from.id, toId, msg, 'down');
    if (!this.connected(from.id, toId)) return this.drop(now, from.id, toId, msg, 'partition');
    // Draw both numbers every time, so one setting does not shift the other's sequence.
    const lost = this.rng.next() < this.loss;
    const [lo, hi] = this.latencyMs;
    const latency = lo + this.rng.next() * (hi - lo);
    if (lost) return this.drop(now, from.id, toId, msg, 'loss');
    const toInc = to.incarnation;
    const payload = this.clone ? structuredClone(msg) : msg;
    this.clock.setTimer(latency, () => {
      const at = this.clock.now();
      if (!from.up || from.incarnation !== fromInc || !to.up || to.incarnation !== toInc) return this.drop(at, from.id, toId, msg, 'down');
      if (!this.connected(from.id, toId)) return this.drop(at, from.id, toId, msg, 'partition');
      this.stats.delivered++;
      if (this.tracing) this.trace({ at, from: from.id, to: toId, msg: payload, kind: 'deliver' });
      to.node!.inbox(from.id, payload);
    });
  }

  private drop(at: number, from: NodeId, to: NodeId, msg: SwarmMessage, reason: SimDropReason): void {
    this.stats.dropped[reason]++;
    if (this.tracing) this.trace({ at, from, to, msg, kind: 'drop', reason });
  }

  private trace(t: SimTrace): void {
    for (const fn of this.taps) fn(t);
  }

  private get tracing(): boolean {
    return this.taps.length > 0;
  }
}

/** Percentile (nearest rank) of a list of numbers. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
