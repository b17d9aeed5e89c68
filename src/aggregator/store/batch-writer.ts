import type Database from 'better-sqlite3';
import { deflateRawSync } from 'node:zlib';
import { checkSequence, type EventBatch, type ReadBatch, type SequenceStream } from '../../wire/index.js';
import type { RefusalLog, RefusalRecord } from './refusals.js';

/** The exact payload bytes a gateway signed, and its signature over them: the evidence kept per batch. */
export interface SignedBytes {
  payload: Uint8Array;
  sig: Uint8Array;
}

/** A verified batch, ready to be stored: the parsed batch and what was signed. */
export type VerifiedBatch = { stream: 'reads'; batch: ReadBatch; signed: SignedBytes } | { stream: 'events'; batch: EventBatch; signed: SignedBytes };

/**
 * zlib's fastest level: a month-end batch's JSON deflates to about 4 % in half a microsecond per read;
 * higher levels gain a few bytes for two or three times the CPU.
 */
const DEFLATE_LEVEL = 1;

export type StoreOutcome =
  | { result: 'stored'; verdict: 'new' | 'overlap'; storedCount: number }
  | { result: 'duplicate' }
  | { result: 'refused'; reason: 'sequence-gap'; expectedSeq: number; detail: string }
  | { result: 'refused'; reason: 'unknown-key'; detail: string };

/**
 * Stores verified batches. A whole group of batches (and the refusals seen alongside them) goes into ONE
 * transaction: with synchronous=FULL a commit is an fsync, and paying one per batch would cap the ingest far
 * below its target. Within the group each batch is judged against the stream position as the earlier
 * batches of the group left it, so the outcome is the same as committing them one by one.
 *
 * Overlap (seqFrom ≤ last < seqTo, a gateway that re-cut its batches after a crash): only the items above
 * `last` are inserted, each still `ON CONFLICT (read_id) DO NOTHING`, and the mark moves to seqTo.
 * storedCount is always the number of rows actually inserted, so for `new` it equals the item count unless
 * some readIds were already stored (a rebuilt gateway resending old reads in a new epoch).
 */
export class BatchWriter {
  private readonly sql;
  private readonly group;

  constructor(
    private readonly db: Database.Database,
    private readonly refusals: RefusalLog,
  ) {
    this.sql = {
      position: db.prepare<[string, string, string], { last_accepted_seq: number }>(
        'SELECT last_accepted_seq FROM stream_positions WHERE gateway_id = ? AND stream = ? AND epoch = ?',
      ),
      setPosition: db.prepare<[string, string, string, number, number]>(
        `INSERT INTO stream_positions (gateway_id, stream, epoch, last_accepted_seq, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (gateway_id, stream, epoch) DO UPDATE SET
           last_accepted_seq = max(last_accepted_seq, excluded.last_accepted_seq), updated_at = excluded.updated_at`,
      ),
      keyRevoked: db.prepare<[string, string], { revoked: number }>(
        'SELECT revoked FROM gateway_keys WHERE gateway_id = ? AND key_id = ?',
      ),
      batch: db.prepare<[string, string, string, number, number, string, Buffer, Uint8Array, number]>(
        `INSERT INTO signed_batches (gateway_id, stream, epoch, seq_from, seq_to, key_id, payload_deflated, sig, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      read: db.prepare(
        `INSERT INTO reads (read_id, gateway_id, epoch, seq, batch_id, meter_id, metering_point, customer_code, book_code,
           route_order, obis, bcs, value, unit, scaler, meter_time, meter_time_ms, received_at, quality, kind,
           period_start, period_end, multiplier, stored_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (read_id) DO NOTHING`,
      ),
      event: db.prepare(
        `INSERT INTO events (gateway_id, epoch, seq, batch_id, type, at, meter_id, metering_point, anomaly_id, code,
           severity, body, stored_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (gateway_id, epoch, seq) DO NOTHING`,
      ),
    };
    this.group = db.transaction((batches: readonly VerifiedBatch[], refused: readonly RefusalRecord[], now: number) => {
      const outcomes = batches.map((b) => this.storeOne(b, now));
      for (const r of refused) this.refusals.record(r);
      return outcomes;
    });
  }

  /** The high-water mark of one stream in one epoch; 0 when nothing was accepted yet. */
  position(gatewayId: string, stream: SequenceStream, epoch: string): number {
    return this.sql.position.get(gatewayId, stream, epoch)?.last_accepted_seq ?? 0;
  }

  /**
   * Stores a group in one IMMEDIATE transaction and returns one outcome per batch, in order. Throws (and
   * stores nothing, refusals included) when SQLite fails: the caller refuses the group as `store-failed`.
   */
  storeGroup(batches: readonly VerifiedBatch[], refused: readonly RefusalRecord[], now: number): StoreOutcome[] {
    return this.group.immediate(batches, refused, now);
  }

  private storeOne(v: VerifiedBatch, now: number): StoreOutcome {
    const { gatewayId, epoch, seqFrom, seqTo, keyId } = v.batch;
    // The key was looked up when the batch was opened, possibly on another thread a moment ago: a
    // revocation committed since then must still win.
    if (this.sql.keyRevoked.get(gatewayId, keyId)?.revoked !== 0) {
      return { result: 'refused', reason: 'unknown-key', detail: `key ${keyId} of ${gatewayId} was revoked or removed` };
    }
    const last = this.position(gatewayId, v.stream, epoch);
    const verdict = checkSequence(last, seqFrom, seqTo);
    if (verdict === 'duplicate') return { result: 'duplicate' };
    if (verdict === 'gap') {
      return {
        result: 'refused',
        reason: 'sequence-gap',
        expectedSeq: last + 1,
        detail: `${v.stream} epoch ${epoch}: batch starts at ${seqFrom}, last accepted ${last}`,
      };
    }
    const deflated = deflateRawSync(v.signed.payload, { level: DEFLATE_LEVEL });
    const batchId = Number(this.sql.batch.run(gatewayId, v.stream, epoch, seqFrom, seqTo, keyId, deflated, v.signed.sig, now).lastInsertRowid);
    const skip = Math.max(0, last - seqFrom + 1); // items already accepted (overlap)
    const storedCount = v.stream === 'reads' ? this.insertReads(v.batch, skip, batchId, now) : this.insertEvents(v.batch, skip, batchId, now);
    this.sql.setPosition.run(gatewayId, v.stream, epoch, seqTo, now);
    if (v.stream === 'events') this.applyPrunes(v.batch, skip, now);
    return { result: 'stored', verdict, storedCount };
  }

  private insertReads(b: ReadBatch, skip: number, batchId: number, now: number): number {
    let stored = 0;
    const stmt = this.sql.read;
    // Reads of one batch mostly share their meter time and quality flags (a month-end snapshot): derive
    // each column value once per run of equal inputs rather than once per row.
    let time = '';
    let timeMs = 0;
    let flags: readonly string[] = [];
    let quality = '';
    for (let i = skip; i < b.reads.length; i++) {
      const r = b.reads[i]!;
      if (r.meterTime !== time) {
        time = r.meterTime;
        timeMs = Date.parse(time);
      }
      if (!sameFlags(r.quality, flags)) {
        flags = r.quality;
        quality = flags.join(',');
      }
      stored += stmt.run(
        r.readId, b.gatewayId, b.epoch, b.seqFrom + i, batchId, r.meterId, r.meteringPoint, r.customerCode ?? null,
        r.bookCode ?? null, r.routeOrder ?? null, r.obis, r.bcs, r.value, r.unit, r.scaler ?? null, time,
        timeMs, r.receivedAt, quality, r.kind, r.periodStart ?? null, r.periodEnd ?? null,
        r.multiplier, now,
      ).changes;
    }
    return stored;
  }

  private insertEvents(b: EventBatch, skip: number, batchId: number, now: number): number {
    let stored = 0;
    for (let i = skip; i < b.events.length; i++) {
      const e = b.events[i]!;
      const meterId = 'meterId' in e ? (e.meterId ?? null) : null;
      const point = 'meteringPoint' in e ? (e.meteringPoint ?? null) : null;
      const anomaly = e.type === 'anomaly' ? e : undefined;
      stored += this.sql.event.run(
        b.gatewayId, b.epoch, b.seqFrom + i, batchId, e.type, e.at, meterId, point, anomaly?.anomalyId ?? null,
        anomaly?.code ?? null, anomaly?.severity ?? null, JSON.stringify(e), now,
      ).changes;
    }
    return stored;
  }

  /**
   * An `outbox-pruned` event says the gateway dropped unacked items for good: move that stream's mark over
   * the range so the gateway is not refused with sequence-gap forever. Only when the range starts at or
   * below last + 1: items before a later range may still arrive and must not be skipped.
   */
  private applyPrunes(b: EventBatch, skip: number, now: number): void {
    for (let i = skip; i < b.events.length; i++) {
      const e = b.events[i]!;
      if (e.type !== 'outbox-pruned') continue;
      const last = this.position(b.gatewayId, e.stream, e.epoch);
      if (e.seqFrom <= last + 1 && e.seqTo > last) this.sql.setPosition.run(b.gatewayId, e.stream, e.epoch, e.seqTo, now);
    }
  }
}

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length || a.length === 0) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
