import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HalError, RealClock, SerialLink, type Clock, type HalError as HalErrorType, type LinkState } from '../../../hal/index.js';
import { disposeAllPtyPairs, pollUntil as until, startPtyPair } from '../../helpers/pty.js';
import { describeWithTool, SOCAT_INSTALL } from '../../helpers/system-tool.js';
import { readOrHangup } from '../../../hal/link/serial-link.js';
import { linkContract, type LinkPair } from './link-contract.js';

function rawWrite(link: SerialLink, bytes: Uint8Array): void {
  (link as unknown as { writeBytes(b: Buffer): void }).writeBytes(Buffer.from(bytes));
}

async function serialPair(): Promise<LinkPair> {
  const pty = await startPtyPair();
  const clock: Clock = new RealClock();
  const a = new SerialLink({ path: pty.fcPath, clock, name: 'fc' });
  const b = new SerialLink({ path: pty.hwPath, clock, name: 'hw' });
  return {
    a,
    b,
    clock,
    // A negative assertion needs real time to pass; 100 ms is ages for a pty.
    settle: () => new Promise((r) => setTimeout(r, 100)),
    until: (cond, what) => until(cond, what),
    // Raw bytes written on a's port arrive at b like line noise would.
    injectRaw: async (bytes) => rawWrite(a, bytes),
    cleanup: async () => {
      await a.close();
      await b.close();
      await pty.dispose();
    },
  };
}

describeWithTool('socat', SOCAT_INSTALL)('SerialLink on a socat pty pair', () => {
  afterAll(disposeAllPtyPairs);

  linkContract('SerialLink (pty)', serialPair);

  const links: SerialLink[] = [];
  afterEach(async () => {
    await Promise.all(links.splice(0).map((l) => l.close()));
    await disposeAllPtyPairs();
  });

  it('opening a path that does not exist rejects with E_LINK_OPEN and stays closed', async () => {
    const link = new SerialLink({ path: '/nonexistent/hal-test-tty', clock: new RealClock() });
    links.push(link);
    const err = await link.open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HalError);
    expect((err as HalErrorType).code).toBe('E_LINK_OPEN');
    expect((err as HalErrorType).message).toContain('/nonexistent/hal-test-tty');
    // Said once, in words: the bindings' "Error: …, cannot open PATH" is trimmed.
    expect((err as HalErrorType).message.split('/nonexistent/hal-test-tty')).toHaveLength(2);
    expect((err as HalErrorType).message).not.toMatch(/Error:/);
    expect(link.state).toBe('closed');
  });

  it('notices the pty vanishing even right after opening, every time (hangup = end of file)', async () => {
    // Killing socat just after the open is the race in which bindings-cpp alone spins on
    // 0-byte reads and never reports the hangup; with readOrHangup both ends notice.
    const pty = await startPtyPair();
    const clock = new RealClock();
    for (let round = 0; round < 6; round++) {
      const a = new SerialLink({ path: pty.fcPath, clock, name: 'fc', backoff: { initialMs: 5000 } });
      const b = new SerialLink({ path: pty.hwPath, clock, name: 'hw', backoff: { initialMs: 5000 } });
      links.push(a, b);
      await a.open();
      await b.open();
      await pty.kill();
      await until(() => a.state === 'lost' && b.state === 'lost', `round ${round}: both ends lost (a ${a.state}, b ${b.state})`, 1000);
      await a.close();
      await b.close();
      await pty.restart();
    }
  });

  it('notices the pty vanishing (socat killed): lost with E_LINK_DOWN, retries, up again when it returns', async () => {
    const pty = await startPtyPair();
    const clock = new RealClock();
    const backoff = { initialMs: 20, maxMs: 160 };
    const a = new SerialLink({ path: pty.fcPath, clock, name: 'fc', backoff });
    const b = new SerialLink({ path: pty.hwPath, clock, name: 'hw', backoff });
    links.push(a, b);
    await a.open();
    await b.open();
    const states: LinkState[] = [];
    const errors: HalErrorType[] = [];
    a.on('state', (s) => states.push(s));
    a.on('error', (e) => errors.push(e));

    await pty.kill();
    await until(() => a.state === 'lost' && b.state === 'lost', 'both ends lost');
    expect(errors[0]?.code).toBe('E_LINK_DOWN');
    expect(errors[0]?.message).toMatch(/lost \(port closed/); // serialport's own signal, not a timer
    expect(a.send(Uint8Array.of(1))).toBe(false);
    // While the pty is gone, reopening fails and is reported; the link keeps trying.
    await until(() => errors.filter((e) => e.code === 'E_LINK_OPEN').length >= 2, 'two failed reopens');
    expect(a.state).toBe('lost');

    await pty.restart();
    await until(() => a.state === 'up' && b.state === 'up', 'both ends up again');
    expect(states).toEqual(['lost', 'up']);
    expect(a.stats.reconnects).toBe(1);
    expect(b.stats.reconnects).toBe(1);
    const got: number[] = [];
    b.on('frame', (body) => got.push(body[0]!));
    a.send(Uint8Array.of(0xc0));
    await until(() => got.length === 1, 'a frame over the new pty');
    expect(got).toEqual([0xc0]);
  });
});

describe('SerialLink on a path that is not a serial device', () => {
  // serialport opens /dev/null or a regular file, then fails to set the baud rate with ENOTTY
  // ("Inappropriate ioctl for device setting custom baud rate of 115200"), which says nothing
  // to a person who mistyped the port.
  it.each([['/dev/null'], [fileURLToPath(import.meta.url)]])('%s: E_LINK_OPEN saying it is not a serial device (a tty)', async (path) => {
    const link = new SerialLink({ path, clock: new RealClock() });
    const err = await link.open().catch((e: unknown) => e);
    await link.close();
    expect((err as HalErrorType).code).toBe('E_LINK_OPEN');
    expect((err as HalErrorType).message).toMatch(new RegExp(`^${path}: not a serial device \\(not a tty\\)`));
    expect(link.state).toBe('closed');
  });
});

describe('readOrHangup (the unix read SerialLink puts in the serialport binding)', () => {
  const port = (fd: number | null) => ({
    fd,
    get isOpen() {
      return this.fd !== null;
    },
    openOptions: { vmin: 1 },
    poller: { once: () => undefined },
    read: () => Promise.reject(new Error('unused')),
  });

  it('reports a 0-byte read (end of file: the tty hung up) as an error, instead of reading again forever', async () => {
    const fd = openSync('/dev/null', 'r'); // every read returns 0
    try {
      const err = await readOrHangup(port(fd), Buffer.alloc(16), 0, 16).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'EOF' });
      expect((err as { canceled?: boolean }).canceled).toBeUndefined(); // so the stream disconnects
    } finally {
      closeSync(fd);
    }
  });

  it('returns the bytes read, and is canceled (not a disconnect) on a closed port', async () => {
    const fd = openSync('/dev/zero', 'r');
    try {
      const r = await readOrHangup(port(fd), Buffer.alloc(8, 7), 2, 4);
      expect(r.bytesRead).toBe(4);
      expect([...r.buffer]).toEqual([7, 7, 0, 0, 0, 0, 7, 7]);
    } finally {
      closeSync(fd);
    }
    await expect(readOrHangup(port(null), Buffer.alloc(1), 0, 1)).rejects.toMatchObject({ canceled: true });
  });
});
