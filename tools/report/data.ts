/**
 * What the HTML report of a run shows, as data: collected by `collect.ts`, embedded in the
 * page as JSON by `render.ts`, drawn by the page's client script. Times are virtual seconds
 * from the start of the run. Every list is bounded (see the limits), so a report stays small.
 */
import type { RunSummary } from '../view/summary.js';

export const REPORT_DATA_VERSION = 1;

/** Limits on what is embedded (a one-orbit, five-satellite run stays far below them). */
export const REPORT_LIMITS = {
  /** Samples per time series (the sampling interval grows with duration and with satellites). */
  maxPointsPerSeries: 600,
  /** Samples per series × satellites, at most (keeps a 100-satellite report in bounds). */
  maxPointsTotal: 6000,
  decisions: 2000,
  actions: 2000,
  commands: 200,
  /** Transitions kept per satellite's mode timeline, and for the leader timeline. */
  transitions: 500,
  /** Satellites drawn one chart each (battery and temperatures); the rest are listed as omitted. */
  satCharts: 24,
} as const;

/** Per satellite, sampled: battery state of charge (0..1) and the four modelled temperatures (°C). */
export interface SatSeries {
  soc: number[];
  obc: number[];
  battery: number[];
  payload: number[];
  radio: number[];
}

export interface DecisionPoint {
  t: number;
  sat: string;
  action: string;
  rule: string;
  type: string;
  /** Local safety arbitration let it through. */
  ok: boolean;
  reason?: string;
}

export interface ActionSpan {
  sat: string;
  id: string;
  action: string;
  source: string;
  start: number;
  /** Absent while still running at the end of the run. */
  end?: number;
  /** Final state (`done`, `failed`, `timed_out`) or `running`. */
  state: string;
}

/** A constellation action (replicated command) and its compliance, as the leader's ledger says. */
export interface CommandFigure {
  cid: string;
  action: string;
  proposedAt: number;
  targets: number;
  completed: number;
  partial: number;
  failed: number;
  missing: number;
  /** completed / targets. */
  ratio: number;
}

export interface ReportData {
  version: number;
  meta: {
    scenario: string;
    seed: number;
    sats: string[];
    durationS: number;
    sampleEveryS: number;
    generatedAt: string;
  };
  summary: Omit<RunSummary, 'reportPath'>;
  samples: {
    t: number[];
    sats: Record<string, SatSeries>;
    /** ISL airtime used per priority class (and `total`), per mille, mean over the running agents. */
    isl: Record<string, number[]>;
  };
  /** Eclipse intervals per satellite, [start, end] (end = the run's end while still in shadow). */
  eclipses: Record<string, [number, number][]>;
  /** Mode transitions per satellite: [t, mode]; `off` while the flight computer is not running. */
  modes: Record<string, [number, string][]>;
  /** Leader transitions: [t, leader or null, its term or null]. */
  leaders: [number, string | null, number | null][];
  decisions: DecisionPoint[];
  actions: ActionSpan[];
  commands: CommandFigure[];
  /** Whole-cycle CPU time histogram, all satellites: bin i counts cycles in [edgesUs[i], edgesUs[i+1]). */
  latency: { edgesUs: number[]; counts: number[] };
  /** How many were left out by the limits. */
  omitted: { decisions: number; actions: number; commands: number; transitions: number };
}
