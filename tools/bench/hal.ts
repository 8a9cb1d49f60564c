/**
 * HAL benchmarks.
 *
 * hal-codec: frames per second through the whole HAL codec (validate → cbor-x with the
 *   wire options → SLIP + CRC-32 encode, then FrameReceiver.push: SLIP scan → CRC → plain-
 *   CBOR check → cbor-x decode → schema) of a typical `sample` frame, next to bare cbor-x
 *   `encode`/`decode` (default options) of the same body in the same run. Two bodies: imu
 *   (`gyro`: [3] float64) and eps (5 float64 fields). Target: codec >= 0.5x bare cbor-x.
 *   Then the codec's stages timed one by one, each as ns/frame and as a share of bare cbor-x.
 *
 * hal-roundtrip: `client.read('imu')` → `sample` through HardwareClient and HardwareServer,
 *   each on a SerialLink at one end of a socat pty pair (RealClock), next to a bare ping-pong
 *   of the same frame bytes between two raw `serialport` ports on a second socat pty pair.
 *   Alternating blocks. Target: read p99 <= 1.5x bare p99.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as cborEncode, decode as cborDecode } from 'cbor-x';
import { SerialPort } from 'serialport';
import {
  checkPlainCbor, crc32, decodePlain, encodeFrame, encodeMessageFrame, encodePlain, END, FrameReceiver, HardwareClient,
  HardwareServer, KINDS, RealClock, SerialLink, SlipDecoder, validateBody, type Device, type Message, type Sample,
} from '../../hal/index.js';
import { compareLatency, compareThroughput, figure, skipped, type Benchmark, type BenchContext, type Figure, type LatencyRecorder } from './harness.js';

// ---------------------------------------------------------------------------------------
// Bodies

const GYRO = [0.012345678, -0.023456789, 0.034567891];
const EPS = { batt_v: 7.4213, soc: 0.8312, batt_a: -0.4127, solar_w: 12.731, load_w: 9.3052 };

function imuSample(): Sample {
  return { v: 1, kind: 'sample', seq: 1, time: 1_234_567, dev: 'imu', at: 1_234_560, val: { gyro: [...GYRO] } };
}
function epsSample(): Sample {
  return { v: 1, kind: 'sample', seq: 1, time: 1_234_567, dev: 'eps', at: 1_234_560, val: { ...EPS } };
}

// ---------------------------------------------------------------------------------------
// hal-codec

let sink = 0; // keeps results observable so the JIT cannot drop the work

function codecFigures(label: string, msg: Sample, ctx: BenchContext): Figure[] {
  let delivered = 0;
  const rx = new FrameReceiver({
    onMessage: (m: Message) => {
      delivered++;
      sink += m.seq;
    },
  });
  // Many short rounds (a few ms each), alternating, so noise bursts hit both sides alike.
  const iterations = ctx.quick ? 1_000 : 2_000;
  const rounds = ctx.quick ? 5 : 41;
  const codec = (i: number): void => {
    msg.seq = i;
    rx.push(encodeMessageFrame(msg));
  };
  const bare = (i: number): void => {
    msg.seq = i;
    sink += (cborDecode(cborEncode(msg)) as Sample).seq;
  };
  const bodyBytes = encodePlain(msg).length;
  const frameBytes = encodeMessageFrame(msg).length;
  const r = compareThroughput({ measured: codec, baseline: bare, iterations, rounds, warmup: 20_000 });
  const calls = 20_000 + iterations * rounds; // warm-up + rounds
  const dropped = Object.values(rx.drops).reduce((a, b) => a + b, 0);
  if (delivered !== calls || dropped !== 0) throw new Error(`codec bench: ${delivered} of ${calls} frames delivered, ${dropped} dropped`);
  const spread = (xs: number[]): string => {
    const q = [...xs].sort((a, b) => a - b);
    return `${Math.round(q[0]! / 1000)}..${Math.round(q[q.length - 1]! / 1000)} k/s`;
  };
  ctx.log(`${label}: body ${bodyBytes} B, frame ${frameBytes} B; ${rounds} rounds of ${iterations}: codec ${spread(r.measuredRounds)}, bare ${spread(r.baselineRounds)}`);
  return [figure(`codec encode+decode, ${label}`, r.measured, 'frames/s', r.baseline, { ratioAtLeast: 0.5 }, r.ratio)];
}

/**
 * Each codec stage alone, ns/frame, each next to bare cbor-x encode+decode of the same body
 * (so the ratio is that stage's cost as a share of bare cbor-x). The two totals first.
 */
function stageFigures(msg: Sample, ctx: BenchContext): Figure[] {
  const iterations = ctx.quick ? 1_000 : 2_000;
  const rounds = ctx.quick ? 3 : 15;
  // A Uint8Array copy, as SlipDecoder delivers bodies (encodePlain returns a Buffer view).
  const body = new Uint8Array(encodePlain(msg));
  const frame = encodeFrame(body);
  const decoded = decodePlain(body);
  const slip = new SlipDecoder({ onFrame: (b) => void (sink += b.length) });
  const rx = new FrameReceiver({ onMessage: (m: Message) => void (sink += m.seq) });
  const bare = (i: number): void => {
    msg.seq = i;
    sink += (cborDecode(cborEncode(msg)) as Sample).seq;
  };
  const stages: [string, (i: number) => void][] = [
    ['encode total: encodeMessageFrame', (i) => { msg.seq = i; sink += encodeMessageFrame(msg).length; }],
    ['decode total: FrameReceiver.push', () => rx.push(frame)],
    ['bare cbor-x encode alone (default options)', (i) => { msg.seq = i; sink += cborEncode(msg).length; }],
    ['bare cbor-x decode alone (default options)', () => void (sink += (cborDecode(body) as Sample).seq)],
    ['encode: schema check (KINDS.sample.check)', () => void (sink += KINDS.sample.check(msg) === undefined ? 1 : 0)],
    ['encode: cbor-x encode, wire options', (i) => { msg.seq = i; sink += encodePlain(msg).length; }],
    ['encode+decode: plain-CBOR check (runs on both)', () => void (sink += checkPlainCbor(body).ok ? 1 : 0)],
    ['encode: encodeFrame (crc32 + escape + copy)', () => void (sink += encodeFrame(body).length)],
    ['encode+decode: crc32 of body (runs on both)', () => void (sink += crc32(body))],
    ['decode: SlipDecoder.push (scan + crc32 + copy)', () => slip.push(frame)],
    ['decode: plain-CBOR check + cbor-x decode', () => void (sink += (decodePlain(body) as Sample).seq)],
    ['decode: schema validation (validateBody)', () => void (sink += validateBody(decoded).ok ? 1 : 0)],
  ];
  const out: Figure[] = [];
  for (const [name, fn] of stages) {
    const r = compareThroughput({ measured: fn, baseline: bare, iterations, rounds, warmup: 10_000 });
    // ratio: this stage's time as a share of bare cbor-x encode+decode (paired rounds).
    out.push(figure(`stage ${name}`, 1e9 / r.measured, 'ns/frame', 1e9 / r.baseline, null, 1 / r.ratio));
  }
  return out;
}

const codecBench: Benchmark = {
  area: 'hal',
  name: 'codec',
  title: 'HAL codec (SLIP + CRC + CBOR + validation) vs bare cbor-x encode/decode; baseline = bare cbor-x',
  run: async (ctx) => {
    const figs = [...codecFigures('imu sample (gyro [3] f64)', imuSample(), ctx), ...codecFigures('eps sample (5 f64 fields)', epsSample(), ctx)];
    ctx.log('timing codec stages (imu sample)…');
    figs.push(...stageFigures(imuSample(), ctx));
    return figs;
  },
};

// ---------------------------------------------------------------------------------------
// hal-roundtrip

const RT_UNIT = 'µs';
const P99_TARGET = { ratioAtMost: 1.5 } as const;

function socatAvailable(): boolean {
  const r = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  return !r.error;
}

interface PtyPair {
  a: string;
  b: string;
  proc: ChildProcess;
  stop: () => Promise<void>;
}

/** `socat -d -d pty,raw,echo=0,link=DIR/a pty,raw,echo=0,link=DIR/b`, waited for. */
async function ptyPair(dir: string, name: string): Promise<PtyPair> {
  const a = join(dir, `${name}-a`);
  const b = join(dir, `${name}-b`);
  const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  let exited: number | null | undefined;
  const exitP = new Promise<void>((resolve) => proc.once('exit', (code) => { exited = code; resolve(); }));
  proc.once('error', () => {});
  const deadline = Date.now() + 5000;
  while (!(existsSync(a) && existsSync(b))) {
    if (exited !== undefined) throw new Error(`socat exited (${exited}) before making ${name}: ${stderr.trim()}`);
    if (Date.now() > deadline) {
      proc.kill('SIGTERM');
      throw new Error(`socat made no pty pair in 5 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const stop = async (): Promise<void> => {
    if (exited === undefined) {
      proc.kill('SIGTERM');
      await Promise.race([exitP, new Promise((r) => setTimeout(r, 1000))]);
    }
  };
  return { a, b, proc, stop };
}

function openPort(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const p = new SerialPort({ path, baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1, rtscts: false, autoOpen: false });
    p.open((err) => (err ? reject(err) : resolve(p)));
  });
}

function closePort(p: SerialPort): Promise<void> {
  return new Promise((resolve) => (p.isOpen ? p.close(() => resolve()) : resolve()));
}

/** Calls `onFrame` each time a chunk stream completes a SLIP frame (END after body bytes). */
function frameEnds(onFrame: () => void): (chunk: Buffer) => void {
  let inBody = false;
  return (chunk) => {
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === END) {
        if (inBody) {
          inBody = false;
          onFrame();
        }
      } else inBody = true;
    }
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    }),
  ]);
}

const roundTripBench: Benchmark = {
  area: 'hal',
  name: 'roundtrip',
  title: 'client.read(dev) → sample over a socat pty pair (HardwareClient/Server on SerialLink) vs bare serialport ping-pong of the same bytes',
  run: async (ctx) => {
    const names = ['read round trip p50', 'read round trip p99'];
    if (!socatAvailable()) {
      const why = 'socat not found; install it: apt-get install -y socat';
      ctx.log(`SKIPPING: ${why}`);
      return [skipped(names[0]!, RT_UNIT, null, why), skipped(names[1]!, RT_UNIT, P99_TARGET, why)];
    }
    const dir = mkdtempSync(join(tmpdir(), 'hal-bench-'));
    const cleanups: (() => Promise<void>)[] = [];
    try {
      const halPair = await ptyPair(dir, 'hal');
      cleanups.push(halPair.stop);
      const barePair = await ptyPair(dir, 'bare');
      cleanups.push(barePair.stop);

      // HardwareServer + HardwareClient, each on a SerialLink, RealClock.
      const clock = new RealClock();
      const imu: Device = {
        info: { id: 'imu', type: 'sensor', rate_hz: 10, fields: { gyro: 'rad/s' }, ops: [] },
        read: () => ({ gyro: GYRO }),
      };
      const hwLink = new SerialLink({ path: halPair.b, clock, name: 'hw' });
      const fcLink = new SerialLink({ path: halPair.a, clock, name: 'fc' });
      // push:false: no periodic samples in the way; the bare side has none either.
      const server = new HardwareServer({ link: hwLink, clock, sat: 'BENCH-1', devices: [imu], push: false });
      const client = new HardwareClient({ link: fcLink, clock, sw: 'bench/0', requestTimeoutMs: 2000 });
      await server.start();
      cleanups.unshift(() => server.stop());
      const ready = client.ready();
      await client.start();
      cleanups.unshift(() => client.close());
      await withTimeout(ready, 5000, 'HAL handshake over the pty');

      // Bare ping-pong: same bytes as the HAL exchange (read frame out, sample frame back).
      const readFrame = encodeMessageFrame({ v: 1, kind: 'read', dev: 'imu', seq: 1000, time: Math.floor(clock.now()) });
      const sampleFrame = encodeMessageFrame({
        kind: 'sample', dev: 'imu', at: Math.floor(clock.now()), val: { gyro: GYRO }, ref: 1000, v: 1, seq: 1000, time: Math.floor(clock.now()),
      });
      const pa = await openPort(barePair.a);
      cleanups.unshift(() => closePort(pa));
      const pb = await openPort(barePair.b);
      cleanups.unshift(() => closePort(pb));
      pb.on('data', frameEnds(() => pb.write(sampleFrame)));
      let answered: (() => void) | undefined;
      pa.on('data', frameEnds(() => {
        const f = answered;
        answered = undefined;
        f?.();
      }));
      const bareRoundTrip = (): Promise<void> =>
        new Promise<void>((resolve) => {
          answered = resolve;
          pa.write(readFrame);
        });
      const halRoundTrip = async (): Promise<void> => {
        const s = await client.read('imu');
        sink += s.at;
      };
      ctx.log(`pty pairs up (${halPair.a} ↔ ${halPair.b}, ${barePair.a} ↔ ${barePair.b}); read frame ${readFrame.length} B, sample frame ${sampleFrame.length} B`);

      const perBlock = ctx.quick ? 20 : 25;
      const blocks = ctx.quick ? 20 : 400;
      const warmup = ctx.quick ? 100 : 500;
      const r = await compareLatency({ measured: halRoundTrip, baseline: bareRoundTrip, blocks, perBlock, warmup, stallMs: 3000 });
      const us = (ms: number): number => ms * 1000;
      const show = (x: LatencyRecorder): string => `${[50, 90, 99, 99.9].map((p) => us(x.percentileMs(p)).toFixed(0)).join('/')}/${us(x.maxMs).toFixed(0)}`;
      ctx.log(`${r.measured.count} client round trips, ${r.baseline.count} bare; p50/p90/p99/p99.9/max µs: client ${show(r.measured)}, bare ${show(r.baseline)}`);
      if (client.stats.timeouts || client.stats.late || client.stats.unknownRef) throw new Error(`client saw timeouts/late/unknown answers: ${JSON.stringify(client.stats)}`);
      return [
        figure(names[0]!, us(r.measured.percentileMs(50)), RT_UNIT, us(r.baseline.percentileMs(50))),
        figure(names[1]!, us(r.measured.percentileMs(99)), RT_UNIT, us(r.baseline.percentileMs(99)), P99_TARGET),
      ];
    } finally {
      for (const c of cleanups) await c().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export const benchmarks: Benchmark[] = [codecBench, roundTripBench];
