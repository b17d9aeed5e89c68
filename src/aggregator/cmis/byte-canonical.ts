import { canonicalValue, INT_RANGE, KIND, REQUIRED, type Kind } from './book-row-fast.js';
import type { BookKey } from './book-write.js';
import { WIDTH, type ByteCells } from './byte-cells.js';
import { CMIS_COLUMNS } from './columns.js';

/**
 * book-write.ts's check of each row (checkBook: an import would accept it, it belongs to the book) on
 * byte ranges. A value is looked at as bytes when its canonical form is plain ASCII (codes, decimals,
 * whole numbers, statuses, flags); any other value is decoded and given to book-row-fast's own check,
 * and a date is decoded once per distinct value and column. `rowsAccepted` says yes only when every row
 * is one canonicalCells accepts and belongs to the book; otherwise the caller writes the book the slow
 * way, which gives the error.
 */
const KINDS: readonly Kind[] = CMIS_COLUMNS.map((c) => KIND[c]);
const REQUIRED_AT: readonly boolean[] = KINDS.map((k) => REQUIRED.has(k));
const RANGES = CMIS_COLUMNS.map((c) => INT_RANGE[c]);
const IDX = (c: (typeof CMIS_COLUMNS)[number]): number => CMIS_COLUMNS.indexOf(c);
const MA_DVIQLY = IDX('MA_DVIQLY');
const MA_QUYEN = IDX('MA_QUYEN');
const MA_GC = IDX('MA_GC');
const MA_DDO = IDX('MA_DDO');
const LOAI_BCS = IDX('LOAI_BCS');
const KY = IDX('KY');
const THANG = IDX('THANG');
const NAM = IDX('NAM');

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;

/** rules/decimal.ts's canonical unsigned decimal: `0` or no leading zero, at most 30 digits each side of the point. */
function unsigned(b: Uint8Array, s: number, e: number): boolean {
  if (s >= e) return false;
  let k = s;
  if (b[k] === 0x30) k++;
  else {
    if (!isDigit(b[k] as number)) return false;
    const from = k;
    while (k < e && isDigit(b[k] as number)) k++;
    if (k - from > 30) return false;
  }
  if (k === e) return true;
  if (b[k] !== 0x2e) return false;
  const from = ++k;
  while (k < e && isDigit(b[k] as number)) k++;
  return k === e && k - from >= 1 && k - from <= 30;
}

function nonZero(b: Uint8Array, s: number, e: number): boolean {
  for (let k = s; k < e; k++) if ((b[k] as number) >= 0x31 && (b[k] as number) <= 0x39) return true;
  return false;
}

/** Byte classes of the code columns, one bit each: checked with one table look-up per byte. */
const DIGIT = 1;
const UPPER = 2;
const BOOK_CODE = 4; // [A-Za-z0-9_.-]
const VISIBLE = 8; // printable ASCII, not a space: \S on ASCII (anything else is left to the regex)
const CLASS = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) {
  let bits = VISIBLE;
  if (isDigit(c)) bits |= DIGIT | BOOK_CODE;
  if (isUpper(c)) bits |= UPPER | BOOK_CODE;
  if ((c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2e || c === 0x2d) bits |= BOOK_CODE;
  CLASS[c] = bits;
}

function allOf(b: Uint8Array, s: number, e: number, bits: number): boolean {
  for (let k = s; k < e; k++) if (((CLASS[b[k] as number] as number) & bits) === 0) return false;
  return true;
}

const unitChar = DIGIT | UPPER; // either bit
const STATUS = new Uint8Array(256);
for (const c of 'QCKHGTUVMDLX') STATUS[c.charCodeAt(0)] = 1;

/** True when the bytes are certainly a value canonicalCells accepts; false: decode and ask book-row-fast. */
function plainAccepted(column: number, b: Uint8Array, s: number, e: number): boolean {
  const n = e - s;
  switch (KINDS[column]) {
    case 'text':
      return true;
    case 'code':
      if (column === MA_DVIQLY) return n === 6 && allOf(b, s, e, unitChar);
      if (column === MA_QUYEN) return n > 0 && allOf(b, s, e, BOOK_CODE);
      if (column === LOAI_BCS) return (n === 2 || n === 3) && allOf(b, s, e, UPPER);
      return n > 0 && allOf(b, s, e, VISIBLE);
    case 'id':
      return n <= 18 && allOf(b, s, e, DIGIT);
    case 'udec':
      return n === 0 || unsigned(b, s, e);
    case 'sdec':
      return n === 0 || unsigned(b, s, e) || (b[s] === 0x2d && unsigned(b, s + 1, e) && nonZero(b, s, e));
    case 'req-udec':
      return unsigned(b, s, e);
    case 'hsn':
      return unsigned(b, s, e) && nonZero(b, s, e);
    case 'int': {
      if (n < 1 || n > 9 || !allOf(b, s, e, DIGIT)) return false;
      let v = 0;
      for (let k = s; k < e; k++) v = v * 10 + (b[k] as number) - 0x30;
      const [min, max] = RANGES[column] as readonly [number, number];
      return v >= min && v <= max;
    }
    case 'date':
      return n === 0;
    case 'status':
      return n === 0 || (n === 1 && STATUS[b[s] as number] === 1);
    case 'flag':
      return n === 0 || (n === 1 && (b[s] === 0x30 || b[s] === 0x31));
    default:
      return false;
  }
}

function sameBytes(b: Uint8Array, s: number, e: number, text: Uint8Array): boolean {
  if (e - s !== text.length) return false;
  for (let k = 0; k < text.length; k++) if (b[s + k] !== text[k]) return false;
  return true;
}

function sameRange(b: Uint8Array, s: number, e: number, s2: number, e2: number): boolean {
  if (e - s !== e2 - s2) return false;
  for (let k = 0; k < e - s; k++) if (b[s + k] !== b[s2 + k]) return false;
  return true;
}

/** Every row canonical (as canonicalCells) and of the book (as checkBook). */
export function rowsAccepted(book: BookKey, cells: ByteCells): boolean {
  const b = cells.arena;
  const { starts, ends } = cells;
  const own: [number, Uint8Array][] = [
    [MA_DVIQLY, Buffer.from(book.unitCode, 'utf8')],
    [MA_QUYEN, Buffer.from(book.bookCode, 'utf8')],
    [NAM, Buffer.from(String(book.year), 'utf8')],
    [THANG, Buffer.from(String(book.month), 'utf8')],
    [KY, Buffer.from(String(book.subPeriod), 'utf8')],
  ];
  // The last value each column accepted by decoding (dates, mostly): the same bytes need no second look.
  const lastStart = new Int32Array(WIDTH).fill(-1);
  const lastEnd = new Int32Array(WIDTH);
  for (let row = 0; row < cells.count; row++) {
    const base = row * WIDTH;
    for (let i = 0; i < WIDTH; i++) {
      const s = starts[base + i] as number;
      if (s < 0) {
        if (REQUIRED_AT[i]) return false;
        continue;
      }
      const e = ends[base + i] as number;
      if (plainAccepted(i, b, s, e)) continue;
      const ls = lastStart[i] as number;
      if (ls >= 0 && sameRange(b, s, e, ls, lastEnd[i] as number)) continue;
      if (!canonicalValue(i, cells.text(s, e))) return false;
      lastStart[i] = s;
      lastEnd[i] = e;
    }
    for (const [i, text] of own) if (!sameBytes(b, starts[base + i] as number, ends[base + i] as number, text)) return false;
  }
  return true;
}

export { MA_GC, MA_DDO, LOAI_BCS };
