import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FrameReceiver, validateBody, type Message } from '../../hal/protocol/index.js';
import { fromJson, loadVectors, LOCAL_VECTORS, SHARED_VECTORS, toJson } from './vectors.js';

const vectors = loadVectors();

/** Feed a wire in the given chunk sizes; collect bodies and drops. */
function receive(wire: Buffer, chunk: (i: number) => number) {
  const bodies: Message[] = [];
  const rx = new FrameReceiver({ onMessage: (m) => bodies.push(m) });
  for (let i = 0, k = 0; i < wire.length; k++) {
    const n = Math.max(1, chunk(k));
    rx.push(wire.subarray(i, i + n));
    i += n;
  }
  return { bodies, drops: rx.drops };
}

describe('shared test vectors (PROTOCOL.md v1)', () => {
  it('our copy of the vectors matches the contract beside the repository', () => {
    if (!existsSync(SHARED_VECTORS)) return; // a clone without shared/ runs our copy
    expect(readFileSync(LOCAL_VECTORS, 'utf8')).toBe(readFileSync(SHARED_VECTORS, 'utf8'));
  });

  describe.each(vectors.framing.map((c) => [c.name, c] as const))('framing: %s', (_name, c) => {
    const wire = Buffer.from(c.wire, 'hex');
    const chunkings: [string, (i: number) => number][] = [
      ['whole', () => wire.length],
      ['byte by byte', () => 1],
      ['odd chunks', (i) => [3, 7, 1, 64, 2][i % 5]!],
    ];
    it.each(chunkings)('delivers the bodies and counts the drops (%s)', (_how, chunk) => {
      const { bodies, drops } = receive(wire, chunk);
      expect(bodies.map(toJson)).toEqual(c.bodies);
      for (const [reason, n] of Object.entries(c.drops)) expect(drops[reason as keyof typeof drops], reason).toBe(n);
      expect(drops.schema).toBe(0);
    });
  });

  it.each(vectors.messages.map((c) => [c.name, c] as const))('message: %s', (_name, c) => {
    const r = validateBody(fromJson(c.body));
    expect(r.ok ? 'ok' : r.code).toBe(c.expect);
  });
});
