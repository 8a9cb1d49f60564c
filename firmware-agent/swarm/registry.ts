import type { Clock } from '../../hal/time/clock.js';
import { Emitter } from '../../hal/util/emitter.js';
import type { SwarmMessage, SwarmMessageOf, SwarmRole } from './messages.js';
import type { NodeId } from './types.js';

/**
 * What this node knows of its peers: when each was last heard (any authenticated message), and
 * what its last `health` broadcast said (health, role, term, leader, mode…). A peer is alive
 * while it has been heard within `missed_broadcasts` × its interval: the larger of the nominal
 * `health_interval_ms` and the interval its last health broadcast advertised (the governor
 * stretches a sender's interval under congestion, up to 8 s, and it says so in each broadcast,
 * so a peer broadcasting every 8 s is not counted dead between broadcasts). The constellation
 * health is the mean health of the alive peers (those that have reported one) and self.
 *
 * Feed it every message the bus delivers (`onMessage`, an `Inbox`); only members count.
 * Role and term also follow from Raft traffic: an `append` says its sender leads that term, a
 * `vote_req` that it stands in it. A message of an older term than the one already known for
 * the peer (QoS 0 traffic arrives out of order) refreshes liveness only.
 */
export interface RegistryConfig {
  /** Nominal period of the health broadcast, ms (a peer advertising a longer one gets its own). */
  health_interval_ms: number;
  /** A peer not heard for this many periods is dead. */
  missed_broadcasts: number;
}

export const REGISTRY_DEFAULTS: Readonly<RegistryConfig> = Object.freeze({ health_interval_ms: 1000, missed_broadcasts: 3 });

export interface PeerInfo {
  readonly id: NodeId;
  /** Last time anything was heard from it, ms on the clock; null: never. */
  lastHeard: number | null;
  /** Last reported health, 0..1; null: no health broadcast yet. */
  health: number | null;
  role: SwarmRole | null;
  /** Highest term seen from it. */
  term: number;
  /** The leader it follows (from its health broadcast), null if none or unknown. */
  leader: NodeId | null;
  /** The rest of its last health broadcast. */
  mode: string | null;
  soc: number | null;
  tmaxC: number | null;
  digest: number | null;
  /** The broadcast interval its last health broadcast advertised, ms; null: none (nominal). */
  intervalMs: number | null;
}

export interface RegistryOptions {
  self: NodeId;
  members: readonly NodeId[];
  clock: Clock;
  /** This node's own health, 0..1. */
  health: () => number;
  config?: Partial<RegistryConfig>;
}

export interface RegistryEvents {
  /** A peer was heard after being dead (or for the first time). */
  up: [id: NodeId];
  /** Reported by `sweep()`: a peer has not been heard within the window. */
  down: [id: NodeId];
}

export class Registry extends Emitter<RegistryEvents> {
  readonly self: NodeId;
  readonly members: readonly NodeId[];
  readonly config: Readonly<RegistryConfig>;
  private readonly clock: Clock;
  private readonly selfHealth: () => number;
  private readonly table = new Map<NodeId, PeerInfo>();
  /** Peers reported alive by the last `up`/`sweep`. */
  private readonly wasAlive = new Set<NodeId>();

  constructor(opts: RegistryOptions) {
    super();
    this.self = opts.self;
    this.members = [...new Set(opts.members.includes(opts.self) ? opts.members : [opts.self, ...opts.members])];
    this.config = { ...REGISTRY_DEFAULTS, ...opts.config };
    if (!(this.config.health_interval_ms > 0) || !(this.config.missed_broadcasts > 0)) {
      throw new RangeError('registry config: health_interval_ms and missed_broadcasts must be > 0');
    }
    this.clock = opts.clock;
    this.selfHealth = opts.health;
    for (const id of this.members) {
      if (id === this.self) continue;
      this.table.set(id, { id, lastHeard: null, health: null, role: null, term: 0, leader: null, mode: null, soc: null, tmaxC: null, digest: null, intervalMs: null });
    }
  }

  /** How long a peer that advertises no interval (or a shorter one) stays alive unheard, ms. */
  get windowMs(): number {
    return this.config.missed_broadcasts * this.config.health_interval_ms;
  }

  /** How long this peer stays alive unheard: missed_broadcasts × max(nominal, advertised), ms. */
  windowOf(id: NodeId): number {
    const advertised = this.table.get(id)?.intervalMs ?? 0;
    return this.config.missed_broadcasts * Math.max(this.config.health_interval_ms, advertised);
  }

  /** Every authenticated message goes through here. */
  readonly onMessage = (from: NodeId, msg: SwarmMessage): void => {
    const p = this.table.get(from);
    if (!p) return;
    const revived = !this.isAlive(from);
    p.lastHeard = this.clock.now();
    const term = 'term' in msg && typeof msg.term === 'number' ? msg.term : undefined;
    if (msg.t === 'health') this.onHealth(p, msg);
    else if (term !== undefined && term >= p.term) {
      p.term = term;
      if (msg.t === 'append') {
        p.role = 'leader';
        p.leader = from;
      } else if (msg.t === 'vote_req') {
        p.role = 'candidate';
        p.leader = null;
      }
    }
    if (revived) {
      // Died and came back between two sweeps: report the gap.
      if (this.wasAlive.has(from)) this.emit('down', from);
      this.wasAlive.add(from);
      this.emit('up', from);
    }
  };

  private onHealth(p: PeerInfo, msg: SwarmMessageOf<'health'>): void {
    p.health = Math.min(1, Math.max(0, msg.health));
    p.mode = msg.mode;
    p.soc = msg.soc;
    p.tmaxC = msg.tmaxC;
    p.digest = msg.digest;
    // Each broadcast stands alone: the latest one's interval (or none: nominal) holds.
    p.intervalMs = msg.intervalMs ?? null;
    if (msg.term >= p.term) {
      p.term = msg.term;
      p.role = msg.role;
      p.leader = msg.leader === '' ? null : msg.leader;
    }
  }

  peer(id: NodeId): Readonly<PeerInfo> | undefined {
    return this.table.get(id);
  }

  /** Every member but self, alive or not. */
  peers(): Readonly<PeerInfo>[] {
    return [...this.table.values()];
  }

  isAlive(id: NodeId): boolean {
    if (id === this.self) return true;
    const p = this.table.get(id);
    return p !== undefined && p.lastHeard !== null && this.clock.now() - p.lastHeard <= this.windowOf(id);
  }

  /** Alive members, self included, in member order. */
  alive(): NodeId[] {
    return this.members.filter((id) => this.isAlive(id));
  }

  /** Mean health of self and the alive peers that have reported one, 0..1. */
  constellationHealth(): number {
    let sum = clamp01(this.selfHealth());
    let n = 1;
    for (const p of this.table.values()) {
      if (p.health === null || !this.isAlive(p.id)) continue;
      sum += p.health;
      n++;
    }
    return sum / n;
  }

  /** Emits `down` for peers that died since the last sweep (call it on the health period). */
  sweep(): NodeId[] {
    const died: NodeId[] = [];
    for (const id of [...this.wasAlive]) {
      if (this.isAlive(id)) continue;
      this.wasAlive.delete(id);
      died.push(id);
      this.emit('down', id);
    }
    return died;
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
