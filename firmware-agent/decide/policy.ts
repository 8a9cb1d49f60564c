import { ACTIONS } from '../actions/catalog.js';
import { contentId } from './decision-id.js';
import type { Decision, DecisionInputs, Mode, ParamValue } from './types.js';

/**
 * The decision policy: a pure, deterministic function of the inputs. Rules are tried in
 * priority order (safety first); the first that fires decides. A rule fires only on fresh
 * data for the devices it reads. The policy recognises the default watchpoint ids
 * (`firmware-agent/config/schema.ts`); with other ids it still runs its telemetry rules.
 */
interface Rule {
  name: string;
  type: Decision['type'];
  /** Modes in which the rule may fire. */
  modes: readonly Mode[];
  /** Devices whose data the rule reads (must be fresh). */
  needs: readonly string[];
  fire: (v: View) => { action: string; params?: Record<string, ParamValue>; why: string } | null;
}

/** Read helpers over one cycle's inputs. */
class View {
  private readonly active: Set<string>;
  constructor(readonly inp: DecisionInputs) {
    this.active = new Set(inp.assessment.anomalies.map((a) => a.id));
  }
  isBlocked(dev: string): boolean {
    return this.inp.blocked?.includes(dev) ?? false;
  }
  has(...ids: string[]): boolean {
    return ids.some((id) => this.active.has(id));
  }
  num(key: string): number | undefined {
    const v = this.inp.snap.values[key];
    return typeof v === 'number' ? v : undefined;
  }
  bool(key: string): boolean | undefined {
    const v = this.inp.snap.values[key];
    return typeof v === 'boolean' ? v : undefined;
  }
  str(key: string): string | undefined {
    const v = this.inp.snap.values[key];
    return typeof v === 'string' ? v : undefined;
  }
}

const ANY: readonly Mode[] = ['boot', 'nominal', 'degraded', 'safe', 'recovery'];
const ACTIVE: readonly Mode[] = ['nominal', 'degraded', 'recovery'];
const f1 = (x: number | undefined): string => (x === undefined ? '?' : x.toFixed(1));
const f2 = (x: number | undefined): string => (x === undefined ? '?' : x.toFixed(2));

export const RULES: readonly Rule[] = [
  {
    name: 'payload_overheat', type: 'safety', modes: ANY, needs: ['thermal', 'payload'],
    fire: (v) => (v.has('payload_overheat') && v.bool('payload.on') ? { action: 'payload_off', why: `payload ${f1(v.num('thermal.payload'))} °C above its critical limit` } : null),
  },
  {
    name: 'battery_critical', type: 'safety', modes: ANY, needs: ['eps', 'payload'],
    fire: (v) => (v.has('soc_critical', 'batt_v_low') && v.bool('payload.on') ? { action: 'payload_off', why: `battery critical (soc ${f2(v.num('eps.soc'))}, ${f2(v.num('eps.batt_v'))} V): shed the payload` } : null),
  },
  {
    name: 'battery_cold', type: 'safety', modes: ANY, needs: ['thermal', 'heater', 'eps'],
    fire: (v) => {
      const t = v.num('thermal.battery');
      const soc = v.num('eps.soc') ?? 0;
      return (v.has('batt_cold', 'batt_freezing') || (t !== undefined && t < 5)) && v.bool('heater.on') === false && soc > 0.15
        ? { action: 'heater_on', why: `battery ${f1(t)} °C: keep it warm` }
        : null;
    },
  },
  {
    name: 'battery_warm', type: 'corrective', modes: ANY, needs: ['thermal', 'heater'],
    fire: (v) => {
      const t = v.num('thermal.battery');
      return v.bool('heater.on') === true && t !== undefined && t > 15 ? { action: 'heater_off', why: `battery ${f1(t)} °C: heater not needed` } : null;
    },
  },
  {
    // The heater would not switch off (breaker open after failed read-backs: a stuck relay):
    // cut its line at the EPS instead.
    name: 'heater_stuck', type: 'corrective', modes: ANY, needs: ['thermal', 'heater', 'eps'],
    fire: (v) => {
      const t = v.num('thermal.battery');
      return v.bool('heater.on') === true && t !== undefined && t > 15 && v.isBlocked('heater')
        ? { action: 'shed_load', params: { load: 'heater' }, why: `heater stuck on (battery ${f1(t)} °C): shed its line at the EPS` }
        : null;
    },
  },
  {
    name: 'payload_hot', type: 'corrective', modes: ANY, needs: ['thermal', 'payload'],
    fire: (v) =>
      (v.has('payload_hot') || (v.has('payload_temp_rate') && (v.num('thermal.payload') ?? 0) > 35)) && v.bool('payload.on') && (v.num('payload.duty') ?? 0) > 0.3 + 1e-9
        ? { action: 'payload_throttle', params: { duty: 0.3 }, why: `payload ${f1(v.num('thermal.payload'))} °C and rising: duty to 0.3` }
        : null,
  },
  {
    name: 'power_low', type: 'corrective', modes: ANY, needs: ['eps', 'payload'],
    fire: (v) => (v.has('soc_low') && v.bool('payload.on') ? { action: 'payload_off', why: `state of charge ${f2(v.num('eps.soc'))} low: shed the payload` } : null),
  },
  {
    name: 'obc_hot', type: 'corrective', modes: ANY, needs: ['obc'],
    fire: (v) => (v.has('obc_hot') && (v.num('obc.cpu') ?? 0) > 0.5 ? { action: 'throttle_cpu', params: { cpu: 0.5 }, why: 'flight computer hot: throttle' } : null),
  },
  {
    name: 'tumbling', type: 'corrective', modes: ANY, needs: ['imu', 'adcs'],
    fire: (v) => (v.has('tumbling') && v.str('adcs.mode') !== 'detumble' ? { action: 'adcs_detumble', why: `body rate ${f2(v.num('imu.rate'))} rad/s: detumble` } : null),
  },
  {
    name: 'detumbled', type: 'corrective', modes: ANY, needs: ['imu', 'adcs'],
    fire: (v) => (v.str('adcs.mode') === 'detumble' && (v.num('imu.rate') ?? 1) < 0.02 ? { action: 'adcs_sun_point', why: `rates damped (${f2(v.num('imu.rate'))} rad/s): point at the sun` } : null),
  },
  {
    name: 'idle_adcs', type: 'corrective', modes: ANY, needs: ['adcs', 'imu'],
    fire: (v) => (v.str('adcs.mode') === 'idle' && !v.has('tumbling') ? { action: 'adcs_sun_point', why: 'ADCS idle: point the panels at the sun' } : null),
  },
  {
    name: 'unthrottle', type: 'mission', modes: ['nominal'], needs: ['obc', 'thermal', 'eps'],
    fire: (v) =>
      (v.num('obc.cpu') ?? 1) < 1 && !v.has('obc_hot', 'soc_low', 'soc_critical') && (v.num('thermal.obc') ?? 99) < 55
        ? { action: 'unthrottle_cpu', why: 'nominal and cool: flight computer back to full speed' }
        : null,
  },
  {
    name: 'resume_payload', type: 'mission', modes: ['nominal'], needs: ['eps', 'thermal', 'payload', 'adcs'],
    fire: (v) => {
      const soc = v.num('eps.soc') ?? 0;
      const t = v.num('thermal.payload') ?? 99;
      const on = v.bool('payload.on');
      const duty = v.num('payload.duty') ?? 0;
      const pointing = ['sun_point', 'nadir'].includes(v.str('adcs.mode') ?? '');
      if (v.inp.assessment.anomalies.length > 0 || !pointing || soc < 0.6 || t > 35) return null;
      if (v.inp.ctx.holds?.includes('payload')) return null; // the constellation turned it off
      if (on === false) return { action: 'payload_on', params: { duty: 0.8 }, why: `healthy (soc ${f2(soc)}, payload ${f1(t)} °C): payload on` };
      if (on === true && duty < 0.8 - 1e-9) return { action: 'payload_on', params: { duty: 0.8 }, why: `payload cooled to ${f1(t)} °C: duty back to 0.8` };
      return null;
    },
  },
];

/** Rule names, for docs and metrics. */
export const RULE_NAMES = RULES.map((r) => r.name);

function decisionOf(inp: DecisionInputs, rule: string, type: Decision['type'], action: string | null, params: Record<string, ParamValue>, confidence: number, reasoning: string): Decision {
  const id = contentId({
    blocked: inp.blocked ?? [],
    rule,
    action,
    params,
    mode: inp.mode,
    episodes: inp.assessment.anomalies.map((a) => `${a.signature}#${a.recurrence}`),
    ctx: { role: inp.ctx.role, leader: inp.ctx.leader, term: inp.ctx.term, holds: inp.ctx.holds ?? [] },
    recent: inp.recent,
  });
  return { id, type, action, params, confidence, reasoning, rule };
}

/** The safe decision: do nothing new. Used when nothing fires, and when the policy fails. */
export function safeDecision(inp: DecisionInputs, why: string): Decision {
  return decisionOf(inp, 'safe_fallback', 'noop', null, {}, 0, why);
}

export function decide(inp: DecisionInputs): Decision {
  const v = new View(inp);
  const { stale } = inp.snap;
  for (const r of RULES) {
    if (!r.modes.includes(inp.mode)) continue;
    if (r.needs.some((d) => stale[d] !== false)) continue;
    const out = r.fire(v);
    if (!out) continue;
    // A rule whose action needs a device that cannot be commanded gives way to the next.
    const devs = ACTIONS[out.action]?.steps(out.params ?? {}).map((s) => s.dev) ?? [];
    if (devs.some((d) => v.isBlocked(d))) continue;
    return decisionOf(inp, r.name, r.type, out.action, out.params ?? {}, 1, out.why);
  }
  const devices = Object.keys(stale);
  const fresh = devices.filter((d) => !stale[d]).length;
  return decisionOf(inp, 'hold', 'noop', null, {}, devices.length ? fresh / devices.length : 0, 'nothing to do');
}
