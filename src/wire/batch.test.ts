import { describe, expect, it, vi } from 'vitest';
import { openSignedBatch, signBatch, MAX_ITEMS_PER_BATCH } from './batch.js';
import { isWireError, type WireError, type WireErrorCode } from './errors.js';
import { sign } from './keys.js';
import { ringOf, sampleBatch, sampleRead, testSigner } from './test-helpers.js';

const gw = testSigner('GW1');
const other = testSigner('GW2');
const ring = ringOf(gw, other);
const enc = new TextEncoder();
const dec = new TextDecoder();

function failure(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    if (isWireError(e)) return e;
    throw new Error(`expected a WireError, got ${String(e)}`);
  }
  throw new Error('expected a WireError, got success');
}

function expectCode(fn: () => unknown, code: WireErrorCode, path?: string): WireError {
  const e = failure(fn);
  expect(e.code, e.message).toBe(code);
  if (path !== undefined) expect(e.context.path, e.message).toBe(path);
  return e;
}

/** Rewrite the envelope JSON (to tamper with it) and serialize it again. */
function editEnvelope(bytes: Uint8Array, edit: (env: Record<string, unknown>) => void): Uint8Array {
  const env = JSON.parse(dec.decode(bytes)) as Record<string, unknown>;
  edit(env);
  return enc.encode(JSON.stringify(env));
}

/** Sign arbitrary payload text with gw's key: lets a test produce well-signed but malformed payloads. */
function signRaw(payloadText: string, header: Record<string, unknown> = {}): Uint8Array {
  const payload = enc.encode(payloadText);
  return enc.encode(
    JSON.stringify({
      v: 1,
      type: 'reads',
      gatewayId: gw.gatewayId,
      keyId: gw.keyId,
      seqFrom: 1,
      seqTo: 1,
      ...header,
      payload: Buffer.from(payload).toString('base64'),
      sig: Buffer.from(sign(payload, gw.privateKey)).toString('base64'),
    }),
  );
}

describe('signBatch / openSignedBatch', () => {
  it('round-trips a batch and exposes the envelope header', () => {
    const input = sampleBatch('GW1', 41, 5);
    const bytes = signBatch(input, gw.privateKey, gw.keyId);
    const { batch, envelope } = openSignedBatch(bytes, ring.lookup, { gatewayId: 'GW1' });
    expect(batch).toEqual({ ...input, v: 1, type: 'reads', keyId: gw.keyId });
    expect(batch.reads[2]?.value).toBe('1002.2');
    expect(batch.reads[0]?.readId).toBe('GW1|MTR-20451|1.0.1.8.0.255|register|2024-07-31T16:59:30.000Z');
    expect(envelope).toMatchObject({ v: 1, type: 'reads', gatewayId: 'GW1', keyId: gw.keyId, seqFrom: 41, seqTo: 45 });
    expect(Object.keys(envelope)).toEqual(['v', 'type', 'gatewayId', 'keyId', 'seqFrom', 'seqTo', 'payload', 'sig']);
  });

  it('signs the exact payload bytes: the decoded payload is the JSON of the batch, signature over it', () => {
    const bytes = signBatch(sampleBatch('GW1'), gw.privateKey, gw.keyId);
    const env = JSON.parse(dec.decode(bytes)) as { payload: string; sig: string };
    const payload = Buffer.from(env.payload, 'base64');
    expect(JSON.parse(payload.toString('utf8'))).toMatchObject({ v: 1, type: 'reads', gatewayId: 'GW1', seqFrom: 1, seqTo: 3 });
    expect(Buffer.from(env.sig, 'base64').length).toBe(64);
    // Ed25519 is deterministic: same batch, same key → same bytes.
    expect(dec.decode(signBatch(sampleBatch('GW1'), gw.privateKey, gw.keyId))).toBe(dec.decode(bytes));
  });

  it('does not care about the payload JSON layout: any bytes that verify are taken as they are', () => {
    const batch = { ...sampleBatch('GW1', 1, 1), v: 1, type: 'reads', keyId: gw.keyId };
    const bytes = signRaw(JSON.stringify(batch, null, 2).replace(/\n/g, '\r\n'));
    expect(openSignedBatch(bytes, ring.lookup).batch.reads).toHaveLength(1);
  });

  describe('signatures', () => {
    const bytes = signBatch(sampleBatch('GW1', 1, 5), gw.privateKey, gw.keyId);
    const env = JSON.parse(dec.decode(bytes)) as { payload: string; sig: string };
    const payload = Buffer.from(env.payload, 'base64');
    const sig = Buffer.from(env.sig, 'base64');

    it('refuses a single flipped bit anywhere in the payload', () => {
      for (const bit of [0, 7, 8 * 100 + 3, 8 * Math.floor(payload.length / 2), payload.length * 8 - 1]) {
        const tampered = Buffer.from(payload);
        tampered[bit >> 3] = (tampered[bit >> 3] as number) ^ (1 << (bit & 7));
        const msg = editEnvelope(bytes, (e) => (e.payload = tampered.toString('base64')));
        expectCode(() => openSignedBatch(msg, ring.lookup), 'WIRE_BAD_SIGNATURE');
      }
    });

    it('refuses a single flipped bit anywhere in the signature', () => {
      for (let bit = 0; bit < 512; bit += 37) {
        const tampered = Buffer.from(sig);
        tampered[bit >> 3] = (tampered[bit >> 3] as number) ^ (1 << (bit & 7));
        const msg = editEnvelope(bytes, (e) => (e.sig = tampered.toString('base64')));
        expectCode(() => openSignedBatch(msg, ring.lookup), 'WIRE_BAD_SIGNATURE');
      }
    });

    it('refuses a truncated or empty signature as bad, not as a crash', () => {
      expectCode(() => openSignedBatch(editEnvelope(bytes, (e) => (e.sig = sig.subarray(0, 63).toString('base64'))), ring.lookup), 'WIRE_BAD_SIGNATURE');
      expectCode(() => openSignedBatch(editEnvelope(bytes, (e) => (e.sig = '')), ring.lookup), 'WIRE_BAD_SIGNATURE');
    });

    it('refuses a batch signed with another key under this gateway\'s key id', () => {
      const forged = signBatch(sampleBatch('GW1'), other.privateKey, other.keyId);
      const msg = editEnvelope(forged, (e) => (e.keyId = gw.keyId));
      expectCode(() => openSignedBatch(msg, ring.lookup), 'WIRE_BAD_SIGNATURE');
    });

    it('refuses a payload swapped in from another valid message', () => {
      const second = signBatch(sampleBatch('GW1', 6, 5), gw.privateKey, gw.keyId);
      const otherSig = (JSON.parse(dec.decode(second)) as { sig: string }).sig;
      expectCode(() => openSignedBatch(editEnvelope(bytes, (e) => (e.sig = otherSig)), ring.lookup), 'WIRE_BAD_SIGNATURE');
    });
  });

  describe('keys and gateways', () => {
    it('unknown gateway', () => {
      const stranger = testSigner('GW9');
      const bytes = signBatch(sampleBatch('GW9'), stranger.privateKey, stranger.keyId);
      const e = expectCode(() => openSignedBatch(bytes, ring.lookup), 'WIRE_UNKNOWN_GATEWAY');
      expect(e.context.gatewayId).toBe('GW9');
    });

    it('unknown key of a known gateway (e.g. rotated before registration)', () => {
      const newKey = testSigner('GW1');
      const bytes = signBatch(sampleBatch('GW1'), newKey.privateKey, newKey.keyId);
      const e = expectCode(() => openSignedBatch(bytes, ring.lookup), 'WIRE_UNKNOWN_KEY');
      expect(e.context.keyId).toBe(newKey.keyId);
    });

    it('GW2 cannot pass its own valid batch off as GW1 (key lookup is by the claimed gateway)', () => {
      const bytes = signBatch(sampleBatch('GW2'), other.privateKey, other.keyId);
      const msg = editEnvelope(bytes, (e) => (e.gatewayId = 'GW1'));
      expectCode(() => openSignedBatch(msg, ring.lookup), 'WIRE_UNKNOWN_KEY');
    });

    it('gateway mismatch: topic vs envelope', () => {
      const bytes = signBatch(sampleBatch('GW1'), gw.privateKey, gw.keyId);
      const e = expectCode(() => openSignedBatch(bytes, ring.lookup, { gatewayId: 'GW2' }), 'WIRE_GATEWAY_MISMATCH');
      expect(e.context).toMatchObject({ gatewayId: 'GW1', topicGatewayId: 'GW2' });
    });

    it('gateway mismatch: envelope vs signed payload', () => {
      // GW2's key registered under GW1 too (a shared key by mistake): the payload still names GW2.
      const shared = ringOf(gw, other);
      shared.add('GW1', other.publicKey);
      const bytes = signBatch(sampleBatch('GW2'), other.privateKey, other.keyId);
      const msg = editEnvelope(bytes, (e) => (e.gatewayId = 'GW1'));
      expectCode(() => openSignedBatch(msg, shared.lookup, { gatewayId: 'GW1' }), 'WIRE_GATEWAY_MISMATCH');
    });

    it('header seq or key id that disagrees with the signed payload is malformed', () => {
      const bytes = signBatch(sampleBatch('GW1', 10, 3), gw.privateKey, gw.keyId);
      expectCode(() => openSignedBatch(editEnvelope(bytes, (e) => (e.seqFrom = 1)), ring.lookup), 'WIRE_MALFORMED', 'seqFrom');
      expectCode(() => openSignedBatch(editEnvelope(bytes, (e) => (e.seqTo = 99)), ring.lookup), 'WIRE_MALFORMED', 'seqTo');
      expectCode(() => openSignedBatch(editEnvelope(bytes, (e) => delete e.seqTo), ring.lookup), 'WIRE_MALFORMED', 'seqTo');
    });

    it('signBatch refuses a key id that is not the signing key\'s', () => {
      expectCode(() => signBatch(sampleBatch('GW1'), gw.privateKey, other.keyId), 'WIRE_BAD_KEY');
      expectCode(() => signBatch({ ...sampleBatch('GW1'), keyId: other.keyId }, gw.privateKey, gw.keyId), 'WIRE_BAD_KEY');
    });
  });

  describe('malformed input', () => {
    it.each([
      ['empty', ''],
      ['not JSON', 'hello'],
      ['truncated JSON', '{"v":1,"type":"reads"'],
      ['a JSON array', '[]'],
      ['JSON null', 'null'],
    ])('envelope %s', (_name, text) => {
      expectCode(() => openSignedBatch(enc.encode(text), ring.lookup), 'WIRE_MALFORMED', '(root)');
    });

    it('invalid UTF-8', () => {
      expectCode(() => openSignedBatch(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), ring.lookup), 'WIRE_MALFORMED', '(root)');
    });

    it('names the first problem in the envelope', () => {
      const bytes = signBatch(sampleBatch('GW1'), gw.privateKey, gw.keyId);
      expectCode(() => openSignedBatch(editEnvelope(bytes, (e) => delete e.sig), ring.lookup), 'WIRE_MALFORMED', 'sig');
      expectCode(() => openSignedBatch(editEnvelope(bytes, (e) => (e.payload = 'not base64!')), ring.lookup), 'WIRE_MALFORMED', 'payload');
      expectCode(() => openSignedBatch(editEnvelope(bytes, (e) => (e.payload = 'QUJD')), ring.lookup), 'WIRE_BAD_SIGNATURE');
      expectCode(() => openSignedBatch(editEnvelope(bytes, (e) => (e.seqFrom = '1')), ring.lookup), 'WIRE_MALFORMED', 'seqFrom');
      expectCode(() => openSignedBatch(editEnvelope(bytes, (e) => (e.gatewayId = 'gw/1')), ring.lookup), 'WIRE_MALFORMED', 'gatewayId');
      expectCode(() => openSignedBatch(editEnvelope(bytes, (e) => (e.keyId = 'ABC')), ring.lookup), 'WIRE_MALFORMED', 'keyId');
      expectCode(() => openSignedBatch(editEnvelope(bytes, (e) => (e.type = 'events')), ring.lookup), 'WIRE_MALFORMED', 'type');
      expectCode(() => openSignedBatch(editEnvelope(bytes, (e) => (e.v = 2)), ring.lookup), 'WIRE_UNSUPPORTED_VERSION', 'v');
      expectCode(() => openSignedBatch(editEnvelope(bytes, (e) => (e.v = '1')), ring.lookup), 'WIRE_MALFORMED', 'v');
    });

    it('names the path of the first problem in a well-signed payload', () => {
      const good = { ...sampleBatch('GW1', 1, 3), v: 1, type: 'reads', keyId: gw.keyId };
      const cases: Array<[string, (b: Record<string, any>) => void, string]> = [
        ['missing reads', (b) => delete b.reads, 'reads'],
        ['empty reads', (b) => (b.reads = []), 'reads'],
        ['value as a number', (b) => (b.reads[1].value = 123.4), 'reads[1].value'],
        ['value with exponent', (b) => (b.reads[2].value = '1e5'), 'reads[2].value'],
        ['value with comma', (b) => (b.reads[0].value = '123,4'), 'reads[0].value'],
        ['missing meterId', (b) => delete b.reads[2].meterId, 'reads[2].meterId'],
        ['bad bcs', (b) => (b.reads[0].bcs = 'XX'), 'reads[0].bcs'],
        ['bad obis', (b) => (b.reads[0].obis = '1.0.1.8.0.256'), 'reads[0].obis'],
        ['time without offset', (b) => (b.reads[1].meterTime = '2024-07-31T23:59:30'), 'reads[1].meterTime'],
        ['zero multiplier', (b) => (b.reads[0].multiplier = '0'), 'reads[0].multiplier'],
        ['unknown quality flag', (b) => (b.reads[0].quality = ['fine']), 'reads[0].quality[0]'],
        ['ok with estimated', (b) => (b.reads[0].quality = ['ok', 'estimated']), 'reads[0].quality'],
        ['half a period', (b) => delete b.reads[0].periodEnd, 'reads[0].periodEnd'],
        ['period reversed', (b) => (b.reads[0].periodStart = '2024-08-01'), 'reads[0].periodEnd'],
        ['range vs count', (b) => (b.seqTo = 2), 'seqTo'],
        ['duplicate readId', (b) => (b.reads[2].readId = b.reads[0].readId), 'reads[2].readId'],
        ["another gateway's readId", (b) => (b.reads[1].readId = 'GW2|x'), 'reads[1].readId'],
        ['no epoch', (b) => delete b.epoch, 'epoch'],
        ['seq 0', (b) => ((b.seqFrom = 0), (b.seqTo = 2)), 'seqFrom'],
      ];
      for (const [name, edit, path] of cases) {
        const b = structuredClone(good) as Record<string, any>;
        edit(b);
        const bytes = signRaw(JSON.stringify(b), { seqFrom: b.seqFrom, seqTo: b.seqTo });
        const e = failure(() => openSignedBatch(bytes, ring.lookup));
        expect([e.code, e.context.path], `${name}: ${e.message}`).toEqual(['WIRE_MALFORMED', path]);
        expect(e.message).toContain(path);
      }
    });

    it('a well-signed payload that is not JSON is malformed (signature checked first)', () => {
      expectCode(() => openSignedBatch(signRaw('{"v":1,'), ring.lookup), 'WIRE_MALFORMED', '(root)');
      expectCode(() => openSignedBatch(signRaw('{"v":3}'), ring.lookup), 'WIRE_UNSUPPORTED_VERSION');
    });

    it('an events batch cannot be passed off as reads', () => {
      const bytes = signRaw(
        JSON.stringify({ v: 1, type: 'events', gatewayId: 'GW1', keyId: gw.keyId, epoch: 'e', seqFrom: 1, seqTo: 1, createdAt: '2024-07-31T17:00:00Z', events: [] }),
      );
      expectCode(() => openSignedBatch(bytes, ring.lookup), 'WIRE_MALFORMED', 'type');
    });

    it('sender side validates too and names the path', () => {
      const bad = sampleBatch('GW1', 1, 2);
      (bad.reads[1] as { value: string }).value = '12.';
      expectCode(() => signBatch(bad, gw.privateKey, gw.keyId), 'WIRE_MALFORMED', 'reads[1].value');
    });
  });

  describe('size limits', () => {
    it('refuses an oversized message before parsing it', () => {
      const bytes = signBatch(sampleBatch('GW1', 1, 50), gw.privateKey, gw.keyId);
      const e = expectCode(() => openSignedBatch(bytes, ring.lookup, { maxBytes: bytes.length - 1 }), 'WIRE_TOO_LARGE');
      expect(e.context).toMatchObject({ bytes: bytes.length, limit: bytes.length - 1 });
      expect(openSignedBatch(bytes, ring.lookup, { maxBytes: bytes.length }).batch.reads).toHaveLength(50);
      expectCode(() => openSignedBatch(new Uint8Array(100), ring.lookup, { maxBytes: 99 }), 'WIRE_TOO_LARGE');
    });

    it('refuses to sign more than the limit', () => {
      expectCode(() => signBatch(sampleBatch('GW1', 1, 50), gw.privateKey, gw.keyId, { maxBytes: 1000 }), 'WIRE_TOO_LARGE');
    });

    it(`caps a batch at ${MAX_ITEMS_PER_BATCH} items`, () => {
      const one = sampleRead('GW1');
      const reads = Array.from({ length: MAX_ITEMS_PER_BATCH + 1 }, (_, i) => ({ ...one, readId: `GW1|r${i}` }));
      const batch = { ...sampleBatch('GW1', 1, 1), seqTo: MAX_ITEMS_PER_BATCH + 1, reads };
      expectCode(() => signBatch(batch, gw.privateKey, gw.keyId), 'WIRE_MALFORMED', 'reads');
    });
  });

  it('opens a 5 000-read batch with one parse of the envelope and one of the payload (no re-serialisation)', () => {
    const batch = sampleBatch('GW1', 1, 5000);
    const bytes = signBatch(batch, gw.privateKey, gw.keyId);
    // Counting parses, not timing them: quadratic work or a re-parse per read shows up as extra calls.
    const parse = vi.spyOn(JSON, 'parse');
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      const { batch: opened } = openSignedBatch(bytes, ring.lookup, { gatewayId: 'GW1' });
      expect(opened.reads).toHaveLength(5000);
      expect(parse).toHaveBeenCalledTimes(2);
      expect(stringify).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
      stringify.mockRestore();
    }
    expect(bytes.length).toBeLessThan(4 * 1024 * 1024);
  });
});

describe('canonical base64', () => {
  it('refuses a signature or payload whose unused trailing bits are set', () => {
    const gw1 = testSigner('GW1');
    const ring1 = ringOf(gw1);
    const bytes = signBatch(sampleBatch('GW1'), gw1.privateKey, gw1.keyId);
    const env = JSON.parse(new TextDecoder().decode(bytes)) as { sig: string; payload: string };
    expect(env.sig.endsWith('==')).toBe(true); // 64 bytes: one byte in the last group, 4 unused bits
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const last = env.sig.charAt(85);
    const sibling = alphabet.charAt(alphabet.indexOf(last) ^ 0x01);
    const sig2 = env.sig.slice(0, 85) + sibling + '==';
    expect(Buffer.from(sig2, 'base64').equals(Buffer.from(env.sig, 'base64'))).toBe(true);
    const msg = new TextEncoder().encode(JSON.stringify({ ...env, sig: sig2 }));
    let err: unknown;
    try {
      openSignedBatch(msg, ring1.lookup);
    } catch (e) {
      err = e;
    }
    expect(isWireError(err, 'WIRE_MALFORMED')).toBe(true);
    expect((err as WireError).context.path).toBe('sig');
  });
});
