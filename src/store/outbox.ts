import type Database from 'better-sqlite3';
import type { Store } from './database.js';
import { guard, StoreError } from './errors.js';
import {
  checkEntries,
  checkRange,
  toRanges,
  type AppendResult,
  type Backlog,
  type BatchRequest,
  type OutboxEntry,
  type OutboxItem,
  type OutboxStatus,
  type PruneResult,
  type RetentionPolicy,
} from './outbox-types.js';

interface ItemRow {
  seq: number;
  read_id: string;
  kind: 'read' | 'event';
  billing: 0 | 1;
  payload: string;
  bytes: number;
  created_at: number;
  sent_at: number | null;
  send_count: number;
}

interface StateRow {
  last_seq: number;
  count: number;
  bytes: number;
  billing_count: number;
  stream_id: string;
}

const DAY_MS = 86_400_000;
// Not Math.min(...xs): spreading 100 000 arguments overflows the stack.
const min = (a: number, b: number) => (b < a ? b : a);
const max = (a: number, b: number) => (b > a ? b : a);

/**
 * The gateway's store-and-forward queue. Every read gets its seq here, durably, before anything is sent;
 * the forwarder sends windows of seqs and deletes them only when the aggregator acknowledges them at
 * application level. All methods are synchronous (better-sqlite3): each call is one transaction, so a
 * SIGKILL or a power cut leaves either all of a call's effect or none of it.
 */
export class Outbox {
  readonly #path: string;
  readonly #db: Database.Database;
  readonly #now: () => number;
  readonly #s;

  constructor(store: Store, options: { now?: () => number } = {}) {
    this.#path = store.path;
    this.#db = store.db;
    this.#now = options.now ?? Date.now;
    const db = this.#db;
    this.#s = guard(this.#path, 'prepare outbox', () => ({
      state: db.prepare('SELECT last_seq, count, bytes, billing_count, stream_id FROM outbox_state WHERE id = 1'),
      pendingSeq: db.prepare('SELECT seq FROM outbox WHERE read_id = ?').pluck(),
      ackedSeq: db.prepare('SELECT seq FROM outbox_acked WHERE read_id = ?').pluck(),
      insert: db.prepare(
        'INSERT INTO outbox (seq, read_id, kind, billing, payload, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      batch: db.prepare('SELECT * FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?'),
      markSent: db.prepare('UPDATE outbox SET sent_at = ?, send_count = send_count + 1 WHERE seq BETWEEN ? AND ?'),
      remember: db.prepare(
        'INSERT OR IGNORE INTO outbox_acked (read_id, seq, acked_at) SELECT read_id, seq, ? FROM outbox WHERE seq BETWEEN ? AND ?',
      ),
      deleteRange: db.prepare('DELETE FROM outbox WHERE seq BETWEEN ? AND ?'),
      deleteOne: db.prepare('DELETE FROM outbox WHERE seq = ?'),
      oldest: db.prepare('SELECT min(created_at) FROM outbox').pluck(),
      lastSent: db.prepare('SELECT max(seq) FROM outbox WHERE sent_at IS NOT NULL').pluck(),
      evictableByAge: db.prepare('SELECT seq, bytes, created_at FROM outbox WHERE billing = 0 AND created_at < ? ORDER BY seq'),
      evictableOldest: db.prepare('SELECT seq, bytes, created_at FROM outbox WHERE billing = 0 ORDER BY seq'),
      status: db.prepare('SELECT seq, sent_at FROM outbox WHERE read_id = ?'),
      ackedStatus: db.prepare('SELECT seq, acked_at FROM outbox_acked WHERE read_id = ?'),
      forgetAcked: db.prepare('DELETE FROM outbox_acked WHERE acked_at < ?'),
    }));
  }

  /** Names this store's sequence space; a recreated store gets a new one (and starts again at seq 1). */
  get streamId(): string {
    return this.#state().stream_id;
  }

  /**
   * Stores items and gives each the next seq, all in one transaction, fsynced before returning. An item
   * whose readId is already stored (or was acked and is still remembered) is not stored again: its
   * existing seq is returned, so a poller repeating a read after a crash causes no duplicate. The first
   * stored version of a readId wins.
   */
  append(items: readonly OutboxEntry[]): AppendResult {
    return guard(this.#path, 'append', () => {
      checkEntries(items);
      const s = this.#s;
      const run = this.#db.transaction((): AppendResult => {
        let last = this.#state().last_seq;
        const fresh = new Map<string, number>();
        const seqs: number[] = [];
        for (const it of items) {
          const existing =
            fresh.get(it.readId) ?? (s.pendingSeq.get(it.readId) as number | undefined) ?? (s.ackedSeq.get(it.readId) as number | undefined);
          if (existing !== undefined) {
            seqs.push(existing);
            continue;
          }
          last += 1;
          s.insert.run(last, it.readId, it.kind, it.billing ? 1 : 0, it.payload, Buffer.byteLength(it.payload, 'utf8'), it.createdAt);
          fresh.set(it.readId, last);
          seqs.push(last);
        }
        if (seqs.length === 0) return { seqFrom: last + 1, seqTo: last, seqs, inserted: 0 };
        return { seqFrom: seqs.reduce(min), seqTo: seqs.reduce(max), seqs, inserted: fresh.size };
      });
      // IMMEDIATE: take the write lock before reading last_seq, so no other writer can slip in between.
      return run.immediate();
    });
  }

  /** The next items to send, in seq order, within both limits (always at least one item if any is left). */
  nextBatch(request: BatchRequest): OutboxItem[] {
    return guard(this.#path, 'nextBatch', () => {
      const { maxItems, maxBytes } = request;
      const afterSeq = request.afterSeq ?? 0;
      if (!Number.isSafeInteger(maxItems) || maxItems < 1 || !(maxBytes >= 1) || !Number.isSafeInteger(afterSeq) || afterSeq < 0) {
        throw new StoreError('STORE_INVALID_ARGUMENT', `outbox nextBatch: need maxItems >= 1, maxBytes >= 1, afterSeq >= 0`, {
          context: { op: 'nextBatch', maxItems, maxBytes, afterSeq },
        });
      }
      const out: OutboxItem[] = [];
      let bytes = 0;
      for (const row of this.#s.batch.iterate(afterSeq, maxItems) as IterableIterator<ItemRow>) {
        if (out.length > 0 && bytes + row.bytes > maxBytes) break;
        bytes += row.bytes;
        out.push(toItem(row));
      }
      return out;
    });
  }

  /** Records that seqFrom..seqTo went out at `at`; returns how many stored items that touched. */
  markSent(seqFrom: number, seqTo: number, at: number = this.#now()): number {
    return guard(this.#path, 'markSent', () => {
      checkRange('markSent', seqFrom, seqTo);
      return this.#s.markSent.run(at, seqFrom, seqTo).changes;
    });
  }

  /**
   * The aggregator has durably taken seqFrom..seqTo: removes exactly that range and remembers the read ids
   * (see forgetAcked). Acking again is harmless (returns 0). Acking beyond the last assigned seq means the
   * aggregator is talking about another stream, and is refused.
   */
  ack(seqFrom: number, seqTo: number, at: number = this.#now()): number {
    return guard(this.#path, 'ack', () => {
      checkRange('ack', seqFrom, seqTo);
      const run = this.#db.transaction(() => {
        const last = this.#state().last_seq;
        if (seqTo > last) {
          throw new StoreError('STORE_INVALID_ARGUMENT', `outbox ack ${seqFrom}..${seqTo}: the last seq assigned is ${last}`, {
            context: { op: 'ack', seqFrom, seqTo, lastSeq: last },
          });
        }
        this.#s.remember.run(at, seqFrom, seqTo);
        return this.#s.deleteRange.run(seqFrom, seqTo).changes;
      });
      return run.immediate();
    });
  }

  /** Exact figures for the status page and the "backlog" health event (totals kept by triggers). */
  backlog(): Backlog {
    return guard(this.#path, 'backlog', () => {
      const st = this.#state();
      return {
        count: st.count,
        oldestCreatedAt: (this.#s.oldest.get() as number | null) ?? null,
        bytes: st.bytes,
        billingCount: st.billing_count,
        lastSeq: st.last_seq,
      };
    });
  }

  /** The highest seq handed to the network and not acked yet, or null. */
  lastSentSeq(): number | null {
    return guard(this.#path, 'lastSentSeq', () => (this.#s.lastSent.get() as number | null) ?? null);
  }

  status(readId: string): OutboxStatus | undefined {
    return guard(this.#path, 'status', () => {
      const row = this.#s.status.get(readId) as { seq: number; sent_at: number | null } | undefined;
      if (row !== undefined) return { state: row.sent_at === null ? 'pending' : 'sent', seq: row.seq };
      const acked = this.#s.ackedStatus.get(readId) as { seq: number; acked_at: number } | undefined;
      return acked === undefined ? undefined : { state: 'acked', seq: acked.seq, ackedAt: acked.acked_at };
    });
  }

  /**
   * Retention when the network has been gone too long: evicts the oldest NON-billing items that are over
   * the age limit, then the oldest non-billing items while over the byte limit. Billing items are never
   * evicted, whatever the limits; if they alone exceed maxBytes, `stillOverLimit` says so. Nothing is
   * evicted while the backlog is within both limits. The result says exactly what was lost, for the
   * gateway's log and its loss event.
   */
  prune(policy: RetentionPolicy): PruneResult {
    return guard(this.#path, 'prune', () => {
      const now = policy.now ?? this.#now();
      const run = this.#db.transaction((): PruneResult => {
        const victims: { seq: number; bytes: number; created_at: number }[] = [];
        if (policy.maxAgeDays !== undefined) {
          victims.push(...(this.#s.evictableByAge.all(now - policy.maxAgeDays * DAY_MS) as typeof victims));
        }
        const st = this.#state();
        let remaining = st.bytes - victims.reduce((n, v) => n + v.bytes, 0);
        if (policy.maxBytes !== undefined && remaining > policy.maxBytes) {
          const taken = new Set(victims.map((v) => v.seq));
          for (const row of this.#s.evictableOldest.iterate() as IterableIterator<(typeof victims)[number]>) {
            if (remaining <= policy.maxBytes) break;
            if (taken.has(row.seq)) continue;
            victims.push(row);
            remaining -= row.bytes;
          }
        }
        for (const v of victims) this.#s.deleteOne.run(v.seq);
        const seqs = victims.map((v) => v.seq).sort((a, b) => a - b);
        const times = victims.map((v) => v.created_at);
        return {
          count: victims.length,
          bytes: victims.reduce((n, v) => n + v.bytes, 0),
          seqFrom: seqs[0] ?? null,
          seqTo: seqs[seqs.length - 1] ?? null,
          ranges: toRanges(seqs),
          oldestCreatedAt: times.length ? times.reduce(min) : null,
          newestCreatedAt: times.length ? times.reduce(max) : null,
          stillOverLimit: policy.maxBytes !== undefined && this.#state().bytes > policy.maxBytes,
        };
      });
      return run.immediate();
    });
  }

  /**
   * Forgets acked read ids acked before `before` (ms). After that a re-append of such an id is stored again,
   * so keep them longer than a poller could ever repeat a read (days, not minutes). Returns how many.
   */
  forgetAcked(before: number): number {
    return guard(this.#path, 'forgetAcked', () => this.#s.forgetAcked.run(before).changes);
  }

  #state(): StateRow {
    return this.#s.state.get() as StateRow;
  }
}

function toItem(r: ItemRow): OutboxItem {
  return {
    seq: r.seq,
    readId: r.read_id,
    kind: r.kind,
    billing: r.billing === 1,
    payload: r.payload,
    createdAt: r.created_at,
    bytes: r.bytes,
    sentAt: r.sent_at,
    sendCount: r.send_count,
  };
}
