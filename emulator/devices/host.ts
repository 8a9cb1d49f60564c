import type { Device, ValueMap, CommandResult } from '../../hal/index.js';
import type { Rng } from '../world/rng.js';
import type { SatelliteWorld, WorldInputs } from '../world/world.js';
import { faultedCommand, faultedReading, type DeviceFaultState } from './faults.js';

/** What a device model needs from its satellite: the world, the actuator settings, noise, faults. */
export interface DeviceHost {
  world(): SatelliteWorld;
  /** Actuator settings; commands change them, the world reads them at each step. */
  readonly inputs: WorldInputs;
  /** Sensor noise (seeded per satellite). */
  readonly rng: Rng;
  faults(dev: string): DeviceFaultState | undefined;
  radio: {
    linkUp(): boolean;
    peers(): number;
    txPowerDbm(): number;
    setTxPower(dbm: number): void;
  };
}

export interface DeviceSpec {
  id: string;
  type: 'sensor' | 'actuator' | 'sensor+actuator' | 'radio';
  rateHz: number;
  fields: Record<string, string>;
  /** Nominal 1σ noise of the readings, in the fields' unit (scales `noise_burst`). */
  noise: number;
  latencyMs: number;
  read: (host: DeviceHost, nowMs: number) => ValueMap;
  ops?: Record<string, (host: DeviceHost, args: ValueMap) => CommandResult>;
}

/** Wraps a spec into the HAL's `Device`, with the host's faults applied. */
export function makeDevice(host: DeviceHost, spec: DeviceSpec): Device {
  const ops = spec.ops ?? {};
  return {
    info: { id: spec.id, type: spec.type, rate_hz: spec.rateHz, fields: spec.fields, ops: Object.keys(ops) },
    latencyMs: spec.latencyMs,
    read: (nowMs) => faultedReading(spec.read(host, nowMs), host.faults(spec.id), nowMs, spec.noise, host.rng),
    command: (op, args) => {
      const fn = ops[op];
      if (!fn) return { ok: false, code: 'op', msg: `no op ${op} on ${spec.id}` };
      return faultedCommand(host.faults(spec.id), () => fn(host, args));
    },
  };
}

/** A command refused by the device (`ack ok:false`). */
export type Refusal = { ok: false; code: string; msg: string };

/** Argument checks that answer `ack ok:false` with code `schema` (wrong type) or `range`. */
export const arg = {
  bool(args: ValueMap, name: string): boolean | Refusal {
    const v = args[name];
    return typeof v === 'boolean' ? v : { ok: false, code: 'schema', msg: `args.${name} must be true or false` };
  },
  number(args: ValueMap, name: string, min: number, max: number, unit: string): number | Refusal {
    const v = args[name];
    if (typeof v !== 'number' || Number.isNaN(v)) return { ok: false, code: 'schema', msg: `args.${name} must be a number (${unit})` };
    if (v < min || v > max) return { ok: false, code: 'range', msg: `args.${name} = ${v} ${unit} is outside [${min}, ${max}]` };
    return v;
  },
  oneOf<T extends string>(args: ValueMap, name: string, allowed: readonly T[]): T | Refusal {
    const v = args[name];
    // A missing or non-text value is a wrong type (`schema`); unknown text is out of range.
    if (typeof v !== 'string') return { ok: false, code: 'schema', msg: `args.${name} must be text, one of ${allowed.join(', ')}` };
    return (allowed as readonly string[]).includes(v) ? (v as T) : { ok: false, code: 'range', msg: `args.${name} must be one of ${allowed.join(', ')}` };
  },
};

/** True when an `arg.*` check failed (its result is the refusal to return). */
export const refused = (x: unknown): x is Refusal => typeof x === 'object' && x !== null && 'ok' in x;
