/**
 * The ISL envelope: what one swarm message looks like on the air (ISL-FORMAT.md, byte by
 * byte). Every frame carries a 16-byte truncated HMAC-SHA-256 tag over everything before it;
 * a receiver checks size, version and sender index (the fixed header), then the tag in
 * constant time, and only then looks at the rest: destination, replay window, body. Nothing
 * a peer sends can make `decode` throw; every refusal is counted by reason.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { encodePlain, decodePlain } from '../../hal/protocol/codec.js';
import { checkPlainCbor } from '../../hal/protocol/plain-cbor.js';
import { swarmMessage, type LogEntry, type SwarmKind, type SwarmMessage, type SwarmMessageOf } from './messages.js';
import { BROADCAST, type NodeId, type Qos } from './types.js';
import { decodeHealthBody, encodeHealthBody } from './health-codec.js';
import { KEY_BYTES, keyId } from './keys.js';
import { COUNTER_MAX, ReplayFilter } from './replay.js';

/**
 * 3: the health body carries the sender's broadcast interval (§5). 2: CBOR bodies are positional
 * arrays (§6); version 1 had CBOR maps with field names.
 */
export const ISL_VERSION = 3;
export const TAG_BYTES = 16;
/** Header without / with the message id (QoS 0 / QoS 1–2). */
export const HEADER_BYTES = 11;
export const HEADER_BYTES_MID = 15;
/** Destination byte for a broadcast. */
export const BROADCAST_INDEX = 0xff;
/** Default and smallest allowed `maxBytes`. */
export const DEFAULT_MAX_BYTES = 1024;
export const MIN_MAX_BYTES = 64;
/** Most members an index byte can name (255 is the broadcast destination). */
export const MAX_MEMBERS = 255;

/** Kind codes on the air. Stable: a code is never reused; 0 is reserved. */
export const KIND_CODES = {
  health: 1,
  vote_req: 2,
  vote: 3,
  append: 4,
  append_ack: 5,
  propose: 6,
  ballot: 7,
  report: 8,
  digest: 9,
  bulk: 10,
  ack: 11,
} as const satisfies Record<SwarmKind, number>;
const KIND_BY_CODE: (SwarmKind | undefined)[] = [];
for (const [k, c] of Object.entries(KIND_CODES)) KIND_BY_CODE[c] = k as SwarmKind;

export const ISL_DROP_REASONS = ['mac', 'replay', 'old', 'malformed', 'oversize', 'unknown_sender', 'version', 'misdirected'] as const;
export type IslDropReason = (typeof ISL_DROP_REASONS)[number];
export type IslDrops = Record<IslDropReason, number>;

export type IslErrorCode = 'E_ISL_CONFIG' | 'E_ISL_ENCODE' | 'E_ISL_OVERSIZE';

/**
 * `E_ISL_CONFIG`: `createIslCodec` options are invalid. `E_ISL_ENCODE`: an outgoing message
 * or its meta (counter, qos, mid, to) is invalid or cannot be represented; nothing was sent.
 * `E_ISL_OVERSIZE`: the frame would exceed `maxBytes`; nothing was sent. Messages never
 * contain key material.
 */
export class IslError extends Error {
  readonly code: IslErrorCode;
  readonly detail: Record<string, unknown> | undefined;
  constructor(code: IslErrorCode, message: string, detail?: Record<string, unknown>) {
    super(message);
    this.name = 'IslError';
    this.code = code;
    this.detail = detail;
  }
}

export function isIslError(e: unknown, code?: IslErrorCode): e is IslError {
  return e instanceof IslError && (code === undefined || e.code === code);
}

export interface IslCodecOptions {
  /** The constellation key, 32 bytes (`loadConstellationKey`). Copied; the caller may wipe it. */
  key: Uint8Array;
  /** Member ids in the constellation's order: the index of each is its id on the air. The same list, in the same order, on every member. */
  members: readonly NodeId[];
  /** This node's id (a member). */
  self: NodeId;
  /** Largest frame sent or accepted, bytes. Default 1024, at least 64. */
  maxBytes?: number;
}

export interface EncodeMeta {
  /** This node's send counter (`SendCounter.next()`): strictly increasing, never reused, ≤ 2^48−1. */
  counter: number;
  qos: Qos;
  /** Message id, uint32: required for QoS 1/2; not sent for QoS 0 (ignored, may be 0). */
  mid?: number;
  /** A member other than self, or '*' (default). */
  to?: NodeId | typeof BROADCAST;
}

/** `mid` is 0 for QoS 0 (not on the air). */
export type IslDecoded = { ok: true; from: NodeId; to: NodeId | typeof BROADCAST; msg: SwarmMessage; counter: number; qos: Qos; mid: number };
export type IslDecodeResult = IslDecoded | { ok: false; reason: IslDropReason };

export interface IslCodec {
  /** Message → frame (a fresh buffer). Throws IslError (`E_ISL_ENCODE`, `E_ISL_OVERSIZE`). */
  encode(msg: SwarmMessage, meta: EncodeMeta): Uint8Array;
  /** Frame → message from an authenticated, fresh sender, or a counted drop reason. Never throws. */
  decode(bytes: Uint8Array): IslDecodeResult;
  /** Drops so far, by reason (a live view: read, do not write). */
  readonly drops: Readonly<IslDrops>;
  /** Frames decoded and delivered. */
  readonly accepted: number;
  /** The per-sender replay windows (persist `snapshot()`, `restore()` after a reboot). */
  readonly replay: ReplayFilter;
  readonly members: readonly NodeId[];
  readonly self: NodeId;
  readonly selfIndex: number;
  readonly maxBytes: number;
  /** Fingerprint of the constellation key (keys.ts `keyId`), for logs. */
  readonly keyId: string;
  /** Fingerprint of the member list (first 4 bytes of SHA-256 over the MAC key's label), for logs: members that disagree on it cannot hear each other. */
  readonly configId: string;
}

export function zeroIslDrops(): IslDrops {
  return { mac: 0, replay: 0, old: 0, malformed: 0, oversize: 0, unknown_sender: 0, version: 0, misdirected: 0 };
}

const MAC_LABEL = 'constellation-isl-mac-v1';

/**
 * The label the MAC key is derived under: version label, then each member id, NUL-separated.
 * Binding the member list into the key means two nodes that disagree on the list (and would
 * attribute frames to the wrong sender) cannot authenticate each other's frames at all.
 */
export function macKeyLabel(members: readonly NodeId[]): Buffer {
  return Buffer.from([MAC_LABEL, ...members].join('\0'), 'utf8');
}

function configError(message: string): IslError {
  return new IslError('E_ISL_CONFIG', message);
}

export function createIslCodec(opts: IslCodecOptions): IslCodec {
  const { key, self } = opts;
  const members = Object.freeze([...(opts.members ?? [])]);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) throw configError(`key must be ${KEY_BYTES} bytes`);
  if (members.length < 1 || members.length > MAX_MEMBERS) throw configError(`members must list 1..${MAX_MEMBERS} ids, got ${members.length}`);
  const indexOf = new Map<NodeId, number>();
  for (const [i, m] of members.entries()) {
    if (typeof m !== 'string' || m === '' || m === BROADCAST || m.includes('\0')) throw configError(`members[${i}] must be a non-empty id other than '*' without NUL`);
    if (indexOf.has(m)) throw configError(`members lists ${m} twice`);
    indexOf.set(m, i);
  }
  const selfIndex = indexOf.get(self);
  if (selfIndex === undefined) throw configError(`self ${String(self)} is not in members`);
  if (!Number.isInteger(maxBytes) || maxBytes < MIN_MAX_BYTES) throw configError(`maxBytes must be an integer >= ${MIN_MAX_BYTES}, got ${maxBytes}`);

  const label = macKeyLabel(members);
  // K_mac = HMAC-SHA-256(K, label): derived once; the constellation key itself is not kept.
  const macKey: KeyObject = createSecretKey(createHmac('sha256', key).update(label).digest());
  const keyFingerprint = keyId(key);
  // Fingerprint of the member list (no key involved).
  const configId = keyId(label);

  const replay = new ReplayFilter(members.length);
  const drops = zeroIslDrops();
  let accepted = 0;
  const memberAt = (i: number): string | undefined => members[i];
  const leaderIndex = (id: string): number | undefined => indexOf.get(id);

  const tagOf = (frame: Uint8Array, end: number): Buffer => createHmac('sha256', macKey).update(frame.subarray(0, end)).digest();

  function encodeError(why: string, detail?: Record<string, unknown>): IslError {
    return new IslError('E_ISL_ENCODE', `refusing to send: ${why}`, detail);
  }

  function encode(msg: SwarmMessage, meta: EncodeMeta): Uint8Array {
    const { counter, qos } = meta ?? ({} as EncodeMeta);
    if (!Number.isInteger(counter) || counter < 0 || counter > COUNTER_MAX) throw encodeError(`counter must be an integer in 0..2^48-1, got ${String(counter)}`);
    if (qos !== 0 && qos !== 1 && qos !== 2) throw encodeError(`qos must be 0, 1 or 2, got ${String(qos)}`);
    const mid = meta.mid;
    if (qos !== 0 && (!Number.isInteger(mid) || mid! < 0 || mid! > 0xffffffff)) throw encodeError(`QoS ${qos} needs a uint32 mid, got ${String(mid)}`);
    const to = meta.to ?? BROADCAST;
    let dest = BROADCAST_INDEX;
    if (to !== BROADCAST) {
      const d = indexOf.get(to);
      if (d === undefined) throw encodeError(`destination ${String(to)} is not a member`);
      if (d === selfIndex) throw encodeError('destination is this node');
      dest = d;
    }
    const why = swarmMessage.check(msg);
    if (why !== undefined) throw encodeError(`${String((msg as { t?: unknown } | null)?.t)} breaks its schema: ${why}`, { kind: (msg as { t?: unknown } | null)?.t });
    const kind = msg.t;

    let body: Uint8Array;
    if (kind === 'health') {
      const h = encodeHealthBody(msg, leaderIndex);
      if (!h.ok) throw encodeError(`health cannot be compressed: ${h.why}`, { kind });
      body = h.body;
    } else {
      try {
        body = encodePlain(bodyShape(msg as BodyMessage));
      } catch (err) {
        // cbor-x on what the schema lets through in `params` but CBOR cannot carry (a bigint
        // past 64 bits, a cycle): refused like any other unsendable message.
        throw encodeError(`${kind} cannot be encoded: ${(err as Error).message}`, { kind });
      }
      const plain = checkPlainCbor(body);
      if (!plain.ok) throw encodeError(`${kind} is not plain CBOR: ${plain.why}`, { kind });
    }

    const head = qos === 0 ? HEADER_BYTES : HEADER_BYTES_MID;
    const n = head + body.length + TAG_BYTES;
    if (n > maxBytes) throw new IslError('E_ISL_OVERSIZE', `refusing to send ${kind}: frame ${n} bytes > maxBytes ${maxBytes}`, { kind, bytes: n, maxBytes });
    const frame = Buffer.allocUnsafe(n);
    frame[0] = ISL_VERSION;
    frame[1] = KIND_CODES[kind];
    frame[2] = selfIndex!;
    frame[3] = dest;
    frame.writeUIntLE(counter, 4, 6);
    frame[10] = qos;
    if (qos !== 0) frame.writeUInt32LE(mid!, 11);
    frame.set(body, head);
    tagOf(frame, n - TAG_BYTES).copy(frame, n - TAG_BYTES, 0, TAG_BYTES);
    return frame;
  }

  function drop(reason: IslDropReason): IslDecodeResult {
    drops[reason]++;
    return { ok: false, reason };
  }

  function decode(bytes: Uint8Array): IslDecodeResult {
    if (!(bytes instanceof Uint8Array)) return drop('malformed');
    const n = bytes.length;
    // The fixed header, unauthenticated: only enough to route the drop.
    if (n > maxBytes) return drop('oversize');
    if (n < HEADER_BYTES + 1 + TAG_BYTES) return drop('malformed');
    if (bytes[0] !== ISL_VERSION) return drop('version');
    const from = bytes[2]!;
    if (from >= members.length) return drop('unknown_sender');

    // Authenticate before anything else is read.
    const macEnd = n - TAG_BYTES;
    let good: boolean;
    try {
      good = timingSafeEqual(tagOf(bytes, macEnd).subarray(0, TAG_BYTES), bytes.subarray(macEnd));
    } catch {
      return drop('malformed');
    }
    if (!good) return drop('mac');

    // Authenticated from here: a member holding the key sent exactly these bytes.
    const dest = bytes[3]!;
    if (from === selfIndex || (dest !== BROADCAST_INDEX && dest !== selfIndex)) return drop('misdirected');
    const counter = bytes[4]! + bytes[5]! * 0x100 + bytes[6]! * 0x10000 + bytes[7]! * 0x1000000 + bytes[8]! * 0x100000000 + bytes[9]! * 0x10000000000;
    const verdict = replay.check(from, counter);
    if (verdict !== 'ok') return drop(verdict);
    // Every authenticated, fresh frame for this node uses up its counter, even if its body
    // turns out malformed: a replay of it is then a replay, not a second malformed.
    replay.accept(from, counter);

    const flags = bytes[10]!;
    const qos = flags & 3;
    if (flags > 2) return drop('malformed');
    const kind = KIND_BY_CODE[bytes[1]!];
    if (kind === undefined) return drop('malformed');
    const head = qos === 0 ? HEADER_BYTES : HEADER_BYTES_MID;
    if (head >= macEnd) return drop('malformed');
    const mid = qos === 0 ? 0 : (bytes[11]! | (bytes[12]! << 8) | (bytes[13]! << 16) | (bytes[14]! << 24)) >>> 0;

    let msg: SwarmMessage | undefined;
    if (kind === 'health') {
      msg = decodeHealthBody(bytes.subarray(head, macEnd), memberAt);
    } else {
      msg = decodeCborBody(Uint8Array.prototype.slice.call(bytes, head, macEnd), kind as BodyKind);
    }
    if (msg === undefined) return drop('malformed');
    accepted++;
    return { ok: true, from: members[from]!, to: dest === BROADCAST_INDEX ? BROADCAST : members[dest]!, msg, counter, qos: qos as Qos, mid };
  }

  return {
    encode,
    decode,
    drops,
    get accepted() {
      return accepted;
    },
    replay,
    members,
    self,
    selfIndex,
    maxBytes,
    keyId: keyFingerprint,
    configId,
  };
}

type BodyKind = Exclude<SwarmKind, 'health'>;
type BodyMessage = Exclude<SwarmMessage, { t: 'health' }>;

/**
 * The order of each kind's fields on the air (ISL-FORMAT.md §6): a body is a CBOR array of
 * the required fields in this order, then the optional ones (absent trailing ones left out, an
 * absent one before a present one written as null). Positional rather than a map with field
 * names: on a 9,600 bit/s link the names were over half of every Raft message (a vote request
 * of 61 bytes is 34 without them, ~23 ms less air on each hop of a failover). The compiler
 * checks each list against its schema in `messages.ts` (below); the round-trip tests check the
 * values.
 */
export const BODY_FIELDS = {
  vote_req: [['term', 'lastLogIndex', 'lastLogTerm'], ['pre']],
  vote: [['term', 'granted'], ['pre']],
  append: [['term', 'prevIndex', 'prevTerm', 'entries', 'commit'], []],
  append_ack: [['term', 'success', 'match'], []],
  propose: [['term', 'pid', 'action', 'params', 'deadlineMs'], ['targets']],
  ballot: [['term', 'pid', 'approve', 'reason'], []],
  report: [['cid', 'outcome', 'reason'], []],
  digest: [['window', 'digest'], []],
  bulk: [['data'], []],
  ack: [['mids'], []],
} as const satisfies { readonly [K in BodyKind]: readonly [required: readonly (keyof SwarmMessageOf<K>)[], optional: readonly (keyof SwarmMessageOf<K>)[]] };

/** A log entry inside an `append`, positional too (all fields required). */
export const LOG_ENTRY_FIELDS = ['index', 'term', 'cid', 'action', 'params', 'deadlineMs', 'proposedAt', 'targets'] as const satisfies readonly (keyof LogEntry)[];

// The lists repeat the schemas of messages.ts, so the compiler checks they agree: every field
// of a kind is listed, and every required field among the required ones (`satisfies` above
// checks that each listed name is a field). A field added to a schema and not here fails to build.
type RequiredKeys<T> = { [P in keyof T]-?: Record<never, never> extends Pick<T, P> ? never : P }[keyof T];
type Unlisted = {
  [K in BodyKind]:
    | Exclude<keyof SwarmMessageOf<K>, 't' | (typeof BODY_FIELDS)[K][0][number] | (typeof BODY_FIELDS)[K][1][number]>
    | Exclude<RequiredKeys<SwarmMessageOf<K>>, 't' | (typeof BODY_FIELDS)[K][0][number]>;
}[BodyKind] | Exclude<keyof LogEntry, (typeof LOG_ENTRY_FIELDS)[number]>;
const everyFieldListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyFieldListed;

function toArray(m: Record<string, unknown>, required: readonly string[], optional: readonly string[]): unknown[] {
  const out = required.map((k) => m[k]);
  let last = -1;
  for (let i = 0; i < optional.length; i++) if (m[optional[i]!] !== undefined) last = i;
  for (let i = 0; i <= last; i++) out.push(m[optional[i]!] ?? null);
  return out;
}

/** Array → map, or undefined when its length does not fit the field list (the schema checks the values). */
function fromArray(a: unknown, required: readonly string[], optional: readonly string[]): Record<string, unknown> | undefined {
  if (!Array.isArray(a) || a.length < required.length || a.length > required.length + optional.length) return undefined;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < required.length; i++) out[required[i]!] = a[i];
  for (let i = required.length; i < a.length; i++) if (a[i] !== null) out[optional[i - required.length]!] = a[i];
  return out;
}

/** The CBOR body of a non-health message: its fields in `BODY_FIELDS` order (the kind byte names it). */
function bodyShape(msg: BodyMessage): unknown[] {
  const [required, optional] = BODY_FIELDS[msg.t];
  const out = toArray(msg as Record<string, unknown>, required, optional);
  if (msg.t === 'append') out[3] = msg.entries.map((e) => toArray(e as Record<string, unknown>, LOG_ENTRY_FIELDS, []));
  return out;
}

/** Plain-CBOR body (a private copy) → message of `kind`, or undefined. Never throws. */
function decodeCborBody(body: Uint8Array, kind: BodyKind): SwarmMessage | undefined {
  let value: unknown;
  try {
    value = decodePlain(body);
  } catch {
    return undefined;
  }
  const [required, optional] = BODY_FIELDS[kind];
  const m = fromArray(value, required, optional);
  if (!m) return undefined;
  if (kind === 'append') {
    if (!Array.isArray(m['entries'])) return undefined;
    const entries: unknown[] = [];
    for (const e of m['entries'] as unknown[]) {
      const entry = fromArray(e, LOG_ENTRY_FIELDS, []);
      if (!entry) return undefined;
      entries.push(entry);
    }
    m['entries'] = entries;
  }
  m['t'] = kind;
  return swarmMessage.check(m) === undefined ? (m as SwarmMessage) : undefined;
}
