import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_MAX_MESSAGE_BYTES, utf8, validate } from './codec.js';
import { WireError } from './errors.js';
import { openEnvelope, parsePayload, requireHeaderMatch, sealEnvelope, type EnvelopeHeader, type SignedEnvelope } from './envelope.js';
import type { KeyLookup } from './keys.js';
import { GatewayIdSchema, IsoDateTime, KeyIdSchema, SeqSchema } from './primitives.js';
import { fieldIndex, isEpoch, isGatewayId, isIsoDateTime, isKeyId, isRecord, isSeq, keyMask, quickReadRecord } from './fast-check.js';
import { ReadRecordSchema } from './reads.js';
import { EpochSchema } from './sequence.js';

/** Upper bound on items per batch, whatever the byte size: keeps one ack's store transaction bounded. */
export const MAX_ITEMS_PER_BATCH = 10_000;

/** Fields every sequenced batch (reads, events) carries, signed. */
export const sequencedBatchFields = {
  gatewayId: GatewayIdSchema,
  keyId: KeyIdSchema,
  epoch: EpochSchema,
  seqFrom: SeqSchema,
  seqTo: SeqSchema,
  createdAt: IsoDateTime,
};

/** seqTo − seqFrom + 1 must equal the item count (one sequence number per item). */
export function checkRange(
  batch: { seqFrom: number; seqTo: number },
  itemCount: number,
  itemsKey: string,
  ctx: z.core.$RefinementCtx,
): void {
  if (batch.seqTo < batch.seqFrom) {
    ctx.addIssue({ code: 'custom', path: ['seqTo'], message: 'seqTo before seqFrom' });
  } else if (batch.seqTo - batch.seqFrom + 1 !== itemCount) {
    ctx.addIssue({
      code: 'custom',
      path: ['seqTo'],
      message: `range [${batch.seqFrom}, ${batch.seqTo}] does not match ${itemCount} ${itemsKey} (one sequence number per item)`,
    });
  }
}

export const ReadBatchSchema = z
  .object({
    v: z.literal(1),
    type: z.literal('reads'),
    ...sequencedBatchFields,
    reads: z.array(ReadRecordSchema).min(1).max(MAX_ITEMS_PER_BATCH),
  })
  .superRefine((batch, ctx) => {
    checkRange(batch, batch.reads.length, 'reads', ctx);
    // readIds are scoped by gateway: a gateway must not be able to shadow another gateway's reads.
    const prefix = `${batch.gatewayId}|`;
    const seen = new Set<string>();
    batch.reads.forEach((read, i) => {
      if (!read.readId.startsWith(prefix)) {
        ctx.addIssue({ code: 'custom', path: ['reads', i, 'readId'], message: `readId must start with '${prefix}'` });
      } else if (seen.has(read.readId)) {
        ctx.addIssue({ code: 'custom', path: ['reads', i, 'readId'], message: 'duplicate readId in batch' });
      }
      seen.add(read.readId);
    });
  });

export type ReadBatch = z.output<typeof ReadBatchSchema>;

const BATCH_INDEX = fieldIndex(['v', 'type', 'gatewayId', 'keyId', 'epoch', 'seqFrom', 'seqTo', 'createdAt', 'reads']);
const BATCH_ALL_KEYS = (1 << 9) - 1;

/**
 * ReadBatchSchema without zod (fast-check.ts): the parsed value itself when the schema would return it
 * unchanged, undefined when zod must decide (and word the refusal).
 */
export function quickReadBatch(value: unknown): ReadBatch | undefined {
  if (!isRecord(value) || keyMask(value, BATCH_INDEX) !== BATCH_ALL_KEYS) return undefined;
  const { v, type, gatewayId, keyId, epoch, seqFrom, seqTo, createdAt, reads } = value;
  if (v !== 1 || type !== 'reads' || !isGatewayId(gatewayId) || !isKeyId(keyId) || !isEpoch(epoch)) return undefined;
  if (!isSeq(seqFrom) || !isSeq(seqTo) || !isIsoDateTime(createdAt)) return undefined;
  if (!Array.isArray(reads) || reads.length < 1 || reads.length > MAX_ITEMS_PER_BATCH) return undefined;
  if (seqTo < seqFrom || seqTo - seqFrom + 1 !== reads.length) return undefined;
  const prefix = `${gatewayId}|`;
  const seen = new Set<string>();
  for (const read of reads as unknown[]) {
    if (!quickReadRecord(read) || !read.readId.startsWith(prefix) || seen.has(read.readId)) return undefined;
    seen.add(read.readId);
  }
  return value as ReadBatch;
}

/** What signBatch takes: `v`, `type` and `keyId` are filled in (given ones must agree). */
export type ReadBatchInput = Omit<z.input<typeof ReadBatchSchema>, 'v' | 'type' | 'keyId'> & {
  v?: 1;
  type?: 'reads';
  keyId?: string;
};

export function requireSameKeyId(given: string | undefined, keyId: string, what: string): void {
  if (given !== undefined && given !== keyId) {
    throw new WireError('WIRE_BAD_KEY', `${what}: keyId ${given} in the message, ${keyId} given to sign with`);
  }
}

export interface SignOptions {
  maxBytes?: number;
}

export interface OpenOptions {
  /** The gateway id from the MQTT topic the message arrived on: must match (WIRE_GATEWAY_MISMATCH). */
  gatewayId?: string | undefined;
  maxBytes?: number | undefined;
}

/** Validate, serialize once, sign those bytes, wrap: the result is the MQTT payload for `…/reads`. */
export function signBatch(batch: ReadBatchInput, privateKey: KeyObject, keyId: string, options: SignOptions = {}): Uint8Array {
  requireSameKeyId(batch.keyId, keyId, 'reads batch');
  const valid = validate(ReadBatchSchema, { ...batch, v: 1, type: 'reads', keyId }, 'reads batch');
  const payloadBytes = utf8(JSON.stringify(valid));
  return sealEnvelope(
    { type: 'reads', gatewayId: valid.gatewayId, keyId, seqFrom: valid.seqFrom, seqTo: valid.seqTo },
    payloadBytes,
    privateKey,
    options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  );
}

export interface OpenedBatch {
  batch: ReadBatch;
  envelope: SignedEnvelope;
  /** The verified payload bytes and their signature, for a receiver that keeps the signed batch. */
  payloadBytes: Uint8Array;
  sig: Uint8Array;
}

/**
 * Verify and parse a `…/reads` payload. Throws WireError: WIRE_TOO_LARGE, WIRE_MALFORMED (context.path),
 * WIRE_UNSUPPORTED_VERSION, WIRE_GATEWAY_MISMATCH, WIRE_UNKNOWN_GATEWAY, WIRE_UNKNOWN_KEY, WIRE_BAD_SIGNATURE.
 * Replays are not judged here: pass the range to checkSequence with the stored high-water mark.
 */
export function openSignedBatch(payload: Uint8Array, lookupKey: KeyLookup, options: OpenOptions = {}): OpenedBatch {
  const { envelope, payloadBytes, sig } = openEnvelope(payload, {
    type: 'reads',
    lookup: (env) => lookupKey(env.gatewayId, env.keyId),
    topicGatewayId: options.gatewayId,
    maxBytes: options.maxBytes,
  });
  return { batch: readVerifiedBatch(envelope, payloadBytes), envelope, payloadBytes, sig };
}

/** The second half of openSignedBatch: the payload of an envelope that verified (verifySigned), parsed and checked against it. */
export function readVerifiedBatch(header: EnvelopeHeader, payloadBytes: Uint8Array): ReadBatch {
  const batch = parsePayload(ReadBatchSchema, payloadBytes, 'reads batch', quickReadBatch);
  requireHeaderMatch(header, batch, 'reads batch');
  return batch;
}
