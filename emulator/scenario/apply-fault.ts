import type { RadioNetwork } from '../radio/network.js';
import type { EmulatedSatellite } from '../satellite.js';
import type { FaultSpec } from './schema.js';
import type { ThermalNode } from '../world/thermal.js';

export interface FaultTargets {
  radio: RadioNetwork;
  sats: EmulatedSatellite[];
  onPower: (sat: string, on: boolean) => void;
}

const num = (v: unknown, dflt: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);

/**
 * Per radio network: its configured loss probability and the `isl_loss` faults active on it,
 * so that when the last one ends the scenario's own loss rate returns (not zero).
 */
const islLoss = new WeakMap<RadioNetwork, { base: number; active: FaultSpec[] }>();

function setIslLoss(radio: RadioNetwork, f: FaultSpec, active: boolean): void {
  let s = islLoss.get(radio);
  if (!s) {
    s = { base: radio.cfg.lossProbability, active: [] };
    islLoss.set(radio, s);
  }
  s.active = s.active.filter((x) => x !== f);
  if (active) s.active.push(f);
  const top = s.active[s.active.length - 1];
  radio.cfg.lossProbability = top ? num(top.params.probability, 0) : s.base;
  if (!top) islLoss.delete(radio);
}

/** Switches one fault of the timeline on or off. */
export async function applyFault(f: FaultSpec, active: boolean, t: FaultTargets): Promise<void> {
  const p = f.params;
  const dev = typeof p.dev === 'string' ? p.dev : '';
  for (const sat of t.sats) {
    switch (f.fault) {
      case 'sensor_stuck':
        if (active) sat.setDeviceFault(dev, { stuck: sat.currentReading(dev) ?? {} });
        else sat.clearDeviceFault(dev, 'stuck');
        break;
      case 'bias_drift':
        if (active) sat.setDeviceFault(dev, { drift: { perS: num(p.per_s, 0.001), sinceMs: f.at_s * 1000 } });
        else sat.clearDeviceFault(dev, 'drift');
        break;
      case 'noise_burst':
        if (active) sat.setDeviceFault(dev, { noiseFactor: num(p.factor, 20) });
        else sat.clearDeviceFault(dev, 'noiseFactor');
        break;
      case 'dropout':
        if (active) sat.setDeviceFault(dev, { dropout: true });
        else sat.clearDeviceFault(dev, 'dropout');
        break;
      case 'actuator_refuses':
        if (active) sat.setDeviceFault(dev, { refuses: true });
        else sat.clearDeviceFault(dev, 'refuses');
        break;
      case 'actuator_stuck':
        if (active) sat.setDeviceFault(dev, { actuatorStuck: true });
        else sat.clearDeviceFault(dev, 'actuatorStuck');
        break;
      case 'battery_cell_loss':
        sat.worldFaults.cellLoss = active ? num(p.cells_lost, 1) : 0;
        break;
      case 'heater_stuck_on':
        sat.worldFaults.heaterStuckOn = active;
        break;
      case 'thermal_runaway': {
        const node = (typeof p.node === 'string' ? p.node : 'payload') as ThermalNode;
        // Only this node's extra heat: another node's runaway may still be going on.
        const heat = { ...sat.worldFaults.extraHeatW };
        if (active) heat[node] = num(p.watts, 20);
        else delete heat[node];
        sat.worldFaults.extraHeatW = heat;
        break;
      }
      case 'power_leak':
        sat.worldFaults.leakW = active ? num(p.watts, 20) : 0;
        break;
      case 'solar_array_loss':
        sat.worldFaults.solarArrayLoss = active ? Math.min(1, Math.max(0, num(p.fraction, 0.5))) : 0;
        break;
      case 'radio_outage':
        t.radio.setOutage(sat.id, active);
        break;
      case 'power_off':
        if (active) await sat.powerOff();
        else await sat.powerOn();
        t.onPower(sat.id, !active);
        break;
      default:
        break;
    }
  }
  if (f.fault === 'partition') {
    if (active) t.radio.partition(p.groups as string[][]);
    else t.radio.heal();
  }
  if (f.fault === 'isl_loss') setIslLoss(t.radio, f, active);
}
