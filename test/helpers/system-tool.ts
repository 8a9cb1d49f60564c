import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Gate for tests that need a system tool (socat, udevadm…).
 *
 * - Tool present: the tests run.
 * - Missing on a developer's machine: the tests are skipped, with a warning that names the
 *   tool and the command that installs it.
 * - Missing with `CI=true`: a test named "<tool> is installed (required in CI)" FAILS, so CI
 *   never goes green by silently skipping hardware-in-the-loop tests.
 */

/** Whether an executable called `name` is on PATH (no shell involved). */
export function hasTool(name: string, path = process.env.PATH ?? ''): boolean {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.CI === '1';
}

export interface ToolGateOptions {
  env?: NodeJS.ProcessEnv;
  /** Overrides PATH lookup (for testing the gate itself). */
  present?: boolean;
}

/**
 * Call at collection time (top level of a test file, or inside a `describe`). Returns whether
 * the tool is present. In CI it also registers a test asserting the tool is there, which
 * fails when it is missing; locally a missing tool only warns.
 */
export function needTool(name: string, install: string, opts: ToolGateOptions = {}): boolean {
  const env = opts.env ?? process.env;
  const present = opts.present ?? hasTool(name, env.PATH ?? '');
  const message = `${name} not found — install with: ${install}`;
  if (isCI(env)) {
    it(`${name} is installed (required in CI)`, () => {
      expect(present, `CI=true and ${message}`).toBe(true);
    });
  } else if (!present) {
    console.warn(`skipping: ${message}`);
    // A visible skipped test in the report names the missing tool and its install command.
    it.skipIf(true)(`${name} is installed (skipped locally: ${message})`, () => {});
  }
  return present;
}

/** `describe` that runs only when the tool is present (see `needTool` for CI behaviour). */
export function describeWithTool(name: string, install: string, opts: ToolGateOptions = {}): typeof describe {
  return describe.skipIf(!needTool(name, install, opts)) as typeof describe;
}

export const SOCAT_INSTALL = 'sudo apt-get install -y socat';
