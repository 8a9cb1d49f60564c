/**
 * Seeded pseudo-random numbers for the world models: xoshiro128** (Blackman & Vigna), state
 * seeded from a 32-bit integer through a splitmix32-style mixer. Same seed → same sequence on
 * every platform (only 32-bit integer arithmetic via Math.imul and >>>).
 *
 * Not cryptographic. Never use Math.random in the world: determinism is a requirement.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal N(0, 1). */
  gaussian(): number;
}

/** splitmix32-style mixing step: spreads one seed over the four state words. */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Xoshiro128 implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  // Box–Muller makes normals in pairs; the second one is kept for the next call.
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    let x = Math.trunc(Number.isFinite(seed) ? seed : 0) | 0;
    x = (x + 0x9e3779b9) | 0;
    this.s0 = mix32(x);
    x = (x + 0x9e3779b9) | 0;
    this.s1 = mix32(x);
    x = (x + 0x9e3779b9) | 0;
    this.s2 = mix32(x);
    x = (x + 0x9e3779b9) | 0;
    this.s3 = mix32(x);
    // The all-zero state is the one fixed point of xoshiro; never start there.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  next(): number {
    return this.nextUint32() / 4294967296;
  }

  gaussian(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const u1 = 1 - this.next(); // (0, 1]: log stays finite
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    const a = 2 * Math.PI * u2;
    this.spare = r * Math.sin(a);
    this.hasSpare = true;
    return r * Math.cos(a);
  }

  /** An independent copy at the same point of the sequence. */
  clone(): Xoshiro128 {
    const c = new Xoshiro128(0);
    c.s0 = this.s0;
    c.s1 = this.s1;
    c.s2 = this.s2;
    c.s3 = this.s3;
    c.spare = this.spare;
    c.hasSpare = this.hasSpare;
    return c;
  }
}

export function createRng(seed: number): Xoshiro128 {
  return new Xoshiro128(seed);
}

/** A per-satellite (or per-device) seed derived from a run seed and an index, well spread. */
export function deriveSeed(seed: number, index: number): number {
  return mix32((Math.imul(seed | 0, 0x27d4eb2d) ^ mix32(index | 0)) | 0);
}
