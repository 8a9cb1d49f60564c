import { sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VirtualClock, encodePlain } from '../../../hal/index.js';
import { encodeBody, encodeEnvelope, parseReply, signedBytes, type SatStatus } from '../../../firmware-agent/ground/format.js';
import { GroundHandler, GROUND_RESULTS, type Done, type GroundTarget } from '../../../firmware-agent/ground/handler.js';
import { groundKeyId } from '../../../firmware-agent/ground/keys.js';
import { Metrics } from '../../../firmware-agent/observability/metrics.js';
import { mulberry32 } from '../../helpers/prng.js';
import { capturedLog, groundKeys, packet } from './helpers.js';

const ground = groundKeys();
const other = groundKeys();

function rig(opts: { key?: boolean; persistFails?: boolean; target?: Partial<GroundTarget>; gapMs?: number } = {}) {
  const clock = new VirtualClock();
  const metrics = new Metrics();
  const { log, lines, codes } = capturedLog();
  const calls: string[] = [];
  const counters = new Map<string, number>();
  const replies: Uint8Array[] = [];
  const status: SatStatus = { mode: 'nominal', paused: false, actions: ['a-1'], boots: 3 };
  const target: GroundTarget = {
    pause: () => void calls.push('pause'),
    resume: () => void calls.push('resume'),
    cancel: (id): Done => (calls.push(`cancel ${id}`), id === 'a-1' ? { ok: true } : { ok: false, reason: 'no_such_action', detail: `no action ${id} is running` }),
    overrideMode: (m, why) => void calls.push(`mode ${m} ${why}`),
    propose: (a): Done => (calls.push(`propose ${a}`), { ok: false, reason: 'no_swarm', detail: 'solo' }),
    status: () => status,
    ...opts.target,
  };
  const withKey = opts.key ?? true;
  const h = new GroundHandler({
    self: () => 'SAT-1',
    key: withKey ? ground.publicKey : undefined,
    keyId: withKey ? groundKeyId(ground.publicKey) : undefined,
    lastCounter: (k) => counters.get(k) ?? 0,
    persistCounter: (k, n) => {
      if (opts.persistFails) throw new Error('E_JOURNAL_IO: disk full');
      calls.push(`persist ${n}`);
      counters.set(k, n);
    },
    target,
    reply: (p) => void replies.push(p),
    log,
    metrics,
    clock,
    refusalGapMs: opts.gapMs ?? 0,
  });
  const count = (r: string) => metrics.counter('ground_commands', r as (typeof GROUND_RESULTS)[number]).value;
  return { h, clock, metrics, calls, counters, replies, lines, codes, count, lastReply: () => parseReply(replies.at(-1)!) };
}

describe('ground handler: accepted commands', () => {
  it('a signed pause persists its counter, then pauses; replies accepted with the status; counted and logged', () => {
    const r = rig();
    const out = r.h.receive(packet({ sat: 'SAT-1', n: 7, op: 'pause' }, ground.privateKey));
    expect(out).toMatchObject({ result: 'accepted', n: 7, op: 'pause' });
    // Durable first, then the effect.
    expect(r.calls).toEqual(['persist 7', 'pause']);
    expect(r.count('accepted')).toBe(1);
    expect(r.codes('GROUND_CMD_ACCEPTED')[0]).toMatchObject({ op: 'pause', counter: 7 });
    expect(r.lastReply()).toEqual({ result: 'accepted', sat: 'SAT-1', n: 7, op: 'pause', why: 'pause', status: { mode: 'nominal', paused: false, actions: ['a-1'], boots: 3 } });
  });

  it('resume, mode (with the ground reason), cancel of a running action each reach the agent', () => {
    const r = rig();
    r.h.receive(packet({ sat: 'SAT-1', n: 1, op: 'resume' }, ground.privateKey));
    r.h.receive(packet({ sat: 'SAT-1', n: 2, op: 'mode', mode: 'safe', reason: 'battery test' }, ground.privateKey));
    r.h.receive(packet({ sat: 'SAT-1', n: 3, op: 'cancel', id: 'a-1' }, ground.privateKey));
    expect(r.calls.filter((c) => !c.startsWith('persist'))).toEqual(['resume', 'mode safe ground: battery test', 'cancel a-1']);
    expect(r.count('accepted')).toBe(3);
  });

  it('a verified command that cannot be done is failed (counted, logged with the reason); its counter is used up', () => {
    const r = rig();
    const out = r.h.receive(packet({ sat: 'SAT-1', n: 5, op: 'cancel', id: 'nope' }, ground.privateKey));
    expect(out.result).toBe('failed');
    expect(r.count('failed')).toBe(1);
    expect(r.codes('GROUND_CMD_FAILED')[0]).toMatchObject({ op: 'cancel', counter: 5, reason: expect.stringContaining('no_such_action') });
    expect(r.lastReply()).toMatchObject({ result: 'failed', n: 5, why: expect.stringContaining('no_such_action') });
    expect(r.h.receive(packet({ sat: 'SAT-1', n: 5, op: 'cancel', id: 'nope' }, ground.privateKey)).result).toBe('replayed');
    expect(rig().h.receive(packet({ sat: 'SAT-1', n: 1, op: 'propose', action: 'payload_off', params: {} }, ground.privateKey))).toMatchObject({ result: 'failed', why: expect.stringContaining('no_swarm') });
  });

  it('a counter that cannot be made durable fails the command without acting on it', () => {
    const r = rig({ persistFails: true });
    const out = r.h.receive(packet({ sat: 'SAT-1', n: 9, op: 'pause' }, ground.privateKey));
    expect(out.result).toBe('failed');
    expect(r.calls).not.toContain('pause');
  });

  it('an agent side that throws fails the command (counted, logged, answered): the throw never leaves receive()', () => {
    const r = rig({ target: { overrideMode: () => { throw new Error('machine stopped'); }, status: () => { throw new Error('no status'); } } });
    let out: ReturnType<typeof r.h.receive> | undefined;
    expect(() => (out = r.h.receive(packet({ sat: 'SAT-1', n: 4, op: 'mode', mode: 'safe', reason: '' }, ground.privateKey)))).not.toThrow();
    expect(out).toMatchObject({ result: 'failed', n: 4, op: 'mode', why: expect.stringContaining('machine stopped') });
    expect(r.count('failed')).toBe(1);
    expect(r.count('accepted')).toBe(0);
    expect(r.codes('GROUND_CMD_FAILED')[0]).toMatchObject({ op: 'mode', counter: 4, reason: expect.stringContaining('machine stopped') });
    expect(r.lastReply()).toEqual({ result: 'failed', sat: 'SAT-1', n: 4, op: 'mode', why: expect.stringContaining('machine stopped') });
  });
});

describe('ground handler: refusals, each counted and logged with its reason', () => {
  const refusedWith = (r: ReturnType<typeof rig>, pkt: Uint8Array, reason: string) => {
    const before = r.calls.length;
    const out = r.h.receive(pkt);
    expect(out.result).toBe(reason);
    expect(r.calls.length).toBe(before); // nothing acted on, nothing persisted
    expect(r.count(reason)).toBeGreaterThan(0);
    expect(r.codes('GROUND_CMD_REFUSED').at(-1)).toMatchObject({ reason });
    expect(r.lastReply()).toMatchObject({ result: 'refused', why: expect.stringMatching(new RegExp(`^${reason}`)) });
  };

  it('unsigned', () => refusedWith(rig(), packet({ sat: 'SAT-1', n: 1, op: 'pause' }, undefined), 'unsigned'));
  it('signed by another key', () => refusedWith(rig(), packet({ sat: 'SAT-1', n: 1, op: 'pause' }, other.privateKey), 'bad_signature'));
  it('a signature of the wrong length', () => {
    const body = encodeBody({ sat: 'SAT-1', n: 1, op: 'pause' });
    refusedWith(rig(), encodeEnvelope(body, new Uint8Array(63)), 'bad_signature');
  });

  it('tampered: a signed pause whose body was changed to resume, or retargeted', () => {
    const body = encodeBody({ sat: 'SAT-1', n: 4, op: 'pause' });
    const sig = sign(null, signedBytes(body), ground.privateKey);
    const tampered = encodeBody({ sat: 'SAT-1', n: 4, op: 'resume' });
    refusedWith(rig(), encodeEnvelope(tampered, sig), 'bad_signature');
    const bumped = encodeBody({ sat: 'SAT-1', n: 5, op: 'pause' });
    refusedWith(rig(), encodeEnvelope(bumped, sig), 'bad_signature');
    // A signature over the body without the context prefix does not verify either.
    refusedWith(rig(), encodeEnvelope(body, sign(null, body, ground.privateKey)), 'bad_signature');
  });

  it('replayed: the same counter again, and any lower one', () => {
    const r = rig();
    const p = packet({ sat: 'SAT-1', n: 10, op: 'pause' }, ground.privateKey);
    expect(r.h.receive(p).result).toBe('accepted');
    refusedWith(r, p, 'replayed');
    refusedWith(r, packet({ sat: 'SAT-1', n: 9, op: 'resume' }, ground.privateKey), 'replayed');
    expect(r.h.receive(packet({ sat: 'SAT-1', n: 11, op: 'resume' }, ground.privateKey)).result).toBe('accepted');
  });

  it('wrong target: signed for another satellite (does not use up the counter here)', () => {
    const r = rig();
    refusedWith(r, packet({ sat: 'SAT-2', n: 3, op: 'pause' }, ground.privateKey), 'wrong_target');
    expect(r.counters.size).toBe(0);
  });

  it('no key configured: even a well-signed command is refused', () => refusedWith(rig({ key: false }), packet({ sat: 'SAT-1', n: 1, op: 'pause' }, ground.privateKey), 'no_key'));

  it('malformed: not CBOR, wrong version, a signed body with an unknown op or a bad mode', () => {
    refusedWith(rig(), Uint8Array.from([1, 2, 3]), 'malformed');
    refusedWith(rig(), encodePlain({ v: 2, b: new Uint8Array(3) }), 'malformed');
    const signedBody = (wire: Record<string, unknown>) => {
      const b = encodePlain(wire);
      return encodeEnvelope(b, sign(null, signedBytes(b), ground.privateKey));
    };
    refusedWith(rig(), signedBody({ sat: 'SAT-1', n: 1, op: 'selfdestruct' }), 'malformed');
    refusedWith(rig(), signedBody({ sat: 'SAT-1', n: 1, op: 'mode', mode: 'boot' }), 'malformed');
    refusedWith(rig(), signedBody({ sat: 'SAT-1', n: 0, op: 'pause' }), 'malformed');
    refusedWith(rig(), new Uint8Array(600), 'malformed');
  });

  it('garbage never throws: 2,000 random packets are all counted as refusals, none acted on', () => {
    const r = rig();
    const rng = mulberry32(42);
    for (let i = 0; i < 2000; i++) {
      const n = Math.floor(rng() * 200);
      const p = Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
      if (i % 2 === 0 && n > 0) p[0] = 0xa0 | (p[0]! & 0x1f); // half of them start like a CBOR map
      expect(() => r.h.receive(p)).not.toThrow();
    }
    const refused = GROUND_RESULTS.filter((x) => x !== 'accepted' && x !== 'failed').reduce((s, x) => s + r.count(x), 0);
    expect(refused).toBe(2000);
    expect(r.calls).toEqual([]);
  });

  it('a flood of refusals is counted in full but logged and answered at most once per gap', () => {
    const r = rig({ gapMs: 1000 });
    for (let i = 0; i < 50; i++) r.h.receive(Uint8Array.from([0xff, i]));
    expect(r.count('malformed')).toBe(50);
    expect(r.codes('GROUND_CMD_REFUSED')).toHaveLength(1);
    expect(r.replies).toHaveLength(1);
    r.clock.advance(1000);
    r.h.receive(Uint8Array.from([0xff]));
    expect(r.codes('GROUND_CMD_REFUSED').at(-1)).toMatchObject({ unlogged_since_last: 49 });
  });
});
