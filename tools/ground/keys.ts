/**
 * The console's key handling: making a ground key pair, and signing a command body with the
 * private key (Ed25519 over the context-prefixed body, as ground/format.ts says).
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBody, encodeEnvelope, signedBytes, type CommandBody } from '../../firmware-agent/ground/format.js';
import { HalError } from '../../hal/errors.js';
import { prepareDirArg } from '../commands/common.js';

export const PRIVATE_KEY_FILE = 'ground.key';
export const PUBLIC_KEY_FILE = 'ground.pub';

/** `E_GROUND_KEYGEN`: a key is already there, or a key file could not be written (a failure, exit 1). */
export class GroundKeygenError extends HalError {
  constructor(message: string, detail: Record<string, unknown>, options?: { cause?: unknown }) {
    super('E_GROUND_KEYGEN', message, detail, options);
    this.name = 'GroundKeygenError';
  }
}

const errno = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? 'error';

/**
 * Writes DIR/ground.key (PKCS#8 PEM, mode 0600: only the console's user reads it) and
 * DIR/ground.pub (SPKI PEM, for every satellite's `ground.public_key_file`). Refuses to
 * overwrite a key (GroundKeygenError): a lost private key means re-keying every satellite.
 */
export function writeGroundKeyPair(dir: string): { privatePath: string; publicPath: string } {
  const privatePath = join(dir, PRIVATE_KEY_FILE);
  const publicPath = join(dir, PUBLIC_KEY_FILE);
  // Only the last level is made: a typo'd --out should not grow a tree.
  prepareDirArg('--out', dir, { what: 'a directory for ground.key and ground.pub', parents: false });
  for (const p of [privatePath, publicPath]) {
    if (existsSync(p)) throw new GroundKeygenError(`${p} exists and a key is never overwritten: remove the old key first (every satellite must then get the new ground.pub) or choose another --out`, { path: p });
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // `flag: 'wx'`: fail rather than follow a link or race another writer; the mode applies at creation.
  for (const [path, pem, mode] of [
    [privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), 0o600],
    [publicPath, publicKey.export({ type: 'spki', format: 'pem' }), 0o644],
  ] as const) {
    try {
      writeFileSync(path, pem, { mode, flag: 'wx' });
    } catch (err) {
      throw new GroundKeygenError(`cannot write ${path} (${errno(err)})`, { path }, { cause: err });
    }
  }
  return { privatePath, publicPath };
}

/** The packet for a command: body, Ed25519 signature, envelope. */
export function signedCommand(body: CommandBody, privateKey: KeyObject): Uint8Array {
  const bytes = encodeBody(body);
  return encodeEnvelope(bytes, sign(null, signedBytes(bytes), privateKey));
}
