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

/**
 * Every command the radio took (`sent`) ends in exactly one of accepted, failed, refused,
 * unanswered (its reply timeout passed) or pendingAtEnd (the console stopped first), so
 * those five add up to `sent`. A reply that answers no waiting command (late, after its
 * timeout; or to another console) is counted in `otherReplies` only.
 */
export interface ConsoleStats {
  sent: number;
  accepted: number;
  failed: number;
  refused: number;
  unanswered: number;
  /** Still waiting for a reply when the console stopped. */
  pendingAtEnd: number;
  /** The station's radio would not take the packet (queue full): not in `sent`. */
  notSent: number;
  /** Replies to no waiting command: not in the breakdown of `sent`. */
  otherReplies: number;
}

export class GroundConsole {
  readonly stats: ConsoleStats = { sent: 0, accepted: 0, failed: 0, refused: 0, unanswered: 0, pendingAtEnd: 0, notSent: 0, otherReplies: 0 };
  /** Replies received, in order (tests and scripts look at them). */
  readonly replies: GroundReply[] = [];
  private readonly waiting = new Map<number, { sat: string; op: string; sent: boolean; cancel: () => void }>();
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
    for (const w of this.waiting.values()) {
      w.cancel();
      if (w.sent) this.stats.pendingAtEnd++;
    }
    if (this.stats.pendingAtEnd > 0) this.say(`${this.stats.pendingAtEnd} command(s) still waiting for a reply at the end`);
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
    // Waiting before the radio's ack: a reply must never find no command to answer.
    const w = { sat, op: cmd.op, sent: false, cancel: () => {} };
    this.waiting.set(n, w);
    let ack;
    try {
      ack = await this.o.client.islTx(sat, packet);
    } catch (err) {
      ack = { ok: false as const, code: 'error', msg: (err as Error).message };
    }
    if (!ack.ok) {
      this.done(n);
      this.stats.notSent++;
      this.say(`  not sent: the station's radio refused it (${ack.code}: ${ack.msg})`);
      return undefined;
    }
    this.stats.sent++;
    w.sent = true;
    if (!this.waiting.has(n)) return n; // answered already
    const timer = this.o.clock.setTimer(this.o.replyTimeoutMs ?? 10_000, () => {
      if (!this.done(n)) return;
      this.stats.unanswered++;
      this.say(`  no reply from ${sat} to #${n} within ${((this.o.replyTimeoutMs ?? 10_000) / 1000).toFixed(0)} s (out of view of ${this.station}? a satellite answers at most one refusal a second)`);
    });
    w.cancel = () => timer.cancel();
    return n;
  }

  private onRx(rx: IslRx): void {
    const reply = parseReply(rx.data);
    if (!reply) {
      this.o.telemetry.onFrame(rx.from, rx.data, rx.rssi);
      return;
    }
    // A reply is a frame heard too: a satellite that only answers (no swarm, so no health
    // broadcasts) still comes into view and, silent, goes out of view.
    this.o.telemetry.heard(rx.from, rx.rssi);
    this.replies.push(reply);
    const answers = reply.n !== null && this.done(reply.n);
    if (!answers) this.stats.otherReplies++;
    else if (reply.result === 'accepted') this.stats.accepted++;
    else if (reply.result === 'failed') this.stats.failed++;
    else this.stats.refused++;
    const st = reply.status;
    const state = st ? `  [${st.mode}${st.paused ? ', loop paused' : ''}, boots ${st.boots}, running: ${st.actions.length ? st.actions.join(' ') : 'none'}]` : '';
    const other = answers ? '' : ' (answers no waiting command: late, or another console\'s)';
    this.say(`← ${reply.sat} ${reply.result.toUpperCase()} ${reply.op ?? '?'}${reply.n !== null ? ` #${reply.n}` : ''}${reply.why ? `: ${reply.why}` : ''}${state}${other}`);
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
