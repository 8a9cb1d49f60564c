/**
 * The ground console: a HAL client of the ground station's radio (emulator/constellation.ts
 * serves it like a satellite's hardware, with no devices). Commands go out as signed packets
 * in `isl.tx` to one satellite; `isl.rx` brings the satellites' replies and their ISL traffic
 * (telemetry.ts). Every line it prints starts with the station's time.
 */
import type { KeyObject } from 'node:crypto';
import type { Clock, HardwareClient, IslRx } from '../../hal/index.js';
import { parseReply, type GroundCommand, type GroundReply } from '../../firmware-agent/ground/format.js';
import type { CommandCounter } from './counter.js';
import { signedCommand } from './keys.js';
import { CONSOLE_HELP, type ConsoleLine } from './script.js';
import type { GroundTelemetry } from './telemetry.js';

export interface GroundConsoleOptions {
  client: HardwareClient;
  clock: Clock;
  key: KeyObject;
  counter: CommandCounter;
  telemetry: GroundTelemetry;
  /** One line of output (no newline). */
  out: (line: string) => void;
  /** How long to wait for a reply before saying none came, ms. Default 10 000. */
  replyTimeoutMs?: number;
  /** Seconds between telemetry summaries (0: none). Default 60. */
  summaryEveryS?: number;
}

export interface ConsoleStats {
  sent: number;
  accepted: number;
  failed: number;
  refused: number;
  unanswered: number;
  /** The station's radio would not take the packet (queue full). */
  notSent: number;
}

export class GroundConsole {
  readonly stats: ConsoleStats = { sent: 0, accepted: 0, failed: 0, refused: 0, unanswered: 0, notSent: 0 };
  /** Replies received, in order (tests and scripts look at them). */
  readonly replies: GroundReply[] = [];
  private readonly waiting = new Map<number, { sat: string; op: string; cancel: () => void }>();
  private ticker: { cancel(): void } | undefined;
  private readonly idle = new Set<() => void>();
  private station = '?';

  constructor(private readonly o: GroundConsoleOptions) {
    o.client.on('isl', (rx) => this.onRx(rx));
  }

  /** Opens the link and waits for the station's hello. */
  async start(): Promise<void> {
    await this.o.client.start();
    const hello = await this.o.client.ready();
    this.station = hello.sat;
    if (hello.devices.length > 0) this.say(`warning: ${hello.sat} announced devices: this is a satellite's hardware, not a ground station (commands would go out from its radio)`);
    this.say(`ground station ${hello.sat} up (${hello.hw}); ${this.o.telemetry.decoding ? 'decoding health broadcasts' : 'health broadcasts undecoded (no constellation key)'}`);
    this.tick();
  }

  async stop(): Promise<void> {
    this.ticker?.cancel();
    for (const w of this.waiting.values()) w.cancel();
    this.waiting.clear();
    await this.o.client.close();
  }

  /** Resolves once no command is waiting for its reply (answered or timed out). */
  settled(): Promise<void> {
    if (this.waiting.size === 0) return Promise.resolve();
    return new Promise((r) => this.idle.add(r));
  }

  private done(n: number): boolean {
    const w = this.waiting.get(n);
    if (!w) return false;
    w.cancel();
    this.waiting.delete(n);
    if (this.waiting.size === 0) for (const r of this.idle) r();
    if (this.waiting.size === 0) this.idle.clear();
    return true;
  }

  /** Carries out one console line; 'quit' when it asks to leave. */
  async execute(line: ConsoleLine): Promise<'quit' | undefined> {
    if (line.kind === 'quit') return 'quit';
    if (line.kind === 'help') for (const l of CONSOLE_HELP.split('\n')) this.o.out(l);
    if (line.kind === 'command') await this.send(line.sat, line.cmd);
    return undefined;
  }

  /** Signs and sends one command; resolves with its counter once the station's radio took it. */
  async send(sat: string, cmd: GroundCommand): Promise<number | undefined> {
    const n = this.o.counter.next();
    const packet = signedCommand({ ...cmd, sat, n }, this.o.key);
    this.say(`→ ${sat} ${describe(cmd)} (#${n}, ${packet.length} bytes)`);
    let ack;
    try {
      ack = await this.o.client.islTx(sat, packet);
    } catch (err) {
      this.stats.notSent++;
      this.say(`  not sent: ${(err as Error).message}`);
      return undefined;
    }
    if (!ack.ok) {
      this.stats.notSent++;
      this.say(`  not sent: the station's radio refused it (${ack.code}: ${ack.msg})`);
      return undefined;
    }
    this.stats.sent++;
    const timer = this.o.clock.setTimer(this.o.replyTimeoutMs ?? 10_000, () => {
      if (!this.done(n)) return;
      this.stats.unanswered++;
      this.say(`  no reply from ${sat} to #${n} within ${((this.o.replyTimeoutMs ?? 10_000) / 1000).toFixed(0)} s (out of view of ${this.station}? a satellite answers at most one refusal a second)`);
    });
    this.waiting.set(n, { sat, op: cmd.op, cancel: () => timer.cancel() });
    return n;
  }

  private onRx(rx: IslRx): void {
    const reply = parseReply(rx.data);
    if (!reply) {
      this.o.telemetry.onFrame(rx.from, rx.data, rx.rssi);
      return;
    }
    this.replies.push(reply);
    if (reply.n !== null) this.done(reply.n);
    if (reply.result === 'accepted') this.stats.accepted++;
    else if (reply.result === 'failed') this.stats.failed++;
    else this.stats.refused++;
    const st = reply.status;
    const state = st ? `  [${st.mode}${st.paused ? ', loop paused' : ''}, boots ${st.boots}, running: ${st.actions.length ? st.actions.join(' ') : 'none'}]` : '';
    this.say(`← ${reply.sat} ${reply.result.toUpperCase()} ${reply.op ?? '?'}${reply.n !== null ? ` #${reply.n}` : ''}${reply.why ? `: ${reply.why}` : ''}${state}`);
  }

  private tick(): void {
    const every = (this.o.summaryEveryS ?? 60) * 1000;
    const step = 5000;
    let sinceSummary = 0;
    const run = (): void => {
      this.o.telemetry.tick();
      sinceSummary += step;
      if (every > 0 && sinceSummary >= every) {
        sinceSummary = 0;
        for (const l of this.o.telemetry.summary()) this.say(`  ${l}`);
      }
      this.ticker = this.o.clock.setTimer(step, run);
    };
    this.ticker = this.o.clock.setTimer(step, run);
  }

  private say(line: string): void {
    this.o.out(`[t=${(this.o.clock.now() / 1000).toFixed(1).padStart(7)} s] ${line}`);
  }
}

function describe(cmd: GroundCommand): string {
  switch (cmd.op) {
    case 'cancel':
      return `cancel ${cmd.id}`;
    case 'mode':
      return `mode ${cmd.mode}${cmd.reason ? ` "${cmd.reason}"` : ''}`;
    case 'propose':
      return `propose ${cmd.action}${Object.keys(cmd.params).length ? ` ${Object.entries(cmd.params).map(([k, v]) => `${k}=${String(v)}`).join(' ')}` : ''}`;
    default:
      return cmd.op;
  }
}
