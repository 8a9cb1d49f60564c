import { z } from 'zod';

/**
 * The agent's configuration: one schema with types, defaults, units (in the names) and
 * limits, validated once at start and then frozen. An invalid file fails with the field's
 * path and what it allows.
 */
export const SUBSYSTEMS = ['power', 'thermal', 'adcs', 'comms', 'payload', 'obc', 'radiation'] as const;
export type Subsystem = (typeof SUBSYSTEMS)[number];
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const persistence = z
  .object({ n: z.number().int().min(1), m: z.number().int().min(1) })
  .strict()
  .refine((p) => p.n <= p.m, { message: 'n must be <= m (n of the last m cycles)' });

/**
 * A watchpoint (cFS Limit Checker style). `field` is `device.field` (e.g. `eps.soc`,
 * `thermal.payload`); for `stale`, `field` names a device (e.g. `thermal`).
 */
export const watchpointSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('limit'),
    id: z.string().min(1),
    field: z.string().regex(/^[a-z_]+\.[a-z_]+$/, 'device.field, e.g. eps.soc'),
    subsystem: z.enum(SUBSYSTEMS),
    /** Out of limits below `low` or above `high` (either may be omitted). */
    low: z.number().optional(),
    high: z.number().optional(),
    severity: z.enum(SEVERITIES).default('warning'),
    /** Back in limits only when this far inside (same unit as the field). */
    hysteresis: z.number().min(0).default(0),
    persistence: persistence.default({ n: 3, m: 5 }),
  }).strict(),
  z.object({
    kind: z.literal('rate'),
    id: z.string().min(1),
    field: z.string().regex(/^[a-z_]+\.[a-z_]+$/, 'device.field, e.g. thermal.payload'),
    subsystem: z.enum(SUBSYSTEMS),
    /** Largest allowed |d field / dt|, field units per second. */
    max_per_s: z.number().positive(),
    /** Measure the rate over at least this long, s (0: between successive samples). */
    window_s: z.number().min(0).default(0),
    severity: z.enum(SEVERITIES).default('warning'),
    hysteresis: z.number().min(0).default(0),
    persistence: persistence.default({ n: 3, m: 5 }),
  }).strict(),
  z.object({
    kind: z.literal('stale'),
    id: z.string().min(1),
    /** A device id. */
    field: z.string().regex(/^[a-z_]+$/, 'a device id, e.g. thermal'),
    subsystem: z.enum(SUBSYSTEMS),
    severity: z.enum(SEVERITIES).default('warning'),
    persistence: persistence.default({ n: 1, m: 1 }),
  }).strict(),
]);
export type Watchpoint = z.infer<typeof watchpointSchema>;

export const DEFAULT_WATCHPOINTS: z.input<typeof watchpointSchema>[] = [
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

export const agentConfigSchema = z
  .object({
    /** Decision-loop rate, Hz. */
    cycle_hz: z.number().min(0.1).max(100).default(10),
    /** Per-cycle latency budget, ms; an overrun is a counted slip. */
    budget_ms: z.number().positive().max(1000).default(20),
    /** A sample older than this many of its device's periods is stale. */
    stale_after_periods: z.number().min(1).default(3),
    /** HAL request timeout, ms. */
    request_timeout_ms: z.number().int().min(10).default(500),
    // prefault, not default: zod 4 returns a default unparsed, and the defaults' own defaults must fill in.
    watchpoints: z
      .array(watchpointSchema)
      .superRefine((wps, ctx) => {
        const seen = new Set<string>();
        wps.forEach((w, i) => {
          if (seen.has(w.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate watchpoint id ${w.id}` });
          seen.add(w.id);
          if (w.kind === 'limit' && w.low === undefined && w.high === undefined) {
            ctx.addIssue({ code: 'custom', path: [i], message: 'a limit watchpoint needs low, high or both' });
          }
          if (w.kind === 'rate' && w.hysteresis >= w.max_per_s) {
            ctx.addIssue({ code: 'custom', path: [i, 'hysteresis'], message: `must be below max_per_s (${w.max_per_s}) or it could never clear` });
          }
        });
      })
      .prefault(DEFAULT_WATCHPOINTS),
    modes: z
      .object({
        /** Overall health below this (persisting) → degraded. */
        degraded_below: z.number().min(0).max(1).default(0.8),
        /** Overall health below this, or any critical anomaly → safe. */
        safe_below: z.number().min(0).max(1).default(0.4),
        /** Cycles the condition must persist before a transition. */
        persistence_cycles: z.number().int().min(1).default(5),
        /** Health must stay above degraded_below this long before leaving safe, s. */
        safe_exit_stable_s: z.number().min(0).default(60),
        /** Minimum time in recovery before nominal, s. */
        recovery_dwell_s: z.number().min(0).default(30),
      })
      .strict()
      .default({ degraded_below: 0.8, safe_below: 0.4, persistence_cycles: 5, safe_exit_stable_s: 60, recovery_dwell_s: 30 }),
    actions: z
      .object({
        /** Retries after the first attempt, with backoff 100/200/400 ms. */
        retries: z.number().int().min(0).max(10).default(3),
        backoff_ms: z.number().int().min(1).default(100),
        /** A step not verified by read-back within this is a failure, ms. */
        verify_timeout_ms: z.number().int().min(10).default(3000),
        /** Consecutive failures that open a device's circuit breaker (above `retries`, so one
         *  action's own retries all reach the device before the breaker opens). */
        breaker_failures: z.number().int().min(1).default(4),
        /** Time an open breaker waits before a half-open probe, ms. */
        breaker_reset_ms: z.number().int().min(10).default(30_000),
        /** Procedure watcher: no progress for this × the expected step time → stalled. */
        stall_factor: z.number().min(1).default(3),
      })
      .strict()
      .default({ retries: 3, backoff_ms: 100, verify_timeout_ms: 3000, breaker_failures: 4, breaker_reset_ms: 30_000, stall_factor: 3 }),
    journal: z
      .object({
        /** Compact when the file passes this size, bytes. */
        max_bytes: z.number().int().min(4096).default(1_048_576),
        /** fsync at decision and action boundaries (off only for benchmarks). */
        fsync: z.boolean().default(true),
      })
      .strict()
      .default({ max_bytes: 1_048_576, fsync: true }),
    health: z
      .object({
        /** Component ping period, ms. */
        ping_ms: z.number().int().min(10).default(1000),
        warn_missed: z.number().int().min(1).default(2),
        fatal_missed: z.number().int().min(1).default(5),
      })
      .strict()
      .default({ ping_ms: 1000, warn_missed: 2, fatal_missed: 5 }),
    observability: z
      .object({
        /** Log level for the structured JSON log. */
        log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** Serve Prometheus text on this port (0 = off). */
        metrics_port: z.number().int().min(0).max(65535).default(0),
      })
      .strict()
      .default({ log_level: 'info', metrics_port: 0 }),
    /** Swarm coordination over the ISL. Runs when enabled, with ≥ 2 members and a key file. */
    swarm: z
      .object({
        enabled: z.boolean().default(true),
        /** Every member's satellite id, in the same order on every member. */
        members: z.array(z.string().min(1)).default([]),
        /** The constellation key: 32 bytes as 64 hex digits (never in the repository). */
        key_file: z.string().min(1).optional(),
        /** ISL air data rate, bit/s (the radio does not announce it). */
        bit_rate: z.number().positive().default(9600),
        quorum: z.enum(['majority', 'two_thirds']).default('majority'),
        /**
         * Raft timing on the ISL (9,600 bit/s; one hop ≈ 60 ms of air + 50–100 ms latency):
         * failover = detection (a timeout in [min, max] after the last heartbeat) + a pre-vote
         * round + a vote round + the new leader's first heartbeat ≈ 0.55–0.8 s + 0.75 s ≤ 1.5 s.
         * `election_timeout_min_ms` stays above a heartbeat period plus one catch-up append on
         * the air ahead of it (`max_append_bytes`: 256 B ≈ 0.22 s) plus latency jitter, so a
         * leader's heartbeats never all come late; a single follower that times out anyway is
         * refused its pre-votes and disturbs nobody.
         */
        election: z
          .object({
            heartbeat_ms: z.number().int().min(10).default(200),
            election_timeout_min_ms: z.number().int().min(10).default(500),
            election_timeout_max_ms: z.number().int().min(10).default(650),
            lease_ms: z.number().int().min(10).default(800),
            /** Below this health a node does not stand, and a leader steps down. */
            stand_threshold: z.number().min(0).max(1).default(0.5),
            /** Ask a quorum for pre-votes before standing (a node cut off from it never raises its term). */
            pre_vote: z.boolean().default(true),
            /** Largest Raft append on the air, bytes (capped at the critical class's packet size). */
            max_append_bytes: z.number().int().min(64).default(256),
          })
          .strict()
          .refine((e) => e.election_timeout_max_ms >= e.election_timeout_min_ms, { path: ['election_timeout_max_ms'], message: 'must be >= election_timeout_min_ms' })
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /**
     * The ground station. Ground commands are accepted only when signed by this key; absent:
     * ground commands are refused.
     */
    ground: z
      .object({
        /** Path to the ground station's Ed25519 public key, PEM (SPKI). */
        public_key_file: z.string().min(1).optional(),
        /** The ground station's id, as it signs its commands. */
        station_id: z.string().min(1).default('GROUND'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
