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
  /** Virtual time reached, s. */
  virtualS: number;
  /** Virtual time asked for, s (more than virtualS when interrupted). */
  durationS: number;
  /** The signal that stopped the run early (absent when it ran to the end). */
  interrupted?: string;
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
  /** Cycles whose CPU time on the host went over the agent's budget (host time even on a virtual clock). */
  slips: number;
  /** The agent's cycle budget, ms. */
  budgetMs: number;
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

/** `interrupted (SIGINT) at t=58.0 s of 50 min 00 s`, or undefined for a run that reached its end. */
export function interruptedText(s: Pick<RunSummary, 'interrupted' | 'virtualS' | 'durationS'>): string | undefined {
  return s.interrupted ? `interrupted (${s.interrupted}) at t=${formatSeconds(s.virtualS)} of ${formatSeconds(s.durationS)}` : undefined;
}

export function renderSummary(s: RunSummary): string {
  const stopped = interruptedText(s);
  return [
    '',
    `summary: ${stopped ? `${stopped}, a partial run: ` : ''}${formatSeconds(s.virtualS)} virtual in ${s.wallS.toFixed(1)} s wall (speed ${s.speed})`,
    // Actions outnumber decisions: safe-mode entry sequences and constellation actions run without a local decision.
    `  decisions ${s.decisions}, actions done ${s.actionsDone} (incl. safe-mode sequences and constellation actions), failed ${s.actionsFailed}`,
    `  safe-mode entries ${s.safeEntries}, agent restarts ${s.restarts}`,
    `  leader ${s.leader ?? 'none'}, leader changes seen ${s.leaderChanges}, decision divergences ${s.divergences}`,
    `  ${complianceText(s.compliance)}`,
    `  cycle latency (CPU time per cycle) p50 ${s.cycleP50Us} µs, p99 ${s.cycleP99Us} µs (worst satellite), slips ${s.slips} (cycles over the ${s.budgetMs} ms budget in host CPU time)`,
    `  frames dropped: ${list(s.drops)}`,
    `  ISL packets dropped by the governor: ${list(s.governorDrops)}`,
    `  final modes: ${list(s.modes)}`,
    '',
  ].join('\n');
}
