/**
 * The console's key handling: making a ground key pair, and signing a command body with the
 * private key (Ed25519 over the context-prefixed body, as ground/format.ts says).
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBody, encodeEnvelope, signedBytes, type CommandBody } from '../../firmware-agent/ground/format.js';
import { UsageError } from '../commands/common.js';

export const PRIVATE_KEY_FILE = 'ground.key';
export const PUBLIC_KEY_FILE = 'ground.pub';

/**
 * Writes DIR/ground.key (PKCS#8 PEM, mode 0600: only the console's user reads it) and
 * DIR/ground.pub (SPKI PEM, for every satellite's `ground.public_key_file`). Refuses to
 * overwrite a key: a lost private key means re-keying every satellite.
 */
export function writeGroundKeyPair(dir: string): { privatePath: string; publicPath: string } {
  const privatePath = join(dir, PRIVATE_KEY_FILE);
  const publicPath = join(dir, PUBLIC_KEY_FILE);
  for (const p of [privatePath, publicPath]) {
    if (existsSync(p)) throw new UsageError(`${p} exists; remove it first or pick another --out (a key is never overwritten)`);
  }
  mkdirSync(dir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // `flag: 'wx'`: fail rather than follow a link or race another writer; the mode applies at creation.
  writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
  return { privatePath, publicPath };
}

/** The packet for a command: body, Ed25519 signature, envelope. */
export function signedCommand(body: CommandBody, privateKey: KeyObject): Uint8Array {
  const bytes = encodeBody(body);
  return encodeEnvelope(bytes, sign(null, signedBytes(bytes), privateKey));
}
