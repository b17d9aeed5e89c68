import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_MAX_MESSAGE_BYTES, checkSize, checkVersion, parseJsonBytes, utf8, validate } from './codec.js';
import { canonicalBase64 } from './base64.js';
import { parseEnvelopeJson } from './envelope-json.js';
import { WireError } from './errors.js';
import { fieldIndex, isGatewayId, isKeyId, isRecord, isSeq, keyMask } from './fast-check.js';
import { keyIdOf, sign, verify, type KeyLookup, type KeyLookupResult } from './keys.js';
import { GatewayIdSchema, KeyIdSchema, SeqSchema } from './primitives.js';

/**
 * The signed envelope: `{ v, type, gatewayId, keyId, seqFrom?, seqTo?, payload, sig }` where `payload` is
 * base64 of the exact JSON bytes the signer produced and `sig` is base64 of the Ed25519 signature over
 * those bytes. The verifier checks the bytes as received and parses them once; it never re-serializes,
 * so JSON key order, whitespace or number formatting can never break a signature.
 *
 * The header fields (type, gatewayId, keyId, seq) are unsigned routing hints: they pick the key and let a
 * refusal name the range. The signed payload repeats them and the openers require both to agree.
 */
export const SIGNED_TYPES = ['reads', 'events', 'command'] as const;
export type SignedType = (typeof SIGNED_TYPES)[number];

/**
 * Strict base64 (RFC 4648 §4, padded): Buffer.from would silently skip stray characters. Checked as
 * "alphabet, then at most two `=`, length a multiple of 4" rather than with one grouped regex, which
 * backtracks its way through a 3 MB payload in over a second.
 */
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;
const Base64 = z.string().refine((s) => s.length % 4 === 0 && BASE64_CHARS.test(s), { message: 'not base64' });

export const SignedEnvelopeSchema = z.object({
  v: z.literal(1),
  type: z.enum(SIGNED_TYPES),
  /** For reads/events the signing gateway; for a command the gateway it is addressed to. */
  gatewayId: GatewayIdSchema,
  keyId: KeyIdSchema,
  seqFrom: SeqSchema.optional(),
  seqTo: SeqSchema.optional(),
  payload: Base64.min(1),
  sig: Base64,
});
export type SignedEnvelope = z.output<typeof SignedEnvelopeSchema>;

const ENVELOPE_INDEX = fieldIndex(['v', 'type', 'gatewayId', 'keyId', 'seqFrom', 'seqTo', 'payload', 'sig']);
const ENVELOPE_REQUIRED = 0b11001111; // all but seqFrom and seqTo
const SEQ_FROM = 1 << 4;
const SEQ_TO = 1 << 5;
const SIGNED_TYPE_SET = new Set<unknown>(SIGNED_TYPES);

/** An envelope that passed the quick check, with its payload and signature already decoded. */
interface QuickOpened {
  envelope: SignedEnvelope;
  payloadBytes: Uint8Array;
  sig: Uint8Array;
}

/** `decodedPayload`: the payload's bytes when parseEnvelopeJson already decoded its text (canonical). */
function quickOpen(value: unknown, decodedPayload?: Buffer): QuickOpened | undefined {
  if (!isRecord(value)) return undefined;
  const mask = keyMask(value, ENVELOPE_INDEX);
  if (mask < 0 || (mask & ENVELOPE_REQUIRED) !== ENVELOPE_REQUIRED) return undefined;
  const { v, type, gatewayId, keyId, seqFrom, seqTo, payload, sig } = value;
  if (v !== 1 || !SIGNED_TYPE_SET.has(type) || !isGatewayId(gatewayId) || !isKeyId(keyId)) return undefined;
  if (((mask & SEQ_FROM) !== 0 && !isSeq(seqFrom)) || ((mask & SEQ_TO) !== 0 && !isSeq(seqTo))) return undefined;
  const payloadBytes = typeof payload === 'string' && payload.length >= 1 ? (decodedPayload ?? canonicalBase64(payload)) : undefined;
  const sigBytes = canonicalBase64(sig);
  if (payloadBytes === undefined || sigBytes === undefined) return undefined;
  return { envelope: value as SignedEnvelope, payloadBytes: ownBytes(payloadBytes), sig: sigBytes };
}

/** SignedEnvelopeSchema without zod (fast-check.ts): the value itself, or undefined to let zod decide. */
export function quickEnvelope(value: unknown): SignedEnvelope | undefined {
  return quickOpen(value)?.envelope;
}

/** Small Buffers share Node's pool: payload bytes handed on get their own memory. */
function ownBytes(b: Buffer): Uint8Array {
  return b.byteOffset === 0 && b.buffer.byteLength === b.length ? b : new Uint8Array(b);
}

export type EnvelopeHeader = Pick<SignedEnvelope, 'type' | 'gatewayId' | 'keyId' | 'seqFrom' | 'seqTo'>;

/** Sign exact payload bytes and wrap them; returns the MQTT payload. */
export function sealEnvelope(
  header: EnvelopeHeader,
  payloadBytes: Uint8Array,
  privateKey: KeyObject,
  maxBytes: number = DEFAULT_MAX_MESSAGE_BYTES,
): Uint8Array {
  if (keyIdOf(privateKey) !== header.keyId) {
    throw new WireError('WIRE_BAD_KEY', `key id ${header.keyId} does not belong to the signing key (${keyIdOf(privateKey)})`);
  }
  const sig = sign(payloadBytes, privateKey);
  const envelope: SignedEnvelope = {
    v: 1,
    type: header.type,
    gatewayId: header.gatewayId,
    keyId: header.keyId,
    ...(header.seqFrom === undefined ? {} : { seqFrom: header.seqFrom }),
    ...(header.seqTo === undefined ? {} : { seqTo: header.seqTo }),
    payload: Buffer.from(payloadBytes).toString('base64'),
    sig: Buffer.from(sig).toString('base64'),
  };
  const bytes = utf8(JSON.stringify(envelope));
  checkSize(bytes.length, maxBytes, `signed ${header.type}`);
  return bytes;
}

export interface OpenEnvelopeOptions {
  type: SignedType;
  /** Picks the verifying key from the (unverified) header. */
  lookup: (envelope: SignedEnvelope) => KeyLookupResult;
  /** The gateway id taken from the MQTT topic; must equal the envelope's. */
  topicGatewayId?: string | undefined;
  maxBytes?: number | undefined;
}

export interface OpenedEnvelope {
  envelope: SignedEnvelope;
  /** The exact signed bytes, verified. */
  payloadBytes: Uint8Array;
  /** The Ed25519 signature over them: kept by the aggregator so the batch can be verified again later. */
  sig: Uint8Array;
}

/** Size → JSON → version → schema → topic → key → signature. Nothing of the payload is parsed before it verifies. */
export function openEnvelope(bytes: Uint8Array, options: OpenEnvelopeOptions): OpenedEnvelope {
  const what = `signed ${options.type}`;
  checkSize(bytes.length, options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES, what);
  const { value: raw, payloadBytes: decodedPayload } = parseEnvelopeJson(bytes, what);
  checkVersion(raw, what);
  const quick = quickOpen(raw, decodedPayload);
  const envelope = quick?.envelope ?? validate(SignedEnvelopeSchema, raw, `${what} envelope`);
  if (envelope.type !== options.type) {
    throw new WireError('WIRE_MALFORMED', `${what} envelope: type: expected '${options.type}', got '${envelope.type}'`, {
      context: { path: 'type' },
    });
  }
  if (options.topicGatewayId !== undefined && options.topicGatewayId !== envelope.gatewayId) {
    throw new WireError(
      'WIRE_GATEWAY_MISMATCH',
      `${what}: envelope names gateway ${envelope.gatewayId}, expected ${options.topicGatewayId} (topic / addressee)`,
      { context: { gatewayId: envelope.gatewayId, topicGatewayId: options.topicGatewayId } },
    );
  }
  const key = options.lookup(envelope);
  if (key === 'unknown-gateway') {
    throw new WireError('WIRE_UNKNOWN_GATEWAY', `${what}: no keys registered for ${envelope.gatewayId}`, {
      context: { gatewayId: envelope.gatewayId, keyId: envelope.keyId },
    });
  }
  if (key === undefined) {
    throw new WireError('WIRE_UNKNOWN_KEY', `${what}: key ${envelope.keyId} is not registered`, {
      context: { gatewayId: envelope.gatewayId, keyId: envelope.keyId },
    });
  }
  const payloadBytes = quick?.payloadBytes ?? decodeBase64(envelope.payload, 'payload', what);
  const sig = quick?.sig ?? decodeBase64(envelope.sig, 'sig', what);
  if (!verify(payloadBytes, sig, key)) {
    throw new WireError('WIRE_BAD_SIGNATURE', `${what}: signature does not verify with key ${envelope.keyId}`, {
      context: { gatewayId: envelope.gatewayId, keyId: envelope.keyId },
    });
  }
  return { envelope, payloadBytes, sig };
}

/** A verified envelope without its base64 text: small enough to hand to another thread with the payload. */
export interface VerifiedEnvelope {
  header: EnvelopeHeader;
  /** The exact signed bytes, verified: their own memory, so they can be transferred rather than copied. */
  payloadBytes: Uint8Array;
  /** The signature over them, in its own 64 bytes (a view into Node's buffer pool would clone the whole pool). */
  sig: Uint8Array;
}

/**
 * The first half of opening a signed reads or events message (openEnvelope), for a caller that parses the
 * payload elsewhere (readVerifiedBatch, readVerifiedEvents): the ingest checks signatures on the thread
 * that receives and stores on another.
 */
export function verifySigned(
  bytes: Uint8Array,
  type: 'reads' | 'events',
  lookupKey: KeyLookup,
  options: { gatewayId?: string | undefined; maxBytes?: number | undefined } = {},
): VerifiedEnvelope {
  const { envelope, payloadBytes, sig } = openEnvelope(bytes, {
    type,
    lookup: (env) => lookupKey(env.gatewayId, env.keyId),
    topicGatewayId: options.gatewayId,
    maxBytes: options.maxBytes,
  });
  const { gatewayId, keyId, seqFrom, seqTo } = envelope;
  const header: EnvelopeHeader = { type, gatewayId, keyId, ...(seqFrom === undefined ? {} : { seqFrom }), ...(seqTo === undefined ? {} : { seqTo }) };
  const own = payloadBytes.byteOffset === 0 && payloadBytes.buffer.byteLength === payloadBytes.byteLength ? payloadBytes : new Uint8Array(payloadBytes);
  return { header, payloadBytes: own, sig: new Uint8Array(sig) };
}

/**
 * Decode base64 already checked for alphabet and length, refusing non-canonical spellings (canonicalBase64):
 * Buffer ignores the unused bits of the last group, so without this check several envelope texts would
 * carry one payload.
 */
function decodeBase64(text: string, field: string, what: string): Uint8Array {
  const bytes = canonicalBase64(text);
  if (bytes === undefined) {
    throw new WireError('WIRE_MALFORMED', `${what} envelope: ${field}: not canonical base64`, { context: { path: field } });
  }
  return new Uint8Array(bytes);
}

/**
 * Parse verified payload bytes with a schema (one JSON.parse). `quick` is the schema's hand-written mirror
 * (fast-check.ts), tried first; zod runs when it cannot vouch for the value.
 */
export function parsePayload<S extends z.ZodType>(
  schema: S,
  payloadBytes: Uint8Array,
  what: string,
  quick?: (value: unknown) => z.output<S> | undefined,
): z.output<S> {
  const value = parseJsonBytes(payloadBytes, what);
  checkVersion(value, what);
  return quick?.(value) ?? validate(schema, value, what);
}

/** The signed payload must repeat the header; a disagreement means a broken or malicious signer. */
export function requireHeaderMatch(
  envelope: EnvelopeHeader,
  signed: { gatewayId: string; keyId: string; seqFrom?: number; seqTo?: number },
  what: string,
): void {
  if (signed.gatewayId !== envelope.gatewayId) {
    throw new WireError('WIRE_GATEWAY_MISMATCH', `${what}: envelope names gateway ${envelope.gatewayId}, payload ${signed.gatewayId}`, {
      context: { gatewayId: envelope.gatewayId, payloadGatewayId: signed.gatewayId },
    });
  }
  for (const field of ['keyId', 'seqFrom', 'seqTo'] as const) {
    if (signed[field] !== envelope[field]) {
      throw new WireError(
        'WIRE_MALFORMED',
        `${what}: ${field}: envelope says ${String(envelope[field])}, signed payload says ${String(signed[field])}`,
        { context: { path: field } },
      );
    }
  }
}
