import type { Severity, Subsystem } from '../config/schema.js';
import type { FieldValue } from '../telemetry/types.js';

/** One raised watchpoint. Immutable: the object stays the same for as long as it is active. */
export interface Anomaly {
  /** Watchpoint id. */
  readonly id: string;
  /**
   * Stable fault name `<id>:<low|high|rate|stale>`: the same fault always has the same
   * signature (no values or times in it), so recurrence, journal and ground can key on it.
   */
  readonly signature: string;
  readonly subsystem: Subsystem;
  readonly severity: Severity;
  /** Agent clock when raised, ms (the snapshot's `at`). */
  readonly since: number;
  /** How many times this signature has been raised since boot (1 on first), journal-restorable. */
  readonly recurrence: number;
  /**
   * The value that completed the persistence test: the field value for `limit`, the rate
   * (field units per second) for `rate`, null for `stale`.
   */
  readonly value: FieldValue;
  /** Short human text with units. */
  readonly detail: string;
}

export interface Assessment {
  /** The snapshot's `at`, ms. */
  readonly at: number;
  /** Active now, sorted by severity (critical first), then id, then signature. */
  readonly anomalies: readonly Anomaly[];
  /** Newly raised this cycle, same order. */
  readonly raised: readonly Anomaly[];
  /** Signatures cleared this cycle, in the same order their anomalies had. */
  readonly cleared: readonly string[];
  /** 0..1 per subsystem (see README: health score). */
  readonly health: Readonly<Record<Subsystem, number>>;
  /** 0..1 (see README: health score). */
  readonly overall: number;
}

export interface AssessorOptions {
  /**
   * Units by `device.field` for the detail text (e.g. from the hello device table). Merged
   * over the built-in PROTOCOL.md §4 units.
   */
  readonly units?: Readonly<Record<string, string>>;
}
