import { basename } from 'node:path';
import type Database from 'better-sqlite3';
import type { Clock } from '../../shared/clock.js';
import { bookFileName, checksum, parseBookFileName, parseBookXml, type CmisBook } from '../cmis/book-file.js';
import { cutoffInstant, periodEndInstant, readingDayOf, type Calendar, type ReadingDay } from '../calendar/reading-calendar.js';
import { storedRowOf, type RowDb } from './book-store.js';
import { BookError } from './errors.js';
import { diffRows, rowRecords, type RowRecord, type StoredRowRecord } from './import-rows.js';

/**
 * Importing a CMIS book file (B1–B3: CMIS hands the book out) into the central database. One file is one
 * book for one period (MA_QUYEN, NAM, THANG, KY); importing it again updates the rows in place — new
 * points added, changed meters and customers rewritten, rows gone marked absent — and never touches
 * reads, closings, flags or exports, which belong to the month's work, not to CMIS. A book already closed
 * or exported is refused: its period is over and CMIS must send the next period's book.
 */

export interface BookUpload {
  /** The file's name (a path is reduced to its last part), e.g. D018328-2017-7-1.xml. */
  readonly fileName: string;
  readonly bytes: Uint8Array;
}

export interface ImportOptions {
  readonly calendar: Calendar;
  /** The aggregator's time (ms): imported_at. */
  readonly now: number;
}

export interface ImportResult {
  readonly bookId: number;
  readonly bookCode: string;
  readonly year: number;
  readonly month: number;
  readonly subPeriod: number;
  readonly outcome: 'created' | 'updated' | 'unchanged';
  /** Rows in the file. */
  readonly rows: number;
  /** Rows new to the book (or back after a re-import had dropped them). */
  readonly added: number;
  /** Rows whose content changed (meter, customer, old index …). */
  readonly changed: number;
  /** Rows the file no longer has, now marked absent. */
  readonly removed: number;
}

export interface BookPeriod {
  readonly readingDay: ReadingDay;
  /** The previous month's period end: where this period starts. */
  readonly periodStart: number;
  /** 00:00 local after the (shifted) session day: the meters' billing-snapshot instant. */
  readonly periodEnd: number;
  /** When the book closes: the calendar's cutoff time on the day after the session. */
  readonly cutoffAt: number;
}

/** The period a book covers, from the calendar (its reading day, shifts and cutoff time). */
export function bookPeriod(calendar: Calendar, bookCode: string, year: number, month: number): BookPeriod {
  const readingDay = readingDayOf(calendar, bookCode);
  const [py, pm] = month === 1 ? [year - 1, 12] : [year, month - 1];
  return {
    readingDay,
    periodStart: periodEndInstant(calendar, bookCode, readingDay, py, pm),
    periodEnd: periodEndInstant(calendar, bookCode, readingDay, year, month),
    cutoffAt: cutoffInstant(calendar, bookCode, readingDay, year, month),
  };
}

interface StoredBook {
  id: number;
  unit_code: string;
  state: 'open' | 'closed' | 'exported';
  source_sha256: string;
}


const bookName = (b: CmisBook): string => bookFileName(b).replace(/\.xml$/, '');

/**
 * Parses and stores one book file in one transaction. Throws CmisError (the file does not parse, or its
 * rows are of several books: the message names file, row and column) or BookError (duplicate rows, a
 * closed book, another unit). Nothing is written when it throws.
 */
export function importBook(db: Database.Database, file: BookUpload, opts: ImportOptions): ImportResult {
  const fileName = basename(file.fileName);
  const sha = checksum(file.bytes);
  const find = db.prepare<[string, number, number, number], StoredBook>(
    'SELECT id, unit_code, state, source_sha256 FROM books WHERE book_code = ? AND year = ? AND month = ? AND sub_period = ?',
  );
  const same = sameAsStored(find, fileName, sha);
  if (same !== undefined) return same;

  const { book, rows } = parseBookXml(file.bytes, fileName);
  const records = rowRecords(fileName, rows);
  const period = bookPeriod(opts.calendar, book.bookCode, book.year, book.month);
  const base = { bookCode: book.bookCode, year: book.year, month: book.month, subPeriod: book.subPeriod, rows: records.length };

  const insertBook = db.prepare(
    `INSERT INTO books (unit_code, book_code, year, month, sub_period, file_name, reading_day, period_start, period_end, cutoff_at, source_sha256, imported_at)
     VALUES (@unit, @code, @year, @month, @subPeriod, @fileName, @readingDay, @periodStart, @periodEnd, @cutoffAt, @sha, @now)`,
  );
  const updateBook = db.prepare(
    `UPDATE books SET file_name = @fileName, reading_day = @readingDay, period_start = @periodStart, period_end = @periodEnd,
       cutoff_at = @cutoffAt, source_sha256 = @sha, import_count = import_count + 1, imported_at = @now WHERE id = @id`,
  );
  const storedRows = db.prepare<[number], RowDb>('SELECT * FROM book_rows WHERE book_id = ?');
  const upsertRow = db.prepare(
    `INSERT INTO book_rows (book_id, metering_point, bcs, reading_type, row_no, route_position, meter_id, meter_serial,
       customer_code, customer_name, multiplier, old_index, row_json, present)
     VALUES (@bookId, @meteringPoint, @bcs, @readingType, @rowNo, @routePosition, @meterId, @meterSerial,
       @customerCode, @customerName, @multiplier, @oldIndex, @rowJson, 1)
     ON CONFLICT (book_id, metering_point, bcs, reading_type) DO UPDATE SET row_no = excluded.row_no,
       route_position = excluded.route_position, meter_id = excluded.meter_id, meter_serial = excluded.meter_serial,
       customer_code = excluded.customer_code, customer_name = excluded.customer_name, multiplier = excluded.multiplier,
       old_index = excluded.old_index, row_json = excluded.row_json, present = 1`,
  );
  const markAbsent = db.prepare('UPDATE book_rows SET present = 0 WHERE book_id = ? AND metering_point = ? AND bcs = ? AND reading_type = ?');
  const writeRows = (bookId: number, list: readonly RowRecord[]) => {
    for (const r of list) upsertRow.run({ bookId, ...r });
  };
  const bookParams = { fileName, readingDay: String(period.readingDay), periodStart: period.periodStart, periodEnd: period.periodEnd, cutoffAt: period.cutoffAt, sha, now: opts.now };

  const run = db.transaction((): ImportResult => {
    const stored = find.get(book.bookCode, book.year, book.month, book.subPeriod);
    if (stored === undefined) {
      const id = Number(insertBook.run({ ...bookParams, unit: book.unitCode, code: book.bookCode, year: book.year, month: book.month, subPeriod: book.subPeriod }).lastInsertRowid);
      writeRows(id, records);
      return { bookId: id, ...base, outcome: 'created', added: records.length, changed: 0, removed: 0 };
    }
    if (stored.state !== 'open') throw closedError(fileName, bookName(book), stored);
    if (stored.unit_code !== book.unitCode) {
      throw new BookError(
        'BOOK_UNIT_MISMATCH',
        `${fileName}: book ${bookName(book)} is stored for unit ${stored.unit_code}, this file is of unit ${book.unitCode} (MA_DVIQLY)`,
        { context: { file: fileName, bookId: stored.id, storedUnit: stored.unit_code, unit: book.unitCode } },
      );
    }
    if (stored.source_sha256 === sha) return { bookId: stored.id, ...base, outcome: 'unchanged', added: 0, changed: 0, removed: 0 };
    const diff = diffRows(storedRows.all(stored.id).map(storedRowOf), records);
    updateBook.run({ ...bookParams, id: stored.id });
    writeRows(stored.id, [...diff.inserts, ...diff.updates]);
    for (const r of diff.removals) markAbsent.run(stored.id, r.meteringPoint, r.bcs, r.readingType);
    return { bookId: stored.id, ...base, outcome: 'updated', added: diff.added, changed: diff.changed, removed: diff.removed };
  });
  // IMMEDIATE: take the write lock before reading the book's state, so another process cannot close it between.
  return run.immediate();
}

function closedError(fileName: string, name: string, stored: StoredBook): BookError {
  return new BookError('BOOK_CLOSED', `${fileName}: book ${name} is already ${stored.state}: its period is over, CMIS must send the next period's book`, {
    context: { file: fileName, bookId: stored.id, state: stored.state },
  });
}

/**
 * The answer for a file identical to the stored book its name announces, without parsing it (parsing a
 * large book takes seconds): the same bytes were parsed when stored, and the reader then checked that the
 * name and the rows agree. Undefined when the name announces no stored book or the bytes differ.
 */
function sameAsStored(find: Database.Statement<[string, number, number, number], StoredBook>, fileName: string, sha: string): ImportResult | undefined {
  const named = parseBookFileName(fileName);
  if (named === undefined) return undefined;
  const stored = find.get(named.bookCode, named.year, named.month, named.subPeriod);
  if (stored === undefined || stored.source_sha256 !== sha) return undefined;
  const name = bookFileName(named).replace(/\.xml$/, '');
  if (stored.state !== 'open') throw closedError(fileName, name, stored);
  const rows = find.database.prepare<[number], { n: number }>('SELECT count(*) AS n FROM book_rows WHERE book_id = ? AND present = 1').get(stored.id)?.n ?? 0;
  return { bookId: stored.id, ...named, outcome: 'unchanged', rows, added: 0, changed: 0, removed: 0 };
}


/** The importer the service hands to the folder scan and the HTTP route: the database, calendar and clock bound. */
export function bookImporter(db: Database.Database, deps: { calendar: Calendar; clock: Pick<Clock, 'now'> }): (file: BookUpload) => ImportResult {
  return (file) => importBook(db, file, { calendar: deps.calendar, now: deps.clock.now() });
}
