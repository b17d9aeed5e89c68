import type { BookKey } from './book-write.js';
import { rowsAccepted, LOAI_BCS, MA_DDO, MA_GC } from './byte-canonical.js';
import { WIDTH, type ByteExtra, type ByteCells } from './byte-cells.js';
import { CMIS_COLUMNS, REGISTER_ORDER } from './columns.js';
import { csvField } from './csv.js';

/**
 * The export's writers on byte cells (byte-cells.ts): book-write.ts's route order, XML and CSV, written
 * as UTF-8 straight from the stored bytes. Building a book as one JavaScript string (half a million
 * pieces) and encoding it afterwards cost more than all the rest of an export: the pieces are garbage to
 * collect, and a book with one Vietnamese name is flattened into a two-byte string before it is encoded.
 * Here each byte is looked at once: plain ASCII and UTF-8 sequences are copied, `& < > CR` become
 * xml-write.ts's references.
 *
 * writeCellBytes gives the bytes of `Buffer.from(writeBookXml(…))` and of the CSV twin for the same rows
 * (book-bytes.test.ts holds them side by side), or undefined whenever the slow writers have something to
 * say: a row they would refuse or check with the schema, a character XML 1.0 cannot carry, an unknown
 * column whose name is not plain ASCII. The caller then writes the book the slow way.
 */
export interface CellBytes {
  readonly xml: Buffer;
  readonly csv: Buffer;
  /** Row numbers (file order, from 0) in the order written. */
  readonly order: readonly number[];
}

export function writeCellBytes(book: BookKey, cells: ByteCells): CellBytes | undefined {
  if (cells.count === 0 || !rowsAccepted(book, cells)) return undefined;
  for (const list of cells.extras) {
    if (list === undefined) continue;
    for (const e of list) if (plainName(e.name) === undefined) return undefined;
    list.sort(byName);
  }
  const order = routeOrder(cells);
  const xml = xmlOf(cells, order);
  if (xml === undefined) return undefined;
  return { xml, csv: csvOf(cells, order), order };
}

const byName = (a: ByteExtra, b: ByteExtra): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * An unknown column's name as bytes when it is plain: ASCII letters, digits, `_`, `.`, `-`, starting with
 * a letter or `_` (an XML name, no `:`), and not `schema`, which the book reader skips as an inline
 * schema. Others are left to the slow writer, which checks and writes any XML name.
 */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const plainNames = new Map<string, Uint8Array | undefined>();

export function plainName(name: string): Uint8Array | undefined {
  if (plainNames.has(name)) return plainNames.get(name);
  const bytes = PLAIN_NAME.test(name) && name !== 'schema' ? Buffer.from(name, 'latin1') : undefined;
  if (plainNames.size < 10_000) plainNames.set(name, bytes);
  return bytes;
}

// ---- route order (book-write.ts compare, on bytes)

/**
 * Text order of two ranges as JavaScript compares strings (UTF-16 code units). UTF-8 bytes sort by code
 * point, which is the same order except between U+E000–U+FFFF (lead byte EE/EF) and characters beyond
 * U+FFFF (lead byte F0–F4, surrogates in UTF-16): at the first differing byte, that one case is turned round.
 */
function compareText(b: Uint8Array, s1: number, e1: number, s2: number, e2: number): number {
  const n = Math.min(e1 - s1, e2 - s2);
  for (let k = 0; k < n; k++) {
    const x = b[s1 + k] as number;
    const y = b[s2 + k] as number;
    if (x === y) continue;
    if (x >= 0xee && y >= 0xee && x >= 0xf0 !== y >= 0xf0) return x >= 0xf0 ? -1 : 1;
    return x - y;
  }
  return e1 - s1 - (e2 - s2);
}

const RANK: ReadonlyMap<string, number> = new Map(REGISTER_ORDER.map((r, i) => [r, i]));

function routeOrder(cells: ByteCells): number[] {
  const { arena: b, starts, ends, count } = cells;
  // Absent optional columns compare as '' (an empty range at 0).
  const start = (row: number, col: number): number => Math.max(0, starts[row * WIDTH + col] as number);
  const end = (row: number, col: number): number => ((starts[row * WIDTH + col] as number) < 0 ? 0 : (ends[row * WIDTH + col] as number));
  const numeric = new Uint8Array(count);
  const digits = new Int32Array(count); // where MA_GC's digits start once leading zeros are dropped (one is kept)
  const rank = new Uint8Array(count);
  for (let r = 0; r < count; r++) {
    const s = start(r, MA_GC);
    const e = end(r, MA_GC);
    let all = e > s;
    for (let k = s; k < e && all; k++) all = (b[k] as number) >= 0x30 && (b[k] as number) <= 0x39;
    numeric[r] = all ? 1 : 0;
    let z = s;
    if (all) while (z < e - 1 && b[z] === 0x30) z++;
    digits[r] = z;
    rank[r] = RANK.get(cells.text(start(r, LOAI_BCS), end(r, LOAI_BCS))) ?? REGISTER_ORDER.length;
  }
  const text = (x: number, y: number, col: number): number => compareText(b, start(x, col), end(x, col), start(y, col), end(y, col));
  const compare = (x: number, y: number): number => {
    if (numeric[x] === 1 && numeric[y] === 1) {
      const ex = end(x, MA_GC);
      const ey = end(y, MA_GC);
      const lx = ex - (digits[x] as number);
      const ly = ey - (digits[y] as number);
      if (lx !== ly) return lx - ly;
      const c = compareText(b, digits[x] as number, ex, digits[y] as number, ey);
      if (c !== 0) return c;
    } else if (numeric[x] !== numeric[y]) return numeric[x] === 1 ? -1 : 1;
    return text(x, y, MA_GC) || (rank[x] as number) - (rank[y] as number) || text(x, y, LOAI_BCS) || text(x, y, MA_DDO) || text(x, y, MA_CTO) || x - y;
  };
  const order = Array.from({ length: count }, (_, i) => i);
  return order.sort(compare);
}

const MA_CTO = CMIS_COLUMNS.indexOf('MA_CTO');

// ---- bytes out

const CRLF = '\r\n';
const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');

const XML_DECLARATION = ascii('<?xml version="1.0" encoding="utf-8" standalone="yes"?>' + CRLF);
const XML_ROOT_OPEN = ascii('<NewDataSet>' + CRLF);
const XML_ROOT_CLOSE = ascii('</NewDataSet>');

/**
 * What goes between two values of a row, precomputed: the tag closing the cell before (or the row's
 * `<Table1>`) and the tag opening the next cell (or its `<X />` when empty, or the row's end), so that a
 * cell costs one copy of markup and one of its text. States: ROW_START (nothing written yet), AFTER_EMPTY
 * (the last cell was `<X />`: nothing pending), or a column i whose `</i>` is still to be written.
 */
const ROW_START = WIDTH + 1;
const AFTER_EMPTY = WIDTH;
const pendingOf = (state: number): string => (state === ROW_START ? `  <Table1>${CRLF}` : state === AFTER_EMPTY ? '' : `</${CMIS_COLUMNS[state]}>${CRLF}`);
const glue = (build: (state: number, i: number) => string): Uint8Array[] => {
  const table: Uint8Array[] = [];
  for (let state = 0; state <= ROW_START; state++) for (let i = 0; i < WIDTH; i++) table.push(ascii(build(state, i)));
  return table;
};
/** Index state * WIDTH + i: the markup before column i's text. */
const OPEN_GLUE = glue((state, i) => `${pendingOf(state)}    <${CMIS_COLUMNS[i]}>`);
/** Index state * WIDTH + i: the markup ending with column i's `<X />`. */
const EMPTY_GLUE = glue((state, i) => `${pendingOf(state)}    <${CMIS_COLUMNS[i]} />${CRLF}`);
/** Index state: what ends the row (a row with no cell at all is `<Table1 />`). */
const END_GLUE: Uint8Array[] = Array.from({ length: ROW_START + 1 }, (_, state) => ascii(state === ROW_START ? `  <Table1 />${CRLF}` : `${pendingOf(state)}  </Table1>${CRLF}`));
/** Index state: what is pending before an unknown column's tag (written the long way). */
const PENDING: Uint8Array[] = Array.from({ length: ROW_START + 1 }, (_, state) => ascii(pendingOf(state)));
/** The glue as little-endian 32-bit words (the bytes past the last whole word are copied one by one). */
const wordsOf = (b: Uint8Array): Uint32Array => {
  const words = new Uint32Array(b.length >> 2);
  for (let j = 0; j < words.length; j++) words[j] = ((b[4 * j] as number) | ((b[4 * j + 1] as number) << 8) | ((b[4 * j + 2] as number) << 16) | ((b[4 * j + 3] as number) << 24)) >>> 0;
  return words;
};
const OPEN_WORDS = OPEN_GLUE.map(wordsOf);
const EMPTY_WORDS = EMPTY_GLUE.map(wordsOf);
const END_WORDS = END_GLUE.map(wordsOf);
const MAX_GLUE = Math.max(...OPEN_GLUE.map((g) => g.length), ...EMPTY_GLUE.map((g) => g.length), ...END_GLUE.map((g) => g.length));

/**
 * Per byte of a value in XML text: 0 = copy, 1 = a reference (`& < > CR`, xml-write.ts escapeText),
 * 2 = refuse (a control character XML 1.0 cannot carry), 3 = EF, the lead byte of U+FFFE/U+FFFF among
 * others. Other bytes ≥ 0x80 are parts of UTF-8 sequences (the arena is valid UTF-8) and are copied.
 */
const XML_BYTE = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) XML_BYTE[c] = 2;
XML_BYTE[0x09] = 0;
XML_BYTE[0x0a] = 0;
for (const c of [0x26, 0x3c, 0x3e, 0x0d]) XML_BYTE[c] = 1;
XML_BYTE[0xef] = 3;
const XML_REF: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(128).fill(undefined);
XML_REF[0x26] = ascii('&amp;');
XML_REF[0x3c] = ascii('&lt;');
XML_REF[0x3e] = ascii('&gt;');
XML_REF[0x0d] = ascii('&#xD;'); // so that the reader's line-end normalisation (§2.11) gives it back

/** 1 where a CSV field must be quoted (csv.ts NEEDS_QUOTES: `"`, `,`, CR, LF). */
const CSV_QUOTE = new Uint8Array(256);
for (const c of [0x22, 0x2c, 0x0d, 0x0a]) CSV_QUOTE[c] = 1;

/**
 * Writes value bytes [s, e) of the arena as XML text at `off`; returns the new offset, or −1 for a
 * character XML 1.0 cannot carry (there is room for 5 bytes per byte: `&amp;` is the longest).
 */
function xmlText(buf: Buffer, off: number, a: Uint8Array, s: number, e: number): number {
  for (let k = s; k < e; k++) {
    const c = a[k] as number;
    const kind = XML_BYTE[c];
    if (kind === 0) {
      buf[off++] = c;
      continue;
    }
    if (kind === 1) {
      const ref = XML_REF[c] as Uint8Array;
      for (let q = 0; q < ref.length; q++) buf[off++] = ref[q] as number;
    } else if (kind === 3) {
      if (a[k + 1] === 0xbf && ((a[k + 2] as number) & 0xfe) === 0xbe) return -1; // U+FFFE, U+FFFF
      buf[off++] = c;
    } else return -1;
  }
  return off;
}

/** Markup four bytes at a time (a DataView write is one store; the glue is most of a book's bytes). */
function glueAt(dv: DataView, buf: Buffer, off: number, bytes: Uint8Array, words: Uint32Array): number {
  let q = 0;
  for (let j = 0; j < words.length; j++, q += 4) dv.setUint32(off + q, words[j] as number, true);
  for (; q < bytes.length; q++) buf[off + q] = bytes[q] as number;
  return off + bytes.length;
}

function copy(buf: Buffer, off: number, chunk: Uint8Array): number {
  buf.set(chunk, off); // a native copy: markup is most of the bytes
  return off + chunk.length;
}

/** A bigger copy of `buf` holding its first `used` bytes, with room for `need` more. */
function grown(buf: Buffer, used: number, need: number): Buffer {
  const bigger = Buffer.allocUnsafe(Math.max(2 * buf.length, used + need));
  buf.copy(bigger, 0, 0, used);
  return bigger;
}

function xmlOf(cells: ByteCells, order: readonly number[]): Buffer | undefined {
  const { arena: a, starts, ends } = cells;
  let buf: Buffer = Buffer.allocUnsafe(cells.used + order.length * 600 + 4096);
  let dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  let off = copy(buf, 0, XML_DECLARATION);
  off = copy(buf, off, XML_ROOT_OPEN);
  for (let r = 0; r < order.length; r++) {
    const row = order[r] as number;
    const base = row * WIDTH;
    let state = ROW_START;
    for (let i = 0; i < WIDTH; i++) {
      const s = starts[base + i] as number;
      if (s < 0) continue;
      const e = ends[base + i] as number;
      // Room for the markup before the cell, its text (`&amp;` is the longest a byte becomes) and the row's end.
      if (off + 2 * MAX_GLUE + 5 * (e - s) > buf.length) {
        buf = grown(buf, off, 2 * MAX_GLUE + 5 * (e - s));
        dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
      }
      if (s === e) {
        off = glueAt(dv, buf, off, EMPTY_GLUE[state * WIDTH + i] as Uint8Array, EMPTY_WORDS[state * WIDTH + i] as Uint32Array);
        state = AFTER_EMPTY;
      } else {
        off = xmlText(buf, glueAt(dv, buf, off, OPEN_GLUE[state * WIDTH + i] as Uint8Array, OPEN_WORDS[state * WIDTH + i] as Uint32Array), a, s, e);
        if (off < 0) return undefined;
        state = i;
      }
    }
    const extras = cells.extras[row];
    if (extras !== undefined) {
      for (const x of extras) {
        const tags = extraTagsOf(x.name);
        const need = 2 * MAX_GLUE + tags.open.length + tags.close.length + tags.empty.length + 5 * (x.end - x.start);
        if (off + need > buf.length) {
          buf = grown(buf, off, need);
          dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
        }
        off = copy(buf, off, PENDING[state] as Uint8Array);
        if (x.start === x.end) off = copy(buf, off, tags.empty);
        else {
          off = xmlText(buf, copy(buf, off, tags.open), a, x.start, x.end);
          if (off < 0) return undefined;
          off = copy(buf, off, tags.close);
        }
        state = AFTER_EMPTY;
      }
    }
    if (off + MAX_GLUE > buf.length) {
      buf = grown(buf, off, MAX_GLUE);
      dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
    }
    off = glueAt(dv, buf, off, END_GLUE[state] as Uint8Array, END_WORDS[state] as Uint32Array);
  }
  if (off + XML_ROOT_CLOSE.length > buf.length) buf = grown(buf, off, XML_ROOT_CLOSE.length);
  off = copy(buf, off, XML_ROOT_CLOSE);
  return buf.subarray(0, off);
}

interface CellTags {
  readonly open: Uint8Array;
  readonly close: Uint8Array;
  readonly empty: Uint8Array;
}

const extraTags = new Map<string, CellTags>();

/** The tags of an unknown column (a plain ASCII name: see plainName). */
function extraTagsOf(name: string): CellTags {
  let tags = extraTags.get(name);
  if (tags === undefined) {
    tags = { open: ascii(`    <${name}>`), close: ascii(`</${name}>${CRLF}`), empty: ascii(`    <${name} />${CRLF}`) };
    if (extraTags.size < 10_000) extraTags.set(name, tags);
  }
  return tags;
}

/** csvField on bytes [s, e) at `off`: as they are, or quoted with inner quotes doubled (room: 2 bytes per byte + 2). */
function csvText(buf: Buffer, off: number, a: Uint8Array, s: number, e: number): number {
  const start = off;
  for (let k = s; k < e; k++) {
    const c = a[k] as number;
    if (CSV_QUOTE[c] === 1) {
      off = start;
      buf[off++] = 0x22;
      for (let j = s; j < e; j++) {
        const d = a[j] as number;
        buf[off++] = d;
        if (d === 0x22) buf[off++] = d;
      }
      buf[off++] = 0x22;
      return off;
    }
    buf[off++] = c;
  }
  return off;
}

function csvOf(cells: ByteCells, order: readonly number[]): Buffer {
  const { arena: a, starts, ends } = cells;
  const extraNames = new Set<string>();
  for (const list of cells.extras) if (list !== undefined) for (const e of list) extraNames.add(e.name);
  const extras = [...extraNames].sort();
  const header = Buffer.from('\uFEFF' + [...CMIS_COLUMNS, ...extras].map(csvField).join(',') + CRLF, 'utf8');
  let buf: Buffer = Buffer.allocUnsafe(header.length + order.length * 320 + 4096);
  let off = copy(buf, 0, header);
  // A field is at most twice its bytes and two quotes, then a comma (or the CRLF ending the row).
  for (let r = 0; r < order.length; r++) {
    const row = order[r] as number;
    const base = row * WIDTH;
    for (let i = 0; i < WIDTH; i++) {
      const s = starts[base + i] as number;
      const n = s < 0 ? 0 : (ends[base + i] as number) - s;
      if (off + 2 * n + 4 > buf.length) buf = grown(buf, off, 2 * n + 4);
      if (i > 0) buf[off++] = 0x2c;
      if (n > 0) off = csvText(buf, off, a, s, s + n);
    }
    if (extras.length > 0) {
      const own = cells.extras[row];
      for (const name of extras) {
        const x = own?.find((e) => e.name === name);
        const n = x === undefined ? 0 : x.end - x.start;
        if (off + 2 * n + 4 > buf.length) buf = grown(buf, off, 2 * n + 4);
        buf[off++] = 0x2c;
        if (x !== undefined && n > 0) off = csvText(buf, off, a, x.start, x.end);
      }
    }
    if (off + 2 > buf.length) buf = grown(buf, off, 2);
    buf[off++] = 0x0d;
    buf[off++] = 0x0a;
  }
  return buf.subarray(0, off);
}
