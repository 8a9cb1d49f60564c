import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../../hal/index.js';
import { crc32Fallback } from '../../../hal/framing/crc32.js';

const ascii = (s: string) => new TextEncoder().encode(s);

/** Well-known CRC-32 (IEEE 802.3, reflected, init and xorout 0xFFFFFFFF) check values. */
const VECTORS: [string, Uint8Array, number][] = [
  ['empty', new Uint8Array(0), 0x00000000],
  ['"a"', ascii('a'), 0xe8b7be43],
  ['"123456789" (the catalogue check value)', ascii('123456789'), 0xcbf43926],
  ['"The quick brown fox jumps over the lazy dog"', ascii('The quick brown fox jumps over the lazy dog'), 0x414fa339],
  ['32 zero bytes', new Uint8Array(32), 0x190a55ad],
  ['32 0xFF bytes', new Uint8Array(32).fill(0xff), 0xff6cab0b],
];

describe('crc32 (IEEE 802.3, as zlib.crc32)', () => {
  it.each(VECTORS)('%s', (_name, data, want) => {
    expect(crc32(data)).toBe(want);
    expect(crc32Fallback(data)).toBe(want);
  });

  it('returns an unsigned 32-bit number (never negative)', () => {
    expect(crc32(ascii('123456789'))).toBeGreaterThan(0x7fffffff);
    expect(crc32Fallback(ascii('123456789'))).toBeGreaterThan(0x7fffffff);
  });

  it('this Node has a native zlib.crc32, and crc32 uses it', () => {
    const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
    expect(typeof native).toBe('function');
    expect(crc32(ascii('native'))).toBe(native!(ascii('native')));
  });

  it('property: the table fallback equals native zlib.crc32 on random inputs', () => {
    const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
    if (!native) return; // Node < 20.15: only the known vectors above check the fallback
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (data) => {
        expect(crc32Fallback(data)).toBe(native(data));
        expect(crc32(data)).toBe(native(data));
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('works on a subarray view (offset into a larger buffer)', () => {
    const big = Buffer.concat([Buffer.from('xxxx'), Buffer.from('123456789'), Buffer.from('yy')]);
    const view = big.subarray(4, 13);
    expect(crc32(view)).toBe(0xcbf43926);
    expect(crc32Fallback(view)).toBe(0xcbf43926);
  });

  it('any single-bit flip changes the CRC (CRC-32 detects every 1-bit error)', () => {
    const data = ascii('flight computer heartbeat');
    const base = crc32(data);
    for (let i = 0; i < data.length * 8; i++) {
      const d = Uint8Array.from(data);
      d[i >> 3]! ^= 1 << (i & 7);
      expect(crc32(d)).not.toBe(base);
    }
  });
});
