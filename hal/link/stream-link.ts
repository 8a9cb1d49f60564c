import type { Clock, Timer } from '../time/clock.js';
import { encodeFrame, SlipDecoder, DEFAULT_MAX_PAYLOAD } from '../framing/slip.js';
import { HalError } from '../errors.js';
import { Emitter } from '../util/emitter.js';
import type { BackoffOptions, Link, LinkEvents, LinkState, LinkStats } from './link.js';

export interface StreamLinkOptions {
  clock: Clock;
  name: string;
  backoff?: BackoffOptions;
  maxPayload?: number;
}

/**
 * What every byte-stream link shares: SLIP framing both ways, stats, the state machine and
 * reconnection with exponential backoff. A subclass supplies how to open, write and close.
 */
export abstract class StreamLink extends Emitter<LinkEvents> implements Link {
  readonly name: string;
  readonly stats: LinkStats = {
    bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, sendRefused: 0, reconnects: 0,
    drops: { escape: 0, crc: 0, oversize: 0 },
  };
  protected readonly clock: Clock;
  private current: LinkState = 'closed';
  private readonly decoder: SlipDecoder;
  private retryTimer: Timer | undefined;
  private retryDelay: number;
  private readonly backoff: Required<BackoffOptions>;
  private everUp = false;

  constructor(opts: StreamLinkOptions) {
    super();
    this.clock = opts.clock;
    this.name = opts.name;
    this.backoff = { initialMs: opts.backoff?.initialMs ?? 100, maxMs: opts.backoff?.maxMs ?? 5000 };
    this.retryDelay = this.backoff.initialMs;
    this.decoder = new SlipDecoder({
      maxPayload: opts.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      onFrame: (body) => {
        this.stats.framesIn++;
        this.emit('frame', body);
      },
      onDrop: (reason, bytes) => {
        this.stats.drops[reason]++;
        this.emit('drop', reason, `${bytes} bytes buffered`);
      },
    });
  }

  get state(): LinkState {
    return this.current;
  }

  /** Open the underlying transport; throw (or reject) when it cannot. */
  protected abstract openTransport(): Promise<void>;
  /** Write bytes; the transport is up when this is called. */
  protected abstract writeBytes(bytes: Buffer): void;
  protected abstract closeTransport(): Promise<void>;

  async open(): Promise<void> {
    if (this.current === 'up' || this.current === 'opening') return;
    this.setState('opening');
    try {
      await this.openTransport();
    } catch (err) {
      this.setState('closed');
      throw err instanceof HalError ? err : new HalError('E_LINK_OPEN', `${this.name}: ${(err as Error).message}`, { link: this.name });
    }
    this.markUp();
  }

  async close(): Promise<void> {
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    if (this.current === 'closed') return;
    this.setState('closed');
    this.decoder.end();
    await this.closeTransport().catch(() => {});
  }

  send(body: Uint8Array): boolean {
    if (this.current !== 'up') {
      this.stats.sendRefused++;
      return false;
    }
    const bytes = encodeFrame(body);
    this.stats.framesOut++;
    this.stats.bytesOut += bytes.length;
    this.writeBytes(bytes);
    return true;
  }

  /** Subclasses call this with every chunk read from the transport. */
  protected receiveBytes(chunk: Uint8Array): void {
    this.stats.bytesIn += chunk.length;
    this.decoder.push(chunk);
  }

  /** Subclasses call this when the transport vanished underneath (not on close()). */
  protected transportLost(reason: string): void {
    if (this.current === 'closed' || this.current === 'lost') return;
    this.decoder.end();
    this.setState('lost');
    this.emit('error', new HalError('E_LINK_DOWN', `${this.name}: lost (${reason})`, { link: this.name }));
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.backoff.maxMs);
    this.retryTimer = this.clock.setTimer(delay, () => {
      this.retryTimer = undefined;
      if (this.current !== 'lost') return;
      this.openTransport().then(
        () => {
          if (this.current !== 'lost') {
            void this.closeTransport().catch(() => {});
            return;
          }
          this.stats.reconnects++;
          this.markUp();
        },
        (err: unknown) => {
          if (this.current !== 'lost') return;
          this.emit('error', new HalError('E_LINK_OPEN', `${this.name}: reopen failed: ${(err as Error).message}`, { link: this.name, retryInMs: this.retryDelay }));
          this.scheduleRetry();
        },
      );
    });
  }

  private markUp(): void {
    this.everUp = true;
    this.retryDelay = this.backoff.initialMs;
    this.setState('up');
  }

  /** True once the link has been up at least once. */
  get hasBeenUp(): boolean {
    return this.everUp;
  }

  private setState(next: LinkState): void {
    const prev = this.current;
    if (prev === next) return;
    this.current = next;
    this.emit('state', next, prev);
  }
}
