import { and, not, setup } from 'xstate';
import type { SwarmRole } from './messages.js';

/**
 * The role of one node in the Raft election (README "Rules"), as a state machine. The
 * machine owns the role and its timers; the Raft data (term, vote, log, votes, acks) lives in
 * `Election`, which provides the actions, guards and delays below and feeds the events.
 *
 *   init ─┬─▶ follower ── timeout, can stand ──▶ precandidate ── pre-vote quorum ──▶ candidate ── quorum of votes ──▶ leader
 *         │     ▲  ▲  ▲ (timeout, cannot stand:     │ (term unchanged)          │  (term + 1)              │
 *         │     │  │  │  stays follower)            │ timeout: ask again        │ timeout: pre-vote again  │
 *         │     │  │  └──── HEARD_LEADER / NEW_TERM / GRANTED_VOTE ──────────────┤ (next round)             │
 *         │     │  └──────── HEARD_LEADER / NEW_TERM ──────────────────────────────┘                          │
 *         │     └─────────── NEW_TERM / lease lost / health < stand_threshold ─────────────────────────────────┘
 *         │     │
 *         │  PROMOTE
 *         │     │
 *         └─▶ standby ◀── DEMOTE (from any state)        (a configured standby starts there)
 *
 * With `pre_vote` off (plain Raft) the precandidate step is skipped: follower and candidate
 * timeouts lead straight to a candidacy of the next term.
 *
 * Leader is a parallel state: `beat` sends the heartbeats, `lease` re-checks the lease at the
 * moment it would expire. Every event that changes the role is handled on the `leader` state
 * itself, so it applies whatever the sub-states are.
 *
 * - follower: waits a randomised election timeout, restarted by every valid `append` from the
 *   current leader (HEARD_LEADER) and every vote it grants (GRANTED_VOTE). When it fires the
 *   node forgets its leader and asks for pre-votes (or stands, without pre-vote), unless its
 *   health is below `stand_threshold`.
 * - precandidate (Raft thesis §9.6, PreVote): asks every member whether it *would* vote for
 *   it in the next term, without changing its term, vote or role (it reports `follower`).
 *   Stands (candidate) only on a quorum of pre-votes; a member refuses while it has heard a
 *   leader within the minimum election timeout, or if the log is behind. A node cut off from
 *   the quorum (rebooted, partitioned) therefore never raises its term, and never disrupts the
 *   leader when it comes back. Asks again after another election timeout. Timing (liveness
 *   only): followers reset by the same broadcast heartbeat time out within a few tens of ms of
 *   each other, well inside one pre-vote round trip, so a pre-vote granted also makes way for
 *   the asker (YIELD): a follower restarts its timer, and a precandidate outranked by the asker
 *   (log, then a per-term hash of the id: `Election` rank) steps back. Otherwise every node
 *   that timed out would win its pre-votes, stand, vote for itself, and split the vote.
 * - candidate: on entry starts a candidacy (term + 1, votes for itself, persists both, asks
 *   every member); becomes leader on a quorum of votes, follower on a valid `append` of its term
 *   or a higher term, and runs a new round (pre-vote first) when its timeout fires without a
 *   result. Its timeout (`candidateTimeout`) is re-armed when a competitor of the same term
 *   shows up (COMPETITOR): the split-vote tie-break of `Election.candidateTimeoutMs`.
 * - leader: heartbeats every `heartbeat_ms`; steps down on a higher term, when it has not heard
 *   a quorum (acks) for `lease_ms`, or when its health drops below `stand_threshold`.
 * - standby: replicates and votes but never stands (DEMOTE, or configured); forgets its leader
 *   when it hears none for an election timeout. PROMOTE makes it a follower again.
 *
 * Actions must not throw: an xstate actor whose action throws stops for good (status `error`)
 * and ignores every later event. `Election` guards its actions and, should one throw anyway,
 * starts a fresh actor as follower (see `Election.onMachineError`).
 */
export type ElectionEvent =
  /** A valid `append` from the leader of the current term (restarts the election timer). */
  | { type: 'HEARD_LEADER' }
  /** This node just granted its vote (restarts the election timer). */
  | { type: 'GRANTED_VOTE' }
  /** This node just granted a pre-vote and leaves the next term to the asker: a follower
   *  restarts its election timer, a precandidate (outranked by the asker) steps back. */
  | { type: 'YIELD' }
  /** A message carried a higher term; `Election` has adopted and persisted it. */
  | { type: 'NEW_TERM' }
  /** A vote was counted (the candidate re-checks for a quorum). */
  | { type: 'VOTE' }
  /** A pre-vote was counted (the precandidate re-checks for a quorum). */
  | { type: 'PRE_VOTE' }
  /** The node's health may have changed (the leader re-checks it at once). */
  | { type: 'CHECK_HEALTH' }
  /** A candidate saw a `vote_req` of its own term (a split vote is likely). */
  | { type: 'COMPETITOR' }
  | { type: 'DEMOTE' }
  | { type: 'PROMOTE' };

export type ElectionState = 'init' | 'follower' | 'precandidate' | 'candidate' | 'leader' | 'standby';

export const electionMachine = setup({
  types: {
    events: {} as ElectionEvent,
    input: {} as { standby: boolean },
    context: {} as { standby: boolean },
  },
  actions: {
    /** Records the role (in `Election`) as the state is entered. */
    enterRole: (_, _params: { role: SwarmRole }) => {},
    /** Ask every member for a pre-vote for term + 1 (nothing changes, nothing is persisted). */
    startPreVote: () => {},
    /** Term + 1, vote for self, persist (before anything is sent), ask every member. */
    startCandidacy: () => {},
    /** nextIndex/matchIndex/acks reset, leader = self, a no-op entry of the new term. */
    becomeLeader: () => {},
    /** AppendEntries to every peer (entries from its nextIndex, or a heartbeat). */
    sendHeartbeats: () => {},
    endLeadership: () => {},
    /** No leader heard for an election timeout: the node no longer knows one. */
    forgetLeader: () => {},
    /** Counters (stats) of the two step-down reasons. */
    noteLeaseLost: () => {},
    noteUnhealthy: () => {},
  },
  guards: {
    /** Health ≥ stand_threshold (standby never gets here). */
    canStand: () => false,
    /** Votes (self included) from a quorum in the current term. */
    wonVotes: () => false,
    /** Pre-votes (self included) from a quorum for the next term. */
    wonPreVotes: () => false,
    /** `pre_vote` is on (a round of pre-votes before every candidacy). */
    preVote: () => false,
    /** No quorum of members (self included) heard within lease_ms. */
    leaseLost: () => false,
    unhealthy: () => false,
    configuredStandby: ({ context }) => context.standby,
  },
  delays: {
    /** Uniform in [election_timeout_min_ms, election_timeout_max_ms], from the seeded random. */
    electionTimeout: 450,
    heartbeat: 100,
    /** The rest of the candidacy's wait (re-armed on COMPETITOR). */
    candidateTimeout: 450,
    /** Until the current lease would expire (re-armed after each check). */
    leaseCheck: 500,
  },
}).createMachine({
  id: 'election',
  context: ({ input }) => ({ standby: input.standby }),
  initial: 'init',
  on: {
    DEMOTE: { target: '.standby' },
  },
  states: {
    init: {
      always: [{ guard: 'configuredStandby', target: 'standby' }, { target: 'follower' }],
    },
    follower: {
      entry: { type: 'enterRole', params: { role: 'follower' } },
      on: {
        HEARD_LEADER: { target: 'follower', reenter: true },
        GRANTED_VOTE: { target: 'follower', reenter: true },
        YIELD: { target: 'follower', reenter: true },
      },
      after: {
        electionTimeout: [
          { guard: and(['canStand', 'preVote']), target: 'precandidate', actions: 'forgetLeader' },
          { guard: 'canStand', target: 'candidate', actions: 'forgetLeader' },
          { target: 'follower', reenter: true, actions: 'forgetLeader' },
        ],
      },
    },
    precandidate: {
      entry: ['startPreVote', { type: 'enterRole', params: { role: 'follower' } }],
      always: { guard: and(['wonPreVotes', 'canStand']), target: 'candidate' },
      on: {
        HEARD_LEADER: { target: 'follower' },
        NEW_TERM: { target: 'follower' },
        GRANTED_VOTE: { target: 'follower' },
        YIELD: { target: 'follower' },
      },
      after: {
        electionTimeout: [{ guard: 'canStand', target: 'precandidate', reenter: true }, { target: 'follower' }],
      },
    },
    candidate: {
      entry: ['startCandidacy', { type: 'enterRole', params: { role: 'candidate' } }],
      always: [
        { guard: and(['wonVotes', 'canStand']), target: 'leader' },
        // Won, but health fell below the threshold meanwhile: do not lead.
        { guard: and(['wonVotes', not('canStand')]), target: 'follower' },
      ],
      initial: 'waiting',
      states: {
        waiting: {
          on: { COMPETITOR: { target: 'waiting', reenter: true } },
          after: {
            candidateTimeout: [
              { guard: and(['canStand', 'preVote']), target: '#election.precandidate' },
              { guard: 'canStand', target: '#election.candidate', reenter: true },
              { target: '#election.follower' },
            ],
          },
        },
      },
      on: {
        HEARD_LEADER: { target: 'follower' },
        NEW_TERM: { target: 'follower' },
      },
    },
    leader: {
      entry: [{ type: 'enterRole', params: { role: 'leader' } }, 'becomeLeader'],
      exit: 'endLeadership',
      always: { guard: 'unhealthy', target: 'follower', actions: 'noteUnhealthy' },
      on: {
        NEW_TERM: { target: 'follower' },
        CHECK_HEALTH: {},
      },
      type: 'parallel',
      states: {
        beat: {
          initial: 'tick',
          states: {
            tick: {
              entry: 'sendHeartbeats',
              after: { heartbeat: { target: 'tick', reenter: true } },
            },
          },
        },
        lease: {
          initial: 'held',
          states: {
            held: {
              after: {
                leaseCheck: [{ guard: 'leaseLost', target: '#election.follower', actions: 'noteLeaseLost' }, { target: 'held', reenter: true }],
              },
            },
          },
        },
      },
    },
    standby: {
      entry: { type: 'enterRole', params: { role: 'standby' } },
      on: {
        PROMOTE: { target: 'follower' },
        HEARD_LEADER: { target: 'standby', reenter: true },
      },
      after: {
        electionTimeout: { target: 'standby', reenter: true, actions: 'forgetLeader' },
      },
    },
  },
});

/** The top-level state of a snapshot value. */
export function stateOf(value: unknown): ElectionState {
  if (typeof value === 'string') return value as ElectionState;
  if (value && typeof value === 'object') return Object.keys(value)[0] as ElectionState;
  return 'init';
}
