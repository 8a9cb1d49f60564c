import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isKeyFileError, KeyFileError, keyId, loadConstellationKey, parseConstellationKey } from '../../../../firmware-agent/swarm/keys.js';

const dir = mkdtempSync(join(tmpdir(), 'swarm-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEX = '00112233445566778899aabbccddeeff0123456789abcdefFEDCBA9876543210';
const KEY = Buffer.from(HEX, 'hex');

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

function refusal(f: () => unknown): KeyFileError {
  try {
    f();
  } catch (e) {
    if (isKeyFileError(e)) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('loadConstellationKey', () => {
  it('reads 64 hex digits (either case) with or without a trailing newline, or 32 raw bytes', () => {
    expect(loadConstellationKey(file('a.key', HEX))).toEqual(KEY);
    expect(loadConstellationKey(file('b.key', `${HEX}\n`))).toEqual(KEY);
    expect(loadConstellationKey(file('c.key', `${HEX.toUpperCase()}\r\n`))).toEqual(KEY);
    expect(loadConstellationKey(file('d.key', KEY))).toEqual(KEY);
    // Raw bytes that happen to end in a newline are still 32 raw bytes.
    const raw = Buffer.from(KEY);
    raw[31] = 0x0a;
    expect(loadConstellationKey(file('e.key', raw))).toEqual(raw);
  });

  it('E_KEY_FILE with a stable reason: missing, unreadable, length, hex, weak', () => {
    const cases: [string, string][] = [
      [join(dir, 'nope.key'), 'missing'],
      [dir, 'unreadable'],
      [file('short.key', HEX.slice(0, 62)), 'length'],
      [file('long.key', `${HEX}00`), 'length'],
      [file('twonl.key', `${HEX}\n\n`), 'length'],
      [file('space.key', ` ${HEX}`), 'length'],
      [file('empty.key', ''), 'length'],
      [file('g.key', `${HEX.slice(0, 63)}g\n`), 'hex'],
      [file('0x.key', `0x${HEX.slice(2)}`), 'hex'],
      [file('zero.key', '0'.repeat(64)), 'weak'],
      [file('zeroraw.key', new Uint8Array(32)), 'weak'],
    ];
    for (const [path, why] of cases) {
      const e = refusal(() => loadConstellationKey(path));
      expect(e.code).toBe('E_KEY_FILE');
      expect(e.detail.why).toBe(why);
      expect(e.detail.path).toBe(path);
      expect(e.message).toContain(path);
    }
  });

  it('a file the process may not read is unreadable (skipped as root)', () => {
    if (process.getuid?.() === 0) return;
    const p = file('locked.key', HEX);
    chmodSync(p, 0o000);
    expect(refusal(() => loadConstellationKey(p)).detail.why).toBe('unreadable');
  });

  it('errors never carry key material', () => {
    const secret = 'c0ffee'.repeat(10) + 'zz11';
    const e = refusal(() => loadConstellationKey(file('leak.key', secret)));
    const said = JSON.stringify({ m: e.message, d: e.detail, s: String(e) });
    expect(said).not.toMatch(/c0ffee|zz/);
  });

  it('parseConstellationKey returns a copy of raw input', () => {
    const raw = Buffer.from(KEY);
    const k = parseConstellationKey(raw);
    raw.fill(0);
    expect(k).toEqual(KEY);
  });
});

describe('keyId', () => {
  it('is the first 4 bytes of SHA-256, as 8 hex digits', () => {
    // SHA-256 of 32 zero bytes: 66687aad f862bd77 …
    expect(keyId(new Uint8Array(32))).toBe('66687aad');
    expect(keyId(KEY)).toMatch(/^[0-9a-f]{8}$/);
    expect(keyId(KEY)).not.toBe(keyId(Buffer.from(HEX.replace('00', '01'), 'hex')));
  });
});
