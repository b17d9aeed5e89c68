import type Database from 'better-sqlite3';

/** A `reverifications` row as SQLite gives it back (schema v2). */
export interface ReverificationRow {
  id: number;
  command_id: string;
  gateway_id: string;
  metering_point: string;
  meter_id: string;
  requested_by: string | null;
  requested_at: number;
  expires_at: number;
  state: 'sent' | 'answered' | 'failed' | 'expired';
  stored_read_id: string | null;
  stored_value: string | null;
  new_read_id: string | null;
  new_value: string | null;
  verdict: 'match' | 'advanced' | 'mismatch' | null;
  detail: string | null;
  answered_at: number | null;
}

/** What a read in `reads` contributes to a comparison. */
export interface StoredRead {
  read_id: string;
  gateway_id: string;
  meter_id: string;
  obis: string;
  value: string;
  unit: string | null;
  meter_time_ms: number;
  quality: string;
  stored_at: number;
}

const READ_COLUMNS = 'read_id, gateway_id, meter_id, obis, value, unit, meter_time_ms, quality, stored_at';

/**
 * "Open" means the command may still bring an answer: sent and not answered, or answered (the gateway
 * said it read) and the read not yet arrived. One open request per point at a time.
 */
export const OPEN = "(state = 'sent' OR (state = 'answered' AND verdict IS NULL))";

/** The SQL the phúc tra needs, prepared once. */
export function reverifyQueries(db: Database.Database) {
  return {
    /** The most recent read of the point, whatever the register: which meter and gateway serve it now. */
    latestOfPoint: db.prepare<[string], StoredRead>(
      `SELECT ${READ_COLUMNS} FROM reads WHERE metering_point = ? ORDER BY meter_time_ms DESC, id DESC LIMIT 1`,
    ),
    /** The latest KT read of that meter at that point: the index to verify (plain read or snapshot). */
    latestKt: db.prepare<[string, string], StoredRead>(
      `SELECT ${READ_COLUMNS} FROM reads
       WHERE metering_point = ? AND meter_id = ? AND bcs = 'KT' AND kind IN ('register', 'billing-snapshot')
       ORDER BY meter_time_ms DESC, id DESC LIMIT 1`,
    ),
    pointInBooks: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM book_rows WHERE metering_point = ?'),
    readById: db.prepare<[string], StoredRead>(`SELECT ${READ_COLUMNS} FROM reads WHERE read_id = ?`),
    /** Register reads of the meter's register stored since the request, oldest stored first. */
    readsSince: db.prepare<[string, string, string, number], StoredRead>(
      `SELECT ${READ_COLUMNS} FROM reads
       WHERE metering_point = ? AND meter_id = ? AND obis = ? AND kind = 'register' AND stored_at >= ?
       ORDER BY stored_at, id LIMIT 50`,
    ),
    openForPoint: db.prepare<[string], ReverificationRow>(`SELECT * FROM reverifications WHERE metering_point = ? AND ${OPEN} LIMIT 1`),
    open: db.prepare<[], ReverificationRow>(`SELECT * FROM reverifications WHERE ${OPEN} ORDER BY id`),
    byCommand: db.prepare<[string], ReverificationRow>('SELECT * FROM reverifications WHERE command_id = ?'),
    byId: db.prepare<[number], ReverificationRow>('SELECT * FROM reverifications WHERE id = ?'),
    insert: db.prepare<[string, string, string, string, string | null, number, number, string, string, string]>(
      `INSERT INTO reverifications (command_id, gateway_id, metering_point, meter_id, requested_by, requested_at, expires_at,
         state, stored_read_id, stored_value, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'sent', ?, ?, ?)`,
    ),
    fail: db.prepare<[string, number, number]>(`UPDATE reverifications SET state = 'failed', detail = ?, answered_at = ? WHERE id = ? AND ${OPEN}`),
    answered: db.prepare<[string, number, number]>(`UPDATE reverifications SET state = 'answered', detail = ?, answered_at = ? WHERE id = ? AND state = 'sent'`),
    verdict: db.prepare<[string, string, string, string, number, number]>(
      `UPDATE reverifications SET state = 'answered', new_read_id = ?, new_value = ?, verdict = ?, detail = ?,
         answered_at = coalesce(answered_at, ?) WHERE id = ? AND ${OPEN}`,
    ),
    expire: db.prepare<[string, number]>(`UPDATE reverifications SET state = 'expired', detail = ? WHERE id = ? AND ${OPEN}`),
  };
}
export type ReverifyQueries = ReturnType<typeof reverifyQueries>;
