import type { Clock } from '../../hal/time/clock.js';
import type { Link, LinkEvents, LinkState, LinkStats } from '../../hal/link/link.js';
import { Emitter } from '../../hal/util/emitter.js';
import type { EventRecord, Session } from '../../firmware-agent/recorder/format.js';
import { SeqMap } from './seq-map.js';

/**
 * A Link played back from a recorded session: the frames the agent received, the framing
 * drops and the port's own state changes, each at its recorded time on the (virtual) clock;
 * then the recorded stop. What the replayed agent sends is kept, not delivered anywhere.
 * Opening and closing behave as a StreamLink's (`opening`, then `up` a promise turn later).
 */
export class ReplayLink extends Emitter<LinkEvents> implements Link {
  readonly name: string;
  readonly stats: LinkStats = {
    bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, sendRefused: 0, reconnects: 0,
    drops: { escape: 0, crc: 0, oversize: 0 },
  };
  /** Every body the replayed agent sent, with its time (copied: the codec reuses its buffer). */
  readonly sent: { t: number; body: Uint8Array }[] = [];
  /** Recorded answers re-addressed to the replay's own requests (see SeqMap). */
  readonly seqs: SeqMap;
  private current: LinkState;
  private next = 0;
  private readonly events: readonly EventRecord[];

  constructor(
    private readonly clock: Clock,
    session: Session,
    /** Called at the recorded `end` (the agent was stopped then). */
    private readonly onEnd: (reason: string) => void,
  ) {
    super();
    this.name = `replay:${session.header.link.name}`;
    this.current = session.header.link.state === 'up' ? 'up' : 'closed';
    this.seqs = new SeqMap(session.events);
    this.events = session.events.filter((e) => e.type === 'rx' || e.type === 'drop' || (e.type === 'link' && !e.self) || e.type === 'end');
  }

  get state(): LinkState {
    return this.current;
  }

  /** Schedules the first recorded delivery; the rest follow one by one. */
  start(): void {
    this.scheduleNext();
  }

  async open(): Promise<void> {
    if (this.current === 'up' || this.current === 'opening') return;
    this.setState('opening');
    await Promise.resolve();
    if (this.state === 'opening') this.setState('up');
  }

  async close(): Promise<void> {
    this.setState('closed');
    await Promise.resolve();
  }

  send(body: Uint8Array): boolean {
    if (this.current !== 'up') {
      this.stats.sendRefused++;
      return false;
    }
    this.stats.framesOut++;
    const copy = Uint8Array.from(body);
    this.sent.push({ t: this.clock.now(), body: copy });
    this.seqs.sent(copy, this.clock.now());
    return true;
  }

  private scheduleNext(): void {
    const e = this.events[this.next];
    if (!e) return;
    this.clock.setTimerAt(e.t, () => {
      this.next++;
      this.deliver(e);
      if (e.type !== 'end') this.scheduleNext();
    });
  }

  private deliver(e: EventRecord): void {
    switch (e.type) {
      case 'rx':
        this.stats.framesIn++;
        this.stats.bytesIn += e.b.length;
        this.emit('frame', this.seqs.received(e.b));
        return;
      case 'drop':
        this.stats.drops[e.r]++;
        this.emit('drop', e.r, e.d);
        return;
      case 'link':
        if (e.s === 'up' && this.current === 'lost') this.stats.reconnects++;
        this.setState(e.s as LinkState);
        return;
      case 'end':
        this.onEnd(e.reason);
        return;
      default:
        return;
    }
  }

  private setState(next: LinkState): void {
    const prev = this.current;
    if (prev === next) return;
    this.current = next;
    this.emit('state', next, prev);
  }
}
