/**
 * A small constellation on virtual time for the consensus/propagation tests: a lossy network
 * with per-message latency and QoS 1 (acks, retransmission to a deadline, delivery reports,
 * at-least-once: duplicates reach the receiver), a fake Raft log (leader appends, replication
 * by heartbeats over the same lossy links, majority commit, leader changes, reboots that
 * replay the log), and a fake executor that counts every run per command id and does NOT
 * deduplicate (so a double execution by the layer under test shows).
 */
import { VirtualClock, type Timer } from '../../../../hal/index.js';
import { Consensus } from '../../../../firmware-agent/swarm/consensus.js';
import type { ConsensusOptions, ExecStatus, LocalExecutor, LocalVerdict, NewEntry, Params, ProposalReport, ReplicatedLog } from '../../../../firmware-agent/swarm/consensus-types.js';
import type { LogEntry, SwarmMessage } from '../../../../firmware-agent/swarm/messages.js';
import { Propagation } from '../../../../firmware-agent/swarm/propagation.js';
import type { Escalation, PropagationOptions, VerdictEvent } from '../../../../firmware-agent/swarm/propagation-types.js';
import { BROADCAST, type DeliveryReport, type Inbox, type NodeId, type Outbox, type SendOptions } from '../../../../firmware-agent/swarm/types.js';
import { mulberry32 } from '../../../helpers/prng.js';

/** Seeded randomness for the simulations. */
export const rng = mulberry32;

export interface LinkOptions {
  /** Probability that one transmission (a message, or an ack) is lost. */
  loss: number;
  /** One-way latency, uniform in [min, max] ms. */
  latency: readonly [number, number];
}

// ---------------------------------------------------------------------------------------------
// Network with QoS 0/1

export class SimNet {
  readonly stats = { sends: 0, transmissions: 0, lost: 0, delivered: 0, retransmissions: 0, gaveUp: 0 };
  /** Nodes whose outgoing messages are all dropped (silent members). */
  readonly muted = new Set<NodeId>();
  /** Every message handed to an inbox, for inspection. */
  readonly trace: { at: number; from: NodeId; to: NodeId; msg: SwarmMessage }[] = [];
  traceOn = false;
  private readonly inboxes = new Map<NodeId, Inbox>();
  private readonly deliveries = new Map<NodeId, (r: DeliveryReport) => void>();
  private readonly down = new Set<NodeId>();
  private readonly epoch = new Map<NodeId, number>();
  private mid = 0;

  constructor(
    readonly clock: VirtualClock,
    private readonly random: () => number,
    public link: LinkOptions,
    readonly ackTimeoutMs = 250,
  ) {}

  attach(id: NodeId, inbox: Inbox, onDelivery?: (r: DeliveryReport) => void): void {
    this.inboxes.set(id, inbox);
    if (onDelivery) this.deliveries.set(id, onDelivery);
    else this.deliveries.delete(id);
  }

  outbox(id: NodeId): Outbox {
    return { send: (to, msg, opts) => this.send(id, to, msg, opts) };
  }

  kill(id: NodeId): void {
    this.down.add(id);
    this.epoch.set(id, (this.epoch.get(id) ?? 0) + 1);
  }

  revive(id: NodeId): void {
    this.down.delete(id);
  }

  isDown(id: NodeId): boolean {
    return this.down.has(id);
  }

  send(from: NodeId, to: NodeId | typeof BROADCAST, msg: SwarmMessage, opts: SendOptions): number {
    const mid = ++this.mid;
    this.stats.sends++;
    if (to === BROADCAST) {
      for (const id of this.inboxes.keys()) if (id !== from) this.transmit(from, id, () => this.deliver(from, id, msg));
      return mid;
    }
    if (opts.qos === 0) {
      this.transmit(from, to, () => this.deliver(from, to, msg));
      return mid;
    }
    const { clock } = this;
    const start = clock.now();
    const deadline = start + (opts.deadlineMs ?? 5000);
    const myEpoch = this.epoch.get(from) ?? 0;
    const alive = (): boolean => !this.down.has(from) && (this.epoch.get(from) ?? 0) === myEpoch;
    let attempts = 0;
    let done = false;
    let retry: Timer | undefined;
    const report = (r: DeliveryReport): void => {
      if (done) return;
      done = true;
      retry?.cancel();
      if (!r.delivered) this.stats.gaveUp++;
      if (alive()) this.deliveries.get(from)?.(r);
    };
    const attempt = (): void => {
      if (done) return;
      if (!alive()) {
        done = true;
        return;
      }
      attempts++;
      if (attempts > 1) this.stats.retransmissions++;
      this.transmit(from, to, () => {
        this.deliver(from, to, msg);
        this.transmit(to, from, () => report({ mid, to, delivered: true, attempts, latencyMs: clock.now() - start }));
      });
      const next = clock.now() + this.ackTimeoutMs;
      retry = next >= deadline
        ? clock.setTimerAt(deadline, () => report({ mid, to, delivered: false, attempts, reason: 'deadline' }))
        : clock.setTimerAt(next, attempt);
    };
    attempt();
    return mid;
  }

  /** One transmission: lost (loss, a dead end, a muted sender) or delivered after a latency. */
  private transmit(from: NodeId, to: NodeId, arrive: () => void): void {
    this.stats.transmissions++;
    if (this.down.has(from) || this.down.has(to) || this.muted.has(from) || this.random() < this.link.loss) {
      this.stats.lost++;
      return;
    }
    const [lo, hi] = this.link.latency;
    this.clock.setTimer(lo + this.random() * (hi - lo), () => {
      if (this.down.has(to)) return;
      arrive();
    });
  }

  private deliver(from: NodeId, to: NodeId, msg: SwarmMessage): void {
    const inbox = this.inboxes.get(to);
    if (!inbox || this.down.has(to)) return;
    this.stats.delivered++;
    if (this.traceOn) this.trace.push({ at: this.clock.now(), from, to, msg });
    inbox(from, structuredClone(msg));
  }
}

// ---------------------------------------------------------------------------------------------
// Fake Raft log

export interface RaftOptions extends LinkOptions {
  heartbeatMs?: number;
  /** Probability that a committed entry is delivered twice to onCommit (at-least-once). */
  dupCommit?: number;
}

/** One node's view of the replicated log (what consensus/propagation see). */
export class FakeLog implements ReplicatedLog {
  term = 0;
  leader: NodeId | null = null;
  applied = 0;
  knownCommit = 0;
  private commitFns: ((e: LogEntry) => void)[] = [];
  private changeFns: (() => void)[] = [];
  private draining = false;

  constructor(
    readonly id: NodeId,
    private readonly raft: FakeRaft,
  ) {}

  get isLeader(): boolean {
    return this.leader === this.id;
  }

  append(entry: NewEntry): boolean {
    if (!this.isLeader) return false;
    return this.raft.leaderAppend(this, entry);
  }

  onCommit(fn: (e: LogEntry) => void): () => void {
    this.commitFns.push(fn);
    return () => {
      this.commitFns = this.commitFns.filter((f) => f !== fn);
    };
  }

  onLeaderChange(fn: () => void): () => void {
    this.changeFns.push(fn);
    return () => {
      this.changeFns = this.changeFns.filter((f) => f !== fn);
    };
  }

  /** @internal */
  setLeader(term: number, leader: NodeId | null): void {
    if (term === this.term && leader === this.leader) return;
    this.term = term;
    this.leader = leader;
    for (const fn of [...this.changeFns]) fn();
  }

  /** @internal Delivers committed entries in order; re-entrant calls only raise the target. */
  learnCommit(n: number): void {
    this.knownCommit = Math.max(this.knownCommit, n);
    if (this.draining) return;
    this.draining = true;
    try {
      for (;;) {
        const log = this.raft.logs.get(this.id)!;
        const upTo = Math.min(this.knownCommit, log.length);
        if (this.applied >= upTo) break;
        const e = log[this.applied]!;
        this.applied++;
        this.raft.noteApplied(this.id, e);
        for (const fn of [...this.commitFns]) fn(e);
        if (this.raft.dupCommit > 0 && this.raft.random() < this.raft.dupCommit) for (const fn of [...this.commitFns]) fn(e);
      }
    } finally {
      this.draining = false;
    }
  }

  /** @internal A reboot: volatile state gone, persisted log and term kept. */
  reset(): void {
    this.commitFns = [];
    this.changeFns = [];
    this.applied = 0;
    this.knownCommit = 0;
    this.leader = null;
  }
}

export class FakeRaft {
  term = 0;
  leader: NodeId | null = null;
  commitIndex = 0;
  readonly logs = new Map<NodeId, LogEntry[]>();
  readonly views = new Map<NodeId, FakeLog>();
  /** Nodes that neither send nor receive replication traffic (a partitioned stale leader). */
  readonly isolated = new Set<NodeId>();
  readonly dupCommit: number;
  /** First time an entry (by cid) was applied on each node. */
  readonly appliedAt = new Map<string, Map<NodeId, number>>();
  /** When the leader learned the commit of each cid. */
  readonly committedAt = new Map<string, number>();
  private readonly down = new Set<NodeId>();
  private readonly match = new Map<NodeId, number>();
  private hb: Timer | undefined;
  private readonly heartbeatMs: number;

  constructor(
    readonly clock: VirtualClock,
    readonly random: () => number,
    readonly ids: readonly NodeId[],
    public link: RaftOptions,
  ) {
    this.heartbeatMs = link.heartbeatMs ?? 100;
    this.dupCommit = link.dupCommit ?? 0;
    for (const id of ids) {
      this.logs.set(id, []);
      this.views.set(id, new FakeLog(id, this));
    }
  }

  view(id: NodeId): FakeLog {
    return this.views.get(id)!;
  }

  /** Could this node win an election (alive, holds every committed entry)? */
  qualified(id: NodeId): boolean {
    return !this.down.has(id) && this.logs.get(id)!.length >= this.commitIndex;
  }

  elect(id: NodeId): void {
    if (!this.qualified(id)) throw new Error(`${id} cannot be elected (down or missing committed entries)`);
    this.term++;
    this.leader = id;
    for (const n of this.ids) this.match.set(n, 0);
    this.match.set(id, this.logs.get(id)!.length);
    const v = this.view(id);
    v.setLeader(this.term, id);
    v.learnCommit(this.commitIndex);
    this.hb?.cancel();
    const beat = (): void => {
      this.replicate();
      this.hb = this.clock.setTimer(this.heartbeatMs, beat);
    };
    beat();
  }

  kill(id: NodeId): void {
    this.down.add(id);
    if (this.leader === id) {
      this.leader = null;
      this.hb?.cancel();
    }
  }

  reboot(id: NodeId): void {
    this.down.delete(id);
    this.view(id).reset();
  }

  isDown(id: NodeId): boolean {
    return this.down.has(id);
  }

  /** @internal */
  leaderAppend(v: FakeLog, e: NewEntry): boolean {
    const log = this.logs.get(v.id)!;
    log.push({ ...structuredClone(e), index: log.length + 1, term: v.term });
    if (v.id === this.leader && v.term === this.term) {
      this.match.set(v.id, log.length);
      this.maybeCommit();
      this.replicate();
    }
    return true; // a stale leader appends locally too; it never commits
  }

  /** @internal */
  noteApplied(id: NodeId, e: LogEntry): void {
    let m = this.appliedAt.get(e.cid);
    if (!m) this.appliedAt.set(e.cid, (m = new Map()));
    if (!m.has(id)) m.set(id, this.clock.now());
  }

  /** Entries committed so far (the leader's log up to the commit index). */
  committed(): LogEntry[] {
    const src = this.leader ?? this.ids.find((id) => this.logs.get(id)!.length >= this.commitIndex)!;
    return this.logs.get(src)!.slice(0, this.commitIndex);
  }

  private replicate(): void {
    const leader = this.leader;
    if (leader === null || this.down.has(leader)) return;
    for (const f of this.ids) if (f !== leader) this.sendAppend(leader, f);
  }

  private lost(from: NodeId, to: NodeId): boolean {
    return this.down.has(from) || this.down.has(to) || this.isolated.has(from) || this.isolated.has(to) || this.random() < this.link.loss;
  }

  private latency(): number {
    const [lo, hi] = this.link.latency;
    return lo + this.random() * (hi - lo);
  }

  private sendAppend(leader: NodeId, f: NodeId): void {
    if (this.lost(leader, f)) return;
    const term = this.term;
    const snapshot = this.logs.get(leader)!.slice();
    const commit = this.commitIndex;
    this.clock.setTimer(this.latency(), () => {
      if (this.down.has(f)) return;
      const v = this.view(f);
      if (term < v.term) return;
      const mine = this.logs.get(f)!;
      if (term > v.term || snapshot.length >= mine.length || v.leader !== leader) this.logs.set(f, snapshot);
      v.setLeader(term, leader);
      v.learnCommit(Math.min(commit, snapshot.length));
      if (this.lost(f, leader)) return;
      this.clock.setTimer(this.latency(), () => {
        if (this.term !== term || this.leader !== leader || this.down.has(leader)) return;
        this.match.set(f, Math.max(this.match.get(f) ?? 0, snapshot.length));
        this.maybeCommit();
      });
    });
  }

  private maybeCommit(): void {
    if (this.leader === null) return;
    const m = this.ids.map((id) => this.match.get(id) ?? 0).sort((a, b) => b - a);
    const majority = m[Math.floor(this.ids.length / 2)] ?? 0;
    if (majority > this.commitIndex) {
      const log = this.logs.get(this.leader)!;
      for (let i = this.commitIndex; i < majority; i++) {
        const e = log[i]!;
        if (!this.committedAt.has(e.cid)) this.committedAt.set(e.cid, this.clock.now());
      }
      this.commitIndex = majority;
      this.view(this.leader).learnCommit(this.commitIndex);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fake executor

export interface ExecBehaviour {
  /** Local safety: a reason to refuse, or null. */
  refuse?: (action: string, params: Params) => string | null;
  /** How long a run takes, ms. */
  durationMs?: (action: string) => number;
  /** Final state of a run. */
  result?: (cid: string, action: string) => ExecStatus;
  /** `execute` answers busy this many times before accepting. */
  busyTimes?: number;
}

export class FakeExecutor implements LocalExecutor {
  /** Runs per command id: every accepted `execute` is a run (no deduplication here). */
  readonly runs = new Map<string, number>();
  readonly started: { cid: string; action: string; params: Params; at: number }[] = [];
  arbitrations = 0;
  private busyLeft: number;
  private readonly states = new Map<string, ExecStatus>();

  constructor(
    readonly id: NodeId,
    private readonly clock: VirtualClock,
    public behaviour: ExecBehaviour = {},
  ) {
    this.busyLeft = behaviour.busyTimes ?? 0;
  }

  arbitrate(action: string, params: Params): LocalVerdict {
    this.arbitrations++;
    const why = this.behaviour.refuse?.(action, params) ?? null;
    return why === null ? { ok: true } : { ok: false, reason: why };
  }

  execute(cid: string, action: string, params: Params): { accepted: true } | { accepted: false; reason: 'busy'; detail: string } {
    if (this.busyLeft > 0) {
      this.busyLeft--;
      return { accepted: false, reason: 'busy', detail: 'payload is running another action' };
    }
    this.runs.set(cid, (this.runs.get(cid) ?? 0) + 1);
    this.started.push({ cid, action, params, at: this.clock.now() });
    this.states.set(cid, { state: 'running' });
    this.clock.setTimer(this.behaviour.durationMs?.(action) ?? 300, () => {
      this.states.set(cid, this.behaviour.result?.(cid, action) ?? { state: 'done' });
    });
    return { accepted: true };
  }

  outcome(cid: string): ExecStatus | undefined {
    return this.states.get(cid);
  }
}

// ---------------------------------------------------------------------------------------------
// The constellation

export interface SwarmOptions {
  n: number;
  seed: number;
  loss?: number;
  latency?: readonly [number, number];
  heartbeatMs?: number;
  dupCommit?: number;
  behaviour?: (id: NodeId, random: () => number) => ExecBehaviour;
  consensus?: Partial<Pick<ConsensusOptions, 'ballotTimeoutMs' | 'quorum' | 'commandDeadlineMs'>>;
  propagation?: Partial<Omit<PropagationOptions, 'self' | 'log' | 'local' | 'outbox' | 'clock' | 'consensus'>>;
  /** Wire the bus's delivery reports to propagation (default true). */
  deliveryReports?: boolean;
}

export interface NodeRig {
  id: NodeId;
  exec: FakeExecutor;
  log: FakeLog;
  consensus: Consensus;
  prop: Propagation;
  boots: number;
}

export const sat = (i: number): NodeId => `SAT-${i}`;

export class Swarm {
  readonly clock = new VirtualClock(0);
  readonly random: () => number;
  readonly ids: NodeId[];
  readonly net: SimNet;
  readonly raft: FakeRaft;
  readonly nodes = new Map<NodeId, NodeRig>();
  /** Every proposal outcome, with the node that reported it. */
  readonly outcomes: (ProposalReport & { node: NodeId })[] = [];
  readonly verdicts: (VerdictEvent & { node: NodeId })[] = [];
  readonly escalations: (Escalation & { node: NodeId })[] = [];
  private readonly dead = new Set<NodeId>();

  constructor(readonly opts: SwarmOptions) {
    this.random = rng(opts.seed);
    this.ids = Array.from({ length: opts.n }, (_, i) => sat(i + 1));
    const link = { loss: opts.loss ?? 0, latency: opts.latency ?? ([50, 100] as const) };
    this.net = new SimNet(this.clock, this.random, link);
    this.raft = new FakeRaft(this.clock, this.random, this.ids, { ...link, heartbeatMs: opts.heartbeatMs ?? 100, dupCommit: opts.dupCommit ?? 0 });
    for (const id of this.ids) {
      const exec = new FakeExecutor(id, this.clock, opts.behaviour?.(id, this.random) ?? {});
      this.boot(id, exec, 0);
    }
  }

  node(id: NodeId): NodeRig {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  get leader(): NodeRig | undefined {
    const id = this.raft.leader;
    return id === null ? undefined : this.nodes.get(id);
  }

  elect(id: NodeId): void {
    this.raft.elect(id);
  }

  kill(id: NodeId): void {
    this.dead.add(id);
    this.net.kill(id);
    this.raft.kill(id);
    const n = this.node(id);
    n.prop.stop();
    n.consensus.stop();
  }

  /** Restart: new components over the same executor (journaled) and persisted log. */
  reboot(id: NodeId): void {
    const old = this.node(id);
    if (!this.dead.has(id)) {
      // A restart is a crash first: a rebooted leader comes back as a follower.
      old.prop.stop();
      old.consensus.stop();
      this.net.kill(id);
      this.raft.kill(id);
    }
    this.dead.delete(id);
    this.net.revive(id);
    this.raft.reboot(id);
    this.boot(id, old.exec, old.boots + 1);
  }

  isDead(id: NodeId): boolean {
    return this.dead.has(id);
  }

  run(ms: number): void {
    this.clock.advance(ms);
  }

  runUntil(t: number): void {
    this.clock.runUntil(t);
  }

  /** Executions per (node, cid) above one. */
  doubleRuns(): { node: NodeId; cid: string; runs: number }[] {
    const out: { node: NodeId; cid: string; runs: number }[] = [];
    for (const n of this.nodes.values()) for (const [cid, runs] of n.exec.runs) if (runs > 1) out.push({ node: n.id, cid, runs });
    return out;
  }

  private boot(id: NodeId, exec: FakeExecutor, boots: number): void {
    const log = this.raft.view(id);
    const outbox = this.net.outbox(id);
    const consensus = new Consensus({ self: id, log, local: exec, outbox, clock: this.clock, members: () => this.ids, ...this.opts.consensus });
    const prop = new Propagation({ self: id, log, local: exec, outbox, clock: this.clock, consensus, ...this.opts.propagation });
    consensus.on('outcome', (r) => this.outcomes.push({ ...r, node: id }));
    prop.on('verdict', (v) => this.verdicts.push({ ...v, node: id }));
    prop.on('escalation', (e) => this.escalations.push({ ...e, node: id }));
    this.net.attach(
      id,
      (from, msg) => {
        if (!consensus.receive(from, msg)) prop.receive(from, msg);
      },
      this.opts.deliveryReports === false ? undefined : (r) => prop.onDelivery(r),
    );
    this.nodes.set(id, { id, exec, log, consensus, prop, boots });
  }
}
