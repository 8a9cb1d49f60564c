import { watchpointSchema, type Watchpoint, type WatchpointInput } from '../../../firmware-agent/config/schema.js';
import type { FieldValue, TelemetrySnapshot } from '../../../firmware-agent/telemetry/types.js';
import type { Assessment, Assessor } from '../../../firmware-agent/assess/assessor.js';

export type { WatchpointInput };

/** Parses watchpoints through the schema (filling defaults), as the agent does. */
export function wps(...list: WatchpointInput[]): Watchpoint[] {
  return list.map((w) => watchpointSchema.parse(w));
}

/** One snapshot where every listed device has a fresh sample right now (age 0, not stale). */
export function snap(
  at: number,
  values: Record<string, FieldValue>,
  extra: { ageMs?: Record<string, number>; stale?: Record<string, boolean> } = {},
): TelemetrySnapshot {
  const ageMs: Record<string, number> = {};
  const stale: Record<string, boolean> = {};
  for (const k of Object.keys(values)) {
    const dev = k.slice(0, k.indexOf('.'));
    ageMs[dev] = 0;
    stale[dev] = false;
  }
  return { at, values, ageMs: { ...ageMs, ...extra.ageMs }, stale: { ...stale, ...extra.stale } };
}

/**
 * A scripted hardware picture: devices deliver samples when told to; each snapshot reports
 * the latest values with their real age (at − sample time), like the telemetry stage does.
 */
export class Rig {
  at = 0;
  readonly values: Record<string, FieldValue> = {};
  readonly sampledAt: Record<string, number> = {};
  readonly staleFlags: Record<string, boolean> = {};

  sample(dev: string, fields: Record<string, FieldValue>): this {
    for (const [f, v] of Object.entries(fields)) this.values[`${dev}.${f}`] = v;
    this.sampledAt[dev] = this.at;
    return this;
  }

  /** Registers a device with no sample yet (age Infinity, stale). */
  declare(dev: string): this {
    this.staleFlags[dev] = true;
    return this;
  }

  setStale(dev: string, stale: boolean): this {
    this.staleFlags[dev] = stale;
    return this;
  }

  snapshot(): TelemetrySnapshot {
    const ageMs: Record<string, number> = {};
    const stale: Record<string, boolean> = {};
    const devs = new Set([...Object.keys(this.sampledAt), ...Object.keys(this.staleFlags)]);
    for (const dev of devs) {
      const t = this.sampledAt[dev];
      ageMs[dev] = t === undefined ? Number.POSITIVE_INFINITY : this.at - t;
      stale[dev] = this.staleFlags[dev] ?? false;
    }
    return { at: this.at, values: { ...this.values }, ageMs, stale };
  }
}

/**
 * Runs `cycles` loop cycles of `periodMs` (default 100 ms = 10 Hz): before each cycle `script(i,
 * rig)` may deliver samples or change staleness; returns every assessment.
 */
export function runLoop(assessor: Assessor, rig: Rig, cycles: number, script: (i: number, rig: Rig) => void, periodMs = 100): Assessment[] {
  const out: Assessment[] = [];
  for (let i = 0; i < cycles; i++) {
    script(i, rig);
    out.push(assessor.assess(rig.snapshot()));
    rig.at += periodMs;
  }
  return out;
}

/** Indices of cycles where `signature` was raised / cleared. */
export function raisedAt(results: readonly Assessment[], signature: string): number[] {
  return results.flatMap((a, i) => (a.raised.some((x) => x.signature === signature) ? [i] : []));
}
export function clearedAt(results: readonly Assessment[], signature: string): number[] {
  return results.flatMap((a, i) => (a.cleared.includes(signature) ? [i] : []));
}
export function activeSignatures(a: Assessment): string[] {
  return a.anomalies.map((x) => x.signature);
}
