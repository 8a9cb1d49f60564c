/**
 * `fsw agent`: run one flight-software agent on a serial port or a pty, in real time. The
 * same program as the board entry `node dist/firmware-agent/main.js` (one implementation:
 * this command checks the options for its help and error messages, then hands them to that
 * `main`).
 */
import { CommanderError, Option, type Command } from 'commander';
import { AGENT_EXIT, DEFAULT_BAUD, DEFAULT_JOURNAL, DEFAULT_RECORD_MAX_BYTES, EXIT_STATUS_HELP, LOG_LEVELS, main } from '../../firmware-agent/main.js';
import { baudArg, intArg, StatusError, type CliIO, type CommandModule } from './common.js';

export interface AgentCommandOptions {
  port: string;
  baud: number;
  id?: string;
  config?: string;
  journal: string;
  logLevel?: string;
  metricsPort?: number;
  record?: string;
  recordMaxBytes?: number;
}

/** A status of the agent that `fsw`'s own 0/1/2 cannot say (3, 75, or a runtime failure). */
export class AgentExitError extends StatusError {
  constructor(exitCode: number) {
    super(
      exitCode,
      exitCode === AGENT_EXIT.PORT_UNAVAILABLE
        ? `stopped: the serial port could not be opened (agent status ${exitCode})`
        : exitCode === AGENT_EXIT.HARDWARE_RESET
          ? `stopped: the hardware reset the flight computer (agent status ${exitCode}); run it again`
          : `stopped: runtime failure (agent status ${exitCode})`,
    );
    this.name = 'AgentExitError';
  }
}

/** The command line of firmware-agent/main.ts for these options. */
export function agentArgv(o: AgentCommandOptions): string[] {
  const argv = ['--port', o.port, '--baud', String(o.baud), '--journal', o.journal];
  if (o.id !== undefined) argv.push('--id', o.id);
  if (o.config !== undefined) argv.push('--config', o.config);
  if (o.logLevel !== undefined) argv.push('--log-level', o.logLevel);
  if (o.metricsPort !== undefined) argv.push('--metrics-port', String(o.metricsPort));
  if (o.record !== undefined) argv.push('--record', o.record);
  if (o.recordMaxBytes !== undefined) argv.push('--record-max-bytes', String(o.recordMaxBytes));
  return argv;
}

const DESCRIPTION = [
  'Run one flight-software agent on a serial port in real time: it opens the port, says hello to the hardware (PROTOCOL.md), and runs its decision loop until SIGINT or SIGTERM.',
  'The port is the satellite hardware\'s: a UART or USB-serial adapter wired to a board, or a pseudo-terminal printed by \'fsw emulate\'. JSON log lines go to stdout, one per event; messages for people go to stderr.',
  'On a board without the tools, run the same program as: node dist/firmware-agent/main.js --port PATH [options]',
].join('\n\n');

export const agentCommand: CommandModule = {
  name: 'agent',
  register(program: Command, io: CliIO): Command {
    return program
      .command('agent')
      .summary('run one agent on a serial port or pty (JSON logs on stdout)')
      .description(DESCRIPTION)
      .requiredOption('--port <path>', 'the satellite hardware\'s serial port, 8N1, no flow control (e.g. /dev/serial0, /dev/ttyUSB0, or a path printed by fsw emulate)')
      .addOption(new Option('--baud <n>', 'baud rate (50 to 4000000)').argParser(baudArg).default(DEFAULT_BAUD))
      .addOption(new Option('--id <sat-id>', 'the id on every log line (default: the satellite id from the hardware\'s hello; "agent" until then)'))
      .addOption(new Option('--config <file>', "agent configuration, YAML or JSON: a plain agent file or a unified fsw file (its agent: section); FSW_AGENT__<FIELD> variables override it, flags override both ('fsw config --help')"))
      .addOption(new Option('--journal <file>', 'journal kept across restarts (in-flight and finished actions, mode, counters); created if missing').default(DEFAULT_JOURNAL))
      .addOption(new Option('--log-level <level>', 'log level (overrides observability.log_level; default info)').choices(LOG_LEVELS))
      .addOption(
        new Option('--metrics-port <n>', 'serve Prometheus text at http://127.0.0.1:<n>/metrics, 0 = off (overrides observability.metrics_port; default 0)').argParser(intArg(0, 65535)),
      )
      .addOption(new Option('--record <file>', 'flight recorder: append every frame received and sent (with its time), every decision and mode change to <file>, one session per start; replay it with fsw replay <file>'))
      .addOption(new Option('--record-max-bytes <n>', `stop recording once the file would pass <n> bytes (default ${DEFAULT_RECORD_MAX_BYTES})`).argParser(intArg(65536)))
      .addHelpText(
        'after',
        `
Example, on a laptop:
  fsw emulate nominal --sats 1 --pty-dir /tmp/sats   # serves /tmp/sats/SAT-1
  fsw agent --port /tmp/sats/SAT-1 --journal /tmp/SAT-1.journal \\
    | jq -c 'select(.code != "LINK_STATE")'
  fsw agent --port /dev/ttyUSB0 --config agent.yaml --metrics-port 9464
  fsw agent --port /tmp/sats/SAT-1 --record /tmp/SAT-1.rec   # flight recorder
  fsw replay /tmp/SAT-1.rec                                  # after Ctrl-C

${EXIT_STATUS_HELP}`,
      )
      .action(async (opts: AgentCommandOptions) => {
        const code = await main(agentArgv(opts), {
          out: io.out,
          err: io.err,
          onSignal: io.onSignal,
          logDestination: { write: (line: string) => io.out(line) },
          prog: 'fsw agent',
        });
        if (code === AGENT_EXIT.OK) return;
        // main has printed why; these only carry the status to runCli.
        if (code === AGENT_EXIT.USAGE) throw new CommanderError(code, 'fsw.agent.usage', 'bad usage (reported above)');
        throw new AgentExitError(code);
      });
  },
};
