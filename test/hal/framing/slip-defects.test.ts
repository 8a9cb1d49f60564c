/**
 * The defects measured in `@serialport/parser-slip-encoder`'s SlipDecoder (v13), each shown
 * absent from ours. Each case first reproduces the defect on the reference decoder with the
 * very same bytes (so the input provably triggers it), then checks our decoder.
 */
import { SlipDecoder as RefDecoder, SlipEncoder as RefEncoder } from '@serialport/parser-slip-encoder';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, encodeFrame, END, ESC, ESC_END, SlipDecoder, type FramingDropReason } from '../../../hal/index.js';
import { slipBytesArb } from '../protocol/arbitraries.js';
import { mulberry32 } from '../../helpers/prng.js';

/** Stream encoding argument (ignored for Buffer chunks). */
const RAW = 'buffer' as BufferEncoding;

/** Runs the reference decoder synchronously; returns the packets it emits. */
function refDecode(chunks: Uint8Array[], flush = false): Buffer[] {
  const dec = new RefDecoder();
  const out: Buffer[] = [];
  dec.push = (b: unknown) => (out.push(b as Buffer), true);
  for (const c of chunks) dec._transform(Buffer.from(c), RAW, () => {});
  if (flush) dec._flush(() => {});
  return out.filter((b) => b.length > 0);
}

function ours(maxPayload?: number) {
  const frames: Buffer[] = [];
  const drops: Partial<Record<FramingDropReason, number>> = {};
  const dec = new SlipDecoder({
    ...(maxPayload ? { maxPayload } : {}),
    onFrame: (b) => frames.push(Buffer.from(b)),
    onDrop: (r) => (drops[r] = (drops[r] ?? 0) + 1),
  });
  return { dec, frames, drops };
}

const payloadOf = (body: Uint8Array) => {
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body));
  return Buffer.concat([body, crc]);
};


describe('defects of @serialport SlipDecoder that ours does not have', () => {
  it('(a) resync: noise before a frame is never glued onto it', () => {
    const body = Buffer.from('{"gyro":[1,2,3]}');
    const noise = Buffer.from([0x13, 0x37, 0x42]);
    // RFC 1055 framing as the reference encoder writes it by default (END only at the end):
    // the reference decoder glues the noise onto the packet.
    const refFramed = Buffer.concat([payloadOf(body), Buffer.from([END])]);
    expect(refDecode([noise, refFramed])).toEqual([Buffer.concat([noise, payloadOf(body)])]);
    // Ours: every frame opens with END, which closes whatever the noise started.
    fc.assert(
      fc.property(slipBytesArb(64), (garbage) => {
        const { dec, frames } = ours();
        dec.push(garbage);
        dec.push(encodeFrame(body));
        expect(frames.at(-1)).toEqual(body);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('(b) random line noise between 1000 frames: every frame survives (seeded)', () => {
    // Noise bursts of 0..32 bytes, 1/8 END and 1/8 ESC (a noisy SLIP line), fed in random
    // chunks. Bound: 100 %, not just ≥ 99 %: noise never overlaps a frame here, and a frame's
    // leading END resets the decoder whatever the noise left behind, so no frame can be lost;
    // (a garbage burst forming a valid CRC frame of the right body is a 2^-32 event).
    const rnd = mulberry32(42);
    const bodies: Buffer[] = [];
    const parts: Buffer[] = [];
    for (let i = 0; i < 1000; i++) {
      const noise = Buffer.alloc(Math.floor(rnd() * 33));
      for (let j = 0; j < noise.length; j++) {
        const r = rnd();
        noise[j] = r < 0.125 ? END : r < 0.25 ? ESC : Math.floor(rnd() * 256);
      }
      const body = Buffer.from(`frame ${i} ${'x'.repeat(Math.floor(rnd() * 40))}`);
      bodies.push(body);
      parts.push(noise, encodeFrame(body));
    }
    const wire = Buffer.concat(parts);
    const chunks: Buffer[] = [];
    for (let i = 0; i < wire.length; ) {
      const n = 1 + Math.floor(rnd() * 200);
      chunks.push(wire.subarray(i, i + n));
      i += n;
    }
    const { dec, frames } = ours();
    for (const c of chunks) dec.push(c);
    const wanted = new Set(bodies.map((b) => b.toString('hex')));
    const survived = frames.filter((f) => wanted.has(f.toString('hex')));
    expect(survived).toEqual(bodies);
    // The reference decoder, on the same bytes, loses every frame whose noise ends in ESC.
    const refSet = new Set(refDecode(chunks).map((p) => p.toString('hex')));
    const refSurvived = bodies.filter((b) => refSet.has(payloadOf(b).toString('hex'))).length;
    expect(refSurvived).toBeLessThan(990);
  });

  it('(c) an invalid escape drops the whole frame; it is not split in two', () => {
    // After ESC comes 0xA4 (not ESC_END/ESC_ESC), and from 0xA4 on the bytes are a complete,
    // CRC-valid payload: a decoder that splits at the bad escape delivers a forged frame.
    const forged = Buffer.from([0xa4, 1, 2, 3]);
    const tail = payloadOf(forged);
    const wire = Buffer.concat([Buffer.from([END, 0x10, 0x11, ESC]), tail, Buffer.from([END])]);
    expect(refDecode([wire])).toEqual([Buffer.from([0x10, 0x11]), tail]);
    const { dec, frames, drops } = ours();
    dec.push(wire);
    expect(frames).toEqual([]);
    expect(drops).toEqual({ escape: 1 });
    dec.push(encodeFrame(forged));
    expect(frames).toEqual([forged]); // and the decoder is back in step for the next frame
  });

  it('(d) ESC followed by END is not stored as data: the frame is invalid and the END still ends it', () => {
    const body = Buffer.from('next frame');
    const wire = Buffer.concat([Buffer.from([END, 0x01, 0x02, ESC]), encodeFrame(body)]);
    // Reference: stores 0xC0 as data and glues it onto the next frame.
    expect(refDecode([wire])).toEqual([Buffer.from([0x01, 0x02]), Buffer.concat([Buffer.from([END]), payloadOf(body)])]);
    const { dec, frames, drops } = ours();
    dec.push(wire);
    expect(frames).toEqual([body]);
    expect(drops).toEqual({ escape: 1 });
  });

  it('(e) end() never flushes a partial frame, even one whose CRC would hold', () => {
    const body = Buffer.from('complete but unterminated');
    const partial = encodeFrame(body).subarray(0, -1); // no closing END
    expect(refDecode([partial], true)).toEqual([payloadOf(body)]);
    const { dec, frames, drops } = ours();
    dec.push(partial);
    dec.end();
    expect(frames).toEqual([]);
    expect(drops).toEqual({});
    expect(dec.buffered).toBe(0);
    // What follows a reconnect starts clean: no glue with the discarded partial.
    dec.push(Buffer.from([ESC_END, 0x55])); // would be END,0x55 if a stale ESC survived
    dec.push(encodeFrame(body));
    expect(frames).toEqual([body]);
  });

  it('(f) bounded buffer: 1 MB without an END stays within maxPayload and counts one oversize drop', () => {
    const rnd = mulberry32(7);
    const junk = Buffer.alloc(1 << 20);
    for (let i = 0; i < junk.length; i++) {
      let b = Math.floor(rnd() * 256);
      if (b === END || b === ESC) b = 0x00; // no END (so one frame) and no ESC (so no escape drop)
      junk[i] = b;
    }
    const { dec, frames, drops } = ours();
    let peak = 0;
    for (let i = 0; i < junk.length; i += 4096) {
      dec.push(junk.subarray(i, i + 4096));
      peak = Math.max(peak, dec.buffered);
    }
    expect(peak).toBeLessThanOrEqual(4096);
    expect(drops).toEqual({ oversize: 1 });
    dec.push(encodeFrame(Buffer.from('alive')));
    expect(frames).toEqual([Buffer.from('alive')]);
    // Reference: its buffer is the whole run (measured on 8 KB; it copies per byte).
    const ref = new RefDecoder();
    ref._transform(junk.subarray(0, 8192), RAW, () => {});
    expect(ref.buffer.length).toBe(8192);
  });
});

describe('oracle: our encoder against @serialport SlipEncoder', () => {
  it('encodeFrame(body) equals SlipEncoder({ bluetoothQuirk: true }) of body ‖ crc32le(body)', () => {
    const enc = new RefEncoder({ bluetoothQuirk: true });
    const refEncode = (payload: Buffer): Buffer => {
      let out: Buffer | undefined;
      enc._transform(payload, RAW, (_e, data) => (out = data as Buffer));
      return out!;
    };
    fc.assert(
      fc.property(slipBytesArb(200), (body) => {
        expect(encodeFrame(body)).toEqual(refEncode(payloadOf(body)));
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
