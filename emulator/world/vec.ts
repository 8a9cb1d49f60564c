/**
 * Small 3-vector and quaternion helpers for the world models.
 *
 * Functions that produce a vector take an optional `out` so hot paths can reuse storage;
 * `out` may alias an input only where the doc says so.
 */

/** A 3-vector [x, y, z]; the unit is given by the name of the variable holding it. */
export type Vec3 = [number, number, number];

/** Unit quaternion [w, x, y, z], scalar first. */
export type Quat = [number, number, number, number];

export const DEG = Math.PI / 180;

export function vec3(x = 0, y = 0, z = 0): Vec3 {
  return [x, y, z];
}

export function dot(a: Readonly<Vec3>, b: Readonly<Vec3>): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export function norm(a: Readonly<Vec3>): number {
  return Math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
}

/** a × b. `out` may alias a or b. */
export function cross(a: Readonly<Vec3>, b: Readonly<Vec3>, out: Vec3 = [0, 0, 0]): Vec3 {
  const x = a[1] * b[2] - a[2] * b[1];
  const y = a[2] * b[0] - a[0] * b[2];
  const z = a[0] * b[1] - a[1] * b[0];
  out[0] = x;
  out[1] = y;
  out[2] = z;
  return out;
}

/** a / |a|; a zero vector stays zero. `out` may alias a. */
export function normalize(a: Readonly<Vec3>, out: Vec3 = [0, 0, 0]): Vec3 {
  const n = norm(a);
  const k = n > 0 ? 1 / n : 0;
  out[0] = a[0] * k;
  out[1] = a[1] * k;
  out[2] = a[2] * k;
  return out;
}

/**
 * Rotate v by q: with q the body→inertial attitude this maps body coordinates to inertial.
 * Uses v' = v + w·t + u×t with t = 2·u×v (u the vector part). `out` may alias v.
 */
export function rotate(q: Readonly<Quat>, v: Readonly<Vec3>, out: Vec3 = [0, 0, 0]): Vec3 {
  return rotateWith(q[0], q[1], q[2], q[3], v, out);
}

/** Rotate v by the conjugate of q (inertial → body for a body→inertial q). `out` may alias v. */
export function rotateInverse(q: Readonly<Quat>, v: Readonly<Vec3>, out: Vec3 = [0, 0, 0]): Vec3 {
  return rotateWith(q[0], -q[1], -q[2], -q[3], v, out);
}

function rotateWith(w: number, x: number, y: number, z: number, v: Readonly<Vec3>, out: Vec3): Vec3 {
  const vx = v[0];
  const vy = v[1];
  const vz = v[2];
  const tx = 2 * (y * vz - z * vy);
  const ty = 2 * (z * vx - x * vz);
  const tz = 2 * (x * vy - y * vx);
  out[0] = vx + w * tx + (y * tz - z * ty);
  out[1] = vy + w * ty + (z * tx - x * tz);
  out[2] = vz + w * tz + (x * ty - y * tx);
  return out;
}

/**
 * q ⊗ δq where δq is a rotation by `angleRad` about the unit body axis (ax, ay, az): the body
 * turning about one of its own axes. The result is renormalised so rounding cannot drift.
 */
export function rotateBody(
  q: Readonly<Quat>,
  ax: number,
  ay: number,
  az: number,
  angleRad: number,
  out: Quat = [1, 0, 0, 0],
): Quat {
  const h = 0.5 * angleRad;
  const s = Math.sin(h);
  const bw = Math.cos(h);
  const bx = ax * s;
  const by = ay * s;
  const bz = az * s;
  const [aw, axq, ayq, azq] = q;
  const w = aw * bw - axq * bx - ayq * by - azq * bz;
  const x = aw * bx + axq * bw + ayq * bz - azq * by;
  const y = aw * by - axq * bz + ayq * bw + azq * bx;
  const z = aw * bz + axq * by - ayq * bx + azq * bw;
  const n = Math.sqrt(w * w + x * x + y * y + z * z);
  out[0] = w / n;
  out[1] = x / n;
  out[2] = y / n;
  out[3] = z / n;
  return out;
}
