/** A scalar reading as the agent reasons about it. */
export type FieldValue = number | boolean | string | null;

/**
 * What the decision loop sees of the hardware at one cycle: the latest value of every
 * `device.field` (vectors become derived scalars, e.g. `imu.rate` = |gyro|), each device's
 * sample age, and whether it is stale. Stale values are still listed but flagged; they are
 * never silently treated as fresh.
 */
export interface TelemetrySnapshot {
  /** Agent clock at the cycle, ms. */
  readonly at: number;
  readonly values: Readonly<Record<string, FieldValue>>;
  /** Per device id: age of the latest sample, ms (Infinity if none yet). */
  readonly ageMs: Readonly<Record<string, number>>;
  /** Per device id: older than its staleness limit, or never received. */
  readonly stale: Readonly<Record<string, boolean>>;
}
