import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../hal/index.js';
import { Governor } from '../../../../firmware-agent/swarm/governor.js';
import { DROP_POLICY, resolveGovernorConfig, type GovernorConfigInput, type GovernorJob } from '../../../../firmware-agent/swarm/governor-config.js';
import { PRIORITIES, type Priority } from '../../../../firmware-agent/swarm/messages.js';
import { runLoad } from './scenario.js';

interface Tx {
  c: Priority;
  handedAt: number;
  start: number;
  end: number;
  bytes: number;
}

/** A governor driving synthetic packets; every class can be kept saturated. */
function synth(cfg: GovernorConfigInput = {}) {
  const clock = new VirtualClock(0);
  const g = new Governor(clock, cfg);
  const log: Tx[] = [];
  const dropped: { c: Priority; id: number; why: string }[] = [];
  let id = 0;
  const job = (c: Priority, bytes: number): GovernorJob => {
    const me = id++;
    return {
      priority: c,
      run: (start) => {
        log.push({ c, handedAt: clock.now(), start, end: start + g.airtimeMs(bytes), bytes });
        return bytes;
      },
      dropped: (why) => dropped.push({ c, id: me, why }),
    };
  };
  /** Keep `c`'s queue full of `bytes`-byte packets from `from` to `until`. */
  const saturate = (c: Priority, bytes: number, from: number, until: number): void => {
    const top = (): void => {
      if (clock.now() >= until) return;
      while (g.queueDepth(c) < g.cfg.queueDepth[c]) g.enqueue(job(c, bytes));
      clock.setTimer(10, top);
    };
    clock.setTimerAt(from, top);
  };
  const airtimeIn = (t0: number, t1: number, c?: Priority): number =>
    log.reduce((s, p) => s + (c === undefined || p.c === c ? Math.max(0, Math.min(p.end, t1) - Math.max(p.start, t0)) : 0), 0);
  return { clock, g, log, job, saturate, dropped, airtimeIn };
}

describe('governor: the rate', () => {
  it('under saturating traffic in every class, airtime never exceeds the rate in any 1 s, 2 s or 5 s window, and the radio never queues', () => {
    const { clock, g, log, saturate, airtimeIn } = synth();
    saturate('bulk', 96, 0, 30_000);
    saturate('health', 60, 0, 30_000);
    saturate('report', 120, 5_000, 20_000);
    saturate('critical', 70, 10_000, 15_000);
    clock.runUntil(31_000);
    expect(log.length).toBeGreaterThan(300);
    for (let i = 1; i < log.length; i++) {
      // handed over only when the previous packet's airtime is over: nothing waits in the radio
      expect(log[i]!.handedAt).toBeGreaterThanOrEqual(log[i - 1]!.end - 1e-9);
      expect(log[i]!.start).toBeGreaterThanOrEqual(log[i - 1]!.end - 1e-9);
    }
    for (const w of [1000, 2000, 5000]) {
      let worst = 0;
      for (const p of log) worst = Math.max(worst, airtimeIn(p.start, p.start + w));
      expect(worst).toBeLessThanOrEqual(w + 1e-6);
      expect(worst).toBeGreaterThan(0.98 * w); // and the link is used (work conserving)
    }
    expect(g.metrics().utilisationTotal).toBeGreaterThan(0.95);
  });

  it('with maxUtilisation 0.6 the air carries at most 60 % in any 1 s window (+ one packet at the edge)', () => {
    const { clock, log, saturate, airtimeIn, g } = synth({ maxUtilisation: 0.6, floors: { critical: 0.3, report: 0.1, health: 0.1, bulk: 0.05 } });
    saturate('bulk', 96, 0, 20_000);
    clock.runUntil(20_000);
    const maxPacket = g.airtimeMs(96);
    let worst = 0;
    for (const p of log) worst = Math.max(worst, airtimeIn(p.start, p.start + 1000));
    expect(worst).toBeLessThanOrEqual(600 + maxPacket * 0.4 + 1e-6);
    expect(airtimeIn(0, 20_000) / 20_000).toBeCloseTo(0.6, 2);
  });

  it('on the bus scenario (bulk saturating, 4 followers): 1 s airtime ≤ 1000 ms, no radio busy, no radio backlog', () => {
    const r = runLoad({ seed: 1, bulk: true });
    expect(r.airMaxPerSecondMs).toBeLessThanOrEqual(1000 + 1e-6);
    expect(r.airMaxPerSecondMs).toBeGreaterThan(990);
    expect(r.radioBusy).toBe(0);
    expect(r.maxBacklog).toBe(0);
  });

  it('airtime is counted like the radio: (bytes + 8) · 8 / 9600 s', () => {
    const g = new Governor(new VirtualClock(0));
    expect(g.airtimeMs(92)).toBeCloseTo((100 * 8 * 1000) / 9600, 9);
    expect(new Governor(new VirtualClock(0), { bitRate: 19200, overheadBytes: 4 }).airtimeMs(96)).toBeCloseTo((100 * 8 * 1000) / 19200, 9);
  });
});

describe('governor: priorities and floors', () => {
  it('critical latency p99 under saturating bulk stays within 1.2× the p99 without bulk (same seed)', () => {
    const rows: string[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      const base = runLoad({ seed, bulk: false });
      const load = runLoad({ seed, bulk: true });
      expect(base.delivered).toBe(base.sent);
      expect(load.delivered).toBe(load.sent);
      expect(load.governor.classes.bulk.utilisationTotal).toBeGreaterThan(0.5); // the bulk load is real
      const ratio = load.p99 / base.p99;
      rows.push(
        `seed ${seed}: critical p99 ${base.p99.toFixed(0)} → ${load.p99.toFixed(0)} ms (×${ratio.toFixed(3)}), ` +
          `p50 ${base.p50.toFixed(0)} → ${load.p50.toFixed(0)} ms; governor part p99 ${base.airP99.toFixed(0)} → ${load.airP99.toFixed(0)} ms ` +
          `(×${(load.airP99 / base.airP99).toFixed(3)}); utilisation ${base.governor.utilisationTotal.toFixed(3)} → ${load.governor.utilisationTotal.toFixed(3)} ` +
          `(critical ${load.governor.classes.critical.utilisationTotal.toFixed(3)}, health ${load.governor.classes.health.utilisationTotal.toFixed(3)}, bulk ${load.governor.classes.bulk.utilisationTotal.toFixed(3)})`,
      );
      expect(ratio).toBeLessThanOrEqual(1.2);
    }
    console.log(`[swarm governor figures]\n${rows.join('\n')}`);
  });

  it('with every class saturated each gets at least its floor; the spare goes to the highest class', () => {
    const { clock, g, saturate, airtimeIn } = synth();
    for (const c of PRIORITIES) saturate(c, 80, 0, 61_000);
    clock.runUntil(61_000);
    const floors = g.cfg.floors;
    const share = Object.fromEntries(PRIORITIES.map((c) => [c, airtimeIn(1000, 61_000, c) / 60_000])) as Record<Priority, number>;
    for (const c of PRIORITIES) expect(share[c], c).toBeGreaterThanOrEqual(floors[c] - 0.002);
    expect(share.critical).toBeGreaterThan(floors.critical + 0.1); // borrowed the unassigned 15 %
    expect(share.critical + share.report + share.health + share.bulk).toBeGreaterThan(0.99);
    console.log(`[swarm governor figures] all saturated, shares: ${PRIORITIES.map((c) => `${c} ${(share[c] * 100).toFixed(1)} %`).join(', ')}`);
    // and within every 10 s window too (no long starvation), to within one packet
    const packet = g.airtimeMs(80) / 10_000;
    for (let t = 1000; t + 10_000 <= 61_000; t += 500) {
      for (const c of PRIORITIES) expect(airtimeIn(t, t + 10_000, c) / 10_000, `${c} @${t}`).toBeGreaterThanOrEqual(floors[c] - packet);
    }
  });

  it('a low class saturating alone takes the whole link; a higher class arriving gets served first', () => {
    const { clock, g, log, saturate, job } = synth();
    saturate('bulk', 96, 0, 10_000);
    clock.runUntil(3000);
    expect(g.metrics().classes.bulk.utilisation).toBeGreaterThan(0.99);
    clock.setTimerAt(3000.5, () => g.enqueue(job('critical', 50)));
    clock.runUntil(4000);
    const crit = log.find((p) => p.c === 'critical')!;
    // it waited only for the bulk packet already on the air
    expect(crit.start - 3000.5).toBeLessThanOrEqual(g.airtimeMs(96));
  });

  it('sends issued in one instant go by class', () => {
    const { clock, g, log, job } = synth();
    g.enqueue(job('bulk', 50));
    g.enqueue(job('health', 50));
    g.enqueue(job('report', 50));
    g.enqueue(job('critical', 50));
    clock.runUntil(1000);
    expect(log.map((p) => p.c)).toEqual(['critical', 'report', 'health', 'bulk']);
  });
});

describe('governor: queues and drops', () => {
  it('queue depths are bounded; bulk and health drop their oldest, critical and report refuse the newcomer; counted by class', () => {
    const { clock, g, job, dropped } = synth();
    const accepted: Record<Priority, number> = { critical: 0, report: 0, health: 0, bulk: 0 };
    for (const c of PRIORITIES) for (let i = 0; i < 200; i++) if (g.enqueue(job(c, 50))) accepted[c]++;
    const m = g.metrics();
    for (const c of PRIORITIES) {
      expect(m.classes[c].queued).toBe(g.cfg.queueDepth[c]);
      expect(m.classes[c].maxQueued).toBe(g.cfg.queueDepth[c]);
    }
    expect(DROP_POLICY).toEqual({ critical: 'refuse_new', report: 'refuse_new', health: 'drop_oldest', bulk: 'drop_oldest' });
    expect(accepted).toEqual({ critical: 128, report: 64, health: 200, bulk: 200 });
    expect(m.classes.critical.drops).toEqual({ evicted: 0, refused: 72 });
    expect(m.classes.report.drops).toEqual({ evicted: 0, refused: 136 });
    expect(m.classes.health.drops).toEqual({ evicted: 192, refused: 0 });
    expect(m.classes.bulk.drops).toEqual({ evicted: 168, refused: 0 });
    // the oldest went first, each told why
    const bulkDropped = dropped.filter((d) => d.c === 'bulk');
    expect(bulkDropped.every((d) => d.why === 'evicted')).toBe(true);
    expect(bulkDropped.map((d) => d.id)).toEqual([...bulkDropped.map((d) => d.id)].sort((a, b) => a - b));
    clock.runUntil(60_000);
    expect(g.metrics().classes.bulk.queued).toBe(0);
  });

  it('queue depths stay bounded under the saturating bus scenario', () => {
    const r = runLoad({ seed: 2, bulk: true });
    for (const c of PRIORITIES) expect(r.governor.classes[c].maxQueued).toBeLessThanOrEqual(resolveGovernorConfig().queueDepth[c]);
    expect(r.governor.classes.critical.drops).toEqual({ evicted: 0, refused: 0 });
  });

  it('close() hands every queued job back (closed) and refuses new ones', () => {
    const { g, job, dropped } = synth();
    g.enqueue(job('bulk', 10));
    g.enqueue(job('critical', 10));
    g.close();
    expect(dropped.map((d) => d.why)).toEqual(['closed', 'closed']);
    expect(g.enqueue(job('critical', 10))).toBe(false);
  });

  it('a job that throws is counted and skipped; the next one goes', () => {
    const { clock, g, log, job } = synth();
    g.enqueue({ priority: 'critical', run: () => { throw new Error('boom'); } });
    g.enqueue(job('critical', 10));
    clock.runUntil(100);
    expect(log).toHaveLength(1);
    expect(g.metrics().jobErrors).toBe(1);
  });

  it('after a radio busy it pauses busyBackoffMs', () => {
    const { clock, g, log, job } = synth({ busyBackoffMs: 300 });
    clock.runUntil(100);
    g.radioBusy();
    g.enqueue(job('critical', 10));
    clock.runUntil(1000);
    expect(log[0]!.handedAt).toBe(400);
    expect(g.metrics().radioBusy).toBe(1);
  });
});

describe('governor: health interval and utilisation', () => {
  /** The node's health loop: broadcast, then ask for the next interval. */
  function healthLoop(clock: VirtualClock, g: Governor, job: (c: Priority, b: number) => GovernorJob, until: number): { at: number; iv: number }[] {
    const out: { at: number; iv: number }[] = [];
    const tick = (): void => {
      if (clock.now() >= until) return;
      g.enqueue(job('health', 60));
      const iv = g.healthIntervalMs();
      out.push({ at: clock.now(), iv });
      clock.setTimer(iv, tick);
    };
    clock.setTimerAt(0, tick);
    return out;
  }

  it('stretches (doubling to the max) while bulk saturates the link, and recovers to the base after', () => {
    const { clock, g, job, saturate } = synth();
    saturate('bulk', 96, 10_000, 40_000);
    const ivs = healthLoop(clock, g, job, 80_000);
    clock.runUntil(80_000);
    const at = (t0: number, t1: number): number[] => ivs.filter((x) => x.at >= t0 && x.at < t1).map((x) => x.iv);
    expect(new Set(at(0, 10_000))).toEqual(new Set([1000])); // idle link: base
    const during = at(10_000, 40_000);
    // once the 2 s utilisation window sees > 80 %: 2000, 4000, 8000, then held at the max
    const firstStretch = during.findIndex((v) => v > 1000);
    expect(firstStretch).toBeLessThanOrEqual(3);
    expect(during.slice(firstStretch, firstStretch + 3)).toEqual([2000, 4000, 8000]);
    expect(during.slice(firstStretch + 2).every((v) => v === 8000)).toBe(true);
    const after = at(42_000, 80_000);
    expect(after[after.length - 1]).toBe(1000);
    // monotone recovery by halving
    const rec = after.filter((v, i) => i === 0 || v !== after[i - 1]);
    for (let i = 1; i < rec.length; i++) expect(rec[i]).toBe(rec[i - 1]! / 2);
  });

  it('stretches when health packets wait or are dropped (health floor too small for the load)', () => {
    const { clock, g, job, saturate } = synth({ floors: { health: 0.01 }, queueDepth: { health: 2 }, health: { congestedUtilisation: 1 } });
    saturate('critical', 90, 0, 20_000); // critical borrows everything beyond the health floor
    for (let i = 0; i < 6; i++) g.enqueue(job('health', 60));
    expect(g.metrics().classes.health.drops.evicted).toBe(4);
    clock.runUntil(500);
    expect(g.congested()).toBe(true);
    expect(g.healthIntervalMs()).toBe(2000);
    clock.runUntil(2500);
    expect(g.healthIntervalMs()).toBe(4000);
  });

  it('utilisation is reported per class and in total (window and since start)', () => {
    const { clock, g, saturate } = synth({ windowMs: 1000 });
    saturate('report', 100, 0, 5000);
    saturate('bulk', 100, 0, 5000);
    clock.runUntil(5000);
    const m = g.metrics();
    expect(m.utilisation).toBeCloseTo(1, 2);
    expect(m.classes.report.utilisation + m.classes.bulk.utilisation).toBeCloseTo(m.utilisation, 6);
    expect(m.classes.report.utilisation).toBeGreaterThan(m.classes.bulk.utilisation);
    clock.runUntil(40_000); // the queues (64 report + 32 bulk) drain, then the link idles
    const later = g.metrics();
    expect(later.utilisation).toBe(0);
    const sent = later.classes.report.sent + later.classes.bulk.sent;
    expect(sent).toBeGreaterThan(100);
    expect(later.airtimeMs).toBeCloseTo(sent * g.airtimeMs(100), 6);
    expect(later.utilisationTotal).toBeCloseTo(later.airtimeMs / 40_000, 9);
    expect(later.classes.report.utilisationTotal + later.classes.bulk.utilisationTotal).toBeCloseTo(later.utilisationTotal, 9);
  });

  it('refuses inconsistent configuration', () => {
    expect(() => resolveGovernorConfig({ floors: { critical: 0.9 } })).toThrow(/floors sum/);
    expect(() => resolveGovernorConfig({ bitRate: 0 })).toThrow(RangeError);
    expect(() => resolveGovernorConfig({ maxUtilisation: 0.5 })).toThrow(/floors sum/);
    expect(() => resolveGovernorConfig({ queueDepth: { bulk: 0 } })).toThrow(RangeError);
  });
});

describe('governor: coalescing (replaceKey)', () => {
  it('a queued job is replaced in place by a newer one with the same key; others are untouched', () => {
    const clock = new VirtualClock(0);
    const g = new Governor(clock);
    const ran: string[] = [];
    const dropped: string[] = [];
    const job = (name: string, replaceKey?: string): GovernorJob => ({
      priority: 'critical',
      run: () => {
        ran.push(name);
        return 100;
      },
      dropped: (why) => dropped.push(`${name}:${why}`),
      ...(replaceKey !== undefined ? { replaceKey } : {}),
    });
    // The first goes on the air at once; the rest queue behind it.
    g.enqueue(job('busy'));
    clock.advance(0);
    expect(g.enqueue(job('hb1', 'hb'))).toBe(true);
    g.enqueue(job('data'));
    g.enqueue(job('other', 'x'));
    expect(g.enqueue(job('hb2', 'hb'))).toBe(true);
    expect(g.enqueue(job('hb3', 'hb'))).toBe(true);
    expect(g.queueDepth('critical')).toBe(3);
    clock.advance(2000);
    expect(ran).toEqual(['busy', 'hb3', 'data', 'other']);
    expect(dropped).toEqual(['hb1:replaced', 'hb2:replaced']);
    const m = g.metrics().classes.critical;
    expect(m.replaced).toBe(2);
    expect(m.drops).toEqual({ evicted: 0, refused: 0 });
  });
});
