/**
 * Zod's issues as plain sentences for a person editing a scenario file: which field, what it
 * allows, what it got. Zod's own messages ("Invalid input: expected object, received string")
 * name JavaScript types; these say "a map of scenario fields (name, seed, …), got text".
 */
import type { z } from 'zod';

type Path = readonly PropertyKey[];

/** The value at `path` in the input, or undefined. */
function valueAt(input: unknown, path: Path): unknown {
  let v = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** The object fields the schema allows at `path` (through defaults, optionals and lists). */
export function fieldsAt(schema: z.ZodType, path: Path): string[] {
  let s = schema as unknown as { _zod: { def: Record<string, unknown> } };
  const unwrap = (): void => {
    for (let d = s._zod.def; d.innerType && ['default', 'optional', 'nullable', 'prefault'].includes(d.type as string); d = s._zod.def) {
      s = d.innerType as typeof s;
    }
  };
  unwrap();
  for (const k of path) {
    const d = s._zod.def;
    if (d.type === 'object') s = (d.shape as Record<string, typeof s>)[String(k)]!;
    else if (d.type === 'array') s = d.element as typeof s;
    else return [];
    if (!s) return [];
    unwrap();
  }
  return s._zod.def.type === 'object' ? Object.keys(s._zod.def.shape as object) : [];
}

/** What a person would call a value: text "abc", the number 5, a list, a map, nothing. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'nothing (null, or an empty file)';
  if (typeof v === 'string') return `text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  return 'a map';
}

const KIND: Record<string, string> = { number: 'a number', string: 'text', boolean: 'true or false', array: 'a list', int: 'a whole number' };

function bound(i: { minimum?: unknown; maximum?: unknown; inclusive?: boolean; origin?: string }, small: boolean): string {
  const n = Number(small ? i.minimum : i.maximum);
  if (i.origin === 'string') return small ? (n <= 1 ? 'must not be empty' : `must be at least ${n} characters`) : `must be at most ${n} characters`;
  if (i.origin === 'array') return small ? `needs at least ${n} entries` : `may have at most ${n} entries`;
  return `must be ${small ? (i.inclusive ? '>=' : '>') : i.inclusive ? '<=' : '<'} ${n}`;
}

/** One line per issue: `field.path: what is wrong (what is allowed)`. */
export function describeScenarioIssues(err: z.ZodError, input: unknown, schema: z.ZodType): string[] {
  return err.issues.map((i) => {
    const where = i.path.length ? i.path.join('.') : '(top level)';
    const got = valueAt(input, i.path);
    const fields = (path: Path): string => fieldsAt(schema, path).join(', ');
    switch (i.code) {
      case 'invalid_type': {
        if (i.expected === 'object') {
          const what = i.path.length ? `a map of fields (${fields(i.path)})` : `a map of scenario fields (${fields([])})`;
          return `${where}: expected ${what}, got ${describeValue(got)}`;
        }
        if (got === undefined) return `${where}: required (${KIND[i.expected] ?? i.expected})`;
        return `${where}: expected ${KIND[i.expected] ?? i.expected}, got ${describeValue(got)}`;
      }
      case 'unrecognized_keys':
        return `${where}: unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')} (allowed: ${fields(i.path)})`;
      case 'invalid_value':
        return `${where}: expected one of ${i.values.map((v) => String(v)).join(', ')}, got ${describeValue(got)}`;
      case 'too_small':
      case 'too_big':
        return `${where}: ${bound(i as never, i.code === 'too_small')}, got ${describeValue(got)}`;
      default:
        return `${where}: ${i.message}`;
    }
  });
}
