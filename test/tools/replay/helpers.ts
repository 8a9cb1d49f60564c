import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../../emulator/scenario/load.js';
import {
  encodeRecordingRecord, readRecording, recordingFileHeader, SESSION_MARKER, type RecordingRecord,
} from '../../../firmware-agent/recorder/index.js';
import { InProcessRun } from '../../../tools/runner/in-process.js';

/**
 * Two satellites for 240 virtual seconds with faults on both: SAT-1's payload runs away
 * thermally from 20 s (degraded), SAT-2's thermal sensor drops out at 60–120 s (degraded, then
 * nominal) and SAT-2 is powered off at 150 s and on at 170 s (a second boot: a second session,
 * booted from its journal). Recorded into `<dir>/rec` (with the run's key file); journals in `<dir>/work`.
 */
export async function recordFaultyRun(dir: string, swarm: boolean, durationS = 240): Promise<{ rec: string; work: string }> {
  const scenario = parseScenario({
    name: 'replay-test', seed: 3, duration_s: durationS, constellation: { count: 2 },
    faults: [
      { at_s: 20, sat: 'SAT-1', fault: 'thermal_runaway', params: { node: 'payload', watts: 40 }, until_s: 200 },
      { at_s: 60, sat: 'SAT-2', fault: 'dropout', params: { dev: 'thermal' }, until_s: 120 },
      { at_s: 150, sat: 'SAT-2', fault: 'power_off', params: {}, until_s: 170 },
    ],
    agent: { swarm: { enabled: swarm } },
  });
  const rec = join(dir, 'rec');
  const work = join(dir, 'work');
  const run = new InProcessRun({ scenario, workDir: work, record: rec });
  await run.start();
  await run.runTo(durationS);
  await run.stop();
  return { rec, work };
}

/** Writes a copy of a recording with `edit` applied to every record (session headers included). */
export function rewriteRecording(from: string, to: string, edit: (r: RecordingRecord, session: number) => RecordingRecord): void {
  const rec = readRecording(readFileSync(from));
  const parts: Buffer[] = [recordingFileHeader()];
  rec.sessions.forEach((s, i) => {
    parts.push(SESSION_MARKER, encodeRecordingRecord(edit(s.header, i)));
    for (const e of s.events) parts.push(encodeRecordingRecord(edit(e, i)));
  });
  writeFileSync(to, Buffer.concat(parts));
}
