/**
 * One satellite's physical world: orbit, Sun and eclipse, attitude, power, thermal and
 * radiation combined into a single immutable state, advanced by `stepWorld`.
 *
 * Everything is a function of (state, inputs, dt, rng): no clocks, no Math.random. The same
 * config, the same input sequence and an rng with the same seed give identical states.
 */
import { createAttitude, DEFAULT_ATTITUDE_CONFIG, panelIncidence, stepAttitude, type AdcsMode, type AttitudeConfig, type AttitudeState } from './attitude.js';
import { createOrbit, DEFAULT_ORBIT, inEclipse, positionEci, subSatellitePoint, sunDirectionEci, velocityEci, type Orbit, type OrbitElements } from './orbit.js';
import { createPowerState, DEFAULT_POWER_CONFIG, stepPower, type PowerConfig, type PowerState, type SheddableLoad } from './power.js';
import { DEFAULT_RADIATION_CONFIG, doseRateUGyH, type RadiationConfig } from './radiation.js';
import { createRng, type Rng } from './rng.js';
import { createThermalModel, createThermalState, DEFAULT_THERMAL_CONFIG, environmentFluxes, stepThermal, type ThermalConfig, type ThermalNode, type ThermalState } from './thermal.js';
import { DEG, normalize, type Vec3 } from './vec.js';

export interface SunConfig {
  /** Day of the year at t = 0 (fractional); the Sun then moves ~1°/day. Default 80 (March equinox). */
  dayOfYear: number;
  /** A fixed ECI Sun direction instead (normalised); null = use dayOfYear. Default null. */
  fixedEci: Vec3 | null;
}

export interface WorldConfig {
  /** Seeds the initial attitude and tumble. Default 1. */
  seed: number;
  /**
   * Default 500 km, 97.4°, RAAN 0°, phase 0°. With the default Sun (March equinox, along ECI +x)
   * this plane is noon–midnight, beta ≈ 0: the longest eclipses (~36 min of each 94.6 min).
   * Use raanDeg 90 for a dawn–dusk orbit with almost no eclipse.
   */
  orbit: OrbitElements;
  /** Greenwich's angle from ECI x at t = 0, degrees. Default 0. */
  gmst0Deg: number;
  sun: SunConfig;
  /** Defaults: DEFAULT_POWER_CONFIG (0.06 m² at 28 %, 2S 38 Wh pack, loads in power.ts). */
  power: PowerConfig;
  /** Defaults: DEFAULT_THERMAL_CONFIG (3U, four nodes). */
  thermal: ThermalConfig;
  /** Defaults: DEFAULT_ATTITUDE_CONFIG (3°/s tumble, detumble τ 300 s, pointing τ 60 s). */
  attitude: AttitudeConfig;
  radiation: RadiationConfig;
  initial: {
    /** State of charge at t = 0. Default 0.8. */
    soc: number;
    /** All thermal nodes at t = 0, °C. Default 20. */
    temperatureC: number;
  };
}

export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
export type WorldConfigInput = DeepPartial<WorldConfig>;

export const DEFAULT_WORLD_CONFIG: Readonly<WorldConfig> = deepFreeze({
  seed: 1,
  orbit: { ...DEFAULT_ORBIT },
  gmst0Deg: 0,
  sun: { dayOfYear: 80, fixedEci: null },
  power: DEFAULT_POWER_CONFIG,
  thermal: DEFAULT_THERMAL_CONFIG,
  attitude: { ...DEFAULT_ATTITUDE_CONFIG },
  radiation: { ...DEFAULT_RADIATION_CONFIG },
  initial: { soc: 0.8, temperatureC: 20 },
});

/** Physical faults (sensor faults belong to the device models). */
export interface WorldFaults {
  /** Shorted battery cells, 0..seriesCells−1: less capacity and voltage. */
  cellLoss: number;
  /** Heater relay welded on. */
  heaterStuckOn: boolean;
  /** Fraction of the solar array lost, 0..1. */
  solarArrayLoss: number;
  /** Reaction wheels dead: pointing modes only damp rates, they cannot point. */
  wheelsFailed: boolean;
  /** Extra heat dissipated in a node, W (a short circuit, a latched-up payload: thermal runaway). */
  extraHeatW: Partial<Record<ThermalNode, number>>;
  /** A short on the power bus drawing this much, W (its heat is dumped to the structure, not to a node). */
  leakW: number;
}

/** Actuator settings as the devices last applied them, plus fault flags. */
export interface WorldInputs {
  payloadOn: boolean;
  /** 0..1. */
  payloadDuty: number;
  heaterOn: boolean;
  adcsMode: AdcsMode;
  /** Flight-computer load 0..1. */
  obcCpu: number;
  radioTransmitting: boolean;
  /** Loads switched off at the EPS (true = shed). */
  shed?: Partial<Record<SheddableLoad, boolean>>;
  faults?: Partial<WorldFaults>;
}

/** Everything off, ADCS idle, no faults. */
export function defaultInputs(): WorldInputs {
  return { payloadOn: false, payloadDuty: 0, heaterOn: false, adcsMode: 'idle', obcCpu: 0.2, radioTransmitting: false };
}

export interface SatelliteWorld {
  readonly config: Readonly<WorldConfig>;
  readonly orbit: Orbit;
  /** Seconds since the epoch. */
  readonly tS: number;
  /** ECI position, m. */
  readonly posEci: Readonly<Vec3>;
  /** ECI velocity, m/s. */
  readonly velEci: Readonly<Vec3>;
  /** Unit vector to the Sun, ECI. */
  readonly sunEci: Readonly<Vec3>;
  /** Not in Earth's shadow. */
  readonly lit: boolean;
  /** Sub-satellite point (geocentric, spherical Earth), rad; altitude above R_EARTH, m. */
  readonly latRad: number;
  readonly lonRad: number;
  readonly altitudeM: number;
  /** Solar-panel incidence factor 0..1 used by the power model. */
  readonly sunIncidence: number;
  readonly attitude: AttitudeState;
  readonly power: PowerState;
  readonly thermal: ThermalState;
  /** Noise-free dose rate here, µGy/h. */
  readonly doseRateUGyH: number;
  /** Dose accumulated since t = 0, µGy. */
  readonly doseUGy: number;
}

export function resolveWorldConfig(input: WorldConfigInput = {}): Readonly<WorldConfig> {
  const cfg = deepMerge(DEFAULT_WORLD_CONFIG, input) as WorldConfig;
  validate(cfg);
  if (cfg.sun.fixedEci) cfg.sun.fixedEci = normalize(cfg.sun.fixedEci);
  return deepFreeze(cfg);
}

export function createWorld(input: WorldConfigInput = {}): SatelliteWorld {
  const config = resolveWorldConfig(input);
  const orbit = createOrbit(config.orbit);
  const g = geometryAt(config, orbit, 0);
  const attitude = createAttitude(config.attitude, createRng(config.seed));
  return {
    config,
    orbit,
    tS: 0,
    ...g,
    sunIncidence: panelIncidence(attitude, g.sunEci, g.lit),
    attitude,
    power: createPowerState(config.power, config.initial.soc),
    thermal: createThermalState(createThermalModel(config.thermal), config.initial.temperatureC),
    doseRateUGyH: doseRateUGyH(g.latRad, g.lonRad, config.radiation),
    doseUGy: 0,
  };
}

/** Where the satellite is at time t, and what that means for light and ground track. */
function geometryAt(config: Readonly<WorldConfig>, orbit: Orbit, tS: number) {
  const posEci = positionEci(orbit, tS);
  const velEci = velocityEci(orbit, tS);
  const sunEci = sunAt(config, tS);
  const lit = !inEclipse(posEci, sunEci);
  const geo = subSatellitePoint(posEci, tS, config.gmst0Deg * DEG);
  return { posEci, velEci, sunEci, lit, latRad: geo.latRad, lonRad: geo.lonRad, altitudeM: geo.altitudeM };
}

function sunAt(config: Readonly<WorldConfig>, tS: number): Vec3 {
  const fixed = config.sun.fixedEci;
  return fixed ? [fixed[0], fixed[1], fixed[2]] : sunDirectionEci(config.sun.dayOfYear + tS / 86400);
}

/**
 * Advance one satellite by dtS seconds (finite, ≥ 0; any size, the thermal model sub-steps).
 * The orbit is analytic at the new time; attitude, power, thermal and dose integrate over dt
 * with the inputs held constant. `rng` feeds the idle rate drift only.
 */
export function stepWorld(state: SatelliteWorld, inputs: WorldInputs, dtS: number, rng: Rng): SatelliteWorld {
  if (!(dtS >= 0) || dtS === Infinity) throw new RangeError(`stepWorld: dt must be a finite number ≥ 0 s, got ${dtS}`);
  const { config, orbit } = state;
  const tS = state.tS + dtS;
  const faults = inputs.faults;
  const shed = inputs.shed;

  const g = geometryAt(config, orbit, tS);
  const { posEci, velEci, sunEci, lit } = g;

  const attitude = stepAttitude(
    state.attitude,
    { mode: inputs.adcsMode, powered: !shed?.adcs, wheelsFailed: faults?.wheelsFailed === true },
    { sunEci, posEci, velEci },
    dtS,
    rng,
  );
  const sunIncidence = panelIncidence(attitude, sunEci, lit);

  const power = stepPower(
    state.power,
    {
      sunIncidence,
      payloadOn: inputs.payloadOn,
      payloadDuty: inputs.payloadDuty,
      heaterOn: inputs.heaterOn,
      radioTransmitting: inputs.radioTransmitting,
      obcCpu: inputs.obcCpu,
      adcsMode: inputs.adcsMode,
      shed,
      cellLoss: faults?.cellLoss,
      heaterStuckOn: faults?.heaterStuckOn,
      solarArrayLoss: faults?.solarArrayLoss,
      leakW: faults?.leakW,
    },
    dtS,
  );

  // Loads dissipate what they actually receive; in a brownout they get only part of it.
  const k = power.supplyRatio;
  const l = power.loads;
  const env = environmentFluxes(posEci, sunEci, lit);
  const thermal = stepThermal(
    state.thermal,
    {
      solarW_m2: env.solarW_m2,
      earthIrW_m2: env.earthIrW_m2,
      albedoW_m2: env.albedoW_m2,
      obcW: k * (l.obcW + l.adcsW + l.epsW) + (faults?.extraHeatW?.obc ?? 0),
      batteryW: k * l.heaterW + power.batteryHeatW + (faults?.extraHeatW?.battery ?? 0),
      payloadW: k * l.payloadW + (faults?.extraHeatW?.payload ?? 0),
      radioW: k * l.radioW + (faults?.extraHeatW?.radio ?? 0),
    },
    dtS,
  );

  const doseRate = doseRateUGyH(g.latRad, g.lonRad, config.radiation);
  return {
    config,
    orbit,
    tS,
    ...g,
    sunIncidence,
    attitude,
    power,
    thermal,
    doseRateUGyH: doseRate,
    // Trapezoid over the step; the rate is per hour.
    doseUGy: state.doseUGy + ((state.doseRateUGyH + doseRate) / 2) * (dtS / 3600),
  };
}

function validate(cfg: WorldConfig): void {
  const bad = (path: string, what: string): never => {
    throw new RangeError(`world config: ${path} must be ${what}`);
  };
  const checkFinite = (v: unknown, path: string): void => {
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) bad(path, 'a finite number');
    } else if (Array.isArray(v)) v.forEach((x, i) => checkFinite(x, `${path}[${i}]`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) checkFinite(x, path ? `${path}.${k}` : k);
  };
  checkFinite(cfg, '');
  const b = cfg.power.battery;
  if (!(b.capacityWh > 0)) bad('power.battery.capacityWh', '> 0 Wh');
  if (!(Number.isInteger(b.seriesCells) && b.seriesCells >= 1)) bad('power.battery.seriesCells', 'an integer ≥ 1');
  if (!(b.chargeEfficiency > 0 && b.chargeEfficiency <= 1)) bad('power.battery.chargeEfficiency', 'in (0, 1]');
  if (!(b.dischargeEfficiency > 0 && b.dischargeEfficiency <= 1)) bad('power.battery.dischargeEfficiency', 'in (0, 1]');
  if (!(b.internalResistanceOhm >= 0)) bad('power.battery.internalResistanceOhm', '≥ 0 Ω');
  if (!(b.maxChargeW >= 0) || !(b.maxDischargeW >= 0)) bad('power.battery.maxChargeW/maxDischargeW', '≥ 0 W');
  if (b.cellOcvCurve.length < 2) bad('power.battery.cellOcvCurve', 'at least two [soc, volts] points');
  if (!(cfg.power.solar.areaM2 >= 0)) bad('power.solar.areaM2', '≥ 0 m²');
  if (!(cfg.power.solar.efficiency >= 0 && cfg.power.solar.efficiency <= 1)) bad('power.solar.efficiency', 'in [0, 1]');
  const a = cfg.attitude;
  for (const k of ['detumbleTauS', 'pointingTauS', 'wheelTauS'] as const) if (!(a[k] > 0)) bad(`attitude.${k}`, '> 0 s');
  if (!(cfg.initial.soc >= 0 && cfg.initial.soc <= 1)) bad('initial.soc', 'in [0, 1]');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A fresh deep copy of `base` with `patch`'s defined leaves written over it (arrays replace). */
function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base)) return patch === undefined ? clone(base) : clone(patch);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) out[k] = clone(v);
  if (isPlainObject(patch)) {
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k], v) : clone(v);
    }
  }
  return out;
}

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (isPlainObject(v)) return deepMerge(v, undefined);
  return v;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
