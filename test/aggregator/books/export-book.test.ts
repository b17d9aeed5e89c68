import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeBook } from '../../../src/aggregator/books/close-book.js';
import { isClosingError } from '../../../src/aggregator/books/closing-errors.js';
import { ClosingStore } from '../../../src/aggregator/books/closing-store.js';
import { BookStore } from '../../../src/aggregator/books/book-store.js';
import { readDateOf } from '../../../src/aggregator/books/close-book.js';
import { exportBook, exportRows } from '../../../src/aggregator/books/export-book.js';
import { bookRowToRaw, parseBookRow } from '../../../src/aggregator/cmis/book-row.js';
import { checksum, compareBookRows, parseBookXml } from '../../../src/aggregator/cmis/book-file.js';
import { openCentralDb, type CentralDb } from '../../../src/aggregator/store/index.js';
import { tempDir, thrown } from '../../store/temp-dir.js';
import { addRead, CUTOFF, HOUR, importRows, PE } from './close-fixtures.js';

describe('exporting a closed book back to CMIS', () => {
  let tmp: ReturnType<typeof tempDir>;
  let central: CentralDb;
  let db: CentralDb['store']['db'];
  let exportDir: string;

  beforeEach(() => {
    tmp = tempDir('chiso-export-');
    central = openCentralDb({ path: tmp.file('central.db') });
    db = central.store.db;
    exportDir = tmp.file('exports');
  });
  afterEach(() => {
    central.close();
    tmp.cleanup();
  });

  /** A book with every kind of row: snapshot, nearest read, estimate, a swap with its THAO row, and a field read. */
  function mixedBook(): number {
    const jan = importRows(db, [{ MA_DDO: 'P005' }], { month: 1 });
    const feb = importRows(db, [{ MA_DDO: 'P005' }], { month: 2 });
    closeBook(db, jan, { now: CUTOFF });
    closeBook(db, feb, { now: CUTOFF });
    const id = importRows(db, [
      { MA_DDO: 'P001', MA_GC: '1', BOCSO_ID: '77', CHUOI_GIA: 'KT:100%*SHBT' },
      { MA_DDO: 'P002', MA_GC: '2', HSN: '40', CS_CU: '1000.25' },
      { MA_DDO: 'P003', MA_GC: '3' },
      { MA_DDO: 'P004', MA_GC: '4', MA_CTO: 'NEW4', CS_CU: '5' },
      { MA_DDO: 'P004', MA_GC: '4', MA_CTO: 'OLD4', LOAI_CS: 'THAO', CS_CU: '12000', CS_MOI: '12150', SL_MOI: '150' },
      { MA_DDO: 'P005', MA_GC: '5' },
    ]);
    addRead(db, { point: 'P001', value: '12301.5', at: PE, kind: 'billing-snapshot' });
    addRead(db, { point: 'P002', value: '1010.5', at: PE - 2 * HOUR });
    addRead(db, { point: 'P004', meter: 'NEW4', value: '105', at: PE, kind: 'billing-snapshot' });
    closeBook(db, id, { now: CUTOFF });
    return id;
  }

  it('fills the new reads into the rows CMIS sent, and the XML re-parses to exactly those rows', () => {
    const id = mixedBook();
    const result = exportBook(db, id, { exportDir, now: CUTOFF + HOUR });
    expect(result).toMatchObject({ reused: false, export: { version: 1, rows: 6, overrideBy: null, overrideNote: null } });
    expect(result.dir).toBe(join(exportDir, 'D018328-2026-3-1', 'v1'));
    expect(readdirSync(result.dir).sort()).toEqual(['D018328-2026-3-1.csv', 'D018328-2026-3-1.xml', 'SHA256SUMS']);
    const xml = readFileSync(result.export.xmlFile);
    const back = parseBookXml(xml, 'D018328-2026-3-1.xml');
    expect(back.book).toEqual({ unitCode: 'PD0100', bookCode: 'D018328', year: 2026, month: 3, subPeriod: 1 });
    const byPoint = (p: string, type = 'DDK') => back.rows.find((r) => r.MA_DDO === p && (r.LOAI_CS ?? 'DDK') === type)!;
    expect(byPoint('P001')).toMatchObject({ CS_MOI: '12301.5', SL_MOI: '302', NGAY_MOI: '2026-03-31T00:00:00', BOCSO_ID: '77', CHUOI_GIA: 'KT:100%*SHBT', TEN_KHANG: 'Nguyễn Văn Ánh' });
    expect(byPoint('P001').TTR_MOI).toBe('');
    expect(byPoint('P001').extra).toBeUndefined();
    expect(byPoint('P002')).toMatchObject({ CS_MOI: '1010.5', SL_MOI: '410' }); // (1010.5 − 1000.25) × 40
    expect(byPoint('P003')).toMatchObject({ SL_MOI: '300', extra: { TAM_TINH: '1' } }); // estimated from SLUONG
    expect(byPoint('P004')).toMatchObject({ CS_MOI: '105', SL_MOI: '100', SL_THAO: '150' });
    expect(byPoint('P004', 'THAO')).toMatchObject({ CS_CU: '12000', CS_MOI: '12150', SL_MOI: '150', MA_CTO: 'OLD4' }); // as imported
    expect(byPoint('P005').CS_MOI).toBeUndefined(); // field read: left empty
    expect(byPoint('P005').SL_MOI).toBeUndefined();
    // The same rows as we meant them: compare with the stored rows filled in, read back through the same parser.
    const stored = new BookStore(db).rows(id, { presentOnly: true });
    expect(back.rows.map((r) => [r.MA_DDO, r.LOAI_CS]).sort()).toEqual(stored.map((r) => [r.meteringPoint, r.readingType]).sort());
    expect([...back.rows].sort(compareBookRows).map((r) => r.MA_DDO)).toEqual(back.rows.map((r) => r.MA_DDO));
    const book = new BookStore(db).getBook(id)!;
    const meant = exportRows(stored, new ClosingStore(db).closings(id), readDateOf(book))
      .map((r, i) => parseBookRow(Object.fromEntries(bookRowToRaw(r)), { row: i + 1 }))
      .sort(compareBookRows);
    expect(back.rows).toEqual(meant);
    const sums = readFileSync(result.sumsFile, 'utf8');
    expect(sums).toBe(`${checksum(xml)}  D018328-2026-3-1.xml\n${checksum(readFileSync(result.export.csvFile))}  D018328-2026-3-1.csv\n`);
    expect(result.export.xmlSha256).toBe(checksum(xml));
    const csv = readFileSync(result.export.csvFile, 'utf8');
    expect(csv.startsWith('\uFEFFMA_DVIQLY,')).toBe(true);
    expect(csv.split('\r\n')[0]!.endsWith(',TAM_TINH')).toBe(true);
    expect(new BookStore(db).getBook(id)?.state).toBe('exported');
  });

  it('exporting twice gives the same version and bytes; a changed closing gives v2', () => {
    const id = mixedBook();
    const first = exportBook(db, id, { exportDir, now: CUTOFF + HOUR });
    const bytes = readFileSync(first.export.xmlFile);
    const again = exportBook(db, id, { exportDir, now: CUTOFF + 5 * HOUR });
    expect(again).toMatchObject({ reused: true, export: { id: first.export.id, version: 1, createdAt: CUTOFF + HOUR } });
    expect(readFileSync(again.export.xmlFile).equals(bytes)).toBe(true);
    // Closing again with nothing new keeps the book exported and the export as it was.
    expect(closeBook(db, id, { now: CUTOFF + 6 * HOUR })).toMatchObject({ changed: 0, state: 'exported' });
    // A late read of the estimated point changes its closing: the book is closed again and exports as v2.
    addRead(db, { point: 'P003', value: '12333', at: PE + HOUR });
    expect(closeBook(db, id, { now: CUTOFF + 7 * HOUR })).toMatchObject({ changed: 1, state: 'closed' });
    const second = exportBook(db, id, { exportDir, now: CUTOFF + 8 * HOUR });
    expect(second).toMatchObject({ reused: false, export: { version: 2 } });
    expect(second.export.xmlSha256).not.toBe(first.export.xmlSha256);
    expect(parseBookXml(readFileSync(second.export.xmlFile)).rows.find((r) => r.MA_DDO === 'P003')).toMatchObject({ CS_MOI: '12333', SL_MOI: '333' });
    expect(readFileSync(first.export.xmlFile).equals(bytes)).toBe(true); // v1 kept as it was sent
    expect(new ClosingStore(db).exports(id).map((e) => e.version)).toEqual([1, 2]);
  });

  it('refuses a book not closed yet', () => {
    const id = importRows(db, [{ MA_DDO: 'P001' }]);
    const e = thrown(() => exportBook(db, id, { exportDir, now: CUTOFF }));
    expect(isClosingError(e, 'EXPORT_NOT_CLOSED')).toBe(true);
    expect(existsSync(exportDir)).toBe(false);
  });

  it('refuses a book with an open blocking flag unless overridden with a note, which is kept', () => {
    const id = importRows(db, [{ MA_DDO: 'P001' }, { MA_DDO: 'P002', MA_GC: '2' }]);
    addRead(db, { point: 'P001', value: '11000', at: PE, kind: 'billing-snapshot' }); // below CS_CU, no status
    addRead(db, { point: 'P002', value: '12300', at: PE, kind: 'billing-snapshot' });
    closeBook(db, id, { now: CUTOFF });
    const blocked = thrown(() => exportBook(db, id, { exportDir, now: CUTOFF + HOUR }));
    expect(isClosingError(blocked, 'EXPORT_BLOCKED')).toBe(true);
    expect((blocked as Error).message).toContain('needs-review P001 KT');
    const noNote = thrown(() => exportBook(db, id, { exportDir, now: CUTOFF + HOUR, override: { by: 'op1', note: '   ' } }));
    expect(isClosingError(noNote, 'EXPORT_OVERRIDE_NOTE')).toBe(true);
    expect(existsSync(exportDir)).toBe(false);
    const done = exportBook(db, id, { exportDir, now: CUTOFF + HOUR, override: { by: 'op1', note: 'meter replaced on 30/3, CMIS will correct P001' } });
    expect(done.export).toMatchObject({ version: 1, overrideBy: 'op1', overrideNote: 'meter replaced on 30/3, CMIS will correct P001' });
    const rows = parseBookXml(readFileSync(done.export.xmlFile)).rows;
    // needs-review: the index the meter showed, marked, with no status and no consumption (CMIS refuses a
    // lower index without a status, so it is not billed until someone there sets one).
    const reviewed = rows.find((r) => r.MA_DDO === 'P001')!;
    expect(reviewed).toMatchObject({ CS_MOI: '11000', extra: { CAN_KIEM_TRA: '1' } });
    expect(reviewed.SL_MOI).toBeUndefined();
    expect(reviewed.TTR_MOI ?? '').toBe('');
    expect(reviewed.extra?.['TAM_TINH']).toBeUndefined();
    expect(rows.find((r) => r.MA_DDO === 'P002')?.CS_MOI).toBe('12300');
  });

  it('exports without an override once the blocking flag is decided', () => {
    const id = importRows(db, [{ MA_DDO: 'P001', SL_CU: '400' }]);
    addRead(db, { point: 'P001', value: '13300', at: PE, kind: 'billing-snapshot' }); // +225 % on 400 kWh
    closeBook(db, id, { now: CUTOFF });
    const store = new ClosingStore(db);
    expect(isClosingError(thrown(() => exportBook(db, id, { exportDir, now: CUTOFF })), 'EXPORT_BLOCKED')).toBe(true);
    const flag = store.flagsOfBook(id).find((f) => f.code === 'customer-confirmation')!;
    store.decideFlag(flag.id, 'confirm', { note: 'customer confirmed by phone', by: 'op2', now: CUTOFF + 1 });
    const done = exportBook(db, id, { exportDir, now: CUTOFF + 2 });
    expect(done.export).toMatchObject({ version: 1, overrideNote: null });
    expect(parseBookXml(readFileSync(done.export.xmlFile)).rows[0]).toMatchObject({ CS_MOI: '13300', SL_MOI: '1300' });
  });
});
