/**
 * Interop with an independent CBOR implementation (the `cbor2` package): what we send, a
 * third-party peer reads; what such a peer sends (shortest floats, uint64 integers,
 * other key orders), we read; and the non-plain forms it can produce are refused as `cbor`.
 */
import { decode, decodeSequence, encode, encodedNumber, Tag, type DecodeOptions, type EncodeOptions } from 'cbor2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody, encodeFrame, FrameReceiver, type Message } from '../../../hal/index.js';
import { messageArb, norm } from './arbitraries.js';

const RUNS = { seed: 42, numRuns: 150 };

/** A strict peer: no streaming, no undefined or other simple values, no duplicate keys. */
const STRICT: DecodeOptions = {
  rejectStreaming: true,
  rejectUndefined: true,
  rejectSimple: true,
  rejectDuplicateKeys: true,
  rejectBigInts: true,
};

/** Plain bytes of a cbor2 encoding (it may return a view on a larger buffer). */
const bytes = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

describe('a third-party decoder (cbor2) reads what we send', () => {
  it('property: cbor2, in strict mode, decodes every body we encode to the message', () => {
    fc.assert(
      fc.property(messageArb, (msg) => {
        const got = decode(encodeBody(msg), STRICT);
        expect(deBig(got)).toEqual(norm(msg));
      }),
      RUNS,
    );
  });

  it('reads seq 2^32−1 and time 2^53−1 exactly', () => {
    const got = decode<Record<string, unknown>>(encodeBody({ v: 1, kind: 'wdg', seq: 0xffffffff, time: 2 ** 53 - 1 }), STRICT);
    expect(got).toEqual({ v: 1, kind: 'wdg', seq: 0xffffffff, time: 2 ** 53 - 1 });
  });
});

/** Byte strings normalised; bigints (cbor2 reads uint64 above 2^53 as bigint) back to numbers. */
function deBig(x: unknown): unknown {
  if (typeof x === 'bigint') return Number(x);
  if (x instanceof Uint8Array) return norm(x);
  if (Array.isArray(x)) return x.map(deBig);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, deBig(v)]));
  return x;
}

describe('we read what a third-party encoder (cbor2) sends', () => {
  const optionSets: [string, EncodeOptions][] = [
    ['defaults (shortest floats: float16/32 where exact)', {}],
    ['CDE (deterministic, sorted keys)', { cde: true }],
    ['all floats as float64', { float64: true }],
  ];
  it.each(optionSets)('property: cbor2 %s → decodeBody gives the message', (_name, opts) => {
    fc.assert(
      fc.property(messageArb, (msg) => {
        const r = decodeBody(encode(msg, opts));
        expect(r.ok).toBe(true);
        if (r.ok) expect(norm(r.msg)).toEqual(norm(msg));
      }),
      RUNS,
    );
  });

  it('float16, float32 and float64 forms, −0, NaN and a float16 subnormal are all accepted', () => {
    const val = {
      half: encodedNumber(0.5, 'f16'),
      halfMax: encodedNumber(65504, 'f16'),
      halfSub: encodedNumber(2 ** -24, 'f16'),
      halfNaN: encodedNumber(NaN, 'f16'),
      negZero: encodedNumber(-0, 'f16'),
      single: encodedNumber(1.5, 'f32'),
      double: encodedNumber(0.1, 'f64'),
    };
    const body = encode({ v: 1, kind: 'sample', seq: 7, time: 1000, dev: 'imu', at: 999, val });
    const hex = bytes(body).toString('hex');
    for (const head of ['f93800', 'f97bff', 'f90001', 'f97e00', 'f98000', 'fa3fc00000', 'fb3fb999999999999a']) expect(hex).toContain(head);
    const r = decodeBody(body);
    expect(r.ok).toBe(true);
    const got = (r as { msg: { val: Record<string, number> } }).msg.val;
    expect(got).toEqual({ half: 0.5, halfMax: 65504, halfSub: 2 ** -24, halfNaN: NaN, negZero: -0, single: 1.5, double: 0.1 });
    expect(Object.is(got.negZero, -0)).toBe(true);
  });

  it('integers in non-shortest forms (uint64 seq and time, uint16 v) are accepted', () => {
    const msg = { v: encodedNumber(1, 'i16'), kind: 'read', seq: encodedNumber(5, 'i64'), time: encodedNumber(123, 'i64'), dev: 'imu' };
    const body = encode(msg);
    expect(bytes(body).toString('hex')).toContain('1b0000000000000005');
    expect(decodeBody(body)).toEqual({ ok: true, msg: { v: 1, kind: 'read', seq: 5, time: 123, dev: 'imu' } });
  });

  it('time above 2^32−1 arrives as uint64 from cbor2 too, and is read exactly', () => {
    const body = encode({ v: 1, kind: 'wdg', seq: 1, time: 2 ** 53 - 1 });
    expect(bytes(body).toString('hex')).toContain('1b001fffffffffffff');
    expect(decodeBody(body)).toMatchObject({ ok: true, msg: { time: 2 ** 53 - 1 } });
  });

  it('a peer frame through the full receiver (SLIP + CRC + CBOR) is delivered', () => {
    const msgs: Message[] = [];
    const rx = new FrameReceiver({ onMessage: (m) => msgs.push(m) });
    rx.push(encodeFrame(encode({ v: 1, kind: 'event', seq: 3, time: 4, code: 'brownout', msg: 'bus at 6.1 V', extra: [1.5, null] })));
    expect(msgs).toEqual([{ v: 1, kind: 'event', seq: 3, time: 4, code: 'brownout', msg: 'bus at 6.1 V', extra: [1.5, null] }]);
  });
});

describe('non-plain CBOR from a third party is refused as `cbor`', () => {
  const wdg = { v: 1, kind: 'wdg', seq: 9, time: 10 };
  const refusedAsCbor = (body: Uint8Array) => expect(decodeBody(body)).toMatchObject({ ok: false, reason: 'cbor', code: 'cbor' });

  it('a tag anywhere: inside a map, on the whole body (self-described CBOR 55799), a Date, a bignum', () => {
    refusedAsCbor(encode({ ...wdg, extra: new Tag(1, 5) }));
    refusedAsCbor(encode(new Tag(55799, wdg)));
    refusedAsCbor(encode({ ...wdg, when: new Date(0) }));
    refusedAsCbor(encode({ ...wdg, big: 2n ** 70n }));
    // cbor2 itself reads these fine: they are well-formed CBOR, refused by our profile.
    expect(decode(encode(new Tag(55799, wdg)))).toEqual(wdg);
  });

  it('an indefinite-length map (items encoded by cbor2)', () => {
    const items = Object.entries(wdg).flatMap(([k, v]) => [encode(k), encode(v)]);
    const body = Buffer.concat([Buffer.from([0xbf]), ...items, Buffer.from([0xff])]);
    expect(decode(body)).toEqual(wdg);
    refusedAsCbor(body);
  });

  it('two items in one body', () => {
    const body = Buffer.concat([encode(wdg), encode(wdg)]);
    expect([...decodeSequence(body)]).toEqual([wdg, wdg]);
    refusedAsCbor(body);
  });

  it('the `undefined` simple value, which cbor2 writes for undefined', () => {
    refusedAsCbor(encode({ ...wdg, nothing: undefined }));
  });
});
