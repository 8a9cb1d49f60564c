import { z } from 'zod';

/**
 * The scenario file (YAML or JSON): constellation, duration, seed, radio, agents'
 * configuration and a fault timeline. Validated once, with errors that name the bad field
 * and what it allows. Units are in the field names.
 */
const satId = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a satellite id: letters, digits, _ . -');

export const FAULT_KINDS = [
  'sensor_stuck', 'bias_drift', 'noise_burst', 'dropout', 'actuator_refuses', 'actuator_stuck',
  'battery_cell_loss', 'heater_stuck_on', 'thermal_runaway', 'power_leak', 'solar_array_loss', 'radio_outage', 'power_off',
  'partition', 'isl_loss',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults that name a device in `params.dev`. */
export const DEVICE_FAULTS: readonly FaultKind[] = ['sensor_stuck', 'bias_drift', 'noise_burst', 'dropout', 'actuator_refuses', 'actuator_stuck'];
/** Faults that apply to the whole network rather than one satellite. */
export const NETWORK_FAULTS: readonly FaultKind[] = ['partition', 'isl_loss'];

export const faultSchema = z
  .object({
    at_s: z.number().min(0),
    /** A satellite id, `"*"` for every satellite, or `"leader"` (resolved by the runner). */
    sat: z.union([satId, z.literal('*'), z.literal('leader')]).optional(),
    fault: z.enum(FAULT_KINDS),
    params: z.record(z.string(), z.unknown()).default({}),
    until_s: z.number().min(0).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.until_s !== undefined && f.until_s <= f.at_s) ctx.addIssue({ code: 'custom', path: ['until_s'], message: `must be after at_s (${f.at_s})` });
    const network = NETWORK_FAULTS.includes(f.fault);
    if (!network && f.sat === undefined) ctx.addIssue({ code: 'custom', path: ['sat'], message: `fault ${f.fault} needs a sat (an id, "*" or "leader")` });
    if (DEVICE_FAULTS.includes(f.fault) && typeof f.params.dev !== 'string') {
      ctx.addIssue({ code: 'custom', path: ['params', 'dev'], message: `fault ${f.fault} needs params.dev (a device id such as "imu")` });
    }
    if (f.fault === 'partition') {
      const g = f.params.groups;
      if (!Array.isArray(g) || g.length < 1 || !g.every((x) => Array.isArray(x) && x.every((s) => typeof s === 'string'))) {
        ctx.addIssue({ code: 'custom', path: ['params', 'groups'], message: 'partition needs params.groups: a list of lists of satellite ids' });
      }
    }
    if (f.fault === 'isl_loss') {
      const p = f.params.probability;
      if (typeof p !== 'number' || p < 0 || p > 1) ctx.addIssue({ code: 'custom', path: ['params', 'probability'], message: 'isl_loss needs params.probability in [0, 1]' });
    }
  });
export type FaultSpec = z.infer<typeof faultSchema>;

export const scenarioSchema = z
  .object({
    /** Default: the file's base name when loaded from a file (load.ts), else 'scenario'. */
    name: z.string().min(1).default('scenario'),
    description: z.string().default(''),
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    /** Virtual time to run, seconds. Default one orbit at 500 km (≈ 95 min). */
    duration_s: z.number().positive().max(30 * 86400).default(5700),
    constellation: z
      .object({
        count: z.number().int().min(1).max(1000).default(5),
        planes: z.number().int().min(1).default(1),
        altitude_km: z.number().min(160).max(36000).default(500),
        inclination_deg: z.number().min(0).max(180).default(97.4),
        /** Angle between neighbours in a plane, degrees (a "train" keeps them in radio range). */
        phase_spacing_deg: z.number().min(0).max(360).default(4),
        raan_spacing_deg: z.number().min(0).max(360).default(2),
        id_prefix: z.string().default('SAT-'),
      })
      .strict()
      .default({ count: 5, planes: 1, altitude_km: 500, inclination_deg: 97.4, phase_spacing_deg: 4, raan_spacing_deg: 2, id_prefix: 'SAT-' }),
    ground_station: z
      .object({
        id: z.string().default('GROUND'),
        lat_deg: z.number().min(-90).max(90),
        lon_deg: z.number().min(-180).max(180),
        elevation_mask_deg: z.number().min(0).max(90).default(10),
      })
      .strict()
      .optional(),
    radio: z
      .object({
        bit_rate: z.number().positive().default(9600),
        queue_bytes: z.number().int().positive().default(2048),
        latency_min_ms: z.number().min(0).default(50),
        latency_max_ms: z.number().min(0).default(100),
        loss_probability: z.number().min(0).max(1).default(0),
      })
      .strict()
      .refine((r) => r.latency_max_ms >= r.latency_min_ms, { path: ['latency_max_ms'], message: 'must be >= latency_min_ms' })
      .default({ bit_rate: 9600, queue_bytes: 2048, latency_min_ms: 50, latency_max_ms: 100, loss_probability: 0 }),
    /** World step, seconds (orbit, power, thermal, attitude integrate at this step). */
    world_step_s: z.number().positive().max(10).default(1),
    /** Hardware watchdog period announced to each agent, ms. */
    watchdog_ms: z.number().int().min(100).default(2000),
    /** Passed to every agent (validated by the agent itself). */
    agent: z.record(z.string(), z.unknown()).default({}),
    faults: z.array(faultSchema).default([]),
  })
  .strict()
  .superRefine((s, ctx) => {
    const ids = new Set(satIds(s.constellation.count, s.constellation.id_prefix));
    s.faults.forEach((f, i) => {
      const has = `this scenario has ${[...ids].slice(0, 3).join(', ')}${ids.size > 3 ? ', …' : ''}`;
      if (f.sat && f.sat !== '*' && f.sat !== 'leader' && !ids.has(f.sat)) {
        ctx.addIssue({ code: 'custom', path: ['faults', i, 'sat'], message: `no satellite ${f.sat} (${has})` });
      }
      // A partition naming a satellite that does not exist would silently split nothing.
      if (f.fault === 'partition' && Array.isArray(f.params.groups)) {
        const unknown = (f.params.groups as unknown[]).flat().filter((x) => typeof x === 'string' && !ids.has(x));
        if (unknown.length > 0) {
          ctx.addIssue({ code: 'custom', path: ['faults', i, 'params', 'groups'], message: `no satellite ${unknown.join(', ')} (${has})` });
        }
      }
    });
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

export function satIds(count: number, prefix = 'SAT-'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
}
