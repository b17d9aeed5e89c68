import { z } from 'zod';
import { decodeMessage, encodeMessage } from './codec.js';
import { GatewayIdSchema, IsoDateTime, SeqSchema } from './primitives.js';
import { EpochSchema, SEQUENCE_STREAMS } from './sequence.js';

/**
 * `…/ack`, aggregator → gateway: the application-level answer to one signed batch, by sequence range.
 * MQTT's PUBACK only says the broker has the packet; this says the reads are stored. The gateway deletes
 * outbox items on `stored` and `duplicate` only.
 *
 * Unsigned: only the aggregator may publish on `ack` topics (mayPublish refuses gateways), and the broker
 * is embedded in the aggregator, so forging one needs the aggregator itself.
 */
export const REFUSAL_REASONS = [
  'malformed',
  'unsupported-version',
  'unknown-gateway',
  'unknown-key',
  'bad-signature',
  'gateway-mismatch',
  'too-large',
  'sequence-gap', // see checkSequence; expectedSeq says where to rewind
  'store-failed', // transient: retry later
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export const AckMessageSchema = z
  .object({
    v: z.literal(1),
    gatewayId: GatewayIdSchema,
    stream: z.enum(SEQUENCE_STREAMS),
    epoch: EpochSchema,
    /** The range as the envelope header stated it (for a refusal, possibly unverified). */
    seqFrom: SeqSchema,
    seqTo: SeqSchema,
    result: z.enum(['stored', 'duplicate', 'refused']),
    reason: z.enum(REFUSAL_REASONS).optional(),
    /** Free text for the operator; never matched on. */
    detail: z.string().max(500).optional(),
    /** With `sequence-gap`: the next sequence number the aggregator will accept. */
    expectedSeq: SeqSchema.optional(),
    /** Items newly stored by this batch (0 for a duplicate, fewer than the range for an overlap). */
    storedCount: z.number().int().min(0),
    at: IsoDateTime.optional(),
  })
  .superRefine((a, ctx) => {
    if (a.seqTo < a.seqFrom) ctx.addIssue({ code: 'custom', path: ['seqTo'], message: 'seqTo before seqFrom' });
    if (a.result === 'refused' && a.reason === undefined) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'a refusal needs a reason' });
    }
    if (a.result !== 'refused' && a.reason !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: `no reason with result '${a.result}'` });
    }
    if (a.result !== 'stored' && a.storedCount !== 0) {
      ctx.addIssue({ code: 'custom', path: ['storedCount'], message: `storedCount must be 0 with result '${a.result}'` });
    }
    if (a.storedCount > a.seqTo - a.seqFrom + 1) {
      ctx.addIssue({ code: 'custom', path: ['storedCount'], message: 'storedCount larger than the range' });
    }
    if (a.reason === 'sequence-gap' && a.expectedSeq === undefined) {
      ctx.addIssue({ code: 'custom', path: ['expectedSeq'], message: 'sequence-gap needs expectedSeq' });
    }
  });
export type AckMessage = z.output<typeof AckMessageSchema>;

export const encodeAck = (m: z.input<typeof AckMessageSchema>): Uint8Array => encodeMessage(AckMessageSchema, m, 'ack');
export const decodeAck = (bytes: Uint8Array): AckMessage => decodeMessage(AckMessageSchema, bytes, 'ack');
