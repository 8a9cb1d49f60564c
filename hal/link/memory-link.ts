import type { Clock } from '../time/clock.js';
import { StreamLink } from './stream-link.js';
import type { BackoffOptions } from './link.js';

export interface MemoryLinkOptions {
  /** One-way delay added to every chunk, ms. Default 0. */
  latencyMs?: number;
  /** Line rate, bytes per second; frames queue behind each other. Default: unlimited. */
  bytesPerSecond?: number;
  /** Probability that each byte is corrupted in transit (one bit flipped). Default 0. */
  corruptionRate?: number;
  /** Source of randomness in [0, 1) for corruption; pass a seeded one for determinism. */
  random?: () => number;
  backoff?: BackoffOptions;
  maxPayload?: number;
  /** Sees every chunk as it goes on the wire (after corruption), e.g. to hash a run's trace. */
  tap?: (from: string, bytes: Uint8Array, atMs: number) => void;
}

/** The pipe between two memory links; `sever()`/`restore()` make it vanish and return. */
export class MemoryWire {
  connected = true;
  /** Bytes dropped because the wire was severed while they were in flight. */
  lostInFlight = 0;
  readonly a: MemoryLink;
  readonly b: MemoryLink;

  constructor(clock: Clock, opts: MemoryLinkOptions = {}, names: [string, string] = ['mem-a', 'mem-b']) {
    this.a = new MemoryLink(clock, this, names[0], opts);
    this.b = new MemoryLink(clock, this, names[1], opts);
    this.a.peer = this.b;
    this.b.peer = this.a;
  }

  /** The wire vanishes: both ends go `lost` and retry until `restore()`. */
  sever(): void {
    this.connected = false;
    this.a.vanish();
    this.b.vanish();
  }

  restore(): void {
    this.connected = true;
  }
}

/**
 * One end of an in-memory serial line: bytes go through the same SLIP framing as a real
 * port, delivered on the clock with optional latency, a line rate (frames queue behind each
 * other, as on a UART) and byte corruption. With a virtual clock, tests never sleep.
 */
export class MemoryLink extends StreamLink {
  peer!: MemoryLink;
  private readonly latencyMs: number;
  private readonly bytesPerSecond: number;
  private readonly corruptionRate: number;
  private readonly random: () => number;
  private readonly tap: MemoryLinkOptions['tap'];
  /** When the line is next free to start sending, ms. */
  private lineFreeAt = 0;
  private generation = 0;

  constructor(clock: Clock, private readonly wire: MemoryWire, name: string, opts: MemoryLinkOptions) {
    super({ clock, name, ...(opts.backoff ? { backoff: opts.backoff } : {}), ...(opts.maxPayload ? { maxPayload: opts.maxPayload } : {}) });
    this.latencyMs = opts.latencyMs ?? 0;
    this.bytesPerSecond = opts.bytesPerSecond ?? Infinity;
    this.corruptionRate = opts.corruptionRate ?? 0;
    this.random = opts.random ?? Math.random;
    this.tap = opts.tap;
  }

  protected openTransport(): Promise<void> {
    if (!this.wire.connected) return Promise.reject(new Error('wire not connected'));
    this.generation++;
    return Promise.resolve();
  }

  protected closeTransport(): Promise<void> {
    this.generation++;
    return Promise.resolve();
  }

  /** Called by the wire when severed. */
  vanish(): void {
    this.generation++;
    this.transportLost('memory wire severed');
  }

  protected writeBytes(bytes: Buffer): void {
    let data: Uint8Array = bytes;
    if (this.corruptionRate > 0) {
      data = Buffer.from(bytes);
      for (let i = 0; i < data.length; i++) {
        if (this.random() < this.corruptionRate) data[i]! ^= 1 << Math.floor(this.random() * 8);
      }
    }
    const now = this.clock.now();
    this.tap?.(this.name, data, now);
    const start = Math.max(now, this.lineFreeAt);
    const airtime = Number.isFinite(this.bytesPerSecond) ? (data.length * 1000) / this.bytesPerSecond : 0;
    this.lineFreeAt = start + airtime;
    const arriveAt = start + airtime + this.latencyMs;
    const peer = this.peer;
    const gen = peer.generation;
    const deliver = (): void => {
      // A chunk in flight when the wire was cut, or addressed to a closed end, is gone.
      if (!this.wire.connected || peer.generation !== gen || peer.state !== 'up') {
        this.wire.lostInFlight += data.length;
        return;
      }
      peer.receiveBytes(data);
    };
    // Always through the clock, even with no delay: a reply is never delivered re-entrantly
    // inside the sender's own send().
    this.clock.setTimerAt(arriveAt, deliver);
  }
}

/** Two connected memory links (flight-computer side first, by convention). */
export function memoryLinkPair(clock: Clock, opts: MemoryLinkOptions = {}, names?: [string, string]): [MemoryLink, MemoryLink, MemoryWire] {
  const wire = new MemoryWire(clock, opts, names);
  return [wire.a, wire.b, wire];
}
