import type { SwarmPersisted } from '../persistence.js';
import type { LogEntry } from './messages.js';
import type { NodeId, SwarmStore } from './types.js';

/**
 * The swarm's durable state on the agent's journal: every change is a journal record made
 * durable (fdatasync) before the call returns — Raft's rule that `currentTerm`/`votedFor` are
 * on disk before a vote is answered, and that a reserved ISL counter block is on disk before
 * any counter in it is used. `state` is the agent's folded view (persistence.ts), so a reboot
 * replays to the same values.
 */
export class JournalSwarmStore implements SwarmStore {
  constructor(
    private readonly state: SwarmPersisted,
    private readonly persist: (record: { type: string } & Record<string, unknown>) => void,
  ) {}

  load(): { term: number; votedFor: NodeId | null; counterReservedTo: number; log: LogEntry[] } {
    const s = this.state;
    return { term: s.term, votedFor: s.votedFor, counterReservedTo: s.counterReservedTo, log: [...s.log] };
  }

  saveVote(term: number, votedFor: NodeId | null): void {
    this.persist({ type: 'swarm_vote', term, votedFor });
  }

  reserveCounter(upTo: number): void {
    this.persist({ type: 'swarm_counter', upTo });
  }

  appendLog(entries: LogEntry[], fromIndex: number): void {
    this.persist({ type: 'swarm_log', fromIndex, entries: entries.map((e) => ({ ...e })) });
  }
}
