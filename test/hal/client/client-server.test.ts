import { describe, expect, it } from 'vitest';
import { HalError, HardwareClient, HardwareServer, RemoteError, TimeoutError, VirtualClock, decodePlain, encodePlain, memoryLinkPair, type Sample } from '../../../hal/index.js';
import { memoryRig, testDevices } from '../fixtures.js';

async function upRig(opts = {}) {
  const rig = memoryRig(opts);
  await rig.server.start();
  await rig.client.start();
  await rig.clock.runUntilAsync(() => rig.client.state === 'up', 1000);
  return rig;
}

/** Runs virtual time until the promise settles; returns its outcome. */
async function settle<T>(clock: { runUntilAsync: (d: () => boolean, l: number) => Promise<boolean> }, p: Promise<T>, limit = 5000) {
  let out: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  p.then((value) => (out = { ok: true, value }), (error: unknown) => (out = { ok: false, error }));
  await clock.runUntilAsync(() => out !== undefined, limit);
  if (!out) throw new Error('promise did not settle in virtual time');
  return out;
}

describe('hardware client ↔ server over a memory link (virtual time)', () => {
  it('handshakes: the client learns the device table and the watchdog period', async () => {
    const rig = await upRig();
    expect(rig.client.hello?.sat).toBe('SAT-1');
    expect([...rig.client.devices.keys()]).toEqual(['imu', 'heater']);
    expect(rig.client.hello?.watchdog_ms).toBe(2000);
  });

  it('sends nothing but hello before the hardware has answered', async () => {
    const rig = memoryRig({ latencyMs: 50 });
    const seen: string[] = [];
    rig.server.endpoint.on('message', (m) => seen.push(m.kind));
    await rig.server.start();
    await rig.client.start();
    const early = await settle(rig.clock, rig.client.read('imu'));
    expect(early.ok).toBe(false);
    expect((early as { error: HalError }).error.code).toBe('E_LINK_DOWN');
    await rig.clock.runUntilAsync(() => rig.client.state === 'up', 1000);
    expect(seen).toEqual(['hello']);
  });

  it('read settles with the sample that answers it (ref = seq)', async () => {
    const rig = await upRig();
    const r = await settle(rig.clock, rig.client.read('imu'));
    expect(r.ok).toBe(true);
    const s = (r as { value: Sample }).value;
    expect(s.dev).toBe('imu');
    expect(s.val).toEqual({ gyro: [0.01, -0.02, 0.03] });
    expect(s.ref).toBeTypeOf('number');
  });

  it('cmd settles with ack ok, and the device state changed', async () => {
    const rig = await upRig();
    const r = await settle(rig.clock, rig.client.cmd('heater', 'set', { on: true }));
    expect(r).toMatchObject({ ok: true, value: { kind: 'ack', ok: true } });
    expect(rig.state.heaterOn).toBe(true);
  });

  it('a refusing actuator answers ack ok:false with its code', async () => {
    const rig = await upRig();
    rig.state.refuse = true;
    const r = await settle(rig.clock, rig.client.cmd('heater', 'set', { on: true }));
    expect(r).toMatchObject({ ok: true, value: { ok: false, code: 'op' } });
    expect(rig.state.heaterOn).toBe(false);
  });

  it('unknown device and unknown op are refused before anything is sent', async () => {
    const rig = await upRig();
    const sent = rig.client.endpoint.sent;
    await expect(rig.client.read('warp-drive')).rejects.toMatchObject({ code: 'E_DEVICE_UNKNOWN' });
    await expect(rig.client.cmd('heater', 'explode', {})).rejects.toMatchObject({ code: 'E_OP_UNKNOWN' });
    expect(rig.client.endpoint.sent).toBe(sent);
  });

  it('dropout: no answer, so the typed timeout fires and is counted', async () => {
    const rig = await upRig();
    rig.state.dropout = true;
    const r = await settle(rig.clock, rig.client.read('imu'));
    expect(r.ok).toBe(false);
    const e = (r as { error: unknown }).error;
    expect(e).toBeInstanceOf(TimeoutError);
    expect((e as TimeoutError).code).toBe('E_LINK_TIMEOUT');
    expect(rig.client.stats.timeouts).toBe(1);
  });

  it('a late answer is counted and dropped, never delivered to a later request', async () => {
    const rig = await upRig({ latencyMs: 150 }); // 300 ms round trip > 200 ms timeout
    const first = settle(rig.clock, rig.client.read('imu'));
    const r1 = await first;
    expect(r1.ok).toBe(false);
    await rig.clock.runUntilAsync(() => rig.client.stats.late === 1, 1000);
    expect(rig.client.stats.late).toBe(1);
  });

  it('isl.tx reaches the radio and is acked; a full radio answers busy', async () => {
    const rig = await upRig();
    const ok = await settle(rig.clock, rig.client.islTx('*', new Uint8Array([0xc0, 0xdb, 1])));
    expect(ok).toMatchObject({ ok: true, value: { ok: true } });
    expect(Buffer.from(rig.radio.sent[0]!.data)).toEqual(Buffer.from([0xc0, 0xdb, 1]));
    rig.radio.busy = true;
    const busy = await settle(rig.clock, rig.client.islTx('SAT-2', new Uint8Array([1])));
    expect(busy).toMatchObject({ ok: true, value: { ok: false, code: 'busy' } });
  });

  it('isl.rx from the radio reaches the client', async () => {
    const rig = await upRig();
    const got: Uint8Array[] = [];
    rig.client.on('isl', (m) => got.push(m.data));
    rig.server.deliverIsl('SAT-2', new Uint8Array([9, 8, 7]), -90);
    await rig.clock.runUntilAsync(() => got.length > 0, 100);
    expect([...got[0]!]).toEqual([9, 8, 7]);
  });

  it('pushes samples at the device rate after the handshake (imu 10 Hz, heater 1 Hz)', async () => {
    const rig = await upRig();
    const counts: Record<string, number> = {};
    rig.client.on('sample', (s) => (counts[s.dev] = (counts[s.dev] ?? 0) + 1));
    rig.clock.advance(10_000);
    expect(counts.imu).toBeGreaterThanOrEqual(99);
    expect(counts.imu).toBeLessThanOrEqual(101);
    expect(counts.heater).toBeGreaterThanOrEqual(9);
    expect(counts.heater).toBeLessThanOrEqual(11);
  });

  it('watchdog: armed by the first wdg; silence for watchdog_ms resets, then a new hello', async () => {
    const rig = await upRig();
    const events: string[] = [];
    rig.client.on('event', (e) => events.push(e.code));
    rig.clock.advance(5000);
    expect(rig.server.stats.resets).toBe(0); // not armed yet
    rig.client.wdg();
    rig.clock.advance(1000);
    expect(rig.server.watchdogArmed).toBe(true);
    rig.clock.advance(1500);
    await rig.clock.runUntilAsync(() => events.length > 0, 100);
    expect(events).toEqual(['reset']);
    expect(rig.server.stats.resets).toBe(1);
    // The client handshakes again on its own.
    await rig.clock.runUntilAsync(() => rig.client.state === 'up' && rig.client.stats.handshakes === 2, 2000);
    expect(rig.client.stats.handshakes).toBe(2);
    expect(rig.server.isHandshaken).toBe(true);
  });

  it('the hardware refuses requests before hello with error busy', async () => {
    const clock = new VirtualClock();
    const [fc, hw] = memoryLinkPair(clock);
    const server = new HardwareServer({ link: hw, clock, sat: 'SAT-1', devices: testDevices().devices });
    await server.start();
    await fc.open();
    const answers: unknown[] = [];
    fc.on('frame', (b) => answers.push(decodePlain(b)));
    fc.send(encodePlain({ v: 1, kind: 'read', seq: 5, time: 1, dev: 'imu' }));
    await clock.runUntilAsync(() => answers.length > 0, 100);
    expect(answers).toEqual([expect.objectContaining({ kind: 'error', ref: 5, code: 'busy' })]);
    expect(server.stats.refused).toBe(1);
  });

  it('a hardware power cycle (stop, start) is noticed: its busy refusals make the client say hello again', async () => {
    const rig = await upRig();
    await rig.server.stop();
    rig.clock.advance(100);
    await rig.server.start();
    expect(rig.server.isHandshaken).toBe(false);
    rig.client.wdg(); // refused with error busy: awaiting hello
    await rig.clock.runUntilAsync(() => rig.client.stats.handshakes === 2, 2000);
    expect(rig.server.isHandshaken).toBe(true);
    const r = await settle(rig.clock, rig.client.read('imu'));
    expect(r.ok).toBe(true);
  });

  it('a vanished link goes lost, comes back up, and the client re-handshakes; pending requests fail typed', async () => {
    const rig = await upRig({ latencyMs: 20 });
    const pending = settle(rig.clock, rig.client.read('imu'));
    rig.wire.sever();
    const r = await pending;
    expect((r as { error: HalError }).error.code).toBe('E_LINK_DOWN');
    expect(rig.client.state).toBe('lost');
    rig.clock.advance(1000);
    rig.wire.restore();
    await rig.clock.runUntilAsync(() => rig.client.state === 'up' && rig.client.stats.handshakes === 2, 10_000);
    expect(rig.fcLink.stats.reconnects).toBeGreaterThanOrEqual(1);
    const again = await settle(rig.clock, rig.client.read('imu'));
    expect(again.ok).toBe(true);
  });

  it('schema-breaking frames get an error answer naming ref; the link stays up', async () => {
    const rig = await upRig();
    const errors: { ref?: number; code: string }[] = [];
    // Talk raw to the server from the client's link: a cmd without op.
    rig.client.on('remoteError', (e) => errors.push(e));
    rig.fcLink.send(encodePlain({ v: 1, kind: 'cmd', seq: 4242, time: 1, dev: 'heater', args: {} }));
    rig.fcLink.send(encodePlain({ v: 1, kind: 'teleport', seq: 4243, time: 1 }));
    rig.fcLink.send(encodePlain({ v: 2, kind: 'wdg', seq: 4244, time: 1 }));
    rig.fcLink.send(Buffer.from([0xff, 0x00])); // a lone break: not CBOR
    await rig.clock.runUntilAsync(() => errors.length === 4, 200);
    expect(errors.map((e) => [e.ref, e.code])).toEqual([[4242, 'schema'], [4243, 'kind'], [4244, 'version'], [undefined, 'schema']]);
    expect(rig.server.endpoint.drops).toMatchObject({ schema: 3, cbor: 1 });
    expect(rig.client.state).toBe('up');
    const r = await settle(rig.clock, rig.client.read('imu'));
    expect(r.ok).toBe(true);
  });

  it('a peer error frame that breaks the schema is dropped, not answered (no error ping-pong)', async () => {
    const rig = await upRig();
    const before = rig.server.endpoint.errorsSent;
    rig.fcLink.send(encodePlain({ v: 1, kind: 'error', seq: 9, time: 1 })); // no code/msg
    rig.clock.advance(50);
    expect(rig.server.endpoint.drops.schema).toBe(1);
    expect(rig.server.endpoint.errorsSent).toBe(before);
  });

  it('a RemoteError rejects a read of a device the hardware does not have', async () => {
    const rig = await upRig();
    // Pretend the device table is stale: the client believes in a device the hardware lost.
    (rig.client.devices as Map<string, unknown>).set('ghost', { id: 'ghost', type: 'sensor', rate_hz: 0, fields: {}, ops: [] });
    const r = await settle(rig.clock, rig.client.read('ghost'));
    expect((r as { error: unknown }).error).toBeInstanceOf(RemoteError);
    expect(((r as { error: RemoteError }).error).remoteCode).toBe('device');
  });

  it('garbage bytes on the line are counted by reason and do not disturb the next frame', async () => {
    const rig = await upRig();
    (rig.hwLink as unknown as { receiveBytes(b: Uint8Array): void }).receiveBytes(Buffer.from([0xc0, 1, 2, 0xdb, 0x55, 0xc0, 0xc0, 9, 9, 9, 9, 9, 0xc0]));
    expect(rig.server.endpoint.drops).toMatchObject({ escape: 1, crc: 1 });
    const r = await settle(rig.clock, rig.client.read('imu'));
    expect(r.ok).toBe(true);
  });
});

describe('a closed client hears nothing more', () => {
  it('when a new client reopens the same link (an in-process reboot), the old one gets no hello, sample or state', async () => {
    const rig = await upRig();
    const old = { hello: 0, sample: 0, state: 0 };
    rig.client.on('hello', () => old.hello++);
    rig.client.on('sample', () => old.sample++);
    await rig.client.close();
    rig.client.on('state', () => old.state++);
    const next = new HardwareClient({ link: rig.fcLink, clock: rig.clock, sw: 'test/1', requestTimeoutMs: 200, helloRetryMs: 500 });
    let samples = 0;
    next.on('sample', () => samples++);
    await next.start();
    await rig.clock.runUntilAsync(() => next.state === 'up', 2000);
    expect(next.state).toBe('up');
    await rig.clock.runUntilAsync(() => samples >= 3, 5000);
    expect(samples).toBeGreaterThanOrEqual(3);
    expect(old).toEqual({ hello: 0, sample: 0, state: 0 });
    expect(rig.client.state).toBe('closed');
  });
});
