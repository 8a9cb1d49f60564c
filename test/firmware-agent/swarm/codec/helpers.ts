import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { ISL_VERSION, macKeyLabel, TAG_BYTES } from '../../../../firmware-agent/swarm/isl-codec.js';
import { HEALTH_MODES } from '../../../../firmware-agent/swarm/health-codec.js';
import { ROLES, type LogEntry, type SwarmKind, type SwarmMessage, type SwarmMessageOf } from '../../../../firmware-agent/swarm/messages.js';
import type { PlainValue } from '../../../../hal/protocol/schema.js';

export const MEMBERS = ['SAT-1', 'SAT-2', 'SAT-3', 'SAT-4', 'SAT-5'] as const;
/** A fixed test key (never a real one). */
export const KEY = Buffer.from('5a1c0e7e2b8d4f6a9c3e1b7d5f2a8c4e6b0d9f1a3c5e7b9d2f4a6c8e0b1d3f5a', 'hex');
export const otherKey = (): Buffer => randomBytes(32);

export const uint53 = fc.maxSafeNat();
export const uint32 = fc.bigInt({ min: 0n, max: 0xffffffffn }).map(Number);
/** Well-formed Unicode text (lone surrogates are not plain CBOR text). */
export const text = fc.string({ unit: 'grapheme', maxLength: 12 });
/** Map keys: text other than `__proto__` (cbor-x renames that one on decode). */
const key = text.filter((k) => k !== '__proto__');

export const plainValue: fc.Arbitrary<PlainValue> = fc.letrec<{ v: PlainValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    // −0 goes out as the integer 0 (cbor-x and our writer alike), so it cannot round-trip.
    fc.double().filter((x) => !Object.is(x, -0)),
    fc.integer(),
    uint53,
    text,
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(key, tie('v'), { maxKeys: 3 }),
  ),
})).v;

export const params = fc.dictionary(key, plainValue, { maxKeys: 4 });

export const logEntry: fc.Arbitrary<LogEntry> = fc.record({
  index: uint53,
  term: uint53,
  cid: text,
  action: text,
  params,
  deadlineMs: uint53,
  proposedAt: uint53,
  targets: fc.array(fc.constantFrom(...MEMBERS), { maxLength: 5 }),
});

export const leaderId = fc.oneof(fc.constant(''), fc.constantFrom(...MEMBERS));

/** Health over the full ranges its schema allows and the compressed form represents. */
export const health: fc.Arbitrary<SwarmMessageOf<'health'>> = fc.record({
  t: fc.constant('health' as const),
  term: fc.oneof(uint53, fc.bigInt({ min: 0n, max: 2n ** 32n }).map(Number), fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER)),
  role: fc.constantFrom(...ROLES),
  leader: leaderId,
  health: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, noNaN: true })),
  mode: fc.constantFrom(...HEALTH_MODES),
  soc: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.double()),
  tmaxC: fc.oneof(fc.double({ min: -127, max: 127, noNaN: true }), fc.double()),
  digest: uint32,
  intervalMs: fc.oneof(fc.integer({ min: 1, max: 30_000 }), fc.constantFrom(1, 100, 8000, 25_500, 25_501, Number.MAX_SAFE_INTEGER)),
}, { requiredKeys: ['t', 'term', 'role', 'leader', 'health', 'mode', 'soc', 'tmaxC', 'digest'] });

export const messageOf: { [K in SwarmKind]: fc.Arbitrary<SwarmMessageOf<K>> } = {
  health,
  vote_req: fc.record({ t: fc.constant('vote_req' as const), term: uint53, lastLogIndex: uint53, lastLogTerm: uint53, pre: fc.boolean() }, { requiredKeys: ['t', 'term', 'lastLogIndex', 'lastLogTerm'] }),
  vote: fc.record({ t: fc.constant('vote' as const), term: uint53, granted: fc.boolean(), pre: fc.boolean() }, { requiredKeys: ['t', 'term', 'granted'] }),
  append: fc.record({
    t: fc.constant('append' as const),
    term: uint53,
    prevIndex: uint53,
    prevTerm: uint53,
    entries: fc.array(logEntry, { maxLength: 3 }),
    commit: uint53,
  }),
  append_ack: fc.record({ t: fc.constant('append_ack' as const), term: uint53, success: fc.boolean(), match: uint53 }),
  propose: fc.record(
    { t: fc.constant('propose' as const), term: uint53, pid: text, action: text, params, deadlineMs: uint53, targets: fc.array(fc.constantFrom(...MEMBERS), { maxLength: 5 }) },
    { requiredKeys: ['t', 'term', 'pid', 'action', 'params', 'deadlineMs'] },
  ),
  ballot: fc.record({ t: fc.constant('ballot' as const), term: uint53, pid: text, approve: fc.boolean(), reason: text }),
  report: fc.record({ t: fc.constant('report' as const), cid: text, outcome: fc.constantFrom('completed' as const, 'partial' as const, 'failed' as const), reason: text }),
  digest: fc.record({ t: fc.constant('digest' as const), window: uint53, digest: uint32 }),
  bulk: fc.record({ t: fc.constant('bulk' as const), data: fc.uint8Array({ maxLength: 512 }) }),
  ack: fc.record({ t: fc.constant('ack' as const), mids: fc.array(uint32, { maxLength: 16 }) }),
};

export const anyMessage: fc.Arbitrary<SwarmMessage> = fc.oneof(...(Object.values(messageOf) as fc.Arbitrary<SwarmMessage>[]));

/** Byte strings as plain arrays, so Buffer and Uint8Array compare equal. */
export function normal(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: Array.from(v) };
  if (Array.isArray(v)) return v.map(normal);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = normal((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/**
 * Seals arbitrary bytes as a frame with a valid tag, the way a member holding the key would
 * (K_mac = HMAC-SHA-256(K, label); tag = first 16 bytes of HMAC-SHA-256(K_mac, bytes)): to
 * reach the parsers behind the MAC with authenticated garbage.
 */
export function seal(beforeTag: Uint8Array, key: Uint8Array = KEY, members: readonly string[] = MEMBERS): Buffer {
  const macKey = createHmac('sha256', key).update(macKeyLabel(members)).digest();
  const tag = createHmac('sha256', macKey).update(beforeTag).digest().subarray(0, TAG_BYTES);
  return Buffer.concat([beforeTag, tag]);
}

/** The 11-byte QoS-0 header. */
export function header(o: { version?: number; kind: number; from: number; to?: number; counter: number; flags?: number }): Buffer {
  const h = Buffer.alloc(11);
  h[0] = o.version ?? ISL_VERSION;
  h[1] = o.kind;
  h[2] = o.from;
  h[3] = o.to ?? 0xff;
  h.writeUIntLE(o.counter, 4, 6);
  h[10] = o.flags ?? 0;
  return h;
}
