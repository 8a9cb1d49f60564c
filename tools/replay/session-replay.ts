/**
 * Replays one recorded session: a fresh Agent on a VirtualClock, booted from the session's
 * copy of its journal, fed the recorded hardware frames at their recorded times through a
 * ReplayLink, stepped the way the recorded agent was (after every event on a real clock; as
 * the in-process runner's `steps` records say on a virtual one), and stopped when the
 * recorded agent was. Its decisions, mode changes and commands are then compared with the
 * recording's.
 */
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { flushMicrotasks, VirtualClock } from '../../hal/index.js';
import { decodeBody } from '../../hal/protocol/codec.js';
import { Agent } from '../../firmware-agent/agent.js';
import { parseAgentConfig } from '../../firmware-agent/config/load.js';
import type { AgentConfig } from '../../firmware-agent/config/schema.js';
import { createLogger } from '../../firmware-agent/observability/index.js';
import type { EventRecord, Session, StepsRecord } from '../../firmware-agent/recorder/format.js';
import { ReplayTimingClock } from '../../firmware-agent/recorder/timing-clock.js';
import { cmdOutput, compareOutputs, decisionOutput, modeOutput, recordedOutputs, type Difference, type Output } from './compare.js';
import { ReplayLink } from './replay-link.js';

export interface ReplayOptions {
  /** The constellation key file (needed when the recorded agent ran the swarm). */
  keyFile?: string;
  /** The recording's path: a key file beside it is tried when the recorded key path cannot be read. */
  recordingFile?: string;
}

/** The recording needs something the command line must give (exit 2). */
export class ReplayInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayInputError';
  }
}

export interface SessionResult {
  /** 1-based, in file order. */
  session: number;
  sat: string;
  start: number;
  /** The recorded agent's stop (or, without one, the last record), agent clock ms. */
  end: number;
  ended: boolean;
  endReason: string | null;
  counts: Record<'decision' | 'mode' | 'cmd', { recorded: number; replayed: number }>;
  differences: Difference[];
  notes: string[];
  wallMs: number;
}

/** The configuration the recorded agent flew with, made fit to replay here. */
export function replayConfig(s: Session, opts: ReplayOptions, notes: string[]): Readonly<AgentConfig> {
  const cfg = structuredClone(s.header.config) as Record<string, Record<string, unknown>>;
  const swarm = (cfg.swarm ?? {}) as { enabled?: boolean; members?: string[]; key_file?: string };
  const swarmOn = swarm.enabled !== false && (swarm.members?.length ?? 0) >= 2 && swarm.members!.includes(s.header.id) && !!swarm.key_file;
  if (swarmOn) {
    const key = opts.keyFile ?? swarmKeyFile(swarm.key_file!, opts.recordingFile, notes);
    if (key === undefined || !readable(key)) {
      throw new ReplayInputError(
        opts.keyFile
          ? `--key-file ${opts.keyFile} cannot be read`
          : `the recording has the swarm on, and its constellation key file ${swarm.key_file} cannot be read here${opts.recordingFile ? ` (nor is there one beside the recording, in ${dirname(opts.recordingFile)})` : ''}: give --key-file FILE (the key is never written into a recording)`,
      );
    }
    cfg.swarm = { ...cfg.swarm, key_file: key };
  }
  const groundKey = (cfg.ground as { public_key_file?: string } | undefined)?.public_key_file;
  if (groundKey && !readable(groundKey)) notes.push(`the ground public key ${groundKey} cannot be read here: recorded ground commands will be refused, and differ`);
  // Durability changes nothing the agent decides; without fdatasync the replay is faster.
  cfg.journal = { ...cfg.journal, fsync: false };
  return parseAgentConfig(cfg, `recording session config`);
}

/**
 * The recorded key path when it can be read here; else a key file beside the recording (the
 * recorded file's name, then `constellation.key`: where `fsw run --record DIR` keeps its
 * simulated key), so a recordings folder copied or replayed from elsewhere still replays.
 */
function swarmKeyFile(recorded: string, recordingFile: string | undefined, notes: string[]): string | undefined {
  if (readable(recorded)) return recorded;
  if (!recordingFile) return undefined;
  const dir = dirname(recordingFile);
  for (const name of new Set([basename(recorded), 'constellation.key'])) {
    const beside = join(dir, name);
    if (readable(beside)) {
      notes.push(`the recorded constellation key file ${recorded} cannot be read here: used ${beside}, beside the recording`);
      return beside;
    }
  }
  return undefined;
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** The satellite a session is about: its header, else the hardware's first hello, else the agent id. */
export function sessionSat(s: Session): string {
  if (s.header.sat) return s.header.sat;
  for (const e of s.events) {
    if (e.type !== 'rx') continue;
    const r = decodeBody(e.b);
    if (r.ok && r.msg.kind === 'hello' && r.msg.role === 'hw') return r.msg.sat;
  }
  return s.header.id;
}

export async function replaySession(s: Session, index: number, opts: ReplayOptions = {}): Promise<SessionResult> {
  const t0 = performance.now();
  const notes: string[] = [];
  const config = replayConfig(s, opts, notes);
  const h = s.header;
  const last = s.events.at(-1)?.t ?? h.start;
  const endRec = s.events.find((e): e is Extract<EventRecord, { type: 'end' }> => e.type === 'end');
  const end = endRec?.t ?? last;
  if (!s.ended) notes.push(s.full ? 'the recording hit its size cap: replayed up to there' : 'no end record (the agent died, or the file was cut): replayed up to the last record');
  if (h.journal === null && h.journal_bytes > 0) notes.push(`the journal at boot (${h.journal_bytes} bytes) was too large to record: replayed from an empty journal, so differences may come from that`);

  const dir = mkdtempSync(join(tmpdir(), 'fsw-replay-'));
  try {
    const journalPath = join(dir, 'agent.journal');
    if (h.journal) writeFileSync(journalPath, h.journal);
    const clock = new VirtualClock();
    if (h.start > 0) clock.runUntil(h.start);
    let stopping: Promise<void> | undefined;
    const link = new ReplayLink(clock, s, (reason) => (stopping = agent.stop(`replay: ${reason}`)));
    // A real-clock recording says when the agent's timers really ran: they run then here too.
    const ran = new Map<number, number>();
    for (const e of s.events) if (e.type === 'fires') e.n.forEach((n, i) => ran.set(n, e.r[i]!));
    const agentClock = ran.size > 0 ? new ReplayTimingClock(clock, ran) : clock;
    const log = createLogger({ id: h.id, level: 'silent', clock });
    const agent = new Agent({ id: h.id, link, clock: agentClock, config, journalPath, log });
    const actual: Output[] = [];
    agent.on('decision', (d, v) => actual.push(decisionOutput({ t: clock.now(), id: d.id, action: d.action, rule: d.rule, ok: v?.ok ?? true })));
    agent.on('mode', (to, from) => actual.push(modeOutput({ t: clock.now(), from, to })));
    link.start();
    await agent.start();
    await flushMicrotasks();
    const stopped = (): boolean => stopping !== undefined;
    if (h.drive === 'steps') await driveSteps(clock, s.events, end, stopped);
    else await driveEvents(clock, end, stopped);
    await (stopping ?? agent.stop('replay: end of recording'));
    for (const m of link.sent) {
      const c = cmdOutput(m.t, m.body);
      if (c) actual.push(c);
    }
    actual.sort((a, b) => a.t - b.t);
    if (link.seqs.readdressed > 0) notes.push(`${link.seqs.readdressed} recorded answers were re-addressed to the replay's own request (it sent the same frames in another order)`);
    if (link.seqs.unmatched > 0) notes.push(`${link.seqs.unmatched} recorded answers matched no request the replay had just sent (a previous boot's, or a divergence); delivered as recorded`);
    // Without a recorded stop, what the replay did at or after the last record may simply not have reached the file.
    const compared = s.ended ? actual : actual.filter((o) => o.t < last);
    const expected = recordedOutputs(s.events);
    const count = (list: Output[], st: Output['stream']): number => list.filter((o) => o.stream === st).length;
    return {
      session: index + 1, sat: sessionSat(s), start: h.start, end, ended: s.ended, endReason: endRec?.reason ?? null,
      counts: {
        decision: { recorded: count(expected, 'decision'), replayed: count(compared, 'decision') },
        mode: { recorded: count(expected, 'mode'), replayed: count(compared, 'mode') },
        cmd: { recorded: count(expected, 'cmd'), replayed: count(compared, 'cmd') },
      },
      differences: compareOutputs(expected, compared),
      notes,
      wallMs: performance.now() - t0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * An in-process run: promise callbacks ran only between the runner's steps (`runTo`), so the
 * replay steps the same way, plan by plan, until the step in which the agent was stopped.
 */
async function driveSteps(clock: VirtualClock, events: readonly EventRecord[], end: number, stopped: () => boolean): Promise<void> {
  const plans = events.filter((e): e is StepsRecord => e.type === 'steps');
  for (const p of plans) {
    if (stopped() || clock.now() >= end) return;
    if (p.t > clock.now()) {
      clock.runUntil(p.t);
      await flushMicrotasks();
    }
    while (clock.now() < p.end && !stopped() && clock.now() < end) {
      clock.runUntil(Math.min(p.end, clock.now() + p.step));
      await flushMicrotasks();
    }
  }
  // Past the last plan: nothing moved time in the recorded run but the stop itself.
  if (!stopped() && clock.now() < end) {
    clock.runUntil(end);
    await flushMicrotasks();
  }
}

/** A real clock: Node ran promise callbacks after every timer and every chunk read. */
async function driveEvents(clock: VirtualClock, end: number, stopped: () => boolean): Promise<void> {
  while (!stopped()) {
    const next = clock.nextAt();
    if (next === undefined || next > end) break;
    clock.runNext();
    await flushMicrotasks();
  }
  if (!stopped() && clock.now() < end) clock.runUntil(end);
}
