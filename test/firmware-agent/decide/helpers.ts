import type { Anomaly, Assessment } from '../../../firmware-agent/assess/types.js';
import { DEFAULT_WATCHPOINTS, SUBSYSTEMS, type Severity, type Subsystem } from '../../../firmware-agent/config/schema.js';
import type { FieldValue, TelemetrySnapshot } from '../../../firmware-agent/telemetry/types.js';

/** The default watchpoint table by id: subsystem, severity and the signature suffix it raises. */
export const WP: Readonly<Record<string, { subsystem: Subsystem; severity: Severity; kind: 'low' | 'high' | 'rate' | 'stale' }>> = Object.fromEntries(
  DEFAULT_WATCHPOINTS.map((w) => [
    w.id,
    {
      subsystem: w.subsystem,
      severity: w.severity ?? 'warning',
      kind: w.kind === 'limit' ? (w.low !== undefined ? 'low' : 'high') : w.kind,
    },
  ]),
);

/** An Anomaly as the assessor raises it for a default watchpoint (`firmware-agent/assess/types.ts`). */
export function anomaly(id: string, over: Partial<Anomaly> = {}): Anomaly {
  const w = WP[id];
  if (!w) throw new Error(`no default watchpoint ${id}`);
  return {
    id,
    signature: `${id}:${w.kind}`,
    subsystem: w.subsystem,
    severity: w.severity,
    since: 0,
    recurrence: 1,
    value: w.kind === 'stale' ? null : 0,
    detail: `${id} test detail`,
    ...over,
  };
}

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** An Assessment with these anomalies active (sorted as the assessor sorts them). */
export function assessment(anomalies: readonly Anomaly[] = [], at = 0): Assessment {
  const sorted = [...anomalies].sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.id.localeCompare(b.id) || a.signature.localeCompare(b.signature),
  );
  const health = Object.fromEntries(SUBSYSTEMS.map((s) => [s, 1])) as Record<Subsystem, number>;
  return { at, anomalies: sorted, raised: [], cleared: [], health, overall: anomalies.length ? 0.5 : 1 };
}

/** The emulator's device table, fresh and healthy: nothing for the policy to do in nominal. */
export const HEALTHY: Readonly<Record<string, Record<string, FieldValue>>> = {
  eps: { soc: 0.9, batt_v: 8.1 },
  thermal: { battery: 20, payload: 25, obc: 40 },
  payload: { on: true, duty: 0.8 },
  heater: { on: false },
  obc: { cpu: 1 },
  imu: { rate: 0.001 },
  adcs: { mode: 'sun_point' },
  rad: { dose_rate: 10 },
};

/** A snapshot from per-device values; every device fresh unless listed in `stale`. */
export function snapshot(
  devices: Readonly<Record<string, Record<string, FieldValue>>> = HEALTHY,
  opts: { at?: number; stale?: readonly string[]; over?: Record<string, FieldValue> } = {},
): TelemetrySnapshot {
  const values: Record<string, FieldValue> = {};
  const ageMs: Record<string, number> = {};
  const stale: Record<string, boolean> = {};
  for (const [dev, fields] of Object.entries(devices)) {
    for (const [f, v] of Object.entries(fields)) values[`${dev}.${f}`] = v;
    ageMs[dev] = 50;
    stale[dev] = opts.stale?.includes(dev) ?? false;
  }
  Object.assign(values, opts.over);
  return { at: opts.at ?? 1000, values, ageMs, stale };
}
