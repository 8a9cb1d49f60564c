import { ConfigFileError, readConfigFile } from '../config-layers.js';
import { ConfigError } from './error.js';
import { agentConfigSchema, type AgentConfig } from './schema.js';
import { formatIssue } from './spec.js';

export { ConfigError };

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
  if (!r.success) throw new ConfigError(source, r.issues.map(formatIssue));
  return deepFreeze(r.data);
}

/** Reads a JSON or YAML file (the reader the layered configuration uses). Throws ConfigError. */
export function loadAgentConfig(path: string): Readonly<AgentConfig> {
  let value: unknown;
  try {
    value = readConfigFile(path);
  } catch (err) {
    if (err instanceof ConfigFileError) throw new ConfigError(path, [err.message]);
    throw err;
  }
  return parseAgentConfig(value, path);
}
