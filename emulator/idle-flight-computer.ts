import { HardwareClient, every, type Clock, type Link, type Periodic } from '../hal/index.js';

export interface IdleFlightComputerOptions {
  link: Link;
  clock: Clock;
  id: string;
  /** Pet the watchdog every this many ms. Default 500. */
  wdgPeriodMs?: number;
  /** Broadcast this many bytes on the ISL every `islPeriodMs` (radio traffic). Default 0 (none). */
  islBytes?: number;
  islPeriodMs?: number;
}

/**
 * A stand-in flight computer for running the emulator without the agent (benchmarks, the
 * determinism trace, `emulate` smoke tests): it handshakes, listens to every sample, pets the
 * watchdog, and optionally broadcasts a fixed-size ISL packet like a health beacon.
 */
export class IdleFlightComputer {
  readonly client: HardwareClient;
  samples = 0;
  islReceived = 0;
  private timers: Periodic[] = [];

  constructor(private readonly opts: IdleFlightComputerOptions) {
    this.client = new HardwareClient({ link: opts.link, clock: opts.clock, sw: `idle-fc/${opts.id}` });
    this.client.on('sample', () => this.samples++);
    this.client.on('isl', () => this.islReceived++);
  }

  async start(): Promise<void> {
    await this.client.start();
    const { clock } = this.opts;
    this.timers.push(every(clock, this.opts.wdgPeriodMs ?? 500, () => this.client.wdg()));
    const n = this.opts.islBytes ?? 0;
    if (n > 0) {
      const payload = new Uint8Array(n).fill(0x42);
      this.timers.push(
        every(clock, this.opts.islPeriodMs ?? 1000, () => {
          if (this.client.state === 'up') this.client.islTx('*', payload).catch(() => {});
        }),
      );
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) t.stop();
    await this.client.close();
  }
}
