import { SEVERITIES, SUBSYSTEMS, type Severity, type Subsystem } from '../config/schema.js';

/**
 * Health scoring (documented in README.md "Health score"). All arithmetic is in integer
 * thousandths so thresholds compare exactly (1 − 0.3 − 0.3 is 0.4, not 0.39999999999999997).
 */

/** Penalty per active anomaly, thousandths, by severity. */
export const PENALTY_MILLI: Readonly<Record<Severity, number>> = Object.freeze({ info: 50, warning: 300, critical: 700 });
/** Subtracted from overall for each subsystem beyond the first that has a warning or critical anomaly. */
export const BREADTH_MILLI = 100;
/** Overall never exceeds this while any critical anomaly is active. */
export const CRITICAL_CAP_MILLI = 300;

export const SUBSYSTEM_INDEX: Readonly<Record<Subsystem, number>> = Object.freeze(
  Object.fromEntries(SUBSYSTEMS.map((s, i) => [s, i])) as Record<Subsystem, number>,
);
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = Object.freeze(
  Object.fromEntries(SEVERITIES.map((s, i) => [s, i])) as Record<Severity, number>,
);

export interface HealthScore {
  readonly health: Readonly<Record<Subsystem, number>>;
  readonly overall: number;
}

const ALL_ONE: HealthScore = Object.freeze({
  health: Object.freeze(Object.fromEntries(SUBSYSTEMS.map((s) => [s, 1])) as Record<Subsystem, number>),
  overall: 1,
});

const deficit = new Int32Array(SUBSYSTEMS.length);
const serious = new Uint8Array(SUBSYSTEMS.length);

/**
 * Scores a set of active anomalies:
 *   health[s] = clamp(1 − Σ penalty(severity) over active anomalies of s, 0, 1)
 *   overall   = clamp(min_s health[s] − 0.1 × (d − 1), 0, 1), d = subsystems with a warning or critical (d ≥ 1)
 *   overall   = min(overall, 0.3) if any critical is active
 * No anomalies gives 1 everywhere. The result is frozen.
 */
export function scoreHealth(active: Iterable<{ readonly subsystem: Subsystem; readonly severity: Severity }>): HealthScore {
  deficit.fill(0);
  serious.fill(0);
  let any = false;
  let critical = false;
  for (const a of active) {
    any = true;
    const i = SUBSYSTEM_INDEX[a.subsystem];
    deficit[i]! += PENALTY_MILLI[a.severity];
    if (a.severity !== 'info') serious[i] = 1;
    if (a.severity === 'critical') critical = true;
  }
  if (!any) return ALL_ONE;
  const health = {} as Record<Subsystem, number>;
  let min = 1000;
  let d = 0;
  for (let i = 0; i < SUBSYSTEMS.length; i++) {
    const milli = Math.max(0, 1000 - deficit[i]!);
    health[SUBSYSTEMS[i]!] = milli / 1000;
    if (milli < min) min = milli;
    d += serious[i]!;
  }
  let overall = min - BREADTH_MILLI * Math.max(0, d - 1);
  if (critical && overall > CRITICAL_CAP_MILLI) overall = CRITICAL_CAP_MILLI;
  if (overall < 0) overall = 0;
  return Object.freeze({ health: Object.freeze(health), overall: overall / 1000 });
}
