import { ConfigError } from './error.js';

/**
 * The configuration's validation kit: each spec is a reader plus phantom TypeScript types, so
 * a section is declared once and yields its parsed type (`Infer`), its input type (`Input`:
 * fields with a default may be left out) and its validator. Written for the agent rather than
 * taken from a validation library because it runs on the board, once, at start: zod took the
 * agent's peak RSS from 79.3 to 85.0 MB (bench agent-rss) for a few hundred lines of rules.
 *
 * Rules: maps are strict (an unknown key is an issue naming the keys allowed); a default is a
 * raw value parsed like a given one (so a default section's own defaults fill in); every issue
 * is collected, each as `path: expected <what is allowed>, got <value>`; the output is always a
 * fresh object (never the caller's nor a default's).
 */

export type Path = readonly (string | number)[];
export interface Issue {
  readonly path: Path;
  readonly message: string;
}
type Presence = 'required' | 'optional' | 'default';
type SafeResult<O> = { success: true; data: O } | { success: false; issues: Issue[] };

export interface Spec<O, I = O, P extends Presence = 'required'> {
  /** What a value may be, as read by a person: "a number in 0.1..100". */
  readonly describe: string;
  /** Whether a map may leave this field out (`optional`), or fills it from `fallback` (`default`). */
  readonly presence: P;
  /** The raw value a missing field takes (presence `default`); parsed like a given one. */
  readonly fallback?: unknown;
  /** Reads a present value: the parsed value, or anything after pushing at least one issue. */
  readonly read: (v: unknown, path: Path, issues: Issue[]) => O;
  /** The parsed value; throws ConfigError naming every bad field. */
  parse(v: unknown, source?: string): O;
  safeParse(v: unknown): SafeResult<O>;
  /** Phantom: never set at run time. */
  readonly _input?: I;
}

// Any spec, whatever its types: `any` lets a shape hold specs of different types.
type AnySpec = Spec<any, any, Presence>;
export type Infer<S> = S extends Spec<infer O, unknown, Presence> ? O : never;
export type Input<S> = S extends Spec<unknown, infer I, Presence> ? I : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** `path: message`, or `(top level): message`. */
export function formatIssue(i: Issue): string {
  return `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`;
}

/** A value as an issue quotes it: short, with its type visible ("500" is text, 500 a number). */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'a map';
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function spec<O, I = O>(describe: string, read: (v: unknown, path: Path, issues: Issue[]) => O): Spec<O, I> {
  return withPresence<O, I, 'required'>({ describe, read }, 'required', undefined);
}

function withPresence<O, I, P extends Presence>(base: Pick<Spec<O, I>, 'describe' | 'read'>, presence: P, fallback: unknown): Spec<O, I, P> {
  const { describe, read } = base;
  const safeParse = (v: unknown): SafeResult<O> => {
    const issues: Issue[] = [];
    const data = read(v, [], issues);
    return issues.length ? { success: false, issues } : { success: true, data };
  };
  return {
    describe,
    presence,
    ...(presence === 'default' ? { fallback } : {}),
    read,
    safeParse,
    parse(v, source = 'config') {
      const r = safeParse(v);
      if (!r.success) throw new ConfigError(source, r.issues.map(formatIssue));
      return r.data;
    },
  };
}

/** A map may leave the field out; it is then absent from the result too. */
export function optional<O, I>(s: Spec<O, I>): Spec<O, I, 'optional'> {
  return withPresence<O, I, 'optional'>(s, 'optional', undefined);
}

/** A missing field takes `raw`, parsed like a given value (so nested defaults fill in). */
export function withDefault<O, I>(s: Spec<O, I>, raw: I): Spec<O, I, 'default'> {
  return withPresence<O, I, 'default'>(s, 'default', raw);
}

// ---------------------------------------------------------------------------------------
// Leaves

export interface NumberRule {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound (`gt: 0`: positive). */
  gt?: number;
  /** Inclusive upper bound. */
  max?: number;
  int?: boolean;
}

/** A finite number (or integer) within bounds. */
export function number(rule: NumberRule = {}): Spec<number> {
  const { min, gt, max, int = false } = rule;
  const kind = int ? 'an integer' : 'a number';
  const lower = gt !== undefined ? `> ${gt}` : min !== undefined ? `>= ${min}` : undefined;
  const describe =
    min !== undefined && max !== undefined
      ? `${kind} in ${min}..${max}`
      : `${kind}${[lower, max !== undefined ? `<= ${max}` : undefined].filter(Boolean).map((b, i) => (i ? ` and ${b}` : ` ${b}`)).join('')}`;
  return spec<number>(describe, (v, path, issues) => {
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (!int || Number.isInteger(v)) &&
      (min === undefined || v >= min) &&
      (gt === undefined || v > gt) &&
      (max === undefined || v <= max);
    if (!ok) issues.push({ path, message: `expected ${describe}, got ${show(v)}` });
    return v as number;
  });
}

/** Text; `nonEmpty` refuses ""; `pattern` with `like` (an example for the message). */
export function text(rule: { nonEmpty?: boolean; pattern?: RegExp; like?: string } = {}): Spec<string> {
  const { nonEmpty = false, pattern, like } = rule;
  const describe = like ? `text like ${like}` : nonEmpty ? 'non-empty text' : 'text';
  return spec<string>(describe, (v, path, issues) => {
    if (typeof v !== 'string' || (nonEmpty && v.length === 0) || (pattern && !pattern.test(v))) {
      issues.push({ path, message: `expected ${describe}, got ${show(v)}` });
    }
    return v as string;
  });
}

export function boolean(): Spec<boolean> {
  return spec<boolean>('true or false', (v, path, issues) => {
    if (typeof v !== 'boolean') issues.push({ path, message: `expected true or false, got ${show(v)}` });
    return v as boolean;
  });
}

/** One of a few strings (an enum). */
export function oneOf<const L extends string>(values: readonly L[]): Spec<L> {
  const describe = `one of ${values.join(', ')}`;
  return spec<L>(describe, (v, path, issues) => {
    if (!(values as readonly unknown[]).includes(v)) issues.push({ path, message: `expected ${describe}, got ${show(v)}` });
    return v as L;
  });
}

// ---------------------------------------------------------------------------------------
// Containers

export function list<O, I>(item: Spec<O, I>): Spec<O[], I[]> {
  return spec<O[], I[]>(`a list of ${item.describe}`, (v, path, issues) => {
    if (!Array.isArray(v)) {
      issues.push({ path, message: `expected a list, got ${show(v)}` });
      return [];
    }
    return v.map((x, i) => item.read(x, [...path, i], issues));
  });
}

type Shape = Record<string, AnySpec>;
type KeysWith<S extends Shape, P extends Presence> = { [K in keyof S]: S[K] extends Spec<unknown, unknown, P> ? K : never }[keyof S];
/** Parsed: optional fields may be missing; defaulted ones are always there. */
export type MapOut<S extends Shape> = Simplify<{ [K in Exclude<keyof S, KeysWith<S, 'optional'>>]: Infer<S[K]> } & { [K in KeysWith<S, 'optional'>]?: Infer<S[K]> }>;
/** As written: only required fields must be there. */
export type MapIn<S extends Shape> = Simplify<{ [K in KeysWith<S, 'required'>]: Input<S[K]> } & { [K in Exclude<keyof S, KeysWith<S, 'required'>>]?: Input<S[K]> }>;

/** A map with exactly these fields (unknown keys are issues). */
export function map<S extends Shape>(shape: S): Spec<MapOut<S>, MapIn<S>> {
  const keys = Object.keys(shape);
  return spec<MapOut<S>, MapIn<S>>(`a map of ${keys.join(', ')}`, (v, path, issues) => {
    if (!isMap(v)) {
      issues.push({ path, message: `expected a map (${keys.join(', ')}), got ${show(v)}` });
      return {} as MapOut<S>;
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const s = shape[k]!;
      const x = v[k];
      if (x !== undefined) out[k] = s.read(x, [...path, k], issues);
      else if (s.presence === 'default') out[k] = s.read(s.fallback, [...path, k], issues);
      else if (s.presence === 'required') issues.push({ path: [...path, k], message: `required: ${s.describe}` });
    }
    for (const k of Object.keys(v)) {
      if (!Object.hasOwn(shape, k)) issues.push({ path: [...path, k], message: `unknown key; allowed here: ${keys.join(', ')}` });
    }
    return out as MapOut<S>;
  });
}

/** Maps told apart by the text field `tag` (e.g. `kind`); each variant declares it with `oneOf([name])`. */
export function byTag<const V extends Record<string, AnySpec>>(tag: string, variants: V): Spec<Infer<V[keyof V]>, Input<V[keyof V]>> {
  const names = Object.keys(variants);
  return spec(names.map((n) => `${tag} ${n}`).join(' | '), (v, path, issues) => {
    if (!isMap(v)) {
      issues.push({ path, message: `expected a map with ${tag}: ${names.join(' | ')}, got ${show(v)}` });
      return v as Infer<V[keyof V]>;
    }
    const t = v[tag];
    const s = typeof t === 'string' && Object.hasOwn(variants, t) ? variants[t] : undefined;
    if (!s) {
      issues.push({ path: [...path, tag], message: `expected one of ${names.join(', ')}, got ${show(t)}` });
      return v as Infer<V[keyof V]>;
    }
    return s.read(v, path, issues) as Infer<V[keyof V]>;
  });
}

/**
 * A rule across fields, checked only when the value itself is valid. `report(message, ...at)`
 * files an issue at `at` below the value's path.
 */
export function refine<O, I>(s: Spec<O, I>, rule: (value: O, report: (message: string, ...at: (string | number)[]) => void) => void): Spec<O, I> {
  return spec<O, I>(s.describe, (v, path, issues) => {
    const before = issues.length;
    const out = s.read(v, path, issues);
    if (issues.length === before) rule(out, (message, ...at) => issues.push({ path: [...path, ...at], message }));
    return out;
  });
}
