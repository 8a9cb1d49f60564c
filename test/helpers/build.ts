import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root and the built CLI, for tests that run real child processes. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist/tools/cli.js');

/** Every .ts file under the given folders of the repository (missing folders are skipped). */
export function sourceFiles(dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.push(p);
    }
  };
  for (const d of dirs) if (existsSync(join(ROOT, d))) walk(join(ROOT, d));
  return out;
}

/** Builds dist/ once if it is missing or older than the sources (one test file builds, the others wait). */
function newestSourceMs(): number {
  return Math.max(0, ...sourceFiles(['hal', 'firmware-agent', 'emulator', 'tools']).map((p) => statSync(p).mtimeMs));
}
function builtMs(): number {
  const stamp = join(ROOT, 'dist/.fsw-cli-build-stamp');
  return Math.max(existsSync(CLI) ? statSync(CLI).mtimeMs : 0, existsSync(stamp) ? statSync(stamp).mtimeMs : 0);
}
export async function ensureBuilt(): Promise<void> {
  if (existsSync(CLI) && builtMs() >= newestSourceMs()) return;
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const lock = join(ROOT, 'dist/.fsw-cli-build-lock');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      mkdirSync(lock); // atomic: one test file builds, the others wait
      break;
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 60_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited 60 s for ${lock}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    if (existsSync(CLI) && builtMs() >= newestSourceMs()) return;
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    // Type errors elsewhere still emit; only a missing CLI is fatal here (typecheck reports the rest).
    if (!existsSync(CLI)) throw new Error(`build did not produce ${CLI}:\n${r.stdout}${r.stderr}`);
    // As `npm run build` does: the two entry points run as programs (their first lines name node).
    for (const f of [CLI, join(ROOT, 'dist/firmware-agent/main.js')]) if (existsSync(f)) chmodSync(f, 0o755);
    writeFileSync(join(ROOT, 'dist/.fsw-cli-build-stamp'), '');
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

