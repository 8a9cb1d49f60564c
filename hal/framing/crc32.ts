import * as zlib from 'node:zlib';

/**
 * CRC-32 (IEEE 802.3), the one `zlib.crc32` computes. Node >= 20.15 has it natively; for
 * older 20.x a table-driven fallback gives the same numbers.
 *
 * Speed: a call into zlib.crc32 costs about 60–100 ns before it reads a byte, which is most
 * of the time for a HAL body (40–150 bytes). Short inputs therefore go through a slicing-by-8
 * table in JavaScript (≈ 0.6 ns/byte, no call overhead); from NATIVE_FROM bytes up the native
 * one is faster and is used when present. Both give identical results (tested).
 */
let table: Uint32Array | undefined;

function crc32Fallback(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Slicing-by-8 tables: T8[k*256 + n] is the CRC of byte n followed by k zero bytes. */
const T8 = new Int32Array(256 * 8);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  T8[n] = c;
}
for (let n = 0; n < 256; n++) {
  for (let k = 1; k < 8; k++) {
    const prev = T8[(k - 1) * 256 + n]!;
    T8[k * 256 + n] = (prev >>> 8) ^ T8[prev & 0xff]!;
  }
}

/** CRC-32 of data[start, end) (slicing-by-8). Any length; fastest below a few hundred bytes. */
export function crc32Range(data: Uint8Array, start: number, end: number): number {
  const t = T8;
  let c = -1;
  let i = start;
  const stop8 = end - ((end - start) & 7);
  for (; i < stop8; i += 8) {
    const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < end; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** From this many bytes up, the native zlib.crc32 (when present) beats the JS tables. */
const NATIVE_FROM = 256;

export const crc32: (data: Uint8Array) => number = native
  ? (d) => (d.length < NATIVE_FROM ? crc32Range(d, 0, d.length) : native(d))
  : (d) => crc32Range(d, 0, d.length);
export { crc32Fallback };
