/**
 * The bus and governor over the emulator's own ISL radio network (emulator/radio/network.ts):
 * the real airtime model, 2048-byte queue and seeded loss, not the test's fake air.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../hal/index.js';
import { RadioNetwork } from '../../../../emulator/radio/network.js';
import { R_EARTH } from '../../../../emulator/world/orbit.js';
import { createRng } from '../../../../emulator/world/rng.js';
import { DEG, type Vec3 } from '../../../../emulator/world/vec.js';
import { MessageBus } from '../../../../firmware-agent/swarm/bus.js';
import { Governor } from '../../../../firmware-agent/swarm/governor.js';
import type { SwarmMessage } from '../../../../firmware-agent/swarm/messages.js';
import type { DeliveryReport } from '../../../../firmware-agent/swarm/types.js';
import { ballot, bulk, bulkDataMax, fakeCodec } from './helpers.js';

const at = (deg: number): Vec3 => [(R_EARTH + 500e3) * Math.cos(deg * DEG), (R_EARTH + 500e3) * Math.sin(deg * DEG), 0];

describe('bus + governor over the emulator radio network', () => {
  it('QoS 2 at 30 % loss under saturating bulk: all delivered exactly once, the radio never refuses, airtime within the rate', () => {
    const clock = new VirtualClock(0);
    const net = new RadioNetwork(clock, createRng(42), { lossProbability: 0.3 });
    const nodes = new Map<string, { bus: MessageBus; governor: Governor; inbox: SwarmMessage[]; reports: DeliveryReport[] }>();
    for (const [id, deg] of [['SAT-1', 0], ['SAT-2', 3], ['SAT-3', 6]] as const) {
      const governor = new Governor(clock);
      const inbox: SwarmMessage[] = [];
      const reports: DeliveryReport[] = [];
      const bus = new MessageBus({
        self: id, clock, codec: fakeCodec(id), governor, inbox: (_from, msg) => inbox.push(msg), onReport: (r) => reports.push(r),
        radio: { transmit: (to, bytes) => Promise.resolve(net.transmit(id, to, bytes)) },
      });
      net.add({ id, kind: 'sat', position: () => at(deg), deliver: (from, data) => bus.receive(data, from) });
      nodes.set(id, { bus, governor, inbox, reports });
    }
    const a = nodes.get('SAT-1')!;
    const top = (): void => {
      if (clock.now() > 60_000) return;
      while (a.governor.queueDepth('bulk') < 32) a.bus.send(clock.now() % 2 ? 'SAT-2' : 'SAT-3', bulk(bulkDataMax()), { qos: 0 });
      clock.setTimer(25, top);
    };
    top();
    for (let i = 0; i < 50; i++) clock.setTimerAt(500 + i * 1000, () => a.bus.send(i % 2 ? 'SAT-2' : 'SAT-3', ballot(`e${i}`), { qos: 2, deadlineMs: 30_000 }));
    clock.runUntil(100_000);
    expect(a.reports).toHaveLength(50);
    expect(a.reports.every((r) => r.delivered)).toBe(true);
    const seen = [...nodes.get('SAT-2')!.inbox, ...nodes.get('SAT-3')!.inbox].flatMap((m) => (m.t === 'ballot' ? [m.pid] : []));
    expect(seen.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `e${i}`).sort());
    const st = net.stats('SAT-1')!;
    expect(st.busy).toBe(0);
    expect(st.airtimeMs).toBeLessThanOrEqual(clock.now());
    expect(st.airtimeMs / 60_000).toBeGreaterThan(0.95); // bulk kept the link busy for the first minute
    expect(a.governor.metrics().classes.critical.drops).toEqual({ evicted: 0, refused: 0 });
  });
});
