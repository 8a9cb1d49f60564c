import { describe, expect, it } from 'vitest';
import { encodeFrame, HalError, memoryLinkPair, VirtualClock, type LinkState, type MemoryLinkOptions } from '../../../hal/index.js';
import { linkContract, type LinkPair } from './link-contract.js';

function memoryPair(opts: MemoryLinkOptions = {}): LinkPair {
  const clock = new VirtualClock();
  const [a, b] = memoryLinkPair(clock, opts);
  return {
    a,
    b,
    clock,
    settle: async () => {
      await clock.runUntilAsync(() => false, 1000);
    },
    until: async (cond, what) => {
      if (!(await clock.runUntilAsync(cond, 60_000))) throw new Error(`not within 60 s of virtual time: ${what}`);
    },
    injectRaw: async (bytes) => {
      (b as unknown as { receiveBytes(c: Uint8Array): void }).receiveBytes(bytes);
    },
    cleanup: async () => {
      await a.close();
      await b.close();
    },
  };
}

// Unlimited and instant, then a slow UART-like line: both must keep the contract.
linkContract('MemoryLink (instant)', async () => memoryPair());
linkContract('MemoryLink (2 ms latency, 11520 B/s)', async () => memoryPair({ latencyMs: 2, bytesPerSecond: 11_520 }));

/** mulberry32: a small seeded PRNG, so corruption runs are reproducible. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function openPair(opts: MemoryLinkOptions) {
  const clock = new VirtualClock();
  const [a, b, wire] = memoryLinkPair(clock, opts);
  await a.open();
  await b.open();
  return { clock, a, b, wire };
}

describe('MemoryLink on virtual time', () => {
  it('adds the one-way latency: a frame arrives exactly latencyMs after it was sent', async () => {
    const { clock, a, b } = await openPair({ latencyMs: 30 });
    const at: number[] = [];
    b.on('frame', () => at.push(clock.now()));
    clock.advance(100);
    a.send(Uint8Array.of(1));
    clock.advance(29);
    expect(at).toEqual([]);
    clock.advance(1);
    expect(at).toEqual([130]);
  });

  it('queues frames at the line rate: arrival = start + size/rate + latency, back to back', async () => {
    const { clock, a, b } = await openPair({ latencyMs: 10, bytesPerSecond: 1000 }); // 1 byte per ms
    const at: number[] = [];
    b.on('frame', () => at.push(clock.now()));
    const f1 = Uint8Array.of(1, 2, 3, 0xc0);
    const f2 = new Uint8Array(40).fill(7);
    const n1 = encodeFrame(f1).length;
    const n2 = encodeFrame(f2).length;
    a.send(f1);
    a.send(f2); // sent at the same instant: waits for f1 to leave the line
    clock.advance(1000);
    expect(at).toEqual([n1 + 10, n1 + n2 + 10]);
    // Once the line is idle again, a frame starts at once.
    a.send(f1);
    const sentAt = clock.now();
    clock.advance(1000);
    expect(at[2]).toBe(sentAt + n1 + 10);
  });

  it('corruption: damaged frames are dropped as crc, and never is a wrong body delivered', async () => {
    const run = async (seed: number) => {
      const { clock, a, b } = await openPair({ corruptionRate: 0.002, random: seeded(seed) });
      const sent: string[] = [];
      const got: string[] = [];
      b.on('frame', (body) => got.push(Buffer.from(body).toString('hex')));
      for (let i = 0; i < 400; i++) {
        const body = new Uint8Array(64).map((_, j) => (i * 131 + j * 17) & 0xff);
        body[0] = i & 0xff;
        body[1] = i >> 8;
        sent.push(Buffer.from(body).toString('hex'));
        a.send(body);
      }
      clock.advance(1000);
      return { sent, got, drops: { ...b.stats.drops } };
    };
    const r = await run(42);
    expect(r.drops.crc).toBeGreaterThan(0);
    expect(r.got.length).toBeGreaterThan(200);
    expect(r.got.length).toBeLessThan(r.sent.length);
    // Every delivered body is one that was sent, in the order sent (a subsequence).
    let k = 0;
    for (const g of r.got) {
      while (k < r.sent.length && r.sent[k] !== g) k++;
      expect(k, `delivered body not sent (or out of order): ${g.slice(0, 16)}…`).toBeLessThan(r.sent.length);
      k++;
    }
    // Same seed, same damage: runs are reproducible.
    const again = await run(42);
    expect(again.got).toEqual(r.got);
    expect(again.drops).toEqual(r.drops);
  });

  it('sever(): both ends go lost; retries back off (doubling, capped); restore(): up again, reconnects counted', async () => {
    const { clock, a, b, wire } = await openPair({ backoff: { initialMs: 100, maxMs: 800 } });
    const states: LinkState[] = [];
    const failedAt: number[] = [];
    const downErrors: string[] = [];
    a.on('state', (s) => states.push(s));
    a.on('error', (e) => {
      if (e.code === 'E_LINK_OPEN') failedAt.push(clock.now());
      else downErrors.push(e.code);
    });
    wire.sever();
    expect(a.state).toBe('lost');
    expect(b.state).toBe('lost');
    expect(downErrors).toEqual(['E_LINK_DOWN']);
    expect(a.send(Uint8Array.of(1))).toBe(false);
    // Step 1 ms at a time so each failed reopen schedules the next at the exact time.
    await clock.runUntilAsync(() => failedAt.length === 6, 10_000, 1);
    const gaps = failedAt.map((t, i) => t - (i === 0 ? 0 : failedAt[i - 1]!));
    expect(gaps).toEqual([100, 200, 400, 800, 800, 800]);
    wire.restore();
    await clock.runUntilAsync(() => a.state === 'up' && b.state === 'up', 2000, 1);
    expect(states).toEqual(['lost', 'up']); // retries happen inside lost; no flapping
    expect(a.stats.reconnects).toBe(1);
    expect(b.stats.reconnects).toBe(1);
    // Frames flow again, both ways.
    const atB: number[] = [];
    const atA: number[] = [];
    b.on('frame', (body) => atB.push(body[0]!));
    a.on('frame', (body) => atA.push(body[0]!));
    a.send(Uint8Array.of(7));
    b.send(Uint8Array.of(8));
    clock.advance(1);
    expect(atB).toEqual([7]);
    expect(atA).toEqual([8]);
    // Being up again resets the backoff: the next loss retries after initialMs.
    const before = failedAt.length;
    const lostAt = clock.now();
    wire.sever();
    await clock.runUntilAsync(() => failedAt.length > before, 1000, 1);
    expect(failedAt[before]! - lostAt).toBe(100);
  });

  it('a frame in flight when the wire is cut is lost, not delivered after the reconnect', async () => {
    const { clock, a, b, wire } = await openPair({ latencyMs: 50, backoff: { initialMs: 10, maxMs: 10 } });
    const got: Uint8Array[] = [];
    b.on('frame', (body) => got.push(body));
    a.send(Uint8Array.of(1, 2, 3));
    clock.advance(20);
    wire.sever();
    wire.restore();
    await clock.runUntilAsync(() => a.state === 'up' && b.state === 'up', 1000, 1);
    clock.advance(200);
    expect(got).toEqual([]);
    expect(wire.lostInFlight).toBe(encodeFrame(Uint8Array.of(1, 2, 3)).length);
  });

  it('opening while the wire is severed rejects with E_LINK_OPEN and stays closed', async () => {
    const clock = new VirtualClock();
    const [a, , wire] = memoryLinkPair(clock);
    wire.sever();
    const err = await a.open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HalError);
    expect((err as HalError).code).toBe('E_LINK_OPEN');
    expect(a.state).toBe('closed');
  });
});
