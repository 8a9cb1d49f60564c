/**
 * `fsw config print`: the effective configuration (built-in defaults, then the config file,
 * then FSW_ environment variables), validated as every command validates it at start, with
 * each value's source on request. The format is documented in tools/config/README.md.
 */
import { Option, type Command } from 'commander';
import { configToJson, configToYaml } from '../config/print.js';
import { resolveConfig, withScenarioDefaults } from '../config/resolve.js';
import type { CliIO, CommandModule } from './common.js';

interface PrintOptions {
  config?: string;
  json?: boolean;
  yaml?: boolean;
  sources?: boolean;
}

const FORMAT_HELP = `
Configuration, lowest precedence first (a later source wins, field by field):
  1. built-in defaults
  2. the config file (--config FILE): JSON or YAML with the sections agent,
     emulator, emulate, run; a plain agent file (the board's format) is read as
     the agent section
  3. environment variables FSW_<SECTION>__<FIELD>[__<SUBFIELD>...], values
     parsed as JSON when they parse, else taken as strings:
     FSW_AGENT__CYCLE_HZ=5, FSW_EMULATOR__SEED=7,
     FSW_AGENT__SWARM__MEMBERS='["SAT-1","SAT-2"]'. An FSW_ variable naming no
     section is ignored with a warning; an unknown field in a known section is
     an error.
  4. the command's own flags (fsw agent, fsw emulate, fsw run)`;

export const configCommand: CommandModule = {
  name: 'config',
  register(program: Command, io: CliIO): Command {
    const config = program
      .command('config')
      .summary('show the effective configuration: defaults, config file, FSW_ environment')
      .description('One configuration for the agent and the emulator: a file, then FSW_ environment variables, then flags. Validated once at start by every command; invalid values exit 2 naming the file, variable or flag, the field and what it allows.')
      .addHelpText(
        'after',
        `${FORMAT_HELP}

Examples:
  fsw config print --config fsw.yaml --sources
  FSW_AGENT__CYCLE_HZ=5 fsw config print --json`,
      );
    config
      .command('print')
      .summary('print the effective configuration (defaults filled), optionally with each value\'s source')
      .description('Prints the configuration every command would start with (with no flags of its own): every field, defaults filled, after validation. Unset emulator.seed, emulator.sats and run.duration_s show the scenario\'s values.')
      .addOption(new Option('--config <file>', 'the config file, JSON or YAML (unified sections, or a plain agent file)'))
      .addOption(new Option('--json', 'print JSON (with --sources: {config, sources})').conflicts('yaml'))
      .addOption(new Option('--yaml', 'print YAML (the default)'))
      .addOption(new Option('--sources', 'say where each value came from: default, file PATH, env FSW_…'))
      .addHelpText(
        'after',
        `${FORMAT_HELP}

Examples:
  fsw config print                                   # the built-in defaults
  fsw config print --config fsw.yaml --sources  # YAML, sources as comments
  FSW_EMULATOR__SEED=7 fsw config print --json --sources

Exit status: 0 printed, 2 bad usage or invalid configuration (each issue names
its source).`,
      )
      .action((opts: PrintOptions) => {
        const resolved = withScenarioDefaults(resolveConfig(opts.config !== undefined ? { file: opts.config } : {}));
        for (const w of resolved.warnings) io.err(`fsw config print: warning: ${w}\n`);
        io.out(opts.json ? configToJson(resolved, !!opts.sources) : configToYaml(resolved, !!opts.sources));
      });
    return config;
  },
};
