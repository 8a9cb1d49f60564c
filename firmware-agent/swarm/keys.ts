/**
 * The constellation key: 32 random bytes shared by every member, from a key file named in the
 * config (never in the repository). The ISL codec derives its MAC key from it
 * (ISL-FORMAT.md §3).
 *
 * Key material is never logged, never put in an error message or detail, and the file's
 * contents are wiped from memory once parsed. `keyId` is what logs show instead.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const KEY_BYTES = 32;

/** Why a key file was refused (`detail.why` of `E_KEY_FILE`). */
export type KeyFileProblem = 'missing' | 'unreadable' | 'length' | 'hex' | 'weak';

/**
 * `E_KEY_FILE`: the constellation key file is missing, unreadable, of the wrong length, not
 * hex, or all zero. The message and detail name the path and the problem, never the contents.
 */
export class KeyFileError extends Error {
  readonly code = 'E_KEY_FILE';
  readonly detail: { path: string; why: KeyFileProblem; bytes?: number };
  constructor(path: string, why: KeyFileProblem, message: string, bytes?: number, options?: { cause?: unknown }) {
    super(`constellation key file ${path}: ${message}`, options);
    this.name = 'KeyFileError';
    this.detail = bytes === undefined ? { path, why } : { path, why, bytes };
  }
}

export function isKeyFileError(e: unknown): e is KeyFileError {
  return e instanceof KeyFileError;
}

const HEX_CHARS = KEY_BYTES * 2;

/** Value of one hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Key file contents → key. Accepted forms: exactly 32 raw bytes; or 64 hex digits (either
 * case) with at most one trailing `\n` or `\r\n`. Nothing else: no spaces, no comments, no
 * `0x`. An all-zero key is refused (`weak`): it is what an unfilled template holds.
 * `path` only names the file in errors.
 */
export function parseConstellationKey(content: Uint8Array, path = '<key>'): Buffer {
  const n = content.length;
  if (n === KEY_BYTES) return checkWeak(Buffer.from(content), path);
  let end = n;
  if (end > 0 && content[end - 1] === 0x0a) {
    end--;
    if (end > 0 && content[end - 1] === 0x0d) end--;
  }
  if (end !== HEX_CHARS) {
    throw new KeyFileError(path, 'length', `expected ${KEY_BYTES} raw bytes or ${HEX_CHARS} hex digits and an optional newline, found ${n} bytes`, n);
  }
  // Decoded by hand, not through a string: a JS string of the key could not be wiped.
  const key = Buffer.alloc(KEY_BYTES);
  for (let i = 0; i < KEY_BYTES; i++) {
    const hi = hexValue(content[2 * i]!);
    const lo = hexValue(content[2 * i + 1]!);
    if (hi < 0 || lo < 0) {
      key.fill(0);
      // The offending character is not named: it is key material.
      throw new KeyFileError(path, 'hex', `not ${HEX_CHARS} hex digits`, n);
    }
    key[i] = (hi << 4) | lo;
  }
  return checkWeak(key, path);
}

function checkWeak(key: Buffer, path: string): Buffer {
  let any = 0;
  for (let i = 0; i < key.length; i++) any |= key[i]!;
  if (any === 0) throw new KeyFileError(path, 'weak', 'the key is all zero (an unfilled template?)');
  return key;
}

/**
 * Reads and parses the key file (see `parseConstellationKey`). Throws `KeyFileError`
 * (`E_KEY_FILE`): `missing` (ENOENT), `unreadable` (permissions, a directory, any other read
 * error), `length`, `hex`, `weak`. The file's bytes are zeroed after parsing.
 */
export function loadConstellationKey(path: string): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KeyFileError(path, 'missing', 'no such file', undefined, { cause: err });
    throw new KeyFileError(path, 'unreadable', `cannot be read (${code ?? 'error'})`, undefined, { cause: err });
  }
  try {
    return parseConstellationKey(content, path);
  } finally {
    content.fill(0);
  }
}

/** Short fingerprint for logs: the first 4 bytes of SHA-256(key), 8 hex digits. */
export function keyId(key: Uint8Array): string {
  return createHash('sha256').update(key).digest().subarray(0, 4).toString('hex');
}
