/**
 * The run's closing summary: the figures (collected by `fsw run`) and their text. Pure.
 */
import { formatSeconds } from '../commands/common.js';

/** Constellation actions (replicated commands) and how many of their targets completed them. */
export interface ComplianceTotals {
  commands: number;
  /** Sum over commands of their target count. */
  targets: number;
  /** Sum over commands of the targets that reported `completed`. */
  completed: number;
}

export interface RunSummary {
  scenario: string;
  seed: number;
  sats: number;
  virtualS: number;
  wallS: number;
  speed: string;
  decisions: number;
  actionsDone: number;
  actionsFailed: number;
  safeEntries: number;
  restarts: number;
  leader: string | null;
  leaderChanges: number;
  divergences: number;
  compliance: ComplianceTotals;
  slips: number;
  /** Whole-cycle CPU time, µs: the worst satellite's p50 and p99. */
  cycleP50Us: number;
  cycleP99Us: number;
  /** HAL frames dropped on receipt, by reason, all satellites. */
  drops: Record<string, number>;
  /** ISL packets the bandwidth governor dropped or refused, by priority class, all satellites. */
  governorDrops: Record<string, number>;
  modes: Record<string, string>;
  /** Where the HTML report went (absent with --no-report). */
  reportPath?: string;
}

function complianceText(c: ComplianceTotals): string {
  if (c.commands === 0) return 'compliance: no constellation actions';
  const pct = c.targets > 0 ? ` (${((100 * c.completed) / c.targets).toFixed(1)} %)` : '';
  return `compliance: ${c.commands} constellation action${c.commands === 1 ? '' : 's'}, ${c.completed}/${c.targets} targets completed${pct}`;
}

const list = (r: Record<string, number | string>): string =>
  Object.entries(r)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

export function renderSummary(s: RunSummary): string {
  return [
    '',
    `summary: ${formatSeconds(s.virtualS)} virtual in ${s.wallS.toFixed(1)} s wall (speed ${s.speed})`,
    `  decisions ${s.decisions}, actions done ${s.actionsDone}, failed ${s.actionsFailed}`,
    `  safe-mode entries ${s.safeEntries}, agent restarts ${s.restarts}`,
    `  leader ${s.leader ?? 'none'}, leader changes seen ${s.leaderChanges}, decision divergences ${s.divergences}`,
    `  ${complianceText(s.compliance)}`,
    `  cycle latency (CPU time per cycle) p50 ${s.cycleP50Us} µs, p99 ${s.cycleP99Us} µs (worst satellite), slips ${s.slips}`,
    `  frames dropped: ${list(s.drops)}`,
    `  ISL packets dropped by the governor: ${list(s.governorDrops)}`,
    `  final modes: ${list(s.modes)}`,
    '',
  ].join('\n');
}
