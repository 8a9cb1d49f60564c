import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * A temporary directory for one test file, removed after its tests, and `file(name, text)`
 * that writes a fresh file in it (numbered, so two tests never share one) and returns its path.
 */
export function tempFiles(prefix: string): { dir: string; file: (name: string, text: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return {
    dir,
    file(name, text) {
      const p = join(dir, `${n++}-${name}`);
      writeFileSync(p, text);
      return p;
    },
  };
}
