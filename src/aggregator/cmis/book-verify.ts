import { isUtf8 } from 'node:buffer';
import { plainName } from './book-bytes.js';
import { WIDTH, type ByteCells } from './byte-cells.js';
import { CMIS_COLUMNS } from './columns.js';

/**
 * The export's read-back check, in one pass over the bytes: true when `bytes` are a book file in the
 * layout writeCellBytes writes (declaration, `<NewDataSet>`, one `<Table1>` per row, one line per cell,
 * CRLF, the indentation) whose cells are exactly the rows' cells in `order`. It is a reader of a strict
 * subset of XML 1.0, not a comparison with the writer's output: names are matched, text is decoded (the
 * references `&amp; &lt; &gt; &#xD;`) and compared with the value meant. Every document it accepts is
 * valid UTF-8, well-formed, holds no character XML refuses and reads back through readBookCells to
 * exactly these cells (book-verify.test.ts checks that on awkward books and on damaged ones).
 *
 * False is no verdict: anything outside that subset (another layout, a name that is not plain ASCII, a
 * literal CR or `>` in text, another reference) or any difference makes it false, and the caller then runs
 * the full reader, which gives the error or the difference with its line.
 */
export function readsBackExactly(bytes: Uint8Array, cells: ByteCells, order: readonly number[]): boolean {
  if (order.length === 0 || !isUtf8(bytes)) return false;
  const b = bytes;
  const { arena: a, starts, ends } = cells;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let pos = literal(b, 0, PROLOG);
  for (let r = 0; r < order.length && pos >= 0; r++) {
    const row = order[r] as number;
    const base = row * WIDTH;
    let state = ROW_START;
    for (let i = 0; i < WIDTH && pos >= 0; i++) {
      const s = starts[base + i] as number;
      if (s < 0) continue;
      const e = ends[base + i] as number;
      if (s === e) {
        pos = piece(dv, b, pos, EMPTY_CELL[state * WIDTH + i] as Uint8Array, EMPTY_CELL_WORDS[state * WIDTH + i] as Uint32Array);
        state = AFTER_EMPTY;
      } else {
        pos = piece(dv, b, pos, CELL_OPEN[state * WIDTH + i] as Uint8Array, CELL_OPEN_WORDS[state * WIDTH + i] as Uint32Array);
        if (pos >= 0) pos = text(b, pos, a, s, e);
        state = i;
      }
    }
    for (const x of cells.extras[row] ?? []) {
      if (pos < 0) break;
      const name = plainName(x.name);
      if (name === undefined) return false;
      pos = literal(b, pos, PENDING[state] as Uint8Array);
      pos = literal(b, pos, INDENT_LT);
      pos = literal(b, pos, name);
      if (pos < 0) return false;
      if (x.start === x.end) pos = literal(b, pos, EMPTY_END);
      else {
        pos = literal(b, pos, GT_BYTE);
        if (pos >= 0) pos = text(b, pos, a, x.start, x.end);
        pos = literal(b, pos, LT_SLASH);
        pos = literal(b, pos, name);
        pos = literal(b, pos, GT_CRLF);
      }
      state = AFTER_EMPTY;
    }
    pos = piece(dv, b, pos, ROW_END[state] as Uint8Array, ROW_END_WORDS[state] as Uint32Array);
  }
  pos = literal(b, pos, EPILOG);
  return pos === b.length;
}

/**
 * The markup this reader expects around the texts: written out here from the grammar (names, indentation,
 * CRLF), not taken from the writer, so that a writer's mistake in its markup is not read as right.
 * States as the writer's: ROW_START, AFTER_EMPTY (nothing pending) or a column whose end tag is pending.
 */
const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const NL = '\r\n';
const PROLOG = bytes(`<?xml version="1.0" encoding="utf-8" standalone="yes"?>${NL}<NewDataSet>${NL}`);
const EPILOG = bytes('</NewDataSet>');
const ROW_START = WIDTH + 1;
const AFTER_EMPTY = WIDTH;
const before = (state: number): string => (state === ROW_START ? `  <Table1>${NL}` : state === AFTER_EMPTY ? '' : `</${CMIS_COLUMNS[state]}>${NL}`);
const CELL_OPEN: Uint8Array[] = [];
const EMPTY_CELL: Uint8Array[] = [];
for (let state = 0; state <= ROW_START; state++) {
  for (const name of CMIS_COLUMNS) {
    CELL_OPEN.push(bytes(`${before(state)}    <${name}>`));
    EMPTY_CELL.push(bytes(`${before(state)}    <${name} />${NL}`));
  }
}
/** Each piece as little-endian 32-bit words: compared four bytes at a time, the rest byte by byte. */
const wordsOf = (piece: Uint8Array): Uint32Array => Uint32Array.from({ length: piece.length >> 2 }, (_, j) => Buffer.from(piece).readUInt32LE(4 * j));
const ROW_END = Array.from({ length: ROW_START + 1 }, (_, state) => bytes(state === ROW_START ? `  <Table1 />${NL}` : `${before(state)}  </Table1>${NL}`));
const PENDING = Array.from({ length: ROW_START + 1 }, (_, state) => bytes(before(state)));
const CELL_OPEN_WORDS = CELL_OPEN.map(wordsOf);
const EMPTY_CELL_WORDS = EMPTY_CELL.map(wordsOf);
const ROW_END_WORDS = ROW_END.map(wordsOf);
const INDENT_LT = bytes('    <');
const EMPTY_END = bytes(` />${NL}`);
const GT_BYTE = bytes('>');
const LT_SLASH = bytes('</');
const GT_CRLF = bytes(`>${NL}`);

const LT = 0x3c;
const GT = 0x3e;
const AMP = 0x26;
const CR = 0x0d;

/** `literal` for a piece of markup given with its words. */
function piece(dv: DataView, b: Uint8Array, pos: number, chunk: Uint8Array, words: Uint32Array): number {
  const n = chunk.length;
  if (pos < 0 || pos + n > b.length) return -1;
  let q = 0;
  for (let j = 0; j < words.length; j++, q += 4) if (dv.getUint32(pos + q, true) !== words[j]) return -1;
  for (; q < n; q++) if (b[pos + q] !== chunk[q]) return -1;
  return pos + n;
}

/** The position after `chunk` at `pos`, or -1 when the bytes there are not `chunk` (or pos is already -1). */
function literal(b: Uint8Array, pos: number, chunk: Uint8Array): number {
  const n = chunk.length;
  if (pos < 0 || pos + n > b.length) return -1;
  for (let q = 0; q < n; q++) if (b[pos + q] !== chunk[q]) return -1;
  return pos + n;
}

/**
 * Per byte of text: 0 = a character or part of one, 1 = `<` (the text ends), 2 = `&` (a reference),
 * 3 = not read here: a control character XML refuses, a literal CR (read as LF, §2.11), `>` (it might
 * end `]]>`); 4 = EF, which may start U+FFFE or U+FFFF (§2.2). The writer writes none of the last two kinds.
 */
const TEXT_BYTE = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) TEXT_BYTE[c] = 3;
TEXT_BYTE[0x09] = 0;
TEXT_BYTE[0x0a] = 0;
TEXT_BYTE[GT] = 3;
TEXT_BYTE[LT] = 1;
TEXT_BYTE[AMP] = 2;
TEXT_BYTE[0xef] = 4;

/**
 * Reads text up to the next `<`, which must start `</` and the cell's end tag (checked by the caller
 * through the next markup), and compares what it reads with the arena's bytes [s, e): the position of
 * that `<`, or -1. Both are valid UTF-8 (the file is checked once, the arena is made so), so comparing the
 * byte a reference stands for and the bytes of every other character is comparing the decoded texts.
 */
function text(b: Uint8Array, pos: number, a: Uint8Array, s: number, e: number): number {
  const n = b.length;
  let k = s;
  for (;;) {
    // Plain bytes equal to the ones meant: the common case, in a tight loop.
    while (k < e && pos < n) {
      const c = b[pos] as number;
      if (c !== a[k] || TEXT_BYTE[c] !== 0) break;
      pos++;
      k++;
    }
    if (pos >= n) return -1;
    const c = b[pos] as number;
    const kind = TEXT_BYTE[c];
    if (kind === 1) return k === e ? pos : -1; // `<`: the text ends
    if (k >= e) return -1;
    let x = c;
    if (kind === 2) {
      x = reference(b, pos);
      if (x < 0) return -1;
      pos += x === AMP || x === CR ? 5 : 4;
    } else if (kind === 4) {
      if (b[pos + 1] === 0xbf && ((b[pos + 2] as number) & 0xfe) === 0xbe) return -1; // U+FFFE, U+FFFF
      pos++;
    } else return -1; // kind 3, or a plain byte other than the one meant
    if (a[k] !== x) return -1;
    k++;
  }
}

/** The character of the reference at `pos` (`&amp;` `&lt;` `&gt;` `&#xD;`), or -1 for any other. */
function reference(b: Uint8Array, pos: number): number {
  const c1 = b[pos + 1];
  if (c1 === 0x61) return b[pos + 2] === 0x6d && b[pos + 3] === 0x70 && b[pos + 4] === 0x3b ? AMP : -1; // amp;
  if (c1 === 0x6c) return b[pos + 2] === 0x74 && b[pos + 3] === 0x3b ? LT : -1; // lt;
  if (c1 === 0x67) return b[pos + 2] === 0x74 && b[pos + 3] === 0x3b ? GT : -1; // gt;
  if (c1 === 0x23) return b[pos + 2] === 0x78 && b[pos + 3] === 0x44 && b[pos + 4] === 0x3b ? CR : -1; // #xD;
  return -1;
}
