import { LATENCY_EDGES_US } from '../../../tools/report/collect.js';
import { REPORT_DATA_VERSION, type ReportData } from '../../../tools/report/data.js';
import type { RunSummary } from '../../../tools/view/summary.js';

export function summaryFixture(over: Partial<RunSummary> = {}): RunSummary {
  return {
    scenario: 'nominal',
    seed: 1,
    sats: 3,
    virtualS: 1800,
    durationS: 1800,
    wallS: 4.2,
    speed: 'max',
    decisions: 9,
    actionsDone: 8,
    actionsFailed: 1,
    safeEntries: 1,
    restarts: 1,
    leader: 'SAT-2',
    leaderChanges: 1,
    divergences: 0,
    compliance: { commands: 2, targets: 6, completed: 5 },
    slips: 0,
    budgetMs: 20,
    cycleP50Us: 22,
    cycleP99Us: 73,
    drops: { escape: 0, crc: 1, oversize: 0, cbor: 0, schema: 0 },
    governorDrops: { critical: 0, report: 0, health: 2, bulk: 0 },
    modes: { 'SAT-1': 'nominal', 'SAT-2': 'nominal', 'SAT-3': 'safe' },
    ...over,
  };
}

/**
 * A made-up half-hour run of three satellites with one of everything the report draws:
 * eclipses, a power-off, a leader change, a failed action, a refused decision, two
 * constellation actions (one fully, one partly complied with).
 */
export function reportFixture(): ReportData {
  const t = Array.from({ length: 181 }, (_, i) => i * 10);
  const wave = (base: number, amp: number, phase: number, digits: number): number[] => t.map((x) => Number((base + amp * Math.sin(x / 300 + phase)).toFixed(digits)));
  const sats = ['SAT-1', 'SAT-2', 'SAT-3'];
  const series = Object.fromEntries(
    sats.map((id, i) => [id, { soc: wave(0.8, 0.1, i, 3), obc: wave(30, 5, i, 1), battery: wave(20, 3, i, 1), payload: wave(35, 10, i, 1), radio: wave(25, 4, i, 1) }]),
  );
  const counts = LATENCY_EDGES_US.slice(1).map((_, k) => (k >= 12 && k <= 22 ? Math.round(5000 * Math.exp(-((k - 14) ** 2) / 4)) : 0));
  return {
    version: REPORT_DATA_VERSION,
    meta: { scenario: 'nominal', seed: 1, sats, durationS: 1800, sampleEveryS: 10, generatedAt: '2026-01-01T00:00:00.000Z' },
    summary: summaryFixture(),
    samples: {
      t,
      sats: series,
      isl: { critical: wave(40, 10, 0, 1), report: wave(20, 5, 1, 1), health: wave(120, 10, 2, 1), bulk: wave(5, 5, 3, 1), total: wave(190, 20, 0, 1) },
    },
    eclipses: { 'SAT-1': [[600, 1200]], 'SAT-2': [[700, 1300]], 'SAT-3': [[800, 1400]] },
    modes: {
      'SAT-1': [[0, 'boot'], [0.1, 'nominal']],
      'SAT-2': [[0, 'boot'], [0.1, 'nominal'], [400, 'off'], [430, 'boot'], [430.1, 'nominal']],
      'SAT-3': [[0, 'boot'], [0.1, 'nominal'], [900, 'degraded'], [1100, 'safe']],
    },
    leaders: [[0, null, null], [2, 'SAT-2', 1], [400, null, null], [401.5, 'SAT-1', 2], [900, 'SAT-2', 3]],
    decisions: [
      { t: 2.2, sat: 'SAT-1', action: 'adcs_sun_point', rule: 'idle_adcs', type: 'corrective', ok: true },
      { t: 905, sat: 'SAT-3', action: 'payload_throttle', rule: 'payload_hot', type: 'corrective', ok: true },
      { t: 1000, sat: 'SAT-3', action: 'heater_on', rule: 'battery_cold', type: 'corrective', ok: false, reason: 'power budget' },
    ],
    actions: [
      { sat: 'SAT-1', id: 'a1', action: 'adcs_sun_point', source: 'local', start: 2.2, end: 2.4, state: 'done' },
      { sat: 'SAT-3', id: 'a2', action: 'payload_throttle', source: 'local', start: 905, end: 906, state: 'failed' },
      { sat: 'SAT-1', id: 'c1', action: 'payload_off', source: 'constellation', start: 1500, end: 1500.5, state: 'done' },
      { sat: 'SAT-3', id: 'c1', action: 'payload_off', source: 'constellation', start: 1500, state: 'running' },
    ],
    commands: [
      { cid: 'c1', action: 'payload_off', proposedAt: 1499, targets: 3, completed: 2, partial: 0, failed: 0, missing: 1, ratio: 0.6667 },
      { cid: 'c2', action: 'payload_on', proposedAt: 1700, targets: 3, completed: 3, partial: 0, failed: 0, missing: 0, ratio: 1 },
    ],
    latency: { edgesUs: LATENCY_EDGES_US, counts },
    omitted: { decisions: 0, actions: 0, commands: 0, transitions: 0 },
  };
}
