import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
/** The contract's own copy, beside the repository (as in CI). */
export const SHARED_VECTORS = resolve(here, '../../../shared/vectors/hal-v1.json');
/** Our copy, so a clone without shared/ still runs every vector. */
export const LOCAL_VECTORS = resolve(here, 'vectors/hal-v1.json');

export interface FramingCase {
  name: string;
  note: string;
  wire: string;
  bodies: unknown[];
  drops: Record<string, number>;
}
export interface MessageCase {
  name: string;
  note: string;
  body: unknown;
  expect: string;
}
export interface Vectors {
  framing: FramingCase[];
  messages: MessageCase[];
}

export function loadVectors(): Vectors {
  const path = existsSync(SHARED_VECTORS) ? SHARED_VECTORS : LOCAL_VECTORS;
  return JSON.parse(readFileSync(path, 'utf8')) as Vectors;
}

/** JSON form → plain value: {"$bytes": hex} becomes a Uint8Array. */
export function fromJson(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(fromJson);
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    if (typeof o.$bytes === 'string' && Object.keys(o).length === 1) return new Uint8Array(Buffer.from(o.$bytes, 'hex'));
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fromJson(v)]));
  }
  return x;
}

/** Plain value → JSON form, for comparing decoded bodies with the vectors. */
export function toJson(x: unknown): unknown {
  if (x instanceof Uint8Array) return { $bytes: Buffer.from(x).toString('hex') };
  if (Array.isArray(x)) return x.map(toJson);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, toJson(v)]));
  return x;
}
