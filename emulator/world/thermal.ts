/**
 * Lumped-parameter thermal model: four nodes (obc, battery, payload, radio), each a single
 * temperature with a heat capacity, an outside-facing area that absorbs sunlight, Earth IR and
 * albedo and radiates to deep space, conductive links to the other nodes, and internal
 * dissipation from its electrical loads. Each node includes its share of the structure; the
 * deployed solar panels are thermally separate. Temperatures are °C in the state, kelvin inside.
 *
 * Simplifications: attitude-independent absorbed sunlight (a convex body averages a projected
 * area of total area / 4, `sunProjectedFraction`), Earth seen through the view factor of a sphere,
 * albedo scaled by the cosine of the Sun's zenith angle under the satellite, no node-to-node
 * radiation, and all electrical power ends as heat in the node that consumes it.
 */
import { R_EARTH } from './orbit.js';
import { SOLAR_CONSTANT } from './power.js';
import type { Vec3 } from './vec.js';

export const STEFAN_BOLTZMANN = 5.670374419e-8; // W/(m²·K⁴)
export const T_SPACE_K = 2.7;
export const ZERO_CELSIUS_K = 273.15;
/** Earth's outgoing long-wave flux at the top of the atmosphere, W/m² (global mean). */
export const EARTH_IR_W_M2 = 237;
/** Earth's Bond albedo. */
export const EARTH_ALBEDO = 0.3;

export type ThermalNode = 'obc' | 'battery' | 'payload' | 'radio';
export const THERMAL_NODES: readonly ThermalNode[] = Object.freeze(['obc', 'battery', 'payload', 'radio']);
export type ThermalCoupling = 'obc_battery' | 'obc_payload' | 'obc_radio' | 'battery_payload' | 'battery_radio' | 'payload_radio';

export interface ThermalNodeConfig {
  /** Heat capacity m·c, J/K. */
  heatCapacityJPerK: number;
  /** Outside-facing area, m² (radiates to space, absorbs Sun and Earth). */
  areaM2: number;
  /** Solar absorptivity α, 0..1. */
  absorptivity: number;
  /** Infrared emissivity ε, 0..1 (also the IR absorptivity, Kirchhoff). */
  emissivity: number;
}

export interface ThermalConfig {
  nodes: Record<ThermalNode, ThermalNodeConfig>;
  /** Conductance between node pairs, W/K. */
  couplingsWPerK: Record<ThermalCoupling, number>;
  /** Mean projected area facing the Sun as a fraction of the outside area. Default 0.25. */
  sunProjectedFraction: number;
}

/** A 3U cubesat: 0.13 m² of outside area split among the nodes, black-ish anodised/solar-cell finish. */
export const DEFAULT_THERMAL_CONFIG: ThermalConfig = {
  nodes: {
    obc: { heatCapacityJPerK: 250, areaM2: 0.03, absorptivity: 0.7, emissivity: 0.75 },
    battery: { heatCapacityJPerK: 400, areaM2: 0.02, absorptivity: 0.7, emissivity: 0.75 },
    payload: { heatCapacityJPerK: 600, areaM2: 0.05, absorptivity: 0.7, emissivity: 0.75 },
    radio: { heatCapacityJPerK: 200, areaM2: 0.03, absorptivity: 0.7, emissivity: 0.75 },
  },
  couplingsWPerK: {
    obc_battery: 0.3,
    obc_payload: 0.3,
    obc_radio: 0.3,
    battery_payload: 0.2,
    battery_radio: 0.1,
    payload_radio: 0.2,
  },
  sunProjectedFraction: 0.25,
};

/** Precomputed coefficients (built once from a config). */
export interface ThermalModel {
  readonly config: ThermalConfig;
  /** Per node, in THERMAL_NODES order. */
  readonly heatCapacity: Float64Array;
  readonly emissivityArea: Float64Array;
  readonly absorptivityArea: Float64Array;
  /** 4×4 symmetric conductance matrix, row-major, zero diagonal. */
  readonly conductance: Float64Array;
  /** Largest explicit-Euler sub-step that is stable, s. */
  readonly maxSubstepS: number;
}

export interface ThermalState {
  readonly model: ThermalModel;
  readonly obcC: number;
  readonly batteryC: number;
  readonly payloadC: number;
  readonly radioC: number;
}

export interface ThermalInputs {
  /** Direct sunlight at the satellite, W/m² (0 in eclipse). */
  solarW_m2: number;
  /** Earth IR reaching the body, W/m² of outside area (already × view factor). */
  earthIrW_m2: number;
  /** Albedo reaching the body, W/m² of outside area (already × view factor). */
  albedoW_m2: number;
  /** Internal dissipation per node, W (battery: heater + I²R). */
  obcW: number;
  batteryW: number;
  payloadW: number;
  radioW: number;
}

export function createThermalModel(config: ThermalConfig): ThermalModel {
  const c = new Float64Array(4);
  const ea = new Float64Array(4);
  const aa = new Float64Array(4);
  const g = new Float64Array(16);
  THERMAL_NODES.forEach((name, i) => {
    const n = config.nodes[name];
    if (!(n.heatCapacityJPerK > 0)) throw new RangeError(`thermal.nodes.${name}.heatCapacityJPerK must be > 0`);
    if (!(n.areaM2 >= 0)) throw new RangeError(`thermal.nodes.${name}.areaM2 must be ≥ 0`);
    c[i] = n.heatCapacityJPerK;
    ea[i] = n.emissivity * n.areaM2;
    aa[i] = n.absorptivity * n.areaM2;
  });
  for (const [key, value] of Object.entries(config.couplingsWPerK)) {
    const [a, b] = key.split('_') as [ThermalNode, ThermalNode];
    const i = THERMAL_NODES.indexOf(a);
    const j = THERMAL_NODES.indexOf(b);
    if (i < 0 || j < 0 || !(value >= 0)) throw new RangeError(`thermal.couplingsWPerK.${key} must be ≥ 0 W/K`);
    g[i * 4 + j] = value;
    g[j * 4 + i] = value;
  }
  // Explicit Euler on node i is stable while h < 2·C_i / (Σ_j G_ij + 4εσA·T³) (the linearised
  // loss rate). Use half of that with T = 600 K, far above anything reachable, as the sub-step.
  let h = Infinity;
  for (let i = 0; i < 4; i++) {
    let k = 4 * STEFAN_BOLTZMANN * ea[i]! * 600 ** 3;
    for (let j = 0; j < 4; j++) k += g[i * 4 + j]!;
    if (k > 0) h = Math.min(h, c[i]! / k);
  }
  return { config, heatCapacity: c, emissivityArea: ea, absorptivityArea: aa, conductance: g, maxSubstepS: h };
}

/** All nodes at one temperature, °C. */
export function createThermalState(model: ThermalModel, temperatureC: number): ThermalState {
  return { model, obcC: temperatureC, batteryC: temperatureC, payloadC: temperatureC, radioC: temperatureC };
}

/** View factor from a small sphere at radius r to the Earth: (1 − √(1 − (R/r)²)) / 2. */
export function earthViewFactor(radiusM: number): number {
  const x = R_EARTH / radiusM;
  return x >= 1 ? 0.5 : 0.5 * (1 - Math.sqrt(1 - x * x));
}

/** Sun, Earth IR and albedo fluxes for the thermal inputs, W/m². */
export function environmentFluxes(
  posEci: Readonly<Vec3>,
  sunUnit: Readonly<Vec3>,
  lit: boolean,
): { solarW_m2: number; earthIrW_m2: number; albedoW_m2: number } {
  const r = Math.sqrt(posEci[0] * posEci[0] + posEci[1] * posEci[1] + posEci[2] * posEci[2]);
  const f = earthViewFactor(r);
  const cosZenith = (posEci[0] * sunUnit[0] + posEci[1] * sunUnit[1] + posEci[2] * sunUnit[2]) / r;
  return {
    solarW_m2: lit ? SOLAR_CONSTANT : 0,
    earthIrW_m2: EARTH_IR_W_M2 * f,
    albedoW_m2: cosZenith > 0 ? EARTH_ALBEDO * SOLAR_CONSTANT * f * cosZenith : 0,
  };
}

// Scratch storage: the step is synchronous, so one set suffices.
const T = new Float64Array(4);
const Q = new Float64Array(4);
const P = new Float64Array(4);

/**
 * Advance temperatures by dtSeconds. Explicit Euler, split into equal sub-steps no longer than
 * model.maxSubstepS: a single large step would overshoot (and could oscillate without bound)
 * once dt exceeds the nodes' thermal time constant against their conductances. With the
 * defaults the limit is ~100 s, so dt ≤ 10 s costs one sub-step.
 */
export function stepThermal(state: ThermalState, inputs: ThermalInputs, dtSeconds: number): ThermalState {
  const m = state.model;
  const dt = dtSeconds > 0 ? dtSeconds : 0;
  T[0] = state.obcC + ZERO_CELSIUS_K;
  T[1] = state.batteryC + ZERO_CELSIUS_K;
  T[2] = state.payloadC + ZERO_CELSIUS_K;
  T[3] = state.radioC + ZERO_CELSIUS_K;
  P[0] = inputs.obcW;
  P[1] = inputs.batteryW;
  P[2] = inputs.payloadW;
  P[3] = inputs.radioW;
  const sun = inputs.solarW_m2 * m.config.sunProjectedFraction + inputs.albedoW_m2;
  const ir = inputs.earthIrW_m2;
  const space4 = T_SPACE_K ** 4;
  // Constant external + internal heat per node (does not depend on T within the step).
  for (let i = 0; i < 4; i++) {
    Q[i] = m.absorptivityArea[i]! * sun + m.emissivityArea[i]! * (ir + STEFAN_BOLTZMANN * space4) + P[i]!;
  }
  const n = dt > 0 ? Math.ceil(dt / m.maxSubstepS) : 0;
  const h = n > 0 ? dt / n : 0;
  const g = m.conductance;
  for (let s = 0; s < n; s++) {
    const t0 = T[0]!;
    const t1 = T[1]!;
    const t2 = T[2]!;
    const t3 = T[3]!;
    for (let i = 0; i < 4; i++) {
      const ti = T[i]!;
      const row = i * 4;
      const cond = g[row]! * (t0 - ti) + g[row + 1]! * (t1 - ti) + g[row + 2]! * (t2 - ti) + g[row + 3]! * (t3 - ti);
      const t2i = ti * ti;
      const flow = Q[i]! - m.emissivityArea[i]! * STEFAN_BOLTZMANN * t2i * t2i + cond;
      const next = ti + (h * flow) / m.heatCapacity[i]!;
      T[i] = next > T_SPACE_K ? next : T_SPACE_K;
    }
  }
  return {
    model: m,
    obcC: T[0]! - ZERO_CELSIUS_K,
    batteryC: T[1]! - ZERO_CELSIUS_K,
    payloadC: T[2]! - ZERO_CELSIUS_K,
    radioC: T[3]! - ZERO_CELSIUS_K,
  };
}
