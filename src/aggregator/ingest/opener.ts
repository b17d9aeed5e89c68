import {
  DEFAULT_MAX_MESSAGE_BYTES,
  openSignedBatch,
  openSignedEvents,
  readVerifiedBatch,
  readVerifiedEvents,
  type KeyLookup,
  type SequenceStream,
  type VerifiedEnvelope,
  verifySigned,
} from '../../wire/index.js';
import type { IngestItem } from './decide.js';
import { refusalOf } from './refusal.js';
import type { VerifiedBatch } from '../store/batch-writer.js';

export type OpenResult = { ok: true; verified: VerifiedBatch } | { ok: false; error: unknown };

/**
 * Verifies and parses a signed batch. Synchronous on purpose: it runs on the thread that stores (the
 * store worker at month-end, see worker-store.ts), right before the transaction that judges the batch.
 */
export interface BatchOpener {
  open(stream: SequenceStream, payload: Uint8Array, topicGatewayId: string): OpenResult;
  /** The same for a message whose signature the receiving thread already checked (verifySigned): parse and check the payload. */
  read(stream: SequenceStream, verified: VerifiedEnvelope): OpenResult;
}

/** Opens with the given key lookup (the central DB's registry). */
export function inlineOpener(lookupKey: KeyLookup, maxBytes: number = DEFAULT_MAX_MESSAGE_BYTES): BatchOpener {
  return {
    open(stream, payload, topicGatewayId) {
      try {
        const options = { gatewayId: topicGatewayId, maxBytes };
        if (stream === 'reads') {
          const { batch, payloadBytes, sig } = openSignedBatch(payload, lookupKey, options);
          return { ok: true, verified: { stream, batch, signed: { payload: payloadBytes, sig } } };
        }
        const { batch, payloadBytes, sig } = openSignedEvents(payload, lookupKey, options);
        return { ok: true, verified: { stream, batch, signed: { payload: payloadBytes, sig } } };
      } catch (error) {
        return { ok: false, error };
      }
    },
    read(stream, verified) {
      try {
        const signed = { payload: verified.payloadBytes, sig: verified.sig };
        const batch: VerifiedBatch =
          stream === 'reads'
            ? { stream, batch: readVerifiedBatch(verified.header, verified.payloadBytes), signed }
            : { stream, batch: readVerifiedEvents(verified.header, verified.payloadBytes), signed };
        return { ok: true, verified: batch };
      } catch (error) {
        return { ok: false, error };
      }
    },
  };
}

/**
 * Checks a reads/events message's signature now, on the receiving thread, and keeps the verified payload
 * (or why it failed) with it; the thread that stores then only parses it (decideGroup). Other kinds pass.
 */
export function withSignatureChecked(item: IngestItem, lookupKey: KeyLookup, maxBytes: number = DEFAULT_MAX_MESSAGE_BYTES): IngestItem {
  if (item.kind !== 'reads' && item.kind !== 'events') return item;
  try {
    return { ...item, checked: { ok: true, verified: verifySigned(item.payload, item.kind, lookupKey, { gatewayId: item.gatewayId, maxBytes }) } };
  } catch (error) {
    return { ...item, checked: { ok: false, refusal: refusalOf(error) } };
  }
}
