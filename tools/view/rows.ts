/**
 * Reads the live view's rows from a running in-process constellation: the emulated world for
 * battery and temperatures, each agent's public state for mode, role and decisions, and a tally
 * of action outcomes fed from the agents' `action` events (it outlives agent restarts).
 */
import type { ActionRecord } from '../../firmware-agent/actions/executor.js';
import type { Agent } from '../../firmware-agent/agent.js';
import type { InProcessRun } from '../runner/in-process.js';
import type { RunHeadline, SatRow } from './render.js';

interface SatTally {
  ended: Set<string>;
  done: Set<string>;
  constAssigned: Set<string>;
  constDone: Set<string>;
}

const FINAL = new Set(['done', 'failed', 'timed_out']);

/** Action outcomes per satellite, by action id (a resumed action counts once). */
export class ActionTally {
  private readonly sats = new Map<string, SatTally>();

  onAction(sat: string, r: ActionRecord): void {
    const t = this.of(sat);
    if (r.source === 'constellation') t.constAssigned.add(r.id);
    if (!FINAL.has(r.state)) return;
    t.ended.add(r.id);
    if (r.state === 'done') {
      t.done.add(r.id);
      if (r.source === 'constellation') t.constDone.add(r.id);
    }
  }

  counts(sat: string): Pick<SatRow, 'actionsEnded' | 'actionsDone' | 'constAssigned' | 'constDone'> {
    const t = this.of(sat);
    return { actionsEnded: t.ended.size, actionsDone: t.done.size, constAssigned: t.constAssigned.size, constDone: t.constDone.size };
  }

  private of(sat: string): SatTally {
    let t = this.sats.get(sat);
    if (!t) this.sats.set(sat, (t = { ended: new Set(), done: new Set(), constAssigned: new Set(), constDone: new Set() }));
    return t;
  }
}

/** Hottest of the four thermal nodes the emulator models, °C. */
export function hottestC(th: { obcC: number; batteryC: number; payloadC: number; radioC: number }): number {
  return Math.max(th.obcC, th.batteryC, th.payloadC, th.radioC);
}

/** The agent's swarm role and term, or `solo`. */
export function roleOf(a: Agent): { role: string; term: number | null } {
  const e = a.swarm?.election;
  return e ? { role: e.role, term: e.term } : { role: 'solo', term: null };
}

export function satRow(id: string, run: InProcessRun, tally: ActionTally): SatRow {
  const w = run.constellation.byId(id)!.world;
  const a = run.agents.get(id);
  const d = a?.lastActed;
  return {
    id,
    on: a !== undefined,
    mode: a?.currentMode ?? 'off',
    ...(a ? roleOf(a) : { role: '-', term: null }),
    soc: w.power.soc,
    hottestC: hottestC(w.thermal),
    lit: w.lit,
    lastDecision: d ? `${d.action} (${d.rule})` : null,
    ...tally.counts(id),
  };
}

export function satRows(run: InProcessRun, tally: ActionTally): SatRow[] {
  return run.constellation.ids().map((id) => satRow(id, run, tally));
}

export function headline(run: InProcessRun): RunHeadline {
  let decisions = 0;
  let safeEntries = 0;
  let divergences = 0;
  for (const a of run.agents.values()) {
    decisions += a.state.counters.decisions;
    safeEntries += a.state.counters.safeEntries;
    divergences += a.metrics.counter('swarm_divergences').value;
  }
  const leader = run.leader();
  const term = leader ? (run.agents.get(leader)?.swarm?.election.term ?? null) : null;
  return { leader, term, decisions, safeEntries, divergences };
}
