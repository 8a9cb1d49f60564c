import { HardwareServer, every, type Clock, type Device, type Link, type Periodic, type ValueMap } from '../hal/index.js';
import { createDevices } from './devices/catalog.js';
import type { DeviceFaultState } from './devices/faults.js';
import type { DeviceHost } from './devices/host.js';
import type { RadioNetwork } from './radio/network.js';
import { createRng, deriveSeed, type Rng } from './world/rng.js';
import { createWorld, defaultInputs, stepWorld, type SatelliteWorld, type WorldConfigInput, type WorldFaults, type WorldInputs } from './world/world.js';
import { positionEci } from './world/orbit.js';

export interface EmulatedSatelliteOptions {
  id: string;
  /** Index in the constellation; with `seed` it derives this satellite's random streams. */
  index: number;
  seed: number;
  clock: Clock;
  /** The hardware's end of the link to this satellite's flight computer. */
  link: Link;
  world?: WorldConfigInput;
  /** World integration step, s. Default 1. */
  worldStepS?: number;
  watchdogMs?: number;
  radio?: RadioNetwork;
}

/**
 * One satellite's hardware: its world model stepped on the clock, its devices, faults, its
 * radio on the ISL network, and the HAL server that speaks PROTOCOL.md to its flight computer.
 */
export class EmulatedSatellite {
  readonly id: string;
  readonly server: HardwareServer;
  readonly inputs: WorldInputs = defaultInputs();
  worldFaults: Partial<WorldFaults> = {};
  private state: SatelliteWorld;
  private readonly deviceFaults = new Map<string, DeviceFaultState>();
  private readonly clock: Clock;
  private readonly worldRng: Rng;
  private readonly sensorRng: Rng;
  private readonly stepS: number;
  private stepper: Periodic | undefined;
  private powered = true;
  private wasBrownout = false;
  private peersCache = { atMs: -Infinity, n: 0 };
  private readonly devices: Map<string, Device>;

  constructor(private readonly opts: EmulatedSatelliteOptions) {
    this.id = opts.id;
    this.clock = opts.clock;
    this.stepS = opts.worldStepS ?? 1;
    this.worldRng = createRng(deriveSeed(opts.seed, opts.index));
    this.sensorRng = createRng(deriveSeed(opts.seed, 10_000 + opts.index));
    this.state = createWorld({ seed: deriveSeed(opts.seed, 20_000 + opts.index), ...opts.world });
    // The devices read fault flags (a welded heater relay) through the inputs; keep them
    // pointing at the live fault state from the start, not only after the first world step.
    this.inputs.faults = this.worldFaults;
    const radio = opts.radio;
    const host: DeviceHost = {
      world: () => this.state,
      inputs: this.inputs,
      rng: this.sensorRng,
      faults: (dev) => this.deviceFaults.get(dev),
      radio: {
        linkUp: () => this.powered && !!radio && !radio.isOut(this.id),
        peers: () => this.peers(),
        txPowerDbm: () => radio?.txPower(this.id) ?? 0,
        setTxPower: (dbm) => radio?.setTxPower(this.id, dbm),
      },
    };
    this.devices = new Map(createDevices(host).map((d) => [d.info.id, d]));
    this.server = new HardwareServer({
      link: opts.link,
      clock: opts.clock,
      sat: opts.id,
      hw: 'emulator',
      watchdogMs: opts.watchdogMs ?? 2000,
      devices: [...this.devices.values()],
      ...(radio ? { isl: { transmit: (to: string, data: Uint8Array) => radio.transmit(this.id, to, data) } } : {}),
    });
    radio?.add({
      id: opts.id,
      kind: 'sat',
      position: (tS) => positionEci(this.state.orbit, tS),
      // A circular orbit: the position moves at the orbital speed (a chord is shorter than
      // its arc); the margin covers rounding. The orbit is fixed for the satellite's life.
      maxSpeedMps: this.state.orbit.speedMS * (1 + 1e-6),
      deliver: (from, data, rssi) => {
        if (this.powered) this.server.deliverIsl(from, data, rssi);
      },
    });
  }

  get world(): SatelliteWorld {
    return this.state;
  }

  get isPowered(): boolean {
    return this.powered;
  }

  async start(): Promise<void> {
    await this.server.start();
    this.stepper = every(this.clock, this.stepS * 1000, () => this.step());
  }

  async stop(): Promise<void> {
    this.stepper?.stop();
    await this.server.stop();
  }

  /** What a device reads right now (as the flight computer would see it). */
  currentReading(dev: string): ValueMap | undefined {
    return this.devices.get(dev)?.read(Math.floor(this.clock.now()));
  }

  setDeviceFault(dev: string, patch: Partial<DeviceFaultState> | undefined): void {
    if (!patch) {
      this.deviceFaults.delete(dev);
      return;
    }
    this.deviceFaults.set(dev, { ...this.deviceFaults.get(dev), ...patch });
  }

  clearDeviceFault(dev: string, key: keyof DeviceFaultState): void {
    const f = this.deviceFaults.get(dev);
    if (!f) return;
    delete f[key];
    if (Object.keys(f).length === 0) this.deviceFaults.delete(dev);
  }

  /** Power off: the hardware stops answering and the radio goes silent (the world goes on). */
  async powerOff(): Promise<void> {
    if (!this.powered) return;
    this.powered = false;
    this.opts.radio?.setOutage(this.id, true);
    await this.server.stop();
  }

  async powerOn(): Promise<void> {
    if (this.powered) return;
    this.powered = true;
    this.opts.radio?.setOutage(this.id, false);
    await this.server.start();
  }

  private peers(): number {
    const radio = this.opts.radio;
    // A radio that is out hears no one, whatever the last neighbour count was.
    if (!radio || !this.powered || radio.isOut(this.id)) return 0;
    const now = this.clock.now();
    // Neighbour geometry changes slowly; recompute at most every 5 s.
    if (now - this.peersCache.atMs >= 5000) this.peersCache = { atMs: now, n: radio.neighbours(this.id).length };
    return this.peersCache.n;
  }

  private step(): void {
    const radio = this.opts.radio;
    this.inputs.radioTransmitting = !!radio && radio.transmittingUntil(this.id) > this.clock.now();
    this.inputs.faults = this.worldFaults;
    this.state = stepWorld(this.state, this.inputs, this.stepS, this.worldRng);
    const brownout = this.state.power.brownout;
    if (brownout && !this.wasBrownout && this.server.isHandshaken) {
      this.server.event('brownout', `battery cannot supply the load (soc ${this.state.power.soc.toFixed(3)})`);
    }
    this.wasBrownout = brownout;
  }
}
