import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BookReads } from '../../../src/aggregator/books/book-reads.js';
import { closeBook } from '../../../src/aggregator/books/close-book.js';
import { isClosingError } from '../../../src/aggregator/books/closing-errors.js';
import { ClosingStore } from '../../../src/aggregator/books/closing-store.js';
import { BookStore } from '../../../src/aggregator/books/book-store.js';
import { openCentralDb, type CentralDb } from '../../../src/aggregator/store/index.js';
import { tempDir, thrown } from '../../store/temp-dir.js';
import { addAnomaly, addRead, CUTOFF, HOUR, importRows, PE } from './close-fixtures.js';

describe('closing a book at its cutoff', () => {
  let tmp: ReturnType<typeof tempDir>;
  let central: CentralDb;
  let db: CentralDb['store']['db'];
  let closings: ClosingStore;

  beforeEach(() => {
    tmp = tempDir('chiso-close-');
    central = openCentralDb({ path: tmp.file('central.db') });
    db = central.store.db;
    closings = new ClosingStore(db);
  });
  afterEach(() => {
    central.close();
    tmp.cleanup();
  });

  const closingOf = (bookId: number, point: string, bcs = 'KT') => closings.closings(bookId).find((c) => c.meteringPoint === point && c.bcs === bcs);
  const flagsOf = (bookId: number, point?: string) => closings.flagsOfBook(bookId).filter((f) => point === undefined || f.meteringPoint === point);

  it("closes a register exactly with the meter's billing snapshot and marks the book closed", () => {
    const id = importRows(db, [{ MA_DDO: 'P001' }]);
    addRead(db, { point: 'P001', value: '12290', at: PE - HOUR });
    const snap = addRead(db, { point: 'P001', value: '12301.5', at: PE, kind: 'billing-snapshot' });
    const summary = closeBook(db, id, { now: CUTOFF });
    expect(closingOf(id, 'P001')).toMatchObject({ outcome: 'read', source: 'billing-snapshot', newIndex: '12301.5', status: '', consumption: '302', readId: snap, gapMs: 0 });
    expect(summary).toMatchObject({ rows: 1, outcomes: { read: 1, estimated: 0, 'field-read': 0, 'needs-review': 0 }, readBySource: { 'billing-snapshot': 1 }, state: 'closed' });
    expect(new BookStore(db).getBook(id)).toMatchObject({ state: 'closed', closedAt: CUTOFF });
  });

  it('reads the book without the write lock: the ingest commits late reads while a book is being decided', () => {
    const id = importRows(db, [{ MA_DDO: 'P001' }, { MA_DDO: 'P002', MA_GC: '2' }]);
    addRead(db, { point: 'P001', value: '12301.5', at: PE, kind: 'billing-snapshot' });
    // The store worker's connection, which must not wait: no busy timeout at all.
    const ingest = openCentralDb({ path: central.store.path, busyTimeoutMs: 0 });
    const original = BookReads.prototype.candidates;
    const committed: string[] = [];
    const spy = vi.spyOn(BookReads.prototype, 'candidates').mockImplementation(function (this: BookReads, q) {
      if (committed.length === 0) committed.push(addRead(ingest.store.db, { point: 'P777', value: '1', at: PE }));
      return original.call(this, q);
    });
    try {
      closeBook(db, id, { now: CUTOFF });
    } finally {
      spy.mockRestore();
      ingest.close();
    }
    expect(committed).toHaveLength(1);
    expect(closingOf(id, 'P001')).toMatchObject({ outcome: 'read', newIndex: '12301.5' });
  });

  it('takes the nearest read within the tolerance, records the gap, and ignores reads outside it', () => {
    const id = importRows(db, [{ MA_DDO: 'P001' }, { MA_DDO: 'P002', MA_GC: '2' }]);
    addRead(db, { point: 'P001', value: '12250', at: PE - 5 * HOUR });
    const near = addRead(db, { point: 'P001', value: '12290', at: PE + 2 * HOUR });
    addRead(db, { point: 'P002', value: '12400', at: PE - 7 * HOUR }); // outside 6 h
    addRead(db, { point: 'P002', value: '12410', at: PE - HOUR, quality: 'estimated' }); // not a measured index
    closeBook(db, id, { now: CUTOFF });
    const c = closingOf(id, 'P001');
    expect(c).toMatchObject({ outcome: 'read', source: 'nearest-read', newIndex: '12290', consumption: '290', readId: near, gapMs: 2 * HOUR });
    expect(c?.detail).toMatchObject({ gapMs: 2 * HOUR, candidates: 2 });
    expect(closingOf(id, 'P002')).toMatchObject({ outcome: 'estimated', estimateNumber: 1 });
  });

  it('converts Wh reads to kWh exactly', () => {
    const id = importRows(db, [{ MA_DDO: 'P001' }]);
    addRead(db, { point: 'P001', value: '12301500', unit: 'Wh', at: PE, kind: 'billing-snapshot' });
    closeBook(db, id, { now: CUTOFF });
    expect(closingOf(id, 'P001')).toMatchObject({ newIndex: '12301.5', consumption: '302' });
  });

  it('estimates where nothing was read, twice in a row at most: the third period goes to the field', () => {
    const jan = importRows(db, [{ MA_DDO: 'P001' }], { month: 1 });
    const feb = importRows(db, [{ MA_DDO: 'P001' }], { month: 2 });
    const mar = importRows(db, [{ MA_DDO: 'P001' }], { month: 3 });
    closeBook(db, jan, { now: CUTOFF });
    closeBook(db, feb, { now: CUTOFF });
    const summary = closeBook(db, mar, { now: CUTOFF });
    expect(closingOf(jan, 'P001')).toMatchObject({ outcome: 'estimated', source: 'estimate', estimateNumber: 1 });
    const febClosing = closingOf(feb, 'P001');
    expect(febClosing).toMatchObject({ outcome: 'estimated', estimateNumber: 2 });
    expect(febClosing?.detail).toMatchObject({ estimatesBefore: 1 });
    expect(typeof febClosing?.detail.kwhPerDay).toBe('string');
    expect(closingOf(mar, 'P001')).toMatchObject({ outcome: 'field-read', newIndex: null, consumption: null });
    expect(summary.outcomes['field-read']).toBe(1);
    expect(flagsOf(mar, 'P001')).toEqual([expect.objectContaining({ code: 'field-read', blocking: false, state: 'open' })]);
  });

  it('a read in between resets the two-in-a-row count', () => {
    const jan = importRows(db, [{ MA_DDO: 'P001' }], { month: 1 });
    const feb = importRows(db, [{ MA_DDO: 'P001' }], { month: 2 });
    const mar = importRows(db, [{ MA_DDO: 'P001' }], { month: 3 });
    closeBook(db, jan, { now: CUTOFF });
    addRead(db, { point: 'P001', value: '12500', at: Date.parse('2026-02-28T17:00:00Z'), kind: 'billing-snapshot' });
    closeBook(db, feb, { now: CUTOFF });
    closeBook(db, mar, { now: CUTOFF });
    expect(closingOf(feb, 'P001')?.outcome).toBe('read');
    expect(closingOf(mar, 'P001')).toMatchObject({ outcome: 'estimated', estimateNumber: 1 });
  });

  it("after a swap closes the new meter from its own reads and bills the removed meter's consumption too", () => {
    const id = importRows(db, [
      { MA_DDO: 'P001', MA_CTO: 'NEW1', CS_CU: '5', SL_CU: '300' },
      { MA_DDO: 'P001', MA_CTO: 'OLD1', LOAI_CS: 'THAO', CS_CU: '12000', CS_MOI: '12150' },
    ]);
    addRead(db, { point: 'P001', meter: 'OLD1', value: '12150', at: PE, kind: 'billing-snapshot' }); // the removed meter: never closes the new one
    // The new meter's clock is 30 s late: the removed meter's snapshot would be the nearer one if it counted.
    const snap = addRead(db, { point: 'P001', meter: 'NEW1', value: '105', at: PE + 30_000, kind: 'billing-snapshot' });
    closeBook(db, id, { now: CUTOFF });
    const c = closingOf(id, 'P001');
    expect(c).toMatchObject({ outcome: 'read', newIndex: '105', readId: snap, consumption: '250', gapMs: 30_000 });
    expect(c?.detail.swap).toEqual({ removedMeterId: 'OLD1', removedConsumption: '150', newMeterConsumption: '100', total: '250', from: 'THAO CS_CU..CS_MOI' });
    expect(closings.closings(id)).toHaveLength(1); // the THAO row is not closed: it is the removed meter's record
  });

  it("takes the removed meter's consumption from SL_THAO when the THAO row has no final index, and reviews a swap with neither", () => {
    const id = importRows(db, [
      { MA_DDO: 'P001', MA_CTO: 'NEW1', CS_CU: '5', SL_THAO: '140' },
      { MA_DDO: 'P001', MA_CTO: 'OLD1', LOAI_CS: 'THAO', CS_CU: '12000', CS_MOI: '' },
      { MA_DDO: 'P002', MA_GC: '2', MA_CTO: 'NEW2', CS_CU: '5' },
      { MA_DDO: 'P002', MA_GC: '2', MA_CTO: 'OLD2', LOAI_CS: 'THAO', CS_CU: '12000', CS_MOI: '' },
    ]);
    addRead(db, { point: 'P001', meter: 'NEW1', value: '105', at: PE, kind: 'billing-snapshot' });
    addRead(db, { point: 'P002', meter: 'NEW2', value: '105', at: PE, kind: 'billing-snapshot' });
    closeBook(db, id, { now: CUTOFF });
    expect(closingOf(id, 'P001')).toMatchObject({ outcome: 'read', consumption: '240', detail: { swap: { removedConsumption: '140', from: 'DDK SL_THAO' } } });
    expect(closingOf(id, 'P002')).toMatchObject({ outcome: 'needs-review', newIndex: '105' });
    expect(flagsOf(id, 'P002')).toEqual([expect.objectContaining({ code: 'needs-review', blocking: true })]);
  });

  it('sends an index below the old one (no status) to review with a blocking flag', () => {
    const id = importRows(db, [{ MA_DDO: 'P001' }]);
    addRead(db, { point: 'P001', value: '11000', at: PE, kind: 'billing-snapshot' });
    const summary = closeBook(db, id, { now: CUTOFF });
    expect(closingOf(id, 'P001')).toMatchObject({ outcome: 'needs-review', newIndex: '11000', consumption: null });
    const [flag] = flagsOf(id, 'P001');
    expect(flag).toMatchObject({ code: 'needs-review', severity: 'critical', blocking: true, state: 'open', evidence: { oldIndex: '12000', newIndex: '11000' } });
    expect(flag?.reason.vi).toContain('nhỏ hơn');
    expect(summary).toMatchObject({ openBlockingFlags: 1, flags: { 'needs-review': 1 } });
  });

  it('screens KT against SL_CU: ±30 % bands, SL_CU = 0, and ≥ 200 % on ≥ 400 kWh asks the customer to confirm', () => {
    const id = importRows(db, [
      { MA_DDO: 'P001', MA_GC: '1', SL_CU: '300' }, // 420: +40 %
      { MA_DDO: 'P002', MA_GC: '2', SL_CU: '300' }, // 380: +26.7 %, within
      { MA_DDO: 'P003', MA_GC: '3', SL_CU: '0' }, // 50 from nothing
      { MA_DDO: 'P004', MA_GC: '4', SL_CU: '400' }, // 1300: +225 % on 400 kWh
      { MA_DDO: 'P005', MA_GC: '5', SL_CU: '300' }, // 100: −66.7 %
      { MA_DDO: 'P006', MA_GC: '6', SL_CU: '300', LOAI_BCS: 'BT' }, // not KT: never screened
    ]);
    const values: Record<string, string> = { P001: '12420', P002: '12380', P003: '12050', P004: '13300', P005: '12100', P006: '13000' };
    for (const [point, value] of Object.entries(values)) addRead(db, { point, bcs: point === 'P006' ? 'BT' : 'KT', value, at: PE, kind: 'billing-snapshot' });
    const summary = closeBook(db, id, { now: CUTOFF });
    const flag = (point: string) => flagsOf(id, point);
    expect(flag('P001')).toEqual([expect.objectContaining({ code: 'consumption-change', blocking: false, severity: 'warning', evidence: expect.objectContaining({ band: '30-50', changePercent: '40.0', previousConsumption: '300', consumption: '420' }) })]);
    expect(flag('P002')).toEqual([]);
    expect(flag('P003')).toEqual([expect.objectContaining({ code: 'zero-base', blocking: false })]);
    expect(flag('P004')).toEqual([expect.objectContaining({ code: 'customer-confirmation', blocking: true, severity: 'critical', evidence: expect.objectContaining({ band: '100-plus', changePercent: '225.0' }) })]);
    expect(flag('P005')).toEqual([expect.objectContaining({ code: 'consumption-change', evidence: expect.objectContaining({ band: '50-100', direction: 'down' }) })]);
    expect(flag('P006')).toEqual([]);
    expect(summary.flags).toEqual({ 'consumption-change': 2, 'zero-base': 1, 'customer-confirmation': 1 });
    expect(summary.openBlockingFlags).toBe(1);
  });

  it("carries the gateway's open anomalies of the book's points, with their evidence; cleared ones are left out", () => {
    const id = importRows(db, [{ MA_DDO: 'P001' }, { MA_DDO: 'P002', MA_GC: '2' }]);
    addRead(db, { point: 'P001', value: '12300', at: PE, kind: 'billing-snapshot' });
    const raised = addAnomaly(db, { point: 'P001', anomalyId: 'a1', code: 'no-advance', state: 'raised', at: PE - 48 * HOUR, severity: 'critical', evidence: { index: '12300', days: 3 } });
    addAnomaly(db, { point: 'P002', anomalyId: 'a2', code: 'consumption-spike', state: 'raised', at: PE - 48 * HOUR });
    addAnomaly(db, { point: 'P002', anomalyId: 'a2', code: 'consumption-spike', state: 'cleared', at: PE - 24 * HOUR });
    addAnomaly(db, { point: 'OTHER', anomalyId: 'a3', code: 'no-advance', state: 'raised', at: PE - 24 * HOUR });
    closeBook(db, id, { now: CUTOFF });
    const flags = flagsOf(id).filter((f) => f.code.startsWith('anomaly:'));
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ meteringPoint: 'P001', bcs: '*', code: 'anomaly:no-advance', severity: 'critical', blocking: false });
    expect(flags[0]?.evidence).toEqual({
      events: [{ eventId: raised, gatewayId: 'GW1', anomalyId: 'a1', meterId: 'CT-P001', at: new Date(PE - 48 * HOUR).toISOString(), obis: null, evidence: { index: '12300', days: 3 }, thresholds: { days: 3 } }],
    });
  });

  it('is idempotent: closing twice gives the same rows, decisions on flags survive', () => {
    const id = importRows(db, [{ MA_DDO: 'P001' }, { MA_DDO: 'P002', MA_GC: '2' }, { MA_DDO: 'P003', MA_GC: '3' }]);
    addRead(db, { point: 'P001', value: '12420', at: PE, kind: 'billing-snapshot' });
    addRead(db, { point: 'P002', value: '11000', at: PE, kind: 'billing-snapshot' });
    closeBook(db, id, { now: CUTOFF });
    const dump = () => ({
      closings: db.prepare('SELECT * FROM book_closings ORDER BY metering_point').all(),
      flags: db.prepare('SELECT * FROM book_flags ORDER BY id').all(),
      book: db.prepare('SELECT state, closed_at FROM books WHERE id = ?').get(id),
    });
    const flag = flagsOf(id, 'P001')[0]!;
    closings.decideFlag(flag.id, 'confirm', { note: 'called the customer', by: 'op1', now: CUTOFF + 1 });
    const first = dump();
    const again = closeBook(db, id, { now: CUTOFF + HOUR });
    expect(again.changed).toBe(0);
    expect(dump()).toEqual(first);
    expect(closings.flag(flag.id)).toMatchObject({ state: 'confirmed', note: 'called the customer' });
  });

  it('closing again after a late read changes that row and drops its stale open flag', () => {
    const id = importRows(db, [{ MA_DDO: 'P001' }]);
    addRead(db, { point: 'P001', value: '11000', at: PE, kind: 'billing-snapshot' });
    closeBook(db, id, { now: CUTOFF });
    expect(flagsOf(id)).toHaveLength(1);
    db.prepare("DELETE FROM reads WHERE metering_point = 'P001'").run(); // the operator's fix: a wrong snapshot withdrawn
    addRead(db, { point: 'P001', value: '12300', at: PE + HOUR });
    const summary = closeBook(db, id, { now: CUTOFF + 2 * HOUR });
    expect(summary.changed).toBe(1);
    expect(closingOf(id, 'P001')).toMatchObject({ outcome: 'read', consumption: '300', closedAt: CUTOFF + 2 * HOUR });
    expect(flagsOf(id)).toEqual([]);
  });

  it('refuses to close before the period ends, and names an unknown book', () => {
    const id = importRows(db, [{ MA_DDO: 'P001' }]);
    const early = thrown(() => closeBook(db, id, { now: PE - 1 }));
    expect(isClosingError(early, 'CLOSE_NOT_DUE')).toBe(true);
    expect(new BookStore(db).getBook(id)?.state).toBe('open');
    expect(thrown(() => closeBook(db, 999, { now: CUTOFF }))).toMatchObject({ code: 'BOOK_NOT_FOUND' });
  });
});

describe('the cutoff run', () => {
  it('closes the books whose cutoff has come, exports those nothing holds, and holds the others', async () => {
    const { closeDueBooks } = await import('../../../src/aggregator/books/cutoff-run.js');
    const tmp = tempDir('chiso-cutoff-');
    const central = openCentralDb({ path: tmp.file('central.db') });
    try {
      const db = central.store.db;
      const clean = importRows(db, [{ MA_DDO: 'P001' }]);
      const held = importRows(db, [{ MA_DDO: 'P002', MA_QUYEN: 'D018329' }]);
      addRead(db, { point: 'P001', value: '12300', at: PE, kind: 'billing-snapshot' });
      addRead(db, { point: 'P002', value: '11000', at: PE, kind: 'billing-snapshot' });
      expect(closeDueBooks(db, { now: CUTOFF - 1, autoExport: true, exportDir: tmp.file('out') })).toEqual([]);
      const results = closeDueBooks(db, { now: CUTOFF, autoExport: true, exportDir: tmp.file('out') });
      expect(results.map((r) => [r.bookId, r.exported?.export.version ?? null, r.held ?? false])).toEqual([
        [clean, 1, false],
        [held, null, true],
      ]);
      const books = new BookStore(db);
      expect([books.getBook(clean)?.state, books.getBook(held)?.state]).toEqual(['exported', 'closed']);
      expect(closeDueBooks(db, { now: CUTOFF + HOUR, autoExport: true, exportDir: tmp.file('out') })).toEqual([]);
    } finally {
      central.close();
      tmp.cleanup();
    }
  });
});
