/**
 * The satellite's side of ground commands: verify, refuse or carry out, count, log, reply.
 *
 * Order of the checks (each refusal counted in `ground_commands{result}` and logged
 * GROUND_CMD_REFUSED with its reason): envelope (`malformed`) → signature present
 * (`unsigned`) → a key configured (`no_key`) → Ed25519 signature over the body
 * (`bad_signature`) → body (`malformed`) → addressed to us (`wrong_target`) → counter above
 * the highest accepted (`replayed`). Only then is the counter persisted — durably, before
 * acting, so a reboot can never accept the same command again — and the command carried out
 * (`accepted`, or `failed` when it cannot be: no such action, not the leader, …).
 */
import { verify, type KeyObject } from 'node:crypto';
import type { Clock } from '../../hal/index.js';
import type { Mode } from '../decide/types.js';
import { GROUND_COMMAND_RESULTS, type AgentLogger, type Metrics } from '../observability/index.js';
import {
  encodeReply, parseBody, parseEnvelope, peekBody, signedBytes, SIGNATURE_BYTES,
  type CommandBody, type GroundReply, type ParamValue, type SatStatus,
} from './format.js';

export const GROUND_RESULTS = GROUND_COMMAND_RESULTS;
export type GroundResult = (typeof GROUND_RESULTS)[number];
type Refusal = Exclude<GroundResult, 'accepted' | 'failed'>;

export type Done = { ok: true; detail?: string } | { ok: false; reason: string; detail: string };

/** What the ground may ask of the agent (agent.ts provides it). */
export interface GroundTarget {
  pause(): void;
  resume(): void;
  cancel(actionId: string): Done;
  overrideMode(mode: Mode, reason: string): void;
  propose(action: string, params: Record<string, ParamValue>): Done;
  status(): SatStatus;
}

export interface GroundHandlerOptions {
  /** This satellite's id, as commands address it. */
  self: () => string;
  /** The ground station's public key; undefined: every command is refused `no_key`. */
  key: KeyObject | undefined;
  /** The key's fingerprint (groundKeyId): counters are kept per key. */
  keyId: string | undefined;
  /** Highest counter accepted under this key (0: none). */
  lastCounter: (keyId: string) => number;
  /** Makes the counter durable (journal, fdatasync) before returning. */
  persistCounter: (keyId: string, n: number) => void;
  target: GroundTarget;
  /** Sends a reply packet to the ground station (best effort). */
  reply: (packet: Uint8Array) => void;
  log: AgentLogger;
  metrics: Metrics;
  clock: Clock;
  /** Refusals are logged and answered at most once per this many ms (the rest only counted). Default 1000. */
  refusalGapMs?: number;
}

export interface GroundOutcome {
  result: GroundResult;
  why?: string;
  n?: number;
  op?: string;
}

export class GroundHandler {
  private lastRefusalAt = -Infinity;
  private quietRefusals = 0;

  constructor(private readonly o: GroundHandlerOptions) {}

  /** One packet from the ground station. Never throws. */
  receive(packet: Uint8Array): GroundOutcome {
    const env = parseEnvelope(packet);
    if (!env.ok) return this.refuse('malformed', env.why, {});
    const { body: bytes, sig } = env.value;
    const peek = peekBody(bytes);
    if (!sig) return this.refuse('unsigned', 'the command carries no signature', peek);
    const { key, keyId } = this.o;
    if (!key || !keyId) return this.refuse('no_key', 'no ground key configured (ground.public_key_file)', peek);
    if (sig.length !== SIGNATURE_BYTES || !checkSignature(bytes, sig, key)) return this.refuse('bad_signature', 'the signature does not verify with the ground key', peek);
    const body = parseBody(bytes);
    if (!body.ok) return this.refuse('malformed', body.why, peek);
    const cmd = body.value;
    if (cmd.sat !== this.o.self()) return this.refuse('wrong_target', `addressed to ${cmd.sat}`, peek);
    const last = this.o.lastCounter(keyId);
    if (cmd.n <= last) return this.refuse('replayed', `counter ${cmd.n} <= ${last}, the highest accepted`, peek);
    try {
      this.o.persistCounter(keyId, cmd.n);
    } catch (err) {
      // Not durable: acting now could let a reboot accept the same command again.
      return this.fail(cmd, `counter not persisted: ${(err as Error).message}`);
    }
    try {
      return this.carryOut(cmd);
    } catch (err) {
      // The agent's side threw (a bug, not the ground's doing): the command is failed, counted and
      // answered; the packet's event handler and the decision cycle never see the throw.
      return this.fail(cmd, `error carrying it out: ${(err as Error).message}`);
    }
  }

  private carryOut(cmd: CommandBody): GroundOutcome {
    const t = this.o.target;
    let done: Done = { ok: true };
    switch (cmd.op) {
      case 'pause':
        t.pause();
        break;
      case 'resume':
        t.resume();
        break;
      case 'status':
        break;
      case 'cancel':
        done = t.cancel(cmd.id);
        break;
      case 'mode':
        t.overrideMode(cmd.mode, `ground: ${cmd.reason || 'override'}`);
        break;
      case 'propose':
        done = t.propose(cmd.action, cmd.params);
        break;
    }
    if (!done.ok) return this.fail(cmd, `${done.reason}: ${done.detail}`);
    const detail = done.detail ?? describe(cmd);
    this.o.metrics.counter('ground_commands', 'accepted').inc();
    this.o.log.event('GROUND_CMD_ACCEPTED', { op: cmd.op, counter: cmd.n, detail });
    this.send({ result: 'accepted', sat: this.o.self(), n: cmd.n, op: cmd.op, why: detail, status: t.status() });
    return { result: 'accepted', n: cmd.n, op: cmd.op, why: detail };
  }

  private fail(cmd: CommandBody, why: string): GroundOutcome {
    this.o.metrics.counter('ground_commands', 'failed').inc();
    this.o.log.warn('GROUND_CMD_FAILED', { op: cmd.op, counter: cmd.n, reason: why });
    this.send({ result: 'failed', sat: this.o.self(), n: cmd.n, op: cmd.op, why, status: this.status() });
    return { result: 'failed', n: cmd.n, op: cmd.op, why };
  }

  private refuse(result: Refusal, detail: string, peek: { n?: number; op?: string }): GroundOutcome {
    this.o.metrics.counter('ground_commands', result).inc();
    // A flood of bad packets (a spoofer, a broken console) costs a counter each, not a log
    // line and an answer on the shared radio each.
    const now = this.o.clock.now();
    const gap = this.o.refusalGapMs ?? 1000;
    if (now - this.lastRefusalAt >= gap) {
      this.lastRefusalAt = now;
      const quiet = this.quietRefusals;
      this.quietRefusals = 0;
      this.o.log.warn('GROUND_CMD_REFUSED', { reason: result, detail, ...(peek.n !== undefined ? { counter: peek.n } : {}), ...(peek.op ? { op: peek.op } : {}), ...(quiet ? { unlogged_since_last: quiet } : {}) });
      this.send({ result: 'refused', sat: this.o.self(), n: peek.n ?? null, ...(peek.op ? { op: peek.op } : {}), why: `${result}: ${detail}` });
    } else this.quietRefusals++;
    return { result, why: detail, ...peek };
  }

  /** The status for a failed command's reply; none when reading it throws too. */
  private status(): SatStatus | undefined {
    try {
      return this.o.target.status();
    } catch {
      return undefined;
    }
  }

  private send(r: GroundReply): void {
    try {
      this.o.reply(encodeReply(r));
    } catch (err) {
      this.o.log.debug('HAL_ERROR', { detail: `ground reply not sent: ${(err as Error).message}` });
    }
  }
}

function checkSignature(body: Uint8Array, sig: Uint8Array, key: KeyObject): boolean {
  try {
    return verify(null, signedBytes(body), key, sig);
  } catch {
    return false;
  }
}

function describe(cmd: CommandBody): string {
  switch (cmd.op) {
    case 'cancel':
      return `cancelled ${cmd.id}`;
    case 'mode':
      return `mode ${cmd.mode}`;
    case 'propose':
      return `proposed ${cmd.action}`;
    default:
      return cmd.op;
  }
}
