import { describe, expect, it } from 'vitest';
import type { HalEvent, Message, Periodic } from '../../hal/index.js';
import type { IdleFlightComputer } from '../../emulator/idle-flight-computer.js';
import { runFor, runTo, settle, startRig } from './helpers.js';

/** Stops an idle flight computer's periodic work (watchdog pets, beacons) but keeps its client. */
function hang(fc: IdleFlightComputer): void {
  for (const t of (fc as unknown as { timers: Periodic[] }).timers) t.stop();
}

describe('hardware watchdog through a Constellation', () => {
  it('a flight computer that stops petting is reset after watchdog_ms; the hardware goes quiet and refuses with busy until a new hello', async () => {
    const r = await startRig({ name: 'wdg', constellation: { count: 2 }, watchdog_ms: 1500 });
    const fc = r.fcs.get('SAT-1')!;
    const client = fc.client;
    const server = r.sat('SAT-1').server;
    const resets: { at: number; sat: string; reason: string }[] = [];
    r.con.on('reset', (sat, reason) => resets.push({ at: r.clock.now(), sat, reason }));
    const events: { at: number; ev: HalEvent }[] = [];
    client.on('event', (ev) => events.push({ at: r.clock.now(), ev }));
    const inbox: { at: number; m: Message }[] = [];
    client.endpoint.on('message', (m) => inbox.push({ at: r.clock.now(), m }));

    // Healthy: petting every 500 ms keeps the 1.5 s watchdog from firing.
    await runFor(r.clock, 10_000);
    expect(server.watchdogArmed).toBe(true);
    expect(resets).toEqual([]);
    expect(server.stats.resets).toBe(0);

    // The flight computer hangs. Its client would say hello again on the reset event;
    // hold that hello back for a while, to see how the hardware behaves before it.
    let lastPet = -1;
    server.on('wdg', () => (lastPet = r.clock.now()));
    await runFor(r.clock, 600);
    hang(fc);
    const send = client.endpoint.send.bind(client.endpoint);
    let holdHello = true;
    client.endpoint.send = (out) => (holdHello && out.kind === 'hello' ? undefined : send(out));
    await runFor(r.clock, 4000, 10);

    expect(resets).toHaveLength(1);
    expect(resets[0]!.sat).toBe('SAT-1');
    expect(resets[0]!.reason).toBe('watchdog');
    // Fired watchdog_ms after the last pet (to the clock's chunk).
    expect(resets[0]!.at - lastPet).toBeGreaterThanOrEqual(1500);
    expect(resets[0]!.at - lastPet).toBeLessThanOrEqual(1510);
    expect(events.map((e) => e.ev.code)).toEqual(['reset']);
    expect(server.isHandshaken).toBe(false);
    expect(server.watchdogArmed).toBe(false);
    expect(client.state).toBe('handshaking');

    // No samples pushed after the reset event reached the flight computer.
    const resetSeen = events[0]!.at;
    const pushedAfter = (t: number): number => inbox.filter((e) => e.at > t && e.m.kind === 'sample').length;
    expect(pushedAfter(resetSeen)).toBe(0);
    const pushedBefore = server.stats.samplesPushed;

    // Requests before a new hello: refused with error busy.
    const reqs = [send({ kind: 'read', dev: 'imu' })!, send({ kind: 'cmd', dev: 'heater', op: 'set', args: { on: true } })!, send({ kind: 'isl.tx', to: '*', data: Uint8Array.of(1) })!];
    await runFor(r.clock, 200, 5);
    for (const ref of reqs) {
      const answer = inbox.find((e) => 'ref' in e.m && e.m.ref === ref)?.m;
      expect(answer, `ref ${ref}`).toMatchObject({ kind: 'error', code: 'busy' });
    }
    expect(r.sat('SAT-1').inputs.heaterOn).toBe(false);
    expect(server.stats.samplesPushed).toBe(pushedBefore);
    // The other satellite never noticed.
    expect(r.client('SAT-2').state).toBe('up');

    // A new hello: the hardware answers and everything works again.
    holdHello = false;
    const hellos: number[] = [];
    client.on('hello', () => hellos.push(r.clock.now()));
    await runFor(r.clock, 1500, 10); // the client retries hello every helloRetryMs (1 s)
    expect(hellos).toHaveLength(1);
    expect(client.state).toBe('up');
    expect(server.isHandshaken).toBe(true);
    const read = await settle(r.clock, client.read('imu'));
    expect(read).toMatchObject({ ok: true, value: { kind: 'sample', dev: 'imu' } });
    const ack = await settle(r.clock, client.cmd('heater', 'set', { on: true }));
    expect(ack).toMatchObject({ ok: true, value: { ok: true } });
    const t = r.clock.now();
    await runFor(r.clock, 3000);
    expect(pushedAfter(t)).toBeGreaterThan(20);

    // Not armed again until the first wdg after this handshake: no second reset while silent.
    expect(server.watchdogArmed).toBe(false);
    expect(resets).toHaveLength(1);
    // The flight computer pets again (from the kept client): armed again, and it holds.
    for (let k = 0; k < 20; k++) {
      client.wdg();
      await runFor(r.clock, 500, 50);
    }
    expect(server.watchdogArmed).toBe(true);
    expect(resets).toHaveLength(1);
    // And stopping again resets again.
    await runTo(r.clock, r.clock.now() + 2000);
    expect(resets).toHaveLength(2);
  });
});
