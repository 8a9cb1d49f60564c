import type { CommandResult, ValueMap } from '../../hal/index.js';
import type { Rng } from '../world/rng.js';

/**
 * Device-level faults a scenario can switch on and off. Physical faults (cell loss, stuck
 * heater, thermal runaway) live in the world model; these act on what a device reports or
 * how it answers.
 */
export interface DeviceFaultState {
  /** Frozen reading (sensor stuck). */
  stuck?: ValueMap;
  /** Bias added per second since `since`, in the field's unit. */
  drift?: { perS: number; sinceMs: number };
  /** Extra white noise: `factor` × the device's nominal noise (1σ). */
  noiseFactor?: number;
  /** No answer at all: reads and commands time out, nothing is pushed. */
  dropout?: boolean;
  /** Commands answered `ack ok:false code fault`. */
  refuses?: boolean;
  /** Commands acknowledged but nothing changes (read-back shows the old state). */
  actuatorStuck?: boolean;
}

function perturb(v: unknown, f: (x: number) => number): unknown {
  if (typeof v === 'number') return f(v);
  if (Array.isArray(v)) return v.map((x) => perturb(x, f));
  return v;
}

/** Applies the sensor-side faults to a fresh reading. */
export function faultedReading(
  val: ValueMap,
  faults: DeviceFaultState | undefined,
  nowMs: number,
  nominalNoise: number,
  rng: Rng,
): ValueMap | undefined {
  if (!faults) return val;
  if (faults.dropout) return undefined;
  if (faults.stuck) return faults.stuck;
  let out = val;
  const drift = faults.drift;
  if (drift) {
    const bias = (drift.perS * (nowMs - drift.sinceMs)) / 1000;
    out = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, perturb(v, (x) => x + bias)])) as ValueMap;
  }
  const k = faults.noiseFactor;
  if (k !== undefined && k > 0) {
    const sigma = k * nominalNoise;
    out = Object.fromEntries(Object.entries(out).map(([k2, v]) => [k2, perturb(v, (x) => x + sigma * rng.gaussian())])) as ValueMap;
  }
  return out;
}

/**
 * Applies the actuator-side faults around a command: `apply` changes the actuator's state
 * and returns the result a healthy device would give.
 */
export function faultedCommand(faults: DeviceFaultState | undefined, apply: () => CommandResult): CommandResult {
  if (faults?.dropout) return undefined;
  if (faults?.refuses) return { ok: false, code: 'fault', msg: 'actuator refuses (injected fault)' };
  if (faults?.actuatorStuck) return { ok: true };
  return apply();
}
