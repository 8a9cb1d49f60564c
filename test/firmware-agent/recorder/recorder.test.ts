import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Emitter, memoryLinkPair, VirtualClock, type Clock, type Link } from '../../../hal/index.js';
import type { AgentEvents } from '../../../firmware-agent/agent.js';
import { parseAgentConfig } from '../../../firmware-agent/config/load.js';
import type { Decision } from '../../../firmware-agent/decide/types.js';
import {
  DEFAULT_MAX_RECORDING_BYTES, encodeRecordingRecord, FlightRecorder, MAX_JOURNAL_IN_HEADER, readRecording, RecordingError, recordingFileHeader, SESSION_MARKER,
  type FlightRecorderOptions, type RecordingRecord,
} from '../../../firmware-agent/recorder/index.js';
import { DEFAULT_RECORD_MAX_BYTES } from '../../../firmware-agent/main.js';

/**
 * The flight recorder on its own: what a session holds (header, frames both ways with their
 * times, framing drops, link states, decisions, modes), buffering, the size cap, a file it
 * must not touch, a directory it cannot write, and reading back torn and corrupt files.
 */
const tmp = mkdtempSync(join(tmpdir(), 'recorder-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(tmp, `r${++n}.rec`);
const config = parseAgentConfig({});

function rig(file: string, extra: Partial<FlightRecorderOptions> = {}, journalPath = join(tmp, 'none.journal')) {
  const clock = new VirtualClock();
  const [fc, hw] = memoryLinkPair(clock, { latencyMs: 1 }, ['fc', 'hw']);
  const stops: unknown[] = [];
  const rec = FlightRecorder.start(
    { file, clock, clockKind: 'virtual', drive: 'steps', onStop: (w) => stops.push(w), ...extra },
    { id: 'SAT-9', sat: 'SAT-9', sw: 'test/1', config, link: fc, journalPath },
  );
  const agent = new Emitter<AgentEvents>();
  rec.attach(agent);
  return { clock, fc, hw, rec, agent, stops };
}

const decision = (id: string): Decision => ({ id, type: 'corrective', action: 'payload_off', params: {}, confidence: 1, reasoning: 'r', rule: 'hot' });

async function openBoth(fc: Link, hw: Link, clock: VirtualClock): Promise<void> {
  await Promise.all([fc.open(), hw.open()]);
  clock.advance(1);
}

describe('FlightRecorder', () => {
  it('records a session: header, rx and tx bodies with their times, framing drops, link states, decisions and modes', async () => {
    const file = fresh();
    const journal = join(tmp, 'j1');
    writeFileSync(journal, Buffer.from('journal bytes'));
    const { clock, fc, hw, rec, agent } = rig(file, {}, journal);
    await openBoth(rec.link, hw, clock);
    clock.runUntil(100);
    rec.link.send(Uint8Array.of(1, 2, 3));
    hw.send(Uint8Array.of(9, 8));
    clock.runUntil(200);
    // Line noise on the wire: the framing layer drops it.
    (fc as unknown as { receiveBytes(b: Uint8Array): void }).receiveBytes(Uint8Array.of(0xc0, 1, 2, 0xc0));
    agent.emit('decision', decision('d1'), { ok: true });
    agent.emit('mode', 'degraded', 'nominal', 'health');
    rec.end('test over');
    await rec.link.close();
    rec.close();
    const r = readRecording(readFileSync(file));
    expect(r.problems).toEqual([]);
    expect(r.sessions).toHaveLength(1);
    const s = r.sessions[0]!;
    expect(s.header).toMatchObject({ type: 'session', id: 'SAT-9', sat: 'SAT-9', sw: 'test/1', start: 0, clock: 'virtual', drive: 'steps', link: { name: 'fc', state: 'closed' }, journal_bytes: 13 });
    expect(Buffer.from(s.header.journal!).toString()).toBe('journal bytes');
    expect((s.header.config as { cycle_hz: number }).cycle_hz).toBe(config.cycle_hz);
    const ev = s.events.map((e) => ({ ...e, ...('b' in e ? { b: [...e.b] } : {}) }));
    expect(ev).toEqual([
      { type: 'link', t: 0, s: 'opening', self: true },
      { type: 'link', t: 0, s: 'up', self: true },
      { type: 'tx', t: 100, b: [1, 2, 3] },
      { type: 'rx', t: 101, b: [9, 8] },
      { type: 'drop', t: 200, r: 'crc', d: expect.any(String) as unknown as string },
      { type: 'decision', t: 200, id: 'd1', action: 'payload_off', rule: 'hot', ok: true },
      { type: 'mode', t: 200, from: 'nominal', to: 'degraded' },
      { type: 'end', t: 200, reason: 'test over' },
      { type: 'link', t: 200, s: 'closed', self: true },
    ]);
    expect(s.ended).toBe(true);
  });

  it('buffers: nothing past the header reaches the file until a second of agent time has passed at a cycle', async () => {
    const file = fresh();
    const { clock, hw, rec, agent } = rig(file);
    await openBoth(rec.link, hw, clock);
    const afterHeader = statSync(file).size;
    for (let i = 0; i < 20; i++) rec.link.send(Uint8Array.of(i));
    agent.emit('cycle', {} as AgentEvents['cycle'][0]);
    expect(statSync(file).size).toBe(afterHeader);
    clock.runUntil(1001);
    agent.emit('cycle', {} as AgentEvents['cycle'][0]);
    expect(statSync(file).size).toBeGreaterThan(afterHeader + 20 * 10);
    expect(rec.stats.writes).toBe(2);
    rec.close();
  });

  it('a reboot appends a second session after a marker; a journal too large for the header is left out, its size kept', async () => {
    const file = fresh();
    const big = join(tmp, 'big.journal');
    writeFileSync(big, '');
    truncateSync(big, MAX_JOURNAL_IN_HEADER + 1);
    rig(file).rec.close();
    rig(file, {}, big).rec.close();
    const b = readFileSync(file);
    expect(b.subarray(0, 6).toString('latin1')).toBe('FSWREC');
    expect(b.indexOf(SESSION_MARKER, b.indexOf(SESSION_MARKER) + 1)).toBeGreaterThan(0);
    const r = readRecording(b);
    expect(r.sessions.map((s) => [s.header.journal === null, s.header.journal_bytes])).toEqual([[true, 0], [true, MAX_JOURNAL_IN_HEADER + 1]]);
  });

  it('the size cap: a `full` record, state full, told once; the file stays near the cap', async () => {
    const file = fresh();
    const { clock, hw, rec, stops } = rig(file, { maxBytes: 4096 });
    await openBoth(rec.link, hw, clock);
    for (let i = 0; i < 200; i++) rec.link.send(new Uint8Array(40).fill(i));
    rec.close();
    expect(rec.state).toBe('closed');
    expect(stops).toEqual([{ code: 'full', bytes: expect.any(Number) }]);
    expect(statSync(file).size).toBeLessThan(4096 + 64);
    const s = readRecording(readFileSync(file)).sessions[0]!;
    expect(s.full).toBe(true);
    expect(s.events.at(-1)!.type).toBe('full');
  });

  it('the size cap on a real clock with late timers pending: still one `full` record, told once', async () => {
    const file = fresh();
    const virtual = new VirtualClock();
    // A board's clock: every timer runs 3 ms after it was due, so the recorder has `fires` waiting.
    const late: Clock = {
      now: () => virtual.now(),
      setTimer: (d, fn) => virtual.setTimerAt(virtual.now() + d + 3, fn),
      setTimerAt: (at, fn) => virtual.setTimerAt(at + 3, fn),
    };
    const { hw, rec, stops } = rig(file, { maxBytes: 4096, clock: late, clockKind: 'real', drive: 'event' });
    await openBoth(rec.link, hw, virtual);
    for (let i = 0; i < 200; i++) {
      rec.clock.setTimer(1, () => {});
      virtual.advance(5);
      rec.link.send(new Uint8Array(40).fill(i));
    }
    rec.close();
    expect(stops).toEqual([{ code: 'full', bytes: expect.any(Number) }]);
    const s = readRecording(readFileSync(file)).sessions[0]!;
    expect(s.events.filter((e) => e.type === 'full')).toHaveLength(1);
    expect(s.events.at(-1)!.type).toBe('full');
  });

  it('a directory it cannot write: E_RECORDING_IO, and the agent gets the bare link (it flies on)', () => {
    const { rec, fc, stops } = rig(join(tmp, 'no', 'such', 'dir', 'x.rec'));
    expect(rec.state).toBe('failed');
    expect(rec.link).toBe(fc);
    expect(stops).toHaveLength(1);
    expect(stops[0]).toBeInstanceOf(RecordingError);
    expect((stops[0] as RecordingError).code).toBe('E_RECORDING_IO');
  });

  it('an existing file that is not a recording is left untouched (E_RECORDING_FORMAT)', () => {
    const file = fresh();
    writeFileSync(file, 'precious data\n');
    const { rec, stops } = rig(file);
    expect(rec.state).toBe('failed');
    expect((stops[0] as RecordingError).code).toBe('E_RECORDING_FORMAT');
    expect(readFileSync(file, 'utf8')).toBe('precious data\n');
  });

  it('a board\'s key files: recorded as absolute paths (a replay from another directory finds them), never copied or read into the recording', async () => {
    // A board config names its keys relative to the agent's working directory.
    const keyDir = join(tmp, 'board-keys');
    mkdirSync(keyDir);
    const keyHex = 'a5'.repeat(31) + '3c';
    writeFileSync(join(keyDir, 'constellation.key'), `${keyHex}\n`, { mode: 0o600 });
    const relKey = relative(process.cwd(), join(keyDir, 'constellation.key'));
    const relGround = relative(process.cwd(), join(keyDir, 'ground.pub'));
    expect(isAbsolute(relKey)).toBe(false);
    const boardConfig = parseAgentConfig({ swarm: { members: ['SAT-9', 'SAT-8'], key_file: relKey }, ground: { public_key_file: relGround } });
    const recDir = join(tmp, 'board-rec');
    mkdirSync(recDir);
    const file = join(recDir, 'agent.rec');
    const clock = new VirtualClock();
    const [fc] = memoryLinkPair(clock, { latencyMs: 1 }, ['fc', 'hw']);
    const rec = FlightRecorder.start({ file, clock, clockKind: 'real', drive: 'event' }, { id: 'SAT-9', sat: 'SAT-9', sw: 'test/1', config: boardConfig, link: fc, journalPath: join(tmp, 'none.journal') });
    rec.end('test over');
    rec.close();
    const bytes = readFileSync(file);
    const h = readRecording(bytes).sessions[0]!.header;
    expect((h.config.swarm as { key_file: string }).key_file).toBe(resolve(relKey));
    expect((h.config.ground as { public_key_file: string }).public_key_file).toBe(resolve(relGround));
    // The agent's own config is left as it was (it opens the relative path itself).
    expect(boardConfig.swarm.key_file).toBe(relKey);
    expect(bytes.includes(Buffer.from(keyHex, 'utf8'))).toBe(false);
    expect(bytes.includes(Buffer.from(keyHex, 'hex'))).toBe(false);
    expect(readdirSync(recDir)).toEqual(['agent.rec']);
  });

  it('the board entry documents the same default cap', () => {
    expect(DEFAULT_RECORD_MAX_BYTES).toBe(DEFAULT_MAX_RECORDING_BYTES);
  });
});

describe('readRecording', () => {
  async function twoSessions(): Promise<Buffer> {
    const file = fresh();
    for (let k = 0; k < 2; k++) {
      const { clock, hw, rec } = rig(file);
      await openBoth(rec.link, hw, clock);
      for (let i = 0; i < 10; i++) rec.link.send(Uint8Array.of(k, i));
      rec.end('stop');
      rec.close();
    }
    return readFileSync(file);
  }

  it('not a recording, a future version, a file cut in its header: typed errors', () => {
    const code = (b: Uint8Array): string => {
      try {
        readRecording(b);
        return 'none';
      } catch (err) {
        return (err as RecordingError).code;
      }
    };
    expect(code(Buffer.from('CAJRNL\x01\x00'))).toBe('E_RECORDING_FORMAT');
    expect(code(Buffer.from('FSW'))).toBe('E_RECORDING_FORMAT');
    expect(code(Buffer.from('FSWREC\x02\x00'))).toBe('E_RECORDING_VERSION');
  });

  it('a torn tail ends its session there (E_RECORDING_TORN); a flipped byte in the first session spares the second (E_RECORDING_CORRUPT)', async () => {
    const b = await twoSessions();
    const torn = readRecording(b.subarray(0, b.length - 3));
    expect(torn.problems).toMatchObject([{ code: 'E_RECORDING_TORN', session: 1 }]);
    expect(torn.sessions.map((s) => s.ended)).toEqual([true, false]);
    const second = b.indexOf(SESSION_MARKER, b.indexOf(SESSION_MARKER) + 1);
    const flipped = Buffer.from(b);
    // ~150 bytes before the second marker: inside one of the first session's last tx records, with records after it.
    flipped[second - 150]! ^= 0x55;
    const c = readRecording(flipped);
    expect(c.problems).toMatchObject([{ code: 'E_RECORDING_CORRUPT', session: 0 }]);
    expect(c.sessions).toHaveLength(2);
    expect(c.sessions[1]!.events.filter((e) => e.type === 'tx')).toHaveLength(10);
    // Cut inside the only session header: nothing to replay.
    expect(() => readRecording(b.subarray(0, 40))).toThrow(expect.objectContaining({ code: 'E_RECORDING_TORN' }) as Error);
    expect(existsSync(join(tmp, 'no'))).toBe(false);
  });

  it('a record with the wrong fields (a foreign or buggy writer) ends its session there; a bad header drops the session', async () => {
    const good = readRecording(await twoSessions());
    const [s1, s2] = good.sessions;
    const bad = { type: 'rx', t: 5, b: 'not bytes' } as unknown as RecordingRecord;
    const file = Buffer.concat([
      recordingFileHeader(),
      SESSION_MARKER, encodeRecordingRecord(s1!.header), encodeRecordingRecord(s1!.events[0]!), encodeRecordingRecord(bad), encodeRecordingRecord(s1!.events[1]!),
      SESSION_MARKER, encodeRecordingRecord({ ...s2!.header, drive: 'sometimes' } as unknown as RecordingRecord), encodeRecordingRecord(s2!.events[0]!),
      SESSION_MARKER, encodeRecordingRecord(s2!.header), ...s2!.events.map((e) => encodeRecordingRecord(e)),
    ]);
    const r = readRecording(file);
    expect(r.problems.map((p) => p.code)).toEqual(['E_RECORDING_CORRUPT', 'E_RECORDING_CORRUPT']);
    expect(r.problems[0]!.why).toMatch(/record 3: not a valid record \(type "rx"\)/);
    expect(r.sessions).toHaveLength(2);
    expect(r.sessions[0]!.events).toHaveLength(1);
    expect(r.sessions[1]!.events).toHaveLength(s2!.events.length);
  });
});
