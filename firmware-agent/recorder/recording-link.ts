import type { Link, LinkEvents, LinkState, LinkStats } from '../../hal/link/link.js';
import { Emitter } from '../../hal/util/emitter.js';
import type { EventRecord } from './format.js';

/**
 * A Link that is another link, plus a tee into the flight recorder: every frame body
 * received (before anyone acts on it), every framing drop, every state change and every
 * body sent, each stamped with the agent clock's time. It adds no timer and no await, so the
 * agent behaves exactly as on the bare link. Records are encoded at once (a sent body may be
 * a view of the codec's scratch buffer, reused by the next send).
 *
 * Why bodies and not raw bytes: the Link interface is the seam the agent sees (an in-memory
 * link never even makes the bytes of a clean frame); SLIP and CRC are a pure function of the
 * bytes, so what the agent can observe of them is the body or the drop reason, and both are
 * recorded. The CBOR and schema checks above the link are redone on replay.
 */
export class RecordingLink extends Emitter<LinkEvents> implements Link {
  private readonly offs: (() => void)[] = [];
  /** Inside our own open()/close(): state changes are the agent's doing, not the port's. */
  private selfCaused = 0;

  constructor(
    private readonly inner: Link,
    private readonly now: () => number,
    private readonly write: (r: EventRecord) => void,
  ) {
    super();
    this.offs.push(
      inner.on('frame', (b) => {
        this.write({ type: 'rx', t: now(), b });
        this.emit('frame', b);
      }),
      inner.on('drop', (r, d) => {
        this.write({ type: 'drop', t: now(), r, d });
        this.emit('drop', r, d);
      }),
      inner.on('state', (s, prev) => {
        this.write(this.selfCaused > 0 ? { type: 'link', t: now(), s, self: true } : { type: 'link', t: now(), s });
        this.emit('state', s, prev);
      }),
      inner.on('error', (e) => this.emit('error', e)),
    );
  }

  get name(): string {
    return this.inner.name;
  }

  get state(): LinkState {
    return this.inner.state;
  }

  get stats(): LinkStats {
    return this.inner.stats;
  }

  async open(): Promise<void> {
    this.selfCaused++;
    try {
      await this.inner.open();
    } finally {
      this.selfCaused--;
    }
  }

  async close(): Promise<void> {
    this.selfCaused++;
    try {
      await this.inner.close();
    } finally {
      this.selfCaused--;
      this.detach();
    }
  }

  send(body: Uint8Array): boolean {
    const ok = this.inner.send(body);
    this.write(ok ? { type: 'tx', t: this.now(), b: body } : { type: 'tx', t: this.now(), b: body, ok: false });
    return ok;
  }

  /** Stops listening to the inner link (it may outlive this agent: a reboot wraps it again). */
  detach(): void {
    for (const off of this.offs.splice(0)) off();
  }
}
