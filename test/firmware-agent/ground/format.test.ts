import { describe, expect, it } from 'vitest';
import { encodePlain } from '../../../hal/index.js';
import { encodeBody, encodeReply, parseBody, parseEnvelope, parseReply, MAX_COMMAND_BYTES, type GroundReply } from '../../../firmware-agent/ground/format.js';

describe('ground command format', () => {
  it('every command survives encode → parse', () => {
    const bodies = [
      { sat: 'SAT-1', n: 1, op: 'pause' },
      { sat: 'SAT-1', n: 2, op: 'resume' },
      { sat: 'SAT-1', n: 3, op: 'status' },
      { sat: 'SAT-1', n: 4, op: 'cancel', id: 'a1b2' },
      { sat: 'SAT-1', n: 5, op: 'mode', mode: 'degraded', reason: 'ops' },
      { sat: 'SAT-1', n: Number.MAX_SAFE_INTEGER, op: 'propose', action: 'payload_throttle', params: { duty: 0.3, on: true, who: 'x' } },
    ] as const;
    for (const b of bodies) expect(parseBody(encodeBody(b))).toEqual({ ok: true, value: b });
  });

  it('a body is small: a signed pause fits a radio packet many times over', () => {
    expect(encodeBody({ sat: 'SAT-12', n: 1_795_312_815_528, op: 'pause' }).length).toBeLessThan(40);
  });

  it('refuses what is not a command, saying why', () => {
    const why = (v: unknown) => {
      const r = parseBody(encodePlain(v));
      return r.ok ? 'accepted' : r.why;
    };
    expect(why([1, 2])).toMatch(/not a CBOR map/);
    expect(why({ n: 1, op: 'pause' })).toMatch(/sat must be/);
    expect(why({ sat: 'S', n: 1.5, op: 'pause' })).toMatch(/n must be an integer/);
    expect(why({ sat: 'S', n: 1, op: 'cancel' })).toMatch(/cancel needs id/);
    expect(why({ sat: 'S', n: 1, op: 'propose', act: 'x', p: { k: [1] } })).toMatch(/parameter k must be/);
    expect(why({ sat: 'S', n: 1, op: 'mode', mode: 'safe', why: 'x'.repeat(201) })).toMatch(/at most 200/);
    expect(parseEnvelope(new Uint8Array(MAX_COMMAND_BYTES + 1))).toMatchObject({ ok: false, why: expect.stringMatching(/> 512/) });
    const unsigned = parseEnvelope(encodePlain({ v: 1, b: Uint8Array.from([7, 8]) }));
    expect(unsigned.ok && [[...unsigned.value.body], unsigned.value.sig]).toEqual([[7, 8], undefined]);
    expect(parseEnvelope(encodePlain({ v: 1, b: Uint8Array.from([7]), s: 'sig' }))).toMatchObject({ ok: false, why: 's must be bytes' });
  });

  it('replies survive encode → parse; an ISL frame (version byte 1) or garbage is not a reply', () => {
    const r: GroundReply = { result: 'failed', sat: 'SAT-2', n: 9, op: 'cancel', why: 'no_such_action: x', status: { mode: 'safe', paused: true, actions: ['a'], boots: 2 } };
    expect(parseReply(encodeReply(r))).toEqual(r);
    expect(parseReply(encodeReply({ result: 'refused', sat: 'SAT-2', n: null, why: 'malformed: x' }))).toEqual({ result: 'refused', sat: 'SAT-2', n: null, why: 'malformed: x' });
    expect(parseReply(Uint8Array.from([1, 1, 0, 255, 0, 0, 0, 0, 0, 0, 0]))).toBeUndefined();
    expect(parseReply(Uint8Array.from([0xa1, 0xff]))).toBeUndefined();
    expect(parseReply(encodePlain({ v: 1, r: 'maybe', sat: 'S', n: 1 }))).toBeUndefined();
  });
});
