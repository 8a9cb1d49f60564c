import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBody, encodeEnvelope, signedBytes, type CommandBody } from '../../../firmware-agent/ground/format.js';
import { createLogger } from '../../../firmware-agent/observability/log.js';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key written as SPKI PEM (for ground.public_key_file). */
  publicPath: string;
}

export function groundKeys(dir = mkdtempSync(join(tmpdir(), 'ground-keys-'))): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicPath = join(dir, `ground-${Math.random().toString(36).slice(2)}.pub`);
  writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKey, publicKey, publicPath };
}

/** A signed command packet (the console's encoding, written out here so the test checks the format, not itself). */
export function packet(body: CommandBody, key: KeyObject | undefined): Uint8Array {
  const bytes = encodeBody(body);
  return encodeEnvelope(bytes, key ? sign(null, signedBytes(bytes), key) : undefined);
}

/** A logger whose JSON lines are kept. */
export function capturedLog(id = 'SAT-1') {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ id, level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
  return { log, lines, codes: (code: string) => lines.filter((l) => l.code === code) };
}
