import type { KeyObject } from 'node:crypto';
import type { OutboxItem } from '../../store/index.js';
import { isWireError, signBatch, signEvents, type SequenceStream } from '../../wire/index.js';
import { ForwarderError } from './errors.js';

/** Which outbox kind each wire stream carries: one outbox (one sequence space) per stream. */
export const KIND_OF_STREAM = { reads: 'read', events: 'event' } as const;

export interface Signer {
  readonly gatewayId: string;
  readonly keyId: string;
  readonly privateKey: KeyObject;
}

/**
 * The longest prefix of `items` without a hole in seq. Retention (Outbox.prune) can delete rows in the
 * middle of the backlog; a batch must be one contiguous range, so it stops before a hole. The aggregator
 * answers the batch after the hole with a sequence gap until the gateway's `outbox-pruned` event moves its
 * mark over the range.
 */
export function contiguousPrefix(items: readonly OutboxItem[]): OutboxItem[] {
  const out: OutboxItem[] = [];
  for (const item of items) {
    const prev = out[out.length - 1];
    if (prev !== undefined && item.seq !== prev.seq + 1) break;
    out.push(item);
  }
  return out;
}

/**
 * Outbox rows → the signed MQTT payload for `…/reads` or `…/events`. The rows hold the wire record as JSON
 * text; it is parsed here and validated again by the signer, so a bad row is found before it leaves.
 * Throws FORWARDER_BAD_ITEM naming the first row that cannot be sent.
 */
export function signItems(
  stream: SequenceStream,
  items: readonly OutboxItem[],
  epoch: string,
  createdAt: number,
  signer: Signer,
): Uint8Array {
  const first = items[0];
  const last = items[items.length - 1];
  if (first === undefined || last === undefined) throw new ForwarderError('FORWARDER_BAD_ITEM', `${stream}: empty batch`);
  const records = items.map((item) => {
    if (item.kind !== KIND_OF_STREAM[stream]) {
      throw badItem(stream, item, `kind '${item.kind}' in the ${stream} outbox (each stream needs its own outbox: one sequence per stream)`);
    }
    try {
      return JSON.parse(item.payload) as unknown;
    } catch (cause) {
      throw badItem(stream, item, 'payload is not JSON', cause);
    }
  });
  if (last.seq - first.seq + 1 !== items.length) {
    throw badItem(stream, first, `rows ${first.seq}..${last.seq} are not contiguous (${items.length} rows): cut at holes first`);
  }
  const header = {
    gatewayId: signer.gatewayId,
    epoch,
    seqFrom: first.seq,
    seqTo: last.seq,
    createdAt: new Date(createdAt).toISOString(),
  };
  try {
    return stream === 'reads'
      ? signBatch({ ...header, reads: records as never }, signer.privateKey, signer.keyId)
      : signEvents({ ...header, events: records as never }, signer.privateKey, signer.keyId);
  } catch (cause) {
    if (!isWireError(cause)) throw cause;
    const index = /^(?:reads|events)\[(\d+)\]/.exec(String(cause.context['path'] ?? ''))?.[1];
    const culprit = index === undefined ? first : (items[Number(index)] ?? first);
    throw badItem(stream, culprit, `${cause.code}: ${cause.message}`, cause);
  }
}

function badItem(stream: SequenceStream, item: OutboxItem, what: string, cause?: unknown): ForwarderError {
  return new ForwarderError('FORWARDER_BAD_ITEM', `${stream} outbox seq ${item.seq} (readId ${item.readId}): ${what}`, {
    cause,
    context: { stream, seq: item.seq, readId: item.readId },
  });
}
