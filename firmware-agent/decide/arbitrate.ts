import { ACTIONS } from '../actions/catalog.js';
import type { Assessment } from '../assess/assessor.js';
import type { TelemetrySnapshot } from '../telemetry/types.js';

/** Who asked for an action: this agent's policy, the constellation (by quorum), or the ground. */
export type Source = 'local' | 'constellation' | 'ground';

export type Verdict = { ok: true } | { ok: false; reason: string; code: 'BATTERY_CRITICAL' | 'THERMAL_CRITICAL' | 'UNKNOWN_ACTION' | 'DEVICE_MISSING' };

/** Watchpoint ids that mean the battery cannot take more load. */
const BATTERY_CRITICAL = new Set(['soc_critical', 'batt_v_low', 'eps_stale']);

/**
 * Local safety beats everything: a critical battery refuses any action that draws more
 * power, a critical thermal state refuses any action that adds heat — whoever asked. Every
 * refusal states its reason.
 */
export function arbitrate(action: string, source: Source, assessment: Assessment, snap: TelemetrySnapshot): Verdict {
  const def = ACTIONS[action];
  if (!def) return { ok: false, code: 'UNKNOWN_ACTION', reason: `no action ${action} in the catalog` };
  const missing = def.steps({}).map((s) => s.dev).find((dev) => !(dev in snap.stale));
  if (missing) return { ok: false, code: 'DEVICE_MISSING', reason: `${action} needs device ${missing}, which this hardware does not have` };
  const critical = assessment.anomalies.filter((a) => a.severity === 'critical');
  const battery = critical.find((a) => BATTERY_CRITICAL.has(a.id) || a.subsystem === 'power');
  // One exception: heating a freezing battery (cold kills Li-ion cells faster than the heater drains them).
  const freezing = critical.some((a) => a.id === 'batt_freezing');
  if (battery && def.effects.load > 0 && !(action === 'heater_on' && freezing)) {
    return { ok: false, code: 'BATTERY_CRITICAL', reason: `${source} asked for ${action}, which draws more power, while ${battery.id} is active (${battery.detail})` };
  }
  // Adding heat is refused unless the problem is cold (heating a freezing battery is the cure):
  // the heater may run only when every critical thermal anomaly is a cold one. Looking for the
  // first non-cold one (not at the first one and then asking whether it is cold) keeps the
  // verdict independent of the order, i.e. of how the watchpoints happen to be named.
  const heating = action === 'heater_on';
  const thermal = critical.find((a) => (a.subsystem === 'thermal' || a.subsystem === 'obc') && !(heating && a.signature.endsWith(':low')));
  if (thermal && def.effects.heat > 0) {
    return { ok: false, code: 'THERMAL_CRITICAL', reason: `${source} asked for ${action}, which adds heat, while ${thermal.id} is active (${thermal.detail})` };
  }
  return { ok: true };
}
