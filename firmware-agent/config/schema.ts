import { boolean, byTag, list, map, number, oneOf, optional, refine, text, withDefault, type Infer, type Input } from './spec.js';

/**
 * The agent's configuration: one schema with types, defaults, units (in the names) and
 * limits, validated once at start and then frozen. An invalid file fails with the field's
 * path and what it allows.
 */
export const SUBSYSTEMS = ['power', 'thermal', 'adcs', 'comms', 'payload', 'obc', 'radiation'] as const;
export type Subsystem = (typeof SUBSYSTEMS)[number];
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const persistence = refine(map({ n: number({ int: true, min: 1 }), m: number({ int: true, min: 1 }) }), (p, report) => {
  if (p.n > p.m) report(`n must be <= m (n of the last m cycles), got n=${p.n} m=${p.m}`);
});
const FIELD = /^[a-z_]+\.[a-z_]+$/;
const subsystem = oneOf(SUBSYSTEMS);
const severity = withDefault(oneOf(SEVERITIES), 'warning');

const nonNegative = withDefault(number({ min: 0 }), 0);

/**
 * A watchpoint (cFS Limit Checker style). `field` is `device.field` (e.g. `eps.soc`,
 * `thermal.payload`); for `stale`, `field` names a device (e.g. `thermal`).
 */
export const watchpointSchema = byTag('kind', {
  limit: map({
    kind: oneOf(['limit']),
    id: text({ nonEmpty: true }),
    field: text({ pattern: FIELD, like: 'device.field, e.g. eps.soc' }),
    subsystem,
    /** Out of limits below `low` or above `high` (either may be omitted). */
    low: optional(number()),
    high: optional(number()),
    severity,
    /** Back in limits only when this far inside (same unit as the field). */
    hysteresis: nonNegative,
    persistence: withDefault(persistence, { n: 3, m: 5 }),
  }),
  rate: map({
    kind: oneOf(['rate']),
    id: text({ nonEmpty: true }),
    field: text({ pattern: FIELD, like: 'device.field, e.g. thermal.payload' }),
    subsystem,
    /** Largest allowed |d field / dt|, field units per second. */
    max_per_s: number({ gt: 0 }),
    /** Measure the rate over at least this long, s (0: between successive samples). */
    window_s: nonNegative,
    severity,
    hysteresis: nonNegative,
    persistence: withDefault(persistence, { n: 3, m: 5 }),
  }),
  stale: map({
    kind: oneOf(['stale']),
    id: text({ nonEmpty: true }),
    /** A device id. */
    field: text({ pattern: /^[a-z_]+$/, like: 'a device id, e.g. thermal' }),
    subsystem,
    severity,
    persistence: withDefault(persistence, { n: 1, m: 1 }),
  }),
});
export type Watchpoint = Infer<typeof watchpointSchema>;
/** A watchpoint as written: fields with a default may be left out. */
export type WatchpointInput = Input<typeof watchpointSchema>;

export const DEFAULT_WATCHPOINTS: WatchpointInput[] = [
  { kind: 'limit', id: 'soc_low', field: 'eps.soc', subsystem: 'power', low: 0.35, hysteresis: 0.05, severity: 'warning' },
  { kind: 'limit', id: 'soc_critical', field: 'eps.soc', subsystem: 'power', low: 0.2, hysteresis: 0.1, severity: 'critical' },
  { kind: 'limit', id: 'batt_v_low', field: 'eps.batt_v', subsystem: 'power', low: 6.4, hysteresis: 0.2, severity: 'critical' },
  { kind: 'limit', id: 'batt_cold', field: 'thermal.battery', subsystem: 'thermal', low: 0, hysteresis: 3, severity: 'warning' },
  { kind: 'limit', id: 'batt_freezing', field: 'thermal.battery', subsystem: 'thermal', low: -10, hysteresis: 5, severity: 'critical' },
  { kind: 'limit', id: 'batt_hot', field: 'thermal.battery', subsystem: 'thermal', high: 45, hysteresis: 3, severity: 'critical' },
  { kind: 'limit', id: 'payload_hot', field: 'thermal.payload', subsystem: 'payload', high: 40, hysteresis: 5, severity: 'warning' },
  { kind: 'limit', id: 'payload_overheat', field: 'thermal.payload', subsystem: 'thermal', high: 50, hysteresis: 8, severity: 'critical' },
  { kind: 'limit', id: 'obc_hot', field: 'thermal.obc', subsystem: 'obc', high: 70, hysteresis: 5, severity: 'critical' },
  { kind: 'rate', id: 'payload_temp_rate', field: 'thermal.payload', subsystem: 'payload', max_per_s: 0.05, window_s: 10, hysteresis: 0.02, severity: 'warning', persistence: { n: 2, m: 3 } },
  { kind: 'limit', id: 'tumbling', field: 'imu.rate', subsystem: 'adcs', high: 0.1, hysteresis: 0.02, severity: 'warning' },
  { kind: 'limit', id: 'radiation_high', field: 'rad.dose_rate', subsystem: 'radiation', high: 300, hysteresis: 50, severity: 'warning' },
  { kind: 'stale', id: 'eps_stale', field: 'eps', subsystem: 'power', severity: 'critical', persistence: { n: 3, m: 3 } },
  { kind: 'stale', id: 'thermal_stale', field: 'thermal', subsystem: 'thermal', severity: 'warning' },
  { kind: 'stale', id: 'imu_stale', field: 'imu', subsystem: 'adcs', severity: 'warning' },
];

/** The watchpoint table: ids unique, each limit with a bound, each rate able to clear. */
const watchpoints = refine(list(watchpointSchema), (wps, report) => {
  const seen = new Set<string>();
  wps.forEach((w, i) => {
    if (seen.has(w.id)) report(`duplicate watchpoint id ${w.id}`, i, 'id');
    seen.add(w.id);
    if (w.kind === 'limit' && w.low === undefined && w.high === undefined) report('a limit watchpoint needs low, high or both', i);
    if (w.kind === 'rate' && w.hysteresis >= w.max_per_s) report(`must be below max_per_s (${w.max_per_s}) or it could never clear`, i, 'hysteresis');
  });
});

const int = (min: number, max?: number) => number({ int: true, min, ...(max === undefined ? {} : { max }) });
const fraction = number({ min: 0, max: 1 });

export const agentConfigSchema = map({
  /** Decision-loop rate, Hz. */
  cycle_hz: withDefault(number({ min: 0.1, max: 100 }), 10),
  /** Per-cycle latency budget, ms; an overrun is a counted slip. */
  budget_ms: withDefault(number({ gt: 0, max: 1000 }), 20),
  /** A sample older than this many of its device's periods is stale. */
  stale_after_periods: withDefault(number({ min: 1 }), 3),
  /** HAL request timeout, ms. */
  request_timeout_ms: withDefault(int(10), 500),
  // A default is parsed like a given value, so each default watchpoint's own defaults fill in.
  watchpoints: withDefault(watchpoints, DEFAULT_WATCHPOINTS),
  modes: withDefault(
    map({
      /** Overall health below this (persisting) → degraded. */
      degraded_below: withDefault(fraction, 0.8),
      /** Overall health below this, or any critical anomaly → safe. */
      safe_below: withDefault(fraction, 0.4),
      /** Cycles the condition must persist before a transition. */
      persistence_cycles: withDefault(int(1), 5),
      /** Health must stay above degraded_below this long before leaving safe, s. */
      safe_exit_stable_s: withDefault(number({ min: 0 }), 60),
      /** Minimum time in recovery before nominal, s. */
      recovery_dwell_s: withDefault(number({ min: 0 }), 30),
    }),
    {},
  ),
  actions: withDefault(
    map({
      /** Retries after the first attempt, with backoff 100/200/400 ms. */
      retries: withDefault(int(0, 10), 3),
      backoff_ms: withDefault(int(1), 100),
      /** A step not verified by read-back within this is a failure, ms. */
      verify_timeout_ms: withDefault(int(10), 3000),
      /** Consecutive failures that open a device's circuit breaker (above `retries`, so one
       *  action's own retries all reach the device before the breaker opens). */
      breaker_failures: withDefault(int(1), 4),
      /** Time an open breaker waits before a half-open probe, ms. */
      breaker_reset_ms: withDefault(int(10), 30_000),
      /** Procedure watcher: no progress for this × the expected step time → stalled. */
      stall_factor: withDefault(number({ min: 1 }), 3),
    }),
    {},
  ),
  journal: withDefault(
    map({
      /** Compact when the file passes this size, bytes. */
      max_bytes: withDefault(int(4096), 1_048_576),
      /** fsync at decision and action boundaries (off only for benchmarks). */
      fsync: withDefault(boolean(), true),
    }),
    {},
  ),
  health: withDefault(
    map({
      /** Component ping period, ms. */
      ping_ms: withDefault(int(10), 1000),
      warn_missed: withDefault(int(1), 2),
      fatal_missed: withDefault(int(1), 5),
    }),
    {},
  ),
  observability: withDefault(
    map({
      /** Log level for the structured JSON log. */
      log_level: withDefault(oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
      /** Serve Prometheus text on this port (0 = off). */
      metrics_port: withDefault(int(0, 65535), 0),
    }),
    {},
  ),
  /** Swarm coordination over the ISL. Runs when enabled, with ≥ 2 members and a key file. */
  swarm: withDefault(
    map({
      enabled: withDefault(boolean(), true),
      /** Every member's satellite id, in the same order on every member. */
      members: withDefault(list(text({ nonEmpty: true })), []),
      /** The constellation key: 32 bytes as 64 hex digits (never in the repository). */
      key_file: optional(text({ nonEmpty: true })),
      /** ISL air data rate, bit/s (the radio does not announce it). */
      bit_rate: withDefault(number({ gt: 0 }), 9600),
      quorum: withDefault(oneOf(['majority', 'two_thirds']), 'majority'),
      /**
       * Raft timing on the ISL (9,600 bit/s; one hop ≈ 60 ms of air + 50–100 ms latency):
       * failover = detection (a timeout in [min, max] after the last heartbeat) + a pre-vote
       * round + a vote round + the new leader's first heartbeat ≈ 0.55–0.8 s + 0.75 s ≤ 1.5 s.
       * `election_timeout_min_ms` stays above a heartbeat period plus one catch-up append on
       * the air ahead of it (`max_append_bytes`: 256 B ≈ 0.22 s) plus latency jitter, so a
       * leader's heartbeats never all come late; a single follower that times out anyway is
       * refused its pre-votes and disturbs nobody.
       */
      election: withDefault(
        refine(
          map({
            heartbeat_ms: withDefault(int(10), 200),
            election_timeout_min_ms: withDefault(int(10), 500),
            election_timeout_max_ms: withDefault(int(10), 650),
            lease_ms: withDefault(int(10), 800),
            /** Below this health a node does not stand, and a leader steps down. */
            stand_threshold: withDefault(fraction, 0.5),
            /** Ask a quorum for pre-votes before standing (a node cut off from it never raises its term). */
            pre_vote: withDefault(boolean(), true),
            /** Largest Raft append on the air, bytes (capped at the critical class's packet size). */
            max_append_bytes: withDefault(int(64), 256),
          }),
          (e, report) => {
            if (e.election_timeout_max_ms < e.election_timeout_min_ms) report(`must be >= election_timeout_min_ms (${e.election_timeout_min_ms})`, 'election_timeout_max_ms');
          },
        ),
        {},
      ),
    }),
    {},
  ),
  /**
   * The ground station. Ground commands are accepted only when signed by this key; absent:
   * ground commands are refused.
   */
  ground: withDefault(
    map({
      /** Path to the ground station's Ed25519 public key, PEM (SPKI). */
      public_key_file: optional(text({ nonEmpty: true })),
      /** The ground station's id, as it signs its commands. */
      station_id: withDefault(text({ nonEmpty: true }), 'GROUND'),
    }),
    {},
  ),
});

export type AgentConfig = Infer<typeof agentConfigSchema>;
export type AgentConfigInput = Input<typeof agentConfigSchema>;
