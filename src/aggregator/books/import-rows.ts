import { bookRowToRaw, type CmisBookRow } from '../cmis/book-row.js';
import { BookError } from './errors.js';

/**
 * The pure half of importing a book: CMIS rows → the book_rows records we store, and the difference
 * between what is stored and what a re-import brings. No database here (import-book.ts applies it).
 */

/** The periodic read (LOAI_CS DDK); an empty LOAI_CS means the same, since CMIS leaves it out on plain rows. */
export const PERIODIC = 'DDK';

/** One book_rows record, as stored (the book id is added by the writer). */
export interface RowRecord {
  readonly meteringPoint: string;
  readonly bcs: string;
  /** LOAI_CS: DDK (periodic) or THAO (the removed meter of a swap) … */
  readonly readingType: string;
  /** 1-based row number in the file. */
  readonly rowNo: number;
  /** MA_GC */
  readonly routePosition: string;
  readonly meterId: string | null;
  readonly meterSerial: string | null;
  readonly customerCode: string | null;
  readonly customerName: string | null;
  /** HSN, exact decimal text. */
  readonly multiplier: string;
  /** CS_CU, exact decimal text. */
  readonly oldIndex: string;
  /** Every column of the row as CMIS text, CMIS order then unknown columns: what an export writes back. */
  readonly rowJson: string;
}

/** A stored record with its presence flag (a row a re-import no longer has stays, marked absent). */
export interface StoredRowRecord extends RowRecord {
  readonly present: boolean;
}

export function readingTypeOf(row: Pick<CmisBookRow, 'LOAI_CS'>): string {
  const t = row.LOAI_CS?.trim() ?? '';
  return t === '' ? PERIODIC : t;
}

/** The primary key of book_rows within a book: one row per metering point × register × reading type. */
export function rowKey(r: Pick<RowRecord, 'meteringPoint' | 'bcs' | 'readingType'>): string {
  return `${r.meteringPoint}\u0000${r.bcs}\u0000${r.readingType}`;
}

const orNull = (s: string | undefined): string | null => (s === undefined || s.trim() === '' ? null : s.trim());

export function rowRecord(row: CmisBookRow, rowNo: number): RowRecord {
  return {
    meteringPoint: row.MA_DDO,
    bcs: row.LOAI_BCS,
    readingType: readingTypeOf(row),
    rowNo,
    routePosition: row.MA_GC,
    meterId: orNull(row.MA_CTO),
    meterSerial: orNull(row.SERY_CTO),
    customerCode: orNull(row.MA_KHANG),
    // The name is free text: kept as written, only an empty one becomes null.
    customerName: row.TEN_KHANG === undefined || row.TEN_KHANG.trim() === '' ? null : row.TEN_KHANG,
    multiplier: row.HSN,
    oldIndex: row.CS_CU,
    rowJson: JSON.stringify(Object.fromEntries(bookRowToRaw(row))),
  };
}

function describe(row: CmisBookRow, rowNo: number): string {
  return `row ${rowNo} (MA_GC ${row.MA_GC}, MA_DDO ${row.MA_DDO}, LOAI_BCS ${row.LOAI_BCS}, LOAI_CS ${readingTypeOf(row)})`;
}

/**
 * The records of a book's rows, in file order. Two rows with the same point, register and reading type
 * are refused naming both: billing refuses two periodic reads for one point and register in a period
 * (DOMAIN.md "CMIS exchange"), and for any other reading type we could not tell which one CMIS meant.
 */
export function rowRecords(fileName: string, rows: readonly CmisBookRow[]): RowRecord[] {
  const seen = new Map<string, number>();
  return rows.map((row, i) => {
    const record = rowRecord(row, i + 1);
    const key = rowKey(record);
    const first = seen.get(key);
    if (first !== undefined) {
      const firstRow = rows[first - 1] as CmisBookRow;
      const why =
        record.readingType === PERIODIC
          ? 'billing refuses two periodic (DDK) reads for one metering point and register in a period'
          : `two ${record.readingType} rows for one metering point and register`;
      throw new BookError('BOOK_DUPLICATE_ROW', `${fileName}: ${describe(row, i + 1)} repeats ${describe(firstRow, first)}: ${why}`, {
        context: { file: fileName, row: i + 1, firstRow: first, meteringPoint: record.meteringPoint, bcs: record.bcs, readingType: record.readingType },
      });
    }
    seen.set(key, i + 1);
    return record;
  });
}

export interface RowDiff {
  /** Keys never stored for this book. */
  readonly inserts: RowRecord[];
  /** Stored keys whose stored columns differ from the file's, or that were absent and are back. */
  readonly updates: RowRecord[];
  /** Stored, present keys the file no longer has: to be marked absent (never deleted). */
  readonly removals: StoredRowRecord[];
  /** Counts for the import result: new or returning rows, rows whose content changed, rows gone. */
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
}

const SAME_COLUMNS = ['rowNo', 'routePosition', 'meterId', 'meterSerial', 'customerCode', 'customerName', 'multiplier', 'oldIndex', 'rowJson'] as const;

/**
 * What a re-import changes. A row only moved in the file (another row number, same content) is rewritten
 * but not counted as changed: the import result counts what CMIS changed, not how it ordered the file.
 */
export function diffRows(stored: readonly StoredRowRecord[], incoming: readonly RowRecord[]): RowDiff {
  const byKey = new Map(stored.map((r) => [rowKey(r), r]));
  const inserts: RowRecord[] = [];
  const updates: RowRecord[] = [];
  let added = 0;
  let changed = 0;
  const kept = new Set<string>();
  for (const record of incoming) {
    const key = rowKey(record);
    kept.add(key);
    const old = byKey.get(key);
    if (old === undefined) {
      inserts.push(record);
      added++;
    } else if (!old.present) {
      updates.push(record);
      added++;
    } else if (SAME_COLUMNS.some((c) => old[c] !== record[c])) {
      updates.push(record);
      if (old.rowJson !== record.rowJson) changed++;
    }
  }
  const removals = stored.filter((r) => r.present && !kept.has(rowKey(r)));
  return { inserts, updates, removals, added, changed, removed: removals.length };
}
