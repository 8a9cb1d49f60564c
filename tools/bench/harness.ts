/**
 * A small benchmark harness. House rules (docs: every benchmark follows them):
 *
 * - speed is measured only in benchmarks, never in unit tests;
 * - every figure is compared with a baseline measured IN THE SAME RUN, as a ratio, because
 *   the machines are shared and noisy (2 cores): measured and baseline work are interleaved
 *   in alternating rounds (ABBA order) so that machine noise hits both alike;
 * - each benchmark prints an aligned table and writes `bench/results/<area>-<name>.json`,
 *   a JSON array of `Figure`s (a skipped figure's `value` is written as null).
 *
 * A benchmark module in tools/bench/ exports `benchmarks: Benchmark[]`; tools/bench/index.ts
 * finds it by itself.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { build as buildHistogram, type Histogram } from 'hdr-histogram-js';

/** One measured figure, the unit of every results file. */
export interface Figure {
  figure: string;
  value: number;
  unit: string;
  /** The same quantity for the baseline measured in the same run; null when none. */
  baseline: number | null;
  /** value / baseline; null when there is no baseline (or it was skipped). */
  ratio: number | null;
  /** Human-readable target, e.g. "ratio >= 0.5"; "" when the figure is informational. */
  target: string;
  /** null: no target, or skipped (see `target`). */
  pass: boolean | null;
}

export interface BenchContext {
  /** Shorter runs (fewer iterations), for a smoke check of the harness itself. */
  quick: boolean;
  /** Prints one progress line (prefixed with the benchmark id). */
  log: (line: string) => void;
  /** The full-length runs a requirement states (10-minute soaks, a whole orbit); see isLong. */
  long?: boolean;
}

/** "load 1.23/0.98 on 2 cores": the 1- and 5-minute load averages, for logs on a shared machine. */
export function machineLoad(): string {
  const [one, five] = loadavg();
  return `load ${one!.toFixed(2)}/${five!.toFixed(2)} on ${availableParallelism()} cores`;
}

/** Whether to run the long versions: `ctx.long`, or BENCH_LONG=1 in the environment. */
export function isLong(ctx: BenchContext): boolean {
  return ctx.long === true || process.env.BENCH_LONG === '1';
}

export interface Benchmark {
  area: string;
  name: string;
  title: string;
  run: (ctx: BenchContext) => Promise<Figure[]>;
}

// ---------------------------------------------------------------------------------------
// Targets and figures

/**
 * A target on the ratio value/baseline, or (`atLeast`/`atMost`) on the value itself, in the
 * figure's unit: for requirements stated in absolute terms (a p99 in ms, an RSS in MB, zero
 * slips), where a ratio to a same-run baseline is context, not the criterion.
 */
export type Target = { ratioAtLeast: number } | { ratioAtMost: number } | { atLeast: number } | { atMost: number } | null;

export function targetText(t: Target, unit = ''): string {
  if (!t) return '';
  const u = unit ? ` ${unit}` : '';
  if ('ratioAtLeast' in t) return `ratio >= ${t.ratioAtLeast}`;
  if ('ratioAtMost' in t) return `ratio <= ${t.ratioAtMost}`;
  if ('atLeast' in t) return `>= ${t.atLeast}${u}`;
  return `<= ${t.atMost}${u}`;
}

/**
 * Builds a figure with its ratio and pass/miss from a target on the ratio (or on the value,
 * for `atLeast`/`atMost` targets). The ratio is value/baseline unless `pairedRatio` is given
 * (see compareThroughput: the median of the ratios of adjacent rounds, which cancels slow
 * drifts in machine load better).
 */
export function figure(name: string, value: number, unit: string, baseline: number | null, target: Target = null, pairedRatio?: number): Figure {
  const ratio =
    pairedRatio !== undefined && Number.isFinite(pairedRatio)
      ? pairedRatio
      : baseline !== null && baseline !== 0 && Number.isFinite(value)
        ? value / baseline
        : null;
  let pass: boolean | null = null;
  if (target) {
    if ('ratioAtLeast' in target) pass = ratio === null ? null : ratio >= target.ratioAtLeast;
    else if ('ratioAtMost' in target) pass = ratio === null ? null : ratio <= target.ratioAtMost;
    else if (Number.isFinite(value)) pass = 'atLeast' in target ? value >= target.atLeast : value <= target.atMost;
  }
  return { figure: name, value, unit, baseline, ratio, target: targetText(target, unit), pass };
}

/** A figure that could not be measured (missing tool, …): pass null, reason in `target`. */
export function skipped(name: string, unit: string, target: Target, reason: string): Figure {
  const t = targetText(target, unit);
  return { figure: name, value: Number.NaN, unit, baseline: null, ratio: null, target: `SKIPPED (${reason})${t ? `; ${t}` : ''}`, pass: null };
}

// ---------------------------------------------------------------------------------------
// Statistics

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.min(n - 1, Math.max(0, rank - 1))]!;
}

export function median(xs: readonly number[]): number {
  return percentile(Float64Array.from(xs).sort(), 50);
}

// ---------------------------------------------------------------------------------------
// Timing

/** Runs `fn(i)` `iterations` times; returns elapsed milliseconds. */
export function timeLoop(fn: (i: number) => void, iterations: number): number {
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) fn(i);
  return performance.now() - t0;
}

/** Operations per second of `fn` over `iterations` calls, after `warmup` calls. */
export function opsPerSecond(fn: (i: number) => void, iterations: number, warmup = Math.ceil(iterations / 10)): number {
  timeLoop(fn, warmup);
  return (iterations * 1000) / timeLoop(fn, iterations);
}

export interface ThroughputComparison {
  /** Median ops/s over rounds. */
  measured: number;
  baseline: number;
  /** Median over rounds of measured/baseline ops/s within the same round (adjacent runs). */
  ratio: number;
  measuredRounds: number[];
  baselineRounds: number[];
}

/**
 * Throughput of `measured` next to `baseline`, interleaved: round r runs both for
 * `iterations` calls, in ABBA order (A first on even rounds, B first on odd ones) so that
 * neither side always runs right after a GC or a JIT tier-up of the other. Prefer many short
 * rounds (a few ms each) on a shared machine. Medians of rounds, and the median of the
 * per-round ratios.
 */
export function compareThroughput(opts: {
  measured: (i: number) => void;
  baseline: (i: number) => void;
  iterations: number;
  rounds: number;
  warmup?: number;
}): ThroughputComparison {
  const warmup = opts.warmup ?? opts.iterations;
  timeLoop(opts.measured, warmup);
  timeLoop(opts.baseline, warmup);
  const m: number[] = [];
  const b: number[] = [];
  const runM = (): void => void m.push((opts.iterations * 1000) / timeLoop(opts.measured, opts.iterations));
  const runB = (): void => void b.push((opts.iterations * 1000) / timeLoop(opts.baseline, opts.iterations));
  for (let r = 0; r < opts.rounds; r++) {
    if (r % 2 === 0) {
      runM();
      runB();
    } else {
      runB();
      runM();
    }
  }
  return { measured: median(m), baseline: median(b), ratio: median(m.map((x, r) => x / b[r]!)), measuredRounds: m, baselineRounds: b };
}

/**
 * Latency samples in an HDR histogram (hdr-histogram-js): constant memory however long the
 * run, 3 significant digits (values within 0.1%), 1 ns to 1 h. Record milliseconds.
 */
export class LatencyRecorder {
  private readonly h: Histogram = buildHistogram({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000_000,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 64,
    useWebAssembly: false,
  });

  recordMs(ms: number): void {
    this.h.recordValue(Math.max(1, Math.round(ms * 1e6)));
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** Percentile (0..100) in ms. */
  percentileMs(p: number): number {
    return this.h.getValueAtPercentile(p) / 1e6;
  }

  get maxMs(): number {
    return this.h.maxValue / 1e6;
  }

  get meanMs(): number {
    return this.h.mean / 1e6;
  }
}

export interface LatencyComparison {
  measured: LatencyRecorder;
  baseline: LatencyRecorder;
}

/**
 * Latency of one async operation next to a baseline, in alternating blocks of `perBlock`
 * sequential operations (ABBA order), after `warmup` operations of each. Keep blocks short
 * (a few ms) so that bursts of machine noise land on both sides alike, but not a single
 * operation, so that garbage one side makes is mostly collected during its own block.
 * No per-operation timer (it would cost both sides allocations and noise): pass `stallMs`
 * to fail the whole comparison when no operation completes for that long.
 */
export async function compareLatency(opts: {
  measured: () => Promise<void>;
  baseline: () => Promise<void>;
  blocks: number;
  perBlock: number;
  warmup: number;
  stallMs?: number;
}): Promise<LatencyComparison> {
  const m = new LatencyRecorder();
  const b = new LatencyRecorder();
  let completed = 0;
  const block = async (op: () => Promise<void>, n: number, into: LatencyRecorder | undefined): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await op();
      const dt = performance.now() - t0;
      completed++;
      into?.recordMs(dt);
    }
  };
  const run = async (): Promise<LatencyComparison> => {
    await block(opts.measured, opts.warmup, undefined);
    await block(opts.baseline, opts.warmup, undefined);
    for (let r = 0; r < opts.blocks; r++) {
      if (r % 2 === 0) {
        await block(opts.measured, opts.perBlock, m);
        await block(opts.baseline, opts.perBlock, b);
      } else {
        await block(opts.baseline, opts.perBlock, b);
        await block(opts.measured, opts.perBlock, m);
      }
    }
    return { measured: m, baseline: b };
  };
  if (!opts.stallMs) return run();
  const stallMs = opts.stallMs;
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    let seen = -1;
    timer = setInterval(() => {
      if (completed === seen) reject(new Error(`latency comparison stalled: no operation completed in ${stallMs} ms (after ${completed})`));
      seen = completed;
    }, stallMs);
  });
  try {
    return await Promise.race([run(), stalled]);
  } finally {
    clearInterval(timer);
  }
}

// ---------------------------------------------------------------------------------------
// Output

/** Number for a table: about 4 significant digits, thousands grouped. */
export function fmt(x: number | null): string {
  if (x === null) return '-';
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'n/a' : String(x);
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toLocaleString('en-US');
  if (abs >= 100) return x.toFixed(1);
  if (abs >= 10) return x.toFixed(2);
  if (abs >= 1) return x.toFixed(3);
  if (abs === 0) return '0';
  return x.toPrecision(3);
}

export function verdict(f: Figure): string {
  if (f.pass === true) return 'PASS';
  if (f.pass === false) return 'MISS';
  return f.target.startsWith('SKIPPED') ? 'SKIP' : '-';
}

/** Prints an aligned table of figures (numbers right-aligned). */
export function renderTable(title: string, figures: readonly Figure[]): string {
  const head = ['figure', 'value', 'unit', 'baseline', 'ratio', 'target', 'result'];
  const rows = figures.map((f) => [f.figure, fmt(f.value), f.unit, fmt(f.baseline), f.ratio === null ? '-' : `${f.ratio.toFixed(3)}x`, f.target || '-', verdict(f)]);
  const right = [false, true, false, true, true, false, false];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string =>
    cells.map((s, c) => (right[c] ? s.padStart(widths[c]!) : s.padEnd(widths[c]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [title, line(head), rule, ...rows.map(line)].join('\n');
}

/** The repository root: the nearest folder above this script (or cwd) with a package.json. */
export function repoRoot(): string {
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    let d = start;
    for (;;) {
      if (existsSync(join(d, 'package.json'))) return d;
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  return process.cwd();
}

/** Writes `bench/results/<area>-<name>.json` (a JSON array of figures); returns its path. */
export function writeResults(area: string, name: string, figures: readonly Figure[]): string {
  const dir = join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${area}-${name}.json`);
  // NaN (a skipped value) is not JSON: it is written as null.
  const clean = figures.map((f) => ({ ...f, value: Number.isFinite(f.value) ? f.value : null }));
  writeFileSync(path, `${JSON.stringify(clean, null, 2)}\n`);
  return relative(process.cwd(), path) || path;
}
