import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isWireError, type WireErrorCode } from './errors.js';
import { generateKeyPair, KeyRing, keyIdOf, loadPrivateKey, loadPublicKey, rawPublicKey, sign, verify } from './keys.js';

function codeOf(fn: () => unknown): WireErrorCode | string {
  try {
    fn();
  } catch (e) {
    return isWireError(e) ? e.code : `not a WireError: ${String(e)}`;
  }
  return 'no error';
}

describe('keys', () => {
  it('generates PEMs that load back, with keyId = sha256(raw public key)[0..16] in hex', () => {
    const kp = generateKeyPair();
    expect(kp.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(kp.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const pub = loadPublicKey(kp.publicKeyPem);
    const priv = loadPrivateKey(kp.privateKeyPem);
    expect(kp.keyId).toMatch(/^[0-9a-f]{16}$/);
    const raw = rawPublicKey(pub);
    expect(raw.length).toBe(32);
    expect(kp.keyId).toBe(createHash('sha256').update(raw).digest('hex').slice(0, 16));
    expect(keyIdOf(pub)).toBe(kp.keyId);
    expect(keyIdOf(priv)).toBe(kp.keyId);
  });

  it('matches the raw key of a known RFC 8032 test vector (test 1 public key)', () => {
    // RFC 8032 §7.1 TEST 1 secret key 9d61b19d…7f60 → public key d75a9801…511a.
    const pkcs8 = Buffer.concat([
      Buffer.from('302e020100300506032b657004220420', 'hex'),
      Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'),
    ]);
    const priv = loadPrivateKey(
      `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64')}\n-----END PRIVATE KEY-----\n`,
    );
    expect(Buffer.from(rawPublicKey(priv)).toString('hex')).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    // RFC 8032 TEST 1 signs the empty message.
    expect(Buffer.from(sign(new Uint8Array(0), priv)).toString('hex')).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
  });

  it('signs and verifies; any change to bytes, signature or key fails', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    const bytes = new TextEncoder().encode('chỉ số 123456.8 kWh');
    const sig = sign(bytes, loadPrivateKey(a.privateKeyPem));
    expect(sig.length).toBe(64);
    expect(verify(bytes, sig, loadPublicKey(a.publicKeyPem))).toBe(true);
    expect(verify(bytes, sig, loadPublicKey(b.publicKeyPem))).toBe(false);
    const flipped = bytes.slice();
    flipped[3] = (flipped[3] as number) ^ 0x01;
    expect(verify(flipped, sig, loadPublicKey(a.publicKeyPem))).toBe(false);
    const badSig = sig.slice();
    badSig[63] = (badSig[63] as number) ^ 0x80;
    expect(verify(bytes, badSig, loadPublicKey(a.publicKeyPem))).toBe(false);
    expect(verify(bytes, sig.slice(0, 63), loadPublicKey(a.publicKeyPem))).toBe(false);
    expect(verify(bytes, new Uint8Array(0), loadPublicKey(a.publicKeyPem))).toBe(false);
  });

  it('refuses non-Ed25519 keys, garbage PEM and a private key in a public slot with WIRE_BAD_KEY', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecPub = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const ecPriv = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(codeOf(() => loadPublicKey(ecPub))).toBe('WIRE_BAD_KEY');
    expect(codeOf(() => loadPrivateKey(ecPriv))).toBe('WIRE_BAD_KEY');
    expect(codeOf(() => loadPublicKey('not a pem'))).toBe('WIRE_BAD_KEY');
    expect(codeOf(() => loadPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----'))).toBe('WIRE_BAD_KEY');
    expect(codeOf(() => loadPublicKey(generateKeyPair().privateKeyPem))).toBe('WIRE_BAD_KEY');
    expect(codeOf(() => sign(new Uint8Array(1), ec.privateKey))).toBe('WIRE_BAD_KEY');
    expect(codeOf(() => sign(new Uint8Array(1), loadPublicKey(generateKeyPair().publicKeyPem)))).toBe('WIRE_BAD_KEY');
    expect(codeOf(() => verify(new Uint8Array(1), new Uint8Array(64), ec.publicKey))).toBe('WIRE_BAD_KEY');
  });
});

describe('KeyRing', () => {
  it('answers key, undefined (unknown key) or unknown-gateway, and supports rotation', () => {
    const k1 = generateKeyPair();
    const k2 = generateKeyPair();
    const ring = new KeyRing();
    expect(ring.add('GW1', k1.publicKeyPem)).toBe(k1.keyId);
    expect(ring.add('GW1', loadPublicKey(k2.publicKeyPem))).toBe(k2.keyId);
    expect(keyIdOf(ring.lookup('GW1', k1.keyId) as never)).toBe(k1.keyId);
    expect(keyIdOf(ring.lookup('GW1', k2.keyId) as never)).toBe(k2.keyId);
    expect(ring.lookup('GW1', '0000000000000000')).toBeUndefined();
    expect(ring.lookup('GW2', k1.keyId)).toBe('unknown-gateway');
    expect(ring.remove('GW1', k1.keyId)).toBe(true);
    expect(ring.lookup('GW1', k1.keyId)).toBeUndefined();
    expect(ring.remove('GW1', k2.keyId)).toBe(true);
    expect(ring.has('GW1')).toBe(false);
    expect(ring.lookup('GW1', k2.keyId)).toBe('unknown-gateway');
    expect(ring.remove('GW1', k2.keyId)).toBe(false);
  });

  it('holds public keys only', () => {
    const ring = new KeyRing();
    expect(codeOf(() => ring.add('GW1', loadPrivateKey(generateKeyPair().privateKeyPem)))).toBe('WIRE_BAD_KEY');
  });
});
