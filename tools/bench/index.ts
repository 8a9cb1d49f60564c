/**
 * Runs every benchmark module in tools/bench/ (a module is any file here that exports
 * `benchmarks: Benchmark[]`; see harness.ts), prints each table, writes each results file.
 *
 *   npm run bench                      # all
 *   npm run bench -- --only hal        # by module, area, or area-name (comma-separated)
 *   npm run bench -- --quick           # fewer iterations (smoke check)
 *
 * Exit 0 when everything ran, whether or not targets were met (the table says PASS/MISS);
 * exit 1 only when a benchmark crashed; 2 on bad arguments.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { isEntryPoint } from '../../firmware-agent/entry.js';
import { renderTable, writeResults, type Benchmark, type Figure } from './harness.js';

export const BENCH_HELP = `usage: node dist/tools/bench/index.js [--only NAME[,NAME…]] [--quick] [--list] [--help]

Runs the benchmarks in tools/bench/. Each prints a table of figures, each compared with a
baseline measured in the same run (ratio), and writes bench/results/<area>-<name>.json.

  --only NAMES  run only these: a module (hal), an area (hal) or one benchmark (hal-codec)
  --quick       fewer iterations: checks that the benchmarks run, figures are not meaningful
  --long        the full-length runs (10-minute real-time slip run, a whole 100-satellite orbit)
  --list        list the benchmarks and exit
  --help        this text

Exit status: 0 when every benchmark ran (targets met or not: see the result column),
1 when one crashed, 2 on bad arguments.`;

export interface BenchArgs {
  only: string[] | undefined;
  quick: boolean;
  long: boolean;
  list: boolean;
}

/** The runner's arguments (shared with `fsw bench`). Throws BenchUsageError. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs | 'help' {
  const a: BenchArgs = { only: undefined, quick: false, long: process.env.BENCH_LONG === '1', list: false };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (x === '--help' || x === '-h') return 'help';
    else if (x === '--quick') a.quick = true;
    else if (x === '--long') a.long = true;
    else if (x === '--list') a.list = true;
    else if (x === '--only' || x.startsWith('--only=')) {
      const v = x === '--only' ? argv[++i] : x.slice('--only='.length);
      if (!v) throw new BenchUsageError('--only needs a name');
      a.only = [...(a.only ?? []), ...v.split(',').map((s) => s.trim()).filter(Boolean)];
    } else throw new BenchUsageError(`unknown argument ${x}`);
  }
  return a;
}

export class BenchUsageError extends Error {}

/** Where the runner writes: one line at a time (console by default; `fsw bench` passes its own). */
export interface BenchOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}
const consoleOutput: BenchOutput = { out: (l) => console.log(l), err: (l) => console.error(l) };

interface Entry {
  module: string;
  bench: Benchmark;
}

async function discover(): Promise<Entry[]> {
  const here = dirname(fileURLToPath(import.meta.url));
  const self = basename(fileURLToPath(import.meta.url));
  // .js when built; .ts when loaded from source (tests): the modules beside this one.
  const ext = extname(self);
  const files = readdirSync(here)
    .filter((f) => f.endsWith(ext) && !f.endsWith(`.d${ext}`) && f !== self && f !== `harness${ext}`)
    .sort();
  const out: Entry[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(here, f)).href)) as { benchmarks?: Benchmark[] };
    if (!Array.isArray(mod.benchmarks)) continue;
    for (const bench of mod.benchmarks) out.push({ module: f.slice(0, -ext.length), bench });
  }
  return out;
}

function selected(e: Entry, only: string[] | undefined): boolean {
  if (!only) return true;
  const id = `${e.bench.area}-${e.bench.name}`;
  return only.some((n) => n === e.module || n === e.bench.area || n === id);
}

/** Lists or runs the benchmarks `args` select; resolves to the exit status (0 ran, 1 one crashed, 2 nothing matched). */
export async function runBenchmarks(args: BenchArgs, output: BenchOutput = consoleOutput): Promise<number> {
  const log = output.out;
  const all = await discover();
  if (args.list) {
    for (const e of all) log(`${e.bench.area}-${e.bench.name}  (module ${e.module}): ${e.bench.title}`);
    return 0;
  }
  const run = all.filter((e) => selected(e, args.only));
  if (run.length === 0) {
    output.err(`bench: nothing matches --only ${args.only?.join(',')}; known: ${all.map((e) => `${e.bench.area}-${e.bench.name}`).join(', ')}`);
    return 2;
  }

  const t0 = performance.now();
  const figures: Figure[] = [];
  const crashed: string[] = [];
  const written: string[] = [];
  log(`bench: ${run.length} benchmark(s), node ${process.version}${args.quick ? ', --quick (figures not meaningful)' : ''}`);
  for (const { bench } of run) {
    const id = `${bench.area}-${bench.name}`;
    const started = performance.now();
    log(`\n[${id}] ${bench.title}`);
    try {
      const figs = await bench.run({ quick: args.quick, long: args.long, log: (line) => log(`[${id}] ${line}`) });
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      log(`\n${renderTable(`${id} (${secs} s)`, figs)}\n`);
      const path = writeResults(bench.area, bench.name, figs);
      written.push(path);
      log(`[${id}] wrote ${path}`);
      figures.push(...figs);
    } catch (err) {
      crashed.push(id);
      output.err(`[${id}] CRASHED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  const n = (p: boolean | null): number => figures.filter((f) => f.pass === p).length;
  const skippedCount = figures.filter((f) => f.target.startsWith('SKIPPED')).length;
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const missed = figures.filter((f) => f.pass === false).map((f) => f.figure);
  log(
    `\nbench summary: ${run.length - crashed.length}/${run.length} benchmarks ran in ${secs} s; ` +
      `targets: ${n(true)} PASS, ${n(false)} MISS, ${skippedCount} SKIP; ${n(null) - skippedCount} informational figures` +
      (missed.length ? `; missed: ${missed.join('; ')}` : '') +
      (crashed.length ? `; CRASHED: ${crashed.join(', ')}` : ''),
  );
  return crashed.length ? 1 : 0;
}

async function main(): Promise<number> {
  let args: BenchArgs | 'help';
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof BenchUsageError) {
      console.error(`bench: ${err.message}\n\n${BENCH_HELP}`);
      return 2;
    }
    throw err;
  }
  if (args === 'help') {
    console.log(BENCH_HELP);
    return 0;
  }
  return runBenchmarks(args);
}

// process.exit: a port or child left open by a crashed benchmark must not keep the run alive.
if (isEntryPoint(import.meta.url)) main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
