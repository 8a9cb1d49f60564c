/**
 * `fsw emulate`: serve a scenario's satellites in real time on pseudo-terminals (socat) or
 * real serial ports, so that an agent, a script or a person can talk PROTOCOL.md to them.
 */
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { ServedConstellation, ServeStatus } from '../../emulator/serve.js';
import { builtinScenarioNames, parseScenario, resolveScenario, ScenarioError } from '../../emulator/scenario/load.js';
import type { Scenario } from '../../emulator/scenario/schema.js';
import { CONFIG_OPTION_HELP, resolveCommandConfig } from '../config/command-options.js';
import { DEFAULT_BAUD } from '../../firmware-agent/main.js';
import { baudArg, formatSeconds, listArg, prepareDirArg, satsArg, secondsArg, seedArg, UsageError, type CliIO, type CommandModule } from './common.js';

export interface EmulateOptions {
  sats?: number;
  seed?: number;
  ports?: string[];
  groundPort?: string;
  ptyDir?: string;
  baud: number;
  duration?: number;
  statusEvery: number;
}

/** The scenario named on the command line with --sats/--seed applied. Throws UsageError. */
export function emulateScenario(nameOrPath: string, opts: Pick<EmulateOptions, 'sats' | 'seed'>): Scenario {
  const names = builtinScenarioNames();
  if (!names.includes(nameOrPath) && !existsSync(nameOrPath)) {
    throw new UsageError(`no scenario "${nameOrPath}": not a shipped scenario (${names.join(', ')}) and no such file`);
  }
  try {
    let s = resolveScenario(nameOrPath);
    if (opts.sats !== undefined || opts.seed !== undefined) {
      const overrides = [opts.sats !== undefined ? `--sats ${opts.sats}` : '', opts.seed !== undefined ? `--seed ${opts.seed}` : ''].filter(Boolean).join(' ');
      s = parseScenario(
        {
          ...s,
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          constellation: { ...s.constellation, ...(opts.sats !== undefined ? { count: opts.sats } : {}) },
        },
        `${nameOrPath} with ${overrides}`,
      );
    }
    return s;
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message);
    throw err;
  }
}

export function statusLine(st: ServeStatus, startedAtWallMs: number, scenarioDurationS: number): string {
  const wall = new Date(startedAtWallMs + st.tMs).toISOString().slice(11, 19);
  const t = st.tMs / 1000;
  const head = `t=${formatSeconds(t)}${t > scenarioDurationS ? ' (past the scenario end)' : ` of ${formatSeconds(scenarioDurationS)}`} at ${wall} UTC`;
  const sats = st.sats.map((s) => `${s.id} ${s.link !== 'up' ? `link ${s.link}` : s.handshaken ? 'fc up' : 'no fc'} samples ${s.samplesPushed} resets ${s.resets}`);
  // A few satellites fit on one line; more get one line each under the time.
  return sats.length <= 3 ? [head, ...sats].join(' | ') : [head, ...sats.map((x) => `  ${x}`)].join('\n');
}

async function runEmulate(scenarioArg: string, opts: EmulateOptions, io: CliIO): Promise<void> {
  const scenario = emulateScenario(scenarioArg, opts);
  const n = scenario.constellation.count;
  if (opts.ports && opts.ports.length !== n) {
    throw new UsageError(
      `--ports names ${opts.ports.length} port(s) but scenario "${scenario.name}" has ${n} satellite(s): give ${n} ports, or --sats ${opts.ports.length}`,
    );
  }
  if (opts.groundPort && !opts.ports) throw new UsageError('--ground-port goes with --ports (on ptys the ground station gets its own pty)');
  if (opts.ptyDir) prepareDirArg('--pty-dir', opts.ptyDir, { what: 'a directory for the pty links' });
  const say = (line: string): void => io.out(`${line}\n`);

  // Listen before starting, so a Ctrl-C during start-up still stops cleanly.
  let served: ServedConstellation | undefined;
  let wake: () => void = () => {};
  const done = new Promise<void>((r) => (wake = r));
  let stopReason: string | undefined;
  const offSignal = io.onSignal((sig) => {
    stopReason ??= sig;
    wake();
  });
  try {
    const where = opts.ports ? `serial ports at ${opts.baud} baud 8N1` : `pseudo-terminals${opts.ptyDir ? ` in ${opts.ptyDir}` : ''}`;
    say(`fsw emulate: scenario "${scenario.name}" (seed ${scenario.seed}), ${n} satellite(s) on ${where}`);
    // Loaded here, not at the top: `fsw --help` should not pay for serialport and the world models.
    const { serveConstellation } = await import('../../emulator/serve.js');
    served = await serveConstellation({
      scenario,
      ...(opts.ports ? { ports: opts.ports, baudRate: opts.baud, ...(opts.groundPort ? { groundPort: opts.groundPort } : {}) } : {}),
      ...(opts.ptyDir ? { ptyDir: opts.ptyDir } : {}),
      log: say,
      handleSignals: false,
    });
    const startedAtWall = Date.now() - served.clock.now();
    say(`ready: open a path (${opts.ports ? opts.baud : 115200} 8N1, raw) and send hello as in PROTOCOL.md; ${opts.duration ? `stopping after ${opts.duration} s or on Ctrl-C` : 'Ctrl-C to stop'}`);

    const s = served;
    const status = setInterval(() => say(statusLine(s.status(), startedAtWall, scenario.duration_s)), opts.statusEvery * 1000);
    const timers: NodeJS.Timeout[] = [status];
    if (opts.duration !== undefined) {
      timers.push(
        setTimeout(() => {
          stopReason ??= `--duration ${opts.duration} s`;
          wake();
        }, opts.duration * 1000),
      );
    }
    if (stopReason === undefined) await done;
    for (const t of timers) clearTimeout(t);
    const last = s.status();
    await s.stop();
    say(`stopped (${stopReason}): ${statusLine(last, startedAtWall, scenario.duration_s)}`);
  } finally {
    offSignal();
    await served?.stop();
  }
}

const DESCRIPTION = [
  'Serve the hardware of a scenario\'s satellites in real time, one link per satellite, speaking the HAL protocol (PROTOCOL.md).',
  'By default each satellite gets a pseudo-terminal pair made by socat; the table printed at start says which path belongs to which satellite. Open that path with any serial client (the agent, pyserial, a terminal) at 115200 8N1. With --ports the satellites are served on real serial ports instead (boards wired to this machine).',
  'A scenario with a ground_station also gets a line for it (GROUND in the table): a ground console (fsw ground --port PATH) opens it and talks to the satellites in view through the station\'s radio.',
  'The scenario\'s fault timeline runs on real time from the start. A status line follows every few seconds. Stop with Ctrl-C (SIGINT) or SIGTERM; --duration stops on its own.',
].join('\n\n');

/** The `[scenario]` argument's help, the same for every command that takes one. */
export function scenarioArgHelp(): string {
  return `a shipped scenario (${builtinScenarioNames().join(', ')}) or a path to a YAML/JSON scenario file`;
}

export const emulateCommand: CommandModule = {
  name: 'emulate',
  register(program: Command, io: CliIO): Command {
    return program
      .command('emulate')
      .summary('serve emulated satellites on pseudo-terminals or serial ports, in real time')
      .description(DESCRIPTION)
      .argument('[scenario]', scenarioArgHelp(), 'nominal')
      .addOption(new Option('--config <file>', CONFIG_OPTION_HELP))
      .addOption(new Option('--sats <n>', 'number of satellites (overrides the scenario\'s constellation.count; 1 to 1000)').argParser(satsArg))
      .addOption(new Option('--seed <n>', 'random seed (overrides the scenario\'s seed; 0 to 4294967295)').argParser(seedArg))
      .addOption(
        new Option('--ports <p1,p2,...>', 'serve on these real serial ports, one per satellite in order (SAT-1 first), instead of ptys')
          .argParser(listArg('port path'))
          .conflicts('ptyDir'),
      )
      .addOption(new Option('--ground-port <path>', 'with --ports: serve the scenario\'s ground station on this serial port too (with ptys it gets its own pty)').conflicts('ptyDir'))
      .addOption(new Option('--pty-dir <dir>', 'where the pty links go (DIR/SAT-1, …); default a fresh temporary directory'))
      .addOption(new Option('--baud <n>', 'baud rate for --ports').argParser(baudArg).default(DEFAULT_BAUD))
      .addOption(new Option('--duration <s>', 'stop after this many seconds of real time (default: run until Ctrl-C)').argParser(secondsArg))
      .addOption(new Option('--status-every <s>', 'seconds between status lines').argParser(secondsArg).default(5))
      .addHelpText(
        'after',
        `
Shipped scenarios:
  ${builtinScenarioNames().join(', ').replace(/(.{1,72})(, |$)/g, (_m, line: string, sep: string) => (sep ? `${line},\n  ` : line))}

Examples:
  fsw emulate                  # nominal, 5 satellites on ptys until Ctrl-C
  fsw emulate thermal-runaway --sats 3 --pty-dir /tmp/sats
  fsw emulate nominal --sats 2 --ports /dev/ttyUSB0,/dev/ttyUSB1 --baud 115200
  fsw emulate my-scenario.yaml --duration 600
  FSW_EMULATOR__SEED=7 fsw emulate --config fsw.yaml  # see fsw config --help

Needs socat for ptys (Debian: apt-get install -y socat).
Exit status: 0 stopped on request, 1 failure (socat missing, a port would not
open), 2 bad usage (invalid option value, unknown or invalid scenario, --ports
count mismatch, a --pty-dir that is a file).`,
      )
      .action(async (_scenario: string, opts: EmulateOptions, cmd: Command) => {
        // Flags typed over FSW_ variables over the --config file (tools/config/README.md).
        const c = resolveCommandConfig('emulate', cmd, io);
        await runEmulate(c.scenario, { ...opts, ...c.options }, io);
      });
  },
};
