import { CMIS_COLUMNS, REGISTER_ORDER, type CmisColumn } from './columns.js';
import { parseBookRow, rowError, type CmisBookRow } from './book-row.js';
import { canonicalCells } from './book-row-fast.js';
import { csvField } from './csv.js';
import { CmisError } from './errors.js';
import { checkXmlName, escapeText } from './xml-write.js';

/**
 * Writing a book's rows as the .NET DataSet XML and as CSV, straight from the rows: no element tree, and
 * no zod per row: a row in canonical form (every row an import stored, and what the closings fill in) is
 * checked by a few regex tests (book-row-fast.ts); only another one goes through the schema. A row here is its cells: column → canonical text, the form book_rows.row_json
 * keeps and bookRowToRaw gives; a column that is absent is left out of the XML and empty in the CSV.
 */
export type BookCells = Readonly<Record<string, string>>;

/** What the book-file layer needs of a book to check that rows belong to it. */
export interface BookKey {
  readonly unitCode: string;
  readonly bookCode: string;
  readonly year: number;
  readonly month: number;
  readonly subPeriod: number;
}

const COLUMN_INDEX: ReadonlyMap<string, number> = new Map(CMIS_COLUMNS.map((c, i) => [c, i]));
const CRLF = '\r\n';
const ROW_OPEN = '  <Table1>' + CRLF;
const ROW_CLOSE = '  </Table1>' + CRLF;
const EMPTY_ROW = '  <Table1 />' + CRLF;
const CELL = CMIS_COLUMNS.map((c) => ({ open: '    <' + c + '>', close: '</' + c + '>' + CRLF, empty: '    <' + c + ' />' + CRLF }));
const DECLARATION = '<?xml version="1.0" encoding="utf-8" standalone="yes"?>' + CRLF;

/** A row prepared once for sorting and writing: the 40 CMIS values in order, then extras by name. */
export interface Prepared {
  readonly values: readonly (string | undefined)[];
  readonly extras: readonly (readonly [string, string])[] | undefined;
  readonly index: number;
  readonly routeNumeric: boolean;
  /** MA_GC without leading zeros when numeric (its length then orders by magnitude). */
  readonly routeDigits: string;
  readonly rank: number;
}

function rankOf(bcs: string | undefined): number {
  const i = bcs === undefined ? -1 : (REGISTER_ORDER as readonly string[]).indexOf(bcs);
  return i < 0 ? REGISTER_ORDER.length : i;
}

const DIGITS = /^\d+$/;

function prepare(values: (string | undefined)[], extras: [string, string][] | undefined, index: number): Prepared {
  const route = values[2] ?? '';
  const routeNumeric = DIGITS.test(route);
  let digits = route;
  if (routeNumeric) {
    let z = 0;
    while (z < route.length - 1 && route.charCodeAt(z) === 0x30) z++;
    digits = z === 0 ? route : route.slice(z);
  }
  if (extras !== undefined) extras.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { values, extras, index, routeNumeric, routeDigits: digits, rank: rankOf(values[9]) };
}

/** A typed row (CmisBookRow) to its cells, as bookRowToRaw gives them. */
function fromTyped(row: CmisBookRow, index: number): Prepared {
  const fields = row as unknown as Record<CmisColumn, string | number | undefined>;
  const values: (string | undefined)[] = new Array(CMIS_COLUMNS.length);
  for (let i = 0; i < CMIS_COLUMNS.length; i++) {
    const v = fields[CMIS_COLUMNS[i] as CmisColumn];
    values[i] = v === undefined ? undefined : typeof v === 'string' ? v : String(v);
  }
  let extras: [string, string][] | undefined;
  if (row.extra !== undefined) for (const name of Object.keys(row.extra)) (extras ??= []).push([name, row.extra[name] as string]);
  return prepare(values, extras, index);
}

function fromCells(cells: BookCells, index: number): Prepared {
  const values: (string | undefined)[] = new Array(CMIS_COLUMNS.length).fill(undefined);
  let extras: [string, string][] | undefined;
  for (const name in cells) {
    if (!Object.prototype.hasOwnProperty.call(cells, name)) continue;
    const i = COLUMN_INDEX.get(name);
    if (i === undefined) (extras ??= []).push([name, cells[name] as string]);
    else values[i] = cells[name];
  }
  return prepare(values, extras, index);
}

const text = (a: string | undefined, b: string | undefined): number => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);

/**
 * compareBookRows on prepared rows: MA_GC (numeric by value, before any others as text), register rank,
 * LOAI_BCS, MA_DDO, MA_CTO, then the given order (what Array.prototype.sort's stability gave before).
 * Comparing digit strings by length then text is comparing their values, without BigInt.
 */
function compare(a: Prepared, b: Prepared): number {
  const ra = a.values[2] ?? '';
  const rb = b.values[2] ?? '';
  if (a.routeNumeric && b.routeNumeric) {
    const x = a.routeDigits;
    const y = b.routeDigits;
    if (x.length !== y.length) return x.length - y.length;
    if (x !== y) return x < y ? -1 : 1;
  } else if (a.routeNumeric !== b.routeNumeric) return a.routeNumeric ? -1 : 1;
  return (
    (ra < rb ? -1 : ra > rb ? 1 : 0) ||
    a.rank - b.rank ||
    text(a.values[9], b.values[9]) ||
    text(a.values[5], b.values[5]) ||
    text(a.values[7], b.values[7]) ||
    a.index - b.index
  );
}

function cellsOf(p: Prepared): Record<string, string> {
  const cells: Record<string, string> = {};
  p.values.forEach((v, i) => {
    if (v !== undefined) cells[CMIS_COLUMNS[i] as string] = v;
  });
  for (const [name, value] of p.extras ?? []) cells[name] = value;
  return cells;
}

function checkBook(book: BookKey, rows: readonly Prepared[], file: string): void {
  const year = String(book.year);
  const month = String(book.month);
  const sub = String(book.subPeriod);
  rows.forEach((p, i) => {
    const v = p.values;
    // Nothing an import would refuse is written: canonical rows pass at a glance, any other goes
    // through parseBookRow, which throws CMIS_BAD_ROW naming the column.
    if (!canonicalCells(v)) parseBookRow(cellsOf(p), { file, row: i + 1 });
    let differs: string | undefined;
    if (v[0] !== book.unitCode) differs = `MA_DVIQLY ${v[0]} ≠ ${book.unitCode}`;
    else if (v[1] !== book.bookCode) differs = `MA_QUYEN ${v[1]} ≠ ${book.bookCode}`;
    else if (v[28] !== year) differs = `NAM ${v[28]} ≠ ${year}`;
    else if (v[27] !== month) differs = `THANG ${v[27]} ≠ ${month}`;
    else if (v[26] !== sub) differs = `KY ${v[26]} ≠ ${sub}`;
    if (differs === undefined) return;
    const err = rowError({ file, row: i + 1 }, { MA_DDO: v[5], LOAI_BCS: v[9] }, undefined, ` does not belong to the book (${differs})`);
    throw new CmisError('CMIS_BOOK_MISMATCH', err.message, { context: err.context });
  });
}

/** The rows in route order, each checked to belong to the book and to be one an import accepts (no zod for canonical rows). */
function sortedRows(book: BookKey, prepared: Prepared[], file: string): Prepared[] {
  prepared.sort(compare);
  checkBook(book, prepared, file);
  return prepared;
}

export function prepareTyped(rows: readonly CmisBookRow[]): Prepared[] {
  return rows.map(fromTyped);
}

export function prepareCells(rows: readonly BookCells[]): Prepared[] {
  return rows.map(fromCells);
}

function xmlOf(rows: readonly Prepared[]): string {
  let body = '';
  for (const p of rows) {
    const v = p.values;
    let row = '';
    for (let i = 0; i < v.length; i++) {
      const value = v[i];
      if (value === undefined) continue;
      const cell = CELL[i] as (typeof CELL)[number];
      row += value === '' ? cell.empty : cell.open + escapeText(value, CMIS_COLUMNS[i]) + cell.close;
    }
    if (p.extras !== undefined) {
      for (const [name, value] of p.extras) {
        checkXmlName(name);
        row += value === '' ? '    <' + name + ' />' + CRLF : '    <' + name + '>' + escapeText(value, name) + '</' + name + '>' + CRLF;
      }
    }
    body += row === '' ? EMPTY_ROW : ROW_OPEN + row + ROW_CLOSE;
  }
  return DECLARATION + (body === '' ? '<NewDataSet />' : '<NewDataSet>' + CRLF + body + '</NewDataSet>');
}

function csvOf(rows: readonly Prepared[]): string {
  const extraNames = new Set<string>();
  for (const p of rows) if (p.extras !== undefined) for (const [name] of p.extras) extraNames.add(name);
  const extras = [...extraNames].sort();
  let out = '\uFEFF' + [...CMIS_COLUMNS, ...extras].map(csvField).join(',') + CRLF;
  for (const p of rows) {
    const v = p.values;
    let line = csvField(v[0] ?? '');
    for (let i = 1; i < v.length; i++) line += ',' + csvField(v[i] ?? '');
    if (extras.length > 0) {
      const own = p.extras === undefined ? undefined : new Map(p.extras);
      for (const name of extras) line += ',' + csvField(own?.get(name) ?? '');
    }
    out += line + CRLF;
  }
  return out;
}

export interface BookTexts {
  readonly xml: string;
  readonly csv: string;
}

/** Sorts once, writes both files. `file` names the book in errors. */
export function writeBookTexts(book: BookKey, prepared: Prepared[], file: string, which: { xml: boolean; csv: boolean } = { xml: true, csv: true }): BookTexts {
  const rows = sortedRows(book, prepared, file);
  return { xml: which.xml ? xmlOf(rows) : '', csv: which.csv ? csvOf(rows) : '' };
}

const shown = (v: string | undefined): string => (v === undefined ? 'absent' : JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v));

/** How cells read back differ from a written row (undefined: not at all), naming the first column that does. */
export function cellsDiffer(p: Prepared, cells: BookCells): string | undefined {
  let count = 0;
  for (let i = 0; i < p.values.length; i++) {
    const meant = p.values[i];
    const got = cells[CMIS_COLUMNS[i] as string];
    if (meant !== got) return `column ${CMIS_COLUMNS[i]} reads back ${shown(got)}, written ${shown(meant)}`;
    if (meant !== undefined) count++;
  }
  for (const [name, meant] of p.extras ?? []) {
    const got = Object.prototype.hasOwnProperty.call(cells, name) ? cells[name] : undefined;
    if (meant !== got) return `column ${name} reads back ${shown(got)}, written ${shown(meant)}`;
    count++;
  }
  let read = 0;
  for (const name in cells) if (Object.prototype.hasOwnProperty.call(cells, name)) read++;
  return read === count ? undefined : `${read} columns read back, ${count} written`;
}
