import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { agentConfigSchema, type AgentConfig } from './schema.js';

/** A config that does not parse or validate; each issue names the field and what it allows. */
export class ConfigError extends Error {
  readonly code = 'E_CONFIG_INVALID';
  constructor(readonly source: string, readonly issues: string[]) {
    super(`${source}: invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function deepFreeze<T>(x: T): T {
  if (x && typeof x === 'object') {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

/** Validates (filling defaults) and freezes. Throws ConfigError. */
export function parseAgentConfig(value: unknown, source = 'config'): Readonly<AgentConfig> {
  const r = agentConfigSchema.safeParse(value ?? {});
  if (!r.success) {
    throw new ConfigError(source, r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`));
  }
  return deepFreeze(r.data);
}

/** Reads a JSON or YAML file. Throws ConfigError. */
export function loadAgentConfig(path: string): Readonly<AgentConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read: ${(err as Error).message}`]);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new ConfigError(path, [`not valid YAML/JSON: ${(err as Error).message}`]);
  }
  return parseAgentConfig(value, path);
}
