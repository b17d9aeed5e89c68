import type { BookCells } from '../cmis/book-write.js';
import { ByteCells, fillFromObject, scanJsonObject } from '../cmis/byte-cells.js';
import { CMIS_COLUMNS } from '../cmis/columns.js';
import type { ExportSourceRow, ExportText } from './book-store.js';
import type { ClosingOutcome } from './closing-store.js';

/**
 * What the closings fill into the rows CMIS sent (export-book.ts says which column carries what), in the
 * two forms the export reads rows in: cells as strings (exportSourceCells, the slow and plain way) and
 * byte cells (exportByteCells, what a month end goes through). The two must give the same cells:
 * export-cells.test.ts compares the files written from each.
 */
export const ESTIMATE_COLUMN = 'TAM_TINH';
/** The mark of a needs-review row exported under an override: the index is the meter's, the status missing. */
export const REVIEW_COLUMN = 'CAN_KIEM_TRA';

/** detail.swap of a closing after a swap: SL_MOI is the installed meter's part, SL_THAO the removed meter's. */
interface Swap {
  readonly newMeterConsumption: string;
  readonly removedConsumption: string;
}

/** A periodic row's cells filled in from its closing. */
export function fillCells(
  cells: Record<string, string>,
  outcome: ClosingOutcome,
  newIndex: string | null,
  status: string | null,
  consumption: string | null,
  swap: Swap | undefined,
  readAt: string,
): void {
  if (outcome === 'field-read') {
    cells['CS_MOI'] = '';
    cells['SL_MOI'] = '';
    return;
  }
  if (outcome === 'needs-review') {
    cells['CS_MOI'] = newIndex ?? '';
    cells['TTR_MOI'] = '';
    cells['SL_MOI'] = '';
    cells['NGAY_MOI'] = readAt;
    cells[REVIEW_COLUMN] = '1';
    return;
  }
  cells['CS_MOI'] = newIndex ?? '';
  cells['TTR_MOI'] = status ?? ''; // '' or Q: what closeRegister and estimateRead give
  cells['SL_MOI'] = swap?.newMeterConsumption ?? consumption ?? '';
  cells['NGAY_MOI'] = readAt;
  if (swap !== undefined) cells['SL_THAO'] = swap.removedConsumption;
  if (outcome === 'estimated') cells[ESTIMATE_COLUMN] = '1';
}

/** The cells of the export's rows (BookStore.exportSource, file order) with the closings filled in. */
export function exportSourceCells(source: readonly ExportSourceRow[], readDate: string): BookCells[] {
  const readAt = `${readDate}T00:00:00`;
  const out: BookCells[] = new Array<BookCells>(source.length);
  for (let i = 0; i < source.length; i++) {
    const [rowJson, outcome, newIndex, status, consumption, detail] = source[i] as ExportSourceRow;
    const cells = JSON.parse(rowJson) as Record<string, string>;
    if (outcome !== null) {
      const swap = detail === null ? undefined : (JSON.parse(detail) as { swap?: Swap }).swap;
      fillCells(cells, outcome, newIndex, status, consumption, swap, readAt);
    }
    out[i] = cells;
  }
  return out;
}

const column = (name: (typeof CMIS_COLUMNS)[number]): number => CMIS_COLUMNS.indexOf(name);
const CS_MOI = column('CS_MOI');
const TTR_MOI = column('TTR_MOI');
const SL_MOI = column('SL_MOI');
const NGAY_MOI = column('NGAY_MOI');
const SL_THAO = column('SL_THAO');
const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const FIELD_READ = ascii('field-read');
const NEEDS_REVIEW = ascii('needs-review');
const ESTIMATED = ascii('estimated');
const EMPTY_DETAIL = ascii('{}');
const LF = 0x0a;
const SEP = 0x1f;

function is(b: Uint8Array, s: number, e: number, word: Uint8Array): boolean {
  if (e - s !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (b[s + k] !== word[k]) return false;
  return true;
}

/** Lines per book at most: a line's number rides in the low bits of its sort key. */
const LINE_BITS = 2 ** 21;

/**
 * The export's rows as byte cells, from BookStore.exportText (row_json per line in `text`; per line in
 * `closings` the row number and the closing's outcome, new index, status, consumption and detail,
 * separated by U+001F): exportSourceCells on byte ranges. Both texts go into the arena; rows are put in
 * file order by their numbers; the values a closing gives are ranges of it, only the read date, the `1` of
 * a mark and a swap's parts are added. A row whose JSON is not plainly what JSON.stringify writes goes
 * through JSON.parse. Undefined when the texts are not what they should be, two rows share a number, or a
 * value cannot be represented (not a string, a lone surrogate): the caller then takes the slow way, which
 * behaves as it always did (and orders rows of one number by route).
 */
export function exportByteCells(source: ExportText, readDate: string): ByteCells | undefined {
  const { text, closings, rows } = source;
  if (text === null || closings === null || rows === 0 || rows >= LINE_BITS) return undefined;
  const readAt = `${readDate}T00:00:00`;
  // One buffer for both texts and what is added (3 bytes per UTF-16 unit at most).
  const arena = Buffer.allocUnsafe(text.length + 1 + closings.length + 3 * readAt.length + 1024);
  text.copy(arena, 0);
  arena[text.length] = LF;
  const c0 = text.length + 1;
  closings.copy(arena, c0);
  const b = arena;
  const used = c0 + closings.length;
  // Each row's JSON line and closing line, and its row number.
  const jsonAt = new Int32Array(rows);
  const jsonEnd = new Int32Array(rows);
  const closingAt = new Int32Array(rows);
  const closingEnd = new Int32Array(rows);
  const keys = new Float64Array(rows);
  let pos = 0;
  let cpos = c0;
  for (let i = 0; i < rows; i++) {
    if (pos >= text.length || cpos >= used) return undefined;
    let end = b.indexOf(LF, pos);
    if (end < 0 || end > text.length) end = text.length;
    jsonAt[i] = pos;
    jsonEnd[i] = end;
    pos = end + 1;
    let cend = b.indexOf(LF, cpos);
    if (cend < 0 || cend > used) cend = used;
    let rowNo = 0;
    let k = cpos;
    for (; k < cend && b[k] !== SEP; k++) {
      const d = (b[k] as number) - 0x30;
      if (d < 0 || d > 9) return undefined;
      rowNo = rowNo * 10 + d;
      if (rowNo > 2 ** 31) return undefined; // keeps rowNo * LINE_BITS + line exact
    }
    if (k === cpos || k === cend) return undefined;
    closingAt[i] = k + 1;
    closingEnd[i] = cend;
    keys[i] = rowNo * LINE_BITS + i; // exact: below 2^53
    cpos = cend + 1;
  }
  if (pos < text.length || cpos < used) return undefined;
  keys.sort();
  for (let i = 1; i < rows; i++) if (Math.floor((keys[i] as number) / LINE_BITS) === Math.floor((keys[i - 1] as number) / LINE_BITS)) return undefined;

  const cells = new ByteCells(arena, used, rows);
  const readAtStart = cells.append(readAt);
  const readAtEnd = cells.used;
  const oneStart = cells.append('1');
  const oneEnd = cells.used;
  const f = [0, 0, 0, 0, 0]; // where the outcome, new index, status, consumption and detail end
  for (let row = 0; row < rows; row++) {
    const line = (keys[row] as number) % LINE_BITS;
    const js = jsonAt[line] as number;
    const je = jsonEnd[line] as number;
    if (scanJsonObject(cells, row, js, je) !== je) {
      let object: unknown;
      try {
        object = JSON.parse(b.toString('utf8', js, je));
      } catch {
        return undefined;
      }
      if (typeof object !== 'object' || object === null || Array.isArray(object)) return undefined;
      if (!fillFromObject(cells, row, object as Record<string, unknown>)) return undefined;
    }
    // Outcome, new index, status, consumption: none holds U+001F (decimals and codes cannot); detail is
    // JSON, which has none either. A line with more or fewer separators is not one of ours.
    const o = closingAt[line] as number;
    const ce = closingEnd[line] as number;
    let n = 0;
    for (let k = o; k < ce; k++) {
      if (b[k] !== SEP) continue;
      if (n === 4) return undefined;
      f[n++] = k;
    }
    if (n !== 4) return undefined;
    f[4] = ce;
    const oe = f[0] as number;
    if (oe === o) continue; // no closing: the row as imported
    const ni = oe + 1;
    const nie = f[1] as number;
    if (is(b, o, oe, FIELD_READ)) {
      cells.set(row, CS_MOI, 0, 0);
      cells.set(row, SL_MOI, 0, 0);
    } else if (is(b, o, oe, NEEDS_REVIEW)) {
      cells.set(row, CS_MOI, ni, nie);
      cells.set(row, TTR_MOI, 0, 0);
      cells.set(row, SL_MOI, 0, 0);
      cells.set(row, NGAY_MOI, readAtStart, readAtEnd);
      cells.setExtra(row, REVIEW_COLUMN, oneStart, oneEnd);
    } else {
      cells.set(row, CS_MOI, ni, nie);
      cells.set(row, TTR_MOI, nie + 1, f[2] as number);
      const ds = (f[3] as number) + 1;
      const de = f[4] as number;
      const swap = de === ds || is(b, ds, de, EMPTY_DETAIL) ? undefined : swapOf(b.toString('utf8', ds, de));
      if (swap === null) return undefined;
      if (swap === undefined || swap.newMeterConsumption === undefined) cells.set(row, SL_MOI, (f[2] as number) + 1, f[3] as number);
      else {
        const s = cells.append(swap.newMeterConsumption);
        if (s < 0) return undefined;
        cells.set(row, SL_MOI, s, cells.used);
      }
      cells.set(row, NGAY_MOI, readAtStart, readAtEnd);
      if (swap !== undefined) {
        // fillCells sets SL_THAO to whatever the detail holds: undefined leaves the column out.
        if (swap.removedConsumption === undefined) cells.unset(row, SL_THAO);
        else {
          const s = cells.append(swap.removedConsumption);
          if (s < 0) return undefined;
          cells.set(row, SL_THAO, s, cells.used);
        }
      }
      if (is(b, o, oe, ESTIMATED)) cells.setExtra(row, ESTIMATE_COLUMN, oneStart, oneEnd);
    }
  }
  return cells;
}

/**
 * detail.swap of a closing's detail: undefined when there is none, null when it is anything fillCells
 * would not turn into text (the slow way then does what it does with it).
 */
function swapOf(detail: string): { newMeterConsumption?: string; removedConsumption?: string } | undefined | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(detail);
  } catch {
    return null;
  }
  const swap = (parsed as { swap?: unknown } | null)?.swap;
  if (swap === undefined) return undefined;
  if (typeof swap !== 'object' || swap === null) return null;
  const { newMeterConsumption, removedConsumption } = swap as Record<string, unknown>;
  const ok = (v: unknown): boolean => v === undefined || typeof v === 'string';
  // null would give the consumption for SL_MOI but the text "null" for SL_THAO: left to the slow way.
  if (!ok(newMeterConsumption) || !ok(removedConsumption)) return null;
  return swap as { newMeterConsumption?: string; removedConsumption?: string };
}
