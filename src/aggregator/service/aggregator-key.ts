import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { dirname } from 'node:path';
import { generateKeyPair, keyIdOf, loadPrivateKey } from '../../wire/index.js';

export interface AggregatorKey {
  privateKey: KeyObject;
  publicKeyPem: string;
  keyId: string;
  /** True when this start created the file. */
  generated: boolean;
}

/**
 * The aggregator's Ed25519 signing key (commands to gateways). With `generate`, a missing file is created
 * once (mode 0600, exclusive create so two starts cannot write two different keys); an existing file is
 * never replaced: every enrolled gateway trusts the public half.
 */
export function loadAggregatorKey(path: string, generate: boolean): AggregatorKey {
  let generated = false;
  if (generate && !existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
    try {
      writeFileSync(path, generateKeyPair().privateKeyPem, { mode: 0o600, flag: 'wx' });
      generated = true;
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'EEXIST') throw e;
    }
  }
  const privateKey = loadPrivateKey(readFileSync(path, 'utf8'));
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), keyId: keyIdOf(publicKey), generated };
}
