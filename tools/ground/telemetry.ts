/**
 * What the ground station hears besides replies: the satellites' ISL traffic, above all their
 * health broadcasts. With the constellation key and member list the console authenticates
 * and decodes them with the swarm's own codec (ISL-FORMAT.md); without, it can only say who
 * it hears and how often. From that it derives events: a satellite coming into view (AOS),
 * going out of view (LOS), changing mode, becoming leader.
 *
 * The codec must be a member to decode; the console is a listener, so it decodes as member 0,
 * or — for frames that member 0 sent, which it would refuse as its own — as member 1.
 */
import { createIslCodec, type IslCodec } from '../../firmware-agent/swarm/isl-codec.js';
import type { HealthMessage } from '../../firmware-agent/swarm/health-codec.js';

export interface SatView {
  id: string;
  lastHeardMs: number;
  rssiDbm: number;
  frames: number;
  inView: boolean;
  health: HealthMessage | undefined;
  /** Frames heard since the last summary. */
  framesSinceSummary: number;
}

export interface TelemetryOptions {
  say: (line: string) => void;
  now: () => number;
  /** The constellation key and member list (both, or neither: then frames stay undecoded). */
  key?: Uint8Array;
  members?: readonly string[];
  /** Silence after which a satellite is out of view, ms. Default 20 000. */
  losAfterMs?: number;
}

export class GroundTelemetry {
  readonly sats = new Map<string, SatView>();
  /** Frames heard that did not authenticate (wrong key or member list, damage), by sender. */
  readonly rejected = new Map<string, number>();
  private readonly codecs: [IslCodec, IslCodec] | undefined;

  constructor(private readonly o: TelemetryOptions) {
    const m = o.members;
    if (o.key && m && m.length >= 2) {
      this.codecs = [createIslCodec({ key: o.key, members: m, self: m[0]! }), createIslCodec({ key: o.key, members: m, self: m[1]! })];
    }
  }

  get decoding(): boolean {
    return this.codecs !== undefined;
  }

  /** An ISL frame the station heard (not a ground reply). */
  onFrame(from: string, data: Uint8Array, rssiDbm: number): void {
    const v = this.heard(from, rssiDbm);
    if (!this.codecs) return;
    const codec = data[2] === 0 ? this.codecs[1] : this.codecs[0];
    const r = codec.decode(data);
    if (!r.ok) {
      if (r.reason === 'mac' || r.reason === 'unknown_sender' || r.reason === 'version' || r.reason === 'malformed') this.rejected.set(from, (this.rejected.get(from) ?? 0) + 1);
      return;
    }
    if (r.msg.t !== 'health') return;
    this.onHealth(v, r.msg);
  }

  /** Anything heard from a satellite (a broadcast or a reply): AOS the first time, or after LOS. */
  heard(from: string, rssiDbm: number): SatView {
    const now = this.o.now();
    let v = this.sats.get(from);
    if (!v) {
      v = { id: from, lastHeardMs: now, rssiDbm, frames: 0, inView: false, health: undefined, framesSinceSummary: 0 };
      this.sats.set(from, v);
    }
    v.lastHeardMs = now;
    v.rssiDbm = rssiDbm;
    v.frames++;
    v.framesSinceSummary++;
    if (!v.inView) {
      v.inView = true;
      this.o.say(`${from} in view (AOS, rssi ${rssiDbm} dBm)`);
    }
    return v;
  }

  private onHealth(v: SatView, h: HealthMessage): void {
    const before = v.health;
    v.health = h;
    if (before && before.mode !== h.mode) this.o.say(`${v.id} mode ${before.mode} → ${h.mode}`);
    if (h.role === 'leader' && before?.role !== 'leader') this.o.say(`${v.id} is leader (term ${h.term})`);
  }

  /** LOS for satellites silent too long; call now and then. */
  tick(): void {
    const now = this.o.now();
    const los = this.o.losAfterMs ?? 20_000;
    for (const v of this.sats.values()) {
      if (v.inView && now - v.lastHeardMs > los) {
        v.inView = false;
        this.o.say(`${v.id} out of view (LOS, last heard ${((now - v.lastHeardMs) / 1000).toFixed(0)} s ago)`);
      }
    }
  }

  /** One line per satellite in view. */
  summary(): string[] {
    const out: string[] = [];
    for (const v of [...this.sats.values()].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }))) {
      if (!v.inView) continue;
      const h = v.health;
      const heard = `${v.framesSinceSummary} frames, rssi ${v.rssiDbm} dBm`;
      v.framesSinceSummary = 0;
      if (h) {
        const soc = Number.isFinite(h.soc) ? h.soc.toFixed(2) : '?';
        const tmax = Number.isFinite(h.tmaxC) ? `${h.tmaxC.toFixed(0)} °C` : '?';
        out.push(`${v.id.padEnd(7)} ${h.mode.padEnd(9)} ${h.role.padEnd(9)} t${h.term}  health ${h.health.toFixed(2)}  soc ${soc}  tmax ${tmax}  leader ${h.leader || '-'}  (${heard})`);
      } else if (this.codecs) {
        const bad = this.rejected.get(v.id);
        out.push(`${v.id.padEnd(7)} no health broadcast decoded yet (${heard}${bad ? `, ${bad} did not authenticate: check the key and member list` : ''})`);
      } else {
        out.push(`${v.id.padEnd(7)} heard, undecoded (${heard}; pass --constellation-key to decode health)`);
      }
    }
    return out;
  }
}
