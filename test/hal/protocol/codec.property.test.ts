import fc from 'fast-check';
import { decode as cbor2Decode, SequenceEvents } from 'cbor2';
import { describe, expect, it } from 'vitest';
import {
  checkPlainCbor, decodeBody, encodeBody, encodeFrame, encodeMessageFrame, FrameError, FrameReceiver, type Message,
} from '../../../hal/index.js';
import { chunkingArb, concat, feedChunked, messageArb, messageArbs, norm, plainValueArb, slipBytesArb, UINT32_MAX } from './arbitraries.js';

const RUNS = { seed: 42, numRuns: 150 };
/** Large enough for any generated message: sizes are the framing tests' business. */
const BIG = 1 << 16;

function receiveAll(wire: Uint8Array, sizes: number[], maxPayload = BIG) {
  const msgs: Message[] = [];
  const rx = new FrameReceiver({ onMessage: (m) => msgs.push(m) }, { maxPayload });
  feedChunked(wire, sizes, (c) => rx.push(c));
  return { msgs, rx };
}

/** Major types of every item in a CBOR byte string (tags included, as cbor2 sees them). */
function majorTypes(body: Uint8Array): Set<number> {
  const seen = new Set<number>();
  for (const [mt] of new SequenceEvents(body)) seen.add(mt);
  return seen;
}

/** A strict third-party decoder (cbor2: no streaming, no simple values, UTF-8 checked). */
function strictPeerReads(body: Uint8Array): boolean {
  try {
    cbor2Decode(body, { rejectStreaming: true, rejectSimple: true, rejectUndefined: true });
    return true;
  } catch {
    return false;
  }
}

describe('encode → frame → receive round trip, every kind (PROTOCOL.md §3)', () => {
  it.each(Object.entries(messageArbs))('%s', (_kind, arb) => {
    fc.assert(
      fc.property(arb, chunkingArb, (msg, sizes) => {
        const { msgs, rx } = receiveAll(encodeMessageFrame(msg), sizes);
        expect(msgs.map(norm)).toEqual([norm(msg)]);
        expect(rx.drops).toEqual({ escape: 0, crc: 0, oversize: 0, cbor: 0, schema: 0 });
      }),
      RUNS,
    );
  });

  it('decodeBody(encodeBody(m)) gives m back', () => {
    fc.assert(
      fc.property(messageArb, (msg) => {
        const r = decodeBody(encodeBody(msg));
        expect(r.ok).toBe(true);
        if (r.ok) expect(norm(r.msg)).toEqual(norm(msg));
      }),
      RUNS,
    );
  });

  it('a stream of many messages arrives complete and in order, however it is chunked', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { maxLength: 12 }), chunkingArb, (list, sizes) => {
        const { msgs } = receiveAll(concat(list.map(encodeMessageFrame)), sizes);
        expect(msgs.map(norm)).toEqual(list.map(norm));
      }),
      { seed: 42, numRuns: 60 },
    );
  });
});

describe('what goes on the wire is plain CBOR', () => {
  it('every body we encode passes checkPlainCbor and holds no tag (major type 6) at any depth', () => {
    fc.assert(
      fc.property(messageArb, (msg) => {
        const body = encodeBody(msg);
        expect(checkPlainCbor(body)).toEqual({ ok: true });
        expect(majorTypes(body).has(6)).toBe(false);
        // The frame carries exactly that body.
        expect(Buffer.from(encodeMessageFrame(msg))).toEqual(encodeFrame(body));
      }),
      RUNS,
    );
  });

  it('seq and time (and at, watchdog_ms) go out as CBOR unsigned integers, uint64 above 2^32−1', () => {
    fc.assert(
      fc.property(messageArb, (msg) => {
        // preferBigInt: cbor2 returns a bigint only for major types 0/1, so a float fails here.
        const d = cbor2Decode<Record<string, unknown>>(encodeBody(msg), { preferBigInt: true });
        for (const k of ['v', 'seq', 'time', 'at', 'watchdog_ms', 'ref'] as const) {
          const want = (msg as Record<string, unknown>)[k];
          if (want === undefined) continue;
          expect(d[k], k).toBe(BigInt(want as number));
        }
      }),
      RUNS,
    );
  });

  it('the largest time (2^53−1) is written as a uint64 head (0x1b), the largest seq as a uint32 head (0x1a)', () => {
    const body = encodeBody({ v: 1, kind: 'wdg', seq: UINT32_MAX, time: Number.MAX_SAFE_INTEGER });
    const hex = Buffer.from(body).toString('hex');
    expect(hex).toContain('637365711affffffff'); // "seq" 2^32−1
    expect(hex).toContain('6474696d651b001fffffffffffff'); // "time" 2^53−1
  });

  it('refuses a message that breaks its own schema with E_ENCODE_SCHEMA (nothing is encoded)', () => {
    const bad = { v: 1, kind: 'cmd', seq: 1, time: 1, dev: 'heater', args: {} } as unknown as Message; // no op
    expect(() => encodeBody(bad)).toThrow(FrameError);
    expect(() => encodeMessageFrame(bad)).toThrow(expect.objectContaining({ code: 'E_ENCODE_SCHEMA' }));
    const seqTooBig = { v: 1, kind: 'wdg', seq: UINT32_MAX + 1, time: 1 } as Message;
    expect(() => encodeBody(seqTooBig)).toThrow(expect.objectContaining({ code: 'E_ENCODE_SCHEMA' }));
  });

  // Found by this suite (isl.rx round trip): `wireShape` turned every top-level integral
  // number above 2^32−1 into a BigInt, and from 2^64 up cbor-x writes that as a bignum (tag 2)
  // that every receiver refuses. `rssi` is a plain number and must go out as a float.
  it('a top-level float that happens to be integral and ≥ 2^64 (isl.rx rssi) still goes out as plain CBOR', () => {
    for (const rssi of [2 ** 64, 1e20, Number.MAX_VALUE]) {
      const msg: Message = { v: 1, kind: 'isl.rx', seq: 1, time: 1, from: 'SAT-2', data: new Uint8Array([1]), rssi };
      const body = encodeBody(msg);
      expect(majorTypes(body).has(6), `rssi ${rssi}`).toBe(false);
      expect(decodeBody(body)).toMatchObject({ ok: true, msg: { rssi } });
    }
  });

  /** Encodes a sample carrying `value`: undefined when refused, else whether it leaked. */
  const leaks = (value: unknown, field: 'val' | 'dev' = 'val'): boolean => {
    const msg = { v: 1, kind: 'sample', seq: 1, time: 1, dev: 'x', at: 1, val: {}, [field]: field === 'val' ? { x: value } : value } as unknown as Message;
    let body: Uint8Array;
    try {
      body = encodeBody(msg);
    } catch (err) {
      expect(err).toMatchObject({ code: 'E_ENCODE_SCHEMA' });
      return false;
    }
    return !checkPlainCbor(body).ok || !strictPeerReads(body);
  };

  // Found by this suite: `val`/`args` are checked only as "any" (schema.ts `plain`), so values
  // that are not plain CBOR were encoded by cbor-x as tags or `undefined` and put on the wire,
  // where every conformant receiver (ours included) drops the frame as `cbor`.
  it('never puts a tag, `undefined` or over-deep nesting on the wire: it refuses to encode instead', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = [deep];
    const notPlain: [string, unknown][] = [
      ['undefined', undefined],
      ['Date', new Date(0)],
      ['Set', new Set([1])],
      ['Float32Array', new Float32Array([1])],
      ['bigint beyond 64 bits', 2n ** 70n],
      ['20 levels of arrays', deep],
    ];
    expect(notPlain.filter(([, v]) => leaks(v)).map(([name]) => name)).toEqual([]);
  });

  // Found by this suite: cbor-x writes a lone surrogate in a short string as the 3-byte
  // sequence ED A0 80, which is not UTF-8: a strict peer (Python or JS cbor2) cannot decode
  // the frame. The scanner now checks UTF-8, and the encoder runs the scanner on its output.
  it('text always goes out as valid UTF-8 (a lone surrogate is refused, not sent)', () => {
    expect(leaks('x\ud800')).toBe(false);
    expect(leaks('\udc00', 'dev')).toBe(false);
    expect(leaks('😀'.slice(0, 1) + 'abc', 'dev')).toBe(false);
  });
});

describe('the receiver survives anything', () => {
  it('arbitrary bytes in arbitrary chunks never throw out of FrameReceiver, and the buffer stays bounded', () => {
    fc.assert(
      fc.property(slipBytesArb(600), chunkingArb, fc.integer({ min: 5, max: 80 }), (bytes, sizes, maxPayload) => {
        const rx = new FrameReceiver({ onMessage: () => {} }, { maxPayload });
        const slip = (rx as unknown as { slip: { buffered: number } }).slip;
        feedChunked(bytes, sizes, (c) => {
          rx.push(c);
          expect(slip.buffered).toBeLessThanOrEqual(maxPayload);
        });
        rx.reset();
        expect(slip.buffered).toBe(0);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  // Found by this suite: a throwing onDrop escaped push() (SlipDecoder.drop/finishFrame called
  // it unguarded, before entering discard mode), so the rest of the chunk and the next good
  // frame were lost, and the half-dropped frame was re-reported as a crc drop.
  it('a throwing onDrop handler is contained like a throwing onMessage: the next frame still arrives', () => {
    const got: Message[] = [];
    const handlerErrors: unknown[] = [];
    const rx = new FrameReceiver({
      onMessage: (m) => got.push(m),
      onDrop: () => {
        throw new Error('metrics sink down');
      },
      onHandlerError: (e) => handlerErrors.push(e),
    });
    const good = encodeMessageFrame({ v: 1, kind: 'wdg', seq: 1, time: 1 });
    const badEscape = Buffer.from([0xc0, 1, 0xdb, 0x41, 2, 0xc0]);
    expect(() => rx.push(Buffer.concat([badEscape, good]))).not.toThrow();
    expect(() => rx.push(good)).not.toThrow();
    expect(got).toHaveLength(2);
    expect(rx.drops).toMatchObject({ escape: 1, crc: 0 });
    expect(handlerErrors).toHaveLength(1);
  });

  it('every CRC-valid frame with an arbitrary body is either delivered or counted as cbor/schema', () => {
    // Bodies: random bytes, and plain CBOR maps with random bytes flipped (deeper coverage).
    const bodyArb = fc.oneof(
      slipBytesArb(64),
      fc.tuple(fc.dictionary(fc.string({ maxLength: 4 }), plainValueArb(4), { maxKeys: 5 }), fc.nat(), fc.nat(255)).map(
        ([v, at, byte]) => {
          const b = encodeBody({ v: 1, kind: 'sample', seq: 1, time: 1, dev: 'x', at: 1, val: v } as Message);
          if (b.length > 0) b[at % b.length] = byte;
          return b;
        },
      ),
    );
    fc.assert(
      fc.property(fc.array(bodyArb, { maxLength: 10 }), chunkingArb, (bodies, sizes) => {
        const { msgs, rx } = receiveAll(concat(bodies.map(encodeFrame)), sizes);
        expect(msgs.length + rx.drops.cbor + rx.drops.schema).toBe(bodies.length);
        expect(rx.drops.escape + rx.drops.crc + rx.drops.oversize).toBe(0);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('valid frames interleaved with garbage (holding END/ESC) are all delivered, in order', () => {
    // Why this holds: every END fully resets the decoder (buffer, escape and discard state),
    // and every frame we send starts with END. Whatever the garbage before it left behind —
    // a partial frame, a pending ESC (ESC+END is an escape drop, and that END still ends the
    // garbage), an oversize discard — ends at the frame's leading END, so the frame's own
    // bytes are decoded from a clean state. Garbage cannot reach into a frame.
    fc.assert(
      fc.property(
        fc.array(fc.tuple(slipBytesArb(40), messageArb), { maxLength: 8 }),
        slipBytesArb(40),
        chunkingArb,
        (pairs, tail, sizes) => {
          const wire = concat([...pairs.flatMap(([g, m]) => [g, encodeMessageFrame(m)]), tail]);
          const { msgs } = receiveAll(wire, sizes);
          expect(msgs.map(norm)).toEqual(pairs.map(([, m]) => norm(m)));
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});
