import { z } from 'zod';
import { WireError } from './errors.js';

/**
 * Sequence numbers. Each gateway numbers its outgoing items in two streams, `reads` and `events`, one
 * number per item (per read record / per event), from 1, strictly increasing, with no holes. A batch
 * carries a contiguous range [seqFrom, seqTo] with seqTo − seqFrom + 1 items.
 *
 * Per item rather than per batch because the gateway's outbox numbers rows as it stores them: after a
 * crash it may re-batch the same rows with other boundaries, and the aggregator still sees exactly which
 * items it already has; acks by range map straight onto outbox deletes.
 *
 * The numbering lives in an epoch: a random id the gateway draws when it creates its outbox. A gateway
 * rebuilt from scratch (new SD card, wiped database) starts again at 1 in a new epoch instead of having
 * its first 10 000 reads silently acked as "duplicate". The aggregator keeps one high-water mark per
 * (gatewayId, stream, epoch).
 */
export const SEQUENCE_STREAMS = ['reads', 'events'] as const;
export type SequenceStream = (typeof SEQUENCE_STREAMS)[number];

export const EPOCH_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const EpochSchema = z.string().regex(EPOCH_PATTERN, 'invalid epoch id');

export type SequenceVerdict = 'new' | 'duplicate' | 'gap' | 'overlap';

/**
 * Classify a verified batch against the highest sequence number already accepted (0 when nothing has been
 * accepted in this epoch yet).
 * - `new`: seqFrom = last + 1. Store it, ack `stored`, last := seqTo.
 * - `duplicate`: seqTo ≤ last, all of it is already stored (a QoS 1 redelivery, or a gateway that missed
 *   our ack). Store nothing, ack `duplicate` so the gateway deletes it.
 * - `overlap`: seqFrom ≤ last < seqTo, partly stored (re-batched after a crash). Store the items above
 *   last (readId idempotency makes storing all of them harmless too), ack the whole range, last := seqTo.
 * - `gap`: seqFrom > last + 1, items are missing in between. Refuse with reason `sequence-gap` and
 *   expectedSeq = last + 1: accepting would raise the high-water mark over the missing items, and when the
 *   gateway resent them they would be classed as duplicates and deleted unstored. The gateway rewinds to
 *   expectedSeq. If it has lost those items for good it says so with an `outbox-pruned` event, and the
 *   aggregator moves the mark over the pruned range.
 */
export function checkSequence(lastAcceptedSeq: number, seqFrom: number, seqTo: number): SequenceVerdict {
  const ints = [lastAcceptedSeq, seqFrom, seqTo].every((n) => Number.isSafeInteger(n));
  if (!ints || lastAcceptedSeq < 0 || seqFrom < 1 || seqTo < seqFrom) {
    throw new WireError('WIRE_MALFORMED', `bad sequence range: last ${lastAcceptedSeq}, batch [${seqFrom}, ${seqTo}]`, {
      context: { path: 'seqFrom', lastAcceptedSeq, seqFrom, seqTo },
    });
  }
  if (seqTo <= lastAcceptedSeq) return 'duplicate';
  if (seqFrom <= lastAcceptedSeq) return 'overlap';
  if (seqFrom === lastAcceptedSeq + 1) return 'new';
  return 'gap';
}
