import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crc32, DEFAULT_MAX_PAYLOAD, encodeFrame, END, ESC, ESC_END, ESC_ESC, FrameDecoderStream, FrameEncoderStream, SlipDecoder,
  type FramingDropReason,
} from '../../../hal/index.js';
import { chunkingArb, feedChunked, slipBytesArb } from '../protocol/arbitraries.js';

const RUNS = { seed: 42, numRuns: 200 };

function crcLe(body: Uint8Array): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(crc32(body));
  return b;
}

/** A decoder that records everything it reports. */
function recorder(maxPayload?: number) {
  const frames: Buffer[] = [];
  const drops: [FramingDropReason, number][] = [];
  const dec = new SlipDecoder({
    ...(maxPayload !== undefined ? { maxPayload } : {}),
    onFrame: (b) => frames.push(Buffer.from(b)),
    onDrop: (r, n) => drops.push([r, n]),
  });
  return { dec, frames, drops };
}

describe('encodeFrame', () => {
  it('writes END, escaped body ‖ crc32le(body), END (hand-checked bytes)', () => {
    const body = Buffer.from([0x01, END, 0x02, ESC, 0x03]);
    const tail = crcLe(body);
    const escTail = [...tail].flatMap((b) => (b === END ? [ESC, ESC_END] : b === ESC ? [ESC, ESC_ESC] : [b]));
    expect([...encodeFrame(body)]).toEqual([END, 0x01, ESC, ESC_END, 0x02, ESC, ESC_ESC, 0x03, ...escTail, END]);
  });

  it('an empty body still carries its CRC (0x00000000), so the frame is never empty', () => {
    expect([...encodeFrame(new Uint8Array(0))]).toEqual([END, 0, 0, 0, 0, END]);
  });

  it('escapes a CRC byte that happens to be END or ESC', () => {
    // Search a small body whose CRC holds a special byte; escaping must cover the tail too.
    let body = Buffer.alloc(0);
    for (let i = 0; i < 5000; i++) {
      body = Buffer.from([i & 0xff, i >> 8]);
      if ([...crcLe(body)].some((b) => b === END || b === ESC)) break;
    }
    expect([...crcLe(body)].some((b) => b === END || b === ESC)).toBe(true);
    const frame = encodeFrame(body);
    expect(frame.subarray(1, -1).includes(END)).toBe(false);
    const { dec, frames } = recorder();
    dec.push(frame);
    expect(frames).toEqual([body]);
  });

  it('property: no END inside a frame, exact length, and the decoder gives the body back', () => {
    fc.assert(
      fc.property(slipBytesArb(300), (body) => {
        const frame = encodeFrame(body);
        const inner = frame.subarray(1, -1);
        expect(frame[0]).toBe(END);
        expect(frame[frame.length - 1]).toBe(END);
        expect(inner.includes(END)).toBe(false);
        const specials = [...body, ...crcLe(body)].filter((b) => b === END || b === ESC).length;
        expect(frame.length).toBe(body.length + 4 + specials + 2);
        const { dec, frames, drops } = recorder();
        dec.push(frame);
        expect(frames).toEqual([Buffer.from(body)]);
        expect(drops).toEqual([]);
      }),
      RUNS,
    );
  });
});

describe('SlipDecoder', () => {
  it('property: any stream of frames, any chunking, delivers every body in order', () => {
    fc.assert(
      fc.property(fc.array(slipBytesArb(100), { maxLength: 10 }), chunkingArb, (bodies, sizes) => {
        const { dec, frames, drops } = recorder();
        feedChunked(Buffer.concat(bodies.map(encodeFrame)), sizes, (c) => dec.push(c));
        expect(frames).toEqual(bodies.map((b) => Buffer.from(b)));
        expect(drops).toEqual([]);
      }),
      RUNS,
    );
  });

  it('property: arbitrary bytes never throw, and `buffered` never exceeds maxPayload', () => {
    fc.assert(
      fc.property(slipBytesArb(800), chunkingArb, fc.integer({ min: 5, max: 100 }), (bytes, sizes, maxPayload) => {
        const dec = new SlipDecoder({ maxPayload, onFrame: () => {} });
        feedChunked(bytes, sizes, (c) => {
          dec.push(c);
          expect(dec.buffered).toBeLessThanOrEqual(maxPayload);
        });
      }),
      RUNS,
    );
  });

  it('empty frames (END END) are ignored silently, not counted', () => {
    const { dec, frames, drops } = recorder();
    dec.push(Buffer.from([END, END, END, END]));
    expect(frames).toEqual([]);
    expect(drops).toEqual([]);
  });

  it('a payload shorter than a CRC is a crc drop; a wrong CRC is a crc drop with the bytes buffered', () => {
    const { dec, frames, drops } = recorder();
    dec.push(Buffer.from([END, 1, 2, 3, END]));
    const bad = encodeFrame(Buffer.from('hello'));
    bad[bad.length - 2]! ^= 0x01;
    dec.push(bad);
    expect(frames).toEqual([]);
    expect(drops).toEqual([
      ['crc', 3],
      ['crc', 9],
    ]);
  });

  it('a frame with no leading END (start of stream) is still delivered', () => {
    const { dec, frames } = recorder();
    dec.push(encodeFrame(Buffer.from('abc')).subarray(1));
    expect(frames).toEqual([Buffer.from('abc')]);
  });

  it('maxPayload is exact: maxPayload bytes are delivered, one more is an oversize drop', () => {
    const max = 64;
    const { dec, frames, drops } = recorder(max);
    const fits = Buffer.alloc(max - 4, 0x41);
    const over = Buffer.alloc(max - 3, 0x42);
    dec.push(Buffer.concat([encodeFrame(over), encodeFrame(fits)]));
    expect(frames).toEqual([fits]);
    expect(drops).toEqual([['oversize', max]]);
  });

  it('the default maximum is 4096 bytes of unescaped payload', () => {
    expect(DEFAULT_MAX_PAYLOAD).toBe(4096);
    const { dec, frames, drops } = recorder();
    dec.push(encodeFrame(Buffer.alloc(4092, 7)));
    dec.push(encodeFrame(Buffer.alloc(4093, 7)));
    expect(frames.map((f) => f.length)).toEqual([4092]);
    expect(drops.map(([r]) => r)).toEqual(['oversize']);
  });

  it('refuses a maxPayload that cannot hold a CRC', () => {
    expect(() => new SlipDecoder({ maxPayload: 4, onFrame: () => {} })).toThrow(RangeError);
    expect(() => new SlipDecoder({ maxPayload: 5, onFrame: () => {} })).not.toThrow();
  });

  it('a throwing onFrame is reported to onHandlerError and the next frame is still delivered', () => {
    const got: string[] = [];
    const errors: unknown[] = [];
    const dec = new SlipDecoder({
      onFrame: (b) => {
        const s = Buffer.from(b).toString();
        if (s === 'boom') throw new Error('handler failed');
        got.push(s);
      },
      onHandlerError: (e) => errors.push(e),
    });
    dec.push(Buffer.concat([encodeFrame(Buffer.from('boom')), encodeFrame(Buffer.from('next'))]));
    expect(got).toEqual(['next']);
    expect(errors).toHaveLength(1);
  });

  it('the body handed to onFrame is a copy: keeping or mutating it does not disturb later frames', () => {
    const kept: Uint8Array[] = [];
    const dec = new SlipDecoder({ onFrame: (b) => kept.push(b) });
    dec.push(encodeFrame(Buffer.from('first')));
    kept[0]!.fill(0);
    dec.push(encodeFrame(Buffer.from('second')));
    expect(Buffer.from(kept[1]!).toString()).toBe('second');
    expect(kept[0]!.buffer).not.toBe(kept[1]!.buffer);
  });

  it('end() discards the partial frame and the decoder starts clean', () => {
    const { dec, frames } = recorder();
    dec.push(Buffer.from([END, 1, 2, ESC]));
    expect(dec.buffered).toBe(2);
    dec.end();
    expect(dec.buffered).toBe(0);
    // The pending ESC is gone too: ESC_END now is an ordinary byte of a fresh frame.
    const body = Buffer.from([ESC_END, 9]);
    dec.push(encodeFrame(body).subarray(1));
    expect(frames).toEqual([body]);
  });
});

describe('stream forms', () => {
  it('FrameEncoderStream → FrameDecoderStream carries bodies; drops are emitted; a partial tail is never flushed', async () => {
    const bodies = [Buffer.from('one'), Buffer.from([END, ESC]), Buffer.alloc(0)];
    const encoded: Buffer[] = [];
    await pipeline(Readable.from(bodies, { objectMode: true }), new FrameEncoderStream(), new Writable({
      write(chunk: Buffer, _e, cb) {
        encoded.push(chunk);
        cb();
      },
    }));
    const wire = Buffer.concat([...encoded, Buffer.from([END, 1, ESC, 2, END]), encodeFrame(Buffer.from('partial')).subarray(0, -1)]);
    const out: Buffer[] = [];
    const drops: string[] = [];
    const dec = new FrameDecoderStream();
    dec.on('drop', (r: string) => drops.push(r));
    await pipeline(Readable.from([wire]), dec, new Writable({
      objectMode: true,
      write(chunk: Uint8Array, _e, cb) {
        out.push(Buffer.from(chunk));
        cb();
      },
    }));
    expect(out).toEqual(bodies);
    expect(drops).toEqual(['escape']);
  });
});
