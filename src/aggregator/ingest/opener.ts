import { DEFAULT_MAX_MESSAGE_BYTES, openSignedBatch, openSignedEvents, type KeyLookup, type SequenceStream } from '../../wire/index.js';
import type { VerifiedBatch } from '../store/batch-writer.js';

export type OpenResult = { ok: true; verified: VerifiedBatch } | { ok: false; error: unknown };

/**
 * Verifies and parses a signed batch. The ingest only needs this interface, so the work can run inline
 * (tests, small sites) or on worker threads (month-end load: schema validation is the costliest step of
 * the whole ingest path and is independent per batch).
 */
export interface BatchOpener {
  open(stream: SequenceStream, payload: Uint8Array, topicGatewayId: string): OpenResult | Promise<OpenResult>;
  close?(): Promise<void>;
}

/** Opens on the calling thread with the given key lookup (the central DB's registry). */
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
