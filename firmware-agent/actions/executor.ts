import { createActor, fromPromise, type Actor } from 'xstate';
import { HalError, RemoteError, sleep, xstateClock, type Ack, type Clock, type Sample, type ValueMap } from '../../hal/index.js';
import type { AgentConfig } from '../config/schema.js';
import type { ParamValue } from '../decide/types.js';
import type { Source } from '../decide/arbitrate.js';
import { actionMachine, StepFailure, type ActionState } from './action-machine.js';
import { CircuitBreaker, type BreakerState } from './breaker.js';
import { ACTIONS, isAction, type ActionStep } from './catalog.js';
import { isFinalActionState } from './final.js';

/** What the executor needs of the hardware (the HAL client provides it). */
export interface ActuatorPort {
  cmd(dev: string, op: string, args: ValueMap): Promise<Ack>;
  read(dev: string): Promise<Sample>;
}

export interface ActionRequest {
  /** Idempotency key: asking twice with the same id runs once. */
  id: string;
  action: string;
  params: Readonly<Record<string, ParamValue>>;
  source: Source;
  /** Resume after a reboot: steps before this index were verified already. */
  fromStep?: number;
}

export interface ActionRecord {
  id: string;
  action: string;
  params: Readonly<Record<string, ParamValue>>;
  source: Source;
  state: ActionState;
  step: number;
  steps: number;
  attempt: number;
  lastError: string | null;
  startedAt: number;
  endedAt: number | null;
}

export type RequestResult = { accepted: true } | { accepted: false; reason: 'duplicate' | 'busy' | 'unknown'; detail: string };

export interface ExecutorHooks {
  /** Every state change of an action (journal, metrics, reports). */
  onUpdate?: (r: ActionRecord) => void;
  /** A sign of progress from the hardware (an answer, a read-back) or a new step: for the procedure watcher. */
  onProgress?: (id: string, expectedStepMs: number) => void;
  onBreaker?: (dev: string, s: BreakerState) => void;
}

const NOT_RETRYABLE = new Set(['op', 'range', 'schema', 'device']);
/** The link, not the device, failed: retry, and do not count it against the device's breaker. */
const LINK_GONE = new Set(['E_LINK_DOWN', 'E_LINK_CLOSED']);

/**
 * Runs catalog actions on the hardware, each as an xstate actor (pending, running, verifying,
 * backoff, done, failed, timed out): commands with retries and backoff, verification by
 * read-back, a circuit breaker per device, and idempotency by action id.
 */
export class ActionExecutor {
  private readonly running = new Map<string, { actor: Actor<typeof actionMachine>; record: ActionRecord; devices: Set<string> }>();
  private readonly finished = new Map<string, ActionState>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly maxRemembered = 1024;

  constructor(
    private readonly port: ActuatorPort,
    private readonly clock: Clock,
    private readonly cfg: AgentConfig['actions'],
    private readonly hooks: ExecutorHooks = {},
  ) {}

  /** Ids of actions that reached a final state (restored from the journal at boot). */
  remember(id: string, state: ActionState): void {
    this.finished.set(id, state);
    if (this.finished.size > this.maxRemembered) this.finished.delete(this.finished.keys().next().value as string);
  }

  outcome(id: string): ActionState | undefined {
    return this.running.get(id)?.record.state ?? this.finished.get(id);
  }

  active(): ActionRecord[] {
    return [...this.running.values()].map((r) => ({ ...r.record }));
  }

  breaker(dev: string): CircuitBreaker {
    let b = this.breakers.get(dev);
    if (!b) {
      b = new CircuitBreaker(dev, this.clock, this.cfg.breaker_failures, this.cfg.breaker_reset_ms, (d, s) => this.hooks.onBreaker?.(d, s));
      this.breakers.set(dev, b);
    }
    return b;
  }

  /** Devices whose breaker is open now (sorted: an input of the pure decision policy). */
  blockedDevices(): string[] {
    return [...this.breakers.values()].filter((b) => b.state === 'open').map((b) => b.device).sort();
  }

  /** Why the action cannot run now (a device's breaker is open), or undefined. */
  blocked(action: string, params: Readonly<Record<string, ParamValue>> = {}): string | undefined {
    const def = isAction(action) ? ACTIONS[action] : undefined;
    if (!def) return undefined;
    for (const s of def.steps(params)) {
      const b = this.breakers.get(s.dev);
      if (b && b.state === 'open') return `circuit breaker for ${s.dev} is open`;
    }
    return undefined;
  }

  request(req: ActionRequest): RequestResult {
    const def = isAction(req.action) ? ACTIONS[req.action] : undefined;
    if (!def) return { accepted: false, reason: 'unknown', detail: `no action ${req.action}` };
    if (this.running.has(req.id) || this.finished.has(req.id)) {
      return { accepted: false, reason: 'duplicate', detail: `action ${req.id} already ${this.outcome(req.id)}` };
    }
    const steps = def.steps(req.params).slice(req.fromStep ?? 0);
    const devices = new Set(steps.map((s) => s.dev));
    for (const r of this.running.values()) {
      if ([...devices].some((d) => r.devices.has(d))) {
        return { accepted: false, reason: 'busy', detail: `${r.record.action} (${r.record.id}) is using the same device` };
      }
    }
    const record: ActionRecord = {
      id: req.id, action: req.action, params: req.params, source: req.source, state: 'pending',
      step: req.fromStep ?? 0, steps: def.steps(req.params).length, attempt: 0, lastError: null, startedAt: this.clock.now(), endedAt: null,
    };
    const base = req.fromStep ?? 0;
    const machine = actionMachine.provide({
      actors: {
        command: fromPromise(({ input, signal }: { input: { step: ActionStep }; signal: AbortSignal }) => this.command(req.id, input.step, signal)),
        verify: fromPromise(({ input, signal }: { input: { step: ActionStep }; signal: AbortSignal }) => this.verify(req.id, input.step, signal)),
      },
    });
    // A backstop for a hung step, not a second retry policy: room for every attempt of every step
    // (its command, a whole read-back window, 1 s of slack for the answers) and all the backoffs,
    // so a stuck actuator ends `failed` after its last retry rather than `timed_out` before it.
    const attempts = this.cfg.retries + 1;
    const backoffs = this.cfg.backoff_ms * (2 ** this.cfg.retries - 1);
    const perStep = attempts * (this.cfg.verify_timeout_ms + 1000) + backoffs;
    const timeoutMs = steps.reduce((t, s) => t + s.expectedMs, 0) + steps.length * perStep + 5000;
    const actor = createActor(machine, {
      input: { steps, retries: this.cfg.retries, backoffMs: this.cfg.backoff_ms, timeoutMs },
      clock: xstateClock(this.clock),
    });
    this.running.set(req.id, { actor, record, devices });
    actor.subscribe((snap) => {
      const v = snap.value;
      const state = (typeof v === 'string' ? v : (Object.values(v)[0] as string)) as ActionState;
      const changed = state !== record.state || snap.context.index + base !== record.step || snap.context.attempt !== record.attempt;
      if (!changed) return;
      record.state = state;
      record.step = snap.context.index + base;
      record.attempt = snap.context.attempt;
      record.lastError = snap.context.lastError;
      if (isFinalActionState(state)) {
        record.endedAt = this.clock.now();
        this.running.delete(req.id);
        this.remember(req.id, state);
      }
      this.hooks.onUpdate?.({ ...record });
    });
    actor.start();
    this.hooks.onProgress?.(req.id, steps[0]?.expectedMs ?? 300);
    this.hooks.onUpdate?.({ ...record });
    actor.send({ type: 'START' });
    return { accepted: true };
  }

  /**
   * Cancels a running action (a ground command): it ends in the final state `cancelled`, is
   * remembered like any finished action (so its id is never run again), and any command
   * already on the wire is abandoned. Steps already verified are not undone.
   */
  cancel(id: string): { ok: true } | { ok: false; reason: 'unknown' | 'finished'; detail: string } {
    const r = this.running.get(id);
    if (!r) {
      const st = this.finished.get(id);
      return st ? { ok: false, reason: 'finished', detail: `action ${id} already ${st}` } : { ok: false, reason: 'unknown', detail: `no action ${id} is running` };
    }
    r.actor.send({ type: 'CANCEL' });
    return { ok: true };
  }

  /** Stops every running action (shutdown); they stay unfinished in the journal. */
  stopAll(): void {
    for (const r of this.running.values()) r.actor.stop();
    this.running.clear();
  }

  /**
   * One command attempt. `signal` aborts when the action's actor stops while the attempt is
   * outstanding (whole-action timeout, stopAll): the attempt then gives up any half-open probe it
   * holds and, when its answer comes late, leaves the breaker alone — the device may already be
   * running another action by then.
   */
  private async command(id: string, step: ActionStep, signal?: AbortSignal): Promise<void> {
    const b = this.breaker(step.dev);
    if (!b.allow()) throw new StepFailure(`circuit breaker for ${step.dev} is open`, false);
    const release = (): void => b.release();
    signal?.addEventListener('abort', release);
    let ack: Ack;
    try {
      ack = await this.port.cmd(step.dev, step.op, step.args);
    } catch (err) {
      if (signal?.aborted) throw new StepFailure('abandoned', false);
      const e = err as HalError;
      if (e instanceof HalError && LINK_GONE.has(e.code)) {
        // Not the device's fault: no breaker failure, and a half-open probe is given back.
        b.release();
        throw new StepFailure(`link down: ${e.message}`, true);
      }
      b.failure();
      const permanent =
        (e instanceof HalError && (e.code === 'E_DEVICE_UNKNOWN' || e.code === 'E_OP_UNKNOWN')) ||
        (e instanceof RemoteError && NOT_RETRYABLE.has(e.remoteCode));
      throw new StepFailure(`${step.dev} ${step.op}: ${e.message}`, !permanent);
    } finally {
      signal?.removeEventListener('abort', release);
    }
    if (signal?.aborted) throw new StepFailure('abandoned', false);
    this.hooks.onProgress?.(id, step.expectedMs);
    if (!ack.ok) {
      b.failure();
      throw new StepFailure(`${step.dev} ${step.op} refused: ${ack.code}: ${ack.msg}`, !NOT_RETRYABLE.has(ack.code ?? ''));
    }
  }

  private async verify(id: string, step: ActionStep, signal?: AbortSignal): Promise<void> {
    const b = this.breaker(step.dev);
    const release = (): void => b.release();
    signal?.addEventListener('abort', release);
    try {
      const deadline = this.clock.now() + this.cfg.verify_timeout_ms;
      let seen: unknown;
      for (;;) {
        try {
          const s = await this.port.read(step.verify.dev);
          if (signal?.aborted) break;
          this.hooks.onProgress?.(id, step.expectedMs);
          seen = s.val[step.verify.field];
          if (matches(seen, step.verify.equals, step.verify.tolerance)) {
            b.success();
            return;
          }
        } catch (err) {
          seen = `(read failed: ${(err as Error).message})`;
        }
        if (signal?.aborted || this.clock.now() >= deadline) break;
        await sleep(this.clock, 250);
        if (signal?.aborted) break;
      }
      // An abandoned read-back (the actor stopped) stops polling and is not the device's failure.
      if (signal?.aborted) throw new StepFailure('abandoned', false);
      b.failure();
      throw new StepFailure(`read-back ${step.verify.dev}.${step.verify.field} = ${JSON.stringify(seen)}, expected ${JSON.stringify(step.verify.equals)}`, true);
    } finally {
      signal?.removeEventListener('abort', release);
    }
  }
}

function matches(seen: unknown, want: ParamValue, tolerance = 0): boolean {
  if (typeof want === 'number' && typeof seen === 'number') return Math.abs(seen - want) <= tolerance;
  return seen === want;
}
