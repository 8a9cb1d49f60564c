/**
 * `fsw replay FILE`: feed a flight recording's hardware frames into a fresh agent on the
 * virtual clock and report every decision, mode change and command that differs from the
 * recording (exit 1 if any). A bug seen on a board becomes a reproducible test.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { isRecordingError, readRecording, type Recording } from '../../firmware-agent/recorder/index.js';
import { replaySession, ReplayInputError, type SessionResult } from '../replay/session-replay.js';
import { checkFileArg, intArg, StatusError, UsageError, type CliIO, type CommandModule } from './common.js';

export interface ReplayCommandOptions {
  keyFile?: string;
  session?: number;
  json?: boolean;
}

const s3 = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;

function sessionText(r: SessionResult, total: number): string {
  const lines = [`session ${r.session} of ${total}: ${r.sat}, agent clock ${s3(r.start)} to ${s3(r.end)}${r.ended ? ` (stopped: ${r.endReason})` : ''}`];
  for (const n of r.notes) lines.push(`  note: ${n}`);
  const c = r.counts;
  lines.push(`  recorded ${c.decision.recorded} decisions, ${c.mode.recorded} mode changes, ${c.cmd.recorded} commands; replayed ${c.decision.replayed}, ${c.mode.replayed}, ${c.cmd.replayed}`);
  for (const d of r.differences) {
    const what = d.kind === 'changed' ? `expected ${d.expected}, got ${d.actual}${d.actual_t !== d.expected_t ? ` (at ${s3(d.actual_t!)})` : ''}` : d.kind === 'missing' ? `expected ${d.expected}, the replay did not` : `the replay did ${d.actual}, the recording did not`;
    lines.push(`  DIFF t=${s3(d.t)} ${d.stream}: ${what}`);
  }
  const virtualS = (r.end - r.start) / 1000;
  lines.push(`  ${r.differences.length === 0 ? 'identical' : `${r.differences.length} difference${r.differences.length === 1 ? '' : 's'}`}; ${virtualS.toFixed(1)} virtual s replayed in ${(r.wallMs / 1000).toFixed(2)} wall s`);
  return lines.join('\n') + '\n';
}

function load(file: string): Recording {
  try {
    return readRecording(readFileSync(file));
  } catch (err) {
    if (isRecordingError(err)) throw new StatusError(1, `${file}: ${err.code}: ${err.message}`);
    throw new StatusError(1, `${file}: cannot read: ${(err as Error).message}`);
  }
}

export async function runReplay(file: string, opts: ReplayCommandOptions, io: CliIO): Promise<SessionResult[]> {
  checkFileArg(file, 'FILE', 'one flight recording file, e.g. out/rec/SAT-1.rec');
  const rec = load(file);
  const total = rec.sessions.length;
  if (opts.session !== undefined && opts.session > total) throw new UsageError(`--session ${opts.session}: the recording has ${total} session${total === 1 ? '' : 's'}`);
  const problems = rec.problems.map((p) => ({ ...p, session: p.session === null ? null : p.session + 1 }));
  for (const p of problems) io.err(`fsw replay: warning: ${p.code}: ${p.why}${p.offset >= 0 ? ` (byte ${p.offset})` : ''}; the good records before it are replayed\n`);
  const results: SessionResult[] = [];
  for (let i = 0; i < total; i++) {
    if (opts.session !== undefined && opts.session !== i + 1) continue;
    let r: SessionResult;
    try {
      r = await replaySession(rec.sessions[i]!, i, { recordingFile: file, ...(opts.keyFile ? { keyFile: opts.keyFile } : {}) });
    } catch (err) {
      if (err instanceof ReplayInputError) throw new UsageError(err.message);
      throw err;
    }
    results.push(r);
    if (!opts.json) io.out(sessionText(r, total));
  }
  const diffs = results.reduce((n, r) => n + r.differences.length, 0);
  if (opts.json) io.out(`${JSON.stringify({ file, sessions: results, problems, differences: diffs })}\n`);
  else io.out(`${results.length} session${results.length === 1 ? '' : 's'} replayed: ${diffs === 0 ? 'no differences' : `${diffs} difference${diffs === 1 ? '' : 's'}`}\n`);
  if (diffs > 0) throw new StatusError(1, `${diffs} difference${diffs === 1 ? '' : 's'} from the recording`);
  return results;
}

export const replayCommand: CommandModule = {
  name: 'replay',
  register(program: Command, io: CliIO): Command {
    return program
      .command('replay')
      .summary('replay a flight recording into a fresh agent and report what it did differently')
      .description(
        'Reads a flight recording (written by `fsw agent --record FILE`, the board entry `main.js --record FILE`,\n' +
          'or an in-process run\'s record directory) and, for each boot in it, feeds the recorded hardware frames\n' +
          'into a fresh agent on the virtual clock, booted from the journal it had, with the configuration it\n' +
          'had. Every decision (id, action, rule), mode change (from, to) and command (dev, op, args) that\n' +
          'differs from the recording is printed with its time (agent clock).\n\n' +
          'A recording made with the swarm on needs the constellation key (never written into a recording):\n' +
          'the recorded key_file path is used when it is readable here, else a key file of that name\n' +
          'or constellation.key beside the recording, else give --key-file. The constellation.key that\n' +
          '`fsw run --record DIR` writes into DIR is the simulated key, derived from the public seed; a\n' +
          'board\'s key is never written into a recording.',
      )
      .argument('<file>', 'a flight recording (.rec)')
      .addOption(new Option('--key-file <file>', 'the constellation key file, for a recording made with the swarm on'))
      .addOption(new Option('--session <n>', 'replay only this session (1 = the first boot in the file)').argParser(intArg(1)))
      .addOption(new Option('--json', 'one JSON object: every session with its counts, differences and notes'))
      .addHelpText('after', `
Examples:
  fsw agent --port /tmp/sats/SAT-1 --record /tmp/SAT-1.rec  # Ctrl-C to stop
  fsw replay /tmp/SAT-1.rec
  fsw replay out/rec/SAT-2.rec --key-file out/rec/constellation.key --json \\
    | jq '.sessions[].differences'
  # the recorded frames, with times
  fsw decode /tmp/SAT-1.rec

Exit status: 0 the replay did exactly what the recording did, 1 differences (or
the file is not a readable recording: E_RECORDING_FORMAT, E_RECORDING_VERSION),
2 bad usage (no FILE, unknown option, a swarm recording without a readable key
file). A torn or corrupt record (E_RECORDING_TORN, E_RECORDING_CORRUPT) is
reported on stderr; what precedes it is replayed.`)
      .action(async (file: string, opts: ReplayCommandOptions) => {
        await runReplay(file, opts, io);
      });
  },
};
