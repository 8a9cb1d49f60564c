import type { Clock, Periodic, Timer } from '../time/clock.js';
import { every } from '../time/clock.js';
import type { Link } from '../link/link.js';
import { Endpoint } from '../protocol/endpoint.js';
import type { HelloFc, Message, Outgoing, ValueMap } from '../protocol/messages.js';
import { isMap } from '../protocol/schema.js';
import { Emitter } from '../util/emitter.js';
import type { Device, IslPort } from './device.js';

/** Spacing of the devices' push schedules, ms. */
export const PUSH_STAGGER_MS = 9;

export interface HardwareServerOptions {
  link: Link;
  clock: Clock;
  sat: string;
  /** Hardware description in hello. Default "emulator". */
  hw?: string;
  /** Watchdog period announced in hello, ms. Default 2000. */
  watchdogMs?: number;
  devices: Device[];
  /** The ISL radio; without one, `isl.tx` is refused with `busy`. */
  isl?: IslPort;
  /** Push samples at each device's rate after the handshake. Default true. */
  push?: boolean;
}

export type HardwareServerEvents = {
  /** The flight computer said hello (first time or again). */
  hello: [hello: HelloFc];
  /** The watchdog expired: the flight computer is being reset. */
  reset: [reason: string];
  wdg: [];
};

export interface ServerStats {
  reads: number;
  cmds: number;
  islTx: number;
  samplesPushed: number;
  refused: number;
  resets: number;
}

/**
 * The hardware's side of the HAL: answers hello, read, cmd and isl.tx; pushes samples at
 * each device's rate once the flight computer has said hello; runs the watchdog. Armed by
 * the first `wdg` after a handshake; when petting stops for `watchdogMs`, it sends
 * `event reset`, stops pushing, and waits for a new `hello` as after power-on.
 */
export class HardwareServer extends Emitter<HardwareServerEvents> {
  readonly endpoint: Endpoint;
  readonly stats: ServerStats = { reads: 0, cmds: 0, islTx: 0, samplesPushed: 0, refused: 0, resets: 0 };
  private readonly clock: Clock;
  private readonly devices = new Map<string, Device>();
  private readonly opts: HardwareServerOptions;
  private handshaken = false;
  private pushers: Periodic[] = [];
  private watchdog: Timer | undefined;

  constructor(opts: HardwareServerOptions) {
    super();
    this.opts = opts;
    this.clock = opts.clock;
    for (const d of opts.devices) this.devices.set(d.info.id, d);
    this.endpoint = new Endpoint(opts.link, opts.clock);
    this.endpoint.on('message', (m) => this.onMessage(m));
    opts.link.on('state', (s) => {
      if (s !== 'up') this.stopPushing();
    });
  }

  get isHandshaken(): boolean {
    return this.handshaken;
  }

  get watchdogArmed(): boolean {
    return this.watchdog !== undefined;
  }

  async start(): Promise<void> {
    await this.opts.link.open();
  }

  /** Power off: after `start()` again the hardware waits for a new hello, as after power-on. */
  async stop(): Promise<void> {
    this.stopPushing();
    this.disarm();
    this.handshaken = false;
    await this.opts.link.close();
  }

  /** Bytes the radio received for this satellite. Dropped (false) before a handshake. */
  deliverIsl(from: string, data: Uint8Array, rssi: number): boolean {
    if (!this.handshaken) return false;
    return this.send({ kind: 'isl.rx', from, data, rssi });
  }

  /** A hardware event (`brownout`, `fault`, `link`, …). */
  event(code: string, msg: string): boolean {
    return this.send({ kind: 'event', code, msg });
  }

  private send(out: Outgoing): boolean {
    return this.endpoint.send(out) !== undefined;
  }

  private answer(latencyMs: number | undefined, out: Outgoing): void {
    if (!latencyMs) {
      this.send(out);
      return;
    }
    this.clock.setTimer(latencyMs, () => this.send(out));
  }

  private refuse(ref: number, code: string, msg: string): void {
    this.stats.refused++;
    this.send({ kind: 'error', ref, code, msg });
  }

  private onMessage(m: Message): void {
    if (m.kind === 'hello') {
      if (m.role !== 'fc') return;
      this.onHello(m);
      return;
    }
    if (m.kind === 'error' || m.kind === 'sample' || m.kind === 'ack' || m.kind === 'isl.rx' || m.kind === 'event') return;
    if (!this.handshaken) {
      // After power-on or a watchdog reset the hardware waits for hello first.
      this.refuse(m.seq, 'busy', 'awaiting hello');
      return;
    }
    switch (m.kind) {
      case 'read':
        this.onRead(m.seq, m.dev);
        return;
      case 'cmd':
        this.onCmd(m.seq, m.dev, m.op, m.args);
        return;
      case 'isl.tx':
        this.onIslTx(m.seq, m.to, m.data);
        return;
      case 'wdg':
        this.pet();
        return;
    }
  }

  private onHello(m: HelloFc): void {
    this.handshaken = true;
    this.disarm(); // armed again by the first wdg after this handshake
    this.send({
      kind: 'hello',
      role: 'hw',
      sat: this.opts.sat,
      hw: this.opts.hw ?? 'emulator',
      devices: [...this.devices.values()].map((d) => d.info),
      watchdog_ms: this.opts.watchdogMs ?? 2000,
    });
    this.startPushing();
    this.emit('hello', m);
  }

  private onRead(ref: number, dev: string): void {
    this.stats.reads++;
    const d = this.devices.get(dev);
    if (!d) return this.refuse(ref, 'device', `no device ${dev}`);
    const at = Math.floor(this.clock.now());
    const val = d.read(at);
    if (val === undefined) return; // dropout: no answer
    this.answer(d.latencyMs, { kind: 'sample', dev, at, val, ref });
  }

  private onCmd(ref: number, dev: string, op: string, args: ValueMap): void {
    this.stats.cmds++;
    const d = this.devices.get(dev);
    if (!d) return this.answer(0, { kind: 'ack', ref, ok: false, code: 'device', msg: `no device ${dev}` });
    if (!d.command || !d.info.ops.includes(op)) {
      return this.answer(d.latencyMs, { kind: 'ack', ref, ok: false, code: 'op', msg: `no op ${op} on ${dev}` });
    }
    let r;
    try {
      r = d.command(op, isMap(args) ? args : {}, Math.floor(this.clock.now()));
    } catch (err) {
      r = { ok: false as const, code: 'op', msg: `device failed: ${(err as Error).message}` };
    }
    if (r === undefined) return; // the device did not answer
    this.answer(d.latencyMs, r.ok ? { kind: 'ack', ref, ok: true } : { kind: 'ack', ref, ok: false, code: r.code, msg: r.msg });
  }

  private onIslTx(ref: number, to: string, data: Uint8Array): void {
    this.stats.islTx++;
    const r = this.opts.isl ? this.opts.isl.transmit(to, data, Math.floor(this.clock.now())) : { ok: false as const, code: 'busy', msg: 'no radio' };
    this.send(r.ok ? { kind: 'ack', ref, ok: true } : { kind: 'ack', ref, ok: false, code: r.code, msg: r.msg });
  }

  private pet(): void {
    this.emit('wdg');
    this.watchdog?.cancel();
    this.watchdog = this.clock.setTimer(this.opts.watchdogMs ?? 2000, () => this.expire());
  }

  private disarm(): void {
    this.watchdog?.cancel();
    this.watchdog = undefined;
  }

  private expire(): void {
    this.watchdog = undefined;
    this.stats.resets++;
    this.send({ kind: 'event', code: 'reset', msg: 'watchdog' });
    this.handshaken = false;
    this.stopPushing();
    this.emit('reset', 'watchdog');
  }

  private startPushing(): void {
    this.stopPushing();
    if (this.opts.push === false) return;
    // Stagger the devices' first deadlines (PUSH_STAGGER_MS apart) so their samples do not all
    // hit the line at once: an ack queued behind a burst would miss its 50 ms (PROTOCOL.md §3).
    let slot = 0;
    for (const d of this.devices.values()) {
      if (!(d.info.rate_hz > 0)) continue;
      const periodMs = 1000 / d.info.rate_hz;
      const offset = (slot++ * PUSH_STAGGER_MS) % periodMs;
      this.pushers.push(
        every(this.clock, periodMs, () => {
          if (!this.handshaken) return;
          const at = Math.floor(this.clock.now());
          const val = d.read(at);
          if (val === undefined) return;
          if (this.send({ kind: 'sample', dev: d.info.id, at, val })) this.stats.samplesPushed++;
        }, { startAt: this.clock.now() + periodMs + offset }),
      );
    }
  }

  private stopPushing(): void {
    for (const p of this.pushers) p.stop();
    this.pushers = [];
  }
}
