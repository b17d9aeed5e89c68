import type Database from 'better-sqlite3';
import { importBook } from '../../../src/aggregator/books/import-book.js';
import { CalendarSchema } from '../../../src/aggregator/calendar/reading-calendar.js';
import { bookFileName, writeBookXml } from '../../../src/aggregator/cmis/book-file.js';
import type { CmisBookRow } from '../../../src/aggregator/cmis/book-row.js';

/**
 * Books, reads and events for the closing and export tests, stored the way the real parts store them:
 * books through importBook (a CMIS file), reads and events as the batch writer's rows.
 */
export const calendar = CalendarSchema.parse({});

/** The March 2026 book's period end (books are read on the month's last day): 1 April 00:00 local. */
export const PE = Date.parse('2026-03-31T17:00:00Z');
export const HOUR = 3_600_000;
export const CUTOFF = PE + 6 * HOUR;

export type RowInput = Partial<CmisBookRow> & Pick<CmisBookRow, 'MA_DDO'>;

export function row(r: RowInput, period: { year?: number; month?: number } = {}): CmisBookRow {
  const month = period.month ?? 3;
  const year = period.year ?? 2026;
  return {
    MA_DVIQLY: 'PD0100',
    MA_QUYEN: 'D018328',
    MA_GC: '1',
    MA_CTO: `CT-${r.MA_DDO}`,
    SERY_CTO: `S-${r.MA_DDO}`,
    LOAI_BCS: 'KT',
    LOAI_CS: 'DDK',
    TEN_KHANG: 'Nguyễn Văn Ánh',
    DIA_CHI: '12 Trần Phú, Đà Lạt',
    HSN: '1',
    CS_CU: '12000',
    SL_CU: '300',
    NGAY_CU: `${month === 1 ? year - 1 : year}-${String(month === 1 ? 12 : month - 1).padStart(2, '0')}-28T00:00:00`,
    CS_MOI: '0',
    SLUONG_1: '300',
    SLUONG_2: '310',
    SLUONG_3: '290',
    KY: 1,
    THANG: month,
    NAM: year,
    ...r,
  };
}

/** Imports a book of these rows (as CMIS would send it) and returns its id. */
export function importRows(db: Database.Database, rows: readonly RowInput[], period: { year?: number; month?: number } = {}, now = Date.parse('2026-03-01T00:00:00Z')): number {
  const full = rows.map((r) => row(r, period));
  const first = full[0] as CmisBookRow;
  const book = { unitCode: first.MA_DVIQLY, bookCode: first.MA_QUYEN, year: first.NAM, month: first.THANG, subPeriod: first.KY };
  const xml = writeBookXml(book, full);
  return importBook(db, { fileName: bookFileName(book), bytes: Buffer.from(xml, 'utf8') }, { calendar, now }).bookId;
}

let seq = 0;

export interface ReadInput {
  point: string;
  meter?: string;
  bcs?: string;
  value: string;
  at: number;
  kind?: 'billing-snapshot' | 'register' | 'load-profile';
  unit?: string;
  quality?: string;
}

/** A read as the batch writer stores it; returns its read id. */
export function addRead(db: Database.Database, r: ReadInput): string {
  seq++;
  const meter = r.meter ?? `CT-${r.point}`;
  const kind = r.kind ?? 'register';
  const readId = `GW1|${meter}|1.0.1.8.0.255|${kind}|${new Date(r.at).toISOString()}|${seq}`;
  db.prepare(
    `INSERT INTO reads (read_id, gateway_id, epoch, seq, batch_id, meter_id, metering_point, obis, bcs, value, unit, meter_time, meter_time_ms,
       received_at, quality, kind, multiplier, stored_at)
     VALUES (?, 'GW1', 'e1', ?, 1, ?, ?, '1.0.1.8.0.255', ?, ?, ?, ?, ?, ?, ?, ?, '1', ?)`,
  ).run(readId, seq, meter, r.point, r.bcs ?? 'KT', r.value, r.unit ?? 'kWh', new Date(r.at).toISOString(), r.at, new Date(r.at + 60_000).toISOString(), r.quality ?? 'ok', kind, r.at + 60_000);
  return readId;
}

/** An anomaly event (raised or cleared) as the batch writer stores it; returns the events row id. */
export function addAnomaly(db: Database.Database, a: { point: string; meter?: string; anomalyId: string; code: string; state: 'raised' | 'cleared'; at: number; severity?: string; evidence?: Record<string, unknown> }): number {
  seq++;
  const meter = a.meter ?? `CT-${a.point}`;
  const body = {
    type: 'anomaly',
    at: new Date(a.at).toISOString(),
    anomalyId: a.anomalyId,
    state: a.state,
    code: a.code,
    severity: a.severity ?? 'warning',
    meterId: meter,
    meteringPoint: a.point,
    evidence: a.evidence ?? { index: '12000', since: '2026-03-20T00:00:00Z' },
    thresholds: { days: 3 },
  };
  return Number(
    db
      .prepare(
        `INSERT INTO events (gateway_id, epoch, seq, batch_id, type, at, meter_id, metering_point, anomaly_id, code, severity, body, stored_at)
         VALUES ('GW1', 'e1', ?, 1, 'anomaly', ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(seq, body.at, meter, a.point, a.anomalyId, a.code, body.severity, JSON.stringify(body), a.at)
      .lastInsertRowid,
  );
}
