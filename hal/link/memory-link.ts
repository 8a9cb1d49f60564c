import type { Clock } from '../time/clock.js';
import { crc32Range } from '../framing/crc32.js';
import { CRC_BYTES, DEFAULT_MAX_PAYLOAD, encodeFrame, END, ESC } from '../framing/slip.js';
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
 *
 * On a clean line (no corruption) the SLIP round trip is the identity, so a frame skips it:
 * the body is copied once at `send` (its framed size, CRC included, counted exactly: it sets
 * the line time and the byte stats), and the far end hands that copy to its `frame`
 * listeners as its decoder would have. Everything observable is the same: arrival times,
 * `stats`, `tap` (given the real frame bytes), `lostInFlight`. The far end's decoder is
 * bypassed only while it sits between frames; after raw bytes that left it inside one
 * (`receiveBytes` from elsewhere), frames go through it as bytes until it is clean again.
 * An oversize body (beyond the far end's `maxPayload`) also goes the byte way, to be dropped
 * there as such.
 */
export class MemoryLink extends StreamLink {
  peer!: MemoryLink;
  private readonly latencyMs: number;
  private readonly bytesPerSecond: number;
  private readonly corruptionRate: number;
  private readonly random: () => number;
  private readonly tap: MemoryLinkOptions['tap'];
  /** The decoder's limit (body + CRC), bytes. */
  private readonly maxPayload: number;
  /** When the line is next free to start sending, ms. */
  private lineFreeAt = 0;
  private generation = 0;
  /** The last raw chunk received ended inside a frame (the decoder holds part of it). */
  private midFrame = false;
  /**
   * Chunks on the wire towards the peer, oldest first: the bytes (or, on the clean-line path,
   * the body), the peer's generation when written, and the size on the wire (-1: raw bytes).
   * Arrival times never decrease along the line (each chunk starts when the previous one has
   * left; the latency is fixed) and the clock runs same-time events in the order scheduled,
   * so every arrival timer takes the head: one bound function for them all instead of a
   * closure per chunk.
   */
  private inFlight: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(8).fill(undefined);
  private inFlightGen = new Float64Array(8);
  private inFlightWire = new Float64Array(8);
  /** A ring: `inFlightCount` chunks from `inFlightHead` (capacity a power of two). */
  private inFlightHead = 0;
  private inFlightCount = 0;
  private readonly arrive = (): void => this.arriveHead();

  constructor(clock: Clock, private readonly wire: MemoryWire, name: string, opts: MemoryLinkOptions) {
    super({ clock, name, ...(opts.backoff ? { backoff: opts.backoff } : {}), ...(opts.maxPayload ? { maxPayload: opts.maxPayload } : {}) });
    this.latencyMs = opts.latencyMs ?? 0;
    this.bytesPerSecond = opts.bytesPerSecond ?? Infinity;
    this.corruptionRate = opts.corruptionRate ?? 0;
    this.random = opts.random ?? Math.random;
    this.tap = opts.tap;
    this.maxPayload = opts.maxPayload || DEFAULT_MAX_PAYLOAD;
  }

  override send(body: Uint8Array): boolean {
    const n = body.length;
    if (this.corruptionRate > 0 || n + CRC_BYTES > this.peer.maxPayload) return super.send(body);
    // As StreamLink.send → writeBytes, without making the frame (unless tapped).
    if (this.state !== 'up') {
      this.stats.sendRefused++;
      return false;
    }
    const copy = copyBody(body);
    const crc = crc32Range(copy, 0, n);
    const wireBytes = 2 + n + CRC_BYTES + copySpecials + special(crc & 0xff) + special((crc >>> 8) & 0xff) + special((crc >>> 16) & 0xff) + special(crc >>> 24);
    this.stats.framesOut++;
    this.stats.bytesOut += wireBytes;
    if (this.tap) this.tap(this.name, encodeFrame(copy), this.clock.now());
    this.enqueue(copy, wireBytes);
    return true;
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
    this.tap?.(this.name, data, this.clock.now());
    this.enqueue(data, -1);
  }

  protected override receiveBytes(chunk: Uint8Array): void {
    // After an END the decoder is always between frames, whatever came before.
    if (chunk.length > 0) this.midFrame = chunk[chunk.length - 1] !== END;
    super.receiveBytes(chunk);
  }

  /** `data` goes on the line now: raw bytes (`wireBytes` -1) or a clean frame's body. */
  private enqueue(data: Uint8Array, wireBytes: number): void {
    const now = this.clock.now();
    const size = wireBytes < 0 ? data.length : wireBytes;
    const start = Math.max(now, this.lineFreeAt);
    const airtime = Number.isFinite(this.bytesPerSecond) ? (size * 1000) / this.bytesPerSecond : 0;
    this.lineFreeAt = start + airtime;
    const arriveAt = start + airtime + this.latencyMs;
    if (this.inFlightCount === this.inFlight.length) this.growInFlight();
    const j = (this.inFlightHead + this.inFlightCount++) & (this.inFlight.length - 1);
    this.inFlight[j] = data;
    this.inFlightGen[j] = this.peer.generation;
    this.inFlightWire[j] = wireBytes;
    // Always through the clock, even with no delay: a reply is never delivered re-entrantly
    // inside the sender's own send().
    this.clock.setTimerAt(arriveAt, this.arrive);
  }

  private arriveHead(): void {
    const i = this.inFlightHead;
    const data = this.inFlight[i]!;
    const gen = this.inFlightGen[i]!;
    const wireBytes = this.inFlightWire[i]!;
    this.inFlight[i] = undefined; // let the bytes go
    this.inFlightHead = (i + 1) & (this.inFlight.length - 1);
    this.inFlightCount--;
    const peer = this.peer;
    // A chunk in flight when the wire was cut, or addressed to a closed end, is gone.
    if (!this.wire.connected || peer.generation !== gen || peer.state !== 'up') {
      this.wire.lostInFlight += wireBytes < 0 ? data.length : wireBytes;
      return;
    }
    if (wireBytes < 0) peer.receiveBytes(data);
    else peer.receiveFrame(data, wireBytes);
  }

  private growInFlight(): void {
    const cap = this.inFlight.length;
    const data = new Array<Uint8Array | undefined>(2 * cap).fill(undefined);
    const gen = new Float64Array(2 * cap);
    const wire = new Float64Array(2 * cap);
    for (let k = 0; k < this.inFlightCount; k++) {
      const j = (this.inFlightHead + k) & (cap - 1);
      data[k] = this.inFlight[j];
      gen[k] = this.inFlightGen[j]!;
      wire[k] = this.inFlightWire[j]!;
    }
    this.inFlight = data;
    this.inFlightGen = gen;
    this.inFlightWire = wire;
    this.inFlightHead = 0;
  }

  /** A clean frame's body arrives: what the decoder would do with its bytes. */
  private receiveFrame(body: Uint8Array, wireBytes: number): void {
    if (this.midFrame) {
      this.receiveBytes(encodeFrame(body));
      return;
    }
    this.stats.bytesIn += wireBytes;
    this.stats.framesIn++;
    try {
      this.emit('frame', body);
    } catch {
      // As the decoder: a throwing handler never breaks the line.
    }
  }
}

function special(b: number): number {
  return b === END || b === ESC ? 1 : 0;
}

// Copies of bodies on the clean-line path: views into a slab (a new one when the rest could
// not hold the body), as the codec hands out bodies and Node its small Buffers: no backing
// store of its own per frame. Small slabs, so that a body kept long pins little.
const SLAB = 8 * 1024;
const SLAB_MAX_BODY = 1024;
/** A slab's bytes are all written before any view of them is handed out: no need to zero them. */
const newSlab = (): ArrayBuffer => Buffer.allocUnsafeSlow(SLAB).buffer as ArrayBuffer;
let slab = newSlab();
let slabPos = 0;
/** END/ESC bytes in the body last copied by copyBody. */
let copySpecials = 0;

const bufferIndexOf = Buffer.prototype.indexOf as (this: Uint8Array, value: number, byteOffset: number) => number;

/** How many `byte`s in `a` (memchr: a few calls for a typical body, not a loop over it). */
function countByte(a: Uint8Array, byte: number): number {
  let k = 0;
  for (let j = bufferIndexOf.call(a, byte, 0); j >= 0; j = bufferIndexOf.call(a, byte, j + 1)) k++;
  return k;
}

/** A copy of `body` the receiver may keep; counts its END/ESC bytes into `copySpecials`. */
function copyBody(body: Uint8Array): Uint8Array {
  const n = body.length;
  let out: Uint8Array;
  if (n > SLAB_MAX_BODY) out = new Uint8Array(n);
  else {
    if (SLAB - slabPos < n) {
      slab = newSlab();
      slabPos = 0;
    }
    out = new Uint8Array(slab, slabPos, n);
    slabPos += n;
  }
  out.set(body);
  copySpecials = n === 0 ? 0 : countByte(out, END) + countByte(out, ESC);
  return out;
}

/** Two connected memory links (flight-computer side first, by convention). */
export function memoryLinkPair(clock: Clock, opts: MemoryLinkOptions = {}, names?: [string, string]): [MemoryLink, MemoryLink, MemoryWire] {
  const wire = new MemoryWire(clock, opts, names);
  return [wire.a, wire.b, wire];
}
