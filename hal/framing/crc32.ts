import * as zlib from 'node:zlib';

/**
 * CRC-32 (IEEE 802.3), the one `zlib.crc32` computes. Node >= 20.15 has it natively; for
 * older 20.x a table-driven fallback gives the same numbers.
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

const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

export const crc32: (data: Uint8Array) => number = native ? (d) => native(d) : crc32Fallback;
export { crc32Fallback };
