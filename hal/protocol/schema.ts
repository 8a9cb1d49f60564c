/**
 * A very small schema kit: each schema is a checker plus a phantom TypeScript type, so a
 * message kind is declared once and yields both its type (`Infer<typeof S>`) and its runtime
 * validator. Hand-written rather than a validation library because it sits on the per-frame
 * hot path of a flight link, must map failures onto the protocol's refusal codes, and must
 * run on a board with nothing but the agent's own dependencies.
 */
export interface Schema<T> {
  /** Undefined when `v` conforms; otherwise a short reason naming the bad field. */
  readonly check: (v: unknown) => string | undefined;
  /** Human-readable type, for docs and error messages. */
  readonly describe: string;
  /** Phantom: never set at run time. */
  readonly _type?: T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function schema<T>(describe: string, check: (v: unknown) => string | undefined): Schema<T> {
  return { check, describe };
}

export const UINT32_MAX = 0xffffffff;
/** `time`/`at` are below 2^53 (PROTOCOL.md §2). */
export const UINT53_MAX = Number.MAX_SAFE_INTEGER;

const isUint = (v: unknown, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

export const uint32 = schema<number>('uint32', (v) => (isUint(v, UINT32_MAX) ? undefined : 'expected an unsigned integer below 2^32'));
export const uint53 = schema<number>('uint', (v) => (isUint(v, UINT53_MAX) ? undefined : 'expected an unsigned integer below 2^53'));
export const int = schema<number>('int', (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? undefined : 'expected an integer'));
export const num = schema<number>('number', (v) => (typeof v === 'number' ? undefined : 'expected a number'));
export const nonNegative = schema<number>('number >= 0', (v) => (typeof v === 'number' && v >= 0 ? undefined : 'expected a number >= 0'));
export const text = schema<string>('text', (v) => (typeof v === 'string' ? undefined : 'expected text'));
export const bool = schema<boolean>('bool', (v) => (typeof v === 'boolean' ? undefined : 'expected true or false'));
export const bytes = schema<Uint8Array>('bytes', (v) => (v instanceof Uint8Array ? undefined : 'expected a byte string'));
/** Any plain CBOR value (the scanner has already refused everything else). */
export const plain = schema<PlainValue>('any', () => undefined);

export type PlainValue = number | string | boolean | null | Uint8Array | PlainValue[] | { [k: string]: PlainValue };

export function literal<const L extends string | number | boolean>(value: L): Schema<L> {
  return schema<L>(JSON.stringify(value), (v) => (v === value ? undefined : `expected ${JSON.stringify(value)}`));
}

export function oneOf<const L extends string>(...values: L[]): Schema<L> {
  const set = new Set<unknown>(values);
  return schema<L>(values.map((x) => JSON.stringify(x)).join(' | '), (v) =>
    set.has(v) ? undefined : `expected one of ${values.join(', ')}`,
  );
}

export function arrayOf<T>(item: Schema<T>): Schema<T[]> {
  return schema<T[]>(`[${item.describe}]`, (v) => {
    if (!Array.isArray(v)) return 'expected an array';
    for (let i = 0; i < v.length; i++) {
      const e = item.check(v[i]);
      if (e !== undefined) return `[${i}]: ${e}`;
    }
    return undefined;
  });
}

export const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** A map of text keys to values of one schema. */
export function mapOf<T>(value: Schema<T>): Schema<Record<string, T>> {
  const describe = `{text: ${value.describe}}`;
  // Any plain value: only the map itself is checked (no walk over its values).
  if ((value as Schema<unknown>) === plain) return schema<Record<string, T>>(describe, (v) => (isMap(v) ? undefined : 'expected a map'));
  const check = value.check;
  return schema<Record<string, T>>(describe, (v) => {
    if (!isMap(v)) return 'expected a map';
    for (const k in v) {
      const e = check(v[k]);
      if (e !== undefined) return `${k}: ${e}`;
    }
    return undefined;
  });
}

type Shape = Record<string, Schema<unknown>>;
type Out<S extends Shape> = { [K in keyof S]: Infer<S[K]> };
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * A map with required and optional fields. Unknown keys are ignored (PROTOCOL.md §2:
 * forward compatibility); an optional field that is present must still conform.
 *
 * Compiled once into flat arrays of keys and checkers (no Object.entries, no iterator or
 * destructuring per call); the reasons are the same as field-by-field in declaration order.
 */
export function struct<R extends Shape, O extends Shape = Record<never, never>>(
  required: R,
  optional?: O,
): Schema<Simplify<Out<R> & Partial<Out<O>>>> {
  const req = Object.entries(required);
  const opt = Object.entries(optional ?? {});
  const describe = `{${[...req.map(([k, s]) => `${k}: ${s.describe}`), ...opt.map(([k, s]) => `${k}?: ${s.describe}`)].join(', ')}}`;
  const reqKeys = req.map(([k]) => k);
  const reqChecks = req.map(([, s]) => s.check);
  const optKeys = opt.map(([k]) => k);
  const optChecks = opt.map(([, s]) => s.check);
  const nReq = reqKeys.length;
  const nOpt = optKeys.length;
  return schema(describe, (v) => {
    if (!isMap(v)) return 'expected a map';
    for (let i = 0; i < nReq; i++) {
      const k = reqKeys[i]!;
      const x = v[k];
      if (x === undefined) return `missing field ${k}`;
      const e = reqChecks[i]!(x);
      if (e !== undefined) return `${k}: ${e}`;
    }
    for (let i = 0; i < nOpt; i++) {
      const k = optKeys[i]!;
      const x = v[k];
      if (x === undefined) continue;
      const e = optChecks[i]!(x);
      if (e !== undefined) return `${k}: ${e}`;
    }
    return undefined;
  });
}

/** Adds a cross-field rule to a schema (e.g. "code is required when ok is false"). */
export function refine<T>(base: Schema<T>, rule: (v: T) => string | undefined): Schema<T> {
  return schema<T>(base.describe, (v) => base.check(v) ?? rule(v as T));
}

/** Picks a schema by the value of a text field (e.g. `hello` by `role`). */
export function byField<const K extends string, const M extends Record<string, Schema<unknown>>>(
  key: K,
  variants: M,
): Schema<Infer<M[keyof M]>> {
  const names = Object.keys(variants);
  return schema(names.map((n) => variants[n]!.describe).join(' | '), (v) => {
    if (!isMap(v)) return 'expected a map';
    const tag = v[key];
    const s = typeof tag === 'string' && Object.hasOwn(variants, tag) ? variants[tag] : undefined;
    if (!s) return `${key}: expected one of ${names.join(', ')}`;
    return s.check(v);
  });
}
