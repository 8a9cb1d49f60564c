import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, encodeMessageFrame, encodePlain } from '../../hal/index.js';
import { runCli } from '../../tools/cli.js';
import { captureIO } from '../helpers/cli.js';
import { SerialPort } from 'serialport';
import { disposeAllPtyPairs, startPtyPair } from '../helpers/pty.js';
import { describeWithTool, SOCAT_INSTALL } from '../helpers/system-tool.js';


/** A capture: a good sample, line noise, a bad CRC, a body breaking its schema, a good ack. */
function capture(): string {
  const good = encodeMessageFrame({ v: 1, kind: 'sample', seq: 7, time: 1000, dev: 'imu', at: 999, val: { gyro: [0.1, 0.2, 0.3] } });
  const badCrc = Buffer.from(encodeMessageFrame({ v: 1, kind: 'wdg', seq: 8, time: 1001 }));
  badCrc[3] = badCrc[3]! ^ 0xff;
  const schema = encodeFrame(encodePlain({ v: 1, kind: 'cmd', seq: 9, time: 1002, dev: 'heater', args: {} }));
  const ack = encodeMessageFrame({ v: 1, kind: 'ack', seq: 10, time: 1003, ref: 3, ok: true });
  const file = join(mkdtempSync(join(tmpdir(), 'decode-')), 'cap.bin');
  writeFileSync(file, Buffer.concat([good, Buffer.from('zz'), badCrc, schema, ack]));
  return file;
}

describe('fsw decode', () => {
  it('prints every frame and every drop with its reason, and a summary', async () => {
    const o = captureIO();
    expect(await runCli(['decode', capture()], o.io)).toBe(0);
    const lines = o.out().trim().split('\n');
    expect(lines[0]).toMatch(/^#1 sample +seq +7 t +1000 ms {2}\{"dev":"imu","at":999,"val":\{"gyro":\[0\.1,0\.2,0\.3\]\}\}$/);
    expect(lines.filter((l) => l.includes('DROP crc'))).toHaveLength(2); // 'zz' (too short for a CRC) and the flipped byte
    expect(lines.some((l) => /DROP schema: cmd: missing field op \(ref 9\)/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/ack +seq +10 .*"ref":3,"ok":true/);
    expect(o.err()).toContain('decoded 2 frames; dropped escape 0, crc 2, oversize 0, cbor 0, schema 1');
  });

  it('--json gives one object per line', async () => {
    const o = captureIO();
    expect(await runCli(['decode', capture(), '--json'], o.io)).toBe(0);
    const objs = o.out().trim().split('\n').map((l) => JSON.parse(l) as { frame?: { kind: string }; drop?: string });
    expect(objs.map((x) => x.frame?.kind ?? `drop:${x.drop}`)).toEqual(['sample', 'drop:crc', 'drop:crc', 'drop:schema', 'ack']);
  });

  it('bad usage exits 2', async () => {
    const o = captureIO();
    expect(await runCli(['decode'], o.io)).toBe(2);
    expect(o.err()).toContain('give a capture FILE or --port PATH');
    const p = captureIO();
    expect(await runCli(['decode', '/no/such/capture.bin'], p.io)).toBe(2);
    expect(p.err()).toContain('no such file');
  });
});

describeWithTool('socat', SOCAT_INSTALL)('fsw decode --port on a port another process has open', () => {
  afterEach(disposeAllPtyPairs);

  it('exits 1 saying once, in words, that the port is busy (was "Error Resource temporarily unavailable Cannot lock port")', async () => {
    const pty = await startPtyPair();
    // Another open of the path (an agent would be one): serialport locks ports exclusively.
    const holder = new SerialPort({ path: pty.fcPath, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => holder.open((e) => (e ? reject(e) : resolve())));
    try {
      const o = captureIO();
      expect(await runCli(['decode', '--port', pty.fcPath], o.io)).toBe(1);
      expect(o.err()).toBe(`fsw decode: cannot open ${pty.fcPath}: busy: another process has it open (an agent, a decode, a terminal program); a serial port is opened by one process at a time\n`);
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
  });
});

describe('fsw decode --help', () => {
  it('says what --port is for, and that an agent\'s port or a bare emulator pty is not it', async () => {
    const o = captureIO();
    expect(await runCli(['decode', '--help'], o.io)).toBe(0);
    const help = o.out().replace(/\s+/g, ' ');
    expect(help).toContain('a port where something is already talking');
    expect(help).toContain('the emulated hardware is silent until an agent says hello');
    expect(help).not.toContain('fsw decode --port /tmp/sats/SAT-1');
  });
});
