import { createRequire } from 'node:module';
import type { ClientStats } from '../../hal/client/hardware-client.js';
import { DROP_REASONS, type DropCounts } from '../../hal/protocol/receiver.js';
import { CYCLE_PHASES, METRIC_FAMILIES, type AgentCatalogue, type Catalogue, type CyclePhase, type FamilyDef, type MetricType } from './families.js';

export * from './families.js';

/**
 * The agent's metrics registry: counters, gauges and latency histograms, each a family from
 * the catalogue (families.ts) with at most one label.
 *
 * Hot-path rule: ask the registry for a series once (at wiring time) and keep the handle.
 * `Counter.inc`, `Gauge.set` and `Histogram.record` touch only numbers and a preallocated
 * typed array: no allocation, no map lookup, no string building per call. Handle lookups
 * (`metrics.counter(...)`) may allocate the first time an open label value is seen.
 */

// ---------------------------------------------------------------------------------------
// Series handles

/** A monotonic count. */
export class Counter {
  value = 0;
  constructor(readonly family: string, readonly labelValue: string | undefined) {}
  /** Adds `n` (default 1); zero, negative and NaN increments are ignored. */
  inc(n = 1): void {
    if (n > 0) this.value += n;
  }
}

/** A value that goes up and down. */
export class Gauge {
  value = 0;
  constructor(readonly family: string, readonly labelValue: string | undefined) {}
  set(v: number): void {
    this.value = v;
  }
  inc(n = 1): void {
    this.value += n;
  }
  dec(n = 1): void {
    this.value -= n;
  }
}

/** What a histogram reports, in the family's unit. All zero when nothing was recorded. */
export interface HistogramSummary {
  count: number;
  sum: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

// The one hdr-histogram-js class we use, without the package index, which also loads the
// WebAssembly build (base64), the log reader/writer and pako: node importing the index takes
// 58.5 MB of peak RSS, this file alone 45.2 MB (bare node 44.0). `require` reads a CommonJS
// module's `default` export the same way under node and vitest.
const Int32Histogram = (createRequire(import.meta.url)('hdr-histogram-js/dist/Int32Histogram.js') as typeof import('hdr-histogram-js/dist/Int32Histogram.js')).default;
type Hdr = InstanceType<typeof Int32Histogram>;

/**
 * A latency distribution backed by a pure-JS HdrHistogram (fixed size, no auto-resize).
 * Values are integers in the family's unit: they are rounded, negatives and NaN record as
 * 0, values above the family's `highest` as `highest`. `min`, `max` and `sum` of those are exact;
 * percentiles are within the histogram's precision (2 significant digits: ≤ 1 %).
 */
export class Histogram {
  private readonly h: Hdr;
  private readonly msFactor: number;
  private total = 0;
  private lo = 0;
  private hi = 0;

  constructor(
    readonly family: string,
    readonly labelValue: string | undefined,
    readonly unit: FamilyDef['unit'],
    /** Largest value tracked, in `unit`. */
    readonly highest: number,
    digits: 1 | 2 | 3,
  ) {
    // 32-bit counts, fixed size (autoResize is off by default): what hdr.build({ bitBucketSize:
    // 32, autoResize: false, useWebAssembly: false }) makes, ~11 KB at 2 digits up to a minute in µs.
    this.h = new Int32Histogram(1, highest, digits);
    this.msFactor = unit === 'us' ? 1000 : 1;
  }

  /** Records one value in the family's unit. */
  record(v: number): void {
    if (!(v > 0)) v = 0;
    else if (v > this.highest) v = this.highest;
    else v = Math.round(v);
    this.h.recordValue(v);
    this.total += v;
    if (this.h.totalCount === 1 || v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
  }

  /** Records a duration given in milliseconds (e.g. a difference of `clock.now()`s). */
  recordMs(ms: number): void {
    this.record(ms * this.msFactor);
  }

  get count(): number {
    return this.h.totalCount;
  }
  get sum(): number {
    return this.total;
  }
  get min(): number {
    return this.lo;
  }
  get max(): number {
    return this.hi;
  }
  get mean(): number {
    const n = this.h.totalCount;
    return n === 0 ? 0 : this.total / n;
  }
  get p50(): number {
    return this.percentile(50);
  }
  get p99(): number {
    return this.percentile(99);
  }
  /** Value at percentile `p` (0..100); 0 when empty; never above the exact max. */
  percentile(p: number): number {
    if (this.h.totalCount === 0) return 0;
    return Math.min(this.h.getValueAtPercentile(p), this.hi);
  }

  summary(): HistogramSummary {
    return { count: this.count, sum: this.total, min: this.lo, p50: this.percentile(50), p90: this.percentile(90), p99: this.percentile(99), max: this.hi };
  }

  reset(): void {
    this.h.reset();
    this.total = 0;
    this.lo = 0;
    this.hi = 0;
  }
}

export type Series = Counter | Gauge | Histogram;
type SeriesOf<T extends MetricType> = T extends 'counter' ? Counter : T extends 'gauge' ? Gauge : Histogram;

// ---------------------------------------------------------------------------------------
// Typing: names by type, label argument by family

type NamesOf<C extends Catalogue, T extends MetricType> = { [K in keyof C & string]: T extends C[K]['type'] ? K : never }[keyof C & string];
type LabelValue<D> = D extends { readonly values: readonly (infer V extends string)[] }
  ? D extends { readonly open: true }
    ? V | (string & {})
    : V
  : string;
/** `[value]` for a labelled family, `[]` for an unlabelled one, `[value?]` for an untyped (wide) catalogue. */
export type LabelArgs<D> = FamilyDef extends D ? [labelValue?: string] : D extends { readonly label: string } ? [labelValue: LabelValue<D>] : [];

// ---------------------------------------------------------------------------------------
// The registry

export interface MetricsOptions<C extends Catalogue> {
  /** Default: the agent's METRIC_FAMILIES. */
  catalogue?: C;
  /** Undeclared label values an open family may add; later ones share the series `other`. Default 32. */
  maxSeriesPerFamily?: number;
  /** HdrHistogram precision: 2 (≤ 1 %, ~11 KB per series) or 3 (≤ 0.1 %, ~70 KB). Default 2. */
  histogramDigits?: 1 | 2 | 3;
}

/** A family and its series, for renderers. */
export interface FamilyView {
  readonly name: string;
  readonly def: FamilyDef;
  /** In creation order: pre-declared label values first. */
  readonly series: readonly Series[];
}

export interface MetricsSnapshot {
  counters: Record<string, number>;
  gauges: Record<string, number>;
  histograms: Record<string, HistogramSummary>;
}

interface FamilyState {
  readonly name: string;
  readonly def: FamilyDef;
  readonly byLabel: Map<string, Series>;
  readonly series: Series[];
}

const NAME_RE = /^[a-z][a-z0-9_]*$/;
const RESERVED_SUFFIX_RE = /_(total|sum|count|bucket|created)$/;
const OVERFLOW_LABEL = 'other';
const DEFAULT_HIGHEST: Record<FamilyDef['unit'], number> = { us: 60_000_000, ms: 3_600_000, count: 1_000_000, bool: 1 };

/** `name` or `name{label="value"}` (value escaped as in Prometheus): how a series is keyed in snapshots. */
export function seriesKey(name: string, label?: string, value?: string): string {
  return label === undefined || value === undefined ? name : `${name}{${label}="${escapeLabelValue(value)}"}`;
}

/** Prometheus label-value escaping: backslash, double quote, newline. */
export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

export class Metrics<C extends Catalogue = AgentCatalogue> {
  private readonly fams = new Map<string, FamilyState>();
  private readonly maxSeries: number;
  private readonly digits: 1 | 2 | 3;

  constructor(opts: MetricsOptions<C> = {}) {
    const catalogue: Catalogue = opts.catalogue ?? METRIC_FAMILIES;
    this.maxSeries = opts.maxSeriesPerFamily ?? 32;
    this.digits = opts.histogramDigits ?? 2;
    for (const [name, def] of Object.entries(catalogue)) {
      checkFamily(name, def);
      const fam: FamilyState = { name, def, byLabel: new Map(), series: [] };
      this.fams.set(name, fam);
      if (def.label === undefined) this.create(fam, undefined);
      else for (const v of def.values ?? []) this.create(fam, v);
    }
  }

  counter<N extends NamesOf<C, 'counter'>>(name: N, ...label: LabelArgs<C[N]>): Counter {
    return this.get(name, 'counter', (label as readonly string[])[0]);
  }

  gauge<N extends NamesOf<C, 'gauge'>>(name: N, ...label: LabelArgs<C[N]>): Gauge {
    return this.get(name, 'gauge', (label as readonly string[])[0]);
  }

  histogram<N extends NamesOf<C, 'histogram'>>(name: N, ...label: LabelArgs<C[N]>): Histogram {
    return this.get(name, 'histogram', (label as readonly string[])[0]);
  }

  /** Every family with its series, in catalogue order. */
  families(): FamilyView[] {
    return [...this.fams.values()].map((f) => ({ name: f.name, def: f.def, series: f.series }));
  }

  /**
   * A plain-JSON copy of every series, keyed by `seriesKey` (`link_drops{reason="crc"}`).
   * `nonZero`: leave out counters at 0 and empty histograms (gauges are always kept).
   */
  snapshot(opts: { nonZero?: boolean } = {}): MetricsSnapshot {
    const out: MetricsSnapshot = { counters: {}, gauges: {}, histograms: {} };
    for (const f of this.fams.values()) {
      for (const s of f.series) {
        const key = seriesKey(f.name, f.def.label, s.labelValue);
        if (s instanceof Counter) {
          if (!opts.nonZero || s.value !== 0) out.counters[key] = s.value;
        } else if (s instanceof Gauge) {
          out.gauges[key] = s.value;
        } else if (!opts.nonZero || s.count !== 0) {
          out.histograms[key] = s.summary();
        }
      }
    }
    return out;
  }

  private get<T extends MetricType>(name: string, type: T, labelValue: string | undefined): SeriesOf<T> {
    const fam = this.fams.get(name);
    if (!fam) throw new Error(`metrics: no family ${name} in the catalogue`);
    if (fam.def.type !== type) throw new Error(`metrics: ${name} is a ${fam.def.type}, not a ${type}`);
    const { label, open } = fam.def;
    if (label === undefined) {
      if (labelValue !== undefined) throw new Error(`metrics: ${name} has no label (got "${labelValue}")`);
      return fam.series[0] as SeriesOf<T>;
    }
    if (labelValue === undefined) throw new Error(`metrics: ${name} needs a ${label} label`);
    const found = fam.byLabel.get(labelValue);
    if (found) return found as SeriesOf<T>;
    if (!open) {
      throw new Error(`metrics: ${name}{${label}} takes ${(fam.def.values ?? []).join(', ')}; got "${labelValue}"`);
    }
    if (fam.series.length - (fam.def.values?.length ?? 0) >= this.maxSeries) {
      return (fam.byLabel.get(OVERFLOW_LABEL) ?? this.create(fam, OVERFLOW_LABEL)) as SeriesOf<T>;
    }
    return this.create(fam, labelValue) as SeriesOf<T>;
  }

  private create(fam: FamilyState, labelValue: string | undefined): Series {
    const { def } = fam;
    const s: Series =
      def.type === 'counter'
        ? new Counter(fam.name, labelValue)
        : def.type === 'gauge'
          ? new Gauge(fam.name, labelValue)
          : new Histogram(fam.name, labelValue, def.unit, def.highest ?? DEFAULT_HIGHEST[def.unit], this.digits);
    fam.byLabel.set(labelValue ?? '', s);
    fam.series.push(s);
    return s;
  }
}

function checkFamily(name: string, def: FamilyDef): void {
  if (!NAME_RE.test(name) || RESERVED_SUFFIX_RE.test(name)) {
    throw new Error(`metrics: bad family name ${name} (snake_case, no _total/_sum/_count/_bucket/_created suffix)`);
  }
  if (def.label !== undefined && (!NAME_RE.test(def.label) || def.label === 'quantile' || def.label === 'le')) {
    throw new Error(`metrics: bad label name ${def.label} on ${name}`);
  }
  if (def.label === undefined && (def.values !== undefined || def.open)) throw new Error(`metrics: ${name} lists label values but has no label`);
  if (def.label !== undefined && !def.open && !def.values?.length) throw new Error(`metrics: ${name} is closed but lists no label values`);
  if (def.type === 'histogram' && def.unit !== 'us' && def.unit !== 'ms') throw new Error(`metrics: histogram ${name} must be in us or ms`);
  if (def.highest !== undefined && !(Number.isInteger(def.highest) && def.highest >= 2)) throw new Error(`metrics: ${name}.highest must be an integer >= 2`);
}

// ---------------------------------------------------------------------------------------
// Glue for cumulative sources

/**
 * Binds the HAL's cumulative counts (a receiver's `drops`, a client's `stats`) to the
 * registry's counters. Call the returned function once a cycle: it adds what grew since the
 * last call and allocates nothing. A new source object (a new client or receiver after a
 * restart) counts from 0 again, and so does a source whose counts went down.
 */
export function halCounterSync(metrics: Metrics<AgentCatalogue>): (src: { drops?: Readonly<DropCounts>; stats?: Readonly<ClientStats> }) => void {
  const dropHandles = DROP_REASONS.map((r) => metrics.counter('link_drops', r));
  const statKeys = ['timeouts', 'late', 'duplicate', 'unknownRef', 'handshakes'] as const;
  const statHandles = [
    metrics.counter('client_timeouts'),
    metrics.counter('client_late'),
    metrics.counter('client_duplicate'),
    metrics.counter('client_unknown_ref'),
    metrics.counter('client_handshakes'),
  ];
  const lastDrops = new Float64Array(DROP_REASONS.length);
  const lastStats = new Float64Array(statKeys.length);
  let dropsSrc: object | undefined;
  let statsSrc: object | undefined;
  const step = (h: Counter, last: Float64Array, i: number, now: number): void => {
    const prev = last[i] ?? 0;
    h.inc(now >= prev ? now - prev : now);
    last[i] = now;
  };
  return (src) => {
    const { drops, stats } = src;
    if (drops) {
      if (drops !== dropsSrc) {
        lastDrops.fill(0);
        dropsSrc = drops;
      }
      for (let i = 0; i < DROP_REASONS.length; i++) step(dropHandles[i]!, lastDrops, i, drops[DROP_REASONS[i]!]);
    }
    if (stats) {
      if (stats !== statsSrc) {
        lastStats.fill(0);
        statsSrc = stats;
      }
      for (let i = 0; i < statKeys.length; i++) step(statHandles[i]!, lastStats, i, stats[statKeys[i]!]);
    }
  };
}

/** What `cycleRecorder` needs of one cycle (the cycle runner's `CycleResult` is one). */
export interface CycleTiming {
  /** How late the cycle started, ms. */
  readonly lateMs: number;
  /** Time in each phase, ms. */
  readonly phaseMs: Readonly<Record<CyclePhase, number>>;
  readonly totalMs: number;
  /** The phase blamed when the cycle overran its budget, else null. */
  readonly slipped: CyclePhase | null;
}

/**
 * Binds one cycle's timings to `cycles`, `cycle_phase_us{phase}` (and `total`),
 * `cycle_start_late_us` and `cycle_slips{phase}`. Call the returned function once a cycle;
 * it allocates nothing.
 */
export function cycleRecorder(metrics: Metrics<AgentCatalogue>): (r: CycleTiming) => void {
  const cycles = metrics.counter('cycles');
  const phases = CYCLE_PHASES.map((p) => metrics.histogram('cycle_phase_us', p));
  const total = metrics.histogram('cycle_phase_us', 'total');
  const late = metrics.histogram('cycle_start_late_us');
  const slips = CYCLE_PHASES.map((p) => metrics.counter('cycle_slips', p));
  return (r) => {
    cycles.inc();
    for (let i = 0; i < CYCLE_PHASES.length; i++) phases[i]!.recordMs(r.phaseMs[CYCLE_PHASES[i]!]);
    total.recordMs(r.totalMs);
    late.recordMs(r.lateMs);
    if (r.slipped !== null) slips[CYCLE_PHASES.indexOf(r.slipped)]?.inc();
  };
}
