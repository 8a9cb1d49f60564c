import { isMap, UINT32_MAX } from './schema.js';
import { KINDS, PROTOCOL_VERSION, isKind, type Message } from './messages.js';

export type Validation =
  | { ok: true; msg: Message }
  | { ok: false; code: 'schema' | 'version' | 'kind'; why: string; ref?: number; kind?: string };

/**
 * Checks a decoded body against PROTOCOL.md §2–3 and gives the refusal code the spec asks
 * for: not a map → `schema`; `v` other than 1 → `version`; `kind` not text → `schema`;
 * unknown kind → `kind`; anything else wrong → `schema`. `ref` is the body's `seq` when it
 * could be read, so the `error` answer can name the refused request.
 */
export function validateBody(x: unknown): Validation {
  if (!isMap(x)) return { ok: false, code: 'schema', why: 'body is not a map' };
  const kind = x.kind;
  const v = x.v;
  // The common case first: a known kind that conforms. No allocation but the result.
  if (v === PROTOCOL_VERSION && typeof kind === 'string' && isKind(kind)) {
    const why = KINDS[kind].check(x);
    if (why === undefined) return { ok: true, msg: x as Message };
    return refusal(x, 'schema', `${kind}: ${why}`, kind);
  }
  const k = typeof kind === 'string' ? kind : undefined;
  if (v !== PROTOCOL_VERSION) {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
      // (an empty kind is left out here, as it always was)
      return refusal(x, 'version', `version ${v} is not ${PROTOCOL_VERSION}`, k ? k : undefined);
    }
    return refusal(x, 'schema', 'v: expected an unsigned integer', undefined);
  }
  if (k === undefined) return refusal(x, 'schema', 'kind: expected text', undefined);
  return refusal(x, 'kind', `unknown kind ${JSON.stringify(k)}`, k);
}

/** A refusal naming `ref` (the body's `seq`) when it could be read, and `kind` when known. */
function refusal(x: Record<string, unknown>, code: 'schema' | 'version' | 'kind', why: string, kind: string | undefined): Validation {
  const seq = x.seq;
  const ref = typeof seq === 'number' && Number.isInteger(seq) && seq >= 0 && seq <= UINT32_MAX ? seq : undefined;
  const r: { ok: false; code: 'schema' | 'version' | 'kind'; why: string; kind?: string; ref?: number } = { ok: false, code, why };
  if (kind !== undefined) r.kind = kind;
  if (ref !== undefined) r.ref = ref;
  return r;
}
