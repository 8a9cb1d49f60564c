import { DROP_REASONS } from '../../hal/protocol/receiver.js';
import { SEVERITIES } from '../config/schema.js';

/**
 * The one catalogue of the agent's metric families: name, type, unit, help text and (at most
 * one) label. `METRICS.md` documents every entry and a test keeps the two in step. Names are
 * snake_case, carry their unit (`_us`, `_ms`) and never end in `_total` (the Prometheus
 * renderer adds it to counters). A retired name is never reused with another meaning.
 *
 * `values` lists the label values known in advance: their series are created with the
 * registry, so they read 0 before the first event and the hot path never creates one.
 * Families with `open: true` accept other values too (created on first use, capped).
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';
export type MetricUnit = 'us' | 'ms' | 'count' | 'bool';

export interface FamilyDef {
  readonly type: MetricType;
  readonly unit: MetricUnit;
  readonly help: string;
  /** The one label name, if the family is labelled. */
  readonly label?: string;
  /** Label values whose series exist from the start. */
  readonly values?: readonly string[];
  /** Other label values are allowed (created on first use, up to the registry's cap). */
  readonly open?: boolean;
  /** Histograms: highest value tracked, in `unit` (larger values are clamped to it). */
  readonly highest?: number;
}

export type Catalogue = Readonly<Record<string, FamilyDef>>;

/** Phases of one decision cycle, in order (kept equal to `PHASES` in cycle/cycle-runner.ts by a test). */
export const CYCLE_PHASES = ['sample', 'assess', 'decide', 'arbitrate', 'act'] as const;
export type CyclePhase = (typeof CYCLE_PHASES)[number];
export const CYCLE_PHASES_AND_TOTAL = [...CYCLE_PHASES, 'total'] as const;

/** Agent modes (kept equal to `MODES` in decide/types.ts by a test). */
export const MODE_NAMES = ['boot', 'nominal', 'degraded', 'safe', 'recovery'] as const;
/** Decision types (kept equal to `Decision['type']` in decide/types.ts). */
export const DECISION_TYPES = ['noop', 'safety', 'corrective', 'mission'] as const;
/** How an action's life ended. `rejected`: refused before it ran (breaker open, arbitration). */
export const ACTION_OUTCOMES = ['done', 'failed', 'timed_out', 'cancelled', 'rejected'] as const;
/** What became of a ground command (kept equal to `GROUND_RESULTS` in ground/handler.ts by a test). */
export const GROUND_COMMAND_RESULTS = ['accepted', 'failed', 'unsigned', 'bad_signature', 'replayed', 'malformed', 'wrong_target', 'no_key'] as const;
export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
export const HEALTH_RESULTS = ['warn', 'fatal'] as const;
/** Raft roles (kept equal to `ROLES` in swarm/messages.ts by a test). */
export const SWARM_ROLES = ['follower', 'candidate', 'leader', 'standby'] as const;
/** Governor classes (kept equal to `PRIORITIES` in swarm/messages.ts by a test). */
export const PRIORITY_CLASSES = ['critical', 'report', 'health', 'bulk'] as const;

const MINUTE_US = 60_000_000;

export const METRIC_FAMILIES = {
  // --- the decision cycle -------------------------------------------------------------
  cycles: { type: 'counter', unit: 'count', help: 'Decision cycles run.' },
  cycle_phase_us: {
    type: 'histogram', unit: 'us', label: 'phase', values: CYCLE_PHASES_AND_TOTAL, highest: MINUTE_US,
    help: 'Time spent in each phase of a decision cycle (total: the whole cycle), microseconds.',
  },
  cycle_start_late_us: {
    type: 'histogram', unit: 'us', highest: MINUTE_US,
    help: 'How late a cycle started after its deadline (timer and event-loop jitter), microseconds.',
  },
  cycle_slips: {
    type: 'counter', unit: 'count', label: 'phase', values: CYCLE_PHASES,
    help: 'Cycles that overran budget_ms, by the phase blamed (the one that ran longest).',
  },
  cycle_deadlines_skipped: {
    type: 'counter', unit: 'count',
    help: 'Cycle deadlines skipped because a tick started more than a whole period late.',
  },

  // --- assessment ---------------------------------------------------------------------
  anomalies_raised: {
    type: 'counter', unit: 'count', label: 'severity', values: SEVERITIES,
    help: 'Anomaly episodes raised (a watchpoint met its persistence), by severity.',
  },
  anomalies_raised_by_signature: {
    type: 'counter', unit: 'count', label: 'signature', open: true,
    help: 'Anomaly episodes raised, by signature (the watchpoint id).',
  },
  anomalies_active: { type: 'gauge', unit: 'count', help: 'Anomaly episodes currently active.' },

  // --- decisions and actions ----------------------------------------------------------
  decisions: {
    type: 'counter', unit: 'count', label: 'type', values: DECISION_TYPES, open: true,
    help: 'Decisions made, by type.',
  },
  decisions_safe_fallback: {
    type: 'counter', unit: 'count',
    help: 'Decisions that fell back to the safe decision (policy error, missing or stale inputs).',
  },
  actions: {
    type: 'counter', unit: 'count', label: 'outcome', values: ACTION_OUTCOMES, open: true,
    help: 'Actions finished, by outcome.',
  },
  breaker_transitions: {
    type: 'counter', unit: 'count', label: 'to', values: BREAKER_STATES,
    help: 'Circuit-breaker state changes (any device), by the state entered.',
  },

  // --- ground commands ----------------------------------------------------------------
  ground_commands: {
    type: 'counter', unit: 'count', label: 'result', values: GROUND_COMMAND_RESULTS,
    help: 'Ground commands received, by result: accepted, failed (verified but not doable), or why refused.',
  },

  // --- the link and the hardware client -------------------------------------------------
  link_drops: {
    type: 'counter', unit: 'count', label: 'reason', values: DROP_REASONS,
    help: 'Frames dropped on receipt, by reason (escape, crc, oversize, cbor, schema).',
  },
  client_timeouts: { type: 'counter', unit: 'count', help: 'HAL requests that got no answer within request_timeout_ms.' },
  client_late: { type: 'counter', unit: 'count', help: 'HAL answers that arrived after their request had timed out.' },
  client_duplicate: { type: 'counter', unit: 'count', help: 'Second answers to a HAL request already answered.' },
  client_unknown_ref: { type: 'counter', unit: 'count', help: 'HAL answers naming a request never sent (or long forgotten).' },
  client_handshakes: { type: 'counter', unit: 'count', help: 'Completed handshakes with the hardware (1 + reconnects).' },
  watchdog_pets: { type: 'counter', unit: 'count', help: 'Hardware watchdog pets sent.' },
  watchdog_pet_failures: { type: 'counter', unit: 'count', help: 'Watchdog pets not sent because the link was not up.' },

  // --- modes --------------------------------------------------------------------------
  mode_transitions: {
    type: 'counter', unit: 'count', label: 'to', values: MODE_NAMES,
    help: 'Mode transitions, by the mode entered.',
  },
  mode_current: {
    type: 'gauge', unit: 'bool', label: 'mode', values: MODE_NAMES,
    help: '1 for the current mode, 0 for the others.',
  },

  // --- journal ------------------------------------------------------------------------
  journal_appends: { type: 'counter', unit: 'count', help: 'Records appended to the journal.' },
  journal_append_us: {
    type: 'histogram', unit: 'us', highest: MINUTE_US,
    help: 'Time to append one journal record, including fdatasync when on, microseconds.',
  },
  journal_torn_records: { type: 'counter', unit: 'count', help: 'Torn or corrupt records found (and cut off) when the journal was opened.' },

  // --- health -------------------------------------------------------------------------
  health_checks: {
    type: 'counter', unit: 'count', label: 'result', values: HEALTH_RESULTS,
    help: 'Component health checks that missed pings: warn (warn_missed) or fatal (fatal_missed).',
  },

  // --- the swarm (constellation coordination over the ISL) -----------------------------
  swarm_role: {
    type: 'gauge', unit: 'bool', label: 'role', values: SWARM_ROLES,
    help: '1 for this node\'s current Raft role, 0 for the others.',
  },
  swarm_term: { type: 'gauge', unit: 'count', help: 'Current Raft term.' },
  isl_drops: {
    type: 'counter', unit: 'count', label: 'reason', open: true,
    help: 'ISL frames thrown away on receipt, by reason (mac, replay, old, malformed, oversize, unknown_sender, version, misdirected, and the bus\'s own).',
  },
  governor_queue_depth: {
    type: 'gauge', unit: 'count', label: 'class', values: PRIORITY_CLASSES,
    help: 'Packets waiting in the bandwidth governor, by priority class.',
  },
  governor_drops: {
    type: 'counter', unit: 'count', label: 'class', values: PRIORITY_CLASSES,
    help: 'Packets the governor dropped or refused (queue full), by priority class.',
  },
  governor_utilisation_permille: {
    type: 'gauge', unit: 'count', label: 'class', values: [...PRIORITY_CLASSES, 'total'],
    help: 'Share of the ISL airtime used over the last 2 s, per mille, by priority class and in total.',
  },
  swarm_context_hit_permille: { type: 'gauge', unit: 'count', help: 'Global-context cache hit rate, per mille.' },
  swarm_divergences: { type: 'counter', unit: 'count', help: 'Command-log digests that differed from a peer\'s at the same index (target: zero).' },
} as const satisfies Catalogue;

export type AgentCatalogue = typeof METRIC_FAMILIES;
export type AgentMetricName = keyof AgentCatalogue;
