import { read } from 'node:fs';
import { promisify } from 'node:util';
import { SerialPort } from 'serialport';
import type { Clock } from '../time/clock.js';
import { StreamLink } from './stream-link.js';
import type { BackoffOptions } from './link.js';

export interface SerialLinkOptions {
  /** Device path: /dev/ttyUSB0, /dev/serial0, or a pty made by socat. */
  path: string;
  /** Default 115200 (PROTOCOL.md §1: 8N1, no flow control). */
  baudRate?: number;
  clock: Clock;
  name?: string;
  backoff?: BackoffOptions;
  maxPayload?: number;
}

/**
 * serialport's open error, said so that a person knows what to change. ENOTTY ("Inappropriate
 * ioctl for device setting custom baud rate") means the path opened but is not a terminal
 * device: a regular file, /dev/null, a pipe. (StreamLink prefixes the link name; `path` is kept
 * in the message when that name is not the path.) Shared with
 * `fsw decode --port`, which opens a SerialPort of its own.
 */
export function openErrorForPeople(err: Error, path?: string): Error {
  // serialport opens ports exclusively (flock): "Error Resource temporarily unavailable Cannot lock port".
  if (/Cannot lock port/.test(err.message)) {
    return new Error('busy: another process has it open (an agent, a decode, a terminal program); a serial port is opened by one process at a time', { cause: err });
  }
  if (!/Inappropriate ioctl for device|ENOTTY/.test(err.message)) {
    // The bindings say "Error: No such file or directory, cannot open /dev/x": the caller names the path already.
    // `path`: the caller's prefix is not the path (a link named SAT-1/hw), so keep it in words.
    const plain = err.message.replace(/^Error:?\s*/, '').replace(/, cannot open \S+$/, path ? ` (${path})` : '');
    return plain === err.message ? err : new Error(plain, { cause: err });
  }
  return new Error(`not a serial device (not a tty), so no baud rate can be set: give a UART, USB-serial or pty path (${err.message.replace(/^Error: /, '')})`, { cause: err });
}

/**
 * A link on a real serial port through the `serialport` bindings (a UART, USB-CDC, or a
 * pseudo-terminal). When the port vanishes (cable pulled, USB reset, the pty's other end
 * gone) the link goes `lost` and reopens the same path with backoff until it is back.
 */
export class SerialLink extends StreamLink {
  readonly path: string;
  readonly baudRate: number;
  private port: SerialPort | undefined;

  constructor(opts: SerialLinkOptions) {
    super({
      clock: opts.clock,
      name: opts.name ?? opts.path,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      ...(opts.maxPayload ? { maxPayload: opts.maxPayload } : {}),
    });
    this.path = opts.path;
    this.baudRate = opts.baudRate ?? 115200;
  }

  protected openTransport(): Promise<void> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({
        path: this.path,
        baudRate: this.baudRate,
        dataBits: 8,
        parity: 'none',
        stopBits: 1,
        rtscts: false,
        autoOpen: false,
        binding: hangupAwareBinding,
      } as ConstructorParameters<typeof SerialPort>[0]);
      port.open((err) => {
        if (err) {
          reject(openErrorForPeople(err, this.name === this.path ? undefined : this.path));
          return;
        }
        this.port = port;
        port.on('data', (chunk: Buffer) => {
          if (this.port === port) this.receiveBytes(chunk);
        });
        // The device went away: the pending read failed (EIO, a poller error, or the end of
        // file `readOrHangup` reports), so serialport closed the port itself and emits
        // 'close' with a DisconnectedError. Errors may come first.
        port.on('close', (e?: Error | null) => this.lose(port, e ? `port closed: ${e.message}` : 'port closed'));
        port.on('error', (e: Error) => this.lose(port, e.message));
        resolve();
      });
    });
  }

  protected writeBytes(bytes: Buffer): void {
    const port = this.port;
    if (!port) return;
    port.write(bytes, (err) => {
      if (err) this.lose(port, `write failed: ${err.message}`);
    });
  }

  /** The current port failed: let go of it (closing its fd, so a reopen of the same path is
   *  not refused by our own exclusive lock) and go `lost`. Stale ports are ignored. */
  private lose(port: SerialPort, reason: string): void {
    if (this.port !== port) return;
    this.port = undefined;
    if (port.isOpen) port.close(() => {});
    this.transportLost(reason);
  }

  protected closeTransport(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port || !port.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.close(() => resolve()));
  }
}

type Binding = typeof SerialPort.binding;
type PortBinding = Awaited<ReturnType<Binding['open']>>;
type OpenOptions = Parameters<Binding['open']>[0];

/** What the unix bindings (Linux, macOS) expose on an open port. */
interface PolledPort {
  fd: number | null;
  readonly isOpen: boolean;
  readonly openOptions: { vmin?: number };
  readonly poller: { once(event: 'readable', fn: (err: Error | null) => void): unknown };
  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }>;
}

function isPolledPort(p: unknown): p is PolledPort {
  const q = p as Partial<PolledPort>;
  return typeof q.fd === 'number' && typeof q.poller?.once === 'function' && (q.openOptions?.vmin ?? 1) >= 1;
}

const fsRead = promisify(read);
const canceled = (): Error => Object.assign(new Error('Port is not open'), { canceled: true });

/**
 * A read that reports a hung-up tty. Why this exists: when a tty's other side vanishes (the
 * socat behind a pty exits, a USB adapter resets) Linux hangs the tty up, and from then on
 * read() returns 0 (end of file). @serialport/bindings-cpp 13 answers a 0-byte read by reading
 * again at once, forever: the port spins through the libuv threadpool (tens of thousands of
 * reads a second) and never reports anything, unless the hangup happened to land while its
 * poller was armed. Ports are opened O_NONBLOCK with VMIN=1, so "no data" is EAGAIN and 0
 * can only mean end of file; we reject, and @serialport/stream turns any non-canceled read
 * error into a 'close' with a DisconnectedError, which `SerialLink` takes as lost.
 */
export async function readOrHangup(port: PolledPort, buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
  for (;;) {
    const fd = port.fd;
    if (!port.isOpen || fd === null) throw canceled();
    let bytesRead: number;
    try {
      ({ bytesRead } = await fsRead(fd, buffer, offset, length, null));
    } catch (err) {
      if (!port.isOpen) throw canceled(); // closed by us while the read was in flight
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'EINTR') throw err;
      await new Promise<void>((resolve, reject) => port.poller.once('readable', (e) => (e ? reject(e) : resolve())));
      continue;
    }
    if (bytesRead > 0) return { buffer, bytesRead };
    if (!port.isOpen) throw canceled();
    throw Object.assign(new Error('end of file: the tty hung up (its other side is gone)'), { code: 'EOF' });
  }
}

/** The platform binding, with `readOrHangup` in place of the unix read (Windows untouched). */
const hangupAwareBinding = {
  list: () => SerialPort.binding.list(),
  async open(options: OpenOptions): Promise<PortBinding> {
    const port = await (SerialPort.binding.open as (o: OpenOptions) => Promise<PortBinding>)(options);
    if (isPolledPort(port)) port.read = (buffer, offset, length) => readOrHangup(port, buffer, offset, length);
    return port;
  },
};

/** Serial ports the OS knows (needs `udevadm` on Linux: Debian package `udev`). */
export async function listSerialPorts(): Promise<{ path: string; manufacturer?: string | undefined }[]> {
  return (await SerialPort.list()).map((p) => ({ path: p.path, manufacturer: p.manufacturer }));
}
