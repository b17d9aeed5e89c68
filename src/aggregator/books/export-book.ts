import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { join, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { bookFileName, checksum, writeBookBytes, writeBookFiles, type BookBytes, type CmisBook } from '../cmis/book-file.js';
import type { CmisBookRow } from '../cmis/book-row.js';
import type { ByteCells } from '../cmis/byte-cells.js';
import { isCmisError } from '../cmis/errors.js';
import { sqliteCodeOf } from '../../store/errors.js';
import { BookStore, type BookRowView, type ExportText } from './book-store.js';
import { readDateOf } from './close-book.js';
import { ClosingError } from './closing-errors.js';
import { ClosingStore, type ClosingRecord, type ExportRecord } from './closing-store.js';
import { BookError } from './errors.js';
import { ESTIMATE_COLUMN, exportByteCells, exportSourceCells, REVIEW_COLUMN } from './export-cells.js';

/**
 * Exporting a closed book back to CMIS (B4: the electronic listing). The rows are the ones CMIS sent
 * (every column, unknown ones included) with the new read filled in from the closing:
 * - read: CS_MOI the index, TTR_MOI the status ('' or Q), SL_MOI the consumption, NGAY_MOI the read
 *   date (the last day of the period, local, `YYYY-MM-DDT00:00:00`). After a swap SL_MOI is the installed
 *   meter's part and SL_THAO the removed meter's (close-book.ts says which columns carry what).
 * - estimated (tạm tính): the same, plus an extra column `TAM_TINH` = 1 on that row only. CMIS has no
 *   status code for an estimate (TTR is about the meter), so the mark is a column of its own; the status
 *   follows the normal rules ('' or Q when the estimate wrapped the register).
 * - needs-review (reaches here only through an override): CS_MOI the index the meter showed, NGAY_MOI, and
 *   an extra column `CAN_KIEM_TRA` = 1; TTR_MOI and SL_MOI left empty. The index is what the meter really
 *   shows and CMIS needs it to correct the point, but no status explains its fall, so no consumption is
 *   computed: CMIS refuses a lower index without a status, and the point is billed only once someone there
 *   sets one (a swap, a rollover, tamper).
 * - field-read: CS_MOI and SL_MOI left empty, the rest as imported: the point is read in the field.
 * - THAO rows and anything else: passed through as imported.
 * The writer orders rows by route (compareBookRows); we hand them over in file order.
 *
 * Files: `<exportDir>/<book>-<year>-<month>-<KY>/v<N>/<book>-<year>-<month>-<KY>.xml` and `.csv`, plus
 * `SHA256SUMS` (sha256sum format). Nothing in them depends on the export time, so the same closings give
 * the same bytes; when they equal the latest version's, that version is returned (no new folder, no new
 * record). A new version is written to a temporary folder and renamed into place, so a folder v<N> is
 * always complete.
 */
export interface ExportOptions {
  readonly exportDir: string;
  readonly now: number;
  /** Export despite open blocking flags: who and why (the note is required and kept in book_exports). */
  readonly override?: { readonly by?: string | undefined; readonly note: string };
}

export interface ExportResult {
  readonly export: ExportRecord;
  /** True when the content equalled the latest export: that version was returned. */
  readonly reused: boolean;
  readonly dir: string;
  readonly sumsFile: string;
}

export { ESTIMATE_COLUMN, REVIEW_COLUMN } from './export-cells.js';

/** The rows to write, in file order, with the closings filled in (pure). */
export function exportRows(rows: readonly BookRowView[], closings: readonly ClosingRecord[], readDate: string): CmisBookRow[] {
  const byKey = new Map(closings.map((c) => [`${c.meteringPoint}\u0000${c.bcs}`, c]));
  return [...rows]
    .sort((a, b) => a.rowNo - b.rowNo)
    .map((r) => {
      const c = r.readingType === 'DDK' ? byKey.get(`${r.meteringPoint}\u0000${r.bcs}`) : undefined;
      if (c === undefined) return r.row;
      if (c.outcome === 'field-read') return { ...r.row, CS_MOI: '', SL_MOI: '' };
      if (c.outcome === 'needs-review') {
        return { ...r.row, CS_MOI: c.newIndex ?? '', TTR_MOI: '', SL_MOI: '', NGAY_MOI: `${readDate}T00:00:00`, extra: { ...(r.row.extra ?? {}), [REVIEW_COLUMN]: '1' } };
      }
      const swap = c.detail.swap as { newMeterConsumption: string; removedConsumption: string } | undefined;
      const filled: CmisBookRow = {
        ...r.row,
        CS_MOI: c.newIndex ?? '',
        TTR_MOI: (c.status ?? '') as CmisBookRow['TTR_MOI'], // '' or Q: what closeRegister and estimateRead give
        SL_MOI: swap?.newMeterConsumption ?? c.consumption ?? '',
        NGAY_MOI: `${readDate}T00:00:00`,
        ...(swap === undefined ? {} : { SL_THAO: swap.removedConsumption }),
      };
      return c.outcome === 'estimated' ? { ...filled, extra: { ...(r.row.extra ?? {}), [ESTIMATE_COLUMN]: '1' } } : filled;
    });
}

export function exportBook(db: Database.Database, bookId: number, opts: ExportOptions): ExportResult {
  const books = new BookStore(db);
  const store = new ClosingStore(db);
  const book = books.getBookHead(bookId);
  if (book === undefined) throw new BookError('BOOK_NOT_FOUND', `no book ${bookId}`, { context: { bookId } });
  const cmisBook: CmisBook = { unitCode: book.unit, bookCode: book.code, year: book.year, month: book.month, subPeriod: book.subPeriod };
  const xmlName = bookFileName(cmisBook);
  const base = xmlName.replace(/\.xml$/, '');
  const csvName = `${base}.csv`;
  if (book.state === 'open') {
    throw new ClosingError('EXPORT_NOT_CLOSED', `book ${base} is not closed yet (cutoff ${new Date(book.cutoffAt).toISOString()}): close it before exporting`, { context: { bookId } });
  }
  const override = opts.override === undefined ? undefined : { by: opts.override.by?.trim() || null, note: opts.override.note.trim() };
  if (override !== undefined && override.note === '') {
    throw new ClosingError('EXPORT_OVERRIDE_NOTE', `book ${base}: an override needs a note saying why the open flags may be ignored`, { context: { bookId } });
  }
  const blocking = store.flagsOfBook(bookId).filter((f) => f.blocking && f.state === 'open');
  if (blocking.length > 0 && override === undefined) {
    const shown = blocking.slice(0, 5).map((f) => `${f.code} ${f.meteringPoint} ${f.bcs} (flag ${f.id})`).join(', ');
    throw new ClosingError('EXPORT_BLOCKED', `book ${base} has ${blocking.length} open blocking flag(s): ${shown}${blocking.length > 5 ? ' …' : ''}; decide them, or export with an override and a note`, {
      context: { bookId, blocking: blocking.length },
    });
  }

  const files = bookFiles(books, bookId, cmisBook, readDateOf(book));
  const { xml, csv } = files;
  // The written bytes are read back with the import's own reader and row validation, and must give
  // exactly the cells meant: a writer bug, or a closing value an import would refuse, stops the export.
  let differs: string | undefined;
  try {
    differs = files.readsBack(xml);
  } catch (e) {
    if (!isCmisError(e)) throw e;
    differs = e.message;
  }
  if (differs !== undefined) {
    throw new ClosingError('EXPORT_VERIFY_FAILED', `book ${base}: the written XML does not read back to the rows meant: ${differs}`, { context: { bookId } });
  }
  const xmlSha256 = checksum(xml);
  const csvSha256 = checksum(csv);
  const sums = Buffer.from(`${xmlSha256}  ${xmlName}\n${csvSha256}  ${csvName}\n`, 'utf8');

  const same = (e: ExportRecord): boolean =>
    e.xmlSha256 === xmlSha256 && e.csvSha256 === csvSha256 && sameFile(e.xmlFile, xml) && sameFile(e.csvFile, csv);
  const reuse = (e: ExportRecord): ExportResult => {
    if (books.getBookHead(bookId)?.state !== 'exported') books.changeStateOf(bookId, 'exported', opts.now);
    const dir = resolve(e.xmlFile, '..');
    return { export: e, reused: true, dir, sumsFile: join(dir, 'SHA256SUMS') };
  };
  const seen = store.latestExport(bookId);
  if (seen !== undefined && same(seen)) return db.transaction(() => reuse(seen))();

  // The files go to a folder of this export's own (process and thread: the month-end pool exports on
  // worker threads while an operator may export the same book over HTTP), then the version is chosen,
  // the folder renamed and the record added under the database's write lock, so two exports of one book
  // never take the same version, and one that finds the other's equal files reuses them.
  const bookDir = resolve(opts.exportDir, base);
  const tmp = join(bookDir, `.export.tmp-${process.pid}-${threadId}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileSync(join(tmp, xmlName), xml);
    writeFileSync(join(tmp, csvName), csv);
    writeFileSync(join(tmp, 'SHA256SUMS'), sums);
    return db.transaction((): ExportResult => {
      const latest = store.latestExport(bookId);
      if (latest !== undefined && same(latest)) return reuse(latest);
      const version = (latest?.version ?? 0) + 1;
      const dir = join(bookDir, `v${version}`);
      // A folder v<N> without a record is what a crash between rename and insert leaves: it is ours to replace.
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
      const record = store.addExport({
        bookId,
        version,
        xmlFile: join(dir, xmlName),
        csvFile: join(dir, csvName),
        xmlSha256,
        csvSha256,
        rows: files.rows,
        createdAt: opts.now,
        overrideBy: override?.by ?? null,
        overrideNote: override?.note ?? null,
      });
      books.changeStateOf(bookId, 'exported', opts.now);
      return { export: record, reused: false, dir, sumsFile: join(dir, 'SHA256SUMS') };
    }).immediate();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The two files of a book and their read-back check. The rows are read as one text and written from its
 * bytes (export-cells.ts, cmis/book-bytes.ts); a book that way cannot vouch for (a row to validate with the
 * schema, a value XML cannot carry, an odd name, a text too long for SQLite) is written the plain way, from
 * cells as strings, which says what is wrong with it. Both give the same bytes for the same rows.
 */
function bookFiles(books: BookStore, bookId: number, book: CmisBook, readDate: string): BookBytes & { rows: number } {
  let text: ExportText | undefined;
  try {
    text = books.exportText(bookId);
  } catch (e) {
    if (sqliteCodeOf(e) !== 'SQLITE_TOOBIG') throw e; // beyond SQLite's longest text: the plain way reads row by row
  }
  const cells = text === undefined ? undefined : exportByteCells(text, readDate);
  const fast = cells === undefined ? undefined : writeBookBytes(book, cells);
  if (fast !== undefined) return { ...fast, rows: (cells as ByteCells).count };
  const rows = exportSourceCells(books.exportSource(bookId), readDate);
  const files = writeBookFiles(book, rows);
  return { xml: Buffer.from(files.xml, 'utf8'), csv: Buffer.from(files.csv, 'utf8'), readsBack: files.readsBack, rows: rows.length };
}

function sameFile(path: string, bytes: Buffer): boolean {
  return existsSync(path) && readFileSync(path).equals(bytes);
}
