import { createHash } from 'node:crypto';
import type { Clock, Timer } from '../../hal/index.js';
import { Emitter } from '../../hal/util/emitter.js';
import type { GlobalContext, Mode, Role } from '../decide/types.js';
import { MessageBus } from './bus.js';
import type { BusRadio } from './bus-types.js';
import { reservingCounter } from './counter.js';
import { Consensus } from './consensus.js';
import type { LocalExecutor, QuorumRule, ReplicatedLog } from './consensus-types.js';
import { isPreVote } from './candidate-rank.js';
import { Election } from './election.js';
import { NOOP_ACTION, type ElectionConfig } from './election-config.js';
import { Governor } from './governor.js';
import { createIslCodec } from './isl-codec.js';
import type { LogEntry, SwarmMessage } from './messages.js';
import { Propagation } from './propagation.js';
import { Registry } from './registry.js';
import { BROADCAST, type DeliveryReport, type NodeId, type SwarmStore } from './types.js';

export interface SwarmNodeOptions {
  self: NodeId;
  /** Every member, self included, in the constellation's order (the same list on every member). */
  members: readonly NodeId[];
  key: Uint8Array;
  clock: Clock;
  random: () => number;
  store: SwarmStore;
  /** Hands bytes to the ISL radio (the HAL client's `isl.tx`). */
  radio: BusRadio;
  local: LocalExecutor;
  /** This node's health 0..1, mode and telemetry for the health broadcast. */
  status: () => { health: number; mode: Mode; soc: number; tmaxC: number };
  bitRate?: number;
  election?: Partial<ElectionConfig>;
  quorum?: QuorumRule;
  /** Global-context cache lifetime, ms. Default 100. */
  contextTtlMs?: number;
}

export type SwarmNodeEvents = {
  role: [role: Role, term: number];
  leader: [leader: NodeId | null, term: number];
  divergence: [peer: NodeId, index: number];
};

/**
 * One agent's part in the constellation: the authenticated ISL codec, the bandwidth governor
 * and QoS bus under it; the registry, Raft election and replicated log, consensus and
 * propagation over it. Gives the decision loop its global context (cached, `contextTtlMs`).
 */
export class SwarmNode extends Emitter<SwarmNodeEvents> {
  readonly bus: MessageBus;
  readonly governor: Governor;
  readonly election: Election;
  readonly registry: Registry;
  readonly consensus: Consensus;
  readonly propagation: Propagation;
  readonly stats = { contextHits: 0, contextMisses: 0, divergences: 0, digestsCompared: 0, healthSent: 0 };
  private cached: { at: number; ctx: GlobalContext } | undefined;
  private healthTimer: Timer | undefined;
  private readonly commitListeners = new Set<(e: LogEntry) => void>();
  private readonly leaderListeners = new Set<() => void>();
  /** Digest of the applied command sequence after each commit index (divergence checks). */
  private readonly digests = new Map<number, number>();
  private digestNow = 0;
  private running = false;
  private readonly holds = new Set<string>();

  constructor(private readonly o: SwarmNodeOptions) {
    super();
    const { clock, self, members } = o;
    const codec = createIslCodec({ key: o.key, members, self });
    this.governor = new Governor(clock, { bitRate: o.bitRate ?? 9600 });
    const persisted = o.store.load();
    this.registry = new Registry({ self, members, clock, health: () => o.status().health });
    this.bus = new MessageBus({
      self, clock, codec, radio: o.radio, governor: this.governor,
      inbox: (from, msg) => this.deliver(from, msg),
      onReport: (r: DeliveryReport) => this.propagation.onDelivery(r),
      nextCounter: reservingCounter(persisted.counterReservedTo, (upTo) => o.store.reserveCounter(upTo)),
      random: o.random,
    });
    // Raft sizes its appends by the frame they make on the air (codec: header, CBOR body,
    // tag), within the critical class's packet cap; a frame the codec refuses is Infinity.
    const criticalCap = this.governor.maxPacketBytes('critical');
    const electionConfig: Partial<ElectionConfig> = { quorum: o.quorum ?? 'majority', ...o.election };
    electionConfig.max_append_bytes = Math.min(electionConfig.max_append_bytes ?? ELECTION_MAX_APPEND_BYTES, criticalCap);
    this.election = new Election({
      self, members, clock, random: o.random, outbox: this.bus, store: o.store,
      health: () => o.status().health,
      config: electionConfig,
      sizeOf: (msg) => {
        try {
          return codec.encode(msg, { counter: 0, qos: 0, to: BROADCAST }).length;
        } catch {
          return Infinity;
        }
      },
    });
    this.election.on('commit', (_i, e) => {
      if (e.action === NOOP_ACTION) return;
      // Constellation commands that hold something off until a later command releases it.
      if (e.action === 'payload_off') this.holds.add('payload');
      if (e.action === 'payload_on') this.holds.delete('payload');
      this.cached = undefined;
      this.digestNow = digestStep(this.digestNow, e);
      this.digests.set(e.index, this.digestNow);
      for (const fn of this.commitListeners) fn(e);
    });
    this.election.on('role', (role, term) => {
      this.cached = undefined;
      this.emit('role', role, term);
    });
    this.election.on('leader', (leader, term) => {
      this.cached = undefined;
      for (const fn of this.leaderListeners) fn();
      this.emit('leader', leader, term);
    });
    const election = this.election;
    const log: ReplicatedLog = {
      get isLeader() {
        return election.role === 'leader';
      },
      get term() {
        return election.term;
      },
      get leader() {
        return election.leader;
      },
      append: (entry) => this.election.propose(entry) !== null,
      onCommit: (fn) => {
        this.commitListeners.add(fn);
        return () => this.commitListeners.delete(fn);
      },
      onLeaderChange: (fn) => {
        this.leaderListeners.add(fn);
        return () => this.leaderListeners.delete(fn);
      },
    };
    this.consensus = new Consensus({ self, log, local: o.local, outbox: this.bus, clock, members: () => members, quorum: o.quorum ?? 'majority' });
    this.propagation = new Propagation({ self, log, local: o.local, outbox: this.bus, clock, consensus: this.consensus });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.election.start();
    this.scheduleHealth();
  }

  stop(): void {
    this.running = false;
    this.healthTimer?.cancel();
    this.election.stop();
    this.consensus.stop();
    this.propagation.stop();
    this.bus.close();
  }

  /** Bytes from the radio (`isl.rx`). */
  receive(from: NodeId, data: Uint8Array): void {
    this.bus.receive(data, from);
  }

  /** The decision loop's view of the constellation, cached for `contextTtlMs`. */
  context(): GlobalContext {
    const now = this.o.clock.now();
    const c = this.cached;
    if (c && now - c.at <= (this.o.contextTtlMs ?? 100)) {
      this.stats.contextHits++;
      return c.ctx;
    }
    this.stats.contextMisses++;
    const members = this.o.members.length;
    const ctx: GlobalContext = {
      role: this.election.role,
      leader: this.election.leader,
      term: this.election.term,
      constellationHealth: this.registry.constellationHealth(),
      members,
      quorum: this.election.quorum,
      holds: [...this.holds].sort(),
    };
    this.cached = { at: now, ctx };
    return ctx;
  }

  /** Context cache hit rate, 0..1. */
  get contextHitRate(): number {
    const n = this.stats.contextHits + this.stats.contextMisses;
    return n ? this.stats.contextHits / n : 0;
  }

  /** On the leader: put a constellation-wide action to the vote. */
  propose(action: string, params: Record<string, string | number | boolean>, targets: readonly NodeId[] = this.o.members) {
    return this.consensus.propose(action, params, targets);
  }

  private deliver(from: NodeId, msg: SwarmMessage): void {
    // A pre-vote's term is a proposal, not a term its sender is in (nor standing in): the
    // registry learns only that the peer is alive.
    this.registry.onMessage(from, isPreVote(msg) ? LIVENESS_ONLY : msg);
    if (msg.t === 'digest') this.compareIndexDigest(from, msg.window, msg.digest);
    this.election.onMessage(from, msg);
    if (!this.consensus.receive(from, msg)) this.propagation.receive(from, msg);
  }

  private scheduleHealth(): void {
    if (!this.running) return;
    this.healthTimer = this.o.clock.setTimer(this.governor.healthIntervalMs(), () => {
      // The interval to the next broadcast (stable within the current interval: asking the
      // governor again in scheduleHealth gives the same), advertised so peers size their
      // liveness window to it.
      this.broadcastHealth(Math.ceil(this.governor.healthIntervalMs()));
      this.scheduleHealth();
    });
  }

  private broadcastHealth(intervalMs: number): void {
    const st = this.o.status();
    try {
      this.bus.send('*', {
        t: 'health', term: this.election.term, role: this.election.role, leader: this.election.leader ?? '',
        health: Math.max(0, Math.min(1, st.health)), mode: st.mode, soc: st.soc, tmaxC: st.tmaxC, digest: this.digestNow,
        intervalMs,
      }, { qos: 0 });
      this.stats.healthSent++;
      // The command-log digest at our commit index, for peers to compare (divergence: target zero).
      const idx = this.election.commitIndex;
      if (idx > 0 && this.digests.has(idx)) this.bus.send('*', { t: 'digest', window: idx, digest: this.digests.get(idx)! }, { qos: 0 });
    } catch {
      // A health broadcast that cannot be encoded (e.g. a transient value) is skipped, not fatal.
    }
  }

  private compareIndexDigest(from: NodeId, index: number, digest: number): void {
    const mine = this.digests.get(index);
    if (mine === undefined) return;
    this.stats.digestsCompared++;
    if (mine !== digest) {
      this.stats.divergences++;
      this.emit('divergence', from, index);
    }
  }
}

/** Default `max_append_bytes` on the ISL (config: swarm.election.max_append_bytes): ~0.22 s of
 *  air at 9,600 bit/s, so a heartbeat queued behind a catch-up append is late by no more. */
const ELECTION_MAX_APPEND_BYTES = 256;

/** What the registry is told of a pre-vote (a message of no term: liveness only). */
const LIVENESS_ONLY: SwarmMessage = { t: 'report', cid: '', outcome: 'completed', reason: '' };

/** Rolling 32-bit digest of the applied command sequence (cid and action of each entry). */
function digestStep(prev: number, e: LogEntry): number {
  const h = createHash('sha256').update(`${prev}:${e.index}:${e.cid}:${e.action}`).digest();
  return h.readUInt32LE(0);
}
