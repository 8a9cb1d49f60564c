import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, type Clock, type FramingDropReason, type Link, type LinkState } from '../../../hal/index.js';

/**
 * One contract for every `Link` implementation (the hono / serialport idea): the memory link
 * on virtual time and the serial link on a socat pty pair both run exactly these tests.
 */
export interface LinkPair {
  /** Two ends of one line, not yet opened. */
  a: Link;
  b: Link;
  clock: Clock;
  /** Let in-flight bytes be delivered (virtual time advanced, or real time waited). Used only
   *  before asserting that something did NOT happen. */
  settle(): Promise<void>;
  /** Let time pass until `cond` holds; throws (naming `what`) when it never does. */
  until(cond: () => boolean, what: string): Promise<void>;
  /** Raw bytes (not framed by us) put on the line so that they arrive at `b`. */
  injectRaw(bytes: Uint8Array): Promise<void>;
  cleanup(): Promise<void>;
}

/** Bodies that stress the framing: every special byte, the smallest body, a big one. */
export function awkwardBodies(): Uint8Array[] {
  const big = new Uint8Array(4000);
  for (let i = 0; i < big.length; i++) big[i] = i % 7 === 0 ? 0xc0 : i % 11 === 0 ? 0xdb : (i * 31) & 0xff;
  return [
    Uint8Array.of(0xc0),
    Uint8Array.of(0xdb),
    Uint8Array.of(0xc0, 0xdb, 0xdc, 0xdd, 0xdb, 0xc0),
    Uint8Array.of(0xdb, 0xdc), // looks like an escaped END once escaped itself
    Uint8Array.of(0x00),
    new TextEncoder().encode('hello, hardware'),
    big,
  ];
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function linkContract(name: string, create: () => Promise<LinkPair>): void {
  describe(`Link contract: ${name}`, () => {
    let pair: LinkPair | undefined;

    async function up(): Promise<LinkPair> {
      pair = await create();
      await pair.a.open();
      await pair.b.open();
      return pair;
    }

    afterEach(async () => {
      await pair?.cleanup();
      pair = undefined;
    });

    it('open() takes a link from closed to up and says so with a state event', async () => {
      const p = (pair = await create());
      expect(p.a.state).toBe('closed');
      const seen: [LinkState, LinkState][] = [];
      p.a.on('state', (s, prev) => seen.push([s, prev]));
      await p.a.open();
      expect(p.a.state).toBe('up');
      expect(seen).toEqual([['opening', 'closed'], ['up', 'opening']]);
      await p.a.open(); // idempotent while up
      expect(seen).toHaveLength(2);
    });

    it('delivers bodies intact and in order, including 0xC0/0xDB bytes, a 1-byte and a 4000-byte body', async () => {
      const p = await up();
      const bodies = awkwardBodies();
      const got: Uint8Array[] = [];
      p.b.on('frame', (body) => got.push(body));
      for (const body of bodies) expect(p.a.send(body)).toBe(true);
      await p.until(() => got.length >= bodies.length, `${bodies.length} frames at b`);
      await p.settle();
      expect(got.map(hex)).toEqual(bodies.map(hex));
      expect(p.b.stats.drops).toEqual({ escape: 0, crc: 0, oversize: 0 });
    });

    it('keeps order over many back-to-back frames, both ways at once', async () => {
      const p = await up();
      const n = 60;
      const atA: number[] = [];
      const atB: number[] = [];
      p.a.on('frame', (body) => atA.push(body[0]! | (body[1]! << 8)));
      p.b.on('frame', (body) => atB.push(body[0]! | (body[1]! << 8)));
      for (let i = 0; i < n; i++) {
        const body = new Uint8Array(2 + ((i * 37) % 300)).fill(0xc0);
        body[0] = i & 0xff;
        body[1] = i >> 8;
        p.a.send(body);
        p.b.send(body);
      }
      await p.until(() => atA.length === n && atB.length === n, `${n} frames each way`);
      const expected = Array.from({ length: n }, (_, i) => i);
      expect(atB).toEqual(expected);
      expect(atA).toEqual(expected);
    });

    it('counts frames and bytes both ways; bytes are the framed size on the wire', async () => {
      const p = await up();
      const aToB = awkwardBodies();
      const bToA = [Uint8Array.of(1, 2, 3), Uint8Array.of(0xc0, 0xc0)];
      const wire = (bs: Uint8Array[]): number => bs.reduce((n, b) => n + encodeFrame(b).length, 0);
      let inB = 0;
      let inA = 0;
      p.b.on('frame', () => inB++);
      p.a.on('frame', () => inA++);
      for (const body of aToB) p.a.send(body);
      for (const body of bToA) p.b.send(body);
      await p.until(() => inB === aToB.length && inA === bToA.length, 'all frames');
      expect(p.a.stats).toMatchObject({ framesOut: aToB.length, bytesOut: wire(aToB), framesIn: bToA.length, bytesIn: wire(bToA) });
      expect(p.b.stats).toMatchObject({ framesOut: bToA.length, bytesOut: wire(bToA), framesIn: aToB.length, bytesIn: wire(aToB) });
    });

    it('refuses to send when not up, and counts the refusal', async () => {
      const p = (pair = await create());
      expect(p.a.send(Uint8Array.of(1))).toBe(false);
      expect(p.a.stats).toMatchObject({ sendRefused: 1, framesOut: 0, bytesOut: 0 });
      await p.a.open();
      await p.b.open();
      await p.a.close();
      expect(p.a.send(Uint8Array.of(2))).toBe(false);
      expect(p.a.stats.sendRefused).toBe(2);
      expect(p.a.stats.framesOut).toBe(0);
    });

    it('close() goes to closed with a state event, and a closed end receives nothing more', async () => {
      const p = await up();
      const got: Uint8Array[] = [];
      p.b.on('frame', (body) => got.push(body));
      p.a.send(Uint8Array.of(1));
      await p.until(() => got.length === 1, 'first frame');
      const seen: LinkState[] = [];
      p.b.on('state', (s) => seen.push(s));
      await p.b.close();
      expect(p.b.state).toBe('closed');
      expect(seen).toEqual(['closed']);
      expect(p.a.send(Uint8Array.of(2))).toBe(true); // a is still up; its bytes go nowhere
      await p.settle();
      expect(got).toHaveLength(1);
      expect(p.b.stats.framesIn).toBe(1);
      await p.b.close(); // idempotent
      expect(seen).toEqual(['closed']);
    });

    it('counts framing drops by reason for garbage on the line, and the next frame still arrives', async () => {
      const p = await up();
      const drops: FramingDropReason[] = [];
      const got: Uint8Array[] = [];
      p.b.on('drop', (reason) => drops.push(reason));
      p.b.on('frame', (body) => got.push(body));
      const oversize = new Uint8Array(5000).fill(0x01);
      await p.injectRaw(Buffer.concat([
        Buffer.from([0xc0, 1, 2, 0xdb, 0x55, 0xc0]), // bad escape
        Buffer.from([0xc0, 9, 9, 9, 9, 9, 0xc0]), // CRC does not match
        Buffer.from([0xc0]), oversize, Buffer.from([0xc0]), // longer than 4096 without an END
      ]));
      await p.until(() => drops.length === 3, 'three drops');
      expect(drops).toEqual(['escape', 'crc', 'oversize']);
      expect(p.b.stats.drops).toEqual({ escape: 1, crc: 1, oversize: 1 });
      expect(got).toHaveLength(0);
      p.a.send(Uint8Array.of(0xc0, 0x42));
      await p.until(() => got.length === 1, 'the frame after the garbage');
      expect(hex(got[0]!)).toBe('c042');
      expect(p.b.state).toBe('up');
    });
  });
}
