import type { Assessment } from '../assess/assessor.js';
import type { TelemetrySnapshot } from '../telemetry/types.js';

export const MODES = ['boot', 'nominal', 'degraded', 'safe', 'recovery'] as const;
export type Mode = (typeof MODES)[number];

export type Role = 'solo' | 'follower' | 'candidate' | 'leader' | 'standby';

/** What the decision loop knows of the constellation (solo: swarm off or alone). */
export interface GlobalContext {
  readonly role: Role;
  readonly leader: string | null;
  readonly term: number;
  /** Mean health of alive peers including self, 0..1. */
  readonly constellationHealth: number;
  readonly members: number;
  readonly quorum: number;
  /** What constellation commands hold off (e.g. `payload` after "payload off for all", until a
   *  later "payload on"): local mission rules do not undo them. */
  readonly holds: readonly string[];
}

export const SOLO_CONTEXT: GlobalContext = Object.freeze({ role: 'solo', leader: null, term: 0, constellationHealth: 1, members: 1, quorum: 1, holds: [] });

export type ParamValue = number | string | boolean;

export interface Decision {
  /** Derived from the inputs (rule, action, params, mode, active anomaly episodes, context): same inputs → same id. */
  readonly id: string;
  readonly type: 'noop' | 'safety' | 'corrective' | 'mission';
  /** Catalog action to run, or null for noop. */
  readonly action: string | null;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** 0..1: lower when the data behind the decision is stale or missing. */
  readonly confidence: number;
  readonly reasoning: string;
  /** The policy rule that produced it. */
  readonly rule: string;
}

export interface DecisionInputs {
  readonly snap: TelemetrySnapshot;
  readonly assessment: Assessment;
  readonly mode: Mode;
  readonly ctx: GlobalContext;
  /** Ids of the last few decisions that led to an action (oldest first): part of the input, so a
   *  rule that fires again after something else happened gets a new id. */
  readonly recent: readonly string[];
  /** Devices that cannot be commanded now (circuit breaker open): rules acting on them give way. */
  readonly blocked?: readonly string[];
}
