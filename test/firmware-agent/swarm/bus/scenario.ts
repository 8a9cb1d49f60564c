/**
 * The swarm load used by the governor tests (and for the figures they print): a leader SAT-1
 * with four followers on the fake air (9600 bit/s, 8 bytes overhead, 50–100 ms latency).
 *
 * Leader's critical traffic — drawn up front from the seed, identical with and without bulk:
 *  - a heartbeat round every `heartbeatMs`: an empty `append` to each follower, QoS 0;
 *  - ballots at Poisson times (mean `ballotsPerS` per second), QoS 1, to a random follower.
 * Followers answer each heartbeat with `append_ack` and ack the ballots (their own radios).
 * The leader broadcasts `health` every `governor.healthIntervalMs()`.
 * With `bulk`, the leader keeps its bulk queue full of `bulkDataBytes`-byte chunks (QoS 0;
 * default: the largest the bus accepts, `bulkDataMax()`):
 * saturating load.
 *
 * Critical latency: `send` → the follower's Inbox (first delivery), ms. The governor's own
 * part (`send` → end of the packet's airtime on the leader's radio) is reported beside it.
 */
import { VirtualClock } from '../../../../hal/index.js';
import { createRng } from '../../../../emulator/world/rng.js';
import type { GovernorConfigInput, GovernorMetrics } from '../../../../firmware-agent/swarm/governor-config.js';
import type { SwarmMessage } from '../../../../firmware-agent/swarm/messages.js';
import { addNode, bulkDataMax, fakeCodec, FakeAir, hash, health, heartbeat, percentile, type Delivery } from './helpers.js';

export interface LoadOptions {
  seed: number;
  bulk: boolean;
  durationMs?: number;
  heartbeatMs?: number;
  ballotsPerS?: number;
  bulkDataBytes?: number;
  governor?: GovernorConfigInput;
}

export interface LoadResult {
  /** Critical messages sent and delivered. */
  sent: number;
  delivered: number;
  /** send → follower Inbox, ms. */
  p50: number;
  p99: number;
  max: number;
  /** send → end of airtime on the leader's radio, ms. */
  airP50: number;
  airP99: number;
  governor: GovernorMetrics;
  /** Largest airtime of the leader in any 1 s window, ms. */
  airMaxPerSecondMs: number;
  radioBusy: number;
  /** Largest backlog in the leader radio's queue when handed a packet, bytes. */
  maxBacklog: number;
  bulkPackets: number;
  healthIntervals: number[];
}

export const FOLLOWERS = ['SAT-2', 'SAT-3', 'SAT-4', 'SAT-5'];

/** Tag of a critical message: heartbeat `commit` or ballot `pid`. */
function tagOf(msg: SwarmMessage): string | undefined {
  if (msg.t === 'ballot') return msg.pid;
  if (msg.t === 'append') return `hb${msg.commit}`;
  return undefined;
}

export function runLoad(o: LoadOptions): LoadResult {
  const durationMs = o.durationMs ?? 60_000;
  const heartbeatMs = o.heartbeatMs ?? 1000;
  const ballotsPerS = o.ballotsPerS ?? 1;
  const clock = new VirtualClock(0);
  const air = new FakeAir(clock, o.seed);
  const deliveries: Delivery[] = [];
  const leader = addNode(air, 'SAT-1', { governor: o.governor });
  const followers = new Map(FOLLOWERS.map((id) => [id, addNode(air, id, { deliveries })]));

  // The critical schedule.
  const rng = createRng(hash(`sched:${o.seed}`));
  const gap = (): number => -Math.log(1 - rng.next()) * (1000 / ballotsPerS);
  const crit: { at: number; to: string; msg: SwarmMessage; qos: 0 | 1 }[] = [];
  let n = 0;
  for (let t = 200; t < durationMs; t += heartbeatMs) {
    for (const to of FOLLOWERS) crit.push({ at: t, to, msg: { ...heartbeat(), commit: n++ }, qos: 0 });
  }
  for (let t = gap(); t < durationMs; t += gap()) {
    crit.push({ at: t, to: FOLLOWERS[Math.floor(rng.next() * FOLLOWERS.length)]!, msg: { t: 'ballot', term: 3, pid: `b${n++}`, approve: true, reason: '' }, qos: 1 });
  }
  const sentAt = new Map<string, number>();
  for (const c of crit) {
    clock.setTimerAt(c.at, () => {
      sentAt.set(tagOf(c.msg)!, clock.now());
      leader.bus.send(c.to, c.msg, { qos: c.qos, deadlineMs: 10_000 });
    });
  }

  // Where each critical message's first airtime ended on the leader's radio.
  const airEnd = new Map<string, number>();
  const peek = fakeCodec('observer', { strictCounters: false });
  air.tap = (p, data) => {
    if (p.from !== 'SAT-1') return;
    const r = peek.decode(data);
    if (!r.ok || r.msg.t === 'ack') return;
    const tag = tagOf(r.msg);
    if (tag && !airEnd.has(tag)) airEnd.set(tag, p.end);
  };

  // Followers: record first deliveries, answer heartbeats.
  const firstDelivery = new Map<string, number>();
  const push = deliveries.push.bind(deliveries);
  deliveries.push = (...items: Delivery[]): number => {
    for (const d of items) {
      const tag = tagOf(d.msg);
      if (tag && !firstDelivery.has(tag)) firstDelivery.set(tag, d.at);
      if (d.msg.t === 'append') followers.get(d.to)!.bus.send(d.from, { t: 'append_ack', term: d.msg.term, success: true, match: d.msg.commit }, { qos: 0 });
    }
    return push(...items);
  };

  // Health broadcasts at the governor's interval.
  const healthIntervals: number[] = [];
  const healthTick = (): void => {
    leader.bus.send('*', health(), { qos: 0 });
    const iv = leader.governor.healthIntervalMs();
    healthIntervals.push(iv);
    clock.setTimer(iv, healthTick);
  };
  clock.setTimerAt(100, healthTick);

  // Saturating bulk: the bulk queue is kept full.
  let bulkPackets = 0;
  if (o.bulk) {
    const data = new Uint8Array(o.bulkDataBytes ?? bulkDataMax()).fill(0xb1);
    const top = (): void => {
      if (clock.now() >= durationMs) return;
      while (leader.governor.queueDepth('bulk') < leader.governor.cfg.queueDepth.bulk) {
        leader.bus.send(FOLLOWERS[bulkPackets++ % FOLLOWERS.length]!, { t: 'bulk', data }, { qos: 0 });
      }
      clock.setTimer(20, top);
    };
    clock.setTimerAt(0, top);
  }

  clock.runUntil(durationMs);
  const governor = leader.governor.metrics();
  clock.runUntil(durationMs + 15_000);

  const lat: number[] = [];
  const airLat: number[] = [];
  for (const [tag, t0] of sentAt) {
    const t1 = firstDelivery.get(tag);
    if (t1 !== undefined) lat.push(t1 - t0);
    const a = airEnd.get(tag);
    if (a !== undefined) airLat.push(a - t0);
  }
  return {
    sent: sentAt.size,
    delivered: lat.length,
    p50: percentile(lat, 0.5),
    p99: percentile(lat, 0.99),
    max: Math.max(...lat),
    airP50: percentile(airLat, 0.5),
    airP99: percentile(airLat, 0.99),
    governor,
    airMaxPerSecondMs: air.maxAirtimeInWindow('SAT-1', 1000),
    radioBusy: air.busy,
    maxBacklog: Math.max(0, ...air.log.filter((p) => p.from === 'SAT-1').map((p) => p.backlog)),
    bulkPackets,
    healthIntervals,
  };
}
