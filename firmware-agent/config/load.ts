import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ConfigError } from './error.js';
import { agentConfigSchema, type AgentConfig } from './schema.js';
import { formatIssue } from './spec.js';

export { ConfigError };

const require = createRequire(import.meta.url);

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
    // JSON needs no parser beyond the built-in one; YAML's is loaded only when a file needs it
    // (it costs start-up time and memory on a board).
    value = path.endsWith('.json') ? JSON.parse(text) : (require('yaml') as typeof import('yaml')).parse(text);
  } catch (err) {
    throw new ConfigError(path, [`not valid YAML/JSON: ${(err as Error).message}`]);
  }
  return parseAgentConfig(value, path);
}
