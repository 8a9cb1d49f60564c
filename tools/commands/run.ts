/**
 * `fsw run`: the main job. A scenario's constellation on the built-in emulator, one full agent
 * per satellite, all in this process on virtual time: an orbit of five satellites in seconds.
 * Shows a live view (progress bar and a table per satellite; redrawn in place on a terminal,
 * plain lines otherwise), then a summary, and writes a self-contained HTML report.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { Agent, AgentEvents } from '../../firmware-agent/agent.js';
import { PRIORITY_CLASSES } from '../../firmware-agent/observability/index.js';
import { commandFigures, ReportCollector } from '../report/collect.js';
import type { CommandFigure, ReportData } from '../report/data.js';
import { writeReport } from '../report/render.js';
import { InProcessRun } from '../runner/in-process.js';
import { PlainView, TerminalView, type RunView } from '../view/live.js';
import { paceDelayMs, parseSpeed, SPEED_HELP, SPEED_MAX, stepSeconds, type Speed } from '../view/pace.js';
import { renderFrame, renderPlainProgress, renderTable, TABLE_LEGEND, type ProgressInfo } from '../view/render.js';
import { ActionTally, headline, satRows } from '../view/rows.js';
import { renderSummary, type RunSummary } from '../view/summary.js';
import { CONFIG_OPTION_HELP, resolveCommandConfig, scenarioWithAgentConfig } from '../config/command-options.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { emulateScenario, scenarioArgHelp } from './emulate.js';
import { formatSeconds, prepareDirArg, processIO, satsArg, secondsArg, seedArg, StatusError, UsageError, type CliIO, type CommandModule } from './common.js';

export type { RunSummary } from '../view/summary.js';

export interface RunOptions {
  sats?: number;
  seed?: number;
  duration?: number;
  every: number;
  workDir?: string;
  /** Pacing of virtual time against the wall clock (default: as fast as possible). */
  speed?: Speed;
  /** Where to write the HTML report: a path, `false` for none, default `out/report-<scenario>-<seed>.html`. */
  report?: string | boolean;
  /** Flight recorder: a directory for one `<sat>.rec` per satellite (`fsw replay` reads them). */
  record?: string;
  /** Set when stdout is a terminal: the live view is redrawn in place, cut to its size. */
  tty?: { columns: number; rows?: number };
  /** The configuration (--config, FSW_ variables): its explicit agent fields go over the scenario's. */
  configured?: ResolvedConfig;
}

/** The default report path: out/report-<scenario>-<seed>.html (scenario names from files are made safe for a file name). */
export function defaultReportPath(scenario: string, seed: number): string {
  return join('out', `report-${scenario.replace(/[^A-Za-z0-9._-]+/g, '_')}-${seed}.html`);
}

/** The report's folder, checked (and made) like a directory option; the file itself is written after the run. */
function prepareReportPath(path: string): void {
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`--report ${path}: is a directory (give a file name, e.g. ${path.replace(/\/+$/, '')}/report.html)`);
  prepareDirArg('--report', dirname(resolve(path)), { shown: path });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Lets the event loop run its I/O phase, where signals (Ctrl-C, SIGTERM) are delivered: at
 *  speed max the run loop never waits on a timer, and would finish before seeing one. */
const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Exit status of a run stopped by a signal: 128 + the signal's number (130 SIGINT, 143 SIGTERM). */
export function interruptedExitCode(signal: string): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

function summarise(run: InProcessRun, base: Pick<RunSummary, 'scenario' | 'seed' | 'sats' | 'speed' | 'virtualS' | 'durationS' | 'wallS' | 'leaderChanges' | 'interrupted'>, figures: CommandFigure[]): RunSummary {
  const agents = [...run.agents.values()];
  const sum = (f: (a: Agent) => number): number => agents.reduce((s, a) => s + f(a), 0);
  const drops: Record<string, number> = { escape: 0, crc: 0, oversize: 0, cbor: 0, schema: 0 };
  for (const a of agents) for (const [k, v] of Object.entries(a.client.endpoint.drops)) drops[k] = (drops[k] ?? 0) + v;
  const governorDrops = Object.fromEntries(PRIORITY_CLASSES.map((c) => [c, sum((a) => a.metrics.counter('governor_drops', c).value)]));
  const totals = agents.map((a) => a.metrics.histogram('cycle_phase_us', 'total'));
  return {
    ...base,
    decisions: sum((a) => a.state.counters.decisions),
    actionsDone: sum((a) => a.state.counters.actionsDone),
    actionsFailed: sum((a) => a.state.counters.actionsFailed),
    safeEntries: sum((a) => a.state.counters.safeEntries),
    restarts: run.restarts.length,
    leader: run.leader() ?? null,
    divergences: sum((a) => a.metrics.counter('swarm_divergences').value),
    compliance: {
      commands: figures.length,
      targets: figures.reduce((s, f) => s + f.targets, 0),
      completed: figures.reduce((s, f) => s + f.completed, 0),
    },
    slips: sum((a) => a.cycle.slips),
    budgetMs: run.config.budget_ms,
    cycleP50Us: totals.length ? Math.max(...totals.map((h) => h.p50)) : 0,
    cycleP99Us: totals.length ? Math.max(...totals.map((h) => h.p99)) : 0,
    drops,
    governorDrops,
    modes: Object.fromEntries(run.constellation.ids().map((id) => [id, run.agents.get(id)?.currentMode ?? 'off'])),
  };
}

/** Runs a scenario in process; resolves with the summary (also printed), after writing the report. */
export async function runScenario(scenarioArg: string, opts: RunOptions, io: CliIO): Promise<RunSummary> {
  const scenario = scenarioWithAgentConfig(emulateScenario(scenarioArg, opts), opts.configured);
  const duration = opts.duration ?? scenario.duration_s;
  const speed = opts.speed ?? SPEED_MAX;
  const sats = scenario.constellation.count;
  const reportPath = opts.report === false ? undefined : typeof opts.report === 'string' ? opts.report : defaultReportPath(scenario.name, scenario.seed);
  const tally = new ActionTally();
  let collector: ReportCollector | undefined;
  const onAgentEvent = <K extends keyof AgentEvents>(sat: string, event: K, ...args: AgentEvents[K]): void => {
    if (event === 'action') tally.onAction(sat, (args as AgentEvents['action'])[0]);
    collector?.onAgentEvent(sat, event, ...args);
  };
  // Paths first: a bad one is bad usage (exit 2) before anything runs.
  if (opts.workDir) prepareDirArg('--work-dir', opts.workDir);
  if (opts.record) prepareDirArg('--record', opts.record);
  if (reportPath) prepareReportPath(reportPath);
  const dir = opts.workDir ?? mkdtempSync(join(tmpdir(), 'fsw-run-'));
  const run = new InProcessRun({ scenario, workDir: dir, onAgentEvent, ...(opts.record ? { record: opts.record } : {}) });
  if (reportPath) {
    collector = new ReportCollector({ scenario: scenario.name, seed: scenario.seed, sats: run.constellation.ids(), durationS: duration });
    collector.attach(run);
  }
  const t0 = performance.now();
  const wallS = (): number => (performance.now() - t0) / 1000;
  let t = 0;
  const progress = (): ProgressInfo => ({ virtualS: t, durationS: duration, wallS: wallS(), speed: speed.label });
  const view: RunView = opts.tty ? new TerminalView({ write: io.out }, { columns: opts.tty.columns, ...(opts.tty.rows ? { rows: opts.tty.rows } : {}) }) : new PlainView({ write: io.out }, opts.every);
  const frame = opts.tty
    ? (): string[] => renderFrame(progress(), headline(run), satRows(run, tally))
    : (): string[] => [renderPlainProgress(progress()), ...renderTable(satRows(run, tally))];
  io.out(`fsw run: scenario "${scenario.name}" (seed ${scenario.seed}), ${sats} satellites, ${formatSeconds(duration)} of virtual time, speed ${speed.label}\n`);
  io.out(`${TABLE_LEGEND}\n`);
  // The first signal stops the run; the summary and the report are still written (a second
  // one is ignored: npx forwards SIGTERM to its child on top of `timeout`'s group signal).
  let interrupted: NodeJS.Signals | undefined;
  const off = io.onSignal((signal) => void (interrupted ??= signal));
  try {
    let leaderChanges = 0;
    let lastLeader: string | undefined;
    let summary: RunSummary;
    let data: ReportData | undefined;
    try {
      await run.start();
      collector?.step();
      const step = stepSeconds(speed);
      while (interrupted === undefined && t < duration) {
        // Land on every multiple of --every, where the plain view prints.
        const nextEvery = (Math.floor(t / opts.every + 1e-9) + 1) * opts.every;
        t = Math.min(t + step, nextEvery, duration);
        await run.runTo(t);
        const l = run.leader();
        if (l !== undefined && l !== lastLeader) {
          if (lastLeader !== undefined) leaderChanges++;
          lastLeader = l;
        }
        collector?.step();
        view.tick(t, frame);
        // A timer can fire a fraction of a millisecond early on performance.now()'s scale: wait until the pace is kept.
        for (let wait = paceDelayMs(speed, t * 1000, performance.now() - t0); wait > 0; wait = paceDelayMs(speed, t * 1000, performance.now() - t0)) await sleep(Math.ceil(wait));
        await yieldToEventLoop();
      }
      view.finish(frame, t);
      // Read before stop(): stopping clears the agents, and with them the swarm's compliance ledgers.
      const figures = commandFigures(run);
      summary = summarise(run, { scenario: scenario.name, seed: scenario.seed, sats, speed: speed.label, virtualS: run.clock.now() / 1000, durationS: duration, wallS: wallS(), leaderChanges, ...(interrupted ? { interrupted } : {}) }, figures);
      data = collector?.finish(summary, figures);
    } finally {
      await run.stop().catch(() => undefined);
      if (!opts.workDir) rmSync(dir, { recursive: true, force: true });
    }
    io.out(renderSummary(summary));
    if (opts.record) {
      io.out(`recordings: ${run.constellation.ids().map((id) => run.recordingPath(id)).filter(Boolean).join(', ')} (replay one with: fsw replay FILE)\n`);
      for (const p of run.recordingProblems) io.err(`recording of ${p.sat} stopped at t=${formatSeconds(p.at / 1000)}: ${p.code} ${p.message}\n`);
    }
    if (data && reportPath) {
      const bytes = writeReport(reportPath, data);
      summary.reportPath = reportPath;
      io.out(`report: ${reportPath} (${Math.round(bytes / 1024)} KB)\n`);
    }
    return summary;
  } finally {
    off();
  }
}

export const runCommand: CommandModule = {
  name: 'run',
  register(program: Command, io: CliIO): Command {
    return program
      .command('run')
      .summary('run a scenario: the emulated constellation and one agent per satellite, in process, on virtual time')
      .description(
        'Runs a scenario end to end in this process: the emulator (world, devices, faults, ISL radio)\n' +
          'and the full agent on each satellite, on one virtual clock, so an orbit takes seconds.\n' +
          'Agents whose hardware resets them, or that are powered off, boot again from their journal.',
      )
      .argument('[scenario]', scenarioArgHelp(), 'nominal')
      .addOption(new Option('--config <file>', CONFIG_OPTION_HELP))
      .addOption(new Option('--sats <n>', 'number of satellites (overrides constellation.count; 1 to 1000)').argParser(satsArg))
      .addOption(new Option('--seed <n>', 'random seed (overrides the scenario\'s seed)').argParser(seedArg))
      .addOption(new Option('--duration <s>', 'virtual seconds to run (default: the scenario\'s duration_s)').argParser(secondsArg))
      .addOption(new Option('--every <s>', 'virtual seconds between progress reports').argParser(secondsArg).default(600))
      .addOption(new Option('--work-dir <dir>', 'keep the agents\' journals here (default: a temporary directory, removed after)'))
      .addOption(new Option('--speed <speed>', `pace virtual time against the wall clock: ${SPEED_HELP}`).argParser(parseSpeed).default(SPEED_MAX, 'max'))
      .addOption(new Option('--report <path>', 'write the HTML report here (default: out/report-<scenario>-<seed>.html)'))
      .addOption(new Option('--no-report', 'write no HTML report'))
      .addOption(new Option('--record <dir>', 'flight recorder: write every frame each agent receives and sends, with its time, to <dir>/<sat>.rec (replay with fsw replay)'))
      .addHelpText(
        'after',
        `
Examples:
  fsw run                         # nominal: 5 satellites, one orbit (npm start)
  fsw run thermal-runaway --every 300
  fsw run battery-crisis --sats 3 --seed 7
  fsw run my-scenario.yaml --duration 1200
  fsw run leader-loss --speed x10 # 10 virtual seconds per wall second
  # the report elsewhere (or --no-report)
  fsw run nominal --report /tmp/nominal.html
  # flight recordings; then: fsw replay out/rec/SAT-1.rec
  fsw run thermal-runaway --record out/rec
  # sections emulator, run, agent (fsw config --help)
  FSW_AGENT__CYCLE_HZ=5 fsw run --config fsw.yaml

On a terminal the progress bar and the table are redrawn in place; piped or
redirected, the same figures come as plain lines at every --every step. The
report is one HTML file that opens with no network (charts drawn by uPlot,
inlined).

Ctrl-C (SIGINT) or SIGTERM stops the run early: the summary and the report
still come, both marked "interrupted at t=… of …", and the exit status says so.

Slips count cycles whose CPU time on this host went over the agent's budget_ms
(20 ms by default). They are measured in host CPU time even on virtual time, so
the same seed can give a different count on a busy machine.

Exit status: 0 ran to the end, 1 failure (a crash, or the report could not be
written: E_REPORT_IO, after the summary), 2 bad usage (an option's value, a
--work-dir, --record or --report path that is a file or cannot be created), 130
stopped by SIGINT (Ctrl-C), 143 stopped by SIGTERM (both after the summary and
the report).`,
      )
      .action(async (_scenario: string, opts: RunOptions, cmd: Command) => {
        // Flags typed over FSW_ variables over the --config file (tools/config/README.md).
        const c = resolveCommandConfig('run', cmd, io);
        // The live view redraws in place only on a real terminal that can move its cursor (never for an injected CliIO).
        const tty = io === processIO && process.stdout.isTTY && process.env.TERM !== 'dumb' ? { columns: process.stdout.columns || 100, rows: process.stdout.rows || 50 } : undefined;
        const summary = await runScenario(c.scenario, { ...opts, ...c.options, configured: c.resolved, ...(tty ? { tty } : {}) }, io);
        // After the summary and the report: a stopped run must not look like a finished one to a script.
        if (summary.interrupted) throw new StatusError(interruptedExitCode(summary.interrupted), `interrupted by ${summary.interrupted} at t=${formatSeconds(summary.virtualS)} of ${formatSeconds(summary.durationS)}`);
      });
  },
};
