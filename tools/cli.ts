#!/usr/bin/env node
/**
 * `fsw`: the project's one command line. Each subcommand is one file in tools/commands/
 * exporting a `CommandModule`; add it to COMMANDS below and it gets --help, validated options
 * and the shared exit codes (0 ok, 1 failure, 2 bad usage).
 */
import { Command, CommanderError } from 'commander';
import { isEntryPoint } from '../firmware-agent/entry.js';
import { EXIT, packageVersion, processIO, StatusError, UsageError, type CliIO, type CommandModule, type ExitCode } from './commands/common.js';
import { agentCommand } from './commands/agent.js';
import { emulateCommand } from './commands/emulate.js';
import { runCommand } from './commands/run.js';
import { decodeCommand } from './commands/decode.js';
import { replayCommand } from './commands/replay.js';
import { groundCommand } from './commands/ground.js';
import { configCommand } from './commands/config.js';
import { benchCommand } from './commands/bench.js';

/** Every subcommand, in the order `fsw --help` lists them. */
export const COMMANDS: readonly CommandModule[] = [runCommand, emulateCommand, agentCommand, decodeCommand, replayCommand, configCommand, benchCommand, groundCommand];

export function buildProgram(io: CliIO = processIO): Command {
  const program = new Command('fsw')
    .description('Flight software for a satellite constellation: the on-board agent, its hardware emulator, and the tools around them.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help (also after any subcommand)')
    .helpCommand('help [command]', 'show help for a command')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
    })
    // Bad usage throws a CommanderError instead of exiting; runCli maps it to exit 2.
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit status: 0 ok, 1 failure, 2 bad usage (unknown command or option, invalid value).
Run 'fsw <command> --help' for a command's options.`,
    );
  // Subcommands made with program.command() inherit exitOverride and configureOutput.
  for (const m of COMMANDS) m.register(program, io);
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIO = processIO): Promise<ExitCode> {
  const program = buildProgram(io);
  let current = 'fsw';
  program.hook('preAction', (_root, action) => {
    // The whole path for nested commands: `fsw config print`.
    const names: string[] = [];
    for (let c: Command | null = action; c && c !== program; c = c.parent) names.unshift(c.name());
    current = `fsw ${names.join(' ')}`;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message (or the help / version) already.
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (err instanceof UsageError) {
      io.err(`${current}: error: ${err.message}\n(run '${current} --help' for usage)\n`);
      return EXIT.USAGE;
    }
    const e = err as Error;
    io.err(`${current}: ${e.message ?? String(err)}\n`);
    if (process.env.FSW_DEBUG && e.stack) io.err(`${e.stack}\n`);
    return err instanceof StatusError ? err.exitCode : EXIT.FAILURE;
  }
}

if (isEntryPoint(import.meta.url)) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`fsw: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(EXIT.FAILURE);
    },
  );
}
