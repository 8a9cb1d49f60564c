import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveScenario } from '../../../emulator/scenario/load.js';
import type { Decision } from '../../../firmware-agent/decide/types.js';
import { commandFigures, LATENCY_EDGES_US, latencyBin, ReportCollector } from '../../../tools/report/collect.js';
import { REPORT_LIMITS } from '../../../tools/report/data.js';
import { InProcessRun } from '../../../tools/runner/in-process.js';
import { ActionTally } from '../../../tools/view/rows.js';
import { summaryFixture } from './fixture.js';

interface FakeWorld {
  lit: boolean;
  power: { soc: number };
  thermal: { obcC: number; batteryC: number; payloadC: number; radioC: number };
}

/** Just what the collector reads of an InProcessRun: clock, worlds, agents (mode, term, metrics), leader. */
function fakeRun(ids: string[]) {
  const worlds = new Map<string, FakeWorld>(ids.map((id) => [id, { lit: true, power: { soc: 0.5 }, thermal: { obcC: 20, batteryC: 10, payloadC: 30, radioC: 15 } }]));
  const agent = (term: number) => ({ currentMode: 'nominal', swarm: { election: { term } }, metrics: { gauge: (_n: string, c: string) => ({ value: c === 'total' ? 200 : 10 }) } });
  const agents = new Map<string, ReturnType<typeof agent>>(ids.map((id) => [id, agent(1)]));
  const s = { now: 0, leader: ids[0] as string | undefined };
  const run = { clock: { now: () => s.now }, constellation: { byId: (id: string) => ({ world: worlds.get(id) }) }, agents, leader: () => s.leader };
  return { run: run as unknown as InProcessRun, worlds, agents, agent, s };
}

const decision = (action: string): Decision => ({ id: action, type: 'corrective', action, params: {}, confidence: 1, reasoning: '', rule: 'r' });

describe('ReportCollector (fake run)', () => {
  it('samples at most maxPointsPerSeries per series, fewer per satellite when there are many', () => {
    expect(new ReportCollector({ scenario: 's', seed: 1, sats: ['A', 'B', 'C', 'D', 'E'], durationS: 5700 }).sampleEveryS).toBe(10);
    const many = Array.from({ length: 100 }, (_, i) => `S${i}`);
    expect(new ReportCollector({ scenario: 's', seed: 1, sats: many, durationS: 5700 }).sampleEveryS).toBe(95); // 60 points each
    expect(new ReportCollector({ scenario: 's', seed: 1, sats: ['A'], durationS: 100 }).sampleEveryS).toBe(1);
  });

  it('records eclipse intervals, power-offs as mode off, leader and term changes, and samples when due', () => {
    const f = fakeRun(['SAT-1', 'SAT-2']);
    const c = new ReportCollector({ scenario: 's', seed: 1, sats: ['SAT-1', 'SAT-2'], durationS: 100 });
    c.attach(f.run);
    for (let t = 0; t <= 100; t += 5) {
      f.s.now = t * 1000;
      f.worlds.get('SAT-2')!.lit = !(t >= 30 && t < 60);
      if (t === 40) f.agents.delete('SAT-1');
      if (t === 50) f.agents.set('SAT-1', f.agent(2));
      if (t === 40) f.s.leader = undefined;
      if (t === 50) f.s.leader = 'SAT-2';
      if (t === 70) f.agents.set('SAT-2', f.agent(3));
      c.step();
    }
    const d = c.finish(summaryFixture());
    expect(d.eclipses).toEqual({ 'SAT-1': [], 'SAT-2': [[30, 55]] });
    expect(d.modes['SAT-1']).toEqual([[0, 'nominal'], [40, 'off'], [50, 'nominal']]);
    expect(d.leaders).toEqual([[0, 'SAT-1', 1], [40, null, null], [50, 'SAT-2', 1], [70, 'SAT-2', 3]]);
    expect(d.samples.t).toEqual(Array.from({ length: 21 }, (_, i) => i * 5)); // every step: sampleEveryS is 1 here
    expect(d.samples.sats['SAT-1']!.payload[0]).toBe(30);
    expect(d.samples.isl.total![0]).toBe(200);
    expect(d.samples.isl.critical![0]).toBe(10);
  });

  it('keeps decisions and actions within their limits and counts what it left out', () => {
    const c = new ReportCollector({ scenario: 's', seed: 1, sats: ['A'], durationS: 10 });
    for (let i = 0; i < REPORT_LIMITS.decisions + 5; i++) c.onAgentEvent('A', 'decision', decision(`d${i}`), { ok: true });
    c.onAgentEvent('A', 'decision', { ...decision('noop'), action: null }, null); // noop: not a point on the timeline
    const d = c.finish(summaryFixture());
    expect(d.decisions).toHaveLength(REPORT_LIMITS.decisions);
    expect(d.omitted.decisions).toBe(5);
  });

  it('bins cycle times on a log scale, ten bins a decade', () => {
    expect(LATENCY_EDGES_US[0]).toBe(1);
    expect(LATENCY_EDGES_US[10]).toBe(10);
    expect(LATENCY_EDGES_US[60]).toBe(1_000_000);
    expect(latencyBin(0)).toBe(0);
    expect(latencyBin(10)).toBe(10);
    expect(latencyBin(22)).toBe(13); // 19.95 ≤ 22 < 25.1
    expect(latencyBin(Number.NaN)).toBe(0);
    expect(latencyBin(5e9)).toBe(59); // the last bin takes the rest
  });
});

describe('ReportCollector and ActionTally on a real in-process run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsw-collect-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('collects decisions, action spans, mode changes, cycle times, and a constellation action with its compliance', async () => {
    const scenario = { ...resolveScenario('nominal'), constellation: { ...resolveScenario('nominal').constellation, count: 3 } };
    let collector: ReportCollector | undefined;
    const tally = new ActionTally();
    const run = new InProcessRun({
      scenario,
      workDir: dir,
      onAgentEvent: (sat, ev, ...args) => {
        if (ev === 'action') tally.onAction(sat, args[0] as Parameters<ActionTally['onAction']>[1]);
        collector!.onAgentEvent(sat, ev, ...args);
      },
    });
    collector = new ReportCollector({ scenario: 'nominal', seed: 1, sats: run.constellation.ids(), durationS: 60 });
    collector.attach(run);
    try {
      await run.start();
      collector.step(); // as fsw run does: the boot mode at t = 0
      for (let t = 5; t <= 20; t += 5) {
        await run.runTo(t);
        collector.step();
      }
      const leader = run.leader();
      expect(leader).toBeDefined();
      const proposed = run.agent(leader!).swarm!.propose('payload_off', {}, run.constellation.ids());
      expect(proposed.ok).toBe(true);
      for (let t = 25; t <= 40; t += 5) {
        await run.runTo(t);
        collector.step();
      }
      const figures = commandFigures(run);
      const d = collector.finish(summaryFixture(), figures);
      expect(figures).toHaveLength(1);
      expect(figures[0]).toMatchObject({ action: 'payload_off', targets: 3, completed: 3, ratio: 1 });
      expect(d.commands).toEqual(figures);
      expect(d.decisions.length).toBeGreaterThan(0);
      const constellation = d.actions.filter((a) => a.source === 'constellation');
      expect(constellation.map((a) => a.sat).sort()).toEqual(['SAT-1', 'SAT-2', 'SAT-3']);
      expect(constellation.every((a) => a.state === 'done' && a.end! >= a.start)).toBe(true);
      for (const id of run.constellation.ids()) expect(tally.counts(id)).toMatchObject({ constAssigned: 1, constDone: 1 });
      expect(d.modes['SAT-1']!.map(([, m]) => m)).toEqual(['boot', 'nominal']);
      // 10 cycles a second × 3 satellites × 40 s, give or take the first ones.
      const cycles = d.latency.counts.reduce((a, b) => a + b, 0);
      expect(cycles).toBeGreaterThan(1000);
      expect(cycles).toBeLessThanOrEqual(1200);
    } finally {
      await run.stop();
    }
  }, 60_000);
});
