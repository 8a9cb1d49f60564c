import type { Timer } from '../../hal/time/clock.js';
import type { ElectionConfig, ElectionStats } from './election-config.js';
import { NOOP_ACTION } from './election-config.js';
import type { SwarmMessage, SwarmMessageOf, SwarmRole } from './messages.js';
import type { RaftLog } from './raft-log.js';
import { BROADCAST, type NodeId, type SwarmClock } from './types.js';

/**
 * The leader's side of Raft log replication (§5.3, §5.4) and its lease, for `Election`: each
 * follower's progress (nextIndex, matchIndex, the append in flight), when each peer last
 * answered (the lease), the heartbeat round, commit by quorum, and the appends sized to the
 * radio. `Election` owns the term, the log and the commit index and drives this from its role
 * machine: `begin` when it becomes leader, `replicate('tick')` at every heartbeat, `end` when
 * it stops leading.
 *
 * Flow control (the ISL is 9,600 bit/s, one packet at a time, so an append of 1 KB holds the
 * radio for ~0.85 s): heartbeats go once, broadcast, whatever the followers' progress; an
 * `append` carries at most `max_entries_per_append` entries and, when the transport can size
 * messages (`sizeOf`), at most `max_append_bytes` on the air; and each follower has at most
 * one unacknowledged append with entries in flight (etcd's probe state). An append that was
 * not acknowledged is sent again only after `append_retry_ms`, and only once the follower has
 * been heard from since (so a dead member costs one append, not one per heartbeat). On a
 * refused `append`, `append_ack.match` carries a hint — the index after which the leader
 * should retry — and the leader moves nextIndex straight there.
 *
 * Commit: an entry commits when stored on a quorum and of the leader's current term (§5.4.2);
 * earlier entries commit with it.
 */

/** What replication needs of its `Election` (closures over its private state). */
export interface ReplicationHost extends SwarmClock {
  readonly config: Readonly<ElectionConfig>;
  readonly peers: readonly NodeId[];
  readonly quorum: number;
  readonly log: RaftLog;
  readonly stats: ElectionStats;
  /** Bytes a message takes on the air, when the transport can tell (see `ElectionOptions.sizeOf`). */
  readonly sizeOf: ((msg: SwarmMessage) => number) | undefined;
  term(): number;
  role(): SwarmRole;
  /** The role machine's state (`leader` while leading). */
  state(): string;
  running(): boolean;
  commitIndex(): number;
  /** The commit index advances to `n` (> the current one): set it and deliver what committed. */
  commitTo(n: number): void;
  /** Never throws (a refused send is a lost message). */
  send(to: NodeId | typeof BROADCAST, msg: SwarmMessage): void;
  /** Emit the events queued during a step (at the end of a timer callback). */
  flushEvents(): void;
}

/** A follower's replication progress, on the leader. */
interface Progress {
  /** Next index to send (Raft's nextIndex). */
  next: number;
  /** Highest index known to match ours (Raft's matchIndex). */
  match: number;
  /** The append with entries sent and not yet acknowledged (through `upTo`), if any. */
  inflight: { upTo: number; at: number } | undefined;
}

export class LeaderReplication {
  private readonly progress = new Map<NodeId, Progress>();
  /** Last time each peer answered us in our current term as leader (vote or ack). */
  private readonly lastAck = new Map<NodeId, number>();
  private flushTimer: Timer | undefined;
  /** Leader: an empty append announcing a new commit index is about to go (see `advanceCommit`). */
  private commitBeatTimer: Timer | undefined;
  /** Leader: the first heartbeat of the term is still to go. */
  private firstBeat = false;
  private readonly retryMs: number;

  constructor(private readonly h: ReplicationHost) {
    this.retryMs = h.config.append_retry_ms > 0 ? h.config.append_retry_ms : h.config.election_timeout_min_ms;
  }

  /** Leadership begins: every follower is probed from `next` (our last index + 1); the first
   *  heartbeat of the term is due. */
  begin(next: number): void {
    this.progress.clear();
    for (const p of this.h.peers) this.progress.set(p, { next, match: 0, inflight: undefined });
    this.firstBeat = true;
  }

  /** Leadership (or the node) ends: no progress, no acks, no pending timers. */
  end(): void {
    this.progress.clear();
    this.lastAck.clear();
    this.cancelTimers();
  }

  cancelTimers(): void {
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    this.commitBeatTimer?.cancel();
    this.commitBeatTimer = undefined;
  }

  /** A peer answered us (a vote for our candidacy, or an ack): it counts towards the lease. */
  heardFrom(peer: NodeId, at: number): void {
    this.lastAck.set(peer, at);
  }

  /** A new candidacy: answers from earlier terms count for nothing. */
  forgetAcks(): void {
    this.lastAck.clear();
  }

  /**
   * One round of replication. `tick` (the heartbeat): every follower must hear us, so one
   * append always goes out — broadcast, carrying the entries that the largest group of
   * followers waiting at the same index needs, or none (a heartbeat at our last index, which
   * followers in sync accept and the others answer with a hint). Followers that need other
   * entries, and may be sent some now, get their own append. `flush` (after a proposal): only
   * followers that need entries and may be sent some. Without broadcast, each follower gets
   * its own append (entries, or an empty one at its nextIndex).
   */
  replicate(why: 'tick' | 'flush'): void {
    if (this.h.peers.length === 0) return;
    const now = this.h.clock.now();
    if (why === 'tick' && this.firstBeat) {
      this.firstBeat = false;
      // A new leader's first word is an empty heartbeat before its no-op: the smallest packet,
      // so that every follower knows the leader (and stops standing) as early as the air allows.
      const last = this.h.log.lastIndex;
      if (this.h.config.broadcast && this.h.peers.length > 1 && this.h.config.noop_on_election && this.h.log.at(last)?.action === NOOP_ACTION) {
        this.h.send(BROADCAST, this.appendFrom(last, 0));
      }
    }
    const ready: NodeId[] = [];
    for (const p of this.h.peers) {
      const pr = this.progress.get(p);
      if (pr && this.wantsEntries(pr) && this.mayShip(p, pr, now)) ready.push(p);
    }
    if (!this.h.config.broadcast || this.h.peers.length === 1) {
      for (const p of this.h.peers) {
        const pr = this.progress.get(p);
        if (!pr) continue;
        if (ready.includes(p)) this.ship(p, pr, now);
        else if (why === 'tick') this.h.send(p, this.appendFrom(pr.next, 0));
      }
      return;
    }
    // The largest group of ready followers at one nextIndex (ties: the furthest along).
    const groups = new Map<number, NodeId[]>();
    for (const p of ready) {
      const next = this.progress.get(p)!.next;
      const g = groups.get(next);
      if (g) g.push(p);
      else groups.set(next, [p]);
    }
    let best: { next: number; peers: NodeId[] } | undefined;
    for (const [next, g] of groups) if (!best || g.length > best.peers.length || (g.length === best.peers.length && next > best.next)) best = { next, peers: g };
    // The group goes by broadcast when it has several followers, or when a heartbeat is due
    // anyway (the same packet serves both); otherwise a tick sends an empty heartbeat.
    let covered: readonly NodeId[] = [];
    if (best && (best.peers.length > 1 || why === 'tick')) {
      const msg = this.appendFrom(best.next, this.h.config.max_entries_per_append);
      this.h.send(BROADCAST, msg);
      this.noteShipped(best.peers, msg, now);
      covered = best.peers;
    } else if (why === 'tick') {
      this.h.send(BROADCAST, this.appendFrom(this.h.log.lastIndex + 1, 0));
    }
    for (const p of ready) if (!covered.includes(p)) this.ship(p, this.progress.get(p)!, now);
  }

  /**
   * Leader: a follower's answer. Success proves its log matches ours through `match`.
   * A refusal's hint says where to probe next (clamped to [matchIndex + 1, lastIndex + 1]); a
   * hint that agrees with what we already believe is ignored (the answer to a heartbeat, or to
   * an append still on its way), so refusals never multiply appends. Either way, a follower
   * that needs entries and has none in flight (or one overdue) gets the next batch now.
   */
  onAppendAck(from: NodeId, msg: SwarmMessageOf<'append_ack'>): void {
    if (this.h.role() !== 'leader' || msg.term !== this.h.term()) return;
    const pr = this.progress.get(from);
    if (!pr) return;
    const now = this.h.clock.now();
    this.lastAck.set(from, now);
    const last = this.h.log.lastIndex;
    if (msg.success) {
      const m = Math.min(msg.match, last);
      if (m > pr.match) pr.match = m;
      if (m + 1 > pr.next) pr.next = m + 1;
      if (pr.inflight && pr.match >= pr.inflight.upTo) pr.inflight = undefined;
      this.advanceCommit();
    } else {
      const hinted = Math.max(pr.match + 1, Math.min(msg.match + 1, last + 1));
      if (hinted !== pr.next) {
        pr.next = hinted;
        pr.inflight = undefined;
      }
    }
    if (this.wantsEntries(pr) && this.mayShip(from, pr, now)) this.ship(from, pr, now);
  }

  /** Leader: the highest index of the current term stored on a quorum commits (Raft §5.4.2). */
  advanceCommit(): void {
    for (let n = this.h.log.lastIndex; n > this.h.commitIndex(); n--) {
      if (this.h.log.termAt(n) !== this.h.term()) break; // earlier terms commit only indirectly
      let count = 1;
      for (const p of this.h.peers) if ((this.progress.get(p)?.match ?? 0) >= n) count++;
      if (count >= this.h.quorum) {
        this.h.commitTo(n);
        this.scheduleCommitBeat();
        return;
      }
    }
  }

  /** Coalesce the proposals of one instant into one round of appends. */
  scheduleFlush(): void {
    if (this.flushTimer || this.h.peers.length === 0) return;
    this.flushTimer = this.h.clock.setTimer(0, () => {
      this.flushTimer = undefined;
      if (!this.h.running() || this.h.role() !== 'leader') return;
      try {
        this.replicate('flush');
      } finally {
        this.h.flushEvents();
      }
    });
  }

  /**
   * Leader: the commit index just advanced. Followers learn it from the next append, which may
   * be a whole heartbeat period away (or queued behind other traffic with the old index in it),
   * and apply nothing until then; so one empty append at our last index goes out now (coalesced
   * per instant): followers in sync accept it and commit, the others answer with a hint that
   * agrees with what we believe (ignored). A heartbeat like any other: no Raft rule changes.
   */
  private scheduleCommitBeat(): void {
    if (this.commitBeatTimer || this.h.peers.length === 0 || this.h.role() !== 'leader') return;
    this.commitBeatTimer = this.h.clock.setTimer(0, () => {
      this.commitBeatTimer = undefined;
      if (!this.h.running() || this.h.role() !== 'leader' || this.h.state() !== 'leader') return;
      try {
        if (this.h.config.broadcast && this.h.peers.length > 1) this.h.send(BROADCAST, this.appendFrom(this.h.log.lastIndex + 1, 0));
        else for (const p of this.h.peers) this.h.send(p, this.appendFrom(this.progress.get(p)?.next ?? this.h.log.lastIndex + 1, 0));
      } finally {
        this.h.flushEvents();
      }
    });
  }

  /** When the lease ends: the quorum-th most recent answer (self counts as now) + lease_ms. */
  leaseExpiry(): number {
    const need = this.h.quorum - 1;
    if (need <= 0) return Infinity;
    const acks = this.h.peers.map((p) => this.lastAck.get(p) ?? -Infinity).sort((a, b) => b - a);
    return (acks[need - 1] ?? -Infinity) + this.h.config.lease_ms;
  }

  private wantsEntries(pr: Progress): boolean {
    return pr.next <= this.h.log.lastIndex;
  }

  /**
   * Whether a follower may be sent entries now: none in flight, or the one in flight is overdue
   * (`append_retry_ms`) and the follower has answered something since it left — so it is
   * alive and the append (or its ack) was lost. A silent follower gets no resends.
   */
  private mayShip(peer: NodeId, pr: Progress, now: number): boolean {
    const f = pr.inflight;
    if (!f) return true;
    return now - f.at >= this.retryMs && (this.lastAck.get(peer) ?? -Infinity) > f.at;
  }

  /** One append with entries to `peer`, from its nextIndex; it is now in flight. */
  private ship(peer: NodeId, pr: Progress, now: number): void {
    const msg = this.appendFrom(pr.next, this.h.config.max_entries_per_append);
    this.h.send(peer, msg);
    this.noteShipped([peer], msg, now);
  }

  private noteShipped(peers: readonly NodeId[], msg: SwarmMessageOf<'append'>, now: number): void {
    if (msg.entries.length === 0) return;
    const upTo = msg.prevIndex + msg.entries.length;
    this.h.stats.appendsShipped++;
    for (const p of peers) {
      const pr = this.progress.get(p);
      if (!pr) continue;
      if (pr.inflight) this.h.stats.appendsResent++;
      pr.inflight = { upTo, at: now };
    }
  }

  /**
   * The append from `next`: at most `maxEntries` entries and, when the transport can size
   * messages, at most `max_append_bytes` on the air (but always one entry when there is one
   * and `maxEntries` > 0: an entry too big for the frame was refused by `propose`).
   */
  private appendFrom(next: number, maxEntries: number): SwarmMessageOf<'append'> {
    const prevIndex = next - 1;
    const entries = maxEntries > 0 ? this.h.log.slice(next, maxEntries) : [];
    const msg: SwarmMessageOf<'append'> = { t: 'append', term: this.h.term(), prevIndex, prevTerm: this.h.log.termAt(prevIndex) ?? 0, entries, commit: this.h.commitIndex() };
    const sizeOf = this.h.sizeOf;
    if (sizeOf && entries.length > 1) {
      const cap = this.h.config.max_append_bytes;
      const fits = (k: number): boolean => {
        try {
          return sizeOf({ ...msg, entries: entries.slice(0, k) }) <= cap;
        } catch {
          return false;
        }
      };
      if (!fits(entries.length)) {
        // The most entries that fit (at least one): a binary search over the count.
        let lo = 1;
        let hi = entries.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (fits(mid)) lo = mid;
          else hi = mid - 1;
        }
        msg.entries = entries.slice(0, lo);
      }
    }
    return msg;
  }
}
