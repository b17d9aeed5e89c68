import { errorMessage } from '../../shared/errors.js';
import { decodeHeartbeat, decodeStatus, type AckMessage, type SequenceStream, type VerifiedEnvelope } from '../../wire/index.js';
import type { StoreOutcome, VerifiedBatch } from '../store/batch-writer.js';
import type { CentralDb } from '../store/central-db.js';
import type { RefusalRecord } from '../store/refusals.js';
import type { BatchOpener } from './opener.js';
import { peekRange, refusalOf, type Refusal } from './refusal.js';

/**
 * The half of the ingest that needs the database: what becomes of each message of a group (stored,
 * duplicate, refused, applied) and storing it, all in one transaction for the batches. It neither logs,
 * counts nor acks: it returns what the other half (pipeline.ts, on the MQTT client's thread) must say.
 * That split lets it run on the main thread (inline-store.ts) or on a worker thread with its own
 * connection (worker-store.ts), with the same outcome message for message.
 */

/** The gateway→aggregator kinds the ingest handles. */
export type IngestKind = SequenceStream | 'status' | 'heartbeat';

/** One MQTT message, as received; `gatewayId` and `kind` come from its topic. */
export interface IngestItem {
  kind: IngestKind;
  topic: string;
  gatewayId: string;
  payload: Uint8Array;
  /**
   * A reads/events message may arrive with its signature already checked on the receiving thread
   * (worker-store.ts): the verified payload, or why it did not verify. Without either, it is opened here.
   */
  checked?: { ok: true; verified: VerifiedEnvelope } | { ok: false; refusal: Refusal };
}

/** What an ack says besides the fields the pipeline fills in (v, gatewayId, stream, at). */
export type AckFields = Omit<AckMessage, 'v' | 'gatewayId' | 'stream' | 'at'>;

export type ItemResult =
  | { type: 'stored'; verdict: 'new' | 'overlap'; storedCount: number; ack: AckFields }
  | { type: 'duplicate'; ack: AckFields }
  /** No `ack` when there is nobody to tell (not enrolled) or the message is too broken to name a range. */
  | { type: 'refused'; refusal: Refusal; ack?: AckFields }
  | { type: 'applied'; kind: 'status' | 'heartbeat'; state?: string; reason?: string }
  /** An empty status payload: clears a retained message at the broker, nothing to do here. */
  | { type: 'ignored' };

/** Something that went wrong on our side while deciding, for the pipeline to log as an error. */
export interface Problem {
  message: string;
  fields: Record<string, unknown>;
}

export interface GroupOutcome {
  /** One per item, in the items' order. */
  results: ItemResult[];
  problems: Problem[];
}

/** The parts of the central database the decisions use. */
export type DecideDb = Pick<CentralDb, 'writer' | 'gateways' | 'refusals'>;

interface Opened {
  index: number;
  batch: VerifiedBatch;
}

interface Refused {
  index: number;
  refusal: Refusal;
}

/**
 * Decides and stores a group. Batches are opened (verified, parsed) here, then stored in one transaction
 * together with the refusals of those that did not open; a batch is judged against the stream position as
 * the earlier batches of the group left it. Status and heartbeat messages are applied after that commit,
 * each on its own, as they always were. Throws only on a bug: SQLite failures become refusals.
 */
export function decideGroup(items: readonly IngestItem[], now: number, db: DecideDb, opener: BatchOpener): GroupOutcome {
  const results: ItemResult[] = new Array<ItemResult>(items.length);
  const problems: Problem[] = [];
  const safeRecordAll = (records: readonly RefusalRecord[]): void => {
    try {
      db.refusals.recordAll(records);
    } catch (e) {
      problems.push({ message: 'could not write refusals to the refusals log', fields: { err: errorMessage(e), count: records.length } });
    }
  };

  const verified: Opened[] = [];
  const refused: Refused[] = [];
  items.forEach((item, index) => {
    if (item.kind !== 'reads' && item.kind !== 'events') return;
    if (item.checked?.ok === false) {
      refused.push({ index, refusal: explain(db, item, item.checked.refusal) });
      return;
    }
    const r = item.checked === undefined ? opener.open(item.kind, item.payload, item.gatewayId) : opener.read(item.kind, item.checked.verified);
    if (r.ok) verified.push({ index, batch: r.verified });
    else refused.push({ index, refusal: explain(db, item, refusalOf(r.error)) });
  });

  const preRecords = refused.map(({ index, refusal }) => record(items[index]!, refusal, now));
  let outcomes: StoreOutcome[] = [];
  if (verified.length > 0 || preRecords.length > 0) {
    try {
      outcomes = db.writer.storeGroup(
        verified.map((v) => v.batch),
        preRecords,
        now,
      );
    } catch (e) {
      // Nothing of the group was stored. Refuse its batches as store-failed (transient: the gateway retries).
      problems.push({ message: 'storing a group of batches failed', fields: { err: errorMessage(e), batches: verified.length } });
      const failure: Refusal = { reason: 'store-failed', code: (e as { code?: string }).code ?? 'STORE_FAILED', detail: errorMessage(e) };
      for (const v of verified) refused.push({ index: v.index, refusal: failure });
      safeRecordAll([...preRecords, ...verified.map((v) => record(items[v.index]!, failure, now))]);
      verified.length = 0;
    }
  }

  // Everything below is told only after the commit above.
  const lateRefusals: RefusalRecord[] = [];
  verified.forEach(({ index, batch }, i) => {
    const o = outcomes[i]!;
    const range = { epoch: batch.batch.epoch, seqFrom: batch.batch.seqFrom, seqTo: batch.batch.seqTo };
    if (o.result === 'refused') {
      const refusal: Refusal = { reason: o.reason, code: o.reason === 'sequence-gap' ? 'SEQUENCE_GAP' : 'KEY_REVOKED', detail: o.detail };
      lateRefusals.push(record(items[index]!, refusal, now, range));
      const ack: AckFields = { ...range, result: 'refused', reason: o.reason, detail: o.detail, storedCount: 0, ...(o.reason === 'sequence-gap' ? { expectedSeq: o.expectedSeq } : {}) };
      results[index] = { type: 'refused', refusal, ack };
    } else if (o.result === 'duplicate') {
      results[index] = { type: 'duplicate', ack: { ...range, result: 'duplicate', storedCount: 0 } };
    } else {
      results[index] = { type: 'stored', verdict: o.verdict, storedCount: o.storedCount, ack: { ...range, result: 'stored', storedCount: o.storedCount } };
    }
  });
  safeRecordAll(lateRefusals);
  for (const { index, refusal } of refused) {
    const item = items[index]!;
    const range = db.gateways.exists(item.gatewayId) ? peekRange(item.payload) : undefined; // nobody to tell, or no range to name
    results[index] =
      range === undefined
        ? { type: 'refused', refusal }
        : { type: 'refused', refusal, ack: { ...range, result: 'refused', reason: refusal.reason, detail: refusal.detail.slice(0, 500), storedCount: 0 } };
  }

  items.forEach((item, index) => {
    if (item.kind === 'status' || item.kind === 'heartbeat') results[index] = applyState(db, item, item.kind, now, safeRecordAll);
  });
  return { results, problems };
}

/** Birth / will / shutdown and heartbeats: gateway state, not acked. An empty payload clears a retained status. */
function applyState(
  db: DecideDb,
  item: IngestItem,
  kind: 'status' | 'heartbeat',
  now: number,
  safeRecordAll: (records: readonly RefusalRecord[]) => void,
): ItemResult {
  if (item.payload.length === 0) return { type: 'ignored' };
  const refuse = (refusal: Refusal): ItemResult => {
    safeRecordAll([record({ gatewayId: item.gatewayId, topic: item.topic }, refusal, now)]);
    return { type: 'refused', refusal };
  };
  try {
    const msg = kind === 'status' ? { status: decodeStatus(item.payload) } : { heartbeat: decodeHeartbeat(item.payload) };
    const named = msg.status?.gatewayId ?? msg.heartbeat?.gatewayId;
    if (named !== item.gatewayId) {
      return refuse({ reason: 'gateway-mismatch', code: 'WIRE_GATEWAY_MISMATCH', detail: `${kind} names ${named} on ${item.gatewayId}'s topic` });
    }
    const applied = msg.status !== undefined ? db.gateways.applyStatus(msg.status, now) : db.gateways.applyHeartbeat(msg.heartbeat!, now);
    if (!applied) return refuse({ reason: 'unknown-gateway', code: 'WIRE_UNKNOWN_GATEWAY', detail: `${kind} from ${item.gatewayId}, which is not enrolled` });
    if (msg.status === undefined) return { type: 'applied', kind };
    return { type: 'applied', kind, state: msg.status.state, ...(msg.status.reason === undefined ? {} : { reason: msg.status.reason }) };
  } catch (e) {
    return refuse(refusalOf(e));
  }
}

/** A revoked key looks like an unknown one to the wire; say which, for the operator. */
function explain(db: DecideDb, item: IngestItem, refusal: Refusal): Refusal {
  if (refusal.reason !== 'unknown-key') return refusal;
  const keyId = peekKeyId(item.payload);
  if (keyId !== undefined && db.gateways.keyStatus(item.gatewayId, keyId) === 'revoked') {
    return { ...refusal, detail: `${refusal.detail} (revoked)` };
  }
  return refusal;
}

/** A refusals-log row for a message (or a message without payload: bad topic, status, heartbeat). */
export function record(
  entry: { gatewayId: string | null; topic: string; payload?: Uint8Array },
  refusal: Refusal,
  now: number,
  range = entry.payload === undefined ? undefined : peekRange(entry.payload),
): RefusalRecord {
  return {
    at: now,
    stage: 'ingest',
    gatewayId: entry.gatewayId,
    topic: entry.topic,
    reason: refusal.reason,
    code: refusal.code,
    detail: refusal.detail,
    epoch: range?.epoch ?? null,
    seqFrom: range?.seqFrom ?? null,
    seqTo: range?.seqTo ?? null,
  };
}

function peekKeyId(bytes: Uint8Array): string | undefined {
  try {
    const env = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as { keyId?: unknown };
    return typeof env.keyId === 'string' ? env.keyId : undefined;
  } catch {
    return undefined;
  }
}
