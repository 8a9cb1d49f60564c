import { HardwareServer, memoryLinkPair, type Clock, type Link, type MemoryLinkOptions } from '../hal/index.js';
import { Emitter } from '../hal/util/emitter.js';
import { RadioNetwork } from './radio/network.js';
import { EmulatedSatellite } from './satellite.js';
import { satIds, type FaultSpec, type Scenario } from './scenario/schema.js';
import { applyFault } from './scenario/apply-fault.js';
import { createRng, deriveSeed } from './world/rng.js';
import { elevationRad, stationEci, type GroundStation } from './world/orbit.js';
import { DEG } from './world/vec.js';

/** 115200 baud, 8N1: ten bits on the line per byte. */
export const UART_BYTES_PER_S = 11_520;

export interface ConstellationOptions {
  scenario: Scenario;
  clock: Clock;
  /**
   * The hardware end of each satellite's link. Default: an in-memory pair per satellite at the
   * UART line rate (the flight-computer ends are then in `fcLinks`).
   */
  hwLink?: (id: string, index: number) => Link;
  /**
   * The hardware end of the ground station's link (a console speaks the HAL protocol to the
   * station's radio). Default: an in-memory pair (the console's end is then `groundLink`).
   */
  groundHwLink?: (id: string) => Link;
  memoryLink?: MemoryLinkOptions;
  /** Who leads now, for faults addressed to `"leader"` (the runner knows; the emulator does not). */
  resolveLeader?: () => string | undefined;
}

export type ConstellationEvents = {
  fault: [fault: FaultSpec, sat: string | undefined, active: boolean];
  /** A satellite's watchdog reset its flight computer (in process: restart that agent). */
  reset: [sat: string, reason: string];
  power: [sat: string, on: boolean];
};

/**
 * The emulated constellation of a scenario: N satellites' hardware, the ISL radio network
 * between them (and the ground station), their links, and the fault timeline on the clock.
 */
export class Constellation extends Emitter<ConstellationEvents> {
  readonly satellites: EmulatedSatellite[] = [];
  readonly radio: RadioNetwork;
  readonly fcLinks = new Map<string, Link>();
  readonly scenario: Scenario;
  readonly groundStation: (GroundStation & { id: string }) | undefined;
  /**
   * The ground station's radio as HAL hardware: hello names the station, no devices;
   * `isl.tx` transmits from the station, what it hears comes as `isl.rx`. Present when the
   * scenario has a ground station.
   */
  readonly groundServer: HardwareServer | undefined;
  /** The console's end of the ground station's link (in memory, unless `groundHwLink` was given). */
  readonly groundLink: Link | undefined;
  private readonly clock: Clock;

  constructor(private readonly opts: ConstellationOptions) {
    super();
    const s = opts.scenario;
    this.scenario = s;
    this.clock = opts.clock;
    this.radio = new RadioNetwork(opts.clock, createRng(deriveSeed(s.seed, 999_999)), {
      bitRate: s.radio.bit_rate,
      queueBytes: s.radio.queue_bytes,
      latencyMinMs: s.radio.latency_min_ms,
      latencyMaxMs: s.radio.latency_max_ms,
      lossProbability: s.radio.loss_probability,
    });
    const c = s.constellation;
    const perPlane = Math.ceil(c.count / c.planes);
    satIds(c.count, c.id_prefix).forEach((id, i) => {
      const plane = Math.floor(i / perPlane);
      const slot = i % perPlane;
      let link = opts.hwLink?.(id, i);
      if (!link) {
        const [fc, hw] = memoryLinkPair(opts.clock, { bytesPerSecond: UART_BYTES_PER_S, latencyMs: 1, ...opts.memoryLink }, [`${id}/fc`, `${id}/hw`]);
        this.fcLinks.set(id, fc);
        link = hw;
      }
      const sat = new EmulatedSatellite({
        id,
        index: i,
        seed: s.seed,
        clock: opts.clock,
        link,
        worldStepS: s.world_step_s,
        watchdogMs: s.watchdog_ms,
        radio: this.radio,
        world: {
          orbit: {
            altitudeKm: c.altitude_km,
            inclinationDeg: c.inclination_deg,
            raanDeg: plane * c.raan_spacing_deg,
            phaseDeg: slot * c.phase_spacing_deg + plane * (c.phase_spacing_deg / 2),
          },
        },
      });
      sat.server.on('reset', (reason) => this.emit('reset', id, reason));
      this.satellites.push(sat);
    });
    const gs = s.ground_station;
    if (gs) {
      const station = { id: gs.id, latDeg: gs.lat_deg, lonDeg: gs.lon_deg, minElevationDeg: gs.elevation_mask_deg };
      this.groundStation = station;
      let link = opts.groundHwLink?.(gs.id);
      if (!link) {
        const [consoleEnd, hw] = memoryLinkPair(opts.clock, { bytesPerSecond: UART_BYTES_PER_S, latencyMs: 1, ...opts.memoryLink }, [`${gs.id}/console`, `${gs.id}/hw`]);
        this.groundLink = consoleEnd;
        link = hw;
      } else this.groundLink = undefined;
      const server = new HardwareServer({
        link,
        clock: opts.clock,
        sat: gs.id,
        hw: 'emulator ground station',
        devices: [],
        push: false,
        isl: { transmit: (to: string, data: Uint8Array) => this.radio.transmit(gs.id, to, data) },
      });
      this.groundServer = server;
      this.radio.add({
        id: gs.id,
        kind: 'ground',
        position: (tS) => stationEci(station, tS),
        sees: (satPos, tS) => elevationRad(satPos, station, tS) >= station.minElevationDeg * DEG,
        // Heard only while a console is attached (has said hello), like a satellite's radio.
        deliver: (from, data, rssi) => void server.deliverIsl(from, data, rssi),
      });
    } else {
      this.groundStation = undefined;
      this.groundServer = undefined;
      this.groundLink = undefined;
    }
  }

  byId(id: string): EmulatedSatellite | undefined {
    return this.satellites.find((x) => x.id === id);
  }

  ids(): string[] {
    return this.satellites.map((x) => x.id);
  }

  /** Starts every satellite's hardware and schedules the fault timeline. */
  async start(): Promise<void> {
    for (const sat of this.satellites) await sat.start();
    await this.groundServer?.start();
    for (const f of this.scenario.faults) {
      let target: string | undefined;
      this.clock.setTimerAt(f.at_s * 1000, () => {
        target = this.target(f);
        void this.setFault(f, target, true);
      });
      if (f.until_s !== undefined) this.clock.setTimerAt(f.until_s * 1000, () => void this.setFault(f, target, false));
    }
  }

  async stop(): Promise<void> {
    for (const sat of this.satellites) await sat.stop();
    await this.groundServer?.stop();
  }

  private target(f: FaultSpec): string | undefined {
    if (f.sat === 'leader') return this.opts.resolveLeader?.() ?? this.satellites[0]?.id;
    return f.sat;
  }

  private async setFault(f: FaultSpec, sat: string | undefined, active: boolean): Promise<void> {
    const sats = sat === '*' ? this.satellites : sat ? [this.byId(sat)].filter((x): x is EmulatedSatellite => !!x) : [];
    await applyFault(f, active, { radio: this.radio, sats, onPower: (id, on) => this.emit('power', id, on) });
    this.emit('fault', f, sat, active);
  }
}
