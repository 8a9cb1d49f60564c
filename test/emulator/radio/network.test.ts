import { describe, expect, it } from 'vitest';
import { VirtualClock, type Ack } from '../../../hal/index.js';
import { Constellation } from '../../../emulator/constellation.js';
import { DEFAULT_LINK_BUDGET, maxRangeM, rssiDbm } from '../../../emulator/radio/link-budget.js';
import { DEFAULT_RADIO_CONFIG, RadioNetwork, type RadioConfig } from '../../../emulator/radio/network.js';
import { parseScenario, resolveScenario } from '../../../emulator/scenario/load.js';
import { distanceM, elevationRad, lineOfSight, passWindows, positionEci, R_EARTH } from '../../../emulator/world/orbit.js';
import { createRng } from '../../../emulator/world/rng.js';
import { DEG, type Vec3 } from '../../../emulator/world/vec.js';
import { runFor, settle, startRig } from '../helpers.js';

const C = 299_792_458;
const R500 = R_EARTH + 500e3;
/** A point on the equatorial circle of radius r at `deg` degrees from ECI x. */
const at = (deg: number, r = R500): Vec3 => [r * Math.cos(deg * DEG), r * Math.sin(deg * DEG), 0];

interface Rx {
  from: string;
  data: Uint8Array;
  rssi: number;
  at: number;
}

/** A radio network of fixed nodes on a virtual clock; every delivery lands in `inbox[id]`. */
function rig(cfg: Partial<RadioConfig> = {}, seed = 1, startMs = 0) {
  const clock = new VirtualClock(startMs);
  const radio = new RadioNetwork(clock, createRng(seed), cfg);
  const inbox = new Map<string, Rx[]>();
  const positions = new Map<string, Vec3>();
  const add = (id: string, pos: Vec3): void => {
    inbox.set(id, []);
    positions.set(id, pos);
    radio.add({ id, kind: 'sat', position: () => pos, deliver: (from, data, rssi) => inbox.get(id)!.push({ from, data, rssi, at: clock.now() }) });
  };
  const rx = (id: string): Rx[] => inbox.get(id)!;
  const dist = (a: string, b: string): number => distanceM(positions.get(a)!, positions.get(b)!);
  return { clock, radio, add, rx, dist };
}

const bytes = (n: number, fill = 0): Uint8Array => new Uint8Array(n).fill(fill);
const airtimeMs = (n: number, cfg: Pick<RadioConfig, 'bitRate' | 'overheadBytes'> = DEFAULT_RADIO_CONFIG): number =>
  ((n + cfg.overheadBytes) * 8 * 1000) / cfg.bitRate;

describe('ISL radio network: delivery and timing', () => {
  it('two satellites in range exchange a packet after airtime + [50, 100] ms + propagation, with the link-budget rssi', () => {
    const { clock, radio, add, rx, dist } = rig();
    add('A', at(0));
    add('B', at(4)); // ≈ 480 km apart
    const d = dist('A', 'B');
    expect(d / 1000).toBeGreaterThan(470);
    expect(d / 1000).toBeLessThan(490);
    const prop = (d / C) * 1000;
    const extra: number[] = [];
    for (let k = 0; k < 60; k++) {
      const t0 = k * 1000;
      clock.runUntil(t0);
      const payload = bytes(100, k);
      expect(radio.transmit('A', 'B', payload)).toEqual({ ok: true });
      payload.fill(0xff); // the radio copied the bytes: changing ours later changes nothing
      clock.runUntil(t0 + 999);
      expect(rx('B')).toHaveLength(k + 1);
      const got = rx('B')[k]!;
      expect(got.from).toBe('A');
      expect([...got.data]).toEqual([...bytes(100, k)]);
      expect(got.rssi).toBe(Math.round(rssiDbm(d, 30, DEFAULT_LINK_BUDGET)));
      extra.push(got.at - t0 - airtimeMs(100) - prop);
    }
    for (const e of extra) {
      expect(e).toBeGreaterThanOrEqual(50 - 1e-9);
      expect(e).toBeLessThanOrEqual(100 + 1e-9);
    }
    // The processing latency is drawn, not fixed: it spreads over the interval.
    expect(Math.min(...extra)).toBeLessThan(60);
    expect(Math.max(...extra)).toBeGreaterThan(90);
    expect(rx('A')).toHaveLength(0);
    // And the other way round.
    radio.transmit('B', 'A', bytes(10));
    clock.advance(1000);
    expect(rx('A').map((r) => r.from)).toEqual(['B']);
    expect(radio.stats('A')).toMatchObject({ txPackets: 60, txBytes: 6000, rxPackets: 1, rxBytes: 10 });
    expect(radio.stats('B')).toMatchObject({ txPackets: 1, rxPackets: 60, rxBytes: 6000 });
  });

  it('propagation delay grows with distance (≈ 1 ms per 300 km)', () => {
    const { clock, radio, add, rx, dist } = rig({ latencyMinMs: 50, latencyMaxMs: 50 });
    add('A', at(0));
    add('near', at(1));
    add('far', at(35)); // ≈ 4 100 km, still in line of sight
    radio.transmit('A', '*', bytes(20));
    clock.advance(1000);
    const arrival = (id: string): number => rx(id)[0]!.at;
    expect(arrival('near')).toBeCloseTo(airtimeMs(20) + 50 + (dist('A', 'near') / C) * 1000, 6);
    expect(arrival('far')).toBeCloseTo(airtimeMs(20) + 50 + (dist('A', 'far') / C) * 1000, 6);
    expect(arrival('far') - arrival('near')).toBeGreaterThan(12);
  });

  it('a broadcast "*" reaches every node in range and none out of range (Earth occlusion, distance)', () => {
    const { clock, radio, add, rx, dist } = rig();
    add('A', at(0));
    add('B', at(4)); // 480 km
    add('C', at(-10)); // 1 200 km
    add('F', at(30)); // 3 560 km, clear line of sight
    add('D', at(180)); // the other side of the Earth
    add('L', at(40)); // 4 700 km: within the budget's range, but the ray dips into the atmosphere margin
    add('E', at(0, 20_000e3)); // straight above A (clear line of sight), 13 000 km away: too far
    const range = maxRangeM(30, DEFAULT_LINK_BUDGET);
    expect(dist('A', 'L')).toBeLessThan(range);
    expect(lineOfSight(at(0), at(40))).toBe(false);
    expect(lineOfSight(at(0), at(0, 20_000e3))).toBe(true);
    expect(dist('A', 'E')).toBeGreaterThan(range);

    expect(radio.transmit('A', '*', bytes(30, 7))).toEqual({ ok: true });
    clock.advance(1000);
    for (const id of ['B', 'C', 'F']) expect(rx(id).map((r) => r.from), id).toEqual(['A']);
    for (const id of ['D', 'L', 'E']) expect(rx(id), id).toHaveLength(0);
    expect(rx('A')).toHaveLength(0); // not to itself
    expect(radio.neighbours('A').sort()).toEqual(['B', 'C', 'F']);
    expect(radio.canHear('D', 'A')).toBe(false);
    expect(radio.canHear('B', 'A')).toBe(true);
    // A broadcast does not count nodes it could never reach as losses; a unicast does.
    expect(radio.stats('D')!.lost.range).toBe(0);
    radio.transmit('A', 'D', bytes(5));
    radio.transmit('A', 'L', bytes(5));
    clock.advance(1000);
    expect(radio.stats('D')!.lost.range).toBe(1);
    expect(radio.stats('L')!.lost.range).toBe(1);
    expect(rx('D')).toHaveLength(0);
  });

  it('transmit power sets the range: at 0 dBm a neighbour 480 km away no longer hears, the link becomes one-way', () => {
    const { clock, radio, add, rx } = rig();
    add('A', at(0));
    add('B', at(4));
    radio.setTxPower('A', 0);
    expect(radio.txPower('A')).toBe(0);
    expect(radio.canHear('B', 'A')).toBe(false);
    expect(radio.canHear('A', 'B')).toBe(true);
    radio.transmit('A', 'B', bytes(10));
    radio.transmit('B', 'A', bytes(10));
    clock.advance(1000);
    expect(rx('B')).toHaveLength(0);
    expect(rx('A')).toHaveLength(1);
    radio.setTxPower('A', 30);
    radio.transmit('A', 'B', bytes(10));
    clock.advance(1000);
    expect(rx('B')).toHaveLength(1);
  });
});

describe('ISL radio network: queue, airtime and throughput', () => {
  it('a full transmit queue refuses with busy, counted; room comes back as packets leave', () => {
    const { clock, radio, add, rx } = rig();
    add('A', at(0));
    add('B', at(4));
    expect(DEFAULT_RADIO_CONFIG.queueBytes).toBe(2048);
    for (let i = 0; i < 8; i++) expect(radio.transmit('A', 'B', bytes(256, i))).toEqual({ ok: true });
    const r = radio.transmit('A', 'B', bytes(256));
    expect(r).toMatchObject({ ok: false, code: 'busy' });
    expect(radio.transmit('A', 'B', bytes(1))).toMatchObject({ ok: false, code: 'busy' });
    expect(radio.stats('A')!.busy).toBe(2);
    expect(radio.stats('A')!.txPackets).toBe(8);
    // The first packet leaves the queue at the end of its airtime: 256 bytes of room again.
    clock.runUntil(airtimeMs(256) - 1);
    expect(radio.transmit('A', 'B', bytes(256))).toMatchObject({ ok: false });
    clock.runUntil(airtimeMs(256));
    expect(radio.transmit('A', 'B', bytes(256, 8))).toEqual({ ok: true });
    expect(radio.stats('A')!.busy).toBe(3);
    clock.advance(10_000);
    expect(rx('B').map((p) => p.data[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('busy reaches the flight computer as ack ok:false code busy (isl.tx through the HAL)', async () => {
    const r = await startRig({ name: 'busy', constellation: { count: 2 } }, { fcs: ['SAT-1'] });
    const client = r.client('SAT-1');
    const acks = Array.from({ length: 12 }, () => client.islTx('*', bytes(250)));
    const settled = await Promise.all(acks.map((p) => settle(r.clock, p)));
    const values = settled.map((s) => (s.ok ? s.value : undefined)) as Ack[];
    expect(values.every((a) => a?.kind === 'ack')).toBe(true);
    const busy = values.filter((a) => !a.ok);
    expect(busy.length).toBeGreaterThan(0);
    for (const a of busy) expect(a.code).toBe('busy');
    expect(values.slice(0, 8).every((a) => a.ok)).toBe(true);
    expect(r.con.radio.stats('SAT-1')!.busy).toBe(busy.length);
  });

  it('airtime is bytes × 8 / bit rate (9600 bit/s default), plus the per-packet overhead when configured', () => {
    expect(DEFAULT_RADIO_CONFIG.bitRate).toBe(9600);
    {
      const { clock, radio, add } = rig({ overheadBytes: 0 });
      add('A', at(0));
      add('B', at(4));
      clock.runUntil(1000);
      radio.transmit('A', 'B', bytes(120));
      expect(radio.transmittingUntil('A')).toBeCloseTo(1000 + (120 * 8 * 1000) / 9600, 9); // 100 ms
      radio.transmit('A', 'B', bytes(60)); // queues behind the first
      expect(radio.transmittingUntil('A')).toBeCloseTo(1000 + 100 + 50, 9);
      expect(radio.stats('A')!.airtimeMs).toBeCloseTo(150, 9);
    }
    {
      const { radio, add } = rig();
      add('A', at(0));
      add('B', at(4));
      radio.transmit('A', 'B', bytes(112));
      expect(radio.transmittingUntil('A')).toBeCloseTo(((112 + DEFAULT_RADIO_CONFIG.overheadBytes) * 8 * 1000) / 9600, 9);
    }
    {
      const { radio, add } = rig({ bitRate: 2400, overheadBytes: 0 });
      add('A', at(0));
      add('B', at(4));
      radio.transmit('A', 'B', bytes(30));
      expect(radio.transmittingUntil('A')).toBeCloseTo(100, 9);
    }
  });

  it('a saturated radio never delivers faster than its bit rate, and gets close to it', () => {
    for (const bitRate of [9600, 2400]) {
      const { clock, radio, add, rx } = rig({ bitRate });
      add('A', at(0));
      add('B', at(4));
      const size = 200;
      const T = 20_000;
      // Keep the queue topped up every 10 ms.
      for (let t = 0; t < T; t += 10) {
        clock.runUntil(t);
        while (radio.transmit('A', 'B', bytes(size)).ok);
      }
      clock.runUntil(T);
      const delivered = rx('B').filter((p) => p.at <= T).length * size;
      const wireBits = (delivered / size) * (size + DEFAULT_RADIO_CONFIG.overheadBytes) * 8;
      expect(wireBits).toBeLessThanOrEqual((bitRate * T) / 1000);
      // Every interval [0, t] respects the rate too, not just the total.
      const arrivals = rx('B').map((p) => p.at);
      arrivals.forEach((a, i) => expect((i + 1) * (size + 8) * 8).toBeLessThanOrEqual((bitRate * a) / 1000 + 1e-6));
      const payloadRate = (delivered * 8 * 1000) / T;
      expect(payloadRate).toBeGreaterThan(0.9 * bitRate * (size / (size + 8)));
      expect(radio.stats('A')!.busy).toBeGreaterThan(0);
    }
  });

  it('delivery is in order per sender→receiver pair even though the latency is random', () => {
    const { clock, radio, add, rx } = rig();
    add('A', at(0));
    add('C', at(-3));
    add('B', at(4));
    // Short packets (airtime 8–23 ms) sent back to back: latency jitter (50 ms) exceeds the
    // spacing, so only the per-pair ordering keeps them in order.
    let seqA = 0;
    let seqC = 0;
    for (let t = 0; t < 20_000; t += 20) {
      clock.runUntil(t);
      const n = 1 + ((t / 20) % 20);
      if (radio.transmit('A', 'B', Uint8Array.of(seqA & 0xff, (seqA >> 8) & 0xff, ...bytes(n))).ok) seqA++;
      if (radio.transmit('C', 'B', Uint8Array.of(seqC & 0xff, (seqC >> 8) & 0xff, ...bytes(n))).ok) seqC++;
    }
    clock.advance(5000);
    const seqs = (from: string): number[] => rx('B').filter((p) => p.from === from).map((p) => p.data[0]! + 256 * p.data[1]!);
    expect(seqA).toBeGreaterThan(300);
    expect(seqs('A')).toEqual(Array.from({ length: seqA }, (_, i) => i));
    expect(seqs('C')).toEqual(Array.from({ length: seqC }, (_, i) => i));
    // ...while the two senders' packets do interleave at B.
    const froms = rx('B').map((p) => p.from);
    expect(froms.slice(0, 50)).toContain('A');
    expect(froms.slice(0, 50)).toContain('C');
  });
});

describe('ISL radio network: loss, partitions, outages', () => {
  function lossRun(p: number, seed: number) {
    const { clock, radio, add, rx } = rig({ lossProbability: p }, seed);
    add('A', at(0));
    add('B', at(4));
    add('C', at(8));
    const N = 2000;
    for (let i = 0; i < N; i++) {
      clock.runUntil(i * 100);
      radio.transmit('A', '*', Uint8Array.of(i & 0xff, i >> 8));
    }
    clock.advance(1000);
    const got = (id: string): number[] => rx(id).map((q) => q.data[0]! + 256 * q.data[1]!);
    return { N, radio, got };
  }

  it('a seeded loss probability loses about that fraction, independently per receiver, and counts it', () => {
    const { N, radio, got } = lossRun(0.25, 11);
    for (const id of ['B', 'C']) {
      const received = got(id).length;
      expect(Math.abs(received / N - 0.75), id).toBeLessThan(0.04);
      expect(radio.stats(id)!.lost.loss).toBe(N - received);
      expect(radio.stats(id)!.rxPackets).toBe(received);
    }
    expect(got('B')).not.toEqual(got('C'));
    // Same seed, same losses; another seed, other losses.
    expect(lossRun(0.25, 11).got('B')).toEqual(got('B'));
    expect(lossRun(0.25, 12).got('B')).not.toEqual(got('B'));
    // No loss configured: nothing lost.
    const clean = lossRun(0, 11);
    expect(clean.got('B')).toHaveLength(N);
    expect(clean.radio.stats('B')!.lost.loss).toBe(0);
  });

  it('a partition separates groups (unlisted nodes form one more group) and heal restores everything', () => {
    const { clock, radio, add, rx } = rig();
    add('A', at(0));
    add('B', at(4));
    add('C', at(8));
    add('D', at(12));
    radio.partition([['A', 'B']]);
    expect(radio.canHear('B', 'A')).toBe(true);
    expect(radio.canHear('D', 'C')).toBe(true); // C and D: the unlisted group
    expect(radio.canHear('C', 'A')).toBe(false);
    expect(radio.canHear('A', 'D')).toBe(false);
    expect(radio.neighbours('A')).toEqual(['B']);
    radio.transmit('A', '*', bytes(10));
    radio.transmit('C', 'A', bytes(10));
    clock.advance(1000);
    expect(rx('B')).toHaveLength(1);
    expect(rx('C')).toHaveLength(0);
    expect(rx('D')).toHaveLength(0);
    expect(rx('A')).toHaveLength(0);
    expect(radio.stats('C')!.lost.partition).toBe(1);
    expect(radio.stats('D')!.lost.partition).toBe(1);
    expect(radio.stats('A')!.lost.partition).toBe(1);

    radio.partition([['A'], ['B'], ['C', 'D']]);
    expect(radio.canHear('B', 'A')).toBe(false);
    expect(radio.canHear('D', 'C')).toBe(true);

    radio.heal();
    expect(radio.neighbours('A').sort()).toEqual(['B', 'C', 'D']);
    radio.transmit('A', '*', bytes(10));
    clock.advance(1000);
    expect(rx('B')).toHaveLength(2);
    expect(rx('C')).toHaveLength(1);
    expect(rx('D')).toHaveLength(1);
  });

  it('a radio outage: the node neither sends nor hears, including packets already in flight; it ends cleanly', () => {
    const { clock, radio, add, rx } = rig();
    add('A', at(0));
    add('B', at(4));
    expect(radio.isOut('B')).toBe(false);
    expect(radio.isOut('nobody')).toBe(true);
    radio.setOutage('B', true);
    expect(radio.isOut('B')).toBe(true);
    expect(radio.neighbours('B')).toEqual([]);
    expect(radio.canHear('A', 'B')).toBe(false);
    radio.transmit('A', 'B', bytes(10));
    radio.transmit('B', 'A', bytes(10));
    clock.advance(1000);
    expect(rx('B')).toHaveLength(0);
    expect(rx('A')).toHaveLength(0);
    expect(radio.stats('B')!.lost.outage).toBe(1);
    expect(radio.stats('A')!.lost.outage).toBe(1);

    radio.setOutage('B', false);
    radio.transmit('A', 'B', bytes(10));
    // Airtime over, packet on its way (≥ 50 ms latency): the receiver goes out before it lands.
    clock.advance(airtimeMs(10) + 1);
    radio.setOutage('B', true);
    clock.advance(1000);
    expect(rx('B')).toHaveLength(0);
    expect(radio.stats('B')!.lost.outage).toBe(2);

    radio.setOutage('B', false);
    radio.transmit('A', 'B', bytes(10));
    radio.transmit('B', 'A', bytes(10));
    clock.advance(1000);
    expect(rx('B')).toHaveLength(1);
    expect(rx('A')).toHaveLength(1);
  });
});

describe('ISL radio network: the ground station', () => {
  it('is reachable only while the satellite is above its elevation mask (pass windows from the orbit model)', () => {
    const scenario = resolveScenario('nominal');
    const gs = scenario.ground_station!;
    const clock = new VirtualClock();
    const con = new Constellation({ scenario, clock });
    const station = con.groundStation!;
    expect(station).toMatchObject({ id: gs.id, latDeg: gs.lat_deg, lonDeg: gs.lon_deg, minElevationDeg: gs.elevation_mask_deg });
    const sat = con.byId('SAT-1')!;
    const orbit = sat.world.orbit;
    const passes = passWindows(orbit, station, 0, 86_400).filter((p) => p.maxElevationDeg > 30 && p.startS > 0);
    expect(passes.length).toBeGreaterThan(0);
    const pass = passes[0]!;
    const elevDeg = (tS: number): number => elevationRad(positionEci(orbit, tS), station, tS) / DEG;
    // Mid-pass: well above the mask; both directions work.
    const mid = (pass.startS + pass.endS) / 2;
    expect(elevDeg(mid)).toBeGreaterThan(gs.elevation_mask_deg);
    expect(con.radio.canHear('GROUND', 'SAT-1', mid)).toBe(true);
    expect(con.radio.canHear('SAT-1', 'GROUND', mid)).toBe(true);
    // Just before rise: the satellite is above the horizon (line of sight) but below the mask.
    let low = pass.startS - 1;
    while (elevDeg(low) > gs.elevation_mask_deg - 1) low -= 1;
    expect(elevDeg(low)).toBeGreaterThan(0);
    expect(con.radio.canHear('GROUND', 'SAT-1', low)).toBe(false);
    expect(con.radio.canHear('SAT-1', 'GROUND', low)).toBe(false);
    // Half an orbit later: below the horizon.
    expect(con.radio.canHear('GROUND', 'SAT-1', mid + orbit.periodS / 2)).toBe(false);
    // Edges of the window, to the bisection's 0.05 s.
    expect(con.radio.canHear('GROUND', 'SAT-1', pass.startS + 0.1)).toBe(true);
    expect(con.radio.canHear('GROUND', 'SAT-1', pass.endS + 0.1)).toBe(false);

    // Real transmissions at those times (nothing started: only the radio's timers run).
    clock.runUntil(low * 1000);
    con.radio.transmit('SAT-1', 'GROUND', bytes(20));
    clock.runUntil(mid * 1000);
    expect(con.radio.stats('GROUND')!.rxPackets).toBe(0);
    expect(con.radio.stats('GROUND')!.lost.range).toBe(1);
    con.radio.transmit('SAT-1', 'GROUND', bytes(20));
    con.radio.transmit('GROUND', 'SAT-1', bytes(20));
    clock.advance(1000);
    expect(con.radio.stats('GROUND')!.rxPackets).toBe(1);
    expect(con.radio.stats('SAT-1')!.rxPackets).toBe(1);
  });

  it('a scenario without a ground station has none on the network', () => {
    const con = new Constellation({ scenario: parseScenario({ name: 'x', constellation: { count: 2 } }), clock: new VirtualClock() });
    expect(con.groundStation).toBeUndefined();
    expect(con.radio.ids()).toEqual(['SAT-1', 'SAT-2']);
  });
});

describe('ISL traffic between flight computers (through the HAL)', () => {
  it('a broadcast from one flight computer arrives as isl.rx at the others, with the sender id and rssi', async () => {
    const r = await startRig({ name: 'isl', constellation: { count: 3 } });
    const got = new Map<string, { from: string; data: number[]; rssi: number }[]>();
    for (const id of r.con.ids()) {
      got.set(id, []);
      r.client(id).on('isl', (m) => got.get(id)!.push({ from: m.from, data: [...m.data], rssi: m.rssi }));
    }
    const ack = await settle(r.clock, r.client('SAT-2').islTx('*', Uint8Array.of(1, 2, 3)));
    expect(ack).toMatchObject({ ok: true, value: { kind: 'ack', ok: true } });
    await runFor(r.clock, 500, 10);
    expect(got.get('SAT-1')).toEqual([{ from: 'SAT-2', data: [1, 2, 3], rssi: expect.any(Number) }]);
    expect(got.get('SAT-3')).toEqual([{ from: 'SAT-2', data: [1, 2, 3], rssi: expect.any(Number) }]);
    expect(got.get('SAT-2')).toEqual([]);
    expect(got.get('SAT-1')![0]!.rssi).toBeLessThan(-80);
    expect(got.get('SAT-1')![0]!.rssi).toBeGreaterThan(-125);
  });
});
