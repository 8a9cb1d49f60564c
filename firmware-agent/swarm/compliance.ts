/**
 * Compliance bookkeeping, pure data (no clock, no network): the ledger of every outcome
 * report a node received and the figures computed from it, and the escalation book folded
 * from committed verdicts. `propagation.ts` drives both.
 *
 * Definitions (the reviewer's checklist):
 * - A report is `completed`, `partial` or `failed`. `partial` = the satellite ran a
 *   multi-step action and verified some of its steps by read-back but not all (e.g.
 *   `enter_safe`: payload off and ADCS sun-pointing verified, OBC throttle failed).
 *   `failed` = nothing verified, refused by local safety, expired, or not executable.
 * - The latest report received from a member for a command is that member's outcome
 *   (outcomes are final per member by construction: a member reports once it reached a final
 *   state and re-sends the same outcome after that).
 * - compliance(cid) = members of the command's targets whose outcome is `completed`
 *   ÷ number of targets. Reports from non-targets are kept in the ledger but never counted.
 * - The tracked figure is maintained incrementally as reports arrive; `recount(cid)`
 *   recomputes it from the report list alone; the two are equal by test.
 */
import type { NodeId } from './types.js';

export type ReportOutcome = 'completed' | 'partial' | 'failed';

/** One report as received (the audit trail compliance is recounted from). */
export interface ReportRecord {
  readonly cid: string;
  readonly from: NodeId;
  readonly outcome: ReportOutcome;
  readonly reason: string;
  /** Receiver's clock, ms. */
  readonly at: number;
  /** Receiver's Raft term when it arrived. */
  readonly term: number;
}

export interface ComplianceFigure {
  readonly cid: string;
  readonly targets: number;
  readonly completed: number;
  readonly partial: number;
  readonly failed: number;
  /** Targets with no report at all. */
  readonly missing: number;
  /** completed / targets (1 for a command with no targets). */
  readonly ratio: number;
}

export interface NonCompliant {
  readonly id: NodeId;
  readonly reason: string;
}

interface CommandState {
  targets: ReadonlySet<NodeId> | null;
  latest: Map<NodeId, ReportRecord>;
  counts: Record<ReportOutcome, number>;
}

/**
 * Every report received, and per-command compliance over the command's targets. Reports can
 * arrive before the node knows the command (a member applied the entry before this node
 * did); they are kept and counted once the targets are known.
 */
export class ComplianceLedger {
  private readonly list: ReportRecord[] = [];
  private readonly cmds = new Map<string, CommandState>();

  /** A committed command: its targets (first call wins; a command's targets never change). */
  setTargets(cid: string, targets: readonly NodeId[]): void {
    const st = this.state(cid);
    if (st.targets) return;
    st.targets = new Set(targets);
    for (const [from, r] of st.latest) if (st.targets.has(from)) st.counts[r.outcome]++;
  }

  knows(cid: string): boolean {
    return this.cmds.get(cid)?.targets != null;
  }

  record(r: ReportRecord): void {
    this.list.push(r);
    const st = this.state(r.cid);
    const prev = st.latest.get(r.from);
    st.latest.set(r.from, r);
    if (st.targets?.has(r.from)) {
      if (prev) st.counts[prev.outcome]--;
      st.counts[r.outcome]++;
    }
  }

  /** The tracked figure, or undefined while the command's targets are unknown here. */
  compliance(cid: string): ComplianceFigure | undefined {
    const st = this.cmds.get(cid);
    if (!st?.targets) return undefined;
    return figure(cid, st.targets.size, st.counts);
  }

  /** The same figure recomputed from the report list alone (audit). */
  recount(cid: string): ComplianceFigure | undefined {
    const targets = this.cmds.get(cid)?.targets;
    if (!targets) return undefined;
    const latest = new Map<NodeId, ReportOutcome>();
    for (const r of this.list) if (r.cid === cid) latest.set(r.from, r.outcome);
    const counts: Record<ReportOutcome, number> = { completed: 0, partial: 0, failed: 0 };
    for (const [from, o] of latest) if (targets.has(from)) counts[o]++;
    return figure(cid, targets.size, counts);
  }

  /** Targets not `completed`, with why (their report's outcome and reason, or no report). */
  nonCompliant(cid: string): NonCompliant[] {
    const st = this.cmds.get(cid);
    if (!st?.targets) return [];
    const out: NonCompliant[] = [];
    for (const id of [...st.targets].sort()) {
      const r = st.latest.get(id);
      if (r?.outcome === 'completed') continue;
      out.push({ id, reason: r ? `${r.outcome}: ${r.reason}` : 'no report received' });
    }
    return out;
  }

  /** The latest report from each member for a command. */
  latest(cid: string): ReadonlyMap<NodeId, ReportRecord> {
    return this.cmds.get(cid)?.latest ?? new Map();
  }

  /** Every report received, in arrival order (optionally for one command). */
  reports(cid?: string): readonly ReportRecord[] {
    return cid === undefined ? [...this.list] : this.list.filter((r) => r.cid === cid);
  }

  /** Number of commands the ledger holds state for (with or without targets). */
  get size(): number {
    return this.cmds.size;
  }

  /** Commands known (with or without targets), oldest first. */
  commands(): string[] {
    return [...this.cmds.keys()];
  }

  /** Drops a command and its reports (history bound). */
  forget(cid: string): void {
    if (!this.cmds.delete(cid)) return;
    let w = 0;
    for (const r of this.list) if (r.cid !== cid) this.list[w++] = r;
    this.list.length = w;
  }

  private state(cid: string): CommandState {
    let st = this.cmds.get(cid);
    if (!st) {
      st = { targets: null, latest: new Map(), counts: { completed: 0, partial: 0, failed: 0 } };
      this.cmds.set(cid, st);
    }
    return st;
  }
}

function figure(cid: string, targets: number, c: Record<ReportOutcome, number>): ComplianceFigure {
  return {
    cid,
    targets,
    completed: c.completed,
    partial: c.partial,
    failed: c.failed,
    missing: targets - c.completed - c.partial - c.failed,
    ratio: targets === 0 ? 1 : c.completed / targets,
  };
}

/**
 * Escalations and role changes, folded from committed log entries only (so every node,
 * and every future leader, holds the same book). A member's count is the number of distinct
 * commands it was escalated for since it was last promoted; two verdicts for one command
 * (two leaders racing across a failover) count once.
 */
export class EscalationBook {
  private readonly escalations = new Map<NodeId, Set<string>>();
  private readonly demotedSet = new Set<NodeId>();

  escalate(cid: string, members: readonly NodeId[]): void {
    for (const m of members) {
      let s = this.escalations.get(m);
      if (!s) this.escalations.set(m, (s = new Set()));
      s.add(cid);
    }
  }

  count(member: NodeId): number {
    return this.escalations.get(member)?.size ?? 0;
  }

  /** Members and their counts. */
  counts(): Map<NodeId, number> {
    return new Map([...this.escalations].map(([m, s]) => [m, s.size]));
  }

  /** Commands a member was escalated for. */
  escalatedFor(member: NodeId): string[] {
    return [...(this.escalations.get(member) ?? [])];
  }

  demote(member: NodeId): void {
    this.demotedSet.add(member);
  }

  /** Promotion clears the record: a reinstated member starts again from zero. */
  promote(member: NodeId): void {
    this.demotedSet.delete(member);
    this.escalations.delete(member);
  }

  isDemoted(member: NodeId): boolean {
    return this.demotedSet.has(member);
  }

  demoted(): NodeId[] {
    return [...this.demotedSet].sort();
  }
}
