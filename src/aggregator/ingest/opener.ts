import { DEFAULT_MAX_MESSAGE_BYTES, openSignedBatch, openSignedEvents, type KeyLookup, type SequenceStream } from '../../wire/index.js';
import type { VerifiedBatch } from '../store/batch-writer.js';

export type OpenResult = { ok: true; verified: VerifiedBatch } | { ok: false; error: unknown };

/**
 * Verifies and parses a signed batch. Synchronous on purpose: it runs on the thread that stores (the
 * store worker at month-end, see worker-store.ts), right before the transaction that judges the batch.
 */
export interface BatchOpener {
  open(stream: SequenceStream, payload: Uint8Array, topicGatewayId: string): OpenResult;
}

/** Opens with the given key lookup (the central DB's registry). */
export function inlineOpener(lookupKey: KeyLookup, maxBytes: number = DEFAULT_MAX_MESSAGE_BYTES): BatchOpener {
  return {
    open(stream, payload, topicGatewayId) {
      try {
        const options = { gatewayId: topicGatewayId, maxBytes };
        const verified: VerifiedBatch =
          stream === 'reads'
            ? { stream, batch: openSignedBatch(payload, lookupKey, options).batch, envelope: payload }
            : { stream, batch: openSignedEvents(payload, lookupKey, options).batch, envelope: payload };
        return { ok: true, verified };
      } catch (error) {
        return { ok: false, error };
      }
    },
  };
}
