import { isUtf8 } from 'node:buffer';
import { decode, encode, type EncodeOptions } from 'cbor2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPlainCbor, decodeBody, MAX_NESTING } from '../../../hal/index.js';
import { keyArb, plainValueArb } from './arbitraries.js';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/** A body map `{"a": <item>}` around a hex item. */
const inMap = (item: string): Buffer => h(`a1 6161 ${item}`);

const refused = (b: Uint8Array, reason: 'cbor' | 'schema', why: RegExp, maxDepth?: number) => {
  const r = checkPlainCbor(b, maxDepth);
  expect(r.ok, Buffer.from(b).toString('hex')).toBe(false);
  if (!r.ok) {
    expect(r.reason).toBe(reason);
    expect(r.why).toMatch(why);
  }
};

/** k arrays nested inside the body map: the deepest is at level k (body map = level 0). */
const nestedArrays = (k: number, innermost = '01') => inMap('81'.repeat(k - 1) + (innermost === '' ? '80' : '81' + innermost));
const nestedMaps = (k: number) => h('a1 6161'.repeat(k + 1) + '01');

describe('checkPlainCbor accepts plain CBOR', () => {
  it.each([
    ['empty map', 'a0'],
    ['false, true, null', 'a3 6161 f4 6162 f5 6163 f6'],
    ['float16, float32, float64', 'a3 6161 f93c00 6162 fa3fc00000 6163 fb3fb999999999999a'],
    ['uint64 max and the most negative int', 'a2 6161 1bffffffffffffffff 6162 3bffffffffffffffff'],
    ['integers in non-shortest forms', 'a2 6161 1b0000000000000001 6162 1900ff'],
    ['byte and text strings, empty and not', 'a4 6161 40 6162 420102 6163 60 6164 63616263'],
    ['arrays and maps inside', 'a1 6161 82 a1 6162 80 a0'],
  ])('%s', (_name, hex) => {
    expect(checkPlainCbor(h(hex))).toEqual({ ok: true });
  });
});

describe('checkPlainCbor refuses (reason cbor)', () => {
  it('tags: 1-byte, 2-byte, at the top and deep inside', () => {
    refused(inMap('c1 00'), 'cbor', /tag 1\b/);
    refused(inMap('d8 20 60'), 'cbor', /tag 32/);
    refused(h('d9d9f7 a0'), 'cbor', /tag 55799/);
    refused(inMap('81 81 c2 41 01'), 'cbor', /tag 2\b/);
  });

  it.each([
    ['text', '7f 6161 ff'],
    ['byte string', '5f 4101 ff'],
    ['array', '9f 01 ff'],
    ['map', 'bf 6162 01 ff'],
  ])('indefinite-length %s', (_name, item) => {
    refused(inMap(item), 'cbor', /indefinite length/);
  });

  it('an indefinite-length body map', () => refused(h('bf 6161 01 ff'), 'cbor', /indefinite length/));

  it('a break outside an indefinite item', () => {
    refused(h('ff'), 'cbor', /break/);
    refused(inMap('ff'), 'cbor', /break/);
  });

  it('undefined (simple 23)', () => refused(inMap('f7'), 'cbor', /simple value 23/));

  it.each(Array.from({ length: 20 }, (_, i) => i))('simple(%i) in its one-byte form', (n) => {
    refused(inMap((0xe0 + n).toString(16)), 'cbor', new RegExp(`simple value ${n}\\b`));
  });

  it.each([0, 19, 32, 255])('simple(%i) in its two-byte form (f8 xx)', (n) => {
    refused(inMap('f8' + n.toString(16).padStart(2, '0')), 'cbor', new RegExp(`simple value ${n}\\b`));
  });

  it('reserved additional information 28, 29, 30, in every major type', () => {
    for (let mt = 0; mt < 8; mt++) {
      for (const ai of [28, 29, 30]) refused(inMap(((mt << 5) | ai).toString(16)), 'cbor', /reserved/);
    }
  });

  it.each([
    ['1-byte argument', '18'],
    ['2-byte argument', '19 00'],
    ['4-byte argument', '3a 000000'],
    ['8-byte argument', '1b 00000000000000'],
    ['float16 with one byte', 'f9 3c'],
    ['length of a byte string', '59 01'],
  ])('truncated %s', (_name, item) => {
    refused(inMap(item), 'cbor', /truncated argument/);
  });

  it('nothing at all, or a map that ends before its items', () => {
    refused(new Uint8Array(0), 'cbor', /truncated/);
    refused(h('a1 6161'), 'cbor', /truncated/);
  });

  it.each([
    ['byte string', '45 0102'],
    ['text string', '65 6162'],
    ['array count', '85 01'],
    ['map count', 'a3 6178 01'],
    ['2^64−1 byte string', '5b ffffffffffffffff 00'],
  ])('declared length past the end: %s', (_name, item) => {
    refused(inMap(item), 'cbor', /declared length past the end/);
  });

  it('trailing bytes after the body (a body is exactly one item)', () => {
    refused(h('a0 00'), 'cbor', /trailing bytes/);
    refused(h('a0 a0'), 'cbor', /trailing bytes/);
  });
});

describe('text strings must be UTF-8 (RFC 3629)', () => {
  const text = (bytes: string) => {
    const b = h(bytes);
    return Buffer.concat([h('a1 6161'), Buffer.from([0x60 + b.length]), b]);
  };
  it.each([
    ['2-, 3- and 4-byte sequences', 'c3a9 e282ac f09f9880'],
    ['the edges U+0080, U+07FF, U+0800, U+FFFF, U+10000, U+10FFFF', 'c280 dfbf e0a080 efbfbf f0908080 f48fbfbf'],
    ['U+D7FF and U+E000 around the surrogates', 'ed9fbf ee8080'],
  ])('accepts %s', (_name, bytes) => {
    expect(checkPlainCbor(text(bytes))).toEqual({ ok: true });
  });

  it.each([
    ['a lone continuation byte', '80'],
    ['an overlong 2-byte form of "/"', 'c0af'],
    ['an overlong 3-byte form', 'e080af'],
    ['an overlong 4-byte form', 'f08080af'],
    ['a surrogate (U+D800, as cbor-x writes a lone one)', 'eda080'],
    ['a code point above U+10FFFF', 'f4908080'],
    ['0xF5 and above', 'f5808080'],
    ['a sequence cut short by the end of the string', '61e282'],
    ['a sequence broken by an ASCII byte', 'e26161'],
  ])('refuses %s', (_name, bytes) => {
    refused(text(bytes), 'cbor', /not valid UTF-8/);
  });

  it('property: a text string is accepted exactly when its bytes are UTF-8 (oracle: buffer.isUtf8)', () => {
    const bytesArb = fc.array(fc.oneof(fc.integer({ min: 0x80, max: 0xff }), fc.integer({ min: 0, max: 0xff })), { maxLength: 12 });
    fc.assert(
      fc.property(bytesArb, (arr) => {
        const b = Buffer.from(arr);
        const body = Buffer.concat([h('a1 6161'), Buffer.from([0x78, b.length]), b]);
        expect(checkPlainCbor(body).ok).toBe(isUtf8(b));
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it('byte strings are not checked (any bytes are fine)', () => {
    expect(checkPlainCbor(h('a1 6161 43 eda080'))).toEqual({ ok: true });
  });
});

describe('nesting depth (PROTOCOL.md §2: the body map is level 0, at most 16 levels)', () => {
  it(`MAX_NESTING is 16; ${16} nested containers are accepted, 17 refused`, () => {
    expect(MAX_NESTING).toBe(16);
    expect(checkPlainCbor(nestedArrays(16))).toEqual({ ok: true });
    refused(nestedArrays(17), 'cbor', /nested deeper than 16/);
    expect(checkPlainCbor(nestedMaps(16))).toEqual({ ok: true });
    refused(nestedMaps(17), 'cbor', /nested deeper than 16/);
  });

  it('an empty container counts as a level too', () => {
    expect(checkPlainCbor(nestedArrays(16, ''))).toEqual({ ok: true });
    refused(nestedArrays(17, ''), 'cbor', /nested deeper/);
  });

  it('the limit is a parameter', () => {
    expect(checkPlainCbor(nestedArrays(2), 2)).toEqual({ ok: true });
    refused(nestedArrays(3), 'cbor', /nested deeper than 2/, 2);
    refused(nestedArrays(1, ''), 'cbor', /nested deeper than 0/, 0);
    expect(checkPlainCbor(h('a1 6161 01'), 0)).toEqual({ ok: true });
  });

  it('decodeBody agrees: a sample whose val reaches level 16 is delivered, level 17 is a cbor drop', () => {
    const sample = (levels: number) => {
      // val is level 1; its field holds (levels − 1) arrays.
      const inner = '81'.repeat(levels - 2) + '80';
      return h(`a7 6176 01 646b696e64 6673616d706c65 63736571 01 6474696d65 01 63646576 63696d75 626174 01 6376616c a1 6161 ${inner}`);
    };
    expect(decodeBody(sample(16))).toMatchObject({ ok: true, msg: { kind: 'sample' } });
    expect(decodeBody(sample(17))).toMatchObject({ ok: false, reason: 'cbor' });
  });
});

describe('checkPlainCbor refuses non-text map keys (reason schema)', () => {
  it.each([
    ['integer key in the body map', 'a1 01 02'],
    ['byte-string key', 'a1 41 00 02'],
    ['null key in a nested map', 'a1 6161 a1 f6 01'],
    ['array key in a nested map', 'a1 6161 a2 6162 01 80 02'],
  ])('%s', (_name, hex) => {
    refused(h(hex), 'schema', /map key is not text/);
  });
});

describe('property: every plain value cbor2 encodes without tags is accepted', () => {
  const big = fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n });
  const valueArb = fc.oneof(plainValueArb(4), big, fc.constant(-0));
  const bodyArb = fc.dictionary(keyArb, valueArb, { maxKeys: 6, noNullPrototype: true });
  const optionSets: [string, EncodeOptions][] = [
    ['defaults', {}],
    ['float64', { float64: true }],
    ['CDE', { cde: true }],
  ];
  it.each(optionSets)('cbor2 %s', (_name, opts) => {
    fc.assert(
      fc.property(bodyArb, (v) => {
        expect(checkPlainCbor(encode(v, opts))).toEqual({ ok: true });
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('and what checkPlainCbor accepts, cbor2 (strict: no streaming, no simple values) can decode', () => {
    const mutated = fc.tuple(bodyArb, fc.nat(), fc.nat(255)).map(([v, at, byte]) => {
      const b = Buffer.from(encode(v));
      b[at % b.length] = byte;
      return b;
    });
    fc.assert(
      fc.property(mutated, (b) => {
        if (!checkPlainCbor(b).ok) return;
        expect(() => decode(b, { rejectStreaming: true, rejectSimple: true, rejectUndefined: true })).not.toThrow();
      }),
      { seed: 42, numRuns: 1000 },
    );
  });
});
