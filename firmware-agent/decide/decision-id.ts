import { createHash } from 'node:crypto';

/** Canonical JSON: object keys sorted, so equal values give equal text on any machine. */
export function canonical(x: unknown): string {
  if (x === null || typeof x !== 'object') return JSON.stringify(x) ?? 'null';
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  const o = x as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

/** 16 hex digits of SHA-256 over the canonical form: stable ids derived from content. */
export function contentId(x: unknown): string {
  return createHash('sha256').update(canonical(x)).digest('hex').slice(0, 16);
}
