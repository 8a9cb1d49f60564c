import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { flushMicrotasks, VirtualClock, type Link } from '../../hal/index.js';
import { Constellation } from '../../emulator/constellation.js';
import type { Scenario } from '../../emulator/scenario/schema.js';
import { Agent, type AgentEvents } from '../../firmware-agent/agent.js';
import { parseAgentConfig } from '../../firmware-agent/config/load.js';
import type { AgentConfig } from '../../firmware-agent/config/schema.js';
import { createLogger, type AgentLogger } from '../../firmware-agent/observability/index.js';

export interface InProcessOptions {
  scenario: Scenario;
  /** Journals go here, one file per satellite. */
  workDir: string;
  /** Agent configuration (the scenario's `agent` section is merged over it). */
  agentConfig?: Record<string, unknown>;
  /** Log destination per agent; default silent. */
  logFor?: (sat: string) => AgentLogger;
  /** Sees every agent event (the report and the live view use this). */
  onAgentEvent?: <K extends keyof AgentEvents>(sat: string, event: K, ...args: AgentEvents[K]) => void;
}

export interface RunnerEvents {
  restarts: { sat: string; reason: string; at: number }[];
}

/**
 * The emulator and one agent per satellite in one process on one virtual clock: a run of
 * a scenario in seconds. When the hardware resets a flight computer (watchdog) or powers it
 * off and on, the runner does what the board would: the agent process dies and boots again
 * from its journal.
 */
export class InProcessRun {
  readonly clock = new VirtualClock();
  readonly constellation: Constellation;
  readonly agents = new Map<string, Agent>();
  readonly restarts: RunnerEvents['restarts'] = [];
  readonly config: Readonly<AgentConfig>;
  private readonly links = new Map<string, Link>();

  constructor(private readonly opts: InProcessOptions) {
    this.config = parseAgentConfig({ ...opts.agentConfig, ...opts.scenario.agent }, `scenario ${opts.scenario.name} agent`);
    this.constellation = new Constellation({
      scenario: opts.scenario,
      clock: this.clock,
      resolveLeader: () => this.leader(),
    });
    mkdirSync(opts.workDir, { recursive: true });
    for (const [id, link] of this.constellation.fcLinks) this.links.set(id, link);
    this.constellation.on('reset', (sat, reason) => void this.restart(sat, `hardware reset: ${reason}`));
    this.constellation.on('power', (sat, on) => void (on ? this.boot(sat) : this.kill(sat)));
  }

  /** Who leads (the swarm issue fills this in; solo agents have none). */
  leader(): string | undefined {
    return undefined;
  }

  journalPath(sat: string): string {
    return join(this.opts.workDir, `${sat}.journal`);
  }

  async start(): Promise<void> {
    await this.constellation.start();
    for (const sat of this.links.keys()) await this.boot(sat);
  }

  /** Advance virtual time to `tS` seconds, in steps, letting promises settle between them. */
  async runTo(tS: number, stepMs = 100): Promise<void> {
    const end = tS * 1000;
    while (this.clock.now() < end) {
      this.clock.runUntil(Math.min(end, this.clock.now() + stepMs));
      await flushMicrotasks();
    }
  }

  async stop(): Promise<void> {
    for (const a of this.agents.values()) await a.stop('run finished');
    this.agents.clear();
    await this.constellation.stop();
  }

  agent(sat: string): Agent {
    const a = this.agents.get(sat);
    if (!a) throw new Error(`no agent running for ${sat}`);
    return a;
  }

  async boot(sat: string): Promise<Agent> {
    const link = this.links.get(sat)!;
    const log = this.opts.logFor?.(sat) ?? createLogger({ id: sat, level: 'silent', clock: this.clock });
    const agent = new Agent({ id: sat, link, clock: this.clock, config: this.config, journalPath: this.journalPath(sat), log });
    const fwd = this.opts.onAgentEvent;
    if (fwd) {
      for (const ev of ['decision', 'mode', 'action', 'stall', 'cycle', 'reset'] as const) {
        agent.on(ev, (...args) => fwd(sat, ev, ...(args as AgentEvents[typeof ev])));
      }
    }
    this.agents.set(sat, agent);
    await agent.start();
    return agent;
  }

  async kill(sat: string): Promise<void> {
    const a = this.agents.get(sat);
    if (!a) return;
    this.agents.delete(sat);
    await a.stop('powered off');
  }

  async restart(sat: string, reason: string): Promise<void> {
    this.restarts.push({ sat, reason, at: this.clock.now() });
    await this.kill(sat);
    await this.boot(sat);
  }
}
