import { createHash } from 'node:crypto';
import { REGISTER_ORDER } from './columns.js';
import { parseBookRow, rowError, type CmisBookRow, type RowLocation } from './book-row.js';
import { writeCellBytes } from './book-bytes.js';
import { readsBackExactly } from './book-verify.js';
import { cellsDiffer, prepareCells, prepareTyped, writeBookTexts, type BookCells, type Prepared } from './book-write.js';
import type { ByteCells } from './byte-cells.js';
import { CmisError } from './errors.js';
import { XmlScanner, type XmlEvents } from './xml-read.js';

/**
 * A CMIS book file: one book (sổ GCS) for one sub-period, in the .NET DataSet layout
 * `<NewDataSet><Table1>…columns…</Table1>…</NewDataSet>`, named `<book>-<year>-<month>-<sub-period>.xml`.
 */
export interface CmisBook {
  /** MA_DVIQLY */
  readonly unitCode: string;
  /** MA_QUYEN */
  readonly bookCode: string;
  /** NAM */
  readonly year: number;
  /** THANG */
  readonly month: number;
  /** KY, 1–3 */
  readonly subPeriod: number;
}

export interface CmisBookFile {
  readonly book: CmisBook;
  readonly rows: CmisBookRow[];
}

const ROOT = 'NewDataSet';
const ROW = 'Table1';
const FILE_NAME_RE = /^(.+)-(\d{4})-(\d{1,2})-(\d)\.xml$/i;

export function bookFileName(book: Pick<CmisBook, 'bookCode' | 'year' | 'month' | 'subPeriod'>): string {
  return `${book.bookCode}-${book.year}-${book.month}-${book.subPeriod}.xml`;
}

/** The book and period a file name announces, or undefined when the name does not follow the pattern. */
export function parseBookFileName(fileName: string): Omit<CmisBook, 'unitCode'> | undefined {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const m = FILE_NAME_RE.exec(base);
  if (!m) return undefined;
  return { bookCode: m[1] as string, year: Number(m[2]), month: Number(m[3]), subPeriod: Number(m[4]) };
}

/** The inline schema .NET writes with XmlWriteMode.WriteSchema: any `schema` element (xs:, xsd: or none). */
function isSchema(name: string): boolean {
  return name === 'schema' || name.endsWith(':schema');
}

function bookOf(row: CmisBookRow): CmisBook {
  return { unitCode: row.MA_DVIQLY, bookCode: row.MA_QUYEN, year: row.NAM, month: row.THANG, subPeriod: row.KY };
}

function sameBook(a: CmisBook, b: CmisBook): string | undefined {
  if (a.unitCode !== b.unitCode) return `MA_DVIQLY ${b.unitCode} ≠ ${a.unitCode}`;
  if (a.bookCode !== b.bookCode) return `MA_QUYEN ${b.bookCode} ≠ ${a.bookCode}`;
  if (a.year !== b.year) return `NAM ${b.year} ≠ ${a.year}`;
  if (a.month !== b.month) return `THANG ${b.month} ≠ ${a.month}`;
  if (a.subPeriod !== b.subPeriod) return `KY ${b.subPeriod} ≠ ${a.subPeriod}`;
  return undefined;
}

function layoutError(file: string, scanner: XmlScanner, pos: number, message: string): CmisError {
  const { line, column } = scanner.where(pos);
  return new CmisError('CMIS_BAD_LAYOUT', `${file}: line ${line}, column ${column}: ${message}`, {
    context: { file, line, column },
  });
}

/** A row as read: its cells (column → text as written) and where its <Table1> starts. */
export interface ReadBookRow {
  readonly cells: Record<string, string>;
  readonly pos: number;
}

/**
 * Collects the rows from the scanner's events (no element tree): the root must be <NewDataSet>, its
 * children <Table1> rows, theirs columns holding text only. The first layout problem is kept and thrown
 * once the whole file has been scanned, so that a syntax error anywhere is reported first, as before.
 */
class RowCollector implements XmlEvents {
  readonly rows: ReadBookRow[] = [];
  problem: CmisError | undefined;
  private depth = 0;
  private cells: Record<string, string> = {};
  private rowPos = 0;
  private cell = '';
  private cellPos = 0;
  private cellText = '';
  /** Text directly inside the root or a row since the last tag: must be white space. */
  private loose = '';
  private loosePos = -1;
  private looseDepth = 0;

  constructor(
    private readonly file: string,
    private readonly scanner: XmlScanner,
  ) {}

  private flagged(message: string, pos: number): void {
    if (this.problem !== undefined) return;
    this.problem = layoutError(this.file, this.scanner, pos, message);
  }

  private checkLoose(): void {
    if (this.loosePos < 0) return;
    const trimmed = this.loose.trim();
    if (trimmed !== '') {
      if (this.looseDepth === 1) this.flagged(`text ${JSON.stringify(trimmed.slice(0, 20))} directly inside <${ROOT}>`, this.loosePos);
      else this.flagged(`text directly inside <${ROW}> row ${this.rows.length + 1}`, this.loosePos);
    }
    this.loose = '';
    this.loosePos = -1;
  }

  start(name: string, _attributes: unknown, pos: number): void {
    const depth = this.depth++;
    if (this.problem !== undefined) return;
    if (depth === 0) {
      if (name !== ROOT) this.flagged(`root element is <${name}>, expected <${ROOT}> (a .NET DataSet)`, pos);
      return;
    }
    if (depth <= 2) this.checkLoose();
    if (depth === 1) {
      if (name !== ROW) this.flagged(`unexpected <${name}> in <${ROOT}>, expected <${ROW}> rows`, pos);
      this.cells = {};
      this.rowPos = pos;
    } else if (depth === 2) {
      this.cell = name;
      this.cellPos = pos;
      this.cellText = '';
    } else if (depth === 3) {
      this.flagged(`column <${this.cell}> in row ${this.rows.length + 1} holds elements, expected text`, this.cellPos);
    }
  }

  text(text: string, pos: number): void {
    if (this.problem !== undefined) return;
    if (this.depth === 3) this.cellText += text;
    else if (this.depth === 1 || this.depth === 2) {
      if (this.loosePos < 0) {
        this.loosePos = pos;
        this.looseDepth = this.depth;
      }
      this.loose += text;
    }
  }

  end(): void {
    const depth = --this.depth;
    if (this.problem !== undefined) return;
    if (depth === 2) {
      // a cell's end
      if (Object.prototype.hasOwnProperty.call(this.cells, this.cell)) {
        this.flagged(`column <${this.cell}> appears twice in row ${this.rows.length + 1}`, this.cellPos);
      } else this.cells[this.cell] = this.cellText;
    } else if (depth === 1) {
      this.checkLoose();
      if (this.problem === undefined) this.rows.push({ cells: this.cells, pos: this.rowPos });
    } else if (depth === 0) this.checkLoose();
  }
}

/**
 * The rows of a book file as text cells, in file order, after checking it is well-formed XML in the
 * DataSet layout; no row validation. `where(pos)` gives a row's line. For callers that compare cells
 * (the export's read-back check) and for parseBookXml.
 */
export function readBookCells(input: string | Uint8Array, file: string): { rows: ReadBookRow[]; where: (pos: number) => { line: number; column: number } } {
  const read = scanBook(input, file);
  if (read.problem !== undefined) throw read.problem;
  return read;
}

function scanBook(input: string | Uint8Array, file: string): { rows: ReadBookRow[]; problem: CmisError | undefined; where: (pos: number) => { line: number; column: number } } {
  const scanner = new XmlScanner(input, { source: file, skipElement: isSchema });
  const collector = new RowCollector(file, scanner);
  scanner.run(collector);
  return { rows: collector.rows, problem: collector.problem, where: (pos) => scanner.where(pos) };
}

/** Reads a book file (text, or bytes in UTF-8/UTF-16); every row must be of the same book and period. */
export function parseBookXml(input: string | Uint8Array, fileName?: string): CmisBookFile {
  const file = fileName ?? 'book';
  // Rows before a layout problem are validated first: the first error in the file is the one reported.
  const { rows: read, problem, where: whereOf } = scanBook(input, file);
  const rows: CmisBookRow[] = [];
  let book: CmisBook | undefined;
  for (let i = 0; i < read.length; i++) {
    const { cells: raw, pos } = read[i] as ReadBookRow;
    // The line is worked out only if an error names it.
    const where: RowLocation = {
      file,
      row: i + 1,
      get line() {
        return whereOf(pos).line;
      },
    };
    const row = parseBookRow(raw, where);
    const rowBook = bookOf(row);
    if (book === undefined) book = rowBook;
    const differs = sameBook(book, rowBook);
    if (differs !== undefined) {
      const err = rowError(where, raw, undefined, ` belongs to another book or period than row 1 (${differs})`);
      throw new CmisError('CMIS_BOOK_MISMATCH', err.message, { context: err.context });
    }
    rows.push(row);
  }
  if (problem !== undefined) throw problem;
  if (book === undefined) throw new CmisError('CMIS_EMPTY_BOOK', `${file}: the book has no <${ROW}> rows`, { context: { file } });
  const named = fileName === undefined ? undefined : parseBookFileName(fileName);
  if (named !== undefined) {
    const differs = sameBook({ ...named, unitCode: book.unitCode }, book);
    if (differs !== undefined) {
      throw new CmisError('CMIS_BOOK_MISMATCH', `${file}: the file name says ${bookFileName(named)} but the rows are of ${bookFileName(book)}`, { context: { file } });
    }
  }
  return { book, rows };
}

/** Natural order of route positions: numeric ones by value, before any others compared as text. */
function compareRoute(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) {
    const x = BigInt(a);
    const y = BigInt(b);
    if (x !== y) return x < y ? -1 : 1;
  } else if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function registerRank(bcs: string): number {
  const i = (REGISTER_ORDER as readonly string[]).indexOf(bcs);
  return i < 0 ? REGISTER_ORDER.length : i;
}

const text = (a: string | undefined, b: string | undefined): number => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);

/** Route order: MA_GC, then register (KT, BT, CD, TD, VC, SG, others by name), then MA_DDO, MA_CTO. */
export function compareBookRows(a: CmisBookRow, b: CmisBookRow): number {
  return (
    compareRoute(a.MA_GC, b.MA_GC) ||
    registerRank(a.LOAI_BCS) - registerRank(b.LOAI_BCS) ||
    text(a.LOAI_BCS, b.LOAI_BCS) ||
    text(a.MA_DDO, b.MA_DDO) ||
    text(a.MA_CTO, b.MA_CTO)
  );
}

/**
 * Writes a book as CMIS reads it back. Deterministic: rows in route order (compareBookRows), columns in
 * CMIS order then unknown ones by name, absent columns left out, an empty text as `<X />`.
 * Line endings are CRLF and indentation two spaces, exactly as .NET's DataSet.WriteXml writes on Windows,
 * so that a file we produce diffs cleanly against one CMIS produced. The string has no BOM; encode it as
 * UTF-8 (the declaration says utf-8). No inline schema: CMIS reads the columns by name.
 * Rows are checked to belong to the book and to be rows the reader accepts (cheaply when canonical: see
 * book-write.ts), so the writer never writes what the reader refuses.
 */
export function writeBookXml(book: CmisBook, rows: readonly CmisBookRow[]): string {
  return writeBookTexts(book, prepareTyped(rows), bookFileName(book), { xml: true, csv: false }).xml;
}

/**
 * The same rows as CSV (RFC 4180: CRLF records, fields quoted when they hold a quote, comma or line
 * break, quotes doubled), header = the CMIS columns then any unknown ones; UTF-8 with a BOM, because
 * without it Excel opens UTF-8 as the ANSI code page and Vietnamese names turn to mojibake.
 */
export function writeBookCsv(book: CmisBook, rows: readonly CmisBookRow[]): string {
  return writeBookTexts(book, prepareTyped(rows), bookFileName(book), { xml: false, csv: true }).csv;
}

export interface BookFiles {
  readonly xml: string;
  readonly csv: string;
  /**
   * Re-reads XML bytes written from these rows and says how they differ from the rows meant (undefined:
   * they do not). The file must be well-formed and in the DataSet layout, give back exactly the cells
   * written, in route order, and every row must pass parseBookRow, as an import of it would.
   */
  readsBack(bytes: Uint8Array | string): string | undefined;
}

/** Both files from rows given as cells (column → canonical text, as book_rows.row_json keeps them), sorted once. */
export function writeBookFiles(book: CmisBook, rows: readonly BookCells[]): BookFiles {
  const file = bookFileName(book);
  const prepared = prepareCells(rows);
  const { xml, csv } = writeBookTexts(book, prepared, file);
  return { xml, csv, readsBack: (bytes) => readsBackFully(prepared, file, bytes) };
}

export interface BookBytes {
  /** The XML file's bytes (UTF-8, no BOM). */
  readonly xml: Buffer;
  /** The CSV file's bytes (UTF-8 with a BOM). */
  readonly csv: Buffer;
  /** As BookFiles.readsBack: undefined when the bytes read back to exactly the rows meant, else how they differ. */
  readsBack(bytes: Uint8Array): string | undefined;
}

/**
 * writeBookFiles for the export, from the rows as byte cells: the same files as bytes
 * (`Buffer.from(writeBookFiles(…).xml)`), written straight from the stored UTF-8 (book-bytes.ts), and a
 * read-back check that reads the bytes in one pass (book-verify.ts) and runs the full reader on anything
 * that pass does not vouch for. Undefined when the rows need the slow writers (writeCellBytes says when):
 * the caller then uses writeBookFiles.
 */
export function writeBookBytes(book: CmisBook, cells: ByteCells): BookBytes | undefined {
  const written = writeCellBytes(book, cells);
  if (written === undefined) return undefined;
  const { xml, csv, order } = written;
  return {
    xml,
    csv,
    // Every row was checked before writing (an import accepts it as it is, it belongs to the book), so a
    // file that reads back to exactly those cells imports as exactly those rows: the full check adds
    // nothing then, and is what runs for any other file.
    readsBack: (bytes) =>
      readsBackExactly(bytes, cells, order) ? undefined : readsBackFully(prepareCells(order.map((row) => cells.cellsOf(row))), bookFileName(book), bytes),
  };
}

/**
 * Re-reads XML bytes written from `prepared` (in route order) with the import's reader and says how they
 * differ from the rows meant: well-formed, the DataSet layout, exactly the cells written, in order, and
 * every row one that parseBookRow accepts.
 */
function readsBackFully(prepared: readonly Prepared[], file: string, bytes: Uint8Array | string): string | undefined {
  const { rows: back, where } = readBookCells(bytes, file);
  if (back.length !== prepared.length) return `${back.length} rows read back, ${prepared.length} written`;
  for (let i = 0; i < back.length; i++) {
    const { cells, pos } = back[i] as ReadBookRow;
    const differs = cellsDiffer(prepared[i] as Prepared, cells);
    if (differs !== undefined) return `row ${i + 1} (line ${where(pos).line}): ${differs}`;
    parseBookRow(cells, {
      file,
      row: i + 1,
      get line() {
        return where(pos).line;
      },
    });
  }
  return undefined;
}

/** SHA-256 of a file's bytes (a string is hashed as UTF-8), lower-case hex: ties an exported file to its record. */
export function checksum(bytes: Uint8Array | string): string {
  return createHash('sha256').update(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes).digest('hex');
}
