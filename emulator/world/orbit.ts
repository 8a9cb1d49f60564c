/**
 * Orbit geometry: circular Keplerian orbits (no J2, no drag), a spherical rotating Earth, a
 * simple Sun direction, a cylindrical Earth shadow, ground-station visibility and
 * inter-satellite line of sight. Time t is seconds since the scenario epoch; ECI is an inertial
 * frame whose z axis is Earth's spin axis and whose x axis points to the vernal equinox.
 */
import { DEG, type Vec3 } from './vec.js';

/** Earth's gravitational parameter μ, m³/s². */
export const MU_EARTH = 3.986004418e14;
/**
 * Earth radius, m: the WGS-84 equatorial radius 6378.137 km. Used everywhere (altitude →
 * orbit radius, shadow cylinder, occlusion, dipole reference radius) so the models agree.
 */
export const R_EARTH = 6378137;
/** Earth's rotation rate, rad/s (sidereal). */
export const OMEGA_EARTH = 7.2921159e-5;
/** Height above R_EARTH below which an inter-satellite ray counts as blocked, m. */
export const ATMOSPHERE_MARGIN_M = 100e3;
/** Obliquity of the ecliptic, rad. */
const OBLIQUITY = 23.44 * DEG;

export interface OrbitElements {
  /** Altitude above R_EARTH, km. */
  altitudeKm: number;
  /** Inclination, degrees (97.4 ≈ sun-synchronous at 500 km; the plane does not precess here). */
  inclinationDeg: number;
  /** Right ascension of the ascending node, degrees: which plane of a constellation. */
  raanDeg: number;
  /** Argument of latitude at t = 0 (angle from the ascending node), degrees: slot in the plane. */
  phaseDeg: number;
}

export const DEFAULT_ORBIT: Readonly<OrbitElements> = Object.freeze({
  altitudeKm: 500,
  inclinationDeg: 97.4,
  raanDeg: 0,
  phaseDeg: 0,
});

/** A circular orbit with its derived constants (computed once). */
export interface Orbit {
  readonly elements: Readonly<OrbitElements>;
  /** Orbit radius a = R_EARTH + altitude, m. */
  readonly radiusM: number;
  /** Mean motion n = √(μ/a³), rad/s. */
  readonly meanMotionRadS: number;
  /** Period 2π/n, s. */
  readonly periodS: number;
  /** Speed a·n, m/s. */
  readonly speedMS: number;
  /** Unit vector to the ascending node (ECI). */
  readonly p: Readonly<Vec3>;
  /** Unit vector 90° ahead of p in the orbit plane (ECI). */
  readonly q: Readonly<Vec3>;
  /** Unit orbit normal p × q (ECI). */
  readonly h: Readonly<Vec3>;
  readonly phaseRad: number;
}

/** Kepler's third law for a circular orbit: T = 2π√(a³/μ), seconds. */
export function keplerPeriodS(semiMajorAxisM: number): number {
  return 2 * Math.PI * Math.sqrt((semiMajorAxisM * semiMajorAxisM * semiMajorAxisM) / MU_EARTH);
}

export function createOrbit(elements: Partial<OrbitElements> = {}): Orbit {
  const el: OrbitElements = { ...DEFAULT_ORBIT, ...elements };
  if (!(el.altitudeKm > 0) || !Number.isFinite(el.altitudeKm)) {
    throw new RangeError(`orbit.altitudeKm must be a positive number of km, got ${el.altitudeKm}`);
  }
  for (const k of ['inclinationDeg', 'raanDeg', 'phaseDeg'] as const) {
    if (!Number.isFinite(el[k])) throw new RangeError(`orbit.${k} must be a finite angle in degrees`);
  }
  const a = R_EARTH + el.altitudeKm * 1000;
  const n = Math.sqrt(MU_EARTH / (a * a * a));
  const i = el.inclinationDeg * DEG;
  const raan = el.raanDeg * DEG;
  const ci = Math.cos(i);
  const si = Math.sin(i);
  const co = Math.cos(raan);
  const so = Math.sin(raan);
  return Object.freeze({
    elements: Object.freeze(el),
    radiusM: a,
    meanMotionRadS: n,
    periodS: (2 * Math.PI) / n,
    speedMS: a * n,
    p: Object.freeze([co, so, 0]) as Readonly<Vec3>,
    q: Object.freeze([-ci * so, ci * co, si]) as Readonly<Vec3>,
    h: Object.freeze([si * so, -si * co, ci]) as Readonly<Vec3>,
    phaseRad: el.phaseDeg * DEG,
  });
}

/** Position in ECI at time t, metres. */
export function positionEci(orbit: Orbit, tS: number, out: Vec3 = [0, 0, 0]): Vec3 {
  const u = orbit.phaseRad + orbit.meanMotionRadS * tS;
  const c = orbit.radiusM * Math.cos(u);
  const s = orbit.radiusM * Math.sin(u);
  const { p, q } = orbit;
  out[0] = c * p[0] + s * q[0];
  out[1] = c * p[1] + s * q[1];
  out[2] = c * p[2] + s * q[2];
  return out;
}

/** Velocity in ECI at time t, m/s. */
export function velocityEci(orbit: Orbit, tS: number, out: Vec3 = [0, 0, 0]): Vec3 {
  const u = orbit.phaseRad + orbit.meanMotionRadS * tS;
  const c = orbit.speedMS * Math.cos(u);
  const s = -orbit.speedMS * Math.sin(u);
  const { p, q } = orbit;
  out[0] = s * p[0] + c * q[0];
  out[1] = s * p[1] + c * q[1];
  out[2] = s * p[2] + c * q[2];
  return out;
}

/** Angle from ECI x to the Greenwich meridian at time t, rad (gmst0Rad at t = 0). */
export function earthRotationAngle(tS: number, gmst0Rad = 0): number {
  return gmst0Rad + OMEGA_EARTH * tS;
}

function wrapPi(a: number): number {
  const twoPi = 2 * Math.PI;
  const r = a - twoPi * Math.floor((a + Math.PI) / twoPi);
  return r;
}

export interface GeoPoint {
  /** Geocentric latitude, rad (spherical Earth). */
  latRad: number;
  /** East longitude in [−π, π), rad. */
  lonRad: number;
  /** Height above R_EARTH, m. */
  altitudeM: number;
}

/** Sub-satellite point of an ECI position at time t on a spherical rotating Earth. */
export function subSatellitePoint(posEci: Readonly<Vec3>, tS: number, gmst0Rad = 0): GeoPoint {
  const [x, y, z] = posEci;
  const r = Math.sqrt(x * x + y * y + z * z);
  return {
    latRad: Math.asin(z / r),
    lonRad: wrapPi(Math.atan2(y, x) - earthRotationAngle(tS, gmst0Rad)),
    altitudeM: r - R_EARTH,
  };
}

/**
 * Unit vector to the Sun in ECI for a (fractional) day of the year. Simplification: circular
 * Earth orbit at uniform angular rate, ecliptic longitude 0 at the March equinox (day 80),
 * obliquity 23.44°; accurate to about a degree, which is plenty for eclipses and power.
 */
export function sunDirectionEci(dayOfYear: number, out: Vec3 = [0, 0, 0]): Vec3 {
  const lambda = (2 * Math.PI * (dayOfYear - 80)) / 365.25;
  const sl = Math.sin(lambda);
  out[0] = Math.cos(lambda);
  out[1] = sl * Math.cos(OBLIQUITY);
  out[2] = sl * Math.sin(OBLIQUITY);
  return out;
}

/** Beta angle: angle between the Sun direction and the orbit plane, rad (signed). */
export function betaAngleRad(orbit: Orbit, sunUnit: Readonly<Vec3>): number {
  const h = orbit.h;
  return Math.asin(Math.max(-1, Math.min(1, h[0] * sunUnit[0] + h[1] * sunUnit[1] + h[2] * sunUnit[2])));
}

/** A Sun direction that gives this orbit the chosen beta angle (Sun over the ascending node). */
export function sunForBetaAngle(orbit: Orbit, betaDeg: number, out: Vec3 = [0, 0, 0]): Vec3 {
  const b = betaDeg * DEG;
  const cb = Math.cos(b);
  const sb = Math.sin(b);
  const { p, h } = orbit;
  out[0] = cb * p[0] + sb * h[0];
  out[1] = cb * p[1] + sb * h[1];
  out[2] = cb * p[2] + sb * h[2];
  return out;
}

/**
 * True when the satellite is in Earth's shadow, modelled as a cylinder of radius R_EARTH
 * extending anti-sunward (no penumbra; the Sun is treated as infinitely far).
 */
export function inEclipse(posEci: Readonly<Vec3>, sunUnit: Readonly<Vec3>): boolean {
  const along = posEci[0] * sunUnit[0] + posEci[1] * sunUnit[1] + posEci[2] * sunUnit[2];
  if (along >= 0) return false;
  const r2 = posEci[0] * posEci[0] + posEci[1] * posEci[1] + posEci[2] * posEci[2];
  return r2 - along * along < R_EARTH * R_EARTH;
}

export interface GroundStation {
  latDeg: number;
  lonDeg: number;
  /** Elevation mask: the satellite counts as visible at or above this, degrees. */
  minElevationDeg: number;
}

/** Station position in ECI at time t, metres (on the sphere of radius R_EARTH). */
export function stationEci(gs: GroundStation, tS: number, gmst0Rad = 0, out: Vec3 = [0, 0, 0]): Vec3 {
  const lat = gs.latDeg * DEG;
  const lon = gs.lonDeg * DEG + earthRotationAngle(tS, gmst0Rad);
  const cl = Math.cos(lat);
  out[0] = R_EARTH * cl * Math.cos(lon);
  out[1] = R_EARTH * cl * Math.sin(lon);
  out[2] = R_EARTH * Math.sin(lat);
  return out;
}

const scratchGs: Vec3 = [0, 0, 0];
const scratchSat: Vec3 = [0, 0, 0];

/** Elevation of the satellite above the station's local horizon, rad. */
export function elevationRad(posEci: Readonly<Vec3>, gs: GroundStation, tS: number, gmst0Rad = 0): number {
  const g = stationEci(gs, tS, gmst0Rad, scratchGs);
  const rx = posEci[0] - g[0];
  const ry = posEci[1] - g[1];
  const rz = posEci[2] - g[2];
  const range = Math.sqrt(rx * rx + ry * ry + rz * rz);
  // The local "up" of a spherical Earth is the station's radius vector.
  const up = (rx * g[0] + ry * g[1] + rz * g[2]) / R_EARTH;
  return Math.asin(Math.max(-1, Math.min(1, up / range)));
}

export interface PassWindow {
  /** Rise above the mask, s. */
  startS: number;
  /** Set below the mask, s. */
  endS: number;
  durationS: number;
  maxElevationDeg: number;
}

export interface PassOptions {
  /** Coarse sampling step, s (default 10: shorter passes than this may be missed). */
  stepS?: number;
  gmst0Rad?: number;
}

/**
 * Visibility windows of a station over [t0S, t1S]: the elevation is sampled every `stepS`
 * (default 10 s), each crossing of the mask is refined by bisection to 0.05 s and the peak by
 * a ternary search. A pass already under way at t0S starts at t0S; one still up at t1S ends there.
 */
export function passWindows(orbit: Orbit, gs: GroundStation, t0S: number, t1S: number, opts: PassOptions = {}): PassWindow[] {
  const step = opts.stepS ?? 10;
  if (!(step > 0)) throw new RangeError('passWindows: stepS must be > 0');
  const gmst0 = opts.gmst0Rad ?? 0;
  const mask = gs.minElevationDeg * DEG;
  const margin = (t: number): number => elevationRad(positionEci(orbit, t, scratchSat), gs, t, gmst0) - mask;
  const crossing = (lo: number, hi: number): number => {
    // margin(lo) and margin(hi) have opposite signs.
    const rising = margin(lo) < 0;
    while (hi - lo > 0.05) {
      const mid = 0.5 * (lo + hi);
      if (margin(mid) < 0 === rising) lo = mid;
      else hi = mid;
    }
    return 0.5 * (lo + hi);
  };
  const windows: PassWindow[] = [];
  let prevT = t0S;
  let prevUp = margin(t0S) >= 0;
  let start = prevUp ? t0S : NaN;
  let bestT = t0S;
  let best = -Infinity;
  const close = (end: number): void => {
    let lo = Math.max(start, bestT - step);
    let hi = Math.min(end, bestT + step);
    for (let k = 0; k < 30 && hi - lo > 0.01; k++) {
      const m1 = lo + (hi - lo) / 3;
      const m2 = hi - (hi - lo) / 3;
      if (margin(m1) < margin(m2)) lo = m1;
      else hi = m2;
    }
    const peak = Math.max(best, margin(0.5 * (lo + hi)));
    windows.push({ startS: start, endS: end, durationS: end - start, maxElevationDeg: (peak + mask) / DEG });
  };
  for (let t = t0S + step; prevT < t1S; t += step) {
    const tt = Math.min(t, t1S);
    const m = margin(tt);
    const up = m >= 0;
    if (up && !prevUp) {
      start = crossing(prevT, tt);
      best = -Infinity;
    } else if (!up && prevUp) {
      close(crossing(prevT, tt));
    }
    if (up && m > best) {
      best = m;
      bestT = tt;
    }
    prevUp = up;
    prevT = tt;
  }
  if (prevUp) close(t1S);
  return windows;
}

/** Straight-line distance between two positions, metres. */
export function distanceM(a: Readonly<Vec3>, b: Readonly<Vec3>): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const dz = b[2] - a[2];
  return Math.sqrt(dx * dx + dy * dy + dz * dz);
}

/**
 * True when the segment a→b stays higher than R_EARTH + marginM everywhere (the atmosphere
 * margin stands for refraction and absorption near the limb).
 */
export function lineOfSight(a: Readonly<Vec3>, b: Readonly<Vec3>, marginM = ATMOSPHERE_MARGIN_M): boolean {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const dz = b[2] - a[2];
  const d2 = dx * dx + dy * dy + dz * dz;
  // Closest point of the segment to Earth's centre: a + u·(b − a), u clamped to [0, 1].
  let u = d2 > 0 ? -(a[0] * dx + a[1] * dy + a[2] * dz) / d2 : 0;
  u = u < 0 ? 0 : u > 1 ? 1 : u;
  const cx = a[0] + u * dx;
  const cy = a[1] + u * dy;
  const cz = a[2] + u * dz;
  const rMin = R_EARTH + marginM;
  return cx * cx + cy * cy + cz * cz > rMin * rMin;
}
