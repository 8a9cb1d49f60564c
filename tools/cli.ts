#!/usr/bin/env node
/**
 * `fsw`: the project's one command line. Each subcommand is one file in tools/commands/
 * exporting a `CommandModule`; add it to COMMANDS below and it gets --help, validated options
 * and the shared exit codes (0 ok, 1 failure, 2 bad usage).
 */
import { Command, CommanderError, Help, type HelpContext, type Option } from 'commander';
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

/** What a user types to reach `cmd`: `fsw`, `fsw run`, `fsw config print`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Hand-broken description text (lines ~95 columns apart) reflowed before commander wraps it to
 * the terminal: each paragraph (blank-line separated) becomes one line, so it is wrapped once,
 * at the real width, instead of wrapped again at 80 into ragged half-lines. A paragraph with
 * an indented line (a list, an example) is left as written.
 */
export function joinHandBrokenLines(text: string): string {
  return text
    .split(/\n[^\S\n]*\n/)
    .map((p) => (/(^|\n)[^\S\n]/.test(p) ? p : p.replace(/[^\S\n]*\n[^\S\n]*/g, ' ')))
    .join('\n\n');
}

class FswHelp extends Help {
  override boxWrap(str: string, width: number): string {
    return super.boxWrap(joinHandBrokenLines(str), width);
  }
}

/** commander's Command with fsw's help layout; a bare group command (`fsw config`) says a
 *  subcommand is needed before its help (on stderr, exit 2). */
class FswCommand extends Command {
  override createCommand(name?: string): FswCommand {
    return new FswCommand(name);
  }
  override createHelp(): Help {
    return Object.assign(new FswHelp(), this.configureHelp());
  }
  override help(context?: HelpContext | ((str: string) => string)): never {
    if (typeof context === 'object' && context.error && this.commands.length > 0) {
      const subs = this.commands.map((c) => c.name()).filter((n) => n !== 'help');
      this.configureOutput().writeErr?.(`${commandPath(this)}: error: a ${this.parent ? 'sub' : ''}command is needed: ${subs.join(', ')}\n\n`);
    }
    return super.help(context as HelpContext);
  }
}

/**
 * Usage errors the same way for every command, nested ones too: `fsw config print: error: …`
 * then `(run 'fsw config print --help' for usage)`, as runCli prints a UsageError. And an
 * unknown option is reported before a missing required one: commander checks required
 * options first (`fsw agent --bogus` would say "--port not specified"), so required options
 * are checked here instead, in a preAction hook, which runs after commander's unknown-option
 * and argument checks.
 */
function applyUsageConventions(program: Command): void {
  const required = new Map<Command, Option[]>();
  const visit = (cmd: Command): void => {
    const path = commandPath(cmd);
    cmd.configureOutput({ outputError: (str, write) => write(`${path}: ${str}`) });
    cmd.showHelpAfterError(`(run '${path} --help' for usage)`);
    const mandatory = cmd.options.filter((o) => o.mandatory);
    for (const o of mandatory) o.makeOptionMandatory(false);
    if (mandatory.length > 0) required.set(cmd, mandatory);
    cmd.commands.forEach(visit);
  };
  visit(program);
  program.hook('preAction', (_root, action) => {
    for (let c: Command | null = action; c; c = c.parent) {
      for (const o of required.get(c) ?? []) {
        if (c.getOptionValue(o.attributeName()) === undefined) {
          c.error(`error: required option '${o.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue' });
        }
      }
    }
  });
}

export function buildProgram(io: CliIO = processIO): Command {
  const program = new FswCommand('fsw')
    .description('Flight software for a satellite constellation: the on-board agent, its hardware emulator, and the tools around them.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help (also after any subcommand)')
    .helpCommand('help [command]', 'show help for a command')
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
    })
    // Bad usage throws a CommanderError instead of exiting; runCli maps it to exit 2.
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit status: 0 ok, 1 failure, 2 bad usage (unknown command or option, invalid
value). Run 'fsw <command> --help' for a command's options.`,
    );
  // Subcommands made with program.command() inherit exitOverride and configureOutput.
  for (const m of COMMANDS) m.register(program, io);
  applyUsageConventions(program);
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIO = processIO): Promise<ExitCode> {
  const program = buildProgram(io);
  let current = 'fsw';
  program.hook('preAction', (_root, action) => {
    current = commandPath(action); // the whole path for nested commands: `fsw config print`
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
