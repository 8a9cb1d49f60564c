/**
 * Every message kind of PROTOCOL.md §3, declared once. From these declarations come both
 * the TypeScript types used across the repository and the runtime validators; no other
 * folder re-declares a wire shape.
 */
import {
  arrayOf, bool, byField, bytes, literal, mapOf, nonNegative, num, plain, refine, struct, text, uint32, uint53,
  type Infer, type Schema,
} from './schema.js';

export const PROTOCOL_VERSION = 1;

/** Fields every body carries (PROTOCOL.md §2). */
export const commonFields = { v: literal(PROTOCOL_VERSION), kind: text, seq: uint32, time: uint53 };

/** A device as listed in the hardware's `hello` (PROTOCOL.md §4). */
export const deviceInfo = struct({
  id: text,
  type: text,
  rate_hz: nonNegative,
  fields: mapOf(text),
  ops: arrayOf(text),
});
export type DeviceInfo = Infer<typeof deviceInfo>;

/** Device readings and command arguments: a map of text keys to plain CBOR values. */
export const valueMap = mapOf(plain);
export type ValueMap = Infer<typeof valueMap>;

const body = <R extends Record<string, Schema<unknown>>, O extends Record<string, Schema<unknown>> = Record<never, never>>(
  required: R,
  optional?: O,
) => struct({ ...commonFields, ...required }, optional);

/** Per kind: the schema of the whole body. */
export const KINDS = {
  hello: byField('role', {
    fc: body({ kind: literal('hello'), role: literal('fc'), sw: text }),
    hw: body({
      kind: literal('hello'),
      role: literal('hw'),
      sat: text,
      hw: text,
      devices: arrayOf(deviceInfo),
      watchdog_ms: uint53,
    }),
  }),
  sample: body({ kind: literal('sample'), dev: text, at: uint53, val: valueMap }, { ref: uint32 }),
  read: body({ kind: literal('read'), dev: text }),
  cmd: body({ kind: literal('cmd'), dev: text, op: text, args: valueMap }),
  ack: refine(body({ kind: literal('ack'), ref: uint32, ok: bool }, { code: text, msg: text }), (m) =>
    m.ok || (m.code !== undefined && m.msg !== undefined) ? undefined : 'ack with ok false needs code and msg',
  ),
  'isl.tx': body({ kind: literal('isl.tx'), to: text, data: bytes }),
  'isl.rx': body({ kind: literal('isl.rx'), from: text, data: bytes, rssi: num }),
  wdg: body({ kind: literal('wdg') }),
  event: body({ kind: literal('event'), code: text, msg: text }),
  error: body({ kind: literal('error'), code: text, msg: text }, { ref: uint32 }),
} as const;

export type Kind = keyof typeof KINDS;
export type MessageOf<K extends Kind> = Infer<(typeof KINDS)[K]>;
export type Message = { [K in Kind]: MessageOf<K> }[Kind];
export type HelloFc = Extract<MessageOf<'hello'>, { role: 'fc' }>;
export type HelloHw = Extract<MessageOf<'hello'>, { role: 'hw' }>;
export type Sample = MessageOf<'sample'>;
export type Ack = MessageOf<'ack'>;
export type IslRx = MessageOf<'isl.rx'>;
export type HalEvent = MessageOf<'event'>;
export type ErrorMsg = MessageOf<'error'>;

/** A message as a sender writes it: the endpoint fills in `v`, `seq` and `time`. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type Outgoing = DistributiveOmit<Message, 'v' | 'seq' | 'time'>;

export const KIND_NAMES = Object.keys(KINDS) as Kind[];
export const isKind = (k: unknown): k is Kind => typeof k === 'string' && Object.hasOwn(KINDS, k);

/** Refusal codes carried in `error` frames and `ack ok:false` (PROTOCOL.md §3). */
export const WIRE_ERROR_CODES = ['version', 'kind', 'schema', 'device', 'op', 'busy'] as const;
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

/** `event` codes (PROTOCOL.md §3). */
export const EVENT_CODES = ['reset', 'brownout', 'fault', 'link'] as const;
