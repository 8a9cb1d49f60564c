/**
 * A command's options from the whole configuration: its `--config` file, then FSW_
 * variables, then the flags the user typed (commander's defaults are not "typed": they are
 * the built-in defaults, below the file). The command keeps its own option object and lays
 * the resolved values over it, so options this module does not know pass through untouched.
 */
import type { Command } from 'commander';
import { mergeLayers, validateSection, type ConfigLayer, type ConfigTree } from '../../firmware-agent/config-layers.js';
import { parseAgentConfig } from '../../firmware-agent/config/load.js';
import type { Scenario } from '../../emulator/scenario/schema.js';
import type { CliIO } from '../commands/common.js';
import { parseSpeed, type Speed } from '../view/pace.js';
import { FswConfigError, resolveConfig, type ResolvedConfig } from './resolve.js';

/** A flag of a command (commander's attribute name, as typed) and the config field it sets. */
export interface FlagBinding {
  option: string;
  flag: string;
  path: string;
  /** The option's value as the config holds it (default: the same). */
  toConfig?: (option: unknown) => unknown;
  /** The config's value as the command takes it (default: the same). */
  fromConfig?: (value: unknown) => unknown;
}

const EMULATOR_FLAGS: FlagBinding[] = [
  { option: 'sats', flag: '--sats', path: 'emulator.sats' },
  { option: 'seed', flag: '--seed', path: 'emulator.seed' },
];

/** The flags of each command that has a configuration, and their fields. */
export const COMMAND_FLAGS = {
  emulate: [
    ...EMULATOR_FLAGS,
    { option: 'ptyDir', flag: '--pty-dir', path: 'emulate.pty_dir' },
    { option: 'ports', flag: '--ports', path: 'emulate.ports' },
    { option: 'groundPort', flag: '--ground-port', path: 'emulate.ground_port' },
    { option: 'baud', flag: '--baud', path: 'emulate.baud' },
    { option: 'duration', flag: '--duration', path: 'emulate.duration_s' },
    { option: 'statusEvery', flag: '--status-every', path: 'emulate.status_every_s' },
  ],
  run: [
    ...EMULATOR_FLAGS,
    { option: 'duration', flag: '--duration', path: 'run.duration_s' },
    { option: 'every', flag: '--every', path: 'run.every_s' },
    { option: 'workDir', flag: '--work-dir', path: 'run.work_dir' },
    { option: 'speed', flag: '--speed', path: 'run.speed', toConfig: (o) => (o as Speed).label, fromConfig: (v) => parseSpeed(String(v)) },
    { option: 'report', flag: '--report/--no-report', path: 'run.report' },
    { option: 'record', flag: '--record', path: 'run.record' },
  ],
} satisfies Record<string, FlagBinding[]>;
export type ConfiguredCommand = keyof typeof COMMAND_FLAGS;

/** The `--config` option's help, the same in every command. */
export const CONFIG_OPTION_HELP = "configuration file, JSON or YAML ('fsw config --help'): defaults < file < FSW_ environment < flags";

export interface CommandConfig {
  resolved: ResolvedConfig;
  /** The scenario to run (the argument, else emulator.scenario). */
  scenario: string;
  /** The bound options' effective values by commander name (unset ones absent): lay over the command's own. */
  options: Record<string, unknown>;
}

/**
 * Resolves `command`'s configuration from `cmd` (the commander command in its action) and
 * prints warnings about ignored FSW_ variables. Throws FswConfigError (bad usage, exit 2).
 */
export function resolveCommandConfig(command: ConfiguredCommand, cmd: Command, io: CliIO, env?: NodeJS.ProcessEnv): CommandConfig {
  const typed = cmd.opts<Record<string, unknown>>();
  const bindings: FlagBinding[] = COMMAND_FLAGS[command];
  const flags = bindings
    .filter((b) => cmd.getOptionValueSource(b.option) === 'cli')
    .map((b) => ({ flag: b.flag, path: b.path.split('.'), value: b.toConfig ? b.toConfig(typed[b.option]) : typed[b.option] }));
  // The scenario argument, when given (its default 'nominal' is the built-in default).
  if (cmd.args.length > 0) flags.push({ flag: 'the scenario argument', path: ['emulator', 'scenario'], value: cmd.args[0] });
  const file = typeof typed.config === 'string' ? typed.config : undefined;
  const resolved = resolveConfig({ ...(file !== undefined ? { file } : {}), ...(env ? { env } : {}), flags });
  for (const w of resolved.warnings) io.err(`fsw ${command}: warning: ${w}\n`);
  const options: Record<string, unknown> = {};
  for (const b of bindings) {
    const [section, field] = b.path.split('.') as [keyof ResolvedConfig['config'], string];
    const v = (resolved.config[section] as unknown as Record<string, unknown>)[field];
    if (v !== null && v !== undefined) options[b.option] = b.fromConfig ? b.fromConfig(v) : v;
  }
  return { resolved, scenario: resolved.config.emulator.scenario, options };
}

/**
 * The scenario with the configuration's explicit agent fields laid over its own `agent:`
 * section (scenario < file < environment < flags; defaults never override the scenario),
 * validated once here so that a bad value names its source. Throws FswConfigError.
 */
export function scenarioWithAgentConfig(scenario: Scenario, resolved: ResolvedConfig | undefined): Scenario {
  if (!resolved || Object.keys(resolved.explicitAgent).length === 0) return scenario;
  const own: ConfigLayer = { source: 'file', value: { agent: scenario.agent as ConfigTree }, nameOf: () => `scenario ${scenario.name}` };
  const layers = [own, ...resolved.layers];
  const checked = validateSection(layers, 'agent', (v) => parseAgentConfig(v, 'agent'));
  if (!checked.ok) throw new FswConfigError(checked.issues);
  return { ...scenario, agent: mergeLayers([scenario.agent as ConfigTree, resolved.explicitAgent]) };
}
