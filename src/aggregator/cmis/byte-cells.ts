import { CMIS_COLUMNS } from './columns.js';

/**
 * A book's cells as UTF-8 byte ranges in one buffer (the arena), for the export: a month end writes
 * millions of rows, and turning each stored row (JSON) into 30 JavaScript strings and the strings back into
 * UTF-8 cost more than writing the files. Rows are numbered 0… in file order. For each row and each CMIS
 * column: start and end of its text in the arena, start −1 when the column is absent; unknown columns are
 * kept per row by name. Values added later (what the closings fill in) are appended to the arena.
 */
export const WIDTH = CMIS_COLUMNS.length;

export interface ByteExtra {
  readonly name: string;
  start: number;
  end: number;
}

export class ByteCells {
  arena: Buffer;
  used: number;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Unknown columns of each row (undefined: none), in the order set; writers sort them by name. */
  readonly extras: (ByteExtra[] | undefined)[];

  /** `arena` holds `used` bytes of source text (the rows' JSON); there may be room after them. */
  constructor(
    arena: Buffer,
    used: number,
    readonly count: number,
  ) {
    this.arena = arena;
    this.used = used;
    this.starts = new Int32Array(count * WIDTH).fill(-1);
    this.ends = new Int32Array(count * WIDTH);
    this.extras = new Array<ByteExtra[] | undefined>(count).fill(undefined);
  }

  /**
   * Appends the UTF-8 of `text` and returns where it starts (it ends at `used`), or −1 when `text` holds a
   * lone surrogate: it has no UTF-8, and writing U+FFFD in its place would hide what the XML writer must
   * refuse.
   */
  append(text: string): number {
    const n = text.length;
    if (this.used + 3 * n > this.arena.length) {
      const bigger = Buffer.allocUnsafe(Math.max(2 * this.arena.length, this.used + 3 * n + 1024));
      this.arena.copy(bigger, 0, 0, this.used);
      this.arena = bigger;
    }
    const b = this.arena;
    const start = this.used;
    let off = start;
    for (let k = 0; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c < 0x80) b[off++] = c;
      else if (c < 0x800) {
        b[off++] = 0xc0 | (c >> 6);
        b[off++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const d = k + 1 < n ? text.charCodeAt(k + 1) : 0;
        if (c > 0xdbff || d < 0xdc00 || d > 0xdfff) return -1;
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        b[off++] = 0xf0 | (cp >> 18);
        b[off++] = 0x80 | ((cp >> 12) & 0x3f);
        b[off++] = 0x80 | ((cp >> 6) & 0x3f);
        b[off++] = 0x80 | (cp & 0x3f);
        k++;
      } else {
        b[off++] = 0xe0 | (c >> 12);
        b[off++] = 0x80 | ((c >> 6) & 0x3f);
        b[off++] = 0x80 | (c & 0x3f);
      }
    }
    this.used = off;
    return start;
  }

  set(row: number, column: number, start: number, end: number): void {
    this.starts[row * WIDTH + column] = start;
    this.ends[row * WIDTH + column] = end;
  }

  /** Makes a column absent. */
  unset(row: number, column: number): void {
    this.starts[row * WIDTH + column] = -1;
  }

  /** Sets an unknown column, replacing one of the same name. */
  setExtra(row: number, name: string, start: number, end: number): void {
    let list = this.extras[row];
    if (list === undefined) list = this.extras[row] = [];
    for (const e of list) {
      if (e.name === name) {
        e.start = start;
        e.end = end;
        return;
      }
    }
    list.push({ name, start, end });
  }

  /** The text of a range. */
  text(start: number, end: number): string {
    return this.arena.toString('utf8', start, end);
  }

  /** A row's cells as strings (column → text), as BookCells: for the full read-back and for errors. */
  cellsOf(row: number): Record<string, string> {
    const cells = Object.create(null) as Record<string, string>; // an unknown column may be called __proto__
    for (let i = 0; i < WIDTH; i++) {
      const s = this.starts[row * WIDTH + i] as number;
      if (s >= 0) cells[CMIS_COLUMNS[i] as string] = this.text(s, this.ends[row * WIDTH + i] as number);
    }
    for (const e of this.extras[row] ?? []) cells[e.name] = this.text(e.start, e.end);
    return cells;
  }
}

const COLUMN_INDEX: ReadonlyMap<string, number> = new Map(CMIS_COLUMNS.map((c, i) => [c, i]));
const COLUMN_BYTES: readonly Uint8Array[] = CMIS_COLUMNS.map((c) => Buffer.from(c, 'latin1'));
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Reads the JSON object at `pos` in the arena into row `row`: `{"NAME":"text",…}` exactly as
 * JSON.stringify writes an object of strings (no white space, names in any order). Returns the position
 * after `}`, or −1 as soon as the text is anything else (an escape, a name twice, a value that is not a
 * string…): the caller then hands the row to JSON.parse (fillFromObject). A string without `\` is its
 * bytes between the quotes (RFC 8259 §7), so a range is the value JSON.parse would give.
 */
export function scanJsonObject(cells: ByteCells, row: number, pos: number, limit: number): number {
  const b = cells.arena;
  if (b[pos] !== 0x7b) return -1; // {
  pos++;
  if (b[pos] === 0x7d) return pos + 1; // {}
  let next = 0; // names come in CMIS order when our import wrote the row: try the next columns first
  const base = row * WIDTH;
  for (;;) {
    if (pos >= limit || b[pos] !== QUOTE) return -1;
    pos++;
    let column = -1;
    for (let c = next; c < WIDTH; c++) {
      const name = COLUMN_BYTES[c] as Uint8Array;
      const n = name.length;
      if (b[pos + n] !== QUOTE || b[pos] !== name[0]) continue;
      let q = 1;
      while (q < n && b[pos + q] === name[q]) q++;
      if (q === n) {
        column = c;
        break;
      }
    }
    let extra: string | undefined;
    if (column >= 0) pos += (COLUMN_BYTES[column] as Uint8Array).length;
    else {
      const end = stringEnd(b, pos, limit);
      if (end < 0) return -1;
      const name = b.toString('utf8', pos, end);
      const known = COLUMN_INDEX.get(name);
      if (known !== undefined) column = known;
      else extra = name;
      pos = end;
    }
    // pos is at the name's closing quote: `":"` must follow
    if (b[pos + 1] !== 0x3a || b[pos + 2] !== QUOTE) return -1;
    pos += 3;
    const end = stringEnd(b, pos, limit);
    if (end < 0) return -1;
    if (extra !== undefined) {
      const list = cells.extras[row];
      if (list !== undefined && list.some((e) => e.name === extra)) return -1;
      cells.setExtra(row, extra, pos, end);
    } else {
      if ((cells.starts[base + column] as number) >= 0) return -1; // a name twice: JSON.parse keeps the last
      cells.starts[base + column] = pos;
      cells.ends[base + column] = end;
      next = column + 1;
    }
    pos = end + 1;
    const c = b[pos];
    if (c === 0x2c) pos++; // ,
    else if (c === 0x7d) return pos + 1; // }
    else return -1;
  }
}

/** The closing quote of a JSON string whose text starts at `pos`, or −1 when it holds an escape or a control character. */
function stringEnd(b: Uint8Array, pos: number, limit: number): number {
  for (; pos < limit; pos++) {
    const c = b[pos] as number;
    if (c === QUOTE) return pos;
    if (c === BACKSLASH || c < 0x20) return -1;
  }
  return -1;
}

/**
 * Row `row` from the object JSON.parse gave (a row scanJsonObject left alone). False when a value is not
 * a string or holds a lone surrogate: the caller then exports the book the slow way, which says what is
 * wrong with it.
 */
export function fillFromObject(cells: ByteCells, row: number, object: Record<string, unknown>): boolean {
  const base = row * WIDTH;
  cells.starts.fill(-1, base, base + WIDTH);
  cells.extras[row] = undefined;
  for (const name in object) {
    if (!Object.prototype.hasOwnProperty.call(object, name)) continue;
    const value = object[name];
    if (typeof value !== 'string') return false;
    const start = cells.append(value);
    if (start < 0) return false;
    const column = COLUMN_INDEX.get(name);
    if (column === undefined) cells.setExtra(row, name, start, cells.used);
    else cells.set(row, column, start, cells.used);
  }
  return true;
}
