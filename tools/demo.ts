/**
 * `npm start` until the constellation runner lands: an emulated device set answering a
 * flight-computer client over a pseudo-terminal pair made with socat (or over an in-memory
 * link when socat is missing), showing hello, read, cmd, isl.tx and pushed samples.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HardwareClient, HardwareServer, RealClock, SerialLink, memoryLinkPair, type Device, type Link, type ValueMap,
} from '../hal/index.js';

const clock = new RealClock();
const heater = { on: false };
const devices: Device[] = [
  {
    info: { id: 'thermal', type: 'sensor', rate_hz: 2, fields: { obc: '°C', battery: '°C', payload: '°C', radio: '°C' }, ops: [] },
    read: (now) => ({ obc: 21 + Math.sin(now / 5000), battery: heater.on ? 12 : 8, payload: 15, radio: 18 }),
  },
  {
    info: { id: 'heater', type: 'actuator', rate_hz: 1, fields: { on: 'bool' }, ops: ['set'] },
    read: () => ({ on: heater.on }),
    command: (_op: string, args: ValueMap) => {
      if (typeof args.on !== 'boolean') return { ok: false, code: 'schema', msg: 'set needs {on: bool}' };
      heater.on = args.on;
      return { ok: true };
    },
  },
];

async function links(): Promise<{ fc: Link; hw: Link; how: string; stop: () => void }> {
  if (spawnSync('sh', ['-c', 'command -v socat']).status !== 0) {
    const [fc, hw] = memoryLinkPair(clock);
    return { fc, hw, how: 'in-memory link (socat not found: apt-get install -y socat for a pty)', stop: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'hal-demo-'));
  const fcPath = join(dir, 'fc');
  const hwPath = join(dir, 'hw');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${fcPath}`, `pty,raw,echo=0,link=${hwPath}`], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(existsSync(fcPath) && existsSync(hwPath)); i++) await new Promise((r) => setTimeout(r, 20));
  return {
    fc: new SerialLink({ path: fcPath, clock }),
    hw: new SerialLink({ path: hwPath, clock }),
    how: `pseudo-terminal pair ${fcPath} ↔ ${hwPath}`,
    stop: () => {
      socat.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const { fc, hw, how, stop } = await links();
  console.log(`HAL demo over a ${how}`);
  const server = new HardwareServer({ link: hw, clock, sat: 'SAT-1', devices });
  const client = new HardwareClient({ link: fc, clock, sw: 'demo/0.1' });
  await server.start();
  await client.start();
  const hello = await client.ready();
  console.log(`hello from ${hello.sat} (${hello.hw}), watchdog ${hello.watchdog_ms} ms, devices: ${hello.devices.map((d) => d.id).join(', ')}`);
  const t = await client.read('thermal');
  console.log(`read thermal → ${JSON.stringify(t.val)} (at ${t.at} ms)`);
  const ack = await client.cmd('heater', 'set', { on: true });
  console.log(`cmd heater set {on: true} → ack ok=${ack.ok}`);
  let pushed = 0;
  client.on('sample', () => pushed++);
  await new Promise((r) => setTimeout(r, 1500));
  console.log(`pushed samples in 1.5 s: ${pushed}; drops by reason: ${JSON.stringify(client.endpoint.drops)}`);
  await client.close();
  await server.stop();
  stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
