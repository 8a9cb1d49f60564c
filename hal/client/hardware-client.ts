import { createActor, type Actor } from 'xstate';
import type { Clock, Timer } from '../time/clock.js';
import { xstateClock } from '../time/clock.js';
import type { Link } from '../link/link.js';
import { Endpoint } from '../protocol/endpoint.js';
import type { Ack, DeviceInfo, HalEvent, HelloHw, IslRx, Message, Sample, ValueMap, ErrorMsg } from '../protocol/messages.js';
import { HalError, RemoteError, TimeoutError } from '../errors.js';
import { Emitter } from '../util/emitter.js';
import { connectionMachine, type ConnectionState } from './connection-machine.js';
import { RecentRequests } from './recent-requests.js';

export interface HardwareClientOptions {
  link: Link;
  clock: Clock;
  /** Software version announced in our hello. */
  sw: string;
  /** How long a read/cmd/isl.tx waits for its answer, ms. Default 500. */
  requestTimeoutMs?: number;
  /** Resend hello when unanswered for this long, ms. Default 1000. */
  helloRetryMs?: number;
}

export type HardwareClientEvents = {
  state: [state: ConnectionState];
  /** The hardware's hello (after every handshake). */
  hello: [hello: HelloHw];
  /** A sample pushed at the device's rate (answers to `read` settle their promise instead). */
  sample: [sample: Sample];
  isl: [rx: IslRx];
  event: [ev: HalEvent];
  /** An `error` frame that answers nothing outstanding. */
  remoteError: [err: ErrorMsg];
  /** Something worth logging (handshake retries, link trouble, late answers). */
  error: [err: HalError];
};

export interface ClientStats {
  timeouts: number;
  /** Answers that arrived after their request had timed out. */
  late: number;
  /** Second answers to a request already answered. */
  duplicate: number;
  /** Answers naming a `ref` we never sent (or long forgotten). */
  unknownRef: number;
  handshakes: number;
}

interface Pending {
  kind: 'read' | 'cmd' | 'isl.tx';
  dev: string | undefined;
  resolve: (m: Message) => void;
  reject: (e: HalError) => void;
  timer: Timer;
}

/**
 * The flight computer's side of the HAL: handshake, the device table from `hello`, and
 * `read`/`cmd`/`isl.tx` as promises correlated by `seq`/`ref`. Every request settles: with
 * its answer, a RemoteError, a TimeoutError, or E_LINK_DOWN when the link goes away.
 */
export class HardwareClient extends Emitter<HardwareClientEvents> {
  readonly endpoint: Endpoint;
  readonly stats: ClientStats = { timeouts: 0, late: 0, duplicate: 0, unknownRef: 0, handshakes: 0 };
  private readonly clock: Clock;
  private readonly link: Link;
  private readonly sw: string;
  private readonly requestTimeoutMs: number;
  private readonly pending = new Map<number, Pending>();
  private readonly recent = new RecentRequests(1024);
  private readonly actor: Actor<typeof connectionMachine>;
  private deviceTable = new Map<string, DeviceInfo>();
  private hwHello: HelloHw | undefined;
  private lastState: ConnectionState = 'closed';
  private readonly offLinkState: () => void;

  constructor(opts: HardwareClientOptions) {
    super();
    this.clock = opts.clock;
    this.link = opts.link;
    this.sw = opts.sw;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 500;
    this.endpoint = new Endpoint(opts.link, opts.clock);
    const machine = connectionMachine.provide({
      actions: {
        sendHello: () => {
          this.endpoint.send({ kind: 'hello', role: 'fc', sw: this.sw });
        },
        failPending: () =>
          this.failAll(this.link.state === 'closed' ? new HalError('E_LINK_CLOSED', 'link closed before the answer came') : new HalError('E_LINK_DOWN', 'link down before the answer came')),
        handshakeTimedOut: () =>
          this.emit('error', new TimeoutError('E_HANDSHAKE_TIMEOUT', `no hello from the hardware on ${this.link.name}; sending hello again`)),
      },
    });
    this.actor = createActor(machine, { input: { helloRetryMs: opts.helloRetryMs ?? 1000 }, clock: xstateClock(opts.clock) });
    this.actor.subscribe((snap) => {
      const s = snap.value as ConnectionState;
      if (s === this.lastState) return;
      this.lastState = s;
      this.emit('state', s);
    });
    this.actor.start();
    this.offLinkState = this.link.on('state', (s) => {
      if (s === 'up') this.actor.send({ type: 'LINK_UP' });
      else if (s === 'lost') this.actor.send({ type: 'LINK_LOST' });
      else if (s === 'closed') this.actor.send({ type: 'CLOSE' });
    });
    this.endpoint.on('message', (m) => this.onMessage(m));
  }

  get state(): ConnectionState {
    return this.actor.getSnapshot().value as ConnectionState;
  }

  /** The hardware's last hello (sat id, devices, watchdog period). */
  get hello(): HelloHw | undefined {
    return this.hwHello;
  }

  get devices(): ReadonlyMap<string, DeviceInfo> {
    return this.deviceTable;
  }

  /** Opens the link (rejects with E_LINK_OPEN) and starts the handshake. */
  async start(): Promise<void> {
    await this.link.open();
    if (this.link.state === 'up' && this.state !== 'handshaking' && this.state !== 'up') this.actor.send({ type: 'LINK_UP' });
  }

  /**
   * Closes the link and detaches from it for good: a closed client hears nothing more, even
   * if the same link is opened again by someone else (a new client after an in-process reboot).
   */
  async close(): Promise<void> {
    this.actor.send({ type: 'CLOSE' });
    this.offLinkState();
    this.endpoint.detach();
    await this.link.close();
  }

  /** Resolves at the next (or current) `up`. */
  ready(): Promise<HelloHw> {
    if (this.state === 'up' && this.hwHello) return Promise.resolve(this.hwHello);
    return new Promise((resolve) => {
      const off = this.on('hello', (h) => {
        off();
        resolve(h);
      });
    });
  }

  read(dev: string): Promise<Sample> {
    return this.request('read', dev, { kind: 'read', dev }) as Promise<Sample>;
  }

  /** Settles with the `ack` (ok true or false); rejects on timeout, link loss or `error`. */
  cmd(dev: string, op: string, args: ValueMap = {}): Promise<Ack> {
    const info = this.deviceTable.get(dev);
    if (info && !info.ops.includes(op)) {
      return Promise.reject(new HalError('E_OP_UNKNOWN', `device ${dev} has no op ${op} (ops: ${info.ops.join(', ') || 'none'})`, { dev, op }));
    }
    return this.request('cmd', dev, { kind: 'cmd', dev, op, args }) as Promise<Ack>;
  }

  /** Hands bytes to the ISL radio; settles with its `ack` (ok:false code busy when full). */
  islTx(to: string, data: Uint8Array): Promise<Ack> {
    return this.request('isl.tx', undefined, { kind: 'isl.tx', to, data }) as Promise<Ack>;
  }

  /** Pets the hardware watchdog. False when not connected. */
  wdg(): boolean {
    if (this.state !== 'up') return false;
    return this.endpoint.send({ kind: 'wdg' }) !== undefined;
  }

  private request(kind: Pending['kind'], dev: string | undefined, out: Parameters<Endpoint['send']>[0]): Promise<Message> {
    if (this.state !== 'up') return Promise.reject(new HalError('E_LINK_DOWN', `cannot ${kind}: connection is ${this.state}`, { kind, dev }));
    if (dev !== undefined && !this.deviceTable.has(dev)) {
      return Promise.reject(new HalError('E_DEVICE_UNKNOWN', `no device ${dev} in the hardware's hello`, { dev }));
    }
    let seq: number | undefined;
    try {
      seq = this.endpoint.send(out);
    } catch (err) {
      return Promise.reject(err);
    }
    if (seq === undefined) return Promise.reject(new HalError('E_LINK_DOWN', `cannot ${kind}: link not up`, { kind, dev }));
    const s = seq;
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimer(this.requestTimeoutMs, () => {
        this.pending.delete(s);
        this.recent.remember(s, 'timedOut');
        this.stats.timeouts++;
        reject(new TimeoutError('E_LINK_TIMEOUT', `${kind}${dev ? ` ${dev}` : ''}: no answer in ${this.requestTimeoutMs} ms`, { seq: s, kind, dev }));
      });
      this.pending.set(s, { kind, dev, resolve, reject, timer });
    });
  }

  private onMessage(m: Message): void {
    switch (m.kind) {
      case 'hello':
        if (m.role !== 'hw') return;
        this.hwHello = m;
        this.deviceTable = new Map(m.devices.map((d) => [d.id, d]));
        this.stats.handshakes++;
        this.actor.send({ type: 'HELLO_HW', hello: m });
        this.emit('hello', m);
        return;
      case 'sample':
        if (m.ref === undefined) {
          if (this.state === 'up') this.emit('sample', m);
          return;
        }
        this.settle(m.ref, m, (p) => p.kind === 'read' && p.dev === m.dev);
        return;
      case 'ack':
        this.settle(m.ref, m, (p) => p.kind === 'cmd' || p.kind === 'isl.tx');
        return;
      case 'error':
        // `busy` answering anything while we think we are up: the hardware power-cycled and
        // waits for hello (PROTOCOL.md §3). Say hello again.
        if (m.code === 'busy' && this.state === 'up') this.actor.send({ type: 'HW_RESET' });
        if (m.ref !== undefined && this.pending.has(m.ref)) {
          const p = this.pending.get(m.ref)!;
          this.pending.delete(m.ref);
          p.timer.cancel();
          this.recent.remember(m.ref, 'answered');
          p.reject(new RemoteError(m.code, `${p.kind}${p.dev ? ` ${p.dev}` : ''} refused: ${m.code}: ${m.msg}`, { seq: m.ref }));
          return;
        }
        this.emit('remoteError', m);
        return;
      case 'isl.rx':
        this.emit('isl', m);
        return;
      case 'event':
        this.emit('event', m);
        if (m.code === 'reset') this.actor.send({ type: 'HW_RESET' });
        return;
      default:
        // read/cmd/isl.tx/wdg are ours to send; a hardware sending them is ignored.
        return;
    }
  }

  /** Delivers an answer to its request, or counts it as late / duplicate / unknown. */
  private settle(ref: number, m: Message, fits: (p: Pending) => boolean): void {
    const p = this.pending.get(ref);
    if (p && fits(p)) {
      this.pending.delete(ref);
      p.timer.cancel();
      this.recent.remember(ref, 'answered');
      p.resolve(m);
      return;
    }
    const was = this.recent.lookup(ref);
    if (was === 'timedOut') {
      this.stats.late++;
      this.recent.remember(ref, 'answered');
    } else if (was === 'answered') this.stats.duplicate++;
    else this.stats.unknownRef++;
  }

  private failAll(err: HalError): void {
    for (const [seq, p] of this.pending) {
      p.timer.cancel();
      this.recent.remember(seq, 'timedOut');
      p.reject(err);
    }
    this.pending.clear();
  }
}
