import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { describeScenarioIssues } from './issues.js';
import { scenarioSchema, type Scenario } from './schema.js';

/** A scenario that does not parse or validate; `issues` name each bad field. */
export class ScenarioError extends Error {
  readonly code = 'E_SCENARIO_INVALID';
  constructor(readonly source: string, readonly issues: string[]) {
    super(`${source}: invalid scenario:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ScenarioError';
  }
}

/**
 * Validates an already-parsed scenario object. Throws ScenarioError. A map without a `name`
 * gets `defaultName` (a file's base name when loaded from a file; the schema's 'scenario').
 */
export function parseScenario(value: unknown, source = 'scenario', defaultName?: string): Scenario {
  const named = defaultName !== undefined && isMap(value) && value.name === undefined ? { ...value, name: defaultName } : value;
  const r = scenarioSchema.safeParse(named);
  if (!r.success) throw new ScenarioError(source, describeScenarioIssues(r.error, named, scenarioSchema));
  return Object.freeze(r.data) as Scenario;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses YAML or JSON text (JSON is YAML). Throws ScenarioError. */
export function parseScenarioText(text: string, source = 'scenario', defaultName?: string): Scenario {
  let value: unknown;
  try {
    value = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new ScenarioError(source, [`not valid YAML/JSON: ${(err as Error).message}`]);
  }
  return parseScenario(value, source, defaultName);
}

/** A scenario file; `name` defaults to the file's base name (my-scenario.yaml: my-scenario). */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ScenarioError(path, [`cannot read: ${(err as Error).message}`]);
  }
  return parseScenarioText(text, path, basename(path, extname(path)));
}

const here = dirname(fileURLToPath(import.meta.url));
/** Shipped scenarios live beside the source; compiled JS in dist/ reads them from there. */
export const BUILTIN_DIR = existsSync(join(here, 'scenarios')) ? join(here, 'scenarios') : resolve(here, '../../../emulator/scenario/scenarios');

export function builtinScenarioNames(): string[] {
  return readdirSync(BUILTIN_DIR)
    .filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f)))
    .map((f) => basename(f, extname(f)))
    .sort();
}

/** A shipped scenario by name (`nominal`, `thermal-runaway`, …) or a path to a file. */
export function resolveScenario(nameOrPath: string): Scenario {
  if (builtinScenarioNames().includes(nameOrPath)) return loadScenarioFile(join(BUILTIN_DIR, `${nameOrPath}.yaml`));
  return loadScenarioFile(nameOrPath);
}
