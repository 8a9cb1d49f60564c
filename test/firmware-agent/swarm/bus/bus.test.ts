import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../hal/index.js';
import { MessageBus } from '../../../../firmware-agent/swarm/bus.js';
import { BusError, type RadioResult } from '../../../../firmware-agent/swarm/bus-types.js';
import { reservingCounter } from '../../../../firmware-agent/swarm/counter.js';
import { DedupeMemory, midAtOrBefore } from '../../../../firmware-agent/swarm/dedupe.js';
import { Governor } from '../../../../firmware-agent/swarm/governor.js';
import type { DeliveryReport } from '../../../../firmware-agent/swarm/types.js';
import type { SwarmMessage } from '../../../../firmware-agent/swarm/messages.js';
import { addNode, ballot, bulk, bulkDataMax, fakeCodec, FakeAir, health, heartbeat, report, seededLoss, type LossFn } from './helpers.js';

/** A's data packets on the air (decoded): mid and when handed to the radio. */
function tapMids(air: FakeAir, from: string): { mid: number; at: number; t: string }[] {
  const out: { mid: number; at: number; t: string }[] = [];
  const peek = fakeCodec('observer', { strictCounters: false });
  air.tap = (p, data) => {
    if (p.from !== from) return;
    const r = peek.decode(data);
    if (r.ok) out.push({ mid: r.mid, at: p.handedAt, t: r.msg.t });
  };
  return out;
}

function rig(loss: LossFn = () => false, seed = 1) {
  const clock = new VirtualClock(0);
  const air = new FakeAir(clock, seed, loss);
  const a = addNode(air, 'A');
  const b = addNode(air, 'B');
  return { clock, air, a, b };
}

const pidsOf = (xs: { msg: SwarmMessage }[]): string[] => xs.flatMap((d) => (d.msg.t === 'ballot' ? [d.msg.pid] : []));

describe('message bus: sending', () => {
  it('QoS 0 unicast and broadcast arrive; a broadcast above QoS 0 is refused with a typed error', () => {
    const clock = new VirtualClock(0);
    const air = new FakeAir(clock, 1);
    const [a, b, c] = ['A', 'B', 'C'].map((id) => addNode(air, id));
    expect(a!.bus.send('B', heartbeat(), { qos: 0 })).toBe(0);
    a!.bus.send('*', health(), { qos: 0 });
    for (const qos of [1, 2] as const) {
      let err: unknown;
      try {
        a!.bus.send('*', health(), { qos });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BusError);
      expect((err as BusError).code).toBe('broadcast_qos');
    }
    clock.runUntil(2000);
    expect(b!.inbox.map((d) => d.msg.t)).toEqual(['append', 'health']);
    expect(c!.inbox.map((d) => d.msg)).toEqual([health()]);
    expect(a!.reports).toEqual([]);
    expect(air.log.filter((p) => p.from === 'A')).toHaveLength(2);
    const m = a!.bus.metrics();
    expect(m.sent.append).toEqual([1, 0, 0]);
    expect(m.sent.health).toEqual([1, 0, 0]);
    expect(b!.bus.metrics().received.health).toEqual([1, 0, 0]);
  });

  it('refuses bad sends before anything is queued: self, bad QoS, bad deadline, oversize, schema', () => {
    const { a, clock, air } = rig();
    const codeOf = (f: () => void): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof BusError ? e.code : 'other';
      }
      return undefined;
    };
    expect(codeOf(() => a.bus.send('A', ballot('x'), { qos: 1 }))).toBe('self');
    expect(codeOf(() => a.bus.send('B', ballot('x'), { qos: 3 as 1 }))).toBe('bad_options');
    expect(codeOf(() => a.bus.send('B', ballot('x'), { qos: 1, deadlineMs: 0 }))).toBe('bad_options');
    expect(codeOf(() => a.bus.send('B', ballot('x'), { qos: 1, deadlineMs: 31_000 }))).toBe('bad_options');
    expect(codeOf(() => a.bus.send('B', bulk(500), { qos: 0 }))).toBe('oversize');
    expect(codeOf(() => a.bus.send('B', null as never, { qos: 0 }))).toBe('other');
    clock.runUntil(5000);
    expect(air.log).toHaveLength(0);
    expect(a.reports).toHaveLength(0);
    expect(a.bus.metrics().pending).toBe(0);
  });

  it('QoS 1 over a 30 % lossy air (both ways): every send retried until acked, exactly one delivered report each', () => {
    for (const seed of [3, 7, 9]) {
      const { clock, air, a, b } = rig(seededLoss(seed, 0.3));
      const onAir = tapMids(air, 'A');
      const sentAt = new Map<number, number>();
      for (let i = 0; i < 40; i++) clock.setTimerAt(i * 150, () => sentAt.set(a.bus.send('B', ballot(`p${i}`), { qos: 1, deadlineMs: 30_000 }), clock.now()));
      clock.runUntil(90_000);
      expect(sentAt.size).toBe(40);
      expect(a.reports).toHaveLength(40);
      expect(a.reports.map((r) => r.mid).sort((x, y) => x - y)).toEqual([...sentAt.keys()].sort((x, y) => x - y));
      expect(a.reports.every((r) => r.delivered)).toBe(true);
      const m = a.bus.metrics();
      expect(m.retries).toBeGreaterThan(20);
      expect(m).toMatchObject({ reportsDelivered: 40, reportsExpired: 0, pending: 0 });
      expect(Math.max(...a.reports.map((r) => r.attempts))).toBeGreaterThanOrEqual(5);
      // Each message reached B at least once (QoS 1 may duplicate).
      expect(new Set(pidsOf(b.inbox))).toEqual(new Set(Array.from({ length: 40 }, (_, i) => `p${i}`)));
      for (const r of a.reports) {
        const tx = onAir.filter((x) => x.mid === r.mid && x.t === 'ballot');
        // attempts in the report = transmissions on the air, none after the ack came back
        expect(tx).toHaveLength(r.attempts);
        if (r.delivered) for (const t of tx) expect(t.at).toBeLessThan(sentAt.get(r.mid)! + r.latencyMs);
      }
    }
  });

  it('QoS 1 with 100 % loss: exactly one deadline report, at the deadline, after exponential backoff', () => {
    const { clock, air, a } = rig(() => true);
    const onAir = tapMids(air, 'A');
    const mid = a.bus.send('B', ballot('lost'), { qos: 1, deadlineMs: 8000 });
    clock.runUntil(7999.99);
    expect(a.reports).toHaveLength(0);
    clock.runUntil(8000);
    expect(a.reports).toHaveLength(1);
    clock.runUntil(120_000);
    expect(a.reports).toHaveLength(1);
    const r = a.reports[0]!;
    expect(r).toMatchObject({ mid, to: 'B', delivered: false, reason: 'deadline' });
    const tx = onAir.filter((x) => x.mid === mid).map((x) => x.at);
    expect(r.attempts).toBe(tx.length);
    expect(tx.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...tx)).toBeLessThan(8000);
    const gaps = tx.slice(1).map((t, i) => t - tx[i]!);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]! * 1.3);
    expect(a.bus.metrics()).toMatchObject({ reportsExpired: 1, reportsDelivered: 0, pending: 0 });
  });

  it('the deadline report comes at send time + deadline exactly', () => {
    const { clock, a } = rig(() => true);
    clock.runUntil(1234);
    a.bus.send('B', ballot('x'), { qos: 2, deadlineMs: 3000 });
    clock.runUntil(4233.99);
    expect(a.reports).toHaveLength(0);
    clock.runUntil(4234);
    expect(a.reports).toHaveLength(1);
    expect(a.reports[0]).toMatchObject({ delivered: false, reason: 'deadline' });
    clock.runUntil(100_000);
    expect(a.reports).toHaveLength(1);
  });

  it('QoS 1 duplicates reach the application when acks are lost; QoS 2 delivers exactly once', () => {
    for (const qos of [1, 2] as const) {
      // The first 3 packets B sends to A (its acks) are lost.
      const { clock, a, b } = rig((from, _to, k) => from === 'B' && k < 3);
      a.bus.send('B', ballot('once'), { qos, deadlineMs: 20_000 });
      clock.runUntil(30_000);
      expect(a.reports).toHaveLength(1);
      expect(a.reports[0]).toMatchObject({ delivered: true, attempts: 4 });
      expect(pidsOf(b.inbox)).toEqual(qos === 1 ? ['once', 'once', 'once', 'once'] : ['once']);
      expect(b.bus.metrics().duplicatesSuppressed).toBe(qos === 1 ? 0 : 3);
      expect(b.bus.metrics().received.ballot[qos]).toBe(4);
    }
  });

  it('QoS 2: the application sees each message at most once, and exactly once when acknowledged, whatever is lost (property)', () => {
    let deliveredSome = 0;
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 8 }),
        (lossAB, lossBA, sendTimes) => {
          const loss: LossFn = (from, _to, k) => (from === 'A' ? lossAB[k % lossAB.length]! : lossBA[k % lossBA.length]!);
          const { clock, a, b } = rig(loss);
          const mids = new Map<number, string>();
          sendTimes.forEach((t, i) => clock.setTimerAt(t, () => mids.set(a.bus.send('B', ballot(`m${i}`), { qos: 2, deadlineMs: 6000 }), `m${i}`)));
          clock.runUntil(20_000);
          // exactly one report per send
          expect(a.reports).toHaveLength(sendTimes.length);
          expect(new Set(a.reports.map((r) => r.mid)).size).toBe(sendTimes.length);
          const seen = pidsOf(b.inbox);
          // at most once each
          expect(new Set(seen).size).toBe(seen.length);
          // acknowledged ⇒ delivered exactly once
          for (const r of a.reports) if (r.delivered) expect(seen.filter((p) => p === mids.get(r.mid))).toHaveLength(1);
          if (a.reports.some((r) => r.delivered)) deliveredSome++;
          expect(a.bus.metrics().pending).toBe(0);
        },
      ),
      { numRuns: 250, seed: 20_240_611 },
    );
    expect(deliveredSome).toBeGreaterThan(100); // the property is not vacuous
  });

  it('QoS 2 over a 30 % lossy air: all delivered exactly once', () => {
    const { clock, a, b } = rig(seededLoss(11, 0.3));
    for (let i = 0; i < 60; i++) clock.setTimerAt(i * 100, () => a.bus.send('B', ballot(`q${i}`), { qos: 2, deadlineMs: 25_000 }));
    clock.runUntil(60_000);
    expect(a.reports.filter((r) => r.delivered)).toHaveLength(60);
    const seen = pidsOf(b.inbox).sort();
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => `q${i}`).sort());
    expect(b.bus.metrics().duplicatesSuppressed).toBeGreaterThan(0);
  });

  it('acks to one peer queued together are coalesced into one packet', () => {
    const clock = new VirtualClock(0);
    const air = new FakeAir(clock, 1);
    const a = addNode(air, 'A');
    // B's transmitter is busy with long bulk packets (~0.2 s each: acks go ahead of queued
    // bulk, but not of the packet on the air) while A's messages arrive, so acks wait and merge.
    const b = addNode(air, 'B', { governor: { maxPacketBytes: { bulk: 256 } } });
    for (let i = 0; i < 12; i++) b.bus.send('A', bulk(bulkDataMax(256)), { qos: 0 });
    for (let i = 0; i < 10; i++) a.bus.send('B', ballot(`c${i}`), { qos: 1 });
    clock.runUntil(20_000);
    expect(a.reports.filter((r) => r.delivered)).toHaveLength(10);
    const m = b.bus.metrics();
    expect(m.ackedMids).toBe(10);
    expect(m.acksSent).toBeLessThan(10);
    expect(a.bus.metrics().retries).toBe(0);
  });

  it('a full critical queue refuses the newcomer with a report (after send returns its mid); no silent drop', () => {
    const clock = new VirtualClock(0);
    const air = new FakeAir(clock, 1);
    const a = addNode(air, 'A', { governor: { queueDepth: { critical: 2 } } });
    addNode(air, 'B');
    const mids: number[] = [];
    const reportsAtReturn: number[] = [];
    for (let i = 0; i < 5; i++) {
      mids.push(a.bus.send('B', ballot(`f${i}`), { qos: 1 }));
      reportsAtReturn.push(a.reports.length);
    }
    expect(reportsAtReturn).toEqual([0, 0, 0, 0, 0]);
    clock.runUntil(20_000);
    expect(a.reports).toHaveLength(5);
    const byMid = new Map(a.reports.map((r) => [r.mid, r]));
    expect(mids.map((m) => (byMid.get(m)!.delivered ? 'ok' : (byMid.get(m) as { reason: string }).reason))).toEqual(['ok', 'ok', 'refused', 'refused', 'refused']);
    expect(a.governor.metrics().classes.critical.drops.refused).toBe(3);
    expect(a.bus.metrics().drops.queue_full).toBe(3);
  });

  it('pending QoS 1/2 sends are bounded: past maxPending a send is reported refused', () => {
    const clock = new VirtualClock(0);
    const air = new FakeAir(clock, 1, () => true);
    const a = addNode(air, 'A', { bus: { maxPending: 3 } });
    const mids = [1, 2, 3, 4, 5].map((i) => a.bus.send('B', report(`r${i}`), { qos: 1, deadlineMs: 2000 }));
    expect(a.reports).toHaveLength(0);
    clock.runUntil(10);
    expect(a.reports.map((r) => [r.mid, r.delivered ? 'ok' : r.reason])).toEqual([[mids[3], 'refused'], [mids[4], 'refused']]);
    clock.runUntil(5000);
    expect(a.reports).toHaveLength(5);
    expect(a.bus.metrics()).toMatchObject({ pending: 0, reportsRefused: 2, reportsExpired: 3, drops: { pending_full: 2 } });
  });

  it('close() reports every pending send refused, once; later sends throw', () => {
    const { clock, a } = rig(() => true);
    a.bus.send('B', ballot('1'), { qos: 1 });
    a.bus.send('B', ballot('2'), { qos: 2 });
    clock.runUntil(1000);
    a.bus.close();
    clock.runUntil(60_000);
    expect(a.reports.map((r) => (r.delivered ? 'ok' : r.reason))).toEqual(['refused', 'refused']);
    expect(() => a.bus.send('B', ballot('3'), { qos: 1 })).toThrow(BusError);
  });

  it('radio busy: the governor backs off, the QoS 1 send is retried and delivered', async () => {
    const clock = new VirtualClock(0);
    const air = new FakeAir(clock, 1);
    const b = addNode(air, 'B');
    let busyLeft = 2;
    const governor = new Governor(clock);
    const reports: DeliveryReport[] = [];
    const bus = new MessageBus({
      self: 'A', clock, codec: fakeCodec('A'), governor, inbox: () => {}, onReport: (r) => reports.push(r),
      radio: { transmit: (to, bytes): Promise<RadioResult> => Promise.resolve(busyLeft-- > 0 ? { ok: false, code: 'busy', msg: 'full' } : air.transmit('A', to, bytes)) },
    });
    air.attach('A', (from, data) => bus.receive(data, from));
    bus.send('B', ballot('busy'), { qos: 1 });
    expect(await clock.runUntilAsync(() => reports.length > 0, 20_000, 5)).toBe(true);
    expect(reports[0]).toMatchObject({ delivered: true, attempts: 3 });
    expect(governor.metrics().radioBusy).toBe(2);
    expect(bus.metrics().drops.radio_busy).toBe(2);
    expect(pidsOf(b.inbox)).toEqual(['busy']);
  });
});

describe('message bus: receiving', () => {
  it('drops are counted by reason: the codec’s, sender mismatch, misaddressed, loopback', () => {
    const { b, clock } = rig();
    const codecA = fakeCodec('A', { strictCounters: false });
    const good = codecA.encode(ballot('x'), { counter: 5, qos: 0, mid: 0, to: 'B' });
    b.bus.receive(new Uint8Array([1, 2, 3]));
    b.bus.receive(new Uint8Array(40).fill(0x5a)); // right tag, garbage body
    const forged = Uint8Array.from(good);
    forged[forged.length - 1] = 0;
    b.bus.receive(forged);
    b.bus.receive(good, 'A');
    b.bus.receive(good, 'A'); // same counter again
    b.bus.receive(codecA.encode(ballot('y'), { counter: 6, qos: 0, mid: 0, to: 'B' }), 'C');
    b.bus.receive(codecA.encode(ballot('z'), { counter: 7, qos: 0, mid: 0, to: 'C' }), 'A');
    b.bus.receive(fakeCodec('B').encode(ballot('me'), { counter: 1, qos: 0, mid: 0, to: 'B' }));
    clock.runUntil(100);
    expect(b.bus.metrics().drops).toEqual({ malformed: 2, mac: 1, replay: 1, from_mismatch: 1, misdirected: 1, loopback: 1 });
    expect(pidsOf(b.inbox)).toEqual(['x']);
  });

  it('counters reach the receiver strictly increasing although the governor reorders by class', () => {
    const { clock, a, b } = rig();
    for (let i = 0; i < 30; i++) {
      a.bus.send('B', bulk(bulkDataMax()), { qos: 0 });
      if (i % 3 === 0) a.bus.send('B', report(`r${i}`), { qos: 1 });
      if (i % 5 === 0) a.bus.send('B', ballot(`b${i}`), { qos: 2 });
    }
    clock.runUntil(30_000);
    expect(b.bus.metrics().drops).toEqual({});
    const cs = b.codec.counters.get('A')!;
    expect(cs.length).toBeGreaterThan(40);
    for (let i = 1; i < cs.length; i++) expect(cs[i]!).toBeGreaterThan(cs[i - 1]!);
    // and the air order was by class, not send order: all sent in one instant, the six ballots went first
    expect(b.inbox.slice(0, 6).map((d) => d.msg.t)).toEqual(Array(6).fill('ballot'));
    expect(b.inbox.filter((d) => d.msg.t === 'bulk')).toHaveLength(30); // the bulk queue (32 deep) held all 30
  });
});

describe('QoS 2 dedupe memory', () => {
  it('remembers within the horizon, then forgets and keeps old mids out with a floor', () => {
    const d = new DedupeMemory(1000, 100, 8);
    expect(d.firstTime('A', 10, 0)).toBe(true);
    expect(d.firstTime('A', 10, 999)).toBe(false);
    expect(d.firstTime('A', 12, 500)).toBe(true);
    expect(d.size()).toBe(2);
    expect(d.firstTime('A', 20, 1200)).toBe(true); // 10 expired (received at 0)
    expect(d.size()).toBe(2);
    expect(d.firstTime('A', 10, 1201)).toBe(false); // below the floor: a late copy
    expect(d.firstTime('A', 11, 1202)).toBe(true); // above the floor, never seen: may be a legitimate straggler
    expect(d.firstTime('A', 11, 1203)).toBe(false);
    expect(d.stats().belowFloor).toBe(1);
    expect(d.firstTime('B', 10, 1203)).toBe(true); // floors are per sender
  });

  it('is bounded per sender and in senders, never re-admitting what it forgot', () => {
    const d = new DedupeMemory(60_000, 10, 3);
    for (let m = 1; m <= 25; m++) expect(d.firstTime('A', m, m)).toBe(true);
    expect(d.size()).toBe(10);
    expect(d.stats().evictedEarly).toBe(15);
    for (let m = 1; m <= 25; m++) expect(d.firstTime('A', m, 100)).toBe(false);
    for (const s of ['B', 'C', 'D', 'E']) d.firstTime(s, 1, 200);
    expect(d.stats()).toMatchObject({ senders: 3, sendersEvicted: 2 });
    expect(d.size()).toBeLessThanOrEqual(30);
  });

  it('on the bus: memory stays bounded by the horizon under a long QoS 2 stream, and duplicates are still suppressed', () => {
    const clock = new VirtualClock(0);
    const air = new FakeAir(clock, 3, (from, _to, k) => from === 'B' && k % 4 === 0); // every 4th ack lost
    const busCfg = { maxDeadlineMs: 2000, defaultDeadlineMs: 2000, maxInFlightMs: 1000 };
    const a = addNode(air, 'A', { bus: busCfg });
    const b = addNode(air, 'B', { bus: busCfg });
    const horizon = b.bus.dedupeHorizonMs;
    expect(horizon).toBe(3000);
    const every = 100;
    let i = 0;
    const sizes: number[] = [];
    const tick = (): void => {
      if (clock.now() >= 120_000) return;
      a.bus.send('B', ballot(`s${i++}`), { qos: 2 });
      sizes.push(b.bus.metrics().dedupe.entries);
      clock.setTimer(every, tick);
    };
    tick();
    clock.runUntil(130_000);
    // One mid per 100 ms, each kept for the 3 s horizon (+ up to 2 for the 50 ms latency spread and retries).
    expect(Math.max(...sizes)).toBeLessThanOrEqual(horizon / every + 2);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(horizon / every - 2);
    const seen = pidsOf(b.inbox);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(i);
    expect(b.bus.metrics().duplicatesSuppressed).toBeGreaterThan(0);
    // Every send reported; a few expire unconfirmed (three acks in a row lost within the short 2 s deadline) though B has them.
    expect(a.reports).toHaveLength(i);
    expect(a.reports.filter((r) => r.delivered).length).toBeGreaterThan(0.95 * i);
  });
});

describe('mids across the 32-bit wrap', () => {
  it('serial order: 2^32 − 1 comes before 1; the floor and dedupe keep working across the wrap', () => {
    expect(midAtOrBefore(0xffff_fff0, 5)).toBe(true);
    expect(midAtOrBefore(5, 0xffff_fff0)).toBe(false);
    expect(midAtOrBefore(7, 7)).toBe(true);
    const d = new DedupeMemory(1000, 100, 4);
    expect(d.firstTime('A', 0xffff_fffe, 0)).toBe(true);
    expect(d.firstTime('A', 3, 10)).toBe(true);
    expect(d.firstTime('A', 4, 2000)).toBe(true); // both above expired: floor = 3 (after 0xfffffffe)
    expect(d.firstTime('A', 0xffff_fffe, 2001)).toBe(false);
    expect(d.firstTime('A', 2, 2002)).toBe(false);
    expect(d.firstTime('A', 5, 2003)).toBe(true);
  });

  it('the bus draws mids from the counter (low 32 bits, never 0) and delivers QoS 2 exactly once across the wrap', () => {
    const clock = new VirtualClock(0);
    const air = new FakeAir(clock, 1, (from, _to, k) => from === 'B' && k % 2 === 0);
    let c = 2 ** 32 - 3;
    const governor = new Governor(clock);
    const reports: DeliveryReport[] = [];
    const a = new MessageBus({ self: 'A', clock, codec: fakeCodec('A'), governor, inbox: () => {}, onReport: (r) => reports.push(r), nextCounter: () => c++, radio: { transmit: (to, bytes) => Promise.resolve(air.transmit('A', to, bytes)) } });
    air.attach('A', (from, data) => a.receive(data, from));
    const b = addNode(air, 'B');
    const mids = Array.from({ length: 6 }, (_, i) => a.send('B', ballot(`w${i}`), { qos: 2 }));
    expect(mids).toEqual([2 ** 32 - 3, 2 ** 32 - 2, 2 ** 32 - 1, 1, 2, 3]); // 2^32 → mid 0 is skipped
    clock.runUntil(30_000);
    expect(reports.filter((r) => r.delivered)).toHaveLength(6);
    expect(pidsOf(b.inbox).sort()).toEqual(['w0', 'w1', 'w2', 'w3', 'w4', 'w5']);
  });
});

describe('reservingCounter', () => {
  it('reserves in blocks before use and resumes past the reservation after a reboot', () => {
    const saved: number[] = [];
    const next = reservingCounter(0, (u) => saved.push(u), 4);
    expect([next(), next(), next(), next(), next()]).toEqual([1, 2, 3, 4, 5]);
    expect(saved).toEqual([4, 8]);
    const after = reservingCounter(saved[saved.length - 1]!, (u) => saved.push(u), 4);
    expect(after()).toBe(9);
    expect(saved).toEqual([4, 8, 12]);
  });
});
