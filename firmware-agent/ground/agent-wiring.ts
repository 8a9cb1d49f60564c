/**
 * How the agent plugs into ground commands: the ground key from the config, the counter kept
 * in the journal, the agent's controls behind `GroundTarget`, and replies on the ISL radio to
 * the ground station. The composition root (`agent.ts`) calls `createAgentGround` once at start.
 */
import type { Clock, HardwareClient } from '../../hal/index.js';
import type { ActionExecutor } from '../actions/executor.js';
import { isAction } from '../actions/catalog.js';
import type { AgentConfig } from '../config/schema.js';
import type { Mode } from '../decide/types.js';
import type { AgentLogger, Metrics } from '../observability/index.js';
import type { PersistedState } from '../persistence.js';
import type { SwarmNode } from '../swarm/swarm-node.js';
import { GroundHandler, type Done } from './handler.js';
import { groundKeyId, GroundKeyError, loadGroundPublicKey } from './keys.js';

export interface AgentGroundParts {
  /** This satellite's id: the hardware's hello names it (the agent's --id until then). */
  id: () => string;
  cfg: AgentConfig['ground'];
  clock: Clock;
  client: HardwareClient;
  executor: ActionExecutor;
  log: AgentLogger;
  metrics: Metrics;
  state: PersistedState;
  /** Durable journal append (returns once on disk). */
  persist: (record: { type: string } & Record<string, unknown>) => void;
  swarm: () => SwarmNode | undefined;
  pause: () => void;
  resume: () => void;
  paused: () => boolean;
  overrideMode: (mode: Mode, reason: string) => void;
  mode: () => Mode;
}

/** The handler, with the configured key loaded (a key that will not load is logged: commands are then refused `no_key`). */
export function createAgentGround(p: AgentGroundParts): GroundHandler {
  let key;
  let keyId: string | undefined;
  const path = p.cfg.public_key_file;
  if (path) {
    try {
      key = loadGroundPublicKey(path);
      keyId = groundKeyId(key);
    } catch (err) {
      const e = err as GroundKeyError;
      p.log.error('GROUND_KEY_ERROR', { err: e.code, path, why: e.why, detail: e.message });
    }
  }
  const station = p.cfg.station_id;
  return new GroundHandler({
    self: p.id,
    key,
    keyId,
    lastCounter: (k) => p.state.groundCounters.get(k) ?? 0,
    persistCounter: (k, n) => p.persist({ type: 'ground_counter', key: k, n }),
    reply: (packet) => void p.client.islTx(station, packet).catch(() => {}),
    log: p.log,
    metrics: p.metrics,
    clock: p.clock,
    target: {
      pause: p.pause,
      resume: p.resume,
      overrideMode: p.overrideMode,
      cancel: (id): Done => {
        const r = p.executor.cancel(id);
        return r.ok ? { ok: true, detail: `cancelled ${id}` } : { ok: false, reason: r.reason === 'unknown' ? 'no_such_action' : 'already_finished', detail: r.detail };
      },
      propose: (action, params): Done => {
        const swarm = p.swarm();
        if (!swarm) return { ok: false, reason: 'no_swarm', detail: 'this satellite flies solo (swarm off or not configured)' };
        const ctx = swarm.context();
        if (ctx.role !== 'leader') return { ok: false, reason: 'not_leader', detail: `the leader is ${ctx.leader ?? 'unknown'} (term ${ctx.term})` };
        if (!isAction(action)) return { ok: false, reason: 'unknown_action', detail: `no action ${action}` };
        const r = swarm.propose(action, params);
        return r.ok ? { ok: true, detail: `proposed ${action} to the constellation (${r.pid})` } : { ok: false, reason: 'proposal_refused', detail: r.reason };
      },
      status: () => ({ mode: p.mode(), paused: p.paused(), actions: p.executor.active().map((a) => a.id), boots: p.state.counters.boots }),
    },
  });
}
