import { createHash } from 'node:crypto';
import { CMIS_COLUMNS, REGISTER_ORDER } from '../../../../src/aggregator/cmis/columns.js';
import { bookRowToRaw, parseBookRow, rowError, type CmisBookRow } from './book-row.js';
import { toCsv } from '../../../../src/aggregator/cmis/csv.js';
import { CmisError } from '../../../../src/aggregator/cmis/errors.js';
import { readXml, textOf, writeXml, xmlElement, xmlText, type XmlElement } from './xml.js';

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

function layoutError(file: string, el: XmlElement, message: string): CmisError {
  return new CmisError('CMIS_BAD_LAYOUT', `${file}: line ${el.line ?? '?'}, column ${el.column ?? '?'}: ${message}`, {
    context: { file, line: el.line, column: el.column },
  });
}

/** Reads a book file (text, or bytes in UTF-8/UTF-16); every row must be of the same book and period. */
export function parseBookXml(input: string | Uint8Array, fileName?: string): CmisBookFile {
  const file = fileName ?? 'book';
  const { root } = readXml(input, { source: file, skipElement: isSchema });
  if (root.name !== ROOT) throw layoutError(file, root, `root element is <${root.name}>, expected <${ROOT}> (a .NET DataSet)`);
  const rows: CmisBookRow[] = [];
  let book: CmisBook | undefined;
  for (const node of root.children) {
    if (node.kind === 'text') {
      if (node.text.trim() !== '') throw layoutError(file, { ...root, line: node.line, column: node.column }, `text ${JSON.stringify(node.text.trim().slice(0, 20))} directly inside <${ROOT}>`);
      continue;
    }
    if (node.name !== ROW) throw layoutError(file, node, `unexpected <${node.name}> in <${ROOT}>, expected <${ROW}> rows`);
    const where = { file, row: rows.length + 1, ...(node.line === undefined ? {} : { line: node.line }) };
    const raw: Record<string, string> = {};
    for (const cell of node.children) {
      if (cell.kind === 'text') {
        if (cell.text.trim() !== '') throw layoutError(file, { ...node, line: cell.line, column: cell.column }, `text directly inside <${ROW}> row ${where.row}`);
        continue;
      }
      if (cell.children.some((c) => c.kind === 'element')) throw layoutError(file, cell, `column <${cell.name}> in row ${where.row} holds elements, expected text`);
      if (Object.prototype.hasOwnProperty.call(raw, cell.name)) throw layoutError(file, cell, `column <${cell.name}> appears twice in row ${where.row}`);
      raw[cell.name] = textOf(cell);
    }
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

/** Checks rows belong to the book and re-validates them (so the writer never writes what the reader refuses). */
function checkedRows(book: CmisBook, rows: readonly CmisBookRow[]): CmisBookRow[] {
  const sorted = [...rows].sort(compareBookRows);
  sorted.forEach((row, i) => {
    const raw = Object.fromEntries(bookRowToRaw(row));
    parseBookRow(raw, { file: bookFileName(book), row: i + 1 });
    const differs = sameBook(book, bookOf(row));
    if (differs !== undefined) {
      const err = rowError({ file: bookFileName(book), row: i + 1 }, raw, undefined, ` does not belong to the book (${differs})`);
      throw new CmisError('CMIS_BOOK_MISMATCH', err.message, { context: err.context });
    }
  });
  return sorted;
}

/**
 * Writes a book as CMIS reads it back. Deterministic: rows in route order (compareBookRows), columns in
 * CMIS order then unknown ones by name, absent columns left out, an empty text as `<X />`.
 * Line endings are CRLF and indentation two spaces, exactly as .NET's DataSet.WriteXml writes on Windows,
 * so that a file we produce diffs cleanly against one CMIS produced. The string has no BOM; encode it as
 * UTF-8 (the declaration says utf-8). No inline schema: CMIS reads the columns by name.
 */
export function writeBookXml(book: CmisBook, rows: readonly CmisBookRow[]): string {
  const tableRows = checkedRows(book, rows).map((row) =>
    xmlElement(
      ROW,
      bookRowToRaw(row).map(([name, value]) => xmlElement(name, value === '' ? [] : [xmlText(value)])),
    ),
  );
  return writeXml(xmlElement(ROOT, tableRows), { declaration: { encoding: 'utf-8', standalone: 'yes' } });
}

/**
 * The same rows as CSV (RFC 4180: CRLF records, fields quoted when they hold a quote, comma or line
 * break, quotes doubled), header = the CMIS columns then any unknown ones; UTF-8 with a BOM, because
 * without it Excel opens UTF-8 as the ANSI code page and Vietnamese names turn to mojibake.
 */
export function writeBookCsv(book: CmisBook, rows: readonly CmisBookRow[]): string {
  const sorted = checkedRows(book, rows);
  const extras = [...new Set(sorted.flatMap((r) => Object.keys(r.extra ?? {})))].sort();
  const header = [...CMIS_COLUMNS, ...extras];
  const records = sorted.map((row) => {
    const raw = new Map(bookRowToRaw(row));
    return header.map((name) => raw.get(name) ?? '');
  });
  return '\uFEFF' + toCsv([header, ...records]);
}

/** SHA-256 of a file's bytes (a string is hashed as UTF-8), lower-case hex: ties an exported file to its record. */
export function checksum(bytes: Uint8Array | string): string {
  return createHash('sha256').update(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes).digest('hex');
}
