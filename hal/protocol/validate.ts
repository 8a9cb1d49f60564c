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
  const seq = x.seq;
  const ref = typeof seq === 'number' && Number.isInteger(seq) && seq >= 0 && seq <= UINT32_MAX ? seq : undefined;
  const withRef = <T extends object>(r: T): T & { ref?: number } => (ref === undefined ? r : { ...r, ref });
  const kind = typeof x.kind === 'string' ? x.kind : undefined;
  const v = x.v;
  if (v !== PROTOCOL_VERSION) {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
      return withRef({ ok: false as const, code: 'version' as const, why: `version ${v} is not ${PROTOCOL_VERSION}`, ...(kind ? { kind } : {}) });
    }
    return withRef({ ok: false as const, code: 'schema' as const, why: 'v: expected an unsigned integer' });
  }
  if (kind === undefined) return withRef({ ok: false as const, code: 'schema' as const, why: 'kind: expected text' });
  if (!isKind(kind)) return withRef({ ok: false as const, code: 'kind' as const, why: `unknown kind ${JSON.stringify(kind)}`, kind });
  const why = KINDS[kind].check(x);
  if (why !== undefined) return withRef({ ok: false as const, code: 'schema' as const, why: `${kind}: ${why}`, kind });
  return { ok: true, msg: x as Message };
}
