/**
 * Attitude: a body→ECI quaternion and body rates, driven by behavioural models of the ADCS
 * modes rather than by torques and inertia (no Euler equations):
 *
 * - detumble: rates decay exponentially with `detumbleTauS` (what B-dot achieves on average).
 * - sun_point / nadir: above `captureRateRadS` the wheels are not engaged and the rates decay as
 *   in detumble; below it a pointing loop commands a body rate that turns the +Z axis toward its
 *   target (error decays with `pointingTauS`, capped at `maxSlewRadS`), and the actual rates
 *   follow the command with the wheels' lag `wheelTauS`.
 *   sun_point: +Z (the solar-panel normal) → Sun. nadir: +Z → zenith, i.e. the −Z face (payload)
 *   looks down; the Z axis is controlled, the roll about it is left free.
 * - idle (or ADCS unpowered): rates random-walk slightly (disturbance torques).
 *
 * Body frame: +Z is the solar-panel normal. The controller knows the Sun direction even in
 * eclipse (an on-board ephemeris), so pointing does not lapse in shadow.
 */
import type { Rng } from './rng.js';
import { R_EARTH } from './orbit.js';
import { DEG, rotate, rotateBody, rotateInverse, type Quat, type Vec3 } from './vec.js';

export type AdcsMode = 'detumble' | 'sun_point' | 'nadir' | 'idle';
export const ADCS_MODES: readonly AdcsMode[] = Object.freeze(['detumble', 'sun_point', 'nadir', 'idle']);

export interface AttitudeConfig {
  /** Max initial tumble rate per axis, rad/s (each axis uniform in ±this). Default 3°/s. */
  initialTumbleRadS: number;
  /** Detumble time constant, s. Default 300. */
  detumbleTauS: number;
  /** Pointing-error time constant once captured, s. Default 60. */
  pointingTauS: number;
  /** First-order lag of the actual rates behind the commanded ones (wheels), s. Default 2. */
  wheelTauS: number;
  /** Rate magnitude below which pointing modes engage the wheels, rad/s. Default 1°/s. */
  captureRateRadS: number;
  /** Largest commanded slew rate, rad/s. Default 3°/s. */
  maxSlewRadS: number;
  /** Rate random walk in idle, rad/s per √s, per axis. Default 2e-5. */
  idleDriftRadSPerSqrtS: number;
}

export const DEFAULT_ATTITUDE_CONFIG: Readonly<AttitudeConfig> = Object.freeze({
  initialTumbleRadS: 3 * DEG,
  detumbleTauS: 300,
  pointingTauS: 60,
  wheelTauS: 2,
  captureRateRadS: 1 * DEG,
  maxSlewRadS: 3 * DEG,
  idleDriftRadSPerSqrtS: 2e-5,
});

export interface AttitudeState {
  readonly config: Readonly<AttitudeConfig>;
  /** Body→ECI rotation (v_eci = q v_body q*). */
  readonly q: Readonly<Quat>;
  /** True body angular rates, rad/s, body frame. */
  readonly ratesRadS: Readonly<Vec3>;
  /** Mode that actually acted in the last step (after power and fault fallbacks). */
  readonly mode: AdcsMode;
}

export interface AttitudeInputs {
  mode: AdcsMode;
  /** ADCS supply on (false when the EPS sheds it): no control at all, rates drift. */
  powered: boolean;
  /** Reaction wheels failed: pointing modes can only damp magnetically. */
  wheelsFailed: boolean;
}

/** Where things are, ECI: Sun unit vector, position (m), velocity (m/s). */
export interface AttitudeEnv {
  sunEci: Readonly<Vec3>;
  posEci: Readonly<Vec3>;
  velEci: Readonly<Vec3>;
}

/** A random orientation and a tumble of a few deg/s, both from the seeded rng. */
export function createAttitude(config: Readonly<AttitudeConfig>, rng: Rng): AttitudeState {
  // Uniformly distributed rotation (Shoemake's method).
  const u1 = rng.next();
  const u2 = 2 * Math.PI * rng.next();
  const u3 = 2 * Math.PI * rng.next();
  const a = Math.sqrt(1 - u1);
  const b = Math.sqrt(u1);
  const q: Quat = [a * Math.sin(u2), a * Math.cos(u2), b * Math.sin(u3), b * Math.cos(u3)];
  const m = config.initialTumbleRadS;
  const rates: Vec3 = [(2 * rng.next() - 1) * m, (2 * rng.next() - 1) * m, (2 * rng.next() - 1) * m];
  return { config, q, ratesRadS: rates, mode: 'idle' };
}

const tb: Vec3 = [0, 0, 0];
const ff: Vec3 = [0, 0, 0];

export function stepAttitude(state: AttitudeState, inputs: AttitudeInputs, env: AttitudeEnv, dtS: number, rng: Rng): AttitudeState {
  const cfg = state.config;
  let wx = state.ratesRadS[0];
  let wy = state.ratesRadS[1];
  let wz = state.ratesRadS[2];
  let mode: AdcsMode = inputs.powered ? inputs.mode : 'idle';
  const pointing = mode === 'sun_point' || mode === 'nadir';
  const rate = Math.sqrt(wx * wx + wy * wy + wz * wz);
  if (pointing && (inputs.wheelsFailed || rate > cfg.captureRateRadS)) {
    // Magnetic damping only: same behaviour as detumble until captured.
    const k = Math.exp(-dtS / cfg.detumbleTauS);
    wx *= k;
    wy *= k;
    wz *= k;
  } else if (pointing) {
    pointingRates(state.q, mode, env, cfg, ff);
    const lag = Math.exp(-dtS / cfg.wheelTauS);
    wx = ff[0] + (wx - ff[0]) * lag;
    wy = ff[1] + (wy - ff[1]) * lag;
    wz = ff[2] + (wz - ff[2]) * lag;
  } else if (mode === 'detumble') {
    const k = Math.exp(-dtS / cfg.detumbleTauS);
    wx *= k;
    wy *= k;
    wz *= k;
  } else {
    mode = 'idle';
    const s = cfg.idleDriftRadSPerSqrtS * Math.sqrt(dtS);
    if (s > 0) {
      wx += s * rng.gaussian();
      wy += s * rng.gaussian();
      wz += s * rng.gaussian();
    }
  }
  const w = Math.sqrt(wx * wx + wy * wy + wz * wz);
  // Exact rotation for constant rates over the step (stays accurate for large dt).
  const q: Quat = w > 0 ? rotateBody(state.q, wx / w, wy / w, wz / w, w * dtS) : [...state.q];
  return { config: cfg, q, ratesRadS: [wx, wy, wz], mode };
}

/** Commanded body rate for the pointing loop, written into `out` (rad/s, body). */
function pointingRates(q: Readonly<Quat>, mode: AdcsMode, env: AttitudeEnv, cfg: Readonly<AttitudeConfig>, out: Vec3): void {
  const p = env.posEci;
  const v = env.velEci;
  let fx = 0;
  let fy = 0;
  let fz = 0;
  if (mode === 'sun_point') {
    rotateInverse(q, env.sunEci, tb);
  } else {
    const r = Math.sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
    tb[0] = p[0] / r;
    tb[1] = p[1] / r;
    tb[2] = p[2] / r;
    rotateInverse(q, tb, tb);
    // Feed-forward: the local vertical turns at the orbital rate (r × v)/r², so track it.
    const r2 = r * r;
    ff[0] = (p[1] * v[2] - p[2] * v[1]) / r2;
    ff[1] = (p[2] * v[0] - p[0] * v[2]) / r2;
    ff[2] = (p[0] * v[1] - p[1] * v[0]) / r2;
    rotateInverse(q, ff, ff);
    fx = ff[0];
    fy = ff[1];
    fz = ff[2];
  }
  const c = Math.max(-1, Math.min(1, tb[2]));
  const err = Math.acos(c);
  // Turn about ẑ × target, the shortest way; if the target is exactly behind, any x-y axis works.
  let kx = -tb[1];
  let ky = tb[0];
  const s = Math.sqrt(kx * kx + ky * ky);
  if (s > 1e-12) {
    kx /= s;
    ky /= s;
  } else if (c < 0) {
    kx = 1;
    ky = 0;
  } else {
    kx = 0;
    ky = 0;
  }
  const mag = Math.min(err / cfg.pointingTauS, cfg.maxSlewRadS);
  out[0] = fx + kx * mag;
  out[1] = fy + ky * mag;
  out[2] = fz;
}

/** Sun direction in the body frame (unit). */
export function sunInBody(state: AttitudeState, sunEci: Readonly<Vec3>, out: Vec3 = [0, 0, 0]): Vec3 {
  return rotateInverse(state.q, sunEci, out);
}

/** Angle between the +Z panel normal and the Sun, rad (0 = facing the Sun). */
export function sunAngleRad(state: AttitudeState, sunEci: Readonly<Vec3>): number {
  const z = bodyZ(state.q);
  return Math.acos(Math.max(-1, Math.min(1, z[0] * sunEci[0] + z[1] * sunEci[1] + z[2] * sunEci[2])));
}

/**
 * Solar-panel incidence factor in [0, 1]: cos of the Sun angle on the +Z panel, 0 when the Sun
 * is behind the panel or the satellite is in eclipse. Power multiplies the panel output by it;
 * a tumbling satellite averages about 1/4, sun_point ≈ 1, nadir ≈ 0.5 over the lit arc at β = 0.
 */
export function panelIncidence(state: AttitudeState, sunEci: Readonly<Vec3>, lit: boolean): number {
  if (!lit) return 0;
  const z = bodyZ(state.q);
  const c = z[0] * sunEci[0] + z[1] * sunEci[1] + z[2] * sunEci[2];
  return c > 0 ? (c < 1 ? c : 1) : 0;
}

const zAxis: Vec3 = [0, 0, 0];
/** Body +Z in ECI (third column of the rotation matrix). */
function bodyZ(q: Readonly<Quat>): Vec3 {
  const [w, x, y, z] = q;
  zAxis[0] = 2 * (x * z + w * y);
  zAxis[1] = 2 * (y * z - w * x);
  zAxis[2] = 1 - 2 * (x * x + y * y);
  return zAxis;
}

/** Equatorial surface field of the dipole, tesla. */
export const B0_TESLA = 3.12e-5;

/**
 * Geomagnetic field at an ECI position, tesla: a centred dipole aligned with the spin axis
 * (the real ~10° tilt is ignored), B = B0 (R/r)³ [ẑ − 3 (ẑ·r̂) r̂]. Because this dipole is
 * symmetric about the spin axis, Earth's rotation does not change it in ECI.
 * |B| = B0 (R/r)³ √(1 + 3 sin² lat): about 25 µT at the equator and 50 µT at the poles at 500 km.
 */
export function dipoleFieldEci(posEci: Readonly<Vec3>, out: Vec3 = [0, 0, 0]): Vec3 {
  const [x, y, z] = posEci;
  const r = Math.sqrt(x * x + y * y + z * z);
  const ratio = R_EARTH / r;
  const k = B0_TESLA * ratio * ratio * ratio;
  const sz = z / r;
  out[0] = k * (-3 * sz * (x / r));
  out[1] = k * (-3 * sz * (y / r));
  out[2] = k * (1 - 3 * sz * sz);
  return out;
}

/** Gyro reading, rad/s body: true rates + bias + white noise of `noiseRadS` (1σ). */
export function senseGyro(state: AttitudeState, rng: Rng, noiseRadS = 2.5e-4, biasRadS?: Readonly<Vec3>, out: Vec3 = [0, 0, 0]): Vec3 {
  const w = state.ratesRadS;
  out[0] = w[0] + (biasRadS?.[0] ?? 0) + noiseRadS * rng.gaussian();
  out[1] = w[1] + (biasRadS?.[1] ?? 0) + noiseRadS * rng.gaussian();
  out[2] = w[2] + (biasRadS?.[2] ?? 0) + noiseRadS * rng.gaussian();
  return out;
}

/** Magnetometer reading, µT body frame: the dipole field rotated by the true attitude + noise. */
export function senseMagnetometer(state: AttitudeState, posEci: Readonly<Vec3>, rng: Rng, noiseUT = 0.1, out: Vec3 = [0, 0, 0]): Vec3 {
  dipoleFieldEci(posEci, out);
  rotateInverse(state.q, out, out);
  out[0] = out[0] * 1e6 + noiseUT * rng.gaussian();
  out[1] = out[1] * 1e6 + noiseUT * rng.gaussian();
  out[2] = out[2] * 1e6 + noiseUT * rng.gaussian();
  return out;
}

export interface SunReading {
  /** Unit vector to the Sun, body frame; [0, 0, 0] when not lit. */
  vec: Vec3;
  lit: boolean;
}

/** Coarse sun sensor: body Sun vector with ~`noiseRad` of angular noise, renormalised. */
export function senseSun(state: AttitudeState, sunEci: Readonly<Vec3>, lit: boolean, rng: Rng, noiseRad = 0.01): SunReading {
  if (!lit) return { vec: [0, 0, 0], lit: false };
  const v = rotateInverse(state.q, sunEci);
  v[0] += noiseRad * rng.gaussian();
  v[1] += noiseRad * rng.gaussian();
  v[2] += noiseRad * rng.gaussian();
  const n = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  v[0] /= n;
  v[1] /= n;
  v[2] /= n;
  return { vec: v, lit: true };
}

/** Body vector expressed in ECI (handy for tests and devices). */
export function bodyToEci(state: AttitudeState, vBody: Readonly<Vec3>, out: Vec3 = [0, 0, 0]): Vec3 {
  return rotate(state.q, vBody, out);
}
