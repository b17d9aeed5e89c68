import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { WireError } from './errors.js';

/**
 * Ed25519 (RFC 8032) over node:crypto. Ed25519 because signatures are deterministic, small (64 bytes),
 * fast to verify in bulk at the aggregator, and have no parameters to get wrong.
 */
export interface GeneratedKeyPair {
  publicKeyPem: string;
  privateKeyPem: string;
  keyId: string;
}

export const SIGNATURE_BYTES = 64;

export function generateKeyPair(): GeneratedKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

function requireEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new WireError('WIRE_BAD_KEY', `${what} is ${key.asymmetricKeyType ?? key.type}, not an Ed25519 key`);
  }
  return key;
}

export function loadPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (cause) {
    throw new WireError('WIRE_BAD_KEY', 'unreadable private key PEM', { cause });
  }
  return requireEd25519(key, 'private key');
}

/** Accepts an SPKI public key PEM (a private key PEM is refused: it must never sit in a public-key slot). */
export function loadPublicKey(pem: string): KeyObject {
  if (/PRIVATE KEY/.test(pem)) throw new WireError('WIRE_BAD_KEY', 'a private key was given where a public key belongs');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (cause) {
    throw new WireError('WIRE_BAD_KEY', 'unreadable public key PEM', { cause });
  }
  return requireEd25519(key, 'public key');
}

const keyIdCache = new WeakMap<KeyObject, string>();

/** The 32-byte raw public key (RFC 8410 subjectPublicKey), from a public or private KeyObject. */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  requireEd25519(pub, 'key');
  const jwk = pub.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'));
}

/**
 * keyId = first 16 hex chars (64 bits) of SHA-256 over the raw public key. Derived, never assigned, so a
 * gateway and the aggregator cannot disagree about which key an id means. Also accepts a private key.
 */
export function keyIdOf(key: KeyObject): string {
  const cached = keyIdCache.get(key);
  if (cached !== undefined) return cached;
  const id = createHash('sha256').update(rawPublicKey(key)).digest('hex').slice(0, 16);
  keyIdCache.set(key, id);
  return id;
}

export function sign(bytes: Uint8Array, privateKey: KeyObject): Uint8Array {
  requireEd25519(privateKey, 'signing key');
  if (privateKey.type !== 'private') throw new WireError('WIRE_BAD_KEY', 'signing needs a private key');
  return new Uint8Array(cryptoSign(null, bytes, privateKey));
}

/** True only for a valid signature; a signature of the wrong length is simply invalid. */
export function verify(bytes: Uint8Array, signature: Uint8Array, publicKey: KeyObject): boolean {
  requireEd25519(publicKey, 'verifying key');
  if (signature.length !== SIGNATURE_BYTES) return false;
  try {
    return cryptoVerify(null, bytes, publicKey, signature);
  } catch {
    return false;
  }
}

/**
 * What a key lookup can answer: the key, `undefined` (the signer is known but this key id is not: report
 * WIRE_UNKNOWN_KEY), or `'unknown-gateway'` (report WIRE_UNKNOWN_GATEWAY). The aggregator backs this with
 * its gateway registry; KeyRing below is the in-memory version.
 */
export type KeyLookupResult = KeyObject | undefined | 'unknown-gateway';
export type KeyLookup = (gatewayId: string, keyId: string) => KeyLookupResult;

/**
 * Public keys per signer, several at once so that a key can be rotated without a flag day: register the
 * new key, switch the gateway over, remove the old one once its batches are drained.
 */
export class KeyRing {
  private readonly keys = new Map<string, Map<string, KeyObject>>();

  /** Register a public key (KeyObject or SPKI PEM) for a signer; returns its key id. */
  add(signerId: string, publicKey: KeyObject | string): string {
    const key = typeof publicKey === 'string' ? loadPublicKey(publicKey) : requireEd25519(publicKey, 'public key');
    if (key.type !== 'public') throw new WireError('WIRE_BAD_KEY', 'a key ring holds public keys only');
    const keyId = keyIdOf(key);
    let forSigner = this.keys.get(signerId);
    if (!forSigner) this.keys.set(signerId, (forSigner = new Map()));
    forSigner.set(keyId, key);
    return keyId;
  }

  remove(signerId: string, keyId: string): boolean {
    const forSigner = this.keys.get(signerId);
    if (!forSigner) return false;
    const removed = forSigner.delete(keyId);
    if (forSigner.size === 0) this.keys.delete(signerId);
    return removed;
  }

  has(signerId: string): boolean {
    return this.keys.has(signerId);
  }

  readonly lookup: KeyLookup = (signerId, keyId) => {
    const forSigner = this.keys.get(signerId);
    if (!forSigner) return 'unknown-gateway';
    return forSigner.get(keyId);
  };
}
