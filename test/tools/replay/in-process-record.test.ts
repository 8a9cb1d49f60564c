import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parseScenario } from '../../../emulator/scenario/load.js';
import { InProcessRun } from '../../../tools/runner/in-process.js';

const tmp = mkdtempSync(join(tmpdir(), 'in-process-record-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('InProcessRun record: a satellite whose file cannot be written is named in recordingProblems; the run and the others go on', async () => {
  const rec = join(tmp, 'rec');
  mkdirSync(join(rec, 'SAT-1.rec'), { recursive: true }); // a directory where the file should be
  const run = new InProcessRun({ scenario: parseScenario({ name: 't', duration_s: 10, constellation: { count: 2 } }), workDir: join(tmp, 'work'), record: rec });
  await run.start();
  await run.runTo(5);
  expect(run.agent('SAT-1').currentMode).toBe('nominal');
  await run.stop();
  expect(run.recordingProblems).toEqual([{ sat: 'SAT-1', at: 0, code: 'E_RECORDING_IO', message: expect.stringContaining('SAT-1.rec') }]);
  expect(existsSync(join(rec, 'SAT-2.rec'))).toBe(true);
  expect(existsSync(join(rec, 'constellation.key'))).toBe(true);
});
