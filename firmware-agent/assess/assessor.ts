import type { TelemetrySnapshot } from '../telemetry/types.js';
import { limitDetail, rateDetail, staleDetail } from './format.js';
import { scoreHealth, type HealthScore } from './health.js';
import type { Anomaly, Assessment, AssessorOptions } from './types.js';
import { compileWatchpoints, RAISE, type DeviceGroup, type Transition, type Trip, type WatchpointInput } from './watchpoint.js';

export type { Anomaly, Assessment, AssessorOptions } from './types.js';
export type { WatchpointInput } from './watchpoint.js';

/**
 * A new sample of a device must be at least this much later than the last one evaluated, ms.
 * Absorbs float noise in `at − ageMs`; far below any device period.
 */
export const SAMPLE_EPSILON_MS = 0.5;

const EMPTY_ANOMALIES: readonly Anomaly[] = Object.freeze([]);
const EMPTY_SIGNATURES: readonly string[] = Object.freeze([]);
const byOrder = (a: Trip, b: Trip): number => a.order - b.order;
const signatureOf = (t: Trip): string => t.signature;

/**
 * The Limit-Checker-style assessor: a table of watchpoints evaluated against each telemetry
 * snapshot. Deterministic (same snapshots → same assessments); allocation per cycle is the
 * result object, plus the result arrays only on cycles where something was raised or cleared.
 * Rules: README.md.
 */
export class Assessor {
  private readonly devices: readonly DeviceGroup[];
  private readonly trips: readonly Trip[];
  private readonly recurrence = new Map<string, number>();
  private active: readonly Anomaly[] = EMPTY_ANOMALIES;
  private score: HealthScore = scoreHealth([]);
  // Per-cycle scratch.
  private at = 0;
  private raisedTrips: Trip[] | null = null;
  private clearedTrips: Trip[] | null = null;

  /**
   * `watchpoints`: the config's table (`Watchpoint[]`; raw entries are accepted and parsed).
   * Throws ConfigError on an unusable table.
   */
  constructor(watchpoints: readonly WatchpointInput[], options: AssessorOptions = {}) {
    const c = compileWatchpoints(watchpoints, options.units);
    this.devices = c.devices;
    this.trips = c.trips;
  }

  assess(snap: TelemetrySnapshot): Assessment {
    const at = snap.at;
    const values = snap.values;
    const ageMs = snap.ageMs;
    const staleMap = snap.stale;
    this.at = at;
    this.raisedTrips = null;
    this.clearedTrips = null;

    const devices = this.devices;
    for (let d = 0; d < devices.length; d++) {
      const g = devices[d]!;
      const flagRaw = staleMap[g.dev];
      const flag = flagRaw === true || flagRaw === false ? flagRaw : undefined; // only a boolean counts

      // stale: every cycle the device is listed; raise after n of m stale cycles, clear on the first fresh one.
      const staleTrips = g.stale;
      if (staleTrips.length > 0 && flag !== undefined) {
        for (let i = 0; i < staleTrips.length; i++) {
          const t = staleTrips[i]!;
          const ev = t.step(flag, !flag);
          if (ev !== 0) this.transition(t, ev, null, ageMs[g.dev]);
        }
      }

      const fields = g.fields;
      if (fields.length === 0) continue;
      // Stale data is never evaluated as fresh; nor is a device with no sample yet.
      if (flag === true) {
        g.gap = true;
        continue;
      }
      const ageRaw = ageMs[g.dev];
      const age = typeof ageRaw === 'number' ? ageRaw : undefined;
      let sampleAt: number;
      const ageKnown = age !== undefined;
      if (age === undefined) {
        sampleAt = at; // no age: every cycle is an observation (rates fall back to value changes)
      } else if (age - age !== 0) {
        g.gap = true; // NaN or ±Infinity: no sample
        continue;
      } else {
        sampleAt = at - age;
        if (!(sampleAt > g.lastSampleAt + SAMPLE_EPSILON_MS)) continue; // same sample as last cycle
        g.lastSampleAt = sampleAt;
      }
      const gap = g.gap;
      g.gap = false;

      for (let f = 0; f < fields.length; f++) {
        const fg = fields[f]!;
        const v = values[fg.key];
        const rates = fg.rates;
        if (typeof v !== 'number' || v - v !== 0) {
          // absent, non-numeric or non-finite: not evaluated; rate baselines restart
          for (let i = 0; i < rates.length; i++) rates[i]!.prevAt = Number.NaN;
          continue;
        }
        const limits = fg.limits;
        for (let i = 0; i < limits.length; i++) {
          const c = limits[i]!;
          const lo = c.low;
          if (lo !== null) {
            const ev = lo.step(v < c.lowAt, v >= c.lowClear);
            if (ev !== 0) this.transition(lo, ev, v, undefined);
          }
          const hi = c.high;
          if (hi !== null) {
            const ev = hi.step(v > c.highAt, v <= c.highClear);
            if (ev !== 0) this.transition(hi, ev, v, undefined);
          }
        }
        for (let i = 0; i < rates.length; i++) {
          const r = rates[i]!;
          if (gap || r.prevAt !== r.prevAt) {
            r.prev = v;
            r.prevAt = sampleAt;
            continue;
          }
          if (!ageKnown && v === r.prev) continue; // without ages, only a changed value shows a new sample
          const dt = sampleAt - r.prevAt;
          if (!(dt > 0) || dt < r.windowMs) continue;
          const rate = (Math.abs(v - r.prev) * 1000) / dt;
          r.prev = v;
          r.prevAt = sampleAt;
          const ev = r.trip.step(rate > r.max, rate <= r.clearAt);
          if (ev !== 0) this.transition(r.trip, ev, rate, undefined);
        }
      }
    }

    // (casts: TS keeps the `= null` narrowing from the top of the method across transition() calls)
    const rt = this.raisedTrips as Trip[] | null;
    const ct = this.clearedTrips as Trip[] | null;
    let raised = EMPTY_ANOMALIES;
    let cleared = EMPTY_SIGNATURES;
    if (rt !== null || ct !== null) {
      if (rt !== null) raised = Object.freeze((rt.length > 1 ? rt.sort(byOrder) : rt).map((t) => t.anomaly!));
      if (ct !== null) cleared = Object.freeze((ct.length > 1 ? ct.sort(byOrder) : ct).map(signatureOf));
      const active: Anomaly[] = [];
      const trips = this.trips;
      for (let i = 0; i < trips.length; i++) {
        const a = trips[i]!.anomaly;
        if (a !== null) active.push(a);
      }
      this.active = active.length === 0 ? EMPTY_ANOMALIES : Object.freeze(active);
      this.score = scoreHealth(active);
    }
    return { at, anomalies: this.active, raised, cleared, health: this.score.health, overall: this.score.overall };
  }

  /** Recurrence counts by signature (only signatures raised at least once), keys sorted. */
  exportState(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of [...this.recurrence.keys()].sort()) out[k] = this.recurrence.get(k)!;
    return out;
  }

  /**
   * Restores recurrence counts from the journal, replacing the current ones (call it before the
   * first `assess`). Entries that are not non-negative integers are ignored. Active anomalies
   * are not touched: they are rebuilt from telemetry.
   */
  importState(s: Record<string, number>): void {
    this.recurrence.clear();
    if (s === null || typeof s !== 'object') return;
    for (const [k, v] of Object.entries(s)) {
      if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) this.recurrence.set(k, v);
    }
  }

  private transition(t: Trip, ev: Transition, value: number | null, ageMs: number | undefined): void {
    if (ev === RAISE) {
      const recurrence = (this.recurrence.get(t.signature) ?? 0) + 1;
      this.recurrence.set(t.signature, recurrence);
      let detail: string;
      switch (t.direction) {
        case 'low':
        case 'high':
          detail = limitDetail(t.field, t.direction, value!, t.limit, t.unit);
          break;
        case 'rate':
          detail = rateDetail(t.field, value!, t.limit, t.unit);
          break;
        case 'stale':
          detail = staleDetail(t.field, ageMs);
          break;
      }
      t.anomaly = Object.freeze({
        id: t.id,
        signature: t.signature,
        subsystem: t.subsystem,
        severity: t.severity,
        since: this.at,
        recurrence,
        value,
        detail,
      });
      (this.raisedTrips ??= []).push(t);
    } else {
      t.anomaly = null;
      (this.clearedTrips ??= []).push(t);
    }
  }
}
