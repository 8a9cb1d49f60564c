import { ConfigError } from '../config/load.js';
import { watchpointSchema, type Severity, type Subsystem, type WatchpointInput } from '../config/schema.js';
import { BUILTIN_UNITS } from './format.js';
import { SEVERITY_RANK, SUBSYSTEM_INDEX } from './health.js';
import type { Anomaly } from './types.js';
import { NofM } from './window.js';

/**
 * Watchpoints compiled into small objects: one `Trip` (a two-state machine with an n-of-m
 * window) per signature, grouped by device and field so each snapshot key is read once per
 * cycle. See README.md for the exact rules.
 */

export type Direction = 'low' | 'high' | 'rate' | 'stale';
export const NONE = 0;
export const RAISE = 1;
export const CLEAR = -1;
export type Transition = typeof NONE | typeof RAISE | typeof CLEAR;

/** One signature's state machine: nominal ⇄ raised. */
export class Trip {
  /** The active anomaly, or null when nominal. Set by the assessor on RAISE/CLEAR. */
  anomaly: Anomaly | null = null;
  /** Position in the static report order (severity desc, id, signature). */
  order = 0;
  readonly signature: string;
  readonly sevRank: number;
  readonly subIndex: number;
  private readonly win: NofM;

  constructor(
    readonly id: string,
    readonly direction: Direction,
    readonly subsystem: Subsystem,
    readonly severity: Severity,
    /** Raise after n out-of-limit evaluations among the last m. */
    readonly n: number,
    m: number,
    /** Clear after this many inside-by-hysteresis evaluations among the last m (n, or 1 for stale). */
    readonly clearN: number,
    /** `device.field` (or the device id for stale). */
    readonly field: string,
    /** The limit (low/high), max_per_s (rate), 0 (stale): for the detail text. */
    readonly limit: number,
    readonly unit: string,
  ) {
    this.signature = `${id}:${direction}`;
    this.sevRank = SEVERITY_RANK[severity];
    this.subIndex = SUBSYSTEM_INDEX[subsystem];
    this.win = new NofM(m);
  }

  /**
   * Feeds one evaluation. `out`: beyond the limit. `ok`: inside by the hysteresis margin.
   * The window restarts on every transition, so a raise needs n out-of-limit evaluations
   * since the last clear and a clear needs clearN inside-by-margin evaluations since the raise.
   */
  step(out: boolean, ok: boolean): Transition {
    const w = this.win;
    w.push(out, ok);
    if (this.anomaly === null) {
      if (w.out >= this.n) {
        w.reset();
        return RAISE;
      }
    } else if (w.ok >= this.clearN) {
      w.reset();
      return CLEAR;
    }
    return NONE;
  }
}

/** `limit` on one field: up to two independent trips (`:low`, `:high`). */
export class LimitCheck {
  constructor(
    readonly low: Trip | null,
    readonly lowAt: number,
    /** low + hysteresis */
    readonly lowClear: number,
    readonly high: Trip | null,
    readonly highAt: number,
    /** high − hysteresis */
    readonly highClear: number,
  ) {}
}

/**
 * `rate` on one field: |Δvalue/Δt| between distinct fresh samples at least `windowMs` apart
 * (0: successive samples). A window averages sensor noise out of slow trends.
 */
export class RateCheck {
  /** Baseline sample's value and time (ms); prevAt NaN = no baseline. */
  prev = 0;
  prevAt = Number.NaN;
  constructor(
    readonly trip: Trip,
    readonly max: number,
    /** max − hysteresis */
    readonly clearAt: number,
    readonly windowMs: number = 0,
  ) {}
}

export class FieldGroup {
  readonly limits: LimitCheck[] = [];
  readonly rates: RateCheck[] = [];
  constructor(readonly key: string) {}
}

export class DeviceGroup {
  /** Sample time (at − ageMs) of the last sample evaluated; −∞ before the first. */
  lastSampleAt = Number.NEGATIVE_INFINITY;
  /** Set while the device is stale or has no sample: rate baselines restart after it. */
  gap = true;
  readonly stale: Trip[] = [];
  readonly fields: FieldGroup[] = [];
  constructor(readonly dev: string) {}

  field(key: string): FieldGroup {
    let f = this.fields.find((x) => x.key === key);
    if (!f) this.fields.push((f = new FieldGroup(key)));
    return f;
  }
}

export interface Compiled {
  readonly devices: readonly DeviceGroup[];
  /** Every trip, in report order (severity desc, then id, then signature). */
  readonly trips: readonly Trip[];
}

/** Code-unit string order: the same on every machine and locale. */
export function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareTrips(a: Trip, b: Trip): number {
  return b.sevRank - a.sevRank || cmpStr(a.id, b.id) || cmpStr(a.signature, b.signature);
}

/**
 * A clear threshold rounded to 12 significant digits, so the margin a person wrote is the
 * margin applied: 6.4 + 0.2 is 6.6, not 6.6000000000000005 (which 6.6 would never reach).
 */
export function tidy(x: number): number {
  return Number(x.toPrecision(12));
}

/** A watchpoint as written (defaults not yet filled) or as parsed: both are accepted. */
export type { WatchpointInput };

/**
 * Compiles a watchpoint table. Each entry goes through `watchpointSchema` again (cheap, once):
 * that fills defaults a caller's value may lack (a table written in code rather than parsed
 * from a config) and rejects what the type promised but the value breaks. Throws ConfigError
 * naming each bad field.
 */
export function compileWatchpoints(input: readonly WatchpointInput[], units: Readonly<Record<string, string>> = {}): Compiled {
  const issues: string[] = [];
  const seen = new Set<string>();
  const devices: DeviceGroup[] = [];
  const trips: Trip[] = [];
  const device = (dev: string): DeviceGroup => {
    let g = devices.find((x) => x.dev === dev);
    if (!g) devices.push((g = new DeviceGroup(dev)));
    return g;
  };
  const unitOf = (key: string): string => units[key] ?? BUILTIN_UNITS[key] ?? '';

  input.forEach((raw, i) => {
    const where = `watchpoints.${i}`;
    const parsed = watchpointSchema.safeParse(raw);
    if (!parsed.success) {
      for (const is of parsed.issues) issues.push(`${[where, ...is.path].join('.')}: ${is.message}`);
      return;
    }
    const wp = parsed.data;
    if (seen.has(wp.id)) issues.push(`${where}.id: duplicate watchpoint id "${wp.id}"; ids must be unique`);
    seen.add(wp.id);
    const { n, m } = wp.persistence;
    if (!(Number.isInteger(n) && Number.isInteger(m) && n >= 1 && n <= m)) {
      issues.push(`${where}.persistence: needs integers 1 <= n <= m, got n=${n} m=${m}`);
      return;
    }
    if (wp.kind === 'stale') {
      const t = new Trip(wp.id, 'stale', wp.subsystem, wp.severity, n, m, 1, wp.field, 0, '');
      device(wp.field).stale.push(t);
      trips.push(t);
      return;
    }
    const dot = wp.field.indexOf('.');
    if (dot <= 0 || dot === wp.field.length - 1) {
      issues.push(`${where}.field: needs device.field, got "${wp.field}"`);
      return;
    }
    const dev = wp.field.slice(0, dot);
    const unit = unitOf(wp.field);
    const h = wp.hysteresis;
    if (wp.kind === 'limit') {
      if (wp.low === undefined && wp.high === undefined) {
        issues.push(`${where}: a limit watchpoint needs low, high or both`);
        return;
      }
      const low = wp.low === undefined ? null : new Trip(wp.id, 'low', wp.subsystem, wp.severity, n, m, n, wp.field, wp.low, unit);
      const high = wp.high === undefined ? null : new Trip(wp.id, 'high', wp.subsystem, wp.severity, n, m, n, wp.field, wp.high, unit);
      device(dev).field(wp.field).limits.push(
        new LimitCheck(low, wp.low ?? 0, tidy((wp.low ?? 0) + h), high, wp.high ?? 0, tidy((wp.high ?? 0) - h)),
      );
      if (low) trips.push(low);
      if (high) trips.push(high);
      return;
    }
    if (!(h < wp.max_per_s)) {
      issues.push(`${where}.hysteresis: must be below max_per_s (${wp.max_per_s}) or the watchpoint could never clear`);
      return;
    }
    const t = new Trip(wp.id, 'rate', wp.subsystem, wp.severity, n, m, n, wp.field, wp.max_per_s, unit);
    device(dev).field(wp.field).rates.push(new RateCheck(t, wp.max_per_s, tidy(wp.max_per_s - h), (wp.window_s ?? 0) * 1000));
    trips.push(t);
  });
  if (issues.length > 0) throw new ConfigError('watchpoints', issues);
  trips.sort(compareTrips);
  trips.forEach((t, i) => (t.order = i));
  return { devices, trips };
}
