import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { flushMicrotasks, VirtualClock, type Link } from '../../hal/index.js';
import { Constellation } from '../../emulator/constellation.js';
import { satIds, type Scenario } from '../../emulator/scenario/schema.js';
import { Agent, AGENT_SW, type AgentEvents } from '../../firmware-agent/agent.js';
import { parseAgentConfig } from '../../firmware-agent/config/load.js';
import type { AgentConfig } from '../../firmware-agent/config/schema.js';
import { createLogger, type AgentLogger } from '../../firmware-agent/observability/index.js';
import { FlightRecorder } from '../../firmware-agent/recorder/index.js';

export interface InProcessOptions {
  scenario: Scenario;
  /** Journals go here, one file per satellite. */
  workDir: string;
  /** Agent configuration (the scenario's `agent` section is merged over it). */
  agentConfig?: Record<string, unknown>;
  /** Log destination per agent; default silent. */
  logFor?: (sat: string) => AgentLogger;
  /**
   * Flight-recorder directory: each satellite's agent records into `<dir>/<sat>.rec`, every
   * boot (a reset, a power cycle) appended as a new session. `fsw replay` replays them. The
   * run's simulated constellation key (derived from the public seed: no secret) goes to
   * `<dir>/constellation.key`, where the recordings' `swarm.key_file` points (an absolute path).
   */
  record?: string;
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
  /** The run's constellation key file (absolute): simulated, derived from the seed. */
  readonly keyFile: string;
  private readonly links = new Map<string, Link>();
  private readonly recorders = new Map<string, FlightRecorder>();
  /** Recordings that stopped early: a file that could not be written (E_RECORDING_IO) or the size cap. */
  readonly recordingProblems: { sat: string; at: number; code: string; message: string }[] = [];
  /** The stepping of the runTo in progress (a recording notes it: replay steps the same way). */
  private plan: { end: number; step: number } | undefined;

  constructor(private readonly opts: InProcessOptions) {
    mkdirSync(opts.workDir, { recursive: true });
    if (opts.record) mkdirSync(opts.record, { recursive: true });
    // The constellation key of a simulated run is derived from the public seed, so it is no
    // secret (a mission's key is random and lives in a file on each board, never in the
    // repository, and a board's recorder never copies it). With `record`, it is kept beside the
    // recordings (never in them), so that they replay after the work dir is gone; the path is
    // absolute, so that they replay from any directory.
    const keyFile = resolve(opts.record ?? opts.workDir, 'constellation.key');
    this.keyFile = keyFile;
    writeFileSync(keyFile, createHash('sha256').update(`constellation-key:${opts.scenario.seed}`).digest('hex') + '\n', { mode: 0o600 });
    const ids = satIds(opts.scenario.constellation.count, opts.scenario.constellation.id_prefix);
    const base = { ...opts.agentConfig, ...opts.scenario.agent } as Record<string, unknown>;
    const swarm = { members: ids, key_file: keyFile, ...(base.swarm as Record<string, unknown> | undefined) };
    this.config = parseAgentConfig({ ...base, swarm }, `scenario ${opts.scenario.name} agent`);
    this.constellation = new Constellation({
      scenario: opts.scenario,
      clock: this.clock,
      resolveLeader: () => this.leader(),
    });
    for (const [id, link] of this.constellation.fcLinks) this.links.set(id, link);
    this.constellation.on('reset', (sat, reason) => void this.restart(sat, `hardware reset: ${reason}`));
    this.constellation.on('power', (sat, on) => void (on ? this.boot(sat) : this.kill(sat)));
  }

  /** Who leads now (the agent whose swarm role is leader with the highest term), if anyone. */
  leader(): string | undefined {
    let best: { id: string; term: number } | undefined;
    for (const [id, a] of this.agents) {
      const e = a.swarm?.election;
      if (e && e.role === 'leader' && (!best || e.term > best.term)) best = { id, term: e.term };
    }
    return best?.id;
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
    this.plan = { end, step: stepMs };
    for (const r of this.recorders.values()) r.steps(end, stepMs);
    while (this.clock.now() < end) {
      this.clock.runUntil(Math.min(end, this.clock.now() + stepMs));
      await flushMicrotasks();
    }
    this.plan = undefined;
  }

  /** Where a satellite's flight recording goes (with the `record` option). */
  recordingPath(sat: string): string | undefined {
    return this.opts.record ? join(this.opts.record, `${sat}.rec`) : undefined;
  }

  async stop(): Promise<void> {
    for (const [sat, a] of this.agents) await this.stopAgent(sat, a, 'run finished');
    this.agents.clear();
    await this.constellation.stop();
  }

  agent(sat: string): Agent {
    const a = this.agents.get(sat);
    if (!a) throw new Error(`no agent running for ${sat}`);
    return a;
  }

  async boot(sat: string): Promise<Agent> {
    let link = this.links.get(sat)!;
    const log = this.opts.logFor?.(sat) ?? createLogger({ id: sat, level: 'silent', clock: this.clock });
    const file = this.recordingPath(sat);
    let recorder: FlightRecorder | undefined;
    if (file) {
      const info = { id: sat, sat, sw: AGENT_SW, config: this.config, link, journalPath: this.journalPath(sat) };
      const onStop = (why: { code: string; message?: string; bytes?: number }): void =>
        void this.recordingProblems.push({ sat, at: this.clock.now(), code: why.code, message: why.message ?? `the recording reached its size cap (${why.bytes} bytes)` });
      recorder = FlightRecorder.start({ file, clock: this.clock, clockKind: 'virtual', drive: 'steps', onStop }, info);
      if (this.plan) recorder.steps(this.plan.end, this.plan.step);
      this.recorders.set(sat, recorder);
      link = recorder.link;
    }
    const agent = new Agent({ id: sat, link, clock: this.clock, config: this.config, journalPath: this.journalPath(sat), log });
    recorder?.attach(agent);
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
    await this.stopAgent(sat, a, 'powered off');
  }

  private async stopAgent(sat: string, a: Agent, reason: string): Promise<void> {
    const rec = this.recorders.get(sat);
    this.recorders.delete(sat);
    rec?.end(reason);
    await a.stop(reason);
    rec?.close();
  }

  async restart(sat: string, reason: string): Promise<void> {
    this.restarts.push({ sat, reason, at: this.clock.now() });
    await this.kill(sat);
    await this.boot(sat);
  }
}
