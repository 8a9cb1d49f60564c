/**
 * Electrical power: a solar array, a Li-ion battery pack and the satellite's loads.
 *
 * Energy bookkeeping is done at the battery's terminals: stored energy changes by
 * chargeEfficiency × (charging power) or −(discharging power) / dischargeEfficiency. The
 * internal resistance only shapes the terminal voltage (and the I²R heat reported for the
 * thermal model); its energy loss is counted inside the efficiencies. Solar power the battery
 * cannot take (full, or above the charge limit) is shunted. If the battery cannot cover the
 * load (empty, or above the discharge limit) the step reports `brownout` and `supplyRatio` < 1;
 * what a brownout does to the devices is for the device models to decide.
 */
import type { AdcsMode } from './attitude.js';

/** Solar constant at 1 AU, W/m². */
export const SOLAR_CONSTANT = 1361;

export interface SolarArrayConfig {
  /** Cell area on the +Z panel, m². Default 0.06 (3U with deployables). */
  areaM2: number;
  /** Cell efficiency, 0..1. Default 0.28 (triple junction). */
  efficiency: number;
}

export interface BatteryConfig {
  /** Cells in series. Default 2 (a 2S pack, 6.0–8.4 V). */
  seriesCells: number;
  /** Capacity of the healthy pack, Wh. Default 38 (2S2P 18650). */
  capacityWh: number;
  /** Pack internal resistance, Ω. Default 0.15. */
  internalResistanceOhm: number;
  /** Max charging power at the terminals, W. Default 20. */
  maxChargeW: number;
  /** Max discharging power at the terminals, W. Default 40. */
  maxDischargeW: number;
  /** Fraction of charging power that ends up stored. Default 0.95. */
  chargeEfficiency: number;
  /** Fraction of stored energy drawn that reaches the terminals. Default 0.97. */
  dischargeEfficiency: number;
  /** Open-circuit voltage of one cell vs state of charge: [soc, volts] with soc ascending 0..1. */
  cellOcvCurve: ReadonlyArray<readonly [number, number]>;
}

export interface LoadConfig {
  /** Payload at 100 % duty, W (it draws payloadW × duty when on). Default 6. */
  payloadW: number;
  /** Battery heater when on, W. Default 2. */
  heaterW: number;
  /** Radio while transmitting, W. Default 4. */
  radioTxW: number;
  /** Radio receiving / idle, W. Default 0.3. */
  radioIdleW: number;
  /** Flight computer at cpu 0, W. Default 1.2. */
  obcBaseW: number;
  /** Extra flight-computer power at cpu 1, W (linear in cpu). Default 2.5. */
  obcPerCpuW: number;
  /** EPS's own consumption, W. Default 0.2. */
  epsW: number;
  /** ADCS consumption per mode, W. Defaults: detumble 0.6, sun_point 1.2, nadir 1.2, idle 0.15. */
  adcsW: Readonly<Record<AdcsMode, number>>;
}

export interface PowerConfig {
  solar: SolarArrayConfig;
  battery: BatteryConfig;
  loads: LoadConfig;
}

export const DEFAULT_POWER_CONFIG: PowerConfig = {
  solar: { areaM2: 0.06, efficiency: 0.28 },
  battery: {
    seriesCells: 2,
    capacityWh: 38,
    internalResistanceOhm: 0.15,
    maxChargeW: 20,
    maxDischargeW: 40,
    chargeEfficiency: 0.95,
    dischargeEfficiency: 0.97,
    // Typical Li-ion (NMC) cell: 3.0 V empty, 4.2 V full, a flat middle; 2S → 6.0–8.4 V.
    cellOcvCurve: [
      [0, 3.0],
      [0.05, 3.3],
      [0.1, 3.45],
      [0.2, 3.56],
      [0.4, 3.68],
      [0.6, 3.8],
      [0.8, 3.96],
      [0.9, 4.06],
      [1, 4.2],
    ],
  },
  loads: {
    payloadW: 6,
    heaterW: 2,
    radioTxW: 4,
    radioIdleW: 0.3,
    obcBaseW: 1.2,
    obcPerCpuW: 2.5,
    epsW: 0.2,
    adcsW: { detumble: 0.6, sun_point: 1.2, nadir: 1.2, idle: 0.15 },
  },
};

/** Loads the EPS can switch off (`shed`). The flight computer and the EPS itself cannot be. */
export type SheddableLoad = 'payload' | 'heater' | 'radio' | 'adcs';

export interface PowerInputs {
  /** Panel incidence factor 0..1 (cos of the Sun angle; 0 in eclipse). */
  sunIncidence: number;
  payloadOn: boolean;
  /** Payload duty cycle 0..1 (clamped). */
  payloadDuty: number;
  heaterOn: boolean;
  radioTransmitting: boolean;
  /** Flight-computer load 0..1 (clamped). */
  obcCpu: number;
  adcsMode: AdcsMode;
  /** Loads switched off at the EPS; a shed load draws nothing. */
  shed?: Readonly<Partial<Record<SheddableLoad, boolean>>>;
  /** Fault: number of shorted cells (0..seriesCells−1). Each removes one cell's voltage and share of capacity. */
  cellLoss?: number;
  /** Fault: heater relay welded on; the heater heats whatever heaterOn says (shedding its line still cuts it). */
  heaterStuckOn?: boolean;
  /** Fault: fraction of the solar array lost, 0..1 (e.g. a panel that did not deploy). */
  solarArrayLoss?: number;
  /** Fault: a short or latched-up part drawing this much from the bus, W. */
  leakW?: number;
}

/** Power demanded per load, W. */
export interface LoadBreakdown {
  readonly obcW: number;
  readonly payloadW: number;
  readonly heaterW: number;
  readonly radioW: number;
  readonly adcsW: number;
  readonly epsW: number;
  /** A fault's draw (short, latch-up), W. */
  readonly leakW: number;
}

export interface PowerState {
  readonly config: PowerConfig;
  /** State of charge, always in [0, 1]. */
  readonly soc: number;
  /** Terminal voltage, V: OCV − R·I. */
  readonly battV: number;
  /** Battery current, A: positive = discharging, negative = charging. */
  readonly battA: number;
  /** Power at the battery terminals, W: positive = discharging. */
  readonly batteryW: number;
  /** Power the array generates, W (before any shunting). */
  readonly solarW: number;
  /** Total load demanded, W. */
  readonly loadW: number;
  readonly loads: LoadBreakdown;
  /** Solar power dumped because the battery could not take it, W. */
  readonly shuntW: number;
  /** Fraction of the demanded load actually supplied, 0..1 (1 unless browned out). */
  readonly supplyRatio: number;
  readonly brownout: boolean;
  /** Heat from the battery's internal resistance, W (for the thermal model). */
  readonly batteryHeatW: number;
  /** Whether the heater is actually powered (command or stuck relay, and not shed). */
  readonly heaterActive: boolean;
}

const clamp01 = (x: number): number => (x > 0 ? (x < 1 ? x : 1) : 0); // NaN → 0

function lostCells(cfg: BatteryConfig, cellLoss: number | undefined): number {
  const n = cellLoss ?? 0;
  return n > 0 ? Math.min(n, cfg.seriesCells - 1) : 0;
}

/** One cell's open-circuit voltage at a state of charge, V (piecewise-linear). */
export function cellOcv(curve: BatteryConfig['cellOcvCurve'], soc: number): number {
  const s = clamp01(soc);
  let prev = curve[0];
  if (!prev) return 0;
  for (let i = 1; i < curve.length; i++) {
    const cur = curve[i]!;
    if (s <= cur[0]) {
      const span = cur[0] - prev[0];
      return span > 0 ? prev[1] + ((s - prev[0]) / span) * (cur[1] - prev[1]) : cur[1];
    }
    prev = cur;
  }
  return prev[1];
}

/** Pack open-circuit voltage, V, with `cellLoss` shorted cells. */
export function packOcv(cfg: BatteryConfig, soc: number, cellLoss = 0): number {
  return cellOcv(cfg.cellOcvCurve, soc) * (cfg.seriesCells - lostCells(cfg, cellLoss));
}

/** Usable capacity, Wh, with `cellLoss` shorted cells. */
export function effectiveCapacityWh(cfg: BatteryConfig, cellLoss = 0): number {
  return (cfg.capacityWh * (cfg.seriesCells - lostCells(cfg, cellLoss))) / cfg.seriesCells;
}

/** Energy stored in the pack, Wh. */
export function storedEnergyWh(state: PowerState, cellLoss = 0): number {
  return state.soc * effectiveCapacityWh(state.config.battery, cellLoss);
}

/** Power each load demands for these inputs, W. */
export function computeLoads(cfg: LoadConfig, inputs: PowerInputs): LoadBreakdown {
  const shed = inputs.shed;
  const heater = heaterActive(inputs);
  return {
    obcW: cfg.obcBaseW + cfg.obcPerCpuW * clamp01(inputs.obcCpu),
    payloadW: inputs.payloadOn && !shed?.payload ? cfg.payloadW * clamp01(inputs.payloadDuty) : 0,
    heaterW: heater ? cfg.heaterW : 0,
    radioW: shed?.radio ? 0 : inputs.radioTransmitting ? cfg.radioTxW : cfg.radioIdleW,
    adcsW: shed?.adcs ? 0 : (cfg.adcsW[inputs.adcsMode] ?? 0),
    epsW: cfg.epsW,
    leakW: inputs.leakW !== undefined && inputs.leakW > 0 ? inputs.leakW : 0,
  };
}

function heaterActive(inputs: PowerInputs): boolean {
  return (inputs.heaterOn || inputs.heaterStuckOn === true) && !inputs.shed?.heater;
}

export function createPowerState(config: PowerConfig, soc: number): PowerState {
  const s = clamp01(soc);
  const zero: LoadBreakdown = { obcW: 0, payloadW: 0, heaterW: 0, radioW: 0, adcsW: 0, epsW: 0, leakW: 0 };
  return {
    config,
    soc: s,
    battV: packOcv(config.battery, s),
    battA: 0,
    batteryW: 0,
    solarW: 0,
    loadW: 0,
    loads: zero,
    shuntW: 0,
    supplyRatio: 1,
    brownout: false,
    batteryHeatW: 0,
    heaterActive: false,
  };
}

/** Advance the power system by dtSeconds (≥ 0). SoC is clamped to [0, 1] for any inputs. */
export function stepPower(state: PowerState, inputs: PowerInputs, dtSeconds: number): PowerState {
  const cfg = state.config;
  const bat = cfg.battery;
  const dt = dtSeconds > 0 ? dtSeconds : 0;
  const loads = computeLoads(cfg.loads, inputs);
  const loadW = loads.obcW + loads.payloadW + loads.heaterW + loads.radioW + loads.adcsW + loads.epsW + loads.leakW;
  const solarW =
    SOLAR_CONSTANT * cfg.solar.areaM2 * cfg.solar.efficiency * clamp01(inputs.sunIncidence) * (1 - clamp01(inputs.solarArrayLoss ?? 0));

  const capJ = effectiveCapacityWh(bat, inputs.cellLoss) * 3600;
  let energyJ = clamp01(state.soc) * capJ;
  const net = solarW - loadW;
  let batteryW: number;
  let shuntW = 0;
  let supplyRatio = 1;
  if (net >= 0) {
    // Charging: limited by the charger and by the room left in the pack this step.
    const room = dt > 0 ? (capJ - energyJ) / (bat.chargeEfficiency * dt) : energyJ < capJ ? Infinity : 0;
    const charge = Math.max(0, Math.min(net, bat.maxChargeW, room));
    energyJ += bat.chargeEfficiency * charge * dt;
    shuntW = net - charge;
    batteryW = charge > 0 ? -charge : 0; // never -0 in telemetry
  } else {
    const deficit = -net;
    const avail = dt > 0 ? (energyJ * bat.dischargeEfficiency) / dt : energyJ > 0 ? Infinity : 0;
    const draw = Math.max(0, Math.min(deficit, bat.maxDischargeW, avail));
    energyJ -= (draw / bat.dischargeEfficiency) * dt;
    batteryW = draw;
    supplyRatio = loadW > 0 ? Math.min(1, (solarW + draw) / loadW) : 1;
  }
  const soc = capJ > 0 ? clamp01(energyJ / capJ) : 0;

  // Terminal current from P = (OCV − R·I)·I, the root that tends to P/OCV as R → 0.
  const ocv = packOcv(bat, soc, inputs.cellLoss);
  const r = bat.internalResistanceOhm;
  let battA: number;
  if (r > 0) {
    const disc = ocv * ocv - 4 * r * batteryW;
    battA = disc > 0 ? (2 * batteryW) / (ocv + Math.sqrt(disc)) : ocv / (2 * r);
  } else {
    battA = ocv > 0 ? batteryW / ocv : 0;
  }
  return {
    config: cfg,
    soc,
    battV: ocv - r * battA,
    battA,
    batteryW,
    solarW,
    loadW,
    loads,
    shuntW,
    supplyRatio,
    brownout: supplyRatio < 1 - 1e-9,
    batteryHeatW: battA * battA * r,
    heaterActive: loads.heaterW > 0,
  };
}
