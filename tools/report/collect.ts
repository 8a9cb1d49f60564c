/**
 * Collects a run's report data while it runs: agent events (through InProcessRun's
 * `onAgentEvent`) for decisions, actions, mode changes and cycle times, and samples of the
 * emulated world and the agents' public figures at each step of the run loop. Reads the swarm
 * only through the agent's metrics and the swarm node's public getters (election role/term,
 * propagation's commands and compliance), which is what stays stable while its internals move.
 */
import type { AgentEvents } from '../../firmware-agent/agent.js';
import { PRIORITY_CLASSES } from '../../firmware-agent/observability/index.js';
import type { InProcessRun } from '../runner/in-process.js';
import type { RunSummary } from '../view/summary.js';
import { REPORT_DATA_VERSION, REPORT_LIMITS, type ActionSpan, type CommandFigure, type DecisionPoint, type ReportData, type SatSeries } from './data.js';

/** Cycle-time histogram edges, µs: ten log-spaced bins a decade from 1 µs to 1 s. */
export const LATENCY_EDGES_US = Array.from({ length: 61 }, (_, k) => Number((10 ** (k / 10)).toPrecision(3)));

const ISL_CLASSES = [...PRIORITY_CLASSES, 'total'] as const;
const round = (v: number, digits: number): number => Number(v.toFixed(digits));

/** Index of the histogram bin for `us` (the last bin takes everything above the top edge). */
export function latencyBin(us: number): number {
  if (!(us >= LATENCY_EDGES_US[1]!)) return 0;
  const k = Math.floor(10 * Math.log10(us) + 1e-9);
  return Math.min(LATENCY_EDGES_US.length - 2, k);
}

/** Compliance of every constellation action, from the ledger of the leader (or else of the agent that knows most commands). */
export function commandFigures(run: InProcessRun): CommandFigure[] {
  const leader = run.leader();
  const candidates = [...run.agents.values()].filter((a) => a.swarm);
  const pick = (leader ? run.agents.get(leader) : undefined) ?? candidates.sort((a, b) => b.swarm!.propagation.commands().length - a.swarm!.propagation.commands().length)[0];
  const prop = pick?.swarm?.propagation;
  if (!prop) return [];
  const out: CommandFigure[] = [];
  for (const e of prop.commands()) {
    const c = prop.compliance(e.cid);
    if (!c) continue;
    out.push({ cid: e.cid, action: e.action, proposedAt: e.proposedAt / 1000, targets: c.targets, completed: c.completed, partial: c.partial, failed: c.failed, missing: c.missing, ratio: round(c.ratio, 4) });
  }
  return out;
}

export class ReportCollector {
  private run: InProcessRun | undefined;
  private readonly t: number[] = [];
  private readonly series = new Map<string, SatSeries>();
  private readonly isl: Record<string, number[]> = Object.fromEntries(ISL_CLASSES.map((c) => [c, []]));
  private readonly eclipses = new Map<string, [number, number][]>();
  private readonly modes = new Map<string, [number, string][]>();
  private readonly leaders: ReportData['leaders'] = [];
  private readonly decisions: DecisionPoint[] = [];
  private readonly actions: ActionSpan[] = [];
  private readonly openActions = new Map<string, ActionSpan>();
  private readonly latency = new Array<number>(LATENCY_EDGES_US.length - 1).fill(0);
  private readonly omitted = { decisions: 0, actions: 0, commands: 0, transitions: 0 };
  private readonly inShadow = new Set<string>();
  private nextSampleS = 0;
  readonly sampleEveryS: number;

  constructor(private readonly meta: { scenario: string; seed: number; sats: string[]; durationS: number }) {
    const points = Math.min(REPORT_LIMITS.maxPointsPerSeries, Math.max(60, Math.floor(REPORT_LIMITS.maxPointsTotal / Math.max(1, meta.sats.length))));
    this.sampleEveryS = Math.max(1, Math.ceil(meta.durationS / points));
    for (const id of meta.sats) {
      this.series.set(id, { soc: [], obc: [], battery: [], payload: [], radio: [] });
      this.eclipses.set(id, []);
      this.modes.set(id, []);
    }
  }

  /** The run whose clock and world are read (call before `run.start()`). */
  attach(run: InProcessRun): void {
    this.run = run;
  }

  private now(): number {
    return (this.run?.clock.now() ?? 0) / 1000;
  }

  /** Give this to InProcessRun's `onAgentEvent` (directly or from a fan-out). */
  readonly onAgentEvent = <K extends keyof AgentEvents>(sat: string, event: K, ...args: AgentEvents[K]): void => {
    if (event === 'cycle') {
      this.latency[latencyBin((args as AgentEvents['cycle'])[0].totalMs * 1000)]!++;
    } else if (event === 'mode') {
      this.markMode(sat, (args as AgentEvents['mode'])[0]);
    } else if (event === 'decision') {
      const [d, v] = args as AgentEvents['decision'];
      if (!d.action) return;
      if (this.decisions.length >= REPORT_LIMITS.decisions) return void this.omitted.decisions++;
      this.decisions.push({ t: round(this.now(), 1), sat, action: d.action, rule: d.rule, type: d.type, ok: v?.ok ?? true, ...(v && !v.ok ? { reason: v.reason } : {}) });
    } else if (event === 'action') {
      const [r] = args as AgentEvents['action'];
      const key = `${sat}\u0000${r.id}`;
      let span = this.openActions.get(key);
      if (!span) {
        if (r.state === 'done' || r.state === 'failed' || r.state === 'timed_out') return; // an end we never saw start (resumed after a restart and already final)
        if (this.actions.length >= REPORT_LIMITS.actions) return void this.omitted.actions++;
        span = { sat, id: r.id, action: r.action, source: r.source, start: round(r.startedAt / 1000, 1), state: 'running' };
        this.openActions.set(key, span);
        this.actions.push(span);
      }
      if (r.state === 'done' || r.state === 'failed' || r.state === 'timed_out') {
        span.state = r.state;
        span.end = round((r.endedAt ?? this.run?.clock.now() ?? 0) / 1000, 1);
        this.openActions.delete(key);
      }
    }
  };

  private markMode(sat: string, mode: string): void {
    const list = this.modes.get(sat);
    if (!list || list.at(-1)?.[1] === mode) return;
    if (list.length >= REPORT_LIMITS.transitions) return void this.omitted.transitions++;
    list.push([round(this.now(), 1), mode]);
  }

  /** Call at every step of the run loop: tracks eclipses, power-offs and the leader; samples when due. */
  step(): void {
    const run = this.run;
    if (!run) return;
    const t = this.now();
    for (const id of this.meta.sats) {
      const w = run.constellation.byId(id)?.world;
      if (!w) continue;
      const ecl = this.eclipses.get(id)!;
      if (!w.lit) {
        if (this.inShadow.has(id)) ecl.at(-1)![1] = round(t, 1);
        else if (ecl.length < REPORT_LIMITS.transitions) {
          ecl.push([round(t, 1), round(t, 1)]);
          this.inShadow.add(id);
        }
      } else this.inShadow.delete(id);
      const a = run.agents.get(id);
      this.markMode(id, a ? a.currentMode : 'off');
    }
    const leader = run.leader() ?? null;
    const term = leader ? (run.agents.get(leader)?.swarm?.election.term ?? null) : null;
    const lastL = this.leaders.at(-1);
    if (!lastL || lastL[1] !== leader || lastL[2] !== term) {
      if (this.leaders.length < REPORT_LIMITS.transitions) this.leaders.push([round(t, 1), leader, term]);
      else this.omitted.transitions++;
    }
    if (t + 1e-9 >= this.nextSampleS) {
      this.nextSampleS = t + this.sampleEveryS;
      this.sample(run, t);
    }
  }

  private sample(run: InProcessRun, t: number): void {
    this.t.push(round(t, 1));
    for (const id of this.meta.sats) {
      const w = run.constellation.byId(id)!.world;
      const s = this.series.get(id)!;
      s.soc.push(round(w.power.soc, 3));
      s.obc.push(round(w.thermal.obcC, 1));
      s.battery.push(round(w.thermal.batteryC, 1));
      s.payload.push(round(w.thermal.payloadC, 1));
      s.radio.push(round(w.thermal.radioC, 1));
    }
    const agents = [...run.agents.values()].filter((a) => a.swarm);
    for (const c of ISL_CLASSES) {
      const sum = agents.reduce((acc, a) => acc + a.metrics.gauge('governor_utilisation_permille', c).value, 0);
      this.isl[c]!.push(agents.length ? round(sum / agents.length, 1) : 0);
    }
  }

  /** The report data, at the end of the run (before `run.stop()`: the swarm's ledgers are read). */
  finish(summary: RunSummary, figures: CommandFigure[] = this.run ? commandFigures(this.run) : []): ReportData {
    const { reportPath: _omit, ...sum } = summary;
    const commands = figures.slice(0, REPORT_LIMITS.commands);
    return {
      version: REPORT_DATA_VERSION,
      meta: { ...this.meta, sampleEveryS: this.sampleEveryS, generatedAt: new Date().toISOString() },
      summary: sum,
      samples: { t: this.t, sats: Object.fromEntries(this.series), isl: this.isl },
      eclipses: Object.fromEntries(this.eclipses),
      modes: Object.fromEntries(this.modes),
      leaders: this.leaders,
      decisions: this.decisions,
      actions: this.actions,
      commands,
      latency: { edgesUs: LATENCY_EDGES_US, counts: [...this.latency] },
      omitted: { ...this.omitted, commands: figures.length - commands.length },
    };
  }
}
