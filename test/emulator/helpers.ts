/**
 * Shared rig for the emulator tests: a Constellation from a scenario object on a virtual
 * clock, flight-computer stand-ins on its memory links, and helpers that move virtual time
 * in synchronous chunks (letting promise callbacks settle between them). Nothing sleeps.
 */
import { HardwareClient, VirtualClock, flushMicrotasks, type Link, type MemoryLinkOptions, type Message, type Sample } from '../../hal/index.js';
import { Constellation } from '../../emulator/constellation.js';
import { IdleFlightComputer } from '../../emulator/idle-flight-computer.js';
import { parseScenario } from '../../emulator/scenario/load.js';
import type { ScenarioInput } from '../../emulator/scenario/schema.js';

/** Runs the clock to `t` ms in chunks of `chunkMs`, flushing microtasks between chunks. */
export async function runTo(clock: VirtualClock, t: number, chunkMs = 100): Promise<void> {
  while (clock.now() < t) {
    clock.runUntil(Math.min(t, clock.now() + chunkMs));
    await flushMicrotasks();
  }
}

export async function runFor(clock: VirtualClock, ms: number, chunkMs = 100): Promise<void> {
  await runTo(clock, clock.now() + ms, chunkMs);
}

export type Settled<T> = { ok: true; value: T; atMs: number } | { ok: false; error: unknown; atMs: number };

/**
 * Advances virtual time (1 ms steps) until `p` settles; returns its outcome and roughly when
 * (the chunk in which it settled). Throws if it does not settle within `limitMs`.
 */
export async function settle<T>(clock: VirtualClock, p: Promise<T>, limitMs = 5000): Promise<Settled<T>> {
  let out: Settled<T> | undefined;
  p.then(
    (value) => (out = { ok: true, value, atMs: clock.now() }),
    (error: unknown) => (out = { ok: false, error, atMs: clock.now() }),
  );
  await flushMicrotasks();
  const end = clock.now() + limitMs;
  while (!out && clock.now() < end) {
    clock.runUntil(clock.now() + 1);
    await flushMicrotasks();
  }
  if (!out) throw new Error(`promise did not settle within ${limitMs} ms of virtual time`);
  return out;
}

/** Settles `p` and returns its value, failing the test with the rejection otherwise. */
export async function value<T>(clock: VirtualClock, p: Promise<T>, limitMs = 5000): Promise<T> {
  const r = await settle(clock, p, limitMs);
  if (!r.ok) throw r.error instanceof Error ? r.error : new Error(String(r.error));
  return r.value;
}

export interface RigOptions {
  memoryLink?: MemoryLinkOptions;
  /** Satellites that get an IdleFlightComputer ("*" = all). Default all. */
  fcs?: string[] | '*';
  /** ISL broadcast size for the idle flight computers (0 = none). */
  islBytes?: number;
  islPeriodMs?: number;
  resolveLeader?: () => string | undefined;
}

/** A started constellation for `input`, with idle flight computers handshaken (time ≈ 0.2 s). */
export async function startRig(input: ScenarioInput, opts: RigOptions = {}) {
  const scenario = parseScenario(input);
  const clock = new VirtualClock();
  const con = new Constellation({
    scenario,
    clock,
    ...(opts.memoryLink ? { memoryLink: opts.memoryLink } : {}),
    ...(opts.resolveLeader ? { resolveLeader: opts.resolveLeader } : {}),
  });
  await con.start();
  const fcs = new Map<string, IdleFlightComputer>();
  const want = opts.fcs ?? '*';
  for (const id of con.ids()) {
    if (want !== '*' && !want.includes(id)) continue;
    const link = con.fcLinks.get(id) as Link;
    const fc = new IdleFlightComputer({
      link,
      clock,
      id,
      ...(opts.islBytes ? { islBytes: opts.islBytes } : {}),
      ...(opts.islPeriodMs ? { islPeriodMs: opts.islPeriodMs } : {}),
    });
    await fc.start();
    fcs.set(id, fc);
  }
  // Handshakes: the hardware's hello lists every device (~1 kB at 11.5 kB/s).
  await runFor(clock, 300, 10);
  for (const [id, fc] of fcs) if (fc.client.state !== 'up') throw new Error(`${id}: handshake did not complete`);
  const client = (id: string): HardwareClient => {
    const fc = fcs.get(id);
    if (!fc) throw new Error(`no flight computer on ${id}`);
    return fc.client;
  };
  const sat = (id: string) => {
    const s = con.byId(id);
    if (!s) throw new Error(`no satellite ${id}`);
    return s;
  };
  return { clock, con, scenario, fcs, client, sat };
}

/** Collects every pushed sample (no `ref`) a client sees, with the hardware time. */
export function collectSamples(client: HardwareClient): Sample[] {
  const out: Sample[] = [];
  client.on('sample', (s) => out.push(s));
  return out;
}

/** Collects every message a client's endpoint receives, stamped with the clock time. */
export function collectMessages(client: HardwareClient, clock: VirtualClock): { at: number; m: Message }[] {
  const out: { at: number; m: Message }[] = [];
  client.endpoint.on('message', (m) => out.push({ at: clock.now(), m }));
  return out;
}

export const num = (v: unknown): number => {
  if (typeof v !== 'number') throw new Error(`expected a number, got ${JSON.stringify(v)}`);
  return v;
};

export const vec = (v: unknown): [number, number, number] => {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number')) throw new Error(`expected a 3-vector, got ${JSON.stringify(v)}`);
  return v as [number, number, number];
};

export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
export const std = (xs: number[]): number => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
};
