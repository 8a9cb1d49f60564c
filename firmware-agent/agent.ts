/**
 * The agent's composition root: every component and how they are wired. Reading this file
 * tells a newcomer the whole agent (the F Prime topology idea).
 *
 *   hardware ── HAL client ──▶ telemetry store ──▶ [cycle: assess → mode → decide → arbitrate → act]
 *                    ▲                                                                   │
 *                    └──────── action executor (commands, read-back, breakers) ◀─────────┘
 *   journal ◀── mode changes, decisions, action states      watchdog ◀── healthy cycles only
 *   health monitor ── pings the cycle, the link, the executor; fatal → stop petting the watchdog
 *   ground station ── signed commands (isl from ground.station_id) ──▶ ground handler ──▶ pause, cancel, mode, propose
 */
import { createActor, type Actor } from 'xstate';
import { HardwareClient, xstateClock, type Clock, type Link } from '../hal/index.js';
import { ActionExecutor, type ActionRecord, type ActionRequest } from './actions/executor.js';
import { ProcedureWatcher, type StallFlag } from './actions/procedure-watcher.js';
import { isFinalActionState } from './actions/final.js';
import { Assessor, type Assessment } from './assess/index.js';
import type { AgentConfig } from './config/schema.js';
import { CycleRunner, type CycleResult, type PhaseTimer } from './cycle/cycle-runner.js';
import { arbitrate, type Source, type Verdict } from './decide/arbitrate.js';
import { decide, safeDecision } from './decide/policy.js';
import { SOLO_CONTEXT, type Decision, type GlobalContext, type Mode } from './decide/types.js';
import { HealthMonitor } from './health/health-monitor.js';
import { Journal, type JournalRecord } from './journal/index.js';
import { modeMachine } from './modes/mode-machine.js';
import { createLogger, cycleRecorder, halCounterSync, Metrics, type AgentLogger } from './observability/index.js';
import { emptyState, fold, snapshotRecords, type PersistedState } from './persistence.js';
import { TelemetryStore } from './telemetry/store.js';
import { Emitter } from '../hal/util/emitter.js';
import { createAgentSwarm, swarmMetricsSync } from './swarm/agent-wiring.js';
import { createAgentGround } from './ground/agent-wiring.js';
import type { GroundHandler } from './ground/handler.js';
import type { SwarmNode } from './swarm/swarm-node.js';

export const AGENT_SW = 'fsw-agent/0.1.0';

export interface AgentOptions {
  link: Link;
  clock: Clock;
  config: Readonly<AgentConfig>;
  /** Journal file (created if missing). */
  journalPath: string;
  /** Our satellite id, for logs (the hardware's hello names it too). */
  id: string;
  log?: AgentLogger;
  metrics?: Metrics;
  /** Overrides the global context (tests); by default the swarm node's, or solo. */
  context?: () => GlobalContext;
}

export type AgentEvents = {
  decision: [d: Decision, verdict: Verdict | null];
  mode: [to: Mode, from: Mode, reason: string];
  action: [r: ActionRecord];
  stall: [f: StallFlag];
  cycle: [r: CycleResult];
  /** The hardware reset us (watchdog): the host should restart the agent. */
  reset: [reason: string];
};

export class Agent extends Emitter<AgentEvents> {
  readonly client: HardwareClient;
  readonly telemetry: TelemetryStore;
  readonly assessor: Assessor;
  readonly executor: ActionExecutor;
  readonly watcher: ProcedureWatcher;
  readonly cycle: CycleRunner;
  readonly health: HealthMonitor;
  readonly metrics: Metrics;
  readonly log: AgentLogger;
  readonly state: PersistedState = emptyState();
  private journal: Journal | undefined;
  private readonly modes: Actor<typeof modeMachine>;
  private mode: Mode = 'boot';
  private lastAssessment: Assessment | undefined;
  private lastDecision: Decision | undefined;
  private paused = false;
  private readonly syncHal: ReturnType<typeof halCounterSync>;
  private readonly recordCycle: ReturnType<typeof cycleRecorder>;
  private actionBeat = 0;
  private dirty = false;
  private pendingSafeEntry: string | undefined;
  private resuming: { id: string; step: number } | undefined;
  private restoredMode = false;
  private acted: Decision | undefined;
  private lastRefused: string | undefined;
  private readonly dropsView = { escape: 0, crc: 0, oversize: 0, cbor: 0, schema: 0 };
  private readonly syncSwarm: (sw: SwarmNode) => void;
  /** Constellation coordination over the ISL (absent when the swarm is off or not configured). */
  swarm: SwarmNode | undefined;
  /** Signed commands from the ground station (created at start). */
  ground: GroundHandler | undefined;
  private overrideReason: string | undefined;
  /** The satellite id the hardware's hello gave (what the ground addresses commands to). */
  private helloSat: string | undefined;

  constructor(private readonly opts: AgentOptions) {
    super();
    const { clock, config: cfg } = opts;
    this.log = opts.log ?? createLogger({ id: opts.id, level: cfg.observability.log_level, clock });
    this.metrics = opts.metrics ?? new Metrics();
    this.syncHal = halCounterSync(this.metrics);
    this.recordCycle = cycleRecorder(this.metrics);
    this.syncSwarm = swarmMetricsSync(this.metrics);

    // Hardware: the HAL client, and the telemetry it feeds.
    this.client = new HardwareClient({ link: opts.link, clock, sw: AGENT_SW, requestTimeoutMs: cfg.request_timeout_ms });
    this.telemetry = new TelemetryStore(clock, cfg.stale_after_periods);
    this.client.on('hello', (h) => {
      this.helloSat = h.sat;
      this.telemetry.setDevices(h.devices);
      this.log.event('HAL_HELLO', { sat: h.sat, devices: h.devices.map((d) => d.id), watchdog_ms: h.watchdog_ms });
      // The first cycle runs at once (not a period later): the loop is flying from the hello on.
      if (!this.cycle.running) this.cycle.start(clock.now());
      this.swarm?.start();
    });
    // The ground station's packets go to the ground handler, never to the swarm (swarm on or off).
    this.client.on('isl', (rx) => {
      if (rx.from === cfg.ground.station_id) this.ground?.receive(rx.data);
      else this.swarm?.receive(rx.from, rx.data);
    });
    this.client.on('sample', (s) => this.telemetry.ingest(s));
    this.client.on('state', (s) => this.log.event('LINK_STATE', { state: s }));
    this.client.on('error', (e) => this.log.debug('HAL_ERROR', { err: e.code, detail: e.message }));
    this.client.on('event', (e) => {
      // A reset queued on the line before this run's first handshake is about a previous run.
      if (e.code !== 'reset') return;
      if (this.client.stats.handshakes > 0) {
        this.log.warn('AGENT_STOP', { reason: `hardware reset: ${e.msg}` });
        this.emit('reset', e.msg);
      } else {
        this.log.warn('HAL_ERROR', { detail: `hardware reset (${e.msg}) before our first hello: it was for a previous run; carrying on` });
      }
    });

    // Assessment, actions and the procedure watcher.
    this.assessor = new Assessor(cfg.watchpoints);
    this.watcher = new ProcedureWatcher(cfg.actions.stall_factor);
    // Read-backs are real samples: they refresh the telemetry, so the next cycle sees the change.
    const port = {
      cmd: this.client.cmd.bind(this.client),
      read: async (dev: string) => {
        const s = await this.client.read(dev);
        this.telemetry.ingest(s);
        return s;
      },
    };
    this.executor = new ActionExecutor(port, clock, cfg.actions, {
      onUpdate: (r) => this.onActionUpdate(r),
      onProgress: (id, expectedMs) => {
        this.actionBeat++;
        this.watcher.progress(id, clock.now(), expectedMs);
      },
      onBreaker: (dev, s) => {
        this.metrics.counter('breaker_transitions', s).inc();
        this.log.warn('BREAKER_STATE', { dev, to: s });
      },
    });

    // Modes: an xstate machine driven once per cycle; safe entry runs the safe-mode sequence.
    const machine = modeMachine.provide({ actions: { enterSafe: () => this.enterSafe() } });
    this.modes = createActor(machine, { input: { cfg: cfg.modes, at: clock.now() }, clock: xstateClock(clock) });
    this.modes.subscribe((snap) => {
      const to = snap.value as Mode;
      if (to === this.mode) return;
      const from = this.mode;
      this.mode = to;
      const c = snap.context;
      const reason = this.restoredMode ? 'restored from the journal' : this.overrideReason ?? `health ${c.overall.toFixed(2)} (streaks: low ${c.lowStreak}, safe ${c.safeStreak}, ok ${c.okStreak})`;
      this.restoredMode = false;
      this.record({ type: 'mode', mode: to, from, at: Math.floor(clock.now()), reason }, 'cycle');
      this.metrics.counter('mode_transitions', to).inc();
      this.log.event('MODE_CHANGE', { from, to, reason });
      this.emit('mode', to, from, reason);
    });

    // The decision loop, and the software health check around it.
    this.cycle = new CycleRunner(clock, 1000 / cfg.cycle_hz, cfg.budget_ms, (t, i) => this.runCycle(t, i), {
      onCycle: (r) => this.afterCycle(r),
    });
    this.health = new HealthMonitor(clock, cfg.health.ping_ms, cfg.health.warn_missed, cfg.health.fatal_missed, (name, status, missed) => {
      if (status === 'fatal') this.log.error('HEALTH_FATAL', { component: name, missed });
      else if (status === 'warn') this.log.warn('HEALTH_WARN', { component: name, missed });
      else this.log.event('HEALTH_RECOVERED', { component: name });
      if (status !== 'ok') this.metrics.counter('health_checks', status).inc();
    });
    this.health.register('cycle', () => this.cycle.index);
    this.health.register('link', () => this.telemetry.received);
    this.health.register('executor', () => this.actionBeat + (this.executor.active().length === 0 ? this.cycle.index : 0));
  }

  get currentMode(): Mode {
    return this.mode;
  }

  get latestDecision(): Decision | undefined {
    return this.lastDecision;
  }

  /** The last decision that started an action. */
  get lastActed(): Decision | undefined {
    return this.acted;
  }

  get latestAssessment(): Assessment | undefined {
    return this.lastAssessment;
  }

  /** Replays the journal, opens the link, and starts the loop at the first hello. */
  async start(): Promise<void> {
    this.openJournal();
    this.record({ type: 'boot', at: Math.floor(this.opts.clock.now()) }, 'now');
    this.swarm = this.createSwarm();
    this.ground = createAgentGround({
      id: () => this.helloSat ?? this.opts.id,
      cfg: this.opts.config.ground,
      clock: this.opts.clock,
      client: this.client,
      executor: this.executor,
      log: this.log,
      metrics: this.metrics,
      state: this.state,
      // A ground counter must be on disk before the command acts: a journal failure fails the command.
      persist: (r) => {
        const err = this.record(r, 'now');
        if (err) throw err;
      },
      swarm: () => this.swarm,
      pause: () => this.pause(),
      resume: () => this.resume(),
      paused: () => this.paused,
      overrideMode: (m, why) => this.overrideMode(m, why),
      mode: () => this.mode,
    });
    this.modes.start();
    if (this.state.mode && this.state.mode !== 'boot') {
      this.restoredMode = true;
      this.modes.send({ type: 'OVERRIDE', mode: this.state.mode, at: this.opts.clock.now(), reason: 'restored from journal' });
      this.restoredMode = false;
    }
    this.health.start();
    this.log.event('AGENT_START', { sw: AGENT_SW, boots: this.state.counters.boots, cycle_hz: this.opts.config.cycle_hz });
    await this.client.start();
  }

  async stop(reason = 'stop'): Promise<void> {
    this.swarm?.stop();
    this.cycle.stop();
    this.health.stop();
    this.executor.stopAll();
    this.modes.stop();
    await this.client.close();
    this.flushJournal();
    this.journal?.close();
    this.log.event('AGENT_STOP', { reason });
  }

  /**
   * Ground: pause or resume the decision loop. Paused, the cycle still samples, assesses,
   * drives the mode machine (a safe-mode entry still runs) and pets the watchdog; it makes no
   * decisions and starts no actions of its own. Not journaled: a reboot flies autonomously.
   */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Test hook: the loop stops as if hung; nothing else changes. */
  hang(): void {
    this.cycle.stop();
  }

  /** A request from the constellation or the ground: arbitrated by local safety, then run. */
  submit(req: Omit<ActionRequest, 'fromStep'> & { source: Source }): Verdict & { accepted?: boolean; detail?: string } {
    const verdict = this.lastAssessment
      ? arbitrate(req.action, req.source, this.lastAssessment, this.telemetry.snapshot())
      : ({ ok: false, code: 'DEVICE_MISSING', reason: 'no telemetry yet' } as const);
    if (!verdict.ok) {
      this.log.warn('ARBITRATION_REJECTED', { id: req.id, action: req.action, source: req.source, reason: verdict.reason });
      return verdict;
    }
    const r = this.executor.request(req);
    return r.accepted ? { ok: true, accepted: true } : { ok: true, accepted: false, detail: r.detail };
  }

  /** Ground: force a mode (the machine's automatic transitions start over from it). */
  overrideMode(mode: Mode, reason: string): void {
    // The machine transitions inside send(): the reason is for this transition only (none if already in `mode`).
    this.overrideReason = reason;
    this.modes.send({ type: 'OVERRIDE', mode, at: this.opts.clock.now(), reason });
    this.overrideReason = undefined;
  }

  /** The swarm node, when enabled with members and a key; otherwise the agent flies solo. */
  private createSwarm(): SwarmNode | undefined {
    const cfg = this.opts.config.swarm;
    if (!cfg.enabled) return undefined;
    if (cfg.members.length < 2 || !cfg.members.includes(this.opts.id) || !cfg.key_file) {
      this.log.event('AGENT_START', { swarm: 'off', why: 'swarm.members (with this satellite) and swarm.key_file are needed' });
      return undefined;
    }
    return createAgentSwarm({
      id: this.opts.id,
      cfg,
      clock: this.opts.clock,
      client: this.client,
      executor: this.executor,
      telemetry: this.telemetry,
      persist: (r) => this.record(r, 'now'),
      persisted: this.state.swarm,
      assessment: () => this.lastAssessment,
      mode: () => this.mode,
    });
  }

  private openJournal(): void {
    const { journal, replay } = Journal.open(this.opts.journalPath, {
      maxBytes: this.opts.config.journal.max_bytes,
      fsync: this.opts.config.journal.fsync,
      snapshot: () => snapshotRecords(this.state),
    });
    this.journal = journal;
    for (const r of replay.records) fold(this.state, r);
    this.assessor.importState(this.state.recurrence);
    for (const [id, st] of this.state.completed) this.executor.remember(id, st);
    if (replay.torn || replay.corrupt) {
      this.metrics.counter('journal_torn_records').inc(replay.torn + replay.corrupt);
      this.log.warn('JOURNAL_TORN_RECORD', { torn: replay.torn, corrupt: replay.corrupt, dropped_bytes: replay.droppedBytes });
    }
    this.log.event('JOURNAL_OPENED', { records: replay.records.length, bytes: replay.bytes, in_flight: this.state.inFlight.size });
  }

  /**
   * Appends to the journal and folds into the live state. `now`: durable before returning
   * (write-ahead: an action's start is on disk before its first command goes out). `cycle`:
   * written now, made durable once at the end of the cycle, so a burst of records costs one
   * fdatasync (whose tail on an SD card can exceed the whole cycle budget).
   */
  /** Folds and appends; a journal failure is logged and returned (the agent flies on without it). */
  private record(r: JournalRecord, durability: 'now' | 'cycle'): Error | undefined {
    fold(this.state, r);
    if (!this.journal) return undefined;
    try {
      this.journal.append(r, { sync: durability === 'now' });
      if (durability === 'cycle') this.dirty = true;
      this.metrics.counter('journal_appends').inc();
      return undefined;
    } catch (err) {
      this.log.error('JOURNAL_ERROR', { err: (err as { code?: string }).code, detail: (err as Error).message });
      return err as Error;
    }
  }

  private flushJournal(): void {
    if (!this.dirty || !this.journal) return;
    this.dirty = false;
    try {
      this.journal.sync();
    } catch (err) {
      this.log.error('JOURNAL_ERROR', { err: (err as { code?: string }).code, detail: (err as Error).message });
    }
  }

  private resumeInFlight(): void {
    for (const a of [...this.state.inFlight.values()]) {
      this.resuming = a;
      const r = this.executor.request({ id: a.id, action: a.action, params: a.params, source: a.source, fromStep: a.step });
      this.resuming = undefined;
      if (!r.accepted) this.log.warn('ACTION_FAILED', { id: a.id, action: a.action, resumed_from_step: a.step, error: r.detail });
    }
  }

  private runCycle(t: PhaseTimer, index: number): void {
    if (index === 0) this.resumeInFlight();
    const snap = t.run('sample', () => this.telemetry.snapshot());
    const assessment = t.run('assess', () => this.assessor.assess(snap));
    this.lastAssessment = assessment;
    const fresh = Object.values(snap.stale).some((s) => !s);
    this.modes.send({ type: 'ASSESSED', at: snap.at, overall: assessment.overall, critical: assessment.anomalies.some((a) => a.severity === 'critical'), fresh });
    const ctx = this.opts.context?.() ?? this.swarm?.context() ?? SOLO_CONTEXT;
    // Paused by the ground: no decision this cycle (assessment and modes go on).
    const decision = this.paused ? undefined : t.run('decide', () => {
      const inputs = { snap, assessment, mode: this.mode, ctx, recent: this.state.recent, blocked: this.executor.blockedDevices() };
      try {
        return decide(inputs);
      } catch (err) {
        this.metrics.counter('decisions_safe_fallback').inc();
        this.log.error('DECISION_SAFE_FALLBACK', { reason: (err as Error).message });
        return safeDecision(inputs, `policy error: ${(err as Error).message}`);
      }
    });
    if (decision) {
      this.lastDecision = decision;
      this.metrics.counter('decisions', decision.type).inc();
    }
    const verdict = decision?.action ? t.run('arbitrate', () => arbitrate(decision.action!, 'local', assessment, snap)) : null;
    t.run('act', () => {
      for (const a of assessment.raised) {
        this.record({ type: 'anomaly', signature: a.signature, recurrence: a.recurrence, at: Math.floor(snap.at) }, 'cycle');
        this.metrics.counter('anomalies_raised', a.severity).inc();
        this.log.warn('ANOMALY_RAISED', { signature: a.signature, severity: a.severity, subsystem: a.subsystem, value: a.value, detail: a.detail });
      }
      for (const sig of assessment.cleared) this.log.event('ANOMALY_CLEARED', { signature: sig });
      if (this.pendingSafeEntry) {
        const id = this.pendingSafeEntry;
        this.pendingSafeEntry = undefined;
        this.executor.request({ id, action: 'enter_safe', params: {}, source: 'local' });
      }
      if (decision?.action && verdict) this.act(decision, verdict);
      for (const f of this.watcher.check(this.opts.clock.now())) {
        this.log.warn('ACTION_STALLED', { id: f.id, silent_ms: Math.round(f.silentMs), limit_ms: f.limitMs });
        this.emit('stall', f);
      }
    });
  }

  private act(decision: Decision, verdict: Verdict): void {
    if (!verdict.ok) {
      // The same decision refused again next cycle is not news: report each id once.
      if (this.lastRefused === decision.id) return;
      this.lastRefused = decision.id;
      this.log.warn('ARBITRATION_REJECTED', { id: decision.id, action: decision.action, reason: verdict.reason });
      this.emit('decision', decision, verdict);
      return;
    }
    // A device whose breaker is open is left alone until its half-open probe is due.
    if (this.executor.blocked(decision.action!, decision.params)) return;
    const r = this.executor.request({ id: decision.id, action: decision.action!, params: decision.params, source: 'local' });
    if (!r.accepted) return; // duplicate (already running or done) or busy: the same decision again
    this.acted = decision;
    this.record({ type: 'decision', id: decision.id, action: decision.action, rule: decision.rule, at: Math.floor(this.opts.clock.now()) }, 'cycle');
    this.log.event('DECISION_MADE', { id: decision.id, type: decision.type, action: decision.action, rule: decision.rule, confidence: decision.confidence, reasoning: decision.reasoning });
    this.emit('decision', decision, verdict);
  }

  /** Safe-mode entry (a mode-machine action): the sequence itself runs in the act phase. */
  private enterSafe(): void {
    // Runs as the machine enters safe, before the mode record is folded in: this entry is the next one.
    this.pendingSafeEntry = `safe-${this.state.counters.boots}-${this.state.counters.safeEntries + 1}`;
  }

  private onActionUpdate(r: ActionRecord): void {
    const final = isFinalActionState(r.state);
    if (final) {
      this.watcher.finished(r.id);
      this.metrics.counter('actions', r.state).inc();
    }
    // Journaled at action boundaries: the start (write-ahead, durable at once), each step, the end.
    if (final || r.state === 'pending' || r.state === 'running') {
      this.record(
        { type: 'action', id: r.id, action: r.action, params: { ...r.params }, source: r.source, state: r.state, step: r.step, at: Math.floor(this.opts.clock.now()), ...(r.lastError ? { error: r.lastError } : {}) },
        r.state === 'pending' ? 'now' : 'cycle',
      );
    }
    if (r.state === 'pending') {
      const resumed = this.resuming?.id === r.id ? { resumed_from_step: this.resuming.step, accepted: true } : {};
      this.log.event('ACTION_STARTED', { id: r.id, action: r.action, params: r.params, source: r.source, ...resumed });
    }
    else if (r.state === 'done') this.log.event('ACTION_DONE', { id: r.id, action: r.action, elapsed_ms: Math.round((r.endedAt ?? 0) - r.startedAt) });
    else if (r.state === 'failed') this.log.warn('ACTION_FAILED', { id: r.id, action: r.action, step: r.step, attempts: r.attempt, error: r.lastError });
    else if (r.state === 'timed_out') this.log.warn('ACTION_TIMED_OUT', { id: r.id, action: r.action, step: r.step });
    else if (r.state === 'cancelled') this.log.warn('ACTION_CANCELLED', { id: r.id, action: r.action, step: r.step });
    else if (r.state === 'backoff') this.log.debug('ACTION_RETRY', { id: r.id, step: r.step, attempt: r.attempt, error: r.lastError });
    this.emit('action', r);
  }

  private afterCycle(r: CycleResult): void {
    const m = this.metrics;
    this.recordCycle(r);
    if (r.slipped) this.log.warn('CYCLE_SLIP', { phase: r.slipped, elapsed_ms: r.totalMs, budget_ms: this.opts.config.budget_ms });
    if (r.error) this.log.error('CYCLE_ERROR', { error: (r.error as Error)?.message ?? String(r.error) });
    // Non-essential: skipped while slipping. One drops object for the sync (it tracks identity).
    if (!this.cycle.shedding) {
      this.syncHal({ drops: Object.assign(this.dropsView, this.client.endpoint.drops), stats: this.client.stats });
      // The swarm figures change slowly and copying them allocates: once a second is enough.
      if (this.swarm && r.index % Math.max(1, Math.round(this.opts.config.cycle_hz)) === 0) this.syncSwarm(this.swarm);
    }
    // The watchdog is petted only by a healthy cycle: a hung or failing loop gets the board reset.
    if (!r.error && !this.health.anyFatal) {
      if (this.client.wdg()) m.counter('watchdog_pets').inc();
      else m.counter('watchdog_pet_failures').inc();
    }
    this.flushJournal();
    this.emit('cycle', r);
  }
}
