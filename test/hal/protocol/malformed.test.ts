/**
 * Every kind of bad input, through a real HardwareServer and HardwareClient on a memory link:
 * it gets the counted drop or the `error`/`ack` answer PROTOCOL.md asks for, the link stays
 * up, and the next good request still works.
 */
import { describe, expect, it } from 'vitest';
import { crc32, decodePlain, encodeFrame, encodePlain, END, ESC, zeroDrops, type DropCounts } from '../../../hal/index.js';
import { memoryRig } from '../fixtures.js';

type Rig = ReturnType<typeof memoryRig>;
type Answer = Record<string, unknown>;

async function upRig(): Promise<Rig> {
  const rig = memoryRig();
  await rig.server.start();
  await rig.client.start();
  await rig.clock.runUntilAsync(() => rig.client.state === 'up', 1000);
  expect(rig.client.state).toBe('up');
  return rig;
}

/** Raw bytes onto the wire from the flight-computer side (through the memory wire). */
const writeRaw = (rig: Rig, bytes: Uint8Array) => (rig.fcLink as unknown as { writeBytes(b: Buffer): void }).writeBytes(Buffer.from(bytes));

/** Answers the hardware sends (errors, acks, read answers), not the periodic samples. */
function answers(rig: Rig): Answer[] {
  const got: Answer[] = [];
  rig.fcLink.on('frame', (b) => {
    const m = decodePlain(b) as Answer;
    if (m.kind === 'error' || m.kind === 'ack' || (m.kind === 'sample' && m.ref !== undefined)) got.push(m);
  });
  return got;
}

function delta(after: DropCounts, before: DropCounts): Partial<DropCounts> {
  const d: Partial<DropCounts> = {};
  for (const k of Object.keys(zeroDrops()) as (keyof DropCounts)[]) if (after[k] !== before[k]) d[k] = after[k] - before[k];
  return d;
}

const req = (fields: Answer) => encodePlain({ v: 1, time: 1, ...fields });
const badCrc = (() => {
  const f = encodeFrame(req({ kind: 'read', seq: 4100, dev: 'imu' }));
  f[f.length - 2]! ^= 0x40;
  return f;
})();

interface Case {
  name: string;
  /** Bytes as they go on the wire (already framed). */
  wire: Uint8Array;
  drops: Partial<DropCounts>;
  /** The answer the hardware sends, or undefined for a silent (counted) framing drop. */
  answer: Answer | undefined;
}

const cases: Case[] = [
  { name: 'bad escape (ESC then 0x41)', wire: Buffer.from([END, 0xa1, ESC, 0x41, 1, 2, 3, 4, END]), drops: { escape: 1 }, answer: undefined },
  { name: 'bad CRC (a read that must not run)', wire: badCrc, drops: { crc: 1 }, answer: undefined },
  { name: 'oversize (5000-byte body)', wire: encodeFrame(Buffer.alloc(5000, 0x61)), drops: { oversize: 1 }, answer: undefined },
  { name: 'not CBOR (a lone break)', wire: encodeFrame(Buffer.from([0xff])), drops: { cbor: 1 }, answer: { kind: 'error', code: 'schema' } },
  {
    name: 'CBOR with a tag',
    wire: encodeFrame(Buffer.concat([Buffer.from([0xc1]), req({ kind: 'read', seq: 4101, dev: 'imu' })])),
    drops: { cbor: 1 },
    answer: { kind: 'error', code: 'schema' },
  },
  {
    name: 'schema broken (cmd without op)',
    wire: encodeFrame(req({ kind: 'cmd', seq: 4102, dev: 'heater', args: {} })),
    drops: { schema: 1 },
    answer: { kind: 'error', ref: 4102, code: 'schema' },
  },
  {
    name: 'schema broken (isl.tx data as text)',
    wire: encodeFrame(req({ kind: 'isl.tx', seq: 4103, to: '*', data: 'not bytes' })),
    drops: { schema: 1 },
    answer: { kind: 'error', ref: 4103, code: 'schema' },
  },
  { name: 'unknown kind', wire: encodeFrame(req({ kind: 'teleport', seq: 4104 })), drops: { schema: 1 }, answer: { kind: 'error', ref: 4104, code: 'kind' } },
  {
    name: 'wrong version',
    wire: encodeFrame(encodePlain({ v: 2, kind: 'wdg', seq: 4105, time: 1 })),
    drops: { schema: 1 },
    answer: { kind: 'error', ref: 4105, code: 'version' },
  },
  { name: 'read of an unknown device', wire: encodeFrame(req({ kind: 'read', seq: 4106, dev: 'warp' })), drops: {}, answer: { kind: 'error', ref: 4106, code: 'device' } },
  {
    name: 'cmd to an unknown device',
    wire: encodeFrame(req({ kind: 'cmd', seq: 4107, dev: 'warp', op: 'engage', args: {} })),
    drops: {},
    answer: { kind: 'ack', ref: 4107, ok: false, code: 'device' },
  },
  {
    name: 'cmd with an unknown op',
    wire: encodeFrame(req({ kind: 'cmd', seq: 4108, dev: 'heater', op: 'explode', args: {} })),
    drops: {},
    answer: { kind: 'ack', ref: 4108, ok: false, code: 'op' },
  },
];

describe('malformed input to the hardware server', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const rig = await upRig();
    const got = answers(rig);
    const before = rig.server.endpoint.drops;
    const { errorsSent } = rig.server.endpoint;
    const reads = rig.server.stats.reads;
    writeRaw(rig, c.wire);
    await rig.clock.runUntilAsync(() => false, 50);
    expect(delta(rig.server.endpoint.drops, before)).toEqual(c.drops);
    if (c.answer === undefined) {
      expect(got).toEqual([]);
      expect(rig.server.endpoint.errorsSent).toBe(errorsSent);
      expect(rig.server.stats.reads).toBe(reads);
    } else {
      expect(got).toEqual([expect.objectContaining(c.answer)]);
      if (c.answer.ref === undefined) expect(got[0]!.ref).toBeUndefined();
      if (c.answer.kind === 'ack') expect(got[0]!.msg).toBeTypeOf('string');
    }
    // The link stays up and the next good request works.
    expect(rig.fcLink.state).toBe('up');
    expect(rig.client.state).toBe('up');
    let sample: unknown;
    void rig.client.read('imu').then((s) => (sample = s));
    await rig.clock.runUntilAsync(() => sample !== undefined, 500);
    expect(sample).toMatchObject({ kind: 'sample', dev: 'imu' });
  });

  it('all of them back to back in one write, then a good read: every one counted, the read answered', async () => {
    const rig = await upRig();
    const got = answers(rig);
    const before = rig.server.endpoint.drops;
    const good = encodeFrame(req({ kind: 'read', seq: 4200, dev: 'imu' }));
    writeRaw(rig, Buffer.concat([...cases.map((c) => c.wire), good]));
    await rig.clock.runUntilAsync(() => got.length === 10, 200);
    expect(delta(rig.server.endpoint.drops, before)).toEqual({ escape: 1, crc: 1, oversize: 1, cbor: 2, schema: 4 });
    const answered = cases.filter((c) => c.answer).map((c) => expect.objectContaining(c.answer));
    // Answers come in request order, except the heater's, which has 5 ms of device latency.
    expect(got).toHaveLength(answered.length + 1);
    expect(got).toEqual(expect.arrayContaining([...answered, expect.objectContaining({ kind: 'sample', ref: 4200, dev: 'imu' })]));
  });

  it('a peer `error` frame is never answered with an error (no ping-pong), even when malformed', async () => {
    const rig = await upRig();
    const got = answers(rig);
    const { errorsSent } = rig.server.endpoint;
    writeRaw(rig, encodeFrame(req({ kind: 'error', seq: 4300, code: 'schema', msg: 'your fault' })));
    writeRaw(rig, encodeFrame(req({ kind: 'error', seq: 4301, code: 7 })));
    await rig.clock.runUntilAsync(() => false, 50);
    expect(got).toEqual([]);
    expect(rig.server.endpoint.errorsSent).toBe(errorsSent);
    expect(rig.server.endpoint.drops.schema).toBe(1);
  });
});

describe('malformed input to the flight computer', () => {
  it('garbage from the hardware is counted, answered when the CRC held, and the client stays up', async () => {
    const rig = await upRig();
    const hwWrite = (b: Uint8Array) => (rig.hwLink as unknown as { writeBytes(x: Buffer): void }).writeBytes(Buffer.from(b));
    const before = rig.client.endpoint.drops;
    const clientErrors = rig.client.endpoint.errorsSent;
    const serverErrors = rig.server.endpoint.errorsSent;
    const crcOnly = Buffer.alloc(4);
    crcOnly.writeUInt32LE(crc32(new Uint8Array(0)));
    hwWrite(Buffer.from([END, 1, ESC, ESC, 2, END])); // ESC then ESC: an invalid escape
    hwWrite(encodeFrame(Buffer.from([0x1c]))); // reserved additional information
    hwWrite(Buffer.concat([Buffer.from([END]), crcOnly, Buffer.from([END])])); // empty body, valid CRC
    await rig.clock.runUntilAsync(() => false, 50);
    expect(delta(rig.client.endpoint.drops, before)).toEqual({ escape: 1, cbor: 2 });
    expect(rig.client.endpoint.errorsSent).toBe(clientErrors + 2);
    expect(rig.server.endpoint.errorsSent).toBe(serverErrors); // the server does not answer errors
    expect(rig.client.state).toBe('up');
    let ack: unknown;
    void rig.client.cmd('heater', 'set', { on: true }).then((a) => (ack = a));
    await rig.clock.runUntilAsync(() => ack !== undefined, 500);
    expect(ack).toMatchObject({ kind: 'ack', ok: true });
  });
});
