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
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { renderTable, writeResults, type Benchmark, type Figure } from './harness.js';

const HELP = `usage: node dist/tools/bench/index.js [--only NAME[,NAME…]] [--quick] [--list] [--help]

Runs the benchmarks in tools/bench/. Each prints a table of figures, each compared with a
baseline measured in the same run (ratio), and writes bench/results/<area>-<name>.json.

  --only NAMES  run only these: a module (hal), an area (hal) or one benchmark (hal-codec)
  --quick       fewer iterations: checks that the benchmarks run, figures are not meaningful
  --long        the full-length runs (10-minute real-time slip run, a whole 100-satellite orbit)
  --list        list the benchmarks and exit
  --help        this text

Exit status: 0 when every benchmark ran (targets met or not: see the result column),
1 when one crashed, 2 on bad arguments.`;

interface Args {
  only: string[] | undefined;
  quick: boolean;
  long: boolean;
  list: boolean;
}

function parseArgs(argv: string[]): Args | 'help' {
  const a: Args = { only: undefined, quick: false, long: process.env.BENCH_LONG === '1', list: false };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (x === '--help' || x === '-h') return 'help';
    else if (x === '--quick') a.quick = true;
    else if (x === '--long') a.long = true;
    else if (x === '--list') a.list = true;
    else if (x === '--only' || x.startsWith('--only=')) {
      const v = x === '--only' ? argv[++i] : x.slice('--only='.length);
      if (!v) throw new UsageError('--only needs a name');
      a.only = [...(a.only ?? []), ...v.split(',').map((s) => s.trim()).filter(Boolean)];
    } else throw new UsageError(`unknown argument ${x}`);
  }
  return a;
}

class UsageError extends Error {}

interface Entry {
  module: string;
  bench: Benchmark;
}

async function discover(): Promise<Entry[]> {
  const here = dirname(fileURLToPath(import.meta.url));
  const self = basename(fileURLToPath(import.meta.url));
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.js') && f !== self && f !== 'harness.js')
    .sort();
  const out: Entry[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(here, f)).href)) as { benchmarks?: Benchmark[] };
    if (!Array.isArray(mod.benchmarks)) continue;
    for (const bench of mod.benchmarks) out.push({ module: f.slice(0, -'.js'.length), bench });
  }
  return out;
}

function selected(e: Entry, only: string[] | undefined): boolean {
  if (!only) return true;
  const id = `${e.bench.area}-${e.bench.name}`;
  return only.some((n) => n === e.module || n === e.bench.area || n === id);
}

async function main(): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`bench: ${err.message}\n\n${HELP}`);
      return 2;
    }
    throw err;
  }
  if (args === 'help') {
    console.log(HELP);
    return 0;
  }
  const all = await discover();
  if (args.list) {
    for (const e of all) console.log(`${e.bench.area}-${e.bench.name}  (module ${e.module}): ${e.bench.title}`);
    return 0;
  }
  const run = all.filter((e) => selected(e, args.only));
  if (run.length === 0) {
    console.error(`bench: nothing matches --only ${args.only?.join(',')}; known: ${all.map((e) => `${e.bench.area}-${e.bench.name}`).join(', ')}`);
    return 2;
  }

  const t0 = performance.now();
  const figures: Figure[] = [];
  const crashed: string[] = [];
  const written: string[] = [];
  console.log(`bench: ${run.length} benchmark(s), node ${process.version}${args.quick ? ', --quick (figures not meaningful)' : ''}`);
  for (const { bench } of run) {
    const id = `${bench.area}-${bench.name}`;
    const started = performance.now();
    console.log(`\n[${id}] ${bench.title}`);
    try {
      const figs = await bench.run({ quick: args.quick, long: args.long, log: (line) => console.log(`[${id}] ${line}`) });
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`\n${renderTable(`${id} (${secs} s)`, figs)}\n`);
      const path = writeResults(bench.area, bench.name, figs);
      written.push(path);
      console.log(`[${id}] wrote ${path}`);
      figures.push(...figs);
    } catch (err) {
      crashed.push(id);
      console.error(`[${id}] CRASHED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  const n = (p: boolean | null): number => figures.filter((f) => f.pass === p).length;
  const skippedCount = figures.filter((f) => f.target.startsWith('SKIPPED')).length;
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const missed = figures.filter((f) => f.pass === false).map((f) => f.figure);
  console.log(
    `\nbench summary: ${run.length - crashed.length}/${run.length} benchmarks ran in ${secs} s; ` +
      `targets: ${n(true)} PASS, ${n(false)} MISS, ${skippedCount} SKIP; ${n(null) - skippedCount} informational figures` +
      (missed.length ? `; missed: ${missed.join('; ')}` : '') +
      (crashed.length ? `; CRASHED: ${crashed.join(', ')}` : ''),
  );
  return crashed.length ? 1 : 0;
}

// process.exit: a port or child left open by a crashed benchmark must not keep the run alive.
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
