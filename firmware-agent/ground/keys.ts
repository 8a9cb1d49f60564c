/**
 * Ground keys: an Ed25519 pair. The ground console holds the private key (PKCS#8 PEM, mode
 * 0600); each satellite holds the public key (SPKI PEM), named in its config as
 * `ground.public_key_file`. `groundKeyId` is what logs and the journal name a key by.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type GroundKeyProblem = 'missing' | 'unreadable' | 'not_pem' | 'not_ed25519';

/** `E_GROUND_KEY`: a ground key file is missing, unreadable, not PEM, or not an Ed25519 key. */
export class GroundKeyError extends Error {
  readonly code = 'E_GROUND_KEY';
  constructor(readonly path: string, readonly why: GroundKeyProblem, message: string, options?: { cause?: unknown }) {
    super(`ground key file ${path}: ${message}`, options);
    this.name = 'GroundKeyError';
  }
}

function readKeyFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GroundKeyError(path, 'missing', 'no such file', { cause: err });
    throw new GroundKeyError(path, 'unreadable', `cannot be read (${code ?? 'error'})`, { cause: err });
  }
}

function parseKey(path: string, kind: 'public' | 'private'): KeyObject {
  const pem = readKeyFile(path);
  let key: KeyObject;
  try {
    key = kind === 'public' ? createPublicKey({ key: pem, format: 'pem' }) : createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new GroundKeyError(path, 'not_pem', `is not a ${kind === 'public' ? 'PEM public key (SPKI)' : 'PEM private key (PKCS#8)'}`, { cause: err });
  } finally {
    pem.fill(0);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new GroundKeyError(path, 'not_ed25519', `holds a ${key.asymmetricKeyType ?? 'non-asymmetric'} key, not Ed25519`);
  return key;
}

/** The satellite's side: the ground station's public key. Throws GroundKeyError. */
export function loadGroundPublicKey(path: string): KeyObject {
  return parseKey(path, 'public');
}

/** The console's side: the ground station's private key. Throws GroundKeyError. */
export function loadGroundPrivateKey(path: string): KeyObject {
  return parseKey(path, 'private');
}

/** First 4 bytes of SHA-256 over the public key's SPKI DER, 8 hex digits. */
export function groundKeyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest().subarray(0, 4).toString('hex');
}
