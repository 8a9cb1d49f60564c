import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody, type Message } from '../../../hal/index.js';
import type { EventRecord } from '../../../firmware-agent/recorder/index.js';
import { SeqMap } from '../../../tools/replay/seq-map.js';

const body = (m: Record<string, unknown>): Uint8Array => Uint8Array.from(encodeBody({ v: 1, ...m } as unknown as Message));
const tx = (t: number, m: Record<string, unknown>): EventRecord => ({ type: 'tx', t, b: body({ time: Math.floor(t), ...m }) });
const refOf = (b: Uint8Array): number | undefined => {
  const r = decodeBody(b);
  return r.ok ? (r.msg as { ref?: number }).ref : undefined;
};

describe('SeqMap: recorded answers reach the replay\'s own requests', () => {
  const isl = { kind: 'isl.tx', to: 'SAT-2', data: Uint8Array.of(1, 2, 3) };
  const recorded = [tx(100, { seq: 5, ...isl }), tx(100.5, { seq: 6, kind: 'wdg' }), tx(101, { seq: 7, kind: 'cmd', dev: 'heater', op: 'set', args: { on: true } })];
  const ack = (ref: number): Uint8Array => body({ kind: 'ack', seq: 40 + ref, time: 111, ref, ok: true });

  it('a faithful replay: every seq maps to itself and the bytes are untouched', () => {
    const m = new SeqMap(recorded);
    for (const e of recorded) if (e.type === 'tx') m.sent(e.b, e.t);
    const a = ack(5);
    expect(m.received(a)).toBe(a);
    expect([m.readdressed, m.unmatched]).toEqual([0, 0]);
  });

  it('two sends in the other order (timers due within a millisecond): the ack is re-addressed to the replay\'s isl.tx', () => {
    const m = new SeqMap(recorded);
    m.sent(body({ seq: 5, time: 100, kind: 'wdg' }), 100);
    m.sent(body({ seq: 6, time: 100, ...isl }), 100.2);
    m.sent(body({ seq: 7, time: 101, kind: 'cmd', dev: 'heater', op: 'set', args: { on: true } }), 101);
    expect(refOf(m.received(ack(5)))).toBe(6);
    expect(refOf(m.received(ack(7)))).toBe(7);
    expect(m.readdressed).toBe(1);
  });

  it('an answer to a request the replay did not make (it diverged) is delivered as recorded and counted', () => {
    const m = new SeqMap(recorded);
    m.sent(body({ seq: 5, time: 100, kind: 'cmd', dev: 'payload', op: 'set', args: { on: false } }), 100);
    const a = ack(5);
    expect(m.received(a)).toBe(a);
    expect(m.unmatched).toBe(1);
  });

  it('a same-content send far from the recorded one in time is not taken for it', () => {
    const m = new SeqMap(recorded);
    m.sent(body({ seq: 9, time: 5000, ...isl }), 5000);
    expect(refOf(m.received(ack(5)))).toBe(5);
    expect(m.unmatched).toBe(1);
  });
});
