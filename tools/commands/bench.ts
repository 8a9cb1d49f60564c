/**
 * `fsw bench`: the benchmarks, the same runner as `npm run bench` (tools/bench/index.ts):
 * tables on stdout, one results file per benchmark in bench/results/.
 */
import { CommanderError, Option, type Command } from 'commander';
import { listArg, StatusError, type CliIO, type CommandModule } from './common.js';

interface BenchOptions {
  only?: string[];
  quick?: boolean;
  long?: boolean;
  list?: boolean;
}

export const benchCommand: CommandModule = {
  name: 'bench',
  register(program: Command, io: CliIO): Command {
    return program
      .command('bench')
      .summary('run the benchmarks (same as npm run bench): tables, and bench/results/<area>-<name>.json')
      .description(
        'Runs the benchmarks in tools/bench/ (the same runner as npm run bench). Each prints a table of figures, each compared with a baseline measured in the same run where a ratio means something, and writes bench/results/<area>-<name>.json.\n\nA full run takes minutes and loads the machine: use --only for one area, --quick for a smoke check.',
      )
      .addOption(new Option('--only <names>', 'run only these, comma-separated: a module or area (hal) or one benchmark (hal-codec); --list shows them').argParser(listArg('name')))
      .addOption(new Option('--quick', 'fewer iterations: checks that the benchmarks run; figures are not meaningful'))
      .addOption(new Option('--long', 'the full-length runs (a 10-minute real-time slip run, a whole 100-satellite orbit); also BENCH_LONG=1'))
      .addOption(new Option('--list', 'list the benchmarks and exit'))
      .addHelpText(
        'after',
        `
Examples:
  fsw bench --list
  fsw bench --only hal --quick
  fsw bench --only agent-rss,swarm
  fsw bench --long                 # everything, full length (tens of minutes)

Exit status: 0 every selected benchmark ran (targets met or not: see the result
column), 1 a benchmark crashed, 2 bad usage (unknown option, --only matching
nothing).`,
      )
      .action(async (opts: BenchOptions) => {
        // Loaded here: `fsw --help` should not pay for the benchmark modules.
        const { parseBenchArgs, runBenchmarks } = await import('../bench/index.js');
        const defaults = parseBenchArgs([]);
        if (defaults === 'help') throw new Error('unreachable: no --help given');
        const code = await runBenchmarks(
          { only: opts.only, quick: !!opts.quick, long: !!opts.long || defaults.long, list: !!opts.list },
          { out: (line) => io.out(`${line}\n`), err: (line) => io.err(`${line}\n`) },
        );
        // The runner has printed why; these only carry the status to runCli.
        if (code === 2) throw new CommanderError(2, 'fsw.bench.usage', 'bad usage (reported above)');
        if (code !== 0) throw new StatusError(code, `${code === 1 ? 'a benchmark crashed (see above)' : `benchmarks failed (status ${code})`}`);
      });
  },
};
