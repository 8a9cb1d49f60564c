/**
 * Configuration in layers: built-in defaults, then a file, then the environment, then the
 * command line; a later layer wins, leaf by leaf. This module only reads, merges and tells
 * where each value came from: validation stays with each section's own validator (the
 * agent's is config/load.ts), whose issues `describeIssue` turns into ones that name the
 * variable, flag or file that supplied the bad value.
 *
 * It is board-safe (node builtins; `yaml` only when a YAML file is read): the board entry
 * (main.ts) uses it for the `agent` section, tools/config/ for every section.
 *
 * The file is either the unified format (top-level sections, see CONFIG_SECTIONS) or, for
 * backward compatibility, a plain agent configuration (read as the `agent` section).
 * Environment: `FSW_<SECTION>__<FIELD>[__<SUBFIELD>…]`, e.g. `FSW_AGENT__CYCLE_HZ=5` is
 * agent.cycle_hz; the value is JSON when it parses as JSON, else the string itself.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The unified file's top-level sections (tools/config/ documents each). */
export const CONFIG_SECTIONS = ['agent', 'emulator', 'emulate', 'run'] as const;
export type ConfigSection = (typeof CONFIG_SECTIONS)[number];

/** FSW_ variables that are not configuration (never warned about). */
export const RESERVED_ENV = ['FSW_DEBUG'] as const;
export const ENV_PREFIX = 'FSW_';

export type ConfigSource = 'default' | 'file' | 'env' | 'flag';
/** Where one value came from: the source, and the file path, variable or flag that set it. */
export interface ValueOrigin {
  source: ConfigSource;
  name: string;
}
export type ConfigTree = Record<string, unknown>;

/** One layer: a partial tree, and what set each part of it. */
export interface ConfigLayer {
  source: Exclude<ConfigSource, 'default'>;
  value: ConfigTree;
  /** The file, variable or flag that set `path` (or the leaf above it). */
  nameOf(path: readonly string[]): string;
}

export function isPlainObject(x: unknown): x is ConfigTree {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The value at `path`: objects are walked, arrays indexed; undefined when absent. */
export function valueAt(tree: unknown, path: readonly string[]): unknown {
  let at: unknown = tree;
  for (const key of path) {
    if (isPlainObject(at)) at = at[key];
    else if (Array.isArray(at) && /^\d+$/.test(key)) at = at[Number(key)];
    else return undefined;
  }
  return at;
}

/** Layers merged in order: objects key by key, anything else (arrays included) replaced whole. */
export function mergeLayers(trees: readonly ConfigTree[]): ConfigTree {
  const merge = (a: unknown, b: unknown): unknown => {
    if (!isPlainObject(a) || !isPlainObject(b)) return b;
    const out: ConfigTree = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? merge(out[k], v) : v;
    return out;
  };
  return trees.reduce<ConfigTree>((acc, t) => merge(acc, t) as ConfigTree, {});
}

/** Every leaf's path (objects are walked; an array is one leaf). */
export function leafPaths(tree: unknown, prefix: readonly string[] = []): string[][] {
  if (!isPlainObject(tree) || (Object.keys(tree).length === 0 && prefix.length > 0)) return [[...prefix]];
  return Object.entries(tree).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}

/** The highest layer that set `path` (or a leaf above it, such as a whole array). */
export function originOf(layers: readonly ConfigLayer[], path: readonly string[]): ValueOrigin | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i]!;
    const v = valueAt(l.value, path);
    if (isPlainObject(v)) continue; // a parent: its leaves have origins, it has none of its own
    if (v !== undefined) return { source: l.source, name: l.nameOf(path) };
    for (let n = path.length - 1; n > 0; n--) {
      const above = valueAt(l.value, path.slice(0, n));
      if (above === undefined) continue;
      if (!isPlainObject(above)) return { source: l.source, name: l.nameOf(path.slice(0, n)) };
      break;
    }
  }
  return undefined;
}

/** A nested tree with `value` at `path`. */
export function treeAt(path: readonly string[], value: unknown): ConfigTree {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as ConfigTree;
}

// ── the file ──

/** Reading or parsing a file failed (the message says which and why). */
export class ConfigFileError extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
    this.name = 'ConfigFileError';
  }
}

/** A JSON or YAML file's value (the YAML parser loads only when a YAML file needs it). */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigFileError(path, `cannot read: ${(err as Error).message}`);
  }
  try {
    return path.endsWith('.json') ? JSON.parse(text) : (require('yaml') as typeof import('yaml')).parse(text);
  } catch (err) {
    throw new ConfigFileError(path, `not valid YAML/JSON: ${(err as Error).message}`);
  }
}

/** True when the file's top level names a section (unified format), not agent fields. */
export function isUnifiedConfig(value: unknown): boolean {
  return isPlainObject(value) && Object.keys(value).some((k) => (CONFIG_SECTIONS as readonly string[]).includes(k));
}

/** The file as a layer of the unified tree (a plain agent file becomes the `agent` section). */
export function fileLayer(path: string, value: unknown): { layer: ConfigLayer; unified: boolean } {
  const unified = isUnifiedConfig(value);
  const tree = value === null || value === undefined ? {} : unified ? (value as ConfigTree) : { agent: value };
  return { layer: { source: 'file', value: tree, nameOf: () => path }, unified };
}

// ── the environment ──

/** `FSW_AGENT__SWARM__KEY_FILE` → ['agent', 'swarm', 'key_file']. */
export function envVarPath(name: string): string[] {
  return name.slice(ENV_PREFIX.length).split('__').map((s) => s.toLowerCase());
}

/** `['agent', 'cycle_hz']` → `FSW_AGENT__CYCLE_HZ`. */
export function envVarName(path: readonly string[]): string {
  return ENV_PREFIX + path.map((s) => s.toUpperCase()).join('__');
}

/** JSON when it parses (numbers, booleans, arrays, objects, quoted strings), else the text. */
export function envValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The FSW_ variables of `sections` as a layer. `ignored` lists FSW_ variables that name no
 * section at all (a typo such as FSW_SEED, or a section of a tool this program is not):
 * callers warn about them. A known section with an unknown field is not ignored: the
 * section's validator refuses it, naming the variable.
 */
export function envLayer(env: NodeJS.ProcessEnv, sections: readonly string[] = CONFIG_SECTIONS): { layer: ConfigLayer; ignored: string[] } {
  const vars = new Map<string, string>();
  const ignored: string[] = [];
  let tree: ConfigTree = {};
  for (const name of Object.keys(env).sort()) {
    const text = env[name];
    if (!name.startsWith(ENV_PREFIX) || text === undefined || (RESERVED_ENV as readonly string[]).includes(name)) continue;
    const path = envVarPath(name);
    if (path.length < 2 || path.some((s) => s === '') || !(CONFIG_SECTIONS as readonly string[]).includes(path[0]!)) {
      ignored.push(name);
      continue;
    }
    if (!sections.includes(path[0]!)) continue;
    vars.set(path.join('.'), name);
    tree = mergeLayers([tree, treeAt(path, envValue(text))]);
  }
  const nameOf = (path: readonly string[]): string => {
    for (let n = path.length; n > 0; n--) {
      const v = vars.get(path.slice(0, n).join('.'));
      if (v) return v;
    }
    return envVarName(path);
  };
  return { layer: { source: 'env', value: tree, nameOf }, ignored };
}

/** The warning for FSW_ variables that name no section. */
export function ignoredEnvWarning(ignored: readonly string[]): string {
  return (
    `ignoring ${ignored.join(', ')}: not a configuration variable (configuration variables are ` +
    `FSW_<SECTION>__<FIELD>, sections ${CONFIG_SECTIONS.join(', ')}; e.g. FSW_AGENT__CYCLE_HZ=5, FSW_EMULATOR__SEED=7)`
  );
}

// ── flags ──

/** One command-line value: the flag as typed (`--log-level`) and the field it sets. */
export interface FlagValue {
  flag: string;
  path: readonly string[];
  value: unknown;
}

export function flagLayer(flags: readonly FlagValue[]): ConfigLayer {
  const value = mergeLayers(flags.filter((f) => f.value !== undefined).map((f) => treeAt(f.path, f.value)));
  const nameOf = (path: readonly string[]): string => {
    const hit = flags.find((f) => f.value !== undefined && f.path.length <= path.length && f.path.every((k, i) => k === path[i]));
    return hit?.flag ?? '(command line)';
  };
  return { source: 'flag', value, nameOf };
}

// ── issues ──

/** `a.b.c: message` → its path and message (`(top level)` is the empty path). */
function splitIssue(issue: string): { path: string[]; message: string } | undefined {
  const m = /^([^\s:][^:]*?): (.*)$/s.exec(issue);
  if (!m) return undefined;
  const p = m[1]!.trim();
  return { path: p === '(top level)' ? [] : p.split('.'), message: m[2]! };
}

/** Every origin of an explicit value at or below `path`. */
function originsBelow(layers: readonly ConfigLayer[], path: readonly string[]): ValueOrigin[] {
  const out: ValueOrigin[] = [];
  for (const l of layers) {
    const v = valueAt(l.value, path);
    if (v === undefined) continue;
    for (const leaf of leafPaths(v, path)) out.push({ source: l.source, name: l.nameOf(leaf) });
  }
  return out;
}

/** `name (source)` for each distinct origin. */
export function originText(origins: readonly ValueOrigin[]): string {
  const seen = [...new Map(origins.map((o) => [`${o.name} (${o.source})`, o])).keys()];
  return seen.join(', ');
}

/**
 * A section validator's issue (`field.path: message`, paths relative to `section`), told as
 * `ORIGIN (source) → section.field: message`. The origin is the layer that set that field;
 * for an issue about a parent (an unknown key, a rule across fields) the explicit values
 * below it that the message names, else all of them. Issues whose values all came from the
 * file, when `bareFileIssues` is set, stay as the validator wrote them (the error's heading
 * names the file), so a plain agent file's messages read as they always have.
 */
export function describeIssue(
  issue: string,
  layers: readonly ConfigLayer[],
  section: readonly string[],
  opts: { fieldPrefix?: string; bareFileIssues?: boolean } = {},
): string {
  const parsed = splitIssue(issue);
  const prefix = opts.fieldPrefix ?? (section.length ? `${section.join('.')}.` : '');
  if (!parsed) {
    const all = originsBelow(layers, section);
    return all.length ? `${originText(all)} → ${issue}` : issue;
  }
  const full = [...section, ...parsed.path];
  const field = parsed.path.length ? `${prefix}${parsed.path.join('.')}` : prefix.replace(/\.$/, '') || '(top level)';
  let origins: ValueOrigin[] = [];
  const direct = originOf(layers, full);
  if (direct) origins = [direct];
  else {
    const below = originsBelow(layers, full);
    // An issue about a parent: prefer the children its message names.
    const named = layers.flatMap((l) => {
      const v = valueAt(l.value, full);
      if (!isPlainObject(v)) return [];
      return Object.keys(v)
        .filter((k) => new RegExp(`(^|[^A-Za-z0-9_])${k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^A-Za-z0-9_]|$)`).test(parsed.message))
        .flatMap((k) => originsBelow([l], [...full, k]));
    });
    origins = named.length ? named : below;
  }
  const text = `${field}: ${parsed.message}`;
  if (origins.length === 0) return `${text} (built-in default)`;
  if (opts.bareFileIssues && origins.every((o) => o.source === 'file')) return text;
  return `${originText(origins)} → ${text}`;
}

/** A validator's refusal: anything with `issues: string[]` (ConfigError, ScenarioError, …). */
function issuesOf(err: unknown): string[] | undefined {
  const issues = (err as { issues?: unknown } | null)?.issues;
  return Array.isArray(issues) && issues.every((i) => typeof i === 'string') ? issues : undefined;
}

/**
 * One section of the layers, merged and validated by `validate` (which fills defaults and
 * throws an error carrying `issues`). Resolves to the valid value, or to the issues told with
 * their origins (see describeIssue).
 */
export function validateSection<T>(
  layers: readonly ConfigLayer[],
  section: ConfigSection,
  validate: (value: ConfigTree) => T,
  opts: { fieldPrefix?: string; bareFileIssues?: boolean } = {},
): { ok: true; value: T } | { ok: false; issues: string[] } {
  const merged = mergeLayers(layers.map((l) => (isPlainObject(l.value[section]) ? (l.value[section] as ConfigTree) : {})));
  // A section that is not a map at all (e.g. `agent: 5`) cannot be merged: say so first.
  const bad = layers.filter((l) => l.value[section] !== undefined && l.value[section] !== null && !isPlainObject(l.value[section]));
  if (bad.length) return { ok: false, issues: bad.map((l) => `${l.nameOf([section])} (${l.source}) → ${section}: must be a map of fields`) };
  try {
    return { ok: true, value: validate(merged) };
  } catch (err) {
    const issues = issuesOf(err);
    if (!issues) throw err;
    return { ok: false, issues: issues.map((i) => describeIssue(i, layers, [section], opts)) };
  }
}

/** The board's configuration: the agent section alone, from the same sources. */
export interface AgentSectionOptions {
  /** `--config`: a plain agent file or a unified one (only its `agent` section is read). */
  file?: string;
  env: NodeJS.ProcessEnv;
  /** Typed flags, paths from the top (`['agent', 'observability', 'log_level']`). */
  flags?: readonly FlagValue[];
}

/**
 * The agent's configuration: defaults < file < FSW_AGENT__* variables < flags, validated by
 * `parse` (parseAgentConfig). Issues from a plain file read as they always have (`cycle_hz:
 * …` under a heading naming the file); those from a variable or a flag name it
 * (`FSW_AGENT__CYCLE_HZ (env) → cycle_hz: …`). Throws `makeError(source, issues)`.
 */
export function resolveAgentSection<T>(
  opts: AgentSectionOptions,
  parse: (value: ConfigTree, source: string) => T,
  makeError: (source: string, issues: string[]) => Error,
  source: string,
): { config: T; warnings: string[] } {
  const layers: ConfigLayer[] = [];
  let fieldPrefix = '';
  if (opts.file !== undefined) {
    let value: unknown;
    try {
      value = readConfigFile(opts.file);
    } catch (err) {
      if (err instanceof ConfigFileError) throw makeError(source, [err.message]);
      throw err;
    }
    const { layer, unified } = fileLayer(opts.file, value);
    if (unified) {
      fieldPrefix = 'agent.';
      const unknown = Object.keys(layer.value).filter((k) => !(CONFIG_SECTIONS as readonly string[]).includes(k));
      if (unknown.length) throw makeError(source, unknown.map((k) => `${k}: unknown section; the sections are ${CONFIG_SECTIONS.join(', ')}`));
    }
    layers.push(layer);
  }
  const env = envLayer(opts.env, ['agent']);
  layers.push(env.layer);
  if (opts.flags?.length) layers.push(flagLayer(opts.flags));
  const r = validateSection(layers, 'agent', (v) => parse(v, source), { fieldPrefix, bareFileIssues: true });
  if (!r.ok) throw makeError(source, r.issues);
  return { config: r.value, warnings: env.ignored.length ? [ignoredEnvWarning(env.ignored)] : [] };
}
