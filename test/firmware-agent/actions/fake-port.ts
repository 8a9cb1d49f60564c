import { flushMicrotasks, HalError, TimeoutError, type Ack, type Sample, type ValueMap, type VirtualClock } from '../../../hal/index.js';
import type { ActuatorPort } from '../../../firmware-agent/actions/executor.js';
import type { AgentConfig } from '../../../firmware-agent/config/schema.js';

export const ACTIONS_CFG: AgentConfig['actions'] = { retries: 3, backoff_ms: 100, verify_timeout_ms: 3000, breaker_failures: 3, breaker_reset_ms: 30_000, stall_factor: 3 };

/** What a scripted device does with one command. */
export type Answer =
  | { kind: 'ok' }
  | { kind: 'refuse'; code: string; msg?: string }
  /** Never answers: the promise stays pending forever. */
  | { kind: 'silent' }
  /** Answers like the HAL client does when no ack comes: a TimeoutError after the request timeout. */
  | { kind: 'timeout' }
  | { kind: 'throw'; error: Error }
  /** Acks ok but the actuator does not move (read-back shows the old value). */
  | { kind: 'stuck' };

export interface CmdCall {
  t: number;
  dev: string;
  op: string;
  args: ValueMap;
}

/**
 * A scripted set of devices behind an ActuatorPort on a VirtualClock. Each device holds its
 * readings; an accepted command copies its args into them (the eps `shed` op switches the
 * named load off), after `latencyMs`. Per device, `script` answers are used in turn, then
 * `fallback`.
 */
export class FakeHardware implements ActuatorPort {
  readonly state: Record<string, Record<string, unknown>> = {
    payload: { on: true, duty: 0.8 },
    heater: { on: false },
    adcs: { mode: 'idle' },
    obc: { cpu: 1 },
    eps: { soc: 0.9 },
  };
  readonly cmds: CmdCall[] = [];
  readonly reads: { t: number; dev: string }[] = [];
  private readonly scripts = new Map<string, Answer[]>();
  private readonly fallback = new Map<string, Answer>();
  latencyMs = 10;
  readLatencyMs = 5;
  requestTimeoutMs = 500;
  /** Per device: reads never answer. */
  readonly silentReads = new Set<string>();
  /** Per device: a change to apply to the readings at a given time (a slow actuator). */
  readonly delayed: { at: number; dev: string; val: Record<string, unknown> }[] = [];

  constructor(private readonly clock: VirtualClock) {}

  script(dev: string, ...answers: Answer[]): this {
    this.scripts.set(dev, [...(this.scripts.get(dev) ?? []), ...answers]);
    return this;
  }

  otherwise(dev: string, a: Answer): this {
    this.fallback.set(dev, a);
    return this;
  }

  cmdTimes(dev?: string): number[] {
    return this.cmds.filter((c) => !dev || c.dev === dev).map((c) => c.t);
  }

  cmd(dev: string, op: string, args: ValueMap): Promise<Ack> {
    this.cmds.push({ t: this.clock.now(), dev, op, args });
    const a = this.scripts.get(dev)?.shift() ?? this.fallback.get(dev) ?? { kind: 'ok' };
    const ack = (ok: boolean, code?: string, msg?: string): Ack =>
      ({ v: 1, kind: 'ack', seq: 0, time: Math.floor(this.clock.now()), ref: this.cmds.length, ok, ...(ok ? {} : { code, msg }) }) as Ack;
    return new Promise<Ack>((resolve, reject) => {
      switch (a.kind) {
        case 'silent':
          return;
        case 'timeout':
          this.clock.setTimer(this.requestTimeoutMs, () => reject(new TimeoutError('E_LINK_TIMEOUT', `cmd ${dev}: no answer in ${this.requestTimeoutMs} ms`)));
          return;
        case 'throw':
          reject(a.error);
          return;
        case 'refuse':
          this.clock.setTimer(this.latencyMs, () => resolve(ack(false, a.code, a.msg ?? `${op} refused`)));
          return;
        case 'stuck':
          this.clock.setTimer(this.latencyMs, () => resolve(ack(true)));
          return;
        case 'ok':
          this.clock.setTimer(this.latencyMs, () => {
            if (dev === 'eps' && op === 'shed') Object.assign((this.state[String(args.load)] ??= {}), { on: false });
            else Object.assign((this.state[dev] ??= {}), args);
            resolve(ack(true));
          });
          return;
      }
    });
  }

  read(dev: string): Promise<Sample> {
    this.reads.push({ t: this.clock.now(), dev });
    if (this.silentReads.has(dev)) return new Promise(() => {});
    return new Promise((resolve, reject) => {
      this.clock.setTimer(this.readLatencyMs, () => {
        for (const d of this.delayed) if (d.dev === dev && d.at <= this.clock.now()) Object.assign((this.state[dev] ??= {}), d.val);
        const val = this.state[dev];
        if (!val) return reject(new HalError('E_DEVICE_UNKNOWN', `no device ${dev}`));
        resolve({ v: 1, kind: 'sample', seq: 0, time: Math.floor(this.clock.now()), dev, at: Math.floor(this.clock.now()), val: { ...val } as ValueMap });
      });
    });
  }
}

/**
 * Runs the virtual clock event by event, settling promise callbacks before each step, until
 * `done()` holds or `limitMs` passes. Time never moves while a reaction is still pending, so
 * timers armed by promise callbacks land at their exact virtual times.
 */
export async function drive(clock: VirtualClock, done: () => boolean, limitMs = 120_000): Promise<boolean> {
  const end = clock.now() + limitMs;
  for (;;) {
    await flushMicrotasks(40);
    if (done()) return true;
    const next = clock.nextAt();
    if (next === undefined || next > end) {
      clock.runUntil(Math.max(end, clock.now()));
      await flushMicrotasks(40);
      return done();
    }
    clock.runUntil(next);
  }
}
