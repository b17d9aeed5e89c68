import type Database from 'better-sqlite3';
import type { Store } from './database.js';
import { guard, StoreError, toStoreError } from './errors.js';

/** One good register read as detection needs it. */
export interface RegisterRead {
  readonly meterId: string;
  /** The register's name as the gateway uses it (OBIS code or BCS); opaque to the store. */
  readonly register: string;
  /** Exact decimal string after scaling (e.g. "12345.678"): never a float, billing compares digits. */
  readonly value: string;
  readonly unit?: string | null;
  /** The meter's own clock for the read (ms), null if the meter gave none. */
  readonly meterTime: number | null;
  /** The gateway's clock when the answer arrived (ms). */
  readonly receivedAt: number;
}

export interface MeterHealth {
  readonly consecutiveFailures: number;
  readonly lastSuccessAt: number | null;
  readonly lastFailureAt: number | null;
  readonly lastErrorCode: string | null;
}

/** A meter_reads row as `last` returns it (raw mode): meter_id, register, value, unit, meter_time, received_at. */
type RawReadRow = [string, string, string, string | null, number | null, number];

const DECIMAL = /^-?\d+(\.\d+)?$/;
const DAY_MS = 86_400_000;

/**
 * The gateway's short memory of each meter: the last `keepPerRegister` good reads per register (enough to
 * spot a stuck, rolled-over or jumping register), behind them the first read of each local day for
 * `dailyDays` days (the weeks a spike is judged against, without keeping every 4-hourly poll of them), how
 * its recent polls went, and a few keys of state (e.g. the last load-profile entry caught up). Trimmed on
 * every write so it stays small on an SD card; the full history lives at the aggregator.
 */
export class ReadHistory {
  readonly #path: string;
  readonly #db: Database.Database;
  readonly #keep: number;
  readonly #dailyMs: number;
  readonly #offsetMs: number;
  readonly #now: () => number;
  readonly #s;

  /**
   * `dailyDays` (default 0: none) keeps the first read of each local day that far back behind the newest
   * `keepPerRegister`; `localOffsetMs` says where the local day starts (UTC+7: 7 h).
   */
  constructor(store: Store, options: { keepPerRegister?: number; dailyDays?: number; localOffsetMs?: number; now?: () => number } = {}) {
    this.#path = store.path;
    this.#db = store.db;
    this.#keep = options.keepPerRegister ?? 16;
    const dailyDays = options.dailyDays ?? 0;
    this.#dailyMs = dailyDays * DAY_MS;
    this.#offsetMs = options.localOffsetMs ?? 0;
    this.#now = options.now ?? Date.now;
    if (!Number.isSafeInteger(this.#keep) || this.#keep < 1) {
      throw new StoreError('STORE_INVALID_ARGUMENT', `read history: keepPerRegister must be a positive integer, got ${this.#keep}`);
    }
    if (!Number.isSafeInteger(dailyDays) || dailyDays < 0) {
      throw new StoreError('STORE_INVALID_ARGUMENT', `read history: dailyDays must be a whole number ≥ 0, got ${dailyDays}`);
    }
    if (!Number.isSafeInteger(this.#offsetMs) || Math.abs(this.#offsetMs) >= DAY_MS) {
      throw new StoreError('STORE_INVALID_ARGUMENT', `read history: localOffsetMs must be whole ms within a day, got ${this.#offsetMs}`);
    }
    const db = this.#db;
    this.#s = guard(this.#path, 'prepare read history', () => ({
      insert: db.prepare(
        `INSERT INTO meter_reads (meter_id, register, value, unit, meter_time, received_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      ),
      // Same ORDER BY expression as the meter_reads_recent index, so both queries walk the index.
      last: db.prepare(
        `SELECT meter_id, register, value, unit, meter_time, received_at FROM meter_reads WHERE meter_id = ? AND register = ?
         ORDER BY coalesce(meter_time, received_at) DESC, id DESC LIMIT ?`,
      ).raw(),
      // Behind the newest @keep, a read stays only while it is younger than @since and the first received on
      // its local day (bare column with min(): SQLite returns the id of the row holding the minimum).
      trim: db.prepare(
        `DELETE FROM meter_reads WHERE meter_id = @meter AND register = @register AND id NOT IN (
           SELECT id FROM meter_reads WHERE meter_id = @meter AND register = @register
           ORDER BY coalesce(meter_time, received_at) DESC, id DESC LIMIT @keep)
         AND (received_at < @since OR id NOT IN (
           SELECT id FROM (SELECT id, min(received_at) FROM meter_reads WHERE meter_id = @meter AND register = @register
             GROUP BY (received_at + CAST(@offset AS INTEGER)) / ${DAY_MS})))`,
      ),
      failure: db.prepare(
        `INSERT INTO meter_health (meter_id, consecutive_failures, last_failure_at, last_error_code) VALUES (@meter, 1, @at, @code)
         ON CONFLICT (meter_id) DO UPDATE SET consecutive_failures = consecutive_failures + 1,
           last_failure_at = @at, last_error_code = @code`,
      ),
      success: db.prepare(
        `INSERT INTO meter_health (meter_id, consecutive_failures, last_success_at) VALUES (@meter, 0, @at)
         ON CONFLICT (meter_id) DO UPDATE SET consecutive_failures = 0, last_success_at = @at`,
      ),
      health: db.prepare('SELECT * FROM meter_health WHERE meter_id = ?'),
      getState: db.prepare('SELECT value FROM meter_state WHERE meter_id = ? AND key = ?').pluck(),
      allState: db.prepare('SELECT key, value FROM meter_state WHERE meter_id = ? ORDER BY key'),
      setState: db.prepare(
        `INSERT INTO meter_state (meter_id, key, value, updated_at) VALUES (@meter, @key, @value, @at)
         ON CONFLICT (meter_id, key) DO UPDATE SET value = @value, updated_at = @at`,
      ),
      deleteState: db.prepare('DELETE FROM meter_state WHERE meter_id = ? AND key = ?'),
      forget: [
        db.prepare('DELETE FROM meter_reads WHERE meter_id = ?'),
        db.prepare('DELETE FROM meter_health WHERE meter_id = ?'),
        db.prepare('DELETE FROM meter_state WHERE meter_id = ?'),
      ],
    }));
  }

  /**
   * Keeps good reads (one transaction for all). A read with the same meter, register and meter time as one
   * already kept is ignored: a repeated poll after a crash is the same read. Returns how many were new.
   */
  record(...reads: RegisterRead[]): number {
    return guard(this.#path, 'record read', () => {
      reads.forEach(checkRead);
      const run = this.#db.transaction(() => {
        let inserted = 0;
        const touched = new Map<string, RegisterRead>();
        for (const r of reads) {
          inserted += this.#s.insert.run(r.meterId, r.register, r.value, r.unit ?? null, r.meterTime, r.receivedAt).changes;
          touched.set(JSON.stringify([r.meterId, r.register]), r);
        }
        const since = this.#dailyMs === 0 ? Number.MAX_SAFE_INTEGER : this.#now() - this.#dailyMs;
        for (const r of touched.values()) this.#s.trim.run({ meter: r.meterId, register: r.register, keep: this.#keep, since, offset: this.#offsetMs });
        return inserted;
      });
      return run.immediate();
    });
  }

  /**
   * Runs `work` as one transaction: every write in it (reads, health, state) commits together with one
   * fsync (synchronous=FULL) instead of one per call. A poll cycle of 1 000 meters makes about 4 000 writes;
   * committed one by one they kept the gateway blocked in fsync for tens of seconds per cycle on an SD card.
   * All or nothing: if `work` throws, none of its writes are kept. Calls nest (an inner one is a savepoint).
   */
  batch<T>(work: () => T): T {
    // What `work` throws passes through as it is; only beginning or committing the transaction is ours.
    const thrown: unknown[] = [];
    const run = this.#db.transaction(() => {
      try {
        return work();
      } catch (e) {
        thrown.push(e);
        throw e;
      }
    });
    try {
      return run.immediate();
    } catch (e) {
      if (thrown.includes(e)) throw e;
      throw toStoreError(e, this.#path, 'batch');
    }
  }

  /** The newest `n` kept reads of a register, newest first (by meter time, or receive time without one). */
  lastReads(meterId: string, register: string, n: number): RegisterRead[] {
    return guard(this.#path, 'lastReads', () =>
      // Raw rows (arrays): detection asks for up to keepPerRegister rows per register of every meter each
      // cycle, and one object per row instead of two halves that churn.
      (this.#s.last.all(meterId, register, Math.max(0, Math.trunc(n))) as RawReadRow[]).map((r) => ({
        meterId: r[0],
        register: r[1],
        value: r[2],
        unit: r[3],
        meterTime: r[4],
        receivedAt: r[5],
      })),
    );
  }

  /** A poll of the meter failed with `code` (e.g. a MeterError code). */
  recordFailure(meterId: string, at: number, code: string): void {
    guard(this.#path, 'recordFailure', () => this.#s.failure.run({ meter: meterId, at, code }));
  }

  /** A poll of the meter succeeded: the failure streak ends. The last error code is kept for the record. */
  recordSuccess(meterId: string, at: number): void {
    guard(this.#path, 'recordSuccess', () => this.#s.success.run({ meter: meterId, at }));
  }

  meterHealth(meterId: string): MeterHealth {
    return guard(this.#path, 'meterHealth', () => {
      const row = this.#s.health.get(meterId) as
        | { consecutive_failures: number; last_success_at: number | null; last_failure_at: number | null; last_error_code: string | null }
        | undefined;
      return {
        consecutiveFailures: row?.consecutive_failures ?? 0,
        lastSuccessAt: row?.last_success_at ?? null,
        lastFailureAt: row?.last_failure_at ?? null,
        lastErrorCode: row?.last_error_code ?? null,
      };
    });
  }

  getState(meterId: string, key: string): string | undefined {
    return guard(this.#path, 'getState', () => this.#s.getState.get(meterId, key) as string | undefined);
  }

  setState(meterId: string, key: string, value: string, at: number = this.#now()): void {
    guard(this.#path, 'setState', () => this.#s.setState.run({ meter: meterId, key, value, at }));
  }

  deleteState(meterId: string, key: string): boolean {
    return guard(this.#path, 'deleteState', () => this.#s.deleteState.run(meterId, key).changes > 0);
  }

  /** All state keys of a meter, sorted by key. */
  states(meterId: string): Record<string, string> {
    return guard(this.#path, 'states', () =>
      Object.fromEntries((this.#s.allState.all(meterId) as { key: string; value: string }[]).map((r) => [r.key, r.value])),
    );
  }

  /** Drops everything about a meter (removed from the gateway's registry). */
  forgetMeter(meterId: string): void {
    guard(this.#path, 'forgetMeter', () => this.#db.transaction(() => this.#s.forget.forEach((st) => st.run(meterId))).immediate());
  }
}

function checkRead(r: RegisterRead, i: number): void {
  const bad = (what: string) =>
    new StoreError('STORE_INVALID_ARGUMENT', `read history record: read ${i} (${r?.meterId} ${r?.register}): ${what}`, {
      context: { op: 'record read', item: i },
    });
  if (typeof r.meterId !== 'string' || r.meterId === '') throw bad('meterId must be a non-empty string');
  if (typeof r.register !== 'string' || r.register === '') throw bad('register must be a non-empty string');
  if (typeof r.value !== 'string' || !DECIMAL.test(r.value)) throw bad(`value must be a decimal string, got ${JSON.stringify(r.value)}`);
  if (r.meterTime !== null && !Number.isSafeInteger(r.meterTime)) throw bad('meterTime must be integer ms or null');
  if (!Number.isSafeInteger(r.receivedAt)) throw bad('receivedAt must be integer ms');
}
