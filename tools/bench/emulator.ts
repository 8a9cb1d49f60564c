/**
 * Emulator benchmarks (area `emulator`).
 *
 * emulator-throughput: emulated satellite-seconds per wall-second in virtual time, for 10 and
 *   100 satellites with their traffic: a Constellation on a VirtualClock, an IdleFlightComputer
 *   on each memory link (handshake, watchdog pets, every pushed sample decoded) broadcasting a
 *   48-byte ISL beacon each second, as in test/emulator/determinism.test.ts; time moved by
 *   synchronous `runUntil` chunks of 100 ms with `flushMicrotasks` between them. Timed after a
 *   warm-up (handshakes, JIT). Target: 100 satellites × one orbit (5700 s) in <= 60 s wall,
 *   i.e. >= 9,500 sat-s/s; by default a shorter span is timed and the orbit EXTRAPOLATED
 *   (labelled); BENCH_LONG=1 times the whole orbit. Baselines: the 100-satellite rate next
 *   to the 10-satellite one (ratio 1 = linear scaling); 100 satellites without ISL next to
 *   with (the radio traffic's share).
 *
 * emulator-lateness: 10 satellites served in real time by serveConstellation on socat ptys
 *   (this process), 10 idle flight computers at the far ends in a child process (with the
 *   ISL beacon). The served constellation's clock is wrapped to time every timer: lateness =
 *   when the callback runs − when it was due. Push timers are the periodic series (a
 *   callback that re-arms itself: `every()`) first armed after serving started (the
 *   HardwareServer starts them at each hello; the world steppers start before). Baseline:
 *   the same push schedule (periods × 10 satellites) with empty ticks in another child at
 *   the same time — the scheduler's own floor on this machine. Target: mean lateness < 1 ms
 *   (early ticks counted as on time). 15 s.
 */
import { performance } from 'node:perf_hooks';
import { flushMicrotasks, VirtualClock, type Clock, type Link, type Timer } from '../../hal/index.js';
import { Constellation } from '../../emulator/constellation.js';
import { DEVICE_SPECS } from '../../emulator/devices/catalog.js';
import { IdleFlightComputer } from '../../emulator/idle-flight-computer.js';
import { parseScenario } from '../../emulator/scenario/load.js';
import { serveConstellation, SocatMissingError, StartedRealClock } from '../../emulator/serve.js';
import { CHILD_SCRIPT, spawnChild, summarize, type Summary } from './child.js';
import { figure, isLong, machineLoad, skipped, type Benchmark } from './harness.js';

// ---------------------------------------------------------------------------------------
// emulator-throughput

const ORBIT_S = 5700;
const TARGET_WALL_S = 60;
const ISL_BYTES = 48;

interface Throughput {
  sats: number;
  spanS: number;
  wallS: number;
  satSPerS: number;
  samples: number;
  isl: number;
  events: number;
}

/** Runs `sats` satellites for `warmS` then times `spanS` more of virtual time. */
async function throughput(sats: number, spanS: number, isl: boolean, warmS = 10, chunkMs = 100): Promise<Throughput> {
  const scenario = parseScenario({ name: 'bench-throughput', seed: 1, constellation: { count: sats }, radio: { loss_probability: 0.05 } });
  const clock = new VirtualClock();
  const con = new Constellation({ scenario, clock });
  await con.start();
  const fcs: IdleFlightComputer[] = [];
  for (const id of con.ids()) {
    const fc = new IdleFlightComputer({ link: con.fcLinks.get(id) as Link, clock, id, ...(isl ? { islBytes: ISL_BYTES, islPeriodMs: 1000 } : {}) });
    await fc.start();
    fcs.push(fc);
  }
  let events = 0;
  const runTo = async (t: number): Promise<void> => {
    while (clock.now() < t) {
      events += clock.runUntil(Math.min(t, clock.now() + chunkMs));
      await flushMicrotasks();
    }
  };
  await runTo(warmS * 1000);
  const down = fcs.filter((fc) => fc.client.state !== 'up').length;
  if (down) throw new Error(`${down} of ${sats} flight computers not up after ${warmS} s`);
  const s0 = fcs.reduce((a, fc) => a + fc.samples, 0);
  const i0 = fcs.reduce((a, fc) => a + fc.islReceived, 0);
  events = 0;
  const t0 = performance.now();
  await runTo((warmS + spanS) * 1000);
  const wallS = (performance.now() - t0) / 1000;
  const samples = fcs.reduce((a, fc) => a + fc.samples, 0) - s0;
  const islRx = fcs.reduce((a, fc) => a + fc.islReceived, 0) - i0;
  for (const fc of fcs) await fc.stop();
  await con.stop();
  return { sats, spanS, wallS, satSPerS: (sats * spanS) / wallS, samples, isl: islRx, events };
}

const throughputBench: Benchmark = {
  area: 'emulator',
  name: 'throughput',
  title: 'emulated satellite-seconds per wall-second, virtual time, idle flight computers + 1 Hz ISL beacon; baselines: 10 satellites, and no ISL',
  run: async (ctx) => {
    const long = isLong(ctx);
    const span10 = ctx.quick ? 30 : 300;
    const span100 = long ? ORBIT_S : ctx.quick ? 10 : 120;
    const spanNoIsl = ctx.quick ? 10 : 60;
    const show = (r: Throughput): string =>
      `${r.sats} sats × ${r.spanS} s in ${r.wallS.toFixed(2)} s wall: ${Math.round(r.satSPerS)} sat-s/s; per sat-s ${(r.samples / (r.sats * r.spanS)).toFixed(1)} samples, ` +
      `${(r.isl / (r.sats * r.spanS)).toFixed(1)} ISL deliveries, ${(r.events / (r.sats * r.spanS)).toFixed(0)} clock events`;
    // An untimed run first: every code path compiled before any timed run (the first run in
    // a process is otherwise ~1.5x slower); the 10-satellite run before and after the others.
    await throughput(10, ctx.quick ? 10 : 60, true);
    ctx.log(machineLoad());
    const r10a = await throughput(10, span10, true);
    ctx.log(show(r10a));
    if (long) ctx.log(`BENCH_LONG: timing 100 satellites over the whole orbit (${ORBIT_S} s)…`);
    const r100 = await throughput(100, span100, true);
    ctx.log(show(r100));
    const r100q = await throughput(100, spanNoIsl, false);
    ctx.log(`${show(r100q)} (no ISL)`);
    const r10b = await throughput(10, span10, true);
    ctx.log(show(r10b));
    const r10 = { ...r10a, satSPerS: (r10a.satSPerS + r10b.satSPerS) / 2 };
    const orbitWall = (100 * ORBIT_S) / r100.satSPerS;
    const how = r100.spanS >= ORBIT_S ? `measured over the whole ${ORBIT_S} s` : `EXTRAPOLATED from ${r100.spanS} s (BENCH_LONG=1 for the full orbit)`;
    const need = (100 * ORBIT_S) / TARGET_WALL_S;
    return [
      figure('10 satellites: satellite-seconds per wall-second (mean of 2 runs)', r10.satSPerS, 'sat-s/s', null),
      figure('100 satellites: satellite-seconds per wall-second (baseline: 10 sats)', r100.satSPerS, 'sat-s/s', r10.satSPerS, { atLeast: need }),
      figure(`100 satellites × one orbit (${ORBIT_S} s): wall time, ${how}`, orbitWall, 's', null, { atMost: TARGET_WALL_S }),
      figure('100 satellites without ISL traffic (baseline: with ISL)', r100q.satSPerS, 'sat-s/s', r100.satSPerS),
    ];
  },
};

// ---------------------------------------------------------------------------------------
// emulator-lateness

interface Series {
  /** Re-armed itself from its own callback: a periodic timer (`every()`). */
  periodic: boolean;
  /** First armed after serving started (push timers), not during start (world steppers). */
  afterStart: boolean;
  late: number[];
}

/** A clock that times every timer of the clock it wraps: lateness = ran at − due at. */
class ProbeClock implements Clock {
  readonly series = new Map<() => void, Series>();
  recording = false;
  started = false;
  private running: (() => void) | undefined;

  constructor(private readonly inner: Clock) {}

  now(): number {
    return this.inner.now();
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    return this.setTimerAt(this.now() + Math.max(0, delayMs), fn);
  }

  setTimerAt(atMs: number, fn: () => void): Timer {
    let s = this.series.get(fn);
    if (!s) {
      s = { periodic: false, afterStart: this.started, late: [] };
      this.series.set(fn, s);
    }
    if (this.running === fn) s.periodic = true;
    const series = s;
    return this.inner.setTimerAt(atMs, () => {
      if (this.recording) series.late.push(this.inner.now() - atMs);
      const prev = this.running;
      this.running = fn;
      try {
        fn();
      } finally {
        this.running = prev;
      }
    });
  }

  /** Lateness of the selected series' ticks while recording. */
  collect(pick: (s: Series) => boolean): number[] {
    const out: number[] = [];
    for (const s of this.series.values()) if (pick(s)) out.push(...s.late);
    return out;
  }
}

const latenessBench: Benchmark = {
  area: 'emulator',
  name: 'lateness',
  title: '10 satellites served in real time on ptys, flight computers in a child: push timer lateness; baseline = the same schedule, empty ticks, in another child',
  run: async (ctx) => {
    const seconds = ctx.quick ? 3 : 15;
    const sats = 10;
    const mainName = 'push timer lateness, mean (early ticks = 0)';
    const probe = new ProbeClock(new StartedRealClock());
    let served;
    try {
      served = await serveConstellation({
        scenario: parseScenario({ name: 'bench-lateness', seed: 5, constellation: { count: sats } }),
        clock: probe,
        handleSignals: false,
      });
    } catch (err) {
      if (err instanceof SocatMissingError) {
        const why = 'socat not found; install it: apt-get install -y socat';
        ctx.log(`SKIPPING: ${why}`);
        return [skipped(mainName, 'ms', { atMost: 1 }, why)];
      }
      throw err;
    }
    probe.started = true;
    const periods = DEVICE_SPECS.filter((d) => d.rateHz > 0).map((d) => 1000 / d.rateHz);
    let fcs;
    let timer;
    try {
      fcs = spawnChild([CHILD_SCRIPT, 'idle', '--paths', [...served.paths.values()].join(','), '--isl-bytes', String(ISL_BYTES)]);
      await fcs.message('up', 20_000);
      // Let the handshakes' bursts pass, then record alongside the baseline scheduler.
      await new Promise((r) => setTimeout(r, 500));
      timer = spawnChild([CHILD_SCRIPT, 'timer', '--periods', Array.from({ length: sats }, () => periods).flat().join(','), '--seconds', String(seconds)]);
      await timer.message('up', 10_000);
      const pushed0 = served.status().sats.reduce((a, s) => a + s.samplesPushed, 0);
      probe.recording = true;
      const t0 = performance.now();
      const base = await timer.message('done', seconds * 1000 + 10_000);
      probe.recording = false;
      const wallS = (performance.now() - t0) / 1000;
      const pushed = served.status().sats.reduce((a, s) => a + s.samplesPushed, 0) - pushed0;
      await fcs.stop();
      const fcDone = fcs.messages.find((m) => m.type === 'done');
      const push = summarize(probe.collect((s) => s.periodic && s.afterStart));
      const world = summarize(probe.collect((s) => s.periodic && !s.afterStart));
      const all = summarize(probe.collect(() => true));
      const bl = base.lateMs as Summary;
      const expected = Math.round(sats * periods.reduce((a, p) => a + 1000 / p, 0) * wallS);
      const fmt = (y: Summary): string =>
        `mean ${y.mean.toFixed(3)} (early as 0: ${y.meanClamped.toFixed(3)}), p50 ${y.p50.toFixed(3)}, p99 ${y.p99.toFixed(3)}, max ${y.max.toFixed(2)}, min ${y.min.toFixed(2)}, early ${y.earlyPct.toFixed(0)}% (n ${y.n})`;
      ctx.log(`${wallS.toFixed(1)} s recorded (${machineLoad()}); ${pushed} samples pushed (schedule: ${expected}); the flight computers received ${String(fcDone?.samples ?? '?')} samples, ${String(fcDone?.isl ?? '?')} ISL packets in all`);
      ctx.log(`lateness ms, push timers: ${fmt(push)}`);
      ctx.log(`lateness ms, world steppers: ${fmt(world)}`);
      ctx.log(`lateness ms, every timer: ${fmt(all)}`);
      ctx.log(`lateness ms, baseline (empty ticks, same schedule, own process): ${fmt(bl)}`);
      return [
        figure(mainName, push.meanClamped, 'ms', bl.meanClamped, { atMost: 1 }),
        figure('push timer lateness, mean (signed, as every() reports it)', push.mean, 'ms', bl.mean),
        figure('push timer lateness p99', push.p99, 'ms', bl.p99),
        figure('push timer lateness max', push.max, 'ms', bl.max),
        figure('push ticks that ran early (before their deadline)', push.earlyPct, '%', bl.earlyPct),
      ];
    } finally {
      await timer?.stop();
      await fcs?.stop();
      await served.stop();
    }
  },
};

export const benchmarks: Benchmark[] = [throughputBench, latenessBench];
