/**
 * How the agent plugs into the swarm: the adapters between the agent's parts (HAL client,
 * executor, arbitration, telemetry, journal) and a SwarmNode, and the copy of the swarm's
 * figures into the agent's metrics. The composition root (`agent.ts`) calls these two.
 */
import type { Clock, HardwareClient } from '../../hal/index.js';
import type { ActionExecutor } from '../actions/executor.js';
import type { ActionState } from '../actions/action-machine.js';
import type { Assessment } from '../assess/index.js';
import type { AgentConfig } from '../config/schema.js';
import { arbitrate } from '../decide/arbitrate.js';
import type { Mode } from '../decide/types.js';
import { PRIORITY_CLASSES, SWARM_ROLES, type Metrics } from '../observability/index.js';
import type { SwarmPersisted } from '../persistence.js';
import type { TelemetryStore } from '../telemetry/store.js';
import { seededRandom } from './seeded-random.js';
import type { ExecStatus } from './consensus-types.js';
import { JournalSwarmStore } from './journal-store.js';
import { loadConstellationKey } from './keys.js';
import { SwarmNode } from './swarm-node.js';

/** What the constellation's compliance tracking sees of a local action's state. */
export function execStatusOf(st: ActionState | undefined): ExecStatus | undefined {
  if (st === undefined) return undefined;
  if (st === 'done') return { state: 'done' };
  if (st === 'failed' || st === 'timed_out') return { state: st, reason: `action ${st} (see the agent log)` };
  // Cancelled by the ground: it will never complete, so it reports as failed at once rather
  // than as running until the command's deadline.
  if (st === 'cancelled') return { state: 'failed', reason: 'action cancelled by a ground command' };
  return { state: 'running' };
}

export interface AgentSwarmParts {
  id: string;
  cfg: AgentConfig['swarm'];
  clock: Clock;
  client: HardwareClient;
  executor: ActionExecutor;
  telemetry: TelemetryStore;
  /** Durable journal append (the swarm's term, vote, log and counter reservations). */
  persist: (record: { type: string } & Record<string, unknown>) => void;
  persisted: SwarmPersisted;
  assessment: () => Assessment | undefined;
  mode: () => Mode;
}

/** A SwarmNode wired to the agent's parts. Throws KeyFileError (E_KEY_FILE) for a bad key file. */
export function createAgentSwarm(p: AgentSwarmParts): SwarmNode {
  const { cfg, client, executor, telemetry } = p;
  const node: SwarmNode = new SwarmNode({
    self: p.id,
    members: cfg.members,
    key: loadConstellationKey(cfg.key_file!),
    clock: p.clock,
    random: seededRandom(`election:${p.id}`),
    store: new JournalSwarmStore(p.persisted, p.persist),
    radio: {
      transmit: (to, bytes) =>
        client.islTx(to, bytes).then(
          (a) => (a.ok ? { ok: true as const } : { ok: false as const, code: a.code ?? 'error', ...(a.msg ? { msg: a.msg } : {}) }),
          (e: { code?: string; message?: string }) => ({ ok: false as const, code: e.code ?? 'error', ...(e.message ? { msg: e.message } : {}) }),
        ),
    },
    local: {
      // A constellation request goes through this satellite's own local-safety arbitration.
      arbitrate: (action) => {
        const a = p.assessment();
        if (!a) return { ok: false, reason: 'no telemetry yet' };
        const v = arbitrate(action, 'constellation', a, telemetry.snapshot());
        return v.ok ? { ok: true } : { ok: false, reason: v.reason };
      },
      execute: (cid, action, params) => {
        // Role reassignment goes to the election, not to the hardware.
        if (action === 'demote' || action === 'promote') {
          if (params.member === p.id) (action === 'demote' ? node.election.demote() : node.election.promote());
          executor.remember(cid, 'done');
          return { accepted: true };
        }
        const r = executor.request({ id: cid, action, params: params as Record<string, string | number | boolean>, source: 'constellation' });
        return r.accepted ? r : { accepted: false, reason: r.reason, detail: r.detail };
      },
      outcome: (cid) => execStatusOf(executor.outcome(cid)),
    },
    status: () => {
      const v = telemetry.snapshot().values;
      const temps = ['thermal.obc', 'thermal.battery', 'thermal.payload', 'thermal.radio'].map((k) => v[k]).filter((x): x is number => typeof x === 'number');
      return {
        health: p.assessment()?.overall ?? 1,
        mode: p.mode(),
        soc: typeof v['eps.soc'] === 'number' ? v['eps.soc'] : Number.NaN,
        tmaxC: temps.length ? Math.max(...temps) : Number.NaN,
      };
    },
    bitRate: cfg.bit_rate,
    quorum: cfg.quorum,
    election: cfg.election,
  });
  return node;
}

/** Returns a function that copies a SwarmNode's figures into the metrics (counters by their growth). */
export function swarmMetricsSync(m: Metrics): (sw: SwarmNode) => void {
  const lastSeen = new Map<string, number>();
  const grow = (key: string, now: number, add: (delta: number) => void): void => {
    const before = lastSeen.get(key) ?? 0;
    if (now > before) add(now - before);
    lastSeen.set(key, now);
  };
  return (sw) => {
    const e = sw.election;
    for (const role of SWARM_ROLES) m.gauge('swarm_role', role).set(e.role === role ? 1 : 0);
    m.gauge('swarm_term').set(e.term);
    const g = sw.governor.metrics();
    for (const c of PRIORITY_CLASSES) {
      const cm = g.classes[c];
      m.gauge('governor_queue_depth', c).set(cm.queued);
      m.gauge('governor_utilisation_permille', c).set(Math.round(cm.utilisation * 1000));
      grow(`gov:${c}`, cm.drops.evicted + cm.drops.refused, (n) => m.counter('governor_drops', c).inc(n));
    }
    m.gauge('governor_utilisation_permille', 'total').set(Math.round(g.utilisation * 1000));
    for (const [reason, n] of Object.entries(sw.bus.metrics().drops)) grow(`isl:${reason}`, n, (d) => m.counter('isl_drops', reason).inc(d));
    m.gauge('swarm_context_hit_permille').set(Math.round(sw.contextHitRate * 1000));
    grow('divergences', sw.stats.divergences, (d) => m.counter('swarm_divergences').inc(d));
  };
}
