import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecording } from '../../../firmware-agent/recorder/index.js';
import { fswInProcess } from '../../helpers/cli.js';
import { recordFaultyRun, rewriteRecording } from './helpers.js';

/**
 * A swarm recording replays from any directory, not only the one its run was started in
 * (QA: `fsw run … --record out/rec`, then `cd elsewhere && fsw replay /path/to/out/rec/SAT-3.rec`
 * exited 2 because the recording kept the key path relative to the run's directory). The
 * vitest pool is `forks`, so process.chdir is allowed; every test puts the cwd back.
 */
const tmp = mkdtempSync(join(tmpdir(), 'replay-elsewhere-'));
const startCwd = process.cwd();
afterAll(() => {
  process.chdir(startCwd);
  rmSync(tmp, { recursive: true, force: true });
});

async function inDir<T>(dir: string, f: () => Promise<T>): Promise<T> {
  mkdirSync(dir, { recursive: true });
  process.chdir(dir);
  try {
    return await f();
  } finally {
    process.chdir(startCwd);
  }
}

interface JsonReport { sessions: { notes: string[] }[]; differences: number }

let rec = '';
beforeAll(async () => {
  // Recorded with a relative directory ('run/rec'), as `fsw run … --record out/rec` does.
  const r = await inDir(join(tmp, 'runcwd'), () => recordFaultyRun('run', true, 60));
  rec = join(tmp, 'runcwd', r.rec);
}, 60_000);

describe('fsw replay from another directory', () => {
  it('the recording keeps the key file as an absolute path; replayed from elsewhere: exit 0, no difference', async () => {
    const h = readRecording(readFileSync(join(rec, 'SAT-1.rec'))).sessions[0]!.header;
    const keyFile = (h.config.swarm as { key_file: string }).key_file;
    expect(isAbsolute(keyFile)).toBe(true);
    expect(keyFile).toBe(join(rec, 'constellation.key'));
    const r = await inDir(join(tmp, 'elsewhere'), () => fswInProcess(['replay', join(rec, 'SAT-1.rec'), '--json']));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as JsonReport).differences).toBe(0);
  }, 60_000);

  it('a recording whose key path cannot be read here (an older relative one, a copied folder) uses the key beside it, and says so', async () => {
    const copy = join(tmp, 'copied');
    mkdirSync(copy);
    // As recordings made before the fix: the path relative to the run's directory.
    rewriteRecording(join(rec, 'SAT-2.rec'), join(copy, 'SAT-2.rec'), (r) =>
      r.type === 'session' ? { ...r, config: { ...r.config, swarm: { ...(r.config.swarm as object), key_file: 'out/rec/constellation.key' } } } : r);
    const noKey = await inDir(join(tmp, 'elsewhere'), () => fswInProcess(['replay', join(copy, 'SAT-2.rec')]));
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain(`constellation key file out/rec/constellation.key cannot be read here (nor is there one beside the recording, in ${copy}): give --key-file FILE`);
    copyFileSync(join(rec, 'constellation.key'), join(copy, 'constellation.key'));
    const r = await inDir(join(tmp, 'elsewhere'), () => fswInProcess(['replay', join(copy, 'SAT-2.rec'), '--json']));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as JsonReport;
    expect(j.differences).toBe(0);
    expect(j.sessions[0]!.notes).toContain(`the recorded constellation key file out/rec/constellation.key cannot be read here: used ${join(copy, 'constellation.key')}, beside the recording`);
  }, 60_000);
});
