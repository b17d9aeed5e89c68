import type Database from 'better-sqlite3';
import { parseBookRow, type CmisBookRow } from '../cmis/book-row.js';
import { BookError } from './errors.js';
import type { ClosingOutcome } from './closing-store.js';
import type { StoredRowRecord } from './import-rows.js';

/**
 * Read side of the books (and their one state change), shared by the cutoff job, the export, the HTTP
 * routes and the customer look-up. Statements are prepared once. Times are epoch ms (aggregator clock).
 */

export type BookState = 'open' | 'closed' | 'exported';

export interface BookSummary {
  readonly id: number;
  /** MA_QUYEN */
  readonly code: string;
  /** MA_DVIQLY */
  readonly unit: string;
  readonly year: number;
  readonly month: number;
  /** KY, 1–3 */
  readonly subPeriod: number;
  readonly fileName: string;
  readonly state: BookState;
  /** 'last' or a day of the month, as the calendar said at the last import. */
  readonly readingDay: string;
  readonly periodStart: number;
  readonly periodEnd: number;
  readonly cutoffAt: number;
  /** Present rows (register × reading type). */
  readonly rowCount: number;
  /** Distinct metering points among the present rows. */
  readonly pointCount: number;
  readonly importCount: number;
  readonly importedAt: number;
  readonly closedAt: number | null;
  /** SHA-256 of the last imported file. */
  readonly sourceSha256: string;
}

/** A book without its row counts. */
export type BookHead = Omit<BookSummary, 'rowCount' | 'pointCount'>;

export interface BookRowView extends Omit<StoredRowRecord, 'rowJson'> {
  readonly bookId: number;
  /** Every column as CMIS sent it (canonical text), unknown ones included: what an export writes back. */
  readonly raw: Readonly<Record<string, string>>;
  /** The same row typed, ready for writeBookXml / writeBookCsv (computed on first access). */
  readonly row: CmisBookRow;
}

/**
 * A present row as the export reads it, in file order: the cells CMIS sent (row_json) and, for a periodic
 * (DDK) row that was closed, its closing's outcome, new index, status, consumption and detail (JSON).
 * An array, not an object: 5 600 of them per book, millions at month end.
 */
export type ExportSourceRow = [
  rowJson: string,
  outcome: ClosingOutcome | null,
  newIndex: string | null,
  status: string | null,
  consumption: string | null,
  detail: string | null,
];

/**
 * The same rows as two UTF-8 texts, for the export of a large book: one line per row in each (LF between
 * lines), in no particular order but the same in both. `text` holds each row's row_json; `closings` its
 * row number, then its closing's outcome, new index, status, consumption and detail, separated by U+001F,
 * empty where there is no closing (NULL and '' fill in alike). Two values out of SQLite per book instead
 * of six per row, unsorted (SQLite's sort of 5 600 lines cost more than reading them: the caller sorts
 * row numbers), and row_json never copied into a longer string. `rows` says how many lines.
 */
export interface ExportText {
  readonly text: Buffer | null;
  readonly closings: Buffer | null;
  readonly rows: number;
}

export interface PointLookup {
  readonly book: BookSummary;
  /** The point's present rows in that book, in route order. */
  readonly rows: BookRowView[];
}

interface BookDb {
  id: number;
  unit_code: string;
  book_code: string;
  year: number;
  month: number;
  sub_period: number;
  file_name: string;
  reading_day: string;
  period_start: number;
  period_end: number;
  cutoff_at: number;
  state: BookState;
  source_sha256: string;
  import_count: number;
  imported_at: number;
  closed_at: number | null;
  row_count: number;
  point_count: number;
}

/** A book_rows row as SQLite returns it (also read by the importer). */
export interface RowDb {
  book_id: number;
  metering_point: string;
  bcs: string;
  reading_type: string;
  row_no: number;
  route_position: string;
  meter_id: string | null;
  meter_serial: string | null;
  customer_code: string | null;
  customer_name: string | null;
  multiplier: string;
  old_index: string;
  row_json: string;
  present: number;
}

const BOOK_COLUMNS = `b.*,
  (SELECT count(*) FROM book_rows r WHERE r.book_id = b.id AND r.present = 1) AS row_count,
  (SELECT count(DISTINCT r.metering_point) FROM book_rows r WHERE r.book_id = b.id AND r.present = 1) AS point_count`;

/**
 * Route order: MA_GC numerically when it is all digits (2 before 10), those before any other, which
 * compare as text; then the register (KT, BT, CD, TD, VC, SG, others by name), the reading type (DDK
 * before THAO), the point and the row number, so the order is total and stable.
 */
const ROUTE_ORDER = `
  CASE WHEN r.route_position <> '' AND r.route_position NOT GLOB '*[^0-9]*' THEN 0 ELSE 1 END,
  CASE WHEN r.route_position <> '' AND r.route_position NOT GLOB '*[^0-9]*' THEN length(ltrim(r.route_position, '0')) END,
  CASE WHEN r.route_position <> '' AND r.route_position NOT GLOB '*[^0-9]*' THEN ltrim(r.route_position, '0') END,
  r.route_position,
  CASE r.bcs WHEN 'KT' THEN 0 WHEN 'BT' THEN 1 WHEN 'CD' THEN 2 WHEN 'TD' THEN 3 WHEN 'VC' THEN 4 WHEN 'SG' THEN 5 ELSE 6 END,
  r.bcs, r.reading_type, r.metering_point, r.row_no`;

export class BookStore {
  private readonly listAll: Database.Statement<[], BookDb>;
  private readonly getOne: Database.Statement<[number], BookDb>;
  private readonly getHead: Database.Statement<[number], Omit<BookDb, 'row_count' | 'point_count'>>;
  private readonly due: Database.Statement<[number], BookDb>;
  private readonly rowsAll: Database.Statement<[number], RowDb>;
  private readonly rowsPresent: Database.Statement<[number], RowDb>;
  private readonly latestBookOfPoint: Database.Statement<[string], { book_id: number }>;
  private readonly rowsOfPoint: Database.Statement<[number, string], RowDb>;
  private readonly changeState: Database.Statement<{ id: number; state: BookState; at: number }>;
  private readonly exportRows: Database.Statement<[number], ExportSourceRow>;
  private readonly exportLines: Database.Statement<[number], ExportText>;

  constructor(db: Database.Database) {
    this.listAll = db.prepare(`SELECT ${BOOK_COLUMNS} FROM books b ORDER BY b.year DESC, b.month DESC, b.book_code, b.sub_period`);
    this.getOne = db.prepare(`SELECT ${BOOK_COLUMNS} FROM books b WHERE b.id = ?`);
    // Without the counts, which scan the book's rows (milliseconds for a book of 5 600).
    this.getHead = db.prepare(`SELECT b.* FROM books b WHERE b.id = ?`);
    this.due = db.prepare(`SELECT ${BOOK_COLUMNS} FROM books b WHERE b.state = 'open' AND b.cutoff_at <= ? ORDER BY b.cutoff_at, b.id`);
    this.rowsAll = db.prepare(`SELECT r.* FROM book_rows r WHERE r.book_id = ? ORDER BY ${ROUTE_ORDER}`);
    this.rowsPresent = db.prepare(`SELECT r.* FROM book_rows r WHERE r.book_id = ? AND r.present = 1 ORDER BY ${ROUTE_ORDER}`);
    // The latest period first; the id breaks ties between books of one period (a point moved between books).
    this.latestBookOfPoint = db.prepare(
      `SELECT r.book_id FROM book_rows r JOIN books b ON b.id = r.book_id WHERE r.metering_point = ? AND r.present = 1
       ORDER BY b.year DESC, b.month DESC, b.sub_period DESC, b.id DESC LIMIT 1`,
    );
    this.rowsOfPoint = db.prepare(`SELECT r.* FROM book_rows r WHERE r.book_id = ? AND r.metering_point = ? AND r.present = 1 ORDER BY ${ROUTE_ORDER}`);
    // File order (row_no; route order only breaks ties, as rows() then a stable sort by row number did),
    // each periodic row with its closing: one statement, rows as arrays, no view objects.
    this.exportRows = db
      .prepare<[number], ExportSourceRow>(
        `SELECT r.row_json, c.outcome, c.new_index, c.status, c.consumption, c.detail
         FROM book_rows r LEFT JOIN book_closings c
           ON r.reading_type = 'DDK' AND c.book_id = r.book_id AND c.metering_point = r.metering_point AND c.bcs = r.bcs
         WHERE r.book_id = ? AND r.present = 1 ORDER BY r.row_no, ${ROUTE_ORDER}`,
      )
      .raw(true);
    this.exportLines = db.prepare<[number], ExportText>(
      `SELECT count(*) AS rows, CAST(group_concat(r.row_json, char(10)) AS BLOB) AS text, CAST(group_concat(
           r.row_no || char(31) || coalesce(c.outcome, '') || char(31) || coalesce(c.new_index, '') || char(31) ||
           coalesce(c.status, '') || char(31) || coalesce(c.consumption, '') || char(31) || coalesce(c.detail, ''),
           char(10)) AS BLOB) AS closings
       FROM book_rows r LEFT JOIN book_closings c
         ON r.reading_type = 'DDK' AND c.book_id = r.book_id AND c.metering_point = r.metering_point AND c.bcs = r.bcs
       WHERE r.book_id = ? AND r.present = 1`,
    );
    // closed_at is when the book first left 'open'; reopening clears it.
    this.changeState = db.prepare(
      `UPDATE books SET state = @state,
         closed_at = CASE WHEN @state = 'open' THEN NULL WHEN closed_at IS NULL THEN @at ELSE closed_at END
       WHERE id = @id`,
    );
  }

  /** Every book, the latest period first, then by book code. */
  listBooks(): BookSummary[] {
    return this.listAll.all().map(toSummary);
  }

  getBook(id: number): BookSummary | undefined {
    const b = this.getOne.get(id);
    return b === undefined ? undefined : toSummary(b);
  }

  /** getBook without the counts (rowCount and pointCount), which cost a scan of the book's rows. */
  getBookHead(id: number): BookHead | undefined {
    const b = this.getHead.get(id);
    return b === undefined ? undefined : toHead(b);
  }

  /** A book's rows in route order; `presentOnly` leaves out rows the last import no longer had. */
  rows(bookId: number, options: { presentOnly?: boolean } = {}): BookRowView[] {
    return (options.presentOnly ? this.rowsPresent : this.rowsAll).all(bookId).map(toRowView);
  }

  /** What an export writes: the present rows in file order, each periodic one with its closing (ExportSourceRow). */
  exportSource(bookId: number): ExportSourceRow[] {
    return this.exportRows.all(bookId);
  }

  /** exportSource as one text (ExportText). */
  exportText(bookId: number): ExportText {
    return this.exportLines.get(bookId) as ExportText;
  }

  /** The periodic (DDK) rows of a book in route order: one per metering point and register, the ones a cutoff closes. */
  periodicRows(bookId: number): BookRowView[] {
    return this.rows(bookId, { presentOnly: true }).filter((r) => r.readingType === 'DDK');
  }

  /** Open books whose cutoff has come (cutoff_at ≤ now), the earliest first. */
  booksDue(now: number): BookSummary[] {
    return this.due.all(now).map(toSummary);
  }

  /**
   * Sets a book's state. `from`, when given, is the state the caller expects (compare-and-set): a book
   * someone else closed or exported meanwhile throws BOOK_STATE_CONFLICT instead of being overwritten.
   */
  setState(bookId: number, state: BookState, at: number, options: { from?: BookState } = {}): BookSummary {
    this.changeStateOf(bookId, state, at, options);
    return toSummary(this.getOne.get(bookId) as BookDb);
  }

  /** setState without reading the book back (the export, which does not need its counts). */
  changeStateOf(bookId: number, state: BookState, at: number, options: { from?: BookState } = {}): void {
    const current = this.getHead.get(bookId);
    if (current === undefined) throw new BookError('BOOK_NOT_FOUND', `no book ${bookId}`, { context: { bookId } });
    if (options.from !== undefined && current.state !== options.from) {
      throw new BookError('BOOK_STATE_CONFLICT', `book ${bookId} (${current.book_code} ${current.year}-${current.month} KY ${current.sub_period}) is ${current.state}, expected ${options.from}`, {
        context: { bookId, state: current.state, expected: options.from },
      });
    }
    this.changeState.run({ id: bookId, state, at });
  }

  /** A metering point's rows (every register) in the latest book that has it, or undefined when no book has it. */
  pointLookup(meteringPoint: string): PointLookup | undefined {
    const latest = this.latestBookOfPoint.get(meteringPoint);
    if (latest === undefined) return undefined;
    return { book: toSummary(this.getOne.get(latest.book_id) as BookDb), rows: this.rowsOfPoint.all(latest.book_id, meteringPoint).map(toRowView) };
  }
}

function toSummary(b: BookDb): BookSummary {
  const { importCount, importedAt, closedAt, sourceSha256, ...head } = toHead(b);
  // The order the fields always had (JSON answers list them so).
  return { ...head, rowCount: b.row_count, pointCount: b.point_count, importCount, importedAt, closedAt, sourceSha256 };
}

function toHead(b: Omit<BookDb, 'row_count' | 'point_count'>): BookHead {
  return {
    id: b.id,
    code: b.book_code,
    unit: b.unit_code,
    year: b.year,
    month: b.month,
    subPeriod: b.sub_period,
    fileName: b.file_name,
    state: b.state,
    readingDay: b.reading_day,
    periodStart: b.period_start,
    periodEnd: b.period_end,
    cutoffAt: b.cutoff_at,
    importCount: b.import_count,
    importedAt: b.imported_at,
    closedAt: b.closed_at,
    sourceSha256: b.source_sha256,
  };
}

/** A book_rows row as the importer compares it (also the columns of a BookRowView). */
export function storedRowOf(r: RowDb): StoredRowRecord {
  return {
    meteringPoint: r.metering_point,
    bcs: r.bcs,
    readingType: r.reading_type,
    rowNo: r.row_no,
    routePosition: r.route_position,
    meterId: r.meter_id,
    meterSerial: r.meter_serial,
    customerCode: r.customer_code,
    customerName: r.customer_name,
    multiplier: r.multiplier,
    oldIndex: r.old_index,
    rowJson: r.row_json,
    present: r.present === 1,
  };
}

function toRowView(r: RowDb): BookRowView {
  const { rowJson, ...fields } = storedRowOf(r);
  const raw = JSON.parse(rowJson) as Record<string, string>;
  let typed: CmisBookRow | undefined;
  const view = { bookId: r.book_id, ...fields, raw };
  // Typed on first use: validating costs ~0.2 ms a row, and most readers of a large book want only the columns.
  // Stored rows passed this same validation at import, so this gives back the row, extras included.
  return Object.defineProperty(view, 'row', {
    enumerable: true,
    get: () => (typed ??= parseBookRow(raw, { file: `book ${r.book_id}`, row: r.row_no })),
  }) as BookRowView;
}
