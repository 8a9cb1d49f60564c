/**
 * The run's live view as text: a progress bar of virtual time and a table with one row per
 * satellite. Pure functions (rows in, string out), shared by the in-place terminal view and
 * the plain lines written when stdout is not a terminal.
 */
import { formatSeconds } from '../commands/common.js';

/** What the table shows for one satellite at one moment. */
export interface SatRow {
  id: string;
  /** The flight computer is running (false: powered off or rebooting). */
  on: boolean;
  mode: string;
  /** Swarm role (`leader`, `follower`, …) or `solo` when the swarm is off. */
  role: string;
  term: number | null;
  /** Battery state of charge, 0..1. */
  soc: number;
  /** Hottest of the OBC, battery, payload and radio temperatures, °C. */
  hottestC: number;
  lit: boolean;
  /** The last decision that started an action, as `action (rule)`. */
  lastDecision: string | null;
  /** Actions this satellite finished, and how many of those completed (all sources). */
  actionsEnded: number;
  actionsDone: number;
  /** Constellation actions this satellite was asked to run, and how many it completed. */
  constAssigned: number;
  constDone: number;
}

/** The constellation-wide line under the progress bar. */
export interface RunHeadline {
  leader: string | undefined;
  term: number | null;
  decisions: number;
  safeEntries: number;
  divergences: number;
}

export interface ProgressInfo {
  virtualS: number;
  durationS: number;
  wallS: number;
  /** Text for the pacing, e.g. `max` or `x10`. */
  speed: string;
}

const BAR_FULL = '█';
const BAR_EMPTY = '░';

/** `[██████░░░░]  60%  t=57 min 00 s of 1 h 35 min  10.2 s wall  speed max (x335)` */
export function renderProgress(p: ProgressInfo, barWidth = 24): string {
  const frac = p.durationS > 0 ? Math.min(1, Math.max(0, p.virtualS / p.durationS)) : 1;
  const full = Math.round(frac * barWidth);
  const bar = BAR_FULL.repeat(full) + BAR_EMPTY.repeat(barWidth - full);
  const pct = `${(frac * 100).toFixed(0).padStart(3)}%`;
  const achieved = p.wallS > 0 ? ` (x${Math.round(p.virtualS / p.wallS)})` : '';
  return `[${bar}] ${pct}  t=${formatSeconds(p.virtualS)} of ${formatSeconds(p.durationS)}  ${p.wallS.toFixed(1)} s wall  speed ${p.speed}${achieved}`;
}

/** The plain-output progress line (one per report step when stdout is not a terminal). */
export function renderPlainProgress(p: ProgressInfo): string {
  const pct = p.durationS > 0 ? ((100 * p.virtualS) / p.durationS).toFixed(0).padStart(3) : '100';
  return `[${pct}%] t=${formatSeconds(p.virtualS)}  (${p.wallS.toFixed(1)} s wall)`;
}

export function renderHeadline(h: RunHeadline): string {
  const leader = h.leader ? `leader ${h.leader}${h.term !== null ? ` (term ${h.term})` : ''}` : 'no leader';
  return `${leader} · decisions ${h.decisions} · safe-mode entries ${h.safeEntries} · divergences ${h.divergences}`;
}

interface Column {
  head: string;
  width: number;
  cell: (r: SatRow) => string;
  right?: boolean;
}

const ratio = (done: number, of: number): string => (of === 0 ? '-' : `${done}/${of}`);

/** Fixed widths, so plain lines written at successive steps line up too. */
function columns(idWidth: number): Column[] {
  return [
    { head: 'SAT', width: idWidth, cell: (r) => r.id },
    { head: 'MODE', width: 9, cell: (r) => (r.on ? r.mode : 'off') },
    { head: 'ROLE', width: 13, cell: (r) => (!r.on ? '-' : r.term === null ? r.role : `${r.role} t${r.term}`) },
    { head: 'SOC', width: 4, cell: (r) => r.soc.toFixed(2), right: true },
    { head: 'HOTTEST', width: 8, cell: (r) => `${r.hottestC.toFixed(1)} °C`, right: true },
    { head: 'SUN', width: 7, cell: (r) => (r.lit ? 'sun' : 'eclipse') },
    { head: 'ACTIONS', width: 7, cell: (r) => ratio(r.actionsDone, r.actionsEnded), right: true },
    { head: 'CONST', width: 5, cell: (r) => ratio(r.constDone, r.constAssigned), right: true },
    { head: 'LAST DECISION', width: 0, cell: (r) => r.lastDecision ?? '-' },
  ];
}

function fit(text: string, width: number, right = false): string {
  if (width <= 0) return text;
  if (text.length > width) return `${text.slice(0, Math.max(0, width - 1))}…`;
  return right ? text.padStart(width) : text.padEnd(width);
}

/** Cuts a line to `width` characters (the terminal would wrap it and spoil the redraw). */
export function clip(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}

/** What the count columns mean (printed once above the live view). */
export const TABLE_LEGEND = '  ACTIONS: actions done/ended on the satellite (all sources) · CONST: constellation actions done/assigned';

/** The per-satellite table: a header line and one line per row, in the order given. */
export function renderTable(rows: readonly SatRow[]): string[] {
  const idWidth = Math.max(5, ...rows.map((r) => r.id.length));
  const cols = columns(idWidth);
  const line = (cells: string[]): string => `  ${cells.join('  ')}`.trimEnd();
  const head = line(cols.map((c) => fit(c.head, c.width, c.right)));
  return [head, ...rows.map((r) => line(cols.map((c) => fit(c.cell(r), c.width, c.right))))];
}

/** One whole frame of the live view (without the run's opening line). */
export function renderFrame(p: ProgressInfo, h: RunHeadline, rows: readonly SatRow[]): string[] {
  return [renderProgress(p), `  ${renderHeadline(h)}`, ...renderTable(rows)];
}
