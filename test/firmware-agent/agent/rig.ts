import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario } from '../../../emulator/scenario/load.js';
import type { ScenarioInput } from '../../../emulator/scenario/schema.js';
import type { ActionRecord } from '../../../firmware-agent/actions/executor.js';
import type { StallFlag } from '../../../firmware-agent/actions/procedure-watcher.js';
import type { Verdict } from '../../../firmware-agent/decide/arbitrate.js';
import type { Decision, Mode } from '../../../firmware-agent/decide/types.js';
import { InProcessRun } from '../../../tools/runner/in-process.js';

export interface Seen {
  modes: { t: number; sat: string; to: Mode; from: Mode }[];
  decisions: { t: number; sat: string; d: Decision; verdict: Verdict | null }[];
  actions: { t: number; sat: string; r: ActionRecord }[];
  stalls: { t: number; sat: string; f: StallFlag }[];
}

/** An in-process run (emulator + agents on one virtual clock) that records what the agents did. */
export async function agentRig(input: Partial<ScenarioInput> & { agent?: Record<string, unknown> }, workDir?: string) {
  const scenario = parseScenario({ name: 'test', duration_s: 600, constellation: { count: 1 }, ...input });
  const seen: Seen = { modes: [], decisions: [], actions: [], stalls: [] };
  const dir = workDir ?? mkdtempSync(join(tmpdir(), 'agent-test-'));
  const run: InProcessRun = new InProcessRun({
    scenario,
    workDir: dir,
    onAgentEvent: (sat, ev, ...args) => {
      const t = run.clock.now() / 1000;
      if (ev === 'mode') seen.modes.push({ t, sat, to: args[0] as Mode, from: args[1] as Mode });
      if (ev === 'decision') seen.decisions.push({ t, sat, d: args[0] as Decision, verdict: args[1] as Verdict | null });
      if (ev === 'action') seen.actions.push({ t, sat, r: args[0] as ActionRecord });
      if (ev === 'stall') seen.stalls.push({ t, sat, f: args[0] as StallFlag });
    },
  });
  await run.start();
  return {
    run,
    seen,
    dir,
    /** Final states of actions by name (in order). */
    finished: (action?: string) => seen.actions.filter((a) => ['done', 'failed', 'timed_out'].includes(a.r.state) && (!action || a.r.action === action)),
    modeAt: (sat = 'SAT-1') => run.agent(sat).currentMode,
  };
}
