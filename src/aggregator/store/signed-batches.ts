import type Database from 'better-sqlite3';
import { inflateRawSync } from 'node:zlib';
import { errorMessage } from '../../shared/errors.js';
import { loadPublicKey, verify, type SequenceStream } from '../../wire/index.js';

/** One stored batch with what its gateway signed: the exact payload bytes and the signature over them. */
export interface StoredSignedBatch {
  id: number;
  gatewayId: string;
  stream: SequenceStream;
  epoch: string;
  seqFrom: number;
  seqTo: number;
  keyId: string;
  payload: Uint8Array;
  sig: Uint8Array;
  receivedAt: number;
}

export type StoredBatchCheck =
  | { verdict: 'verified'; batch: StoredSignedBatch }
  | { verdict: 'bad-signature' | 'unknown-key' | 'unreadable'; detail: string };

interface Row {
  id: number;
  gateway_id: string;
  stream: SequenceStream;
  epoch: string;
  seq_from: number;
  seq_to: number;
  key_id: string;
  envelope: Buffer | null;
  payload_deflated: Buffer | null;
  sig: Buffer | null;
  received_at: number;
}

/**
 * The evidence behind stored reads (schema v3): each accepted batch as its gateway signed it, so a read can
 * be shown, years later, to come from that gateway's key. Rows from before v3 hold the envelope text as it
 * was received; later ones the deflated payload and the signature. Both read back to the same bytes.
 */
export class SignedBatches {
  private readonly sql;

  constructor(db: Database.Database) {
    this.sql = {
      batch: db.prepare<[number], Row>('SELECT * FROM signed_batches WHERE id = ?'),
      // Revoked keys included: a batch signed before the revocation was genuine then.
      key: db.prepare<[string, string], { public_key_pem: string }>('SELECT public_key_pem FROM gateway_keys WHERE gateway_id = ? AND key_id = ?'),
    };
  }

  /** The batch's signed bytes, or undefined when there is no such batch. Throws when a stored row cannot be decoded. */
  read(id: number): StoredSignedBatch | undefined {
    const row = this.sql.batch.get(id);
    if (row === undefined) return undefined;
    const { payload, sig } = signedBytesOf(row);
    return {
      id: row.id,
      gatewayId: row.gateway_id,
      stream: row.stream,
      epoch: row.epoch,
      seqFrom: row.seq_from,
      seqTo: row.seq_to,
      keyId: row.key_id,
      payload,
      sig,
      receivedAt: row.received_at,
    };
  }

  /** Checks a stored batch's signature again with the registered key that signed it. */
  verify(id: number): StoredBatchCheck {
    let batch: StoredSignedBatch | undefined;
    try {
      batch = this.read(id);
    } catch (e) {
      return { verdict: 'unreadable', detail: `signed batch ${id}: ${errorMessage(e)}` };
    }
    if (batch === undefined) return { verdict: 'unreadable', detail: `signed batch ${id} is not stored` };
    const pem = this.sql.key.get(batch.gatewayId, batch.keyId)?.public_key_pem;
    if (pem === undefined) return { verdict: 'unknown-key', detail: `signed batch ${id}: key ${batch.keyId} of ${batch.gatewayId} is not registered` };
    if (!verify(batch.payload, batch.sig, loadPublicKey(pem))) {
      return { verdict: 'bad-signature', detail: `signed batch ${id}: the signature does not verify with key ${batch.keyId} of ${batch.gatewayId}` };
    }
    return { verdict: 'verified', batch };
  }
}

function signedBytesOf(row: Row): { payload: Uint8Array; sig: Uint8Array } {
  if (row.payload_deflated !== null && row.sig !== null) return { payload: inflateRawSync(row.payload_deflated), sig: row.sig };
  if (row.envelope === null) throw new Error('the row holds neither an envelope nor a signed payload');
  const envelope = JSON.parse(row.envelope.toString('utf8')) as { payload?: unknown; sig?: unknown };
  if (typeof envelope.payload !== 'string' || typeof envelope.sig !== 'string') throw new Error('the stored envelope has no payload or sig text');
  return { payload: Buffer.from(envelope.payload, 'base64'), sig: Buffer.from(envelope.sig, 'base64') };
}
