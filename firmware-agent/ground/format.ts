/**
 * The ground-command wire format, version 1 (documented in ground/README.md): what the ground
 * station puts in the `data` of an ISL packet to one satellite, and what the satellite answers.
 * Pure encoding and validation here; signatures are checked in handler.ts, made in tools/ground.
 *
 *   command  (ground → sat):  CBOR { v: 1, b: bytes (the body, CBOR), s: bytes (64, Ed25519) }
 *   body:                     CBOR { sat, n, op, ...op fields }
 *   reply    (sat → ground):  CBOR { v: 1, r: result, sat, n, op?, why?, st? }
 *
 * The signature covers the body's exact bytes (with a context prefix), so nothing is ever
 * re-encoded to be checked: no canonical-CBOR rules to agree on.
 */
import { decodePlain, encodePlain, isMap } from '../../hal/index.js';
import { MODES, type Mode } from '../decide/types.js';

export const GROUND_FORMAT_VERSION = 1;
/** Ed25519 signs `SIGN_CONTEXT ‖ body`: a signature made for anything else never verifies here. */
export const SIGN_CONTEXT = Buffer.from('fsw-ground-command-v1\0', 'utf8');
export const SIGNATURE_BYTES = 64;
/** Larger command packets are malformed without being parsed. */
export const MAX_COMMAND_BYTES = 512;
/** Counters are CBOR unsigned integers that JavaScript holds exactly. */
export const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

export const GROUND_OPS = ['pause', 'resume', 'cancel', 'mode', 'propose', 'status'] as const;
export type GroundOp = (typeof GROUND_OPS)[number];
/** Modes the ground may command (boot is where the agent starts, not a mode to go to). */
export const COMMANDABLE_MODES: readonly Mode[] = MODES.filter((m) => m !== 'boot');

export type ParamValue = string | number | boolean;

export type GroundCommand =
  | { op: 'pause' | 'resume' | 'status' }
  | { op: 'cancel'; id: string }
  | { op: 'mode'; mode: Mode; reason: string }
  | { op: 'propose'; action: string; params: Record<string, ParamValue> };

/** A command body: which satellite, which counter, what to do. */
export type CommandBody = GroundCommand & { sat: string; n: number };

export interface CommandEnvelope {
  body: Uint8Array;
  /** Absent: an unsigned command (refused as `unsigned`). */
  sig: Uint8Array | undefined;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };

const text = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const fail = (why: string): { ok: false; why: string } => ({ ok: false, why });

function decode(bytes: Uint8Array): unknown {
  try {
    return decodePlain(bytes);
  } catch {
    return undefined;
  }
}

// ── body ────────────────────────────────────────────────────────────────────────────

export function encodeBody(b: CommandBody): Uint8Array {
  const { sat, n, ...cmd } = b;
  const wire: Record<string, unknown> = { sat, n, op: cmd.op };
  if (cmd.op === 'cancel') wire.id = cmd.id;
  if (cmd.op === 'mode') Object.assign(wire, { mode: cmd.mode, why: cmd.reason });
  if (cmd.op === 'propose') Object.assign(wire, { act: cmd.action, p: cmd.params });
  return encodePlain(wire);
}

/** Body bytes → command, or why not (the caller has verified the signature over these bytes). */
export function parseBody(bytes: Uint8Array): Parsed<CommandBody> {
  const m = decode(bytes);
  if (!isMap(m)) return fail('body is not a CBOR map');
  if (!text(m.sat, 64)) return fail('sat must be a satellite id');
  if (typeof m.n !== 'number' || !Number.isSafeInteger(m.n) || m.n < 1) return fail('n must be an integer counter >= 1');
  const base = { sat: m.sat, n: m.n };
  switch (m.op) {
    case 'pause':
    case 'resume':
    case 'status':
      return { ok: true, value: { ...base, op: m.op } };
    case 'cancel':
      return text(m.id, 128) ? { ok: true, value: { ...base, op: 'cancel', id: m.id } } : fail('cancel needs id, an action id');
    case 'mode': {
      if (!(COMMANDABLE_MODES as readonly unknown[]).includes(m.mode)) return fail(`mode must be one of ${COMMANDABLE_MODES.join(', ')}`);
      const reason = m.why === undefined ? '' : m.why;
      if (typeof reason !== 'string' || reason.length > 200) return fail('why must be text of at most 200 characters');
      return { ok: true, value: { ...base, op: 'mode', mode: m.mode as Mode, reason } };
    }
    case 'propose': {
      if (!text(m.act, 64)) return fail('propose needs act, an action name');
      const p = m.p === undefined ? {} : m.p;
      if (!isMap(p)) return fail('p must be a map of parameters');
      for (const [k, v] of Object.entries(p)) {
        if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) return fail(`parameter ${k} must be text, a number or a boolean`);
      }
      return { ok: true, value: { ...base, op: 'propose', action: m.act, params: p as Record<string, ParamValue> } };
    }
    default:
      return fail(`op must be one of ${GROUND_OPS.join(', ')}`);
  }
}

// ── envelope ────────────────────────────────────────────────────────────────────────

export function encodeEnvelope(body: Uint8Array, sig: Uint8Array | undefined): Uint8Array {
  return encodePlain(sig ? { v: GROUND_FORMAT_VERSION, b: body, s: sig } : { v: GROUND_FORMAT_VERSION, b: body });
}

/** Packet → body and signature, or why it is malformed. A missing `s` is not malformed: unsigned. */
export function parseEnvelope(packet: Uint8Array): Parsed<CommandEnvelope> {
  if (packet.length > MAX_COMMAND_BYTES) return fail(`packet of ${packet.length} bytes > ${MAX_COMMAND_BYTES}`);
  const m = decode(packet);
  if (!isMap(m)) return fail('not a CBOR map');
  if (m.v !== GROUND_FORMAT_VERSION) return fail(`v must be ${GROUND_FORMAT_VERSION}`);
  if (!(m.b instanceof Uint8Array) || m.b.length === 0) return fail('b must be the body bytes');
  if (m.s !== undefined && !(m.s instanceof Uint8Array)) return fail('s must be bytes');
  return { ok: true, value: { body: m.b, sig: m.s } };
}

/** What Ed25519 signs for a body. */
export function signedBytes(body: Uint8Array): Buffer {
  return Buffer.concat([SIGN_CONTEXT, body]);
}

/** Best effort, for refusals: the counter and op of a body that may be unauthenticated. */
export function peekBody(body: Uint8Array): { n?: number; op?: string } {
  const m = decode(body);
  if (!isMap(m)) return {};
  return {
    ...(typeof m.n === 'number' && Number.isSafeInteger(m.n) ? { n: m.n } : {}),
    ...(typeof m.op === 'string' && m.op.length <= 16 ? { op: m.op } : {}),
  };
}

// ── reply ───────────────────────────────────────────────────────────────────────────

export type ReplyResult = 'accepted' | 'failed' | 'refused';

/** The satellite's state, in a reply: enough to see a command's effect and to name actions to cancel. */
export interface SatStatus {
  mode: string;
  paused: boolean;
  /** Ids of the actions running now. */
  actions: string[];
  boots: number;
}

export interface GroundReply {
  result: ReplyResult;
  sat: string;
  /** The command's counter (null when it could not be read). */
  n: number | null;
  op?: string;
  /** Why it was refused or failed; a detail when accepted. */
  why?: string;
  status?: SatStatus;
}

export function encodeReply(r: GroundReply): Uint8Array {
  const wire: Record<string, unknown> = { v: GROUND_FORMAT_VERSION, r: r.result, sat: r.sat, n: r.n };
  if (r.op !== undefined) wire.op = r.op;
  if (r.why !== undefined) wire.why = r.why.slice(0, 160);
  if (r.status) wire.st = { mode: r.status.mode, paused: r.status.paused, acts: r.status.actions.slice(0, 8), boots: r.status.boots };
  return encodePlain(wire);
}

/** Reply bytes → reply, or undefined (not a ground reply: an ISL frame, garbage). */
export function parseReply(bytes: Uint8Array): GroundReply | undefined {
  // An ISL frame starts with its small version byte (see ISL-FORMAT.md); a CBOR map with 0xa0..0xbf.
  if (bytes.length === 0 || (bytes[0]! & 0xe0) !== 0xa0) return undefined;
  const m = decode(bytes);
  if (!isMap(m) || m.v !== GROUND_FORMAT_VERSION || !text(m.sat, 64)) return undefined;
  if (m.r !== 'accepted' && m.r !== 'failed' && m.r !== 'refused') return undefined;
  const reply: GroundReply = { result: m.r, sat: m.sat, n: typeof m.n === 'number' ? m.n : null };
  if (typeof m.op === 'string') reply.op = m.op;
  if (typeof m.why === 'string') reply.why = m.why;
  const st = m.st;
  if (isMap(st) && typeof st.mode === 'string' && typeof st.paused === 'boolean' && Array.isArray(st.acts) && typeof st.boots === 'number') {
    reply.status = { mode: st.mode, paused: st.paused, actions: st.acts.filter((a): a is string => typeof a === 'string'), boots: st.boots };
  }
  return reply;
}
