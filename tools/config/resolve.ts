/**
 * The effective `fsw` configuration: built-in defaults, then the config file, then FSW_
 * environment variables, then the command's flags (a later source wins, leaf by leaf),
 * validated once, each leaf tagged with where it came from. Format and rules: README.md here.
 */
import { parseAgentConfig } from '../../firmware-agent/config/load.js';
import type { AgentConfig } from '../../firmware-agent/config/schema.js';
import {
  CONFIG_SECTIONS,
  ConfigFileError,
  envLayer,
  fileLayer,
  flagLayer,
  ignoredEnvWarning,
  isPlainObject,
  leafPaths,
  mergeLayers,
  originOf,
  originText,
  readConfigFile,
  validateSection,
  valueAt,
  type ConfigLayer,
  type ConfigTree,
  type FlagValue,
  type ValueOrigin,
} from '../../firmware-agent/config-layers.js';
import { resolveScenario, ScenarioError } from '../../emulator/scenario/load.js';
import { UsageError } from '../commands/common.js';
import { parseToolSection, TOOL_SECTIONS, type ToolSection } from './sections.js';

export interface EmulatorSection {
  scenario: string;
  seed: number | null;
  sats: number | null;
}
export interface EmulateSection {
  pty_dir: string | null;
  ports: string[] | null;
  ground_port: string | null;
  baud: number;
  duration_s: number | null;
  status_every_s: number;
}
export interface RunSection {
  duration_s: number | null;
  every_s: number;
  work_dir: string | null;
  /** `max`, `realtime` or `xK`. */
  speed: string;
  report: string | false | null;
}
export interface FswConfig {
  agent: Readonly<AgentConfig>;
  emulator: EmulatorSection;
  emulate: EmulateSection;
  run: RunSection;
}

export interface ResolveOptions {
  /** The config file (`--config`), JSON or YAML, unified or a plain agent file. */
  file?: string;
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** The command's flags that the user typed (not commander's defaults). */
  flags?: readonly FlagValue[];
}

export interface ResolvedConfig {
  config: FswConfig;
  /** Where each leaf came from, by dotted path (`agent.cycle_hz`). */
  sources: Map<string, ValueOrigin>;
  /** FSW_ variables that were ignored, and why: print them as warnings. */
  warnings: string[];
  /** The agent fields set by the file, environment or flags (no defaults): what `fsw run` lays over a scenario's own agent section. */
  explicitAgent: ConfigTree;
  layers: ConfigLayer[];
}

/** Invalid configuration: bad usage (exit 2). Each issue names its origin, the field and what it allows. */
export class FswConfigError extends UsageError {
  readonly code = 'E_FSW_CONFIG_INVALID';
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'FswConfigError';
  }
}

export const DEFAULT_ORIGIN: ValueOrigin = { source: 'default', name: 'built-in' };

/** The layers (file, environment, flags) and the warnings about ignored variables. Throws FswConfigError. */
export function configLayers(opts: ResolveOptions): { layers: ConfigLayer[]; warnings: string[] } {
  const layers: ConfigLayer[] = [];
  if (opts.file !== undefined) {
    let value: unknown;
    try {
      value = readConfigFile(opts.file);
    } catch (err) {
      if (err instanceof ConfigFileError) throw new FswConfigError([`${err.path} (file): ${err.message}`]);
      throw err;
    }
    if (value !== null && value !== undefined && !isPlainObject(value)) {
      throw new FswConfigError([`${opts.file} (file): must be a map of sections (${CONFIG_SECTIONS.join(', ')}) or of agent fields`]);
    }
    const { layer } = fileLayer(opts.file, value);
    const unknown = Object.keys(layer.value).filter((k) => !(CONFIG_SECTIONS as readonly string[]).includes(k));
    if (unknown.length) {
      throw new FswConfigError(unknown.map((k) => `${opts.file} (file) → ${k}: unknown section; the sections are ${CONFIG_SECTIONS.join(', ')}`));
    }
    layers.push(layer);
  }
  const env = envLayer(opts.env ?? process.env);
  layers.push(env.layer);
  if (opts.flags?.length) layers.push(flagLayer(opts.flags));
  return { layers, warnings: env.ignored.length ? [ignoredEnvWarning(env.ignored)] : [] };
}

/** Resolves and validates every section. Throws FswConfigError listing every bad value. */
export function resolveConfig(opts: ResolveOptions = {}): ResolvedConfig {
  const { layers, warnings } = configLayers(opts);
  const issues: string[] = [];
  const agent = validateSection(layers, 'agent', (v) => parseAgentConfig(v, 'agent'));
  if (!agent.ok) issues.push(...agent.issues);
  const tools: Partial<Record<ToolSection, Record<string, unknown>>> = {};
  for (const section of Object.keys(TOOL_SECTIONS) as ToolSection[]) {
    const r = validateSection(layers, section, (v) => parseToolSection(section, v));
    if (r.ok) tools[section] = r.value;
    else issues.push(...r.issues);
  }
  if (issues.length || !agent.ok) throw new FswConfigError(issues);

  const config = { agent: agent.value, ...tools } as unknown as FswConfig;
  const sources = new Map<string, ValueOrigin>();
  for (const path of leafPaths(config)) sources.set(path.join('.'), originOf(layers, path) ?? DEFAULT_ORIGIN);
  const explicitAgent = layers.reduce<ConfigTree>((acc, l) => {
    const a = valueAt(l.value, ['agent']);
    return isPlainObject(a) ? mergeLayers([acc, a]) : acc;
  }, {});
  return { config, sources, warnings, explicitAgent, layers };
}

/**
 * The unset fields whose default is the scenario's (emulator.seed, emulator.sats,
 * run.duration_s) filled from it, with the source `default (scenario NAME)`: what a run of
 * this configuration would use. Throws FswConfigError when the scenario does not load.
 */
export function withScenarioDefaults(r: ResolvedConfig): ResolvedConfig {
  const name = r.config.emulator.scenario;
  let scenario;
  try {
    scenario = resolveScenario(name);
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    const origin = r.sources.get('emulator.scenario') ?? DEFAULT_ORIGIN;
    throw new FswConfigError([`${originText([origin])} → emulator.scenario: ${err.message}`]);
  }
  const from: ValueOrigin = { source: 'default', name: `scenario ${scenario.name}` };
  const sources = new Map(r.sources);
  const fill = <T>(path: string, value: T | null, scenarioValue: T): T => {
    if (value !== null) return value;
    sources.set(path, from);
    return scenarioValue;
  };
  const config: FswConfig = {
    ...r.config,
    emulator: { ...r.config.emulator, seed: fill('emulator.seed', r.config.emulator.seed, scenario.seed), sats: fill('emulator.sats', r.config.emulator.sats, scenario.constellation.count) },
    run: { ...r.config.run, duration_s: fill('run.duration_s', r.config.run.duration_s, scenario.duration_s) },
  };
  return { ...r, config, sources };
}
