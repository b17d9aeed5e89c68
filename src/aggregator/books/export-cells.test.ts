import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBookBytes, writeBookFiles, type CmisBook } from '../cmis/book-file.js';
import { openCentralDb, type CentralDb } from '../store/central-db.js';
import { BookStore } from './book-store.js';
import { exportByteCells, exportSourceCells } from './export-cells.js';

/**
 * The export's two ways of reading a book (export-cells.ts): rows as one text written from its bytes, and
 * rows as strings written by writeBookFiles. Books are stored straight with SQL, closings of every
 * outcome included, so that odd stored rows (escapes, unknown columns, a mark CMIS already sent, rows
 * sharing a number) can be made too. Whenever the byte way writes, it writes the same bytes.
 */
const book: CmisBook = { unitCode: 'PD0100', bookCode: 'Q7', year: 2026, month: 3, subPeriod: 1 };
const READ_DATE = '2026-03-31';

interface StoredRow {
  readonly cells: Record<string, string>;
  readonly readingType: string;
  readonly rowNo: number;
  readonly present: boolean;
  readonly closing?: { outcome: string; newIndex: string | null; status: string | null; consumption: string | null; detail: string };
}

function cellsOf(i: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MA_DVIQLY: 'PD0100', MA_QUYEN: 'Q7', MA_GC: String(1 + (i % 7)), MA_DDO: `P${i}`, MA_CTO: `CT${i}`, LOAI_BCS: ['KT', 'BT', 'CD'][i % 3] as string,
    TEN_KHANG: 'Nguyễn Văn Ánh', DIA_CHI: 'Số 5 & 7 <ngõ> "12", Hà Nội', HSN: '1', CS_CU: '12000', SL_CU: '300', NGAY_CU: '2026-02-28T00:00:00',
    KY: '1', THANG: '3', NAM: '2026', ...extra,
  };
}

describe('export cells: the byte way and the plain way', () => {
  let dir: string;
  let central: CentralDb;
  let store: BookStore;
  let next = 0;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chiso-export-cells-'));
    central = openCentralDb({ path: join(dir, 'central.db') });
    store = new BookStore(central.store.db);
  });
  afterAll(() => {
    central.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function stored(rows: readonly StoredRow[]): number {
    const db = central.store.db;
    const code = `Q${++next}`;
    const id = Number(
      db
        .prepare(
          `INSERT INTO books (unit_code, book_code, year, month, sub_period, file_name, reading_day, period_start, period_end, cutoff_at, state, source_sha256, imported_at)
           VALUES ('PD0100', ?, 2026, 3, 1, 'f.xml', 'last', 0, 1, 2, 'closed', 'x', 0)`,
        )
        .run(code).lastInsertRowid,
    );
    const addRow = db.prepare(
      `INSERT INTO book_rows (book_id, metering_point, bcs, reading_type, row_no, route_position, multiplier, old_index, row_json, present) VALUES (?, ?, ?, ?, ?, '1', '1', '0', ?, ?)`,
    );
    const addClosing = db.prepare(
      `INSERT INTO book_closings (book_id, metering_point, bcs, outcome, new_index, status, consumption, detail, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`,
    );
    for (const r of rows) {
      const point = r.cells['MA_DDO'] as string;
      const bcs = r.cells['LOAI_BCS'] as string;
      addRow.run(id, point, bcs, r.readingType, r.rowNo, JSON.stringify(r.cells), r.present ? 1 : 0);
      if (r.closing !== undefined) addClosing.run(id, point, bcs, r.closing.outcome, r.closing.newIndex, r.closing.status, r.closing.consumption, r.closing.detail);
    }
    return id;
  }

  function bothWays(id: number): { fast: { xml: Buffer; csv: Buffer; readsBack: (b: Uint8Array) => string | undefined } | undefined; plain: { xml: Buffer; csv: Buffer } | { error: unknown } } {
    const cells = exportByteCells(store.exportText(id), READ_DATE);
    const fast = cells === undefined ? undefined : writeBookBytes(book, cells);
    let plain: { xml: Buffer; csv: Buffer } | { error: unknown };
    try {
      const files = writeBookFiles(book, exportSourceCells(store.exportSource(id), READ_DATE));
      plain = { xml: Buffer.from(files.xml, 'utf8'), csv: Buffer.from(files.csv, 'utf8') };
    } catch (error) {
      plain = { error };
    }
    return { fast, plain };
  }

  function expectSame(id: number): void {
    const { fast, plain } = bothWays(id);
    expect(fast).toBeDefined();
    if ('error' in plain) throw plain.error;
    expect(fast!.xml.toString('utf8')).toBe(plain.xml.toString('utf8'));
    expect(fast!.csv.equals(plain.csv)).toBe(true);
    expect(fast!.readsBack(fast!.xml)).toBeUndefined();
  }

  it('every outcome, a swap, a THAO row, absent rows, unknown columns and a mark CMIS already sent', () => {
    const swap = JSON.stringify({ swap: { newMeterConsumption: '105', removedConsumption: '150', source: 'cmis' }, note: 'x' });
    const id = stored([
      { cells: cellsOf(1), readingType: 'DDK', rowNo: 3, present: true, closing: { outcome: 'read', newIndex: '12301.5', status: '', consumption: '301.5', detail: '{}' } },
      { cells: cellsOf(2, { GHI_CHU: 'ghi, "chú"' }), readingType: 'DDK', rowNo: 1, present: true, closing: { outcome: 'estimated', newIndex: '12300', status: 'Q', consumption: '300', detail: '{"basis":"SLUONG"}' } },
      { cells: cellsOf(3, { TAM_TINH: '0' }), readingType: 'DDK', rowNo: 2, present: true, closing: { outcome: 'estimated', newIndex: '12300', status: null, consumption: null, detail: '{}' } },
      { cells: cellsOf(4), readingType: 'DDK', rowNo: 5, present: true, closing: { outcome: 'field-read', newIndex: null, status: null, consumption: null, detail: '{}' } },
      { cells: cellsOf(5, { SL_MOI: '7', CS_MOI: '1' }), readingType: 'DDK', rowNo: 4, present: true, closing: { outcome: 'needs-review', newIndex: '11000', status: null, consumption: null, detail: '{"reason":"lower"}' } },
      { cells: cellsOf(6, { SL_THAO: '9' }), readingType: 'DDK', rowNo: 6, present: true, closing: { outcome: 'read', newIndex: '105', status: '', consumption: '255', detail: swap } },
      { cells: cellsOf(6, { LOAI_CS: 'THAO', CS_MOI: '12150', SL_MOI: '150' }), readingType: 'THAO', rowNo: 7, present: true },
      { cells: cellsOf(7), readingType: 'DDK', rowNo: 8, present: true },
      { cells: cellsOf(8), readingType: 'DDK', rowNo: 9, present: false, closing: { outcome: 'read', newIndex: '1', status: '', consumption: '1', detail: '{}' } },
      { cells: { ...cellsOf(9), TEN_KHANG: 'tab\there, "line"\nfeed \\ back' }, readingType: 'DDK', rowNo: 10, present: true },
      { cells: cellsOf(10, { DIA_CHI: 'Số 1\r\nngõ 2 😀' }), readingType: 'DDK', rowNo: 11, present: true, closing: { outcome: 'read', newIndex: '12010', status: '', consumption: '10', detail: JSON.stringify({ swap: { newMeterConsumption: '4' } }) } },
    ]);
    expectSame(id);
  });

  it('random books with random closings', () => {
    const outcome = fc.constantFrom('read', 'estimated', 'field-read', 'needs-review');
    const closing = fc.record({
      outcome,
      newIndex: fc.constantFrom('12301.5', '12000', '0', null),
      status: fc.constantFrom('', 'Q', null),
      consumption: fc.constantFrom('301.5', '0', '-3', null),
      detail: fc.constantFrom('{}', '{"a":1}', JSON.stringify({ swap: { newMeterConsumption: '5', removedConsumption: '6' } }), JSON.stringify({ swap: { removedConsumption: '6' } })),
    });
    const extra = fc.dictionary(fc.constantFrom('GHI_CHU', 'TAM_TINH', 'CAN_KIEM_TRA', 'Z'), fc.constantFrom('', '1', 'a & b', 'Ánh'), { maxKeys: 2 });
    const rowArb = fc.record({ extra, type: fc.constantFrom('DDK', 'DDK', 'THAO'), present: fc.constantFrom(true, true, false), closing: fc.option(closing, { nil: undefined }), text: fc.string({ unit: 'grapheme', maxLength: 6 }) });
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 10 }), fc.boolean(), (raw, shuffle) => {
        const rows: StoredRow[] = raw.map((r, i) => ({
          cells: cellsOf(i, { ...r.extra, TEN_KHANG: r.text, ...(r.type === 'THAO' ? { LOAI_CS: 'THAO' } : {}) }),
          readingType: r.type,
          rowNo: shuffle ? raw.length - i : i + 1,
          present: r.present,
          ...(r.closing === undefined ? {} : { closing: r.closing }),
        }));
        const id = stored(rows);
        const { fast, plain } = bothWays(id);
        if (fast === undefined) {
          // only a book with no present row, or one the plain way refuses
          expect(!rows.some((r) => r.present) || 'error' in plain).toBe(true);
          return;
        }
        if ('error' in plain) throw plain.error;
        expect(fast.xml.equals(plain.xml)).toBe(true);
        expect(fast.csv.equals(plain.csv)).toBe(true);
        expect(fast.readsBack(fast.xml)).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });

  it('leaves to the plain way: rows sharing a number, a value that is not text, a swap part that is not text, an empty book', () => {
    const twice = stored([
      { cells: cellsOf(1), readingType: 'DDK', rowNo: 1, present: true },
      { cells: cellsOf(2), readingType: 'DDK', rowNo: 1, present: true },
    ]);
    expect(exportByteCells(store.exportText(twice), READ_DATE)).toBeUndefined();
    const number = stored([{ cells: { ...cellsOf(1), SO_HO: 1 as unknown as string }, readingType: 'DDK', rowNo: 1, present: true }]);
    expect(exportByteCells(store.exportText(number), READ_DATE)).toBeUndefined();
    const swapNumber = stored([
      { cells: cellsOf(1), readingType: 'DDK', rowNo: 1, present: true, closing: { outcome: 'read', newIndex: '1', status: '', consumption: '1', detail: '{"swap":{"removedConsumption":3}}' } },
    ]);
    expect(exportByteCells(store.exportText(swapNumber), READ_DATE)).toBeUndefined();
    const empty = stored([{ cells: cellsOf(1), readingType: 'DDK', rowNo: 1, present: false }]);
    expect(exportByteCells(store.exportText(empty), READ_DATE)).toBeUndefined();
  });
});
