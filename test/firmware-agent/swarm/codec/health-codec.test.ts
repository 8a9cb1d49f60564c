import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MODES } from '../../../../firmware-agent/decide/types.js';
import {
  decodeHealthBody, encodeHealthBody, HEALTH_BODY_MAX, HEALTH_BODY_MIN, HEALTH_MODES, HEALTH_QUANTUM, INTERVAL_MAX_MS, INTERVAL_UNIT_MS, NO_LEADER,
  type HealthMessage,
} from '../../../../firmware-agent/swarm/health-codec.js';
import { createIslCodec, HEADER_BYTES, TAG_BYTES } from '../../../../firmware-agent/swarm/isl-codec.js';
import { health, KEY, MEMBERS } from './helpers.js';

const indexOf = (id: string): number | undefined => {
  const i = MEMBERS.indexOf(id as (typeof MEMBERS)[number]);
  return i < 0 ? undefined : i;
};
const memberAt = (i: number): string | undefined => MEMBERS[i];

const base: HealthMessage = { t: 'health', term: 1, role: 'follower', leader: '', health: 1, mode: 'nominal', soc: 0.5, tmaxC: 20, digest: 0 };

function body(m: HealthMessage): Uint8Array {
  const r = encodeHealthBody(m, indexOf);
  if (!r.ok) throw new Error(r.why);
  return r.body;
}

describe('health body', () => {
  it('mode codes are the agent modes, in order (a new mode needs a code here)', () => {
    expect([...HEALTH_MODES]).toEqual([...MODES]);
  });

  it('the worst-case frame is ≤ 64 bytes, tag included', () => {
    expect(HEADER_BYTES + HEALTH_BODY_MAX + TAG_BYTES).toBeLessThanOrEqual(64);
  });

  it('any health message round-trips within the quantisation; the whole frame ≤ 64 bytes (every member as sender)', () => {
    const nodes = MEMBERS.map((self) => createIslCodec({ key: KEY, members: MEMBERS, self, maxBytes: 64 }));
    let counter = 0;
    fc.assert(
      fc.property(health, fc.nat(MEMBERS.length - 1), (m, s) => {
        const b = body(m);
        expect(b.length).toBeGreaterThanOrEqual(HEALTH_BODY_MIN);
        expect(b.length).toBeLessThanOrEqual(HEALTH_BODY_MAX);
        const frame = nodes[s]!.encode(m, { counter: ++counter, qos: 0 });
        expect(frame.length).toBeLessThanOrEqual(64);
        const d = decodeHealthBody(b, memberAt);
        if (!d) throw new Error('did not decode');
        expect({ ...d, health: 0, soc: 0, tmaxC: 0, intervalMs: 0 }).toEqual({ ...m, health: 0, soc: 0, tmaxC: 0, intervalMs: 0 });
        // The advertised interval: absent stays absent; else rounded up to 100 ms (never below
        // the true one, so a receiver never expects a broadcast early), saturated at 25.5 s.
        if (m.intervalMs === undefined) expect('intervalMs' in d).toBe(false);
        else {
          const want = Math.min(INTERVAL_MAX_MS, m.intervalMs);
          expect(d.intervalMs).toBeGreaterThanOrEqual(want);
          expect(d.intervalMs! - want).toBeLessThan(INTERVAL_UNIT_MS);
          expect(d.intervalMs! % INTERVAL_UNIT_MS).toBe(0);
        }
        const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
        expect(Math.abs(d.health - clamp(m.health, 0, 1))).toBeLessThanOrEqual(HEALTH_QUANTUM.health + 1e-12);
        if (Number.isNaN(m.soc)) expect(d.soc).toBeNaN();
        else expect(Math.abs(d.soc - clamp(m.soc, 0, 1))).toBeLessThanOrEqual(HEALTH_QUANTUM.soc + 1e-12);
        if (Number.isNaN(m.tmaxC)) expect(d.tmaxC).toBeNaN();
        else expect(Math.abs(d.tmaxC - clamp(m.tmaxC, -127, 127))).toBeLessThanOrEqual(HEALTH_QUANTUM.tmaxC);
        // Re-encoding the decoded message is exact: quantisation happens once.
        expect(Array.from(body(d))).toEqual(Array.from(b));
      }),
      { numRuns: 5000 },
    );
  });

  it('byte layout of a known message', () => {
    const m: HealthMessage = { t: 'health', term: 300, role: 'leader', leader: 'SAT-3', health: 0.5, mode: 'safe', soc: 0.75, tmaxC: -20.4, digest: 0x01020304 };
    // codes: role leader (2) | mode safe (3) << 2 = 0x0e; leader index 2; 125; 187.5 → 188; −20 → 0xec; digest LE;
    // no interval (0); 300 = 0xac 0x02.
    expect(Buffer.from(body(m)).toString('hex')).toBe('0e027dbcec0403020100ac02');
    // 8 s = 80 × 100 ms; 7 901 ms rounds up to the same; past 25.5 s saturates at 255.
    expect(body({ ...m, intervalMs: 8000 })[9]).toBe(80);
    expect(body({ ...m, intervalMs: 7901 })[9]).toBe(80);
    expect(body({ ...m, intervalMs: 60_000 })[9]).toBe(255);
    expect(decodeHealthBody(body({ ...m, intervalMs: 7901 }), memberAt)?.intervalMs).toBe(8000);
    expect(body({ ...base, leader: '', soc: Number.NaN, tmaxC: Number.NaN })[1]).toBe(NO_LEADER);
    expect(Array.from(body({ ...base, soc: Number.NaN, tmaxC: Number.NaN }).subarray(3, 5))).toEqual([255, 0x80]);
  });

  it('refuses (without throwing) what it cannot represent', () => {
    for (const bad of [
      { ...base, mode: 'party' },
      { ...base, leader: 'SAT-9' },
      { ...base, role: 'king' as 'leader' },
      { ...base, term: 2 ** 53 },
      { ...base, digest: 2 ** 32 },
      { ...base, health: Number.NaN },
      { ...base, health: -0.1 },
      { ...base, intervalMs: 0 },
      { ...base, intervalMs: 1.5 },
      { ...base, intervalMs: -1000 },
    ]) {
      expect(encodeHealthBody(bad, indexOf).ok).toBe(false);
    }
  });

  it('decode refuses malformed bodies and never throws', () => {
    const good = body({ ...base, term: 2 ** 40 });
    const mutate = (i: number, v: number): Uint8Array => Uint8Array.from(good, (x, j) => (j === i ? v : x));
    expect(decodeHealthBody(good, memberAt)).toBeDefined();
    expect(decodeHealthBody(mutate(0, 0x20), memberAt)).toBeUndefined(); // reserved bit
    expect(decodeHealthBody(mutate(0, 5 << 2), memberAt)).toBeUndefined(); // mode code 5
    expect(decodeHealthBody(mutate(1, 5), memberAt)).toBeUndefined(); // leader index past the list
    expect(decodeHealthBody(mutate(2, 251), memberAt)).toBeUndefined();
    expect(decodeHealthBody(mutate(3, 254), memberAt)).toBeUndefined();
    expect(decodeHealthBody(good.subarray(0, good.length - 1), memberAt)).toBeUndefined(); // varint cut
    expect(decodeHealthBody(Uint8Array.from([...good.subarray(0, 10), 0x80, 0x00]), memberAt)).toBeUndefined(); // overlong
    expect(decodeHealthBody(Uint8Array.from([...good.subarray(0, 10), 1, 0]), memberAt)).toBeUndefined(); // trailing
    expect(decodeHealthBody(Uint8Array.from([...good.subarray(0, 10), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10]), memberAt)).toBeUndefined(); // 2^53
    expect(decodeHealthBody(Uint8Array.from([...good.subarray(0, 10), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]), memberAt)?.term).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeHealthBody(mutate(9, 80), memberAt)?.intervalMs).toBe(8000);
    expect(decodeHealthBody(good.subarray(0, 9), memberAt)).toBeUndefined(); // a version 2 body (no interval byte) is too short
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (b) => {
        const d = decodeHealthBody(b, memberAt);
        if (d) expect(Array.from(body(d))).toEqual(Array.from(b)); // canonical: one encoding per message
      }),
      { numRuns: 5000 },
    );
  });
});
