import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePlain, encodePlain } from '../../../../hal/protocol/codec.js';
import {
  BODY_FIELDS, createIslCodec, HEADER_BYTES, ISL_DROP_REASONS, isIslError, KIND_CODES, LOG_ENTRY_FIELDS, TAG_BYTES, type IslCodec, type IslDecodeResult,
} from '../../../../firmware-agent/swarm/isl-codec.js';
import { encodeHealthBody, HEALTH_QUANTUM } from '../../../../firmware-agent/swarm/health-codec.js';
import { keyId } from '../../../../firmware-agent/swarm/keys.js';
import { COUNTER_MAX } from '../../../../firmware-agent/swarm/replay.js';
import { SWARM_MESSAGES, type SwarmKind, type SwarmMessage } from '../../../../firmware-agent/swarm/messages.js';
import { anyMessage, header, KEY, MEMBERS, messageOf, normal, otherKey, plainValue, seal } from './helpers.js';

const node = (self: string, over: Partial<Parameters<typeof createIslCodec>[0]> = {}): IslCodec =>
  createIslCodec({ key: KEY, members: MEMBERS, self, maxBytes: 8192, ...over });

const vote: SwarmMessage = { t: 'vote', term: 7, granted: true };
const hb: SwarmMessage = { t: 'health', term: 3, role: 'leader', leader: 'SAT-1', health: 0.9, mode: 'nominal', soc: 0.8, tmaxC: 21, digest: 0xdeadbeef };

function expectDrop(r: IslDecodeResult, reason: string): void {
  expect(r.ok ? 'accepted' : r.reason).toBe(reason);
}

function expectRoundTrip(kind: SwarmKind, sent: SwarmMessage, got: SwarmMessage): void {
  expect(got.t).toBe(kind);
  if (sent.t === 'health' && got.t === 'health') {
    expect({ ...got, health: 0, soc: 0, tmaxC: 0, intervalMs: 0 }).toEqual({ ...sent, health: 0, soc: 0, tmaxC: 0, intervalMs: 0 });
    // The advertised interval goes in 100 ms steps, rounded up, saturated at 25.5 s.
    const want = sent.intervalMs === undefined ? undefined : Math.min(255, Math.ceil(sent.intervalMs / 100)) * 100;
    expect(got.intervalMs).toBe(want);
    return;
  }
  expect(normal(got)).toEqual(normal(sent));
}

describe('ISL codec: round trip', () => {
  it('covers every kind of messages.ts with a stable code', () => {
    expect(Object.keys(KIND_CODES).sort()).toEqual(Object.keys(SWARM_MESSAGES).sort());
    expect(new Set(Object.values(KIND_CODES)).size).toBe(Object.keys(KIND_CODES).length);
    expect(Math.min(...Object.values(KIND_CODES))).toBe(1);
  });

  for (const kind of Object.keys(messageOf) as SwarmKind[]) {
    it(`${kind}: any valid message, any QoS/mid/counter/destination, arrives as sent`, () => {
      const arb = messageOf[kind] as fc.Arbitrary<SwarmMessage>;
      fc.assert(
        fc.property(
          arb,
          fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
          fc.bigInt({ min: 0n, max: 0xffffffffn }).map(Number),
          fc.maxSafeNat().map((c) => c % (COUNTER_MAX + 1)),
          fc.constantFrom('*', 'SAT-2'),
          (msg, qos, mid, counter, to) => {
            const a = node('SAT-1');
            const b = node('SAT-2');
            const frame = a.encode(msg, { counter, qos, mid, to });
            expect(frame[10]).toBe(qos);
            const r = b.decode(frame);
            if (!r.ok) throw new Error(`dropped: ${r.reason}`);
            expect(r.from).toBe('SAT-1');
            expect(r.to).toBe(to);
            expect(r.counter).toBe(counter);
            expect(r.qos).toBe(qos);
            expect(r.mid).toBe(qos === 0 ? 0 : mid);
            expectRoundTrip(kind, msg, r.msg);
            expect(SWARM_MESSAGES[kind].check(r.msg)).toBeUndefined();
            expect(b.accepted).toBe(1);
          },
        ),
        { numRuns: kind === 'append' || kind === 'propose' ? 150 : 300 },
      );
    });
  }

  it('health round-trips within the stated quantisation and fits 64 bytes', () => {
    const a = node('SAT-1');
    const b = node('SAT-3');
    let counter = 0;
    fc.assert(
      fc.property(messageOf.health, (msg) => {
        const frame = a.encode(msg, { counter: ++counter, qos: 0 });
        expect(frame.length).toBeLessThanOrEqual(64);
        const r = b.decode(frame);
        if (!r.ok || r.msg.t !== 'health') throw new Error('dropped');
        const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
        expect(Math.abs(r.msg.health - clamp(msg.health, 0, 1))).toBeLessThanOrEqual(HEALTH_QUANTUM.health + 1e-12);
        if (Number.isNaN(msg.soc)) expect(r.msg.soc).toBeNaN();
        else expect(Math.abs(r.msg.soc - clamp(msg.soc, 0, 1))).toBeLessThanOrEqual(HEALTH_QUANTUM.soc + 1e-12);
        if (Number.isNaN(msg.tmaxC)) expect(r.msg.tmaxC).toBeNaN();
        else expect(Math.abs(r.msg.tmaxC - clamp(msg.tmaxC, -127, 127))).toBeLessThanOrEqual(HEALTH_QUANTUM.tmaxC);
        expectRoundTrip('health', msg, r.msg);
      }),
      { numRuns: 2000 },
    );
  });

  it('health frames are 38..45 bytes; the largest term still fits', () => {
    const a = node('SAT-1');
    expect(a.encode({ ...hb, term: 0 }, { counter: 1, qos: 0 }).length).toBe(HEADER_BYTES + 11 + TAG_BYTES);
    expect(a.encode({ ...hb, term: Number.MAX_SAFE_INTEGER, intervalMs: 8000 }, { counter: 2, qos: 0 }).length).toBe(45);
    // Even as QoS 1 (which nobody uses for health) it fits.
    expect(a.encode({ ...hb, term: Number.MAX_SAFE_INTEGER }, { counter: 3, qos: 1, mid: 0xffffffff }).length).toBe(49);
  });

  it('Raft messages are positional on the air: a heartbeat, a vote request and a vote take at most 36 bytes (61–72 as CBOR maps)', () => {
    const a = node('SAT-1');
    const size = (m: SwarmMessage): number => a.encode(m, { counter: 2 ** 40, qos: 0 }).length;
    // Header 11 + tag 16 leave the body: a CBOR array of small integers and booleans.
    expect(size({ t: 'append', term: 20, prevIndex: 200, prevTerm: 20, entries: [], commit: 200 })).toBeLessThanOrEqual(36);
    expect(size({ t: 'vote_req', term: 20, lastLogIndex: 200, lastLogTerm: 20, pre: true })).toBeLessThanOrEqual(34);
    expect(size({ t: 'vote', term: 20, granted: true, pre: true })).toBeLessThanOrEqual(31);
    // An absent optional field is not on the air; a present one is.
    expect(size({ t: 'vote', term: 20, granted: true })).toBe(size({ t: 'vote', term: 20, granted: true, pre: true }) - 1);
  });

  it('decoded byte strings are copies, not views of the frame', () => {
    const a = node('SAT-1');
    const b = node('SAT-2');
    const frame = a.encode({ t: 'bulk', data: new Uint8Array([1, 2, 3]) }, { counter: 1, qos: 0 });
    const r = b.decode(frame);
    if (!r.ok || r.msg.t !== 'bulk') throw new Error('dropped');
    frame.fill(0);
    expect(Array.from(r.msg.data)).toEqual([1, 2, 3]);
  });
});

describe('ISL codec: the test vectors of ISL-FORMAT.md §10', () => {
  const hex = (s: string): string => s.replace(/\s+/g, '');
  const sat3 = (): IslCodec => createIslCodec({ key: KEY, members: MEMBERS, self: 'SAT-3' });
  const vh = hex(`03 01 02 ff 01 04 00 00 00 00 00  0e 02 7d bc ec 04 03 02 01 50 ac 02  50 49 c4 6e 04 b1 4a 0a 45 78 7f 55 5d fe 87 de`);
  const vv = hex(`03 03 02 00 02 04 00 00 00 00 01 2a 00 00 00  82 07 f5  6b 36 f8 e9 07 91 e2 fa fa 83 7a 12 ae 23 92 8d`);

  it('encodes to the documented bytes', () => {
    const a = sat3();
    expect(a.keyId).toBe('ed4d7e14');
    expect(a.configId).toBe('520ecd72');
    const h = a.encode({ t: 'health', term: 300, role: 'leader', leader: 'SAT-3', health: 0.5, mode: 'safe', soc: 0.75, tmaxC: -20.4, digest: 0x01020304, intervalMs: 8000 }, { counter: 1025, qos: 0 });
    expect(Buffer.from(h).toString('hex')).toBe(vh);
    const v = a.encode({ t: 'vote', term: 7, granted: true }, { counter: 1026, qos: 1, mid: 42, to: 'SAT-1' });
    expect(Buffer.from(v).toString('hex')).toBe(vv);
  });

  it('decodes the documented bytes', () => {
    const b = node('SAT-1');
    expect(b.decode(Buffer.from(vh, 'hex'))).toEqual({
      ok: true, from: 'SAT-3', to: '*', counter: 1025, qos: 0, mid: 0,
      msg: { t: 'health', term: 300, role: 'leader', leader: 'SAT-3', health: 0.5, mode: 'safe', soc: 0.752, tmaxC: -20, digest: 0x01020304, intervalMs: 8000 },
    });
    expect(b.decode(Buffer.from(vv, 'hex'))).toEqual({ ok: true, from: 'SAT-3', to: 'SAT-1', counter: 1026, qos: 1, mid: 42, msg: { t: 'vote', term: 7, granted: true } });
  });
});

describe('ISL codec: authentication', () => {
  it('a flipped bit anywhere is refused: mac, or the pre-MAC header checks for bytes 0 and 2', () => {
    const a = node('SAT-1');
    let counter = 0;
    fc.assert(
      fc.property(anyMessage, fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>, fc.nat(), fc.nat(7), (msg, qos, at, bit) => {
        const b = node('SAT-2');
        const frame = Buffer.from(a.encode(msg, { counter: ++counter, qos, mid: 9 }));
        const i = at % frame.length;
        frame[i] = frame[i]! ^ (1 << bit);
        const r = b.decode(frame);
        expect(r.ok).toBe(false);
        if (r.ok) return;
        if (i === 0) expect(r.reason).toBe('version');
        else if (i === 2 && frame[2]! >= MEMBERS.length) expect(r.reason).toBe('unknown_sender');
        else expect(r.reason).toBe('mac');
        expect(b.drops[r.reason]).toBe(1);
        // The refused frame did not move the window: the original still gets in.
        frame[i] = frame[i]! ^ (1 << bit);
        expect(b.decode(frame).ok).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('a node with the wrong key can neither be understood nor understand', () => {
    const good = node('SAT-1');
    const rogue = node('SAT-3', { key: otherKey() });
    const b = node('SAT-2');
    expectDrop(b.decode(rogue.encode(vote, { counter: 1, qos: 0 })), 'mac');
    expectDrop(rogue.decode(good.encode(vote, { counter: 1, qos: 0 })), 'mac');
    expect(b.drops.mac).toBe(1);
    expect(b.accepted).toBe(0);
    // The forgery did not touch SAT-3's window: the real SAT-3, counter 1, is accepted.
    expect(b.decode(node('SAT-3').encode(vote, { counter: 1, qos: 0 })).ok).toBe(true);
  });

  it('a node with a different member list cannot be understood (frames would be misattributed)', () => {
    const reordered = ['SAT-2', 'SAT-1', 'SAT-3', 'SAT-4', 'SAT-5'];
    const a = createIslCodec({ key: KEY, members: reordered, self: 'SAT-1' });
    const b = node('SAT-2');
    expectDrop(b.decode(a.encode(vote, { counter: 1, qos: 0 })), 'mac');
    expect(a.configId).not.toBe(b.configId);
    expect(a.keyId).toBe(b.keyId);
    expect(a.keyId).toBe(keyId(KEY));
  });

  it('a tag made with the raw constellation key (no derivation) is refused', async () => {
    const { createHmac } = await import('node:crypto');
    const before = Buffer.concat([header({ kind: KIND_CODES.vote, from: 0, counter: 1 }), Buffer.from(encodePlain({ term: 1, granted: true }))]);
    const tag = createHmac('sha256', KEY).update(before).digest().subarray(0, 16);
    expectDrop(node('SAT-2').decode(Buffer.concat([before, tag])), 'mac');
  });
});

describe('ISL codec: replay', () => {
  it('a frame sent twice is accepted once, then replay', () => {
    const a = node('SAT-1');
    const b = node('SAT-2');
    const f = a.encode(vote, { counter: 5, qos: 1, mid: 1 });
    expect(b.decode(f).ok).toBe(true);
    expectDrop(b.decode(f), 'replay');
    expectDrop(b.decode(Uint8Array.from(f)), 'replay');
    expect(b.drops.replay).toBe(2);
  });

  it('out of order within the window: each accepted once; below the window: old', () => {
    const a = node('SAT-1');
    const b = node('SAT-2');
    const frames = new Map<number, Uint8Array>();
    for (const c of [1, 2, 3, 50, 63, 64, 65, 100, 130]) frames.set(c, a.encode(vote, { counter: c, qos: 0 }));
    const d = (c: number): IslDecodeResult => b.decode(frames.get(c)!);
    expect(d(100).ok).toBe(true);
    expect(d(50).ok).toBe(true);
    expect(d(64).ok).toBe(true);
    expectDrop(d(50), 'replay');
    expect(d(63).ok).toBe(true);
    expectDrop(d(3), 'old'); // 100 − 3 ≥ 64
    expect(d(130).ok).toBe(true);
    expectDrop(d(65), 'old'); // 130 − 65 = 65 ≥ 64, never seen but below the window
    expectDrop(d(64), 'old');
    expectDrop(d(100), 'replay');
    expect(b.drops).toMatchObject({ replay: 2, old: 3 });
  });

  it('per sender: the same counter from two senders is two messages', () => {
    const b = node('SAT-2');
    expect(b.decode(node('SAT-1').encode(vote, { counter: 9, qos: 0 })).ok).toBe(true);
    expect(b.decode(node('SAT-3').encode(vote, { counter: 9, qos: 0 })).ok).toBe(true);
  });

  it('an authenticated frame with a malformed body still uses up its counter', () => {
    const b = node('SAT-2');
    const f = seal(Buffer.concat([header({ kind: KIND_CODES.vote, from: 0, counter: 4 }), Buffer.from([0xff])]));
    expectDrop(b.decode(f), 'malformed');
    expectDrop(b.decode(f), 'replay');
  });

  it('restored floors refuse everything at or below them after a reboot', () => {
    const a = node('SAT-1');
    const before = node('SAT-2');
    const old = a.encode(vote, { counter: 500, qos: 0 });
    expect(before.decode(old).ok).toBe(true);
    const saved = before.replay.snapshot();
    const after = node('SAT-2');
    after.replay.restore(saved);
    expectDrop(after.decode(old), 'replay');
    expectDrop(after.decode(a.encode(vote, { counter: 10, qos: 0 })), 'old');
    expect(after.decode(a.encode(vote, { counter: 501, qos: 0 })).ok).toBe(true);
  });
});

describe('ISL codec: refusals are counted, never thrown', () => {
  it('decode never throws on garbage and counts every refusal', () => {
    const b = node('SAT-2', { maxBytes: 256 });
    let n = 0;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = b.decode(bytes);
        n++;
        expect(r.ok).toBe(false);
      }),
      { numRuns: 3000 },
    );
    const counted = ISL_DROP_REASONS.reduce((s, k) => s + b.drops[k], 0);
    expect(counted).toBe(n);
  });

  it('decode never throws on authenticated garbage (any header, any body behind a valid tag)', () => {
    const tally: Record<string, number> = {};
    const bodyWriter = node('SAT-1');
    // Bodies: valid ones of a random kind (so some frames get through), then maybe mutated.
    const validBody = anyMessage.map((m): [number, Uint8Array] => {
      if (m.t === 'health') {
        const h = encodeHealthBody(m, (id) => MEMBERS.indexOf(id as (typeof MEMBERS)[number]));
        return [KIND_CODES.health, h.ok ? h.body : new Uint8Array(0)];
      }
      // The body exactly as the codec writes it (positional, ISL-FORMAT.md §6).
      const f = bodyWriter.encode(m, { counter: 1, qos: 0 });
      return [KIND_CODES[m.t], f.subarray(HEADER_BYTES, f.length - TAG_BYTES)];
    });
    const mutation = fc.oneof(
      fc.constant((b: Uint8Array) => b),
      fc.tuple(fc.nat(), fc.nat(255)).map(([i, v]) => (b: Uint8Array) => (b.length ? Uint8Array.from(b, (x, j) => (j === i % b.length ? v : x)) : b)),
      fc.nat().map((n) => (b: Uint8Array) => b.subarray(0, n % (b.length + 1))),
      fc.uint8Array({ minLength: 1, maxLength: 4 }).map((extra) => (b: Uint8Array) => Buffer.concat([b, extra])),
    );
    fc.assert(
      fc.property(
        fc.oneof({ weight: 4, arbitrary: validBody }, { weight: 1, arbitrary: fc.tuple(fc.nat(255), fc.uint8Array({ maxLength: 40 })) }),
        mutation,
        fc.oneof({ weight: 4, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat(255) }),
        fc.constantFrom(0, 2, 3, 4, 1),
        fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0xff, 1) }, { weight: 1, arbitrary: fc.nat(255) }),
        fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 2) }, { weight: 1, arbitrary: fc.nat(255) }),
        fc.nat(0xffffff),
        ([kind0, body0], mutate, kindOverride, from, to, flags, counter) => {
          const b = node('SAT-2');
          const kind = kindOverride < 0 ? kind0 : kindOverride;
          const head = header({ kind, from, to, counter, flags });
          const mid = flags & 3 ? Buffer.from([1, 2, 3, 4]) : Buffer.alloc(0);
          const r = b.decode(seal(Buffer.concat([head, mid, mutate(body0)])));
          if (r.ok) expect(SWARM_MESSAGES[r.msg.t].check(r.msg)).toBeUndefined();
          const k = r.ok ? 'ok' : r.reason;
          tally[k] = (tally[k] ?? 0) + 1;
          const counted = ISL_DROP_REASONS.reduce((s, k) => s + b.drops[k], 0);
          expect(counted + b.accepted).toBe(1);
        },
      ),
      { numRuns: 4000 },
    );
    // The generator reaches every path behind the MAC.
    expect(Object.keys(tally).sort()).toEqual(['malformed', 'misdirected', 'ok']);
    expect(tally['ok']).toBeGreaterThan(400);
    expect(tally['malformed']).toBeGreaterThan(400);
  });

  it('positional bodies (v2) from a peer: short, long or mistyped lists are dropped as malformed and counted, never thrown', () => {
    type ListKind = keyof typeof BODY_FIELDS;
    const writer = node('SAT-1');
    const tally: Record<string, number> = {};
    // A valid list of a random non-health kind, as the codec writes it, then edited as a list:
    // cut short, lengthened, one element replaced by any plain value, or (append) one log entry edited so.
    const validList = fc.constantFrom(...(Object.keys(BODY_FIELDS) as ListKind[])).chain((kind) =>
      (messageOf[kind] as fc.Arbitrary<SwarmMessage>).map((m): [ListKind, unknown[]] => {
        const f = writer.encode(m, { counter: 1, qos: 0 });
        return [kind, decodePlain(f.subarray(HEADER_BYTES, f.length - TAG_BYTES)) as unknown[]];
      }),
    );
    const edit = fc.oneof(
      fc.constant((l: unknown[]) => l),
      fc.nat().map((n) => (l: unknown[]) => l.slice(0, n % (l.length + 1))),
      fc.array(plainValue, { minLength: 1, maxLength: 3 }).map((extra) => (l: unknown[]) => [...l, ...extra]),
      fc.tuple(fc.nat(), plainValue).map(([i, v]) => (l: unknown[]) => (l.length ? l.map((x, j) => (j === i % l.length ? v : x)) : l)),
    );
    fc.assert(
      fc.property(validList, edit, edit, ([kind, list], editBody, editEntry) => {
        const body = editBody(list);
        const entries = kind === 'append' ? body[3] : undefined;
        if (Array.isArray(entries) && entries.length > 0 && Array.isArray(entries[0])) body[3] = [editEntry(entries[0] as unknown[]), ...entries.slice(1)];
        const b = node('SAT-2');
        const r = b.decode(seal(Buffer.concat([header({ kind: KIND_CODES[kind], from: 0, counter: 1 }), encodePlain(body)])));
        const [required, optional] = BODY_FIELDS[kind];
        if (body.length < required.length || body.length > required.length + optional.length) expectDrop(r, 'malformed');
        const entry = Array.isArray(body[3]) ? (body[3] as unknown[])[0] : undefined;
        if (kind === 'append' && Array.isArray(entry) && entry.length !== LOG_ENTRY_FIELDS.length) expectDrop(r, 'malformed');
        if (r.ok) {
          expect(r.msg.t).toBe(kind);
          expect(SWARM_MESSAGES[kind].check(r.msg)).toBeUndefined();
        } else {
          expect(r.reason).toBe('malformed');
        }
        expect(b.drops.malformed + b.accepted).toBe(1);
        const k = r.ok ? 'ok' : r.reason;
        tally[k] = (tally[k] ?? 0) + 1;
      }),
      { numRuns: 3000 },
    );
    // Both outcomes are reached: the edits are not all fatal, nor all harmless.
    expect(tally['ok']).toBeGreaterThan(300);
    expect(tally['malformed']).toBeGreaterThan(300);
  });

  it('a deeply nested positional body is dropped as malformed, not a stack overflow', () => {
    // 5,000 one-element arrays around a 0: as the whole body, and as a value inside `params`
    // of a propose [term 1, pid 'p', action 'a', {k: …}, deadline 1].
    const deep = Buffer.concat([Buffer.alloc(5000, 0x81), Buffer.from([0x00])]);
    const deepParams = Buffer.concat([Buffer.from([0x85, 0x01, 0x61, 0x70, 0x61, 0x61, 0xa1, 0x61, 0x6b]), deep, Buffer.from([0x01])]);
    const b = node('SAT-2');
    const bodies = [deep, deepParams];
    for (const [i, body] of bodies.entries()) expectDrop(b.decode(seal(Buffer.concat([header({ kind: KIND_CODES.propose, from: 0, counter: i + 1 }), body]))), 'malformed');
    expect(b.drops.malformed).toBe(bodies.length);
  });

  it('truncated frames: refused (malformed or mac), never thrown', () => {
    const a = node('SAT-1');
    const f = a.encode({ t: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 }, { counter: 1, qos: 1, mid: 3 });
    const b = node('SAT-2');
    for (let len = 0; len < f.length; len++) {
      const r = b.decode(f.subarray(0, len));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(len < HEADER_BYTES + 1 + TAG_BYTES ? 'malformed' : 'mac').toBe(r.reason);
    }
  });

  it('oversize: refused before the MAC on receipt, E_ISL_OVERSIZE on send', () => {
    const b = node('SAT-2', { maxBytes: 64 });
    expectDrop(b.decode(new Uint8Array(65)), 'oversize');
    const a = node('SAT-1', { maxBytes: 64 });
    expect(() => a.encode({ t: 'bulk', data: new Uint8Array(64) }, { counter: 1, qos: 0 })).toThrow(expect.objectContaining({ code: 'E_ISL_OVERSIZE' }));
    // A health broadcast always fits the smallest maxBytes.
    expect(b.decode(a.encode({ ...hb, term: Number.MAX_SAFE_INTEGER }, { counter: 2, qos: 0 })).ok).toBe(true);
  });

  it('unknown sender index, wrong version, misdirected, self-sent', () => {
    const b = node('SAT-2');
    expectDrop(b.decode(seal(Buffer.concat([header({ kind: 3, from: 5, counter: 1 }), Buffer.from(encodePlain({ term: 1, granted: true }))]))), 'unknown_sender');
    expectDrop(b.decode(seal(Buffer.concat([header({ kind: 3, from: 200, counter: 1 }), Buffer.from([0xa0])]))), 'unknown_sender');
    expectDrop(b.decode(seal(Buffer.concat([header({ version: 1, kind: 3, from: 0, counter: 1 }), Buffer.from(encodePlain({ term: 1, granted: true }))]))), 'version');
    // Addressed to SAT-3: a unicast vote for one candidate cannot be replayed to another.
    const toThree = node('SAT-1').encode(vote, { counter: 1, qos: 0, to: 'SAT-3' });
    expectDrop(b.decode(toThree), 'misdirected');
    expect(node('SAT-3').decode(toThree).ok).toBe(true);
    // Our own frame reflected back to us.
    expectDrop(b.decode(node('SAT-2').encode(vote, { counter: 1, qos: 0 })), 'misdirected');
    expect(b.drops).toMatchObject({ unknown_sender: 2, version: 1, misdirected: 2 });
  });

  it('authenticated but malformed: reserved flags, unknown kind, body not plain CBOR, a map (version 1 style), wrong length, schema break, bad log entry, bad health', () => {
    const bodies: [Partial<Parameters<typeof header>[0]>, Uint8Array][] = [
      [{ flags: 4 }, encodePlain({ term: 1, granted: true })],
      [{ flags: 3 }, encodePlain({ term: 1, granted: true })],
      [{ kind: 0 }, encodePlain({ term: 1, granted: true })],
      [{ kind: 11 }, encodePlain({ term: 1, granted: true })],
      [{}, Uint8Array.from([0xc1, 0x00])],
      [{}, Uint8Array.from([0xa1, 0x61])],
      [{}, encodePlain({ term: 1, granted: true })],
      [{}, encodePlain([-1, true])],
      [{}, encodePlain([1, 2])],
      [{}, encodePlain([1])],
      [{}, encodePlain([1, true, true, 4])],
      [{}, encodePlain([1, true, 'yes'])],
      [{ kind: KIND_CODES.append }, encodePlain([1, 0, 0, [[1, 1, 'c', 'a', {}, 0, 0]], 0])],
      [{ kind: KIND_CODES.append }, encodePlain([1, 0, 0, [{ index: 1 }], 0])],
      [{ kind: KIND_CODES.health }, encodePlain({ term: 1 })],
    ];
    const b = node('SAT-2');
    let counter = 0;
    for (const [h, body] of bodies) {
      const f = seal(Buffer.concat([header({ kind: KIND_CODES.vote, from: 0, counter: ++counter, ...h }), body]));
      expectDrop(b.decode(f), 'malformed');
    }
    expect(b.drops.malformed).toBe(bodies.length);
  });
});

function cyclic(): Record<string, null> {
  const o: Record<string, unknown> = {};
  o['self'] = o;
  return o as Record<string, null>;
}

function deep(n: number): Record<string, null> {
  let o: unknown = 1;
  for (let i = 0; i < n; i++) o = { o };
  return o as Record<string, null>;
}

describe('ISL codec: encode refuses what it cannot send', () => {
  const a = node('SAT-1');
  const code = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (e) {
      return isIslError(e) ? e.code : `other: ${String(e)}`;
    }
    return undefined;
  };

  it('E_ISL_ENCODE for a schema break, bad meta, an unknown or self destination, an unrepresentable health', () => {
    const cases: [SwarmMessage, Parameters<IslCodec['encode']>[1]][] = [
      [{ t: 'vote', term: -1, granted: true }, { counter: 1, qos: 0 }],
      [{ t: 'nope' } as unknown as SwarmMessage, { counter: 1, qos: 0 }],
      [vote, { counter: -1, qos: 0 }],
      [vote, { counter: COUNTER_MAX + 1, qos: 0 }],
      [vote, { counter: 1.5, qos: 0 }],
      [vote, { counter: 1, qos: 3 as 0 }],
      [vote, { counter: 1, qos: 1 }],
      [vote, { counter: 1, qos: 2, mid: 2 ** 32 }],
      [vote, { counter: 1, qos: 0, to: 'SAT-9' }],
      [vote, { counter: 1, qos: 0, to: 'SAT-1' }],
      [{ ...hb, mode: 'party' }, { counter: 1, qos: 0 }],
      [{ ...hb, leader: 'SAT-9' }, { counter: 1, qos: 0 }],
      [{ t: 'propose', term: 1, pid: 'p', action: 'a', params: { x: undefined as unknown as null }, deadlineMs: 1 }, { counter: 1, qos: 0 }],
      [{ t: 'propose', term: 1, pid: 'p', action: 'a', params: { x: new Date(0) as unknown as null }, deadlineMs: 1 }, { counter: 1, qos: 0 }],
      [{ t: 'propose', term: 1, pid: 'p', action: 'a', params: { x: 2n ** 70n as unknown as null }, deadlineMs: 1 }, { counter: 1, qos: 0 }],
      [{ t: 'propose', term: 1, pid: 'p', action: 'a', params: cyclic(), deadlineMs: 1 }, { counter: 1, qos: 0 }],
      [{ t: 'propose', term: 1, pid: 'p', action: 'a', params: deep(20), deadlineMs: 1 }, { counter: 1, qos: 0 }],
    ];
    for (const [msg, meta] of cases) expect(code(() => a.encode(msg, meta))).toBe('E_ISL_ENCODE');
  });

  it('E_ISL_CONFIG for bad options', () => {
    const bad: Parameters<typeof createIslCodec>[0][] = [
      { key: new Uint8Array(16), members: MEMBERS, self: 'SAT-1' },
      { key: KEY, members: [], self: 'SAT-1' },
      { key: KEY, members: ['SAT-1', 'SAT-1'], self: 'SAT-1' },
      { key: KEY, members: ['SAT-1', '*'], self: 'SAT-1' },
      { key: KEY, members: MEMBERS, self: 'SAT-9' },
      { key: KEY, members: MEMBERS, self: 'SAT-1', maxBytes: 63 },
      { key: KEY, members: Array.from({ length: 256 }, (_, i) => `S${i}`), self: 'S0' },
    ];
    for (const o of bad) expect(code(() => createIslCodec(o))).toBe('E_ISL_CONFIG');
  });

  it('error messages and details never carry key material', () => {
    const hex = KEY.toString('hex');
    try {
      createIslCodec({ key: KEY.subarray(0, 31), members: MEMBERS, self: 'SAT-1' });
    } catch (e) {
      expect(JSON.stringify([String(e), (e as { detail?: unknown }).detail])).not.toContain(hex.slice(0, 16));
    }
  });
});
