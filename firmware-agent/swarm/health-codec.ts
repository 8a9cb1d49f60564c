/**
 * The health broadcast's compressed body (ISL-FORMAT.md §5), so that the whole frame on the
 * air — envelope and 16-byte tag included — stays at most 64 bytes (PROTOCOL.md §5). The
 * largest body is 18 bytes, the largest health frame 45.
 *
 * Every broadcast carries the full state: no deltas. The full state already fits with 20
 * bytes to spare, so a delta could save at most a few bytes, and it would tie each broadcast
 * to an earlier one that a lossy, broadcast-only, unacknowledged channel may have lost (and
 * the registry counts missed broadcasts to decide liveness: each one must stand alone).
 *
 * Layout (offsets in the body):
 *   0  u8   codes: bits 0–1 role (ROLES index), bits 2–4 mode (HEALTH_MODES index), 5–7 zero
 *   1  u8   leader: member index, 255 = none ('')
 *   2  u8   health: round(clamp(health, 0, 1) × 250); 251–255 invalid
 *   3  u8   soc: round(clamp(soc, 0, 1) × 250); 255 = not a number; 251–254 invalid
 *   4  i8   tmaxC: round(clamp(tmaxC, −127, 127)) °C; −128 = not a number
 *   5  u32  digest, little-endian
 *   9  u8   interval: the sender's health broadcast interval, ceil(ms / 100) saturated at 255
 *           (25.5 s); 0 = not advertised (the registry then assumes the nominal interval)
 *  10  uvarint term (LEB128, 1–8 bytes, minimal, ≤ 2^53−1)
 */
import { ROLES, type SwarmMessageOf, type SwarmRole } from './messages.js';

export type HealthMessage = SwarmMessageOf<'health'>;

/**
 * Mode names with a code (the agent's modes, `decide/types.ts` MODES, in that order; a test
 * keeps the two equal). A mode outside this table cannot be broadcast.
 */
export const HEALTH_MODES = ['boot', 'nominal', 'degraded', 'safe', 'recovery'] as const;

/** Steps per unit of `health` and `soc`. */
export const UNIT_STEPS = 250;
/** Largest quantisation error: `health`, `soc` (within 0..1) and `tmaxC` (within ±127 °C). */
export const HEALTH_QUANTUM = { health: 0.5 / UNIT_STEPS, soc: 0.5 / UNIT_STEPS, tmaxC: 0.5 } as const;

/** Unit of the advertised interval, ms; rounded up so a receiver never expects a broadcast early. */
export const INTERVAL_UNIT_MS = 100;
/** Largest advertised interval, ms (a longer one is advertised as this). */
export const INTERVAL_MAX_MS = 255 * INTERVAL_UNIT_MS;

export const HEALTH_BODY_MIN = 11;
export const HEALTH_BODY_MAX = 18;
/** Leader byte for "no leader". */
export const NO_LEADER = 255;
const SOC_NAN = 255;
const TEMP_NAN = -128;
const TEMP_LIMIT = 127;

const ROLE_CODE = new Map<string, number>(ROLES.map((r, i) => [r, i]));
const MODE_CODE = new Map<string, number>(HEALTH_MODES.map((m, i) => [m, i]));

export type HealthEncoding = { ok: true; body: Uint8Array } | { ok: false; why: string };

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/**
 * Health message → compressed body. `leaderIndex` maps a leader id to its member index
 * (undefined: not a member). Refuses (never throws) what it cannot represent: a role or mode
 * outside the tables, a leader that is not a member, a term past 2^53−1, a digest that is
 * not a uint32, health that is not a number ≥ 0, an interval that is not a positive integer.
 */
export function encodeHealthBody(msg: HealthMessage, leaderIndex: (id: string) => number | undefined): HealthEncoding {
  const role = ROLE_CODE.get(msg.role);
  if (role === undefined) return { ok: false, why: `role ${String(msg.role)} has no code` };
  const mode = MODE_CODE.get(msg.mode);
  if (mode === undefined) return { ok: false, why: `mode ${JSON.stringify(msg.mode)} has no code (known: ${HEALTH_MODES.join(', ')})` };
  let leader = NO_LEADER;
  if (msg.leader !== '') {
    const i = leaderIndex(msg.leader);
    if (i === undefined || !Number.isInteger(i) || i < 0 || i >= NO_LEADER) return { ok: false, why: `leader ${JSON.stringify(msg.leader)} is not a member` };
    leader = i;
  }
  const { term, health, soc, tmaxC, digest } = msg;
  if (!Number.isSafeInteger(term) || term < 0) return { ok: false, why: 'term is not an unsigned integer below 2^53' };
  if (typeof health !== 'number' || !(health >= 0)) return { ok: false, why: 'health is not a number >= 0' };
  if (typeof soc !== 'number' || typeof tmaxC !== 'number') return { ok: false, why: 'soc and tmaxC must be numbers' };
  if (!Number.isInteger(digest) || digest < 0 || digest > 0xffffffff) return { ok: false, why: 'digest is not a uint32' };
  const { intervalMs } = msg;
  if (intervalMs !== undefined && !(Number.isSafeInteger(intervalMs) && intervalMs > 0)) return { ok: false, why: 'intervalMs is not a positive integer' };

  const out = new Uint8Array(HEALTH_BODY_MAX);
  out[0] = role | (mode << 2);
  out[1] = leader;
  out[2] = Math.round(clamp(health, 0, 1) * UNIT_STEPS);
  out[3] = Number.isNaN(soc) ? SOC_NAN : Math.round(clamp(soc, 0, 1) * UNIT_STEPS);
  out[4] = (Number.isNaN(tmaxC) ? TEMP_NAN : Math.round(clamp(tmaxC, -TEMP_LIMIT, TEMP_LIMIT))) & 0xff;
  out[5] = digest & 0xff;
  out[6] = (digest >>> 8) & 0xff;
  out[7] = (digest >>> 16) & 0xff;
  out[8] = digest >>> 24;
  out[9] = intervalMs === undefined ? 0 : Math.min(255, Math.ceil(intervalMs / INTERVAL_UNIT_MS));
  let p = 10;
  let v = term;
  while (v >= 0x80) {
    out[p++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[p++] = v;
  return { ok: true, body: out.subarray(0, p) };
}

/**
 * Compressed body → health message, or undefined if malformed (wrong length, reserved codes
 * or bits, a leader index past the member list, an overlong or oversized varint, trailing
 * bytes). `memberAt` maps a member index to its id. Never throws.
 */
export function decodeHealthBody(b: Uint8Array, memberAt: (i: number) => string | undefined): HealthMessage | undefined {
  const n = b.length;
  if (n < HEALTH_BODY_MIN || n > HEALTH_BODY_MAX) return undefined;
  const codes = b[0]!;
  if (codes >> 5 !== 0) return undefined;
  const role: SwarmRole | undefined = ROLES[codes & 3];
  const mode = HEALTH_MODES[(codes >> 2) & 7];
  if (role === undefined || mode === undefined) return undefined;
  const li = b[1]!;
  let leader = '';
  if (li !== NO_LEADER) {
    const id = memberAt(li);
    if (id === undefined) return undefined;
    leader = id;
  }
  const hq = b[2]!;
  if (hq > UNIT_STEPS) return undefined;
  const sq = b[3]!;
  if (sq > UNIT_STEPS && sq !== SOC_NAN) return undefined;
  const tq = (b[4]! << 24) >> 24;
  const digest = (b[5]! | (b[6]! << 8) | (b[7]! << 16) | (b[8]! << 24)) >>> 0;
  const iq = b[9]!;
  // LEB128, at most 8 bytes (56 bits) and at most 2^53 − 1, minimal (no trailing zero group).
  let term = 0;
  let scale = 1;
  let p = 10;
  for (;;) {
    if (p >= n) return undefined;
    const byte = b[p++]!;
    term += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      if (byte === 0 && p > 11) return undefined;
      break;
    }
    scale *= 0x80;
  }
  if (p !== n || term > Number.MAX_SAFE_INTEGER) return undefined;
  const msg: HealthMessage = {
    t: 'health',
    term,
    role,
    leader,
    health: hq / UNIT_STEPS,
    mode,
    soc: sq === SOC_NAN ? Number.NaN : sq / UNIT_STEPS,
    tmaxC: tq === TEMP_NAN ? Number.NaN : tq,
    digest,
  };
  if (iq !== 0) msg.intervalMs = iq * INTERVAL_UNIT_MS;
  return msg;
}
