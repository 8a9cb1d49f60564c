/**
 * `fsw run`: the main job. A scenario's constellation on the built-in emulator, one full agent
 * per satellite, all in this process on virtual time: an orbit of five satellites in seconds.
 * Prints progress, a per-satellite line at each step, and a summary.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { builtinScenarioNames } from '../../emulator/scenario/load.js';
import type { Agent } from '../../firmware-agent/agent.js';
import { InProcessRun } from '../runner/in-process.js';
import { emulateScenario } from './emulate.js';
import { formatSeconds, intArg, positiveNumberArg, type CliIO, type CommandModule } from './common.js';

export interface RunOptions {
  sats?: number;
  seed?: number;
  duration?: number;
  every: number;
  workDir?: string;
}

export interface RunSummary {
  scenario: string;
  seed: number;
  virtualS: number;
  wallS: number;
  decisions: number;
  actionsDone: number;
  actionsFailed: number;
  safeEntries: number;
  restarts: number;
  leaderChanges: number;
  divergences: number;
  slips: number;
  cycleP50Us: number;
  cycleP99Us: number;
  drops: Record<string, number>;
  modes: Record<string, string>;
}

function satLine(id: string, a: Agent | undefined, run: InProcessRun): string {
  const w = run.constellation.byId(id)!.world;
  const hottest = Math.max(w.thermal.obcC, w.thermal.batteryC, w.thermal.payloadC, w.thermal.radioC);
  if (!a) return `  ${id.padEnd(7)} (flight computer off)`;
  const d = a.lastActed;
  const e = a.swarm?.election;
  const role = e ? `${e.role.padEnd(9)} t${String(e.term).padEnd(3)}` : 'solo         ';
  return `  ${id.padEnd(7)} ${a.currentMode.padEnd(9)} ${role} soc ${w.power.soc.toFixed(2)}  hottest ${hottest.toFixed(1).padStart(5)} °C  ${w.lit ? 'sun    ' : 'eclipse'}  last action ${d ? `${d.action} (${d.rule})` : '-'}`;
}

/** Runs a scenario in process; resolves with the summary (also printed). */
export async function runScenario(scenarioArg: string, opts: RunOptions, io: CliIO): Promise<RunSummary> {
  const scenario = emulateScenario(scenarioArg, opts);
  const duration = opts.duration ?? scenario.duration_s;
  const dir = opts.workDir ?? mkdtempSync(join(tmpdir(), 'fsw-run-'));
  const run = new InProcessRun({ scenario, workDir: dir });
  let leaderChanges = 0;
  let lastLeader: string | undefined;
  const t0 = performance.now();
  io.out(`fsw run: scenario "${scenario.name}" (seed ${scenario.seed}), ${scenario.constellation.count} satellites, ${formatSeconds(duration)} of virtual time\n`);
  let stop = false;
  const off = io.onSignal(() => (stop = true));
  await run.start();
  const step = opts.every;
  for (let t = Math.min(step, duration); !stop; t = Math.min(t + step, duration)) {
    await run.runTo(t);
    const l = run.leader();
    if (l !== undefined && l !== lastLeader) {
      if (lastLeader !== undefined) leaderChanges++;
      lastLeader = l;
    }
    const pct = ((100 * t) / duration).toFixed(0).padStart(3);
    io.out(`[${pct}%] t=${formatSeconds(t)}  (${((performance.now() - t0) / 1000).toFixed(1)} s wall)\n`);
    for (const id of run.constellation.ids()) io.out(`${satLine(id, run.agents.get(id), run)}\n`);
    if (t >= duration) break;
  }
  off();
  const agents = [...run.agents.values()];
  const sum = (f: (a: Agent) => number): number => agents.reduce((s, a) => s + f(a), 0);
  const drops: Record<string, number> = { escape: 0, crc: 0, oversize: 0, cbor: 0, schema: 0 };
  for (const a of agents) for (const [k, v] of Object.entries(a.client.endpoint.drops)) drops[k] = (drops[k] ?? 0) + v;
  const totals = agents.map((a) => a.metrics.histogram('cycle_phase_us', 'total'));
  const summary: RunSummary = {
    scenario: scenario.name,
    seed: scenario.seed,
    virtualS: run.clock.now() / 1000,
    wallS: (performance.now() - t0) / 1000,
    decisions: sum((a) => a.state.counters.decisions),
    actionsDone: sum((a) => a.state.counters.actionsDone),
    actionsFailed: sum((a) => a.state.counters.actionsFailed),
    safeEntries: sum((a) => a.state.counters.safeEntries),
    restarts: run.restarts.length,
    leaderChanges,
    divergences: sum((a) => a.swarm?.stats.divergences ?? 0),
    slips: sum((a) => a.cycle.slips),
    cycleP50Us: Math.max(...totals.map((h) => h.p50)),
    cycleP99Us: Math.max(...totals.map((h) => h.p99)),
    drops,
    modes: Object.fromEntries(run.constellation.ids().map((id) => [id, run.agents.get(id)?.currentMode ?? 'off'])),
  };
  await run.stop();
  if (!opts.workDir) rmSync(dir, { recursive: true, force: true });
  io.out(
    [
      '',
      `summary: ${formatSeconds(summary.virtualS)} virtual in ${summary.wallS.toFixed(1)} s wall`,
      `  decisions ${summary.decisions}, actions done ${summary.actionsDone}, failed ${summary.actionsFailed}`,
      `  safe-mode entries ${summary.safeEntries}, agent restarts ${summary.restarts}`,
      `  leader ${lastLeader ?? 'none'}, leader changes seen ${summary.leaderChanges}, decision divergences ${summary.divergences}`,
      `  cycle CPU time p50 ${summary.cycleP50Us} µs, p99 ${summary.cycleP99Us} µs (worst satellite), slips ${summary.slips}`,
      `  frames dropped: ${Object.entries(drops).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      `  final modes: ${Object.entries(summary.modes).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      '',
    ].join('\n'),
  );
  return summary;
}

export const runCommand: CommandModule = {
  name: 'run',
  register(program: Command, io: CliIO): Command {
    const names = builtinScenarioNames();
    return program
      .command('run')
      .summary('run a scenario: the emulated constellation and one agent per satellite, in process, on virtual time')
      .description(
        'Runs a scenario end to end in this process: the emulator (world, devices, faults, ISL radio)\n' +
          'and the full agent on each satellite, on one virtual clock, so an orbit takes seconds.\n' +
          'Agents whose hardware resets them, or that are powered off, boot again from their journal.',
      )
      .argument('[scenario]', `a shipped scenario (${names.join(', ')}) or a path to a YAML/JSON scenario file`, 'nominal')
      .addOption(new Option('--sats <n>', 'number of satellites (overrides constellation.count; 1 to 1000)').argParser(intArg(1, 1000)))
      .addOption(new Option('--seed <n>', 'random seed (overrides the scenario\'s seed)').argParser(intArg(0, 0xffffffff)))
      .addOption(new Option('--duration <s>', 'virtual seconds to run (default: the scenario\'s duration_s)').argParser(positiveNumberArg('a number of seconds > 0')))
      .addOption(new Option('--every <s>', 'virtual seconds between progress reports').argParser(positiveNumberArg('a number of seconds > 0')).default(600))
      .addOption(new Option('--work-dir <dir>', 'keep the agents\' journals here (default: a temporary directory, removed after)'))
      .addHelpText(
        'after',
        `
Examples:
  fsw run                                   # nominal: 5 satellites, one orbit (npm start)
  fsw run thermal-runaway --every 300
  fsw run battery-crisis --sats 3 --seed 7
  fsw run my-scenario.yaml --duration 1200

Exit status: 0 ran to the end (or stopped on Ctrl-C), 1 failure, 2 bad usage.`,
      )
      .action(async (scenarioArg: string, opts: RunOptions) => {
        await runScenario(scenarioArg, opts, io);
      });
  },
};
