import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonical, contentId } from '../../../firmware-agent/decide/decision-id.js';

/** The same value with its object keys in reverse order, at every level. */
function reversed(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(reversed);
  if (x === null || typeof x !== 'object') return x;
  return Object.fromEntries(Object.keys(x).reverse().map((k) => [k, reversed((x as Record<string, unknown>)[k])]));
}

describe('canonical JSON', () => {
  it('sorts object keys at every level and keeps array order', () => {
    expect(canonical({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } })).toBe('{"a":{"c":[3,{"e":2,"f":1}],"d":2},"b":1}');
    expect(canonical([3, 1, 2])).toBe('[3,1,2]');
  });

  it('encodes scalars as JSON does, drops undefined fields and writes undefined elsewhere as null', () => {
    expect(canonical('a"b')).toBe('"a\\"b"');
    expect(canonical(1.5)).toBe('1.5');
    expect(canonical(true)).toBe('true');
    expect(canonical(null)).toBe('null');
    expect(canonical(undefined)).toBe('null');
    expect(canonical({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonical([undefined, 1])).toBe('[null,1]');
  });

  it('is key-order independent and parses back to the same JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = canonical(v);
        expect(canonical(reversed(v))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('contentId', () => {
  it('is 16 hex digits of SHA-256 over the canonical form', () => {
    const x = { rule: 'r', params: { duty: 0.3 }, mode: 'nominal' };
    expect(contentId(x)).toBe(createHash('sha256').update('{"mode":"nominal","params":{"duty":0.3},"rule":"r"}').digest('hex').slice(0, 16));
  });

  it('is stable: a known value has a known id (any change to the scheme would re-run journaled actions)', () => {
    expect(contentId({})).toBe('44136fa355b3678a');
    expect(contentId({ b: [1, 'x'], a: null })).toBe(contentId({ a: null, b: [1, 'x'] }));
  });

  it('equal values give equal ids and different values different ids', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const same = canonical(a) === canonical(b);
        expect(contentId(a) === contentId(b)).toBe(same);
        expect(contentId(reversed(a))).toBe(contentId(a));
      }),
      { numRuns: 300 },
    );
  });
});
