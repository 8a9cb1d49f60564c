import { afterEach, expect, it } from 'vitest';
import { HardwareClient, HardwareServer, RealClock, SerialLink, type HalError, type LinkState } from '../../../hal/index.js';
import { disposeAllPtyPairs, pollUntil, startPtyPair } from '../../helpers/pty.js';
import { describeWithTool, SOCAT_INSTALL } from '../../helpers/system-tool.js';
import { testDevices } from '../fixtures.js';

/**
 * Hardware in the loop on a pseudo-terminal: the flight computer's real SerialLink and
 * HardwareClient on one end of a socat pty pair, a HardwareServer on a SerialLink on the
 * other. The same code runs on a board with /dev/serial0 in place of the pty.
 */
describeWithTool('socat', SOCAT_INSTALL)('HIL over a socat pty pair (real serial links, real time)', () => {
  const toClose: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const c of toClose.splice(0).reverse()) await c.close().catch(() => {});
    await disposeAllPtyPairs();
  });

  async function rig() {
    const pty = await startPtyPair();
    const clock = new RealClock();
    const backoff = { initialMs: 50, maxMs: 400 };
    const fcLink = new SerialLink({ path: pty.fcPath, clock, name: 'fc', backoff });
    const hwLink = new SerialLink({ path: pty.hwPath, clock, name: 'hw', backoff });
    const { state, devices } = testDevices();
    const radio: { to: string; data: Uint8Array }[] = [];
    const server = new HardwareServer({
      link: hwLink,
      clock,
      sat: 'SAT-HIL',
      devices,
      isl: { transmit: (to, data) => (radio.push({ to, data }), { ok: true }) },
    });
    const client = new HardwareClient({ link: fcLink, clock, sw: 'hil/0', requestTimeoutMs: 500, helloRetryMs: 150 });
    toClose.push({ close: () => server.stop() }, { close: () => client.close() });
    await server.start();
    await client.start();
    await pollUntil(() => client.state === 'up', 'first handshake');
    return { pty, fcLink, hwLink, server, client, state, radio };
  }

  it('hello, read, cmd and isl.tx over the pty', async () => {
    const { client, state, radio } = await rig();
    expect(client.hello).toMatchObject({ role: 'hw', sat: 'SAT-HIL' });
    expect([...client.devices.keys()]).toEqual(['imu', 'heater']);

    const s = await client.read('imu');
    expect(s).toMatchObject({ kind: 'sample', dev: 'imu', val: { gyro: [0.01, -0.02, 0.03] } });

    const ack = await client.cmd('heater', 'set', { on: true });
    expect(ack).toMatchObject({ kind: 'ack', ok: true });
    expect(state.heaterOn).toBe(true);

    const data = Uint8Array.of(0xc0, 0xdb, 0xdc, 0xdd, 0);
    const isl = await client.islTx('*', data);
    expect(isl).toMatchObject({ kind: 'ack', ok: true });
    expect(radio).toHaveLength(1);
    expect(radio[0]!.to).toBe('*');
    expect([...radio[0]!.data]).toEqual([...data]);
  });

  it('socat dies and returns: both links go lost, back off, come back up, and the client re-handshakes on its own', async () => {
    const { pty, fcLink, hwLink, client } = await rig();
    expect(client.stats.handshakes).toBe(1);
    const fcStates: LinkState[] = [];
    const hwStates: LinkState[] = [];
    const fcErrors: HalError[] = [];
    fcLink.on('state', (s) => fcStates.push(s));
    hwLink.on('state', (s) => hwStates.push(s));
    fcLink.on('error', (e) => fcErrors.push(e));
    const clientStates: string[] = [];
    client.on('state', (s) => clientStates.push(s));

    await pty.kill();
    // serialport reports the vanished pty itself (no timer of ours): a 'close' with an error.
    await pollUntil(() => fcLink.state === 'lost' && hwLink.state === 'lost', 'both links lost', 2000);
    expect(fcErrors[0]).toMatchObject({ code: 'E_LINK_DOWN' });
    expect(fcErrors[0]!.message).toMatch(/lost \(port closed/);
    expect(client.state).toBe('lost');
    await expect(client.read('imu')).rejects.toMatchObject({ code: 'E_LINK_DOWN' });
    // Reopening fails while the pty is gone; each failure names the next, longer delay.
    await pollUntil(() => fcErrors.filter((e) => e.code === 'E_LINK_OPEN').length >= 3, 'three failed reopens', 2000);
    const delays = fcErrors.filter((e) => e.code === 'E_LINK_OPEN').map((e) => e.detail?.retryInMs);
    expect(delays.slice(0, 3)).toEqual([100, 200, 400]);

    await pty.restart();
    await pollUntil(() => client.state === 'up' && client.stats.handshakes === 2, 'link up and a second handshake', 5000);
    expect(fcStates).toEqual(['lost', 'up']);
    expect(hwStates).toEqual(['lost', 'up']);
    expect(fcLink.stats.reconnects).toBe(1);
    expect(hwLink.stats.reconnects).toBe(1);
    expect(clientStates).toEqual(['lost', 'handshaking', 'up']);

    const again = await client.read('imu');
    expect(again).toMatchObject({ kind: 'sample', dev: 'imu' });
    const ack = await client.cmd('heater', 'set', { on: false });
    expect(ack.ok).toBe(true);
  });
});
