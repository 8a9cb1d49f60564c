import type { SwarmMessage, SwarmMessageOf } from './messages.js';
import type { NodeId } from './types.js';

/**
 * Candidacy helpers of the election: the PreVote flag on `vote_req`/`vote` (Raft thesis §9.6),
 * and the order in which candidates of one term make way for each other (liveness only: who
 * yields, never who may be elected).
 */

/** Pre-vote request/answer: a `vote_req` or `vote` with `pre: true` (PreVote in election.ts). */
export function preVote<M extends SwarmMessageOf<'vote_req'> | SwarmMessageOf<'vote'>>(msg: M): M {
  return { ...msg, pre: true };
}

export function isPreVote(msg: SwarmMessage): boolean {
  return (msg.t === 'vote_req' || msg.t === 'vote') && msg.pre === true;
}

export type Rank = readonly [lastLogTerm: number, lastLogIndex: number, hash: number, id: NodeId];

/** A candidate's rank in one term: more up-to-date log first, then a per-term hash of its id
 *  (so no node is always preferred), then the id. Every node computes the same order. */
export function rank(term: number, id: NodeId, lastLogTerm: number, lastLogIndex: number): Rank {
  let h = (2166136261 ^ term) >>> 0; // FNV-1a over the term and the id
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return [lastLogTerm, lastLogIndex, h, id];
}

export function compareRank(a: Rank, b: Rank): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) > (b[i] as number) ? 1 : -1;
  return a[3] === b[3] ? 0 : a[3] > b[3] ? 1 : -1;
}
