import type { Clock, DeviceInfo, Sample } from '../../hal/index.js';
import type { FieldValue, TelemetrySnapshot } from './types.js';

interface Latest {
  val: Sample['val'];
  /** Agent clock when received, ms. */
  receivedAt: number;
}

/**
 * The latest sample of every device, with its age. Devices come from the hardware's hello
 * (the agent adapts to what the list says); a device is stale when its latest sample is
 * older than `staleAfterPeriods` of its own period, or when none has arrived in that long
 * since the hello. A device with no rate that never answered counts as stale.
 */
export class TelemetryStore {
  private devices: DeviceInfo[] = [];
  private readonly latest = new Map<string, Latest>();
  private staleMs = new Map<string, number>();
  /** When the device table arrived: a device never heard from is aged from here. */
  private helloAt = 0;
  received = 0;

  constructor(private readonly clock: Clock, private readonly staleAfterPeriods: number) {}

  /** Adopt the device table from the hardware's hello. */
  setDevices(devices: readonly DeviceInfo[]): void {
    this.devices = [...devices];
    this.helloAt = this.clock.now();
    this.staleMs = new Map(
      devices.map((d) => [d.id, d.rate_hz > 0 ? (this.staleAfterPeriods * 1000) / d.rate_hz : Infinity]),
    );
  }

  hasDevice(id: string): boolean {
    return this.staleMs.has(id);
  }

  deviceInfo(id: string): DeviceInfo | undefined {
    return this.devices.find((d) => d.id === id);
  }

  ingest(s: Sample): void {
    this.received++;
    this.latest.set(s.dev, { val: s.val, receivedAt: this.clock.now() });
  }

  /** Forget everything (after a hardware reset the old readings mean nothing). */
  clear(): void {
    this.latest.clear();
  }

  value(dev: string, field: string): unknown {
    return this.latest.get(dev)?.val[field];
  }

  snapshot(): TelemetrySnapshot {
    const at = this.clock.now();
    const values: Record<string, FieldValue> = {};
    const ageMs: Record<string, number> = {};
    const stale: Record<string, boolean> = {};
    for (const d of this.devices) {
      const l = this.latest.get(d.id);
      const age = l ? at - l.receivedAt : Infinity;
      ageMs[d.id] = age;
      // Never heard from: stale only once it has had its staleness limit to report since hello.
      stale[d.id] = (l ? age : at - this.helloAt) > (this.staleMs.get(d.id) ?? Infinity) || (!l && !Number.isFinite(this.staleMs.get(d.id) ?? Infinity));
      if (!l) continue;
      for (const k in l.val) {
        const v = l.val[k];
        if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' || v === null) values[`${d.id}.${k}`] = v;
        else if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number')) {
          // Vectors become their magnitude: |gyro| is the body rate, |field| the field strength.
          const [x, y, z] = v as number[];
          values[`${d.id}.${k === 'gyro' ? 'rate' : `${k}_norm`}`] = Math.sqrt(x! * x! + y! * y! + z! * z!);
        }
      }
    }
    return { at, values, ageMs, stale };
  }
}
