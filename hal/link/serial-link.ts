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
      });
      port.open((err) => {
        if (err) {
          reject(err);
          return;
        }
        this.port = port;
        port.on('data', (chunk: Buffer) => {
          if (this.port === port) this.receiveBytes(chunk);
        });
        // 'close' without our asking means the device went away; errors precede it.
        port.on('close', () => {
          if (this.port !== port) return;
          this.port = undefined;
          this.transportLost('port closed');
        });
        port.on('error', (e: Error) => {
          if (this.port !== port) return;
          this.port = undefined;
          if (port.isOpen) port.close(() => {});
          this.transportLost(e.message);
        });
        resolve();
      });
    });
  }

  protected writeBytes(bytes: Buffer): void {
    const port = this.port;
    if (!port) return;
    port.write(bytes, (err) => {
      if (err && this.port === port) {
        this.port = undefined;
        this.transportLost(`write failed: ${err.message}`);
      }
    });
  }

  protected closeTransport(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port || !port.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.close(() => resolve()));
  }
}

/** Serial ports the OS knows (needs `udevadm` on Linux: Debian package `udev`). */
export async function listSerialPorts(): Promise<{ path: string; manufacturer?: string | undefined }[]> {
  return (await SerialPort.list()).map((p) => ({ path: p.path, manufacturer: p.manufacturer }));
}
