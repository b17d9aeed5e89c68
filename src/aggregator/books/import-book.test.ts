import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CalendarSchema } from '../calendar/reading-calendar.js';
import { parseBookXml, writeBookXml, type CmisBookFile } from '../cmis/book-file.js';
import type { CmisBookRow } from '../cmis/book-row.js';
import { CmisError } from '../cmis/errors.js';
import { openCentralDb, type CentralDb } from '../store/central-db.js';
import { BookStore } from './book-store.js';
import { BookError } from './errors.js';
import { bookPeriod, importBook, type ImportResult } from './import-book.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/cmis/D018328-2017-7-1.xml', import.meta.url));
const NAME = 'D018328-2017-7-1.xml';
const fixtureBytes = readFileSync(FIXTURE);
const calendar = CalendarSchema.parse({ readingDays: { books: { D018328: 14 } } });
const T0 = Date.UTC(2017, 6, 1, 3);

const sample = (): CmisBookFile => parseBookXml(fixtureBytes, NAME);
const bytesOf = (rows: readonly CmisBookRow[]): Uint8Array => Buffer.from(writeBookXml(sample().book, rows), 'utf8');

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('importBook', () => {
  let dir: string;
  let central: CentralDb;
  let store: BookStore;
  const run = (bytes: Uint8Array, now = T0, fileName = NAME): ImportResult => importBook(central.store.db, { fileName, bytes }, { calendar, now });
  const count = (sql: string): number => (central.store.db.prepare(sql).pluck().get() as number) ?? 0;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chiso-import-'));
    central = openCentralDb({ path: join(dir, 'central.db') });
    store = new BookStore(central.store.db);
  });
  afterEach(() => {
    central.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the book with its period from the calendar and one row per CMIS row', () => {
    const r = run(fixtureBytes);
    expect(r).toEqual({ bookId: r.bookId, bookCode: 'D018328', year: 2017, month: 7, subPeriod: 1, outcome: 'created', rows: 28, added: 28, changed: 0, removed: 0 });
    const book = store.getBook(r.bookId)!;
    // Session on the 14th: the period ends at 00:00 local on the 15th (UTC+7), started a month earlier; cutoff 06:00 on the 15th.
    expect(book).toMatchObject({
      code: 'D018328',
      unit: 'PD0100',
      fileName: NAME,
      state: 'open',
      readingDay: '14',
      periodStart: Date.UTC(2017, 5, 14, 17),
      periodEnd: Date.UTC(2017, 6, 14, 17),
      cutoffAt: Date.UTC(2017, 6, 14, 23),
      rowCount: 28,
      pointCount: 20,
      importCount: 1,
      importedAt: T0,
      closedAt: null,
    });
    const row = store.rows(r.bookId).find((x) => x.meteringPoint === 'PD0100018319001' && x.bcs === 'VC')!;
    expect(row).toMatchObject({ readingType: 'DDK', routePosition: '19', multiplier: '40', present: true });
    expect(row.row).toEqual(sample().rows.find((x) => x.MA_DDO === 'PD0100018319001' && x.LOAI_BCS === 'VC'));
  });

  it('keeps every column, unknown ones included, so an export writes the file back', () => {
    const r = run(fixtureBytes);
    const rows = store.rows(r.bookId).map((x) => x.row);
    expect(rows.some((x) => x.extra?.GHI_CHU === 'Công tơ treo cao, mang thang')).toBe(true);
    expect(writeBookXml(sample().book, rows)).toBe(writeBookXml(sample().book, sample().rows));
  });

  it('takes an empty LOAI_CS as the periodic read (DDK)', () => {
    const rows = sample().rows.map((x, i) => (i === 0 ? { ...x, LOAI_CS: '' } : x));
    const r = run(bytesOf(rows));
    expect(store.rows(r.bookId).filter((x) => x.readingType === 'DDK')).toHaveLength(28);
  });

  it('re-importing the same bytes is unchanged and touches nothing', () => {
    const first = run(fixtureBytes);
    const again = run(fixtureBytes, T0 + 60_000);
    expect(again).toEqual({ ...first, outcome: 'unchanged', added: 0 });
    expect(store.getBook(first.bookId)).toMatchObject({ importCount: 1, importedAt: T0 });
    // Under a name that announces no book, the file is parsed to find it: still unchanged.
    expect(run(fixtureBytes, T0 + 120_000, 'upload.xml')).toEqual({ ...first, outcome: 'unchanged', added: 0 });
    expect(store.getBook(first.bookId)).toMatchObject({ importCount: 1, fileName: NAME });
  });

  it('a changed book updates rows in place: changed customer, new point, removed point — reads, closings, flags and exports untouched', () => {
    const first = run(fixtureBytes);
    const db = central.store.db;
    db.prepare(
      `INSERT INTO reads (read_id, gateway_id, epoch, seq, batch_id, meter_id, metering_point, obis, value, meter_time, meter_time_ms, received_at, quality, kind, multiplier, stored_at)
       VALUES ('r-1', 'GW', 'e', 1, 1, 'PD0100CT150001', 'PD0100018301001', '1.0.1.8.0.255', '12500.1', '2017-07-15T00:00:00+07:00', 1, 'x', '[]', 'billing-snapshot', '1', 1)`,
    ).run();
    db.prepare(`INSERT INTO book_closings (book_id, metering_point, bcs, outcome, closed_at) VALUES (?, 'PD0100018302001', 'KT', 'read', 5)`).run(first.bookId);
    db.prepare(`INSERT INTO book_flags (book_id, metering_point, bcs, code, severity, blocking, reason_vi, reason_en, evidence, raised_at) VALUES (?, 'PD0100018303001', 'KT', 'UP_30', 'warn', 0, 'v', 'e', '{}', 5)`).run(first.bookId);
    db.prepare(`INSERT INTO book_exports (book_id, version, xml_file, csv_file, xml_sha256, csv_sha256, rows, created_at) VALUES (?, 1, 'a.xml', 'a.csv', 'x', 'c', 28, 5)`).run(first.bookId);
    const before = {
      exports: db.prepare('SELECT * FROM book_exports').all(),
      reads: db.prepare('SELECT * FROM reads').all(),
      closings: db.prepare('SELECT * FROM book_closings').all(),
      flags: db.prepare('SELECT * FROM book_flags').all(),
    };

    const rows = sample().rows;
    const changed = rows
      .filter((x) => x.MA_DDO !== 'PD0100018305001')
      .map((x) => (x.MA_DDO === 'PD0100018302001' ? { ...x, MA_KHANG: 'PD0100099999', TEN_KHANG: 'Trần Thị Bình' } : x));
    const fresh = { ...rows[0]!, MA_GC: '21', MA_DDO: 'PD0100018321001', MA_KHANG: 'PD0100018321', MA_CTO: 'PD0100CT159999', SERY_CTO: '15999999' };
    const r = run(bytesOf([...changed, fresh]), T0 + 3_600_000, 'D018328-2017-7-1.xml');
    expect(r).toEqual({ bookId: first.bookId, bookCode: 'D018328', year: 2017, month: 7, subPeriod: 1, outcome: 'updated', rows: 28, added: 1, changed: 1, removed: 1 });

    expect(store.getBook(first.bookId)).toMatchObject({ importCount: 2, importedAt: T0 + 3_600_000, rowCount: 28, pointCount: 20 });
    const all = store.rows(first.bookId);
    expect(all).toHaveLength(29);
    expect(all.find((x) => x.meteringPoint === 'PD0100018305001')).toMatchObject({ present: false });
    expect(store.rows(first.bookId, { presentOnly: true }).map((x) => x.meteringPoint)).not.toContain('PD0100018305001');
    expect(all.find((x) => x.meteringPoint === 'PD0100018302001')).toMatchObject({ customerCode: 'PD0100099999', customerName: 'Trần Thị Bình', present: true });
    expect(all.find((x) => x.meteringPoint === 'PD0100018321001')).toMatchObject({ routePosition: '21', meterId: 'PD0100CT159999', present: true });

    expect(db.prepare('SELECT * FROM reads').all()).toEqual(before.reads);
    expect(db.prepare('SELECT * FROM book_closings').all()).toEqual(before.closings);
    expect(db.prepare('SELECT * FROM book_flags').all()).toEqual(before.flags);
    expect(db.prepare('SELECT * FROM book_exports').all()).toEqual(before.exports);
    expect(count('SELECT count(*) FROM books')).toBe(1);

    // The point comes back in a later import: present again, counted as added.
    const back = run(fixtureBytes, T0 + 7_200_000);
    expect(back).toMatchObject({ outcome: 'updated', added: 1, changed: 1, removed: 1 });
    expect(store.rows(first.bookId).find((x) => x.meteringPoint === 'PD0100018305001')).toMatchObject({ present: true });
    expect(store.rows(first.bookId).find((x) => x.meteringPoint === 'PD0100018321001')).toMatchObject({ present: false });
  });

  it('a reordered file with the same content is updated but nothing counts as changed', () => {
    const first = run(fixtureBytes);
    // writeBookXml sorts rows by route, so reverse the first two <Table1> blocks of the file by hand.
    const text = fixtureBytes.toString('utf8');
    const [a, b] = text.match(/ {2}<Table1>[\s\S]*?<\/Table1>\r?\n/g)!;
    const reordered = run(Buffer.from(text.replace(a! + b!, b! + a!), 'utf8'), T0 + 2);
    expect(reordered).toMatchObject({ bookId: first.bookId, outcome: 'updated', added: 0, changed: 0, removed: 0 });
    expect(store.rows(first.bookId).find((x) => x.meteringPoint === 'PD0100018302001')!.rowNo).toBe(1);
  });

  it('refuses two periodic rows for one point and register, naming both rows, and writes nothing', () => {
    const rows = sample().rows;
    const dup = { ...rows[4]!, MA_GC: '99', CS_CU: '1' };
    const e = caught(() => run(Buffer.from(writeBookXml(sample().book, [...rows, dup]), 'utf8')));
    expect(e).toBeInstanceOf(BookError);
    expect((e as BookError).code).toBe('BOOK_DUPLICATE_ROW');
    expect((e as BookError).message).toMatch(/^D018328-2017-7-1\.xml: row 29 \(MA_GC 99, MA_DDO PD0100018305001, LOAI_BCS KT, LOAI_CS DDK\) repeats row 5 \(MA_GC 5, .*billing refuses two periodic \(DDK\)/);
    expect(count('SELECT count(*) FROM books')).toBe(0);
  });

  it('accepts the removed meter of a swap (THAO) beside the periodic row of the same point', () => {
    const rows = sample().rows;
    const thao = { ...rows[4]!, LOAI_CS: 'THAO', MA_CTO: 'OLD-METER', CS_MOI: '20000' };
    const r = run(bytesOf([...rows, thao]));
    expect(r).toMatchObject({ outcome: 'created', rows: 29 });
    expect(store.rows(r.bookId).filter((x) => x.meteringPoint === 'PD0100018305001').map((x) => [x.readingType, x.meterId])).toEqual([
      ['DDK', 'PD0100CT150005'],
      ['THAO', 'OLD-METER'],
    ]);
  });

  it('refuses a file mixing books, naming the first odd row (CmisError from the reader)', () => {
    const text = fixtureBytes.toString('utf8');
    const third = text.indexOf('<MA_QUYEN>D018328</MA_QUYEN>', text.indexOf('<MA_QUYEN>D018328</MA_QUYEN>', text.indexOf('<MA_QUYEN>D018328</MA_QUYEN>') + 1) + 1);
    const mixed = text.slice(0, third) + '<MA_QUYEN>D018329</MA_QUYEN>' + text.slice(third + '<MA_QUYEN>D018328</MA_QUYEN>'.length);
    const e = caught(() => run(Buffer.from(mixed, 'utf8'), T0, 'upload.xml'));
    expect(e).toBeInstanceOf(CmisError);
    expect((e as CmisError).code).toBe('CMIS_BOOK_MISMATCH');
    expect((e as CmisError).message).toMatch(/^upload\.xml: row 3 \(MA_DDO PD0100018303001, LOAI_BCS KT, line \d+\).*MA_QUYEN D018329 ≠ D018328/);
    expect(count('SELECT count(*) FROM books')).toBe(0);
  });

  it('keeps the reader’s file/row/column in errors of a bad row', () => {
    const bad = fixtureBytes.toString('utf8').replace('<HSN>40</HSN>', '<HSN>forty</HSN>');
    const e = caught(() => run(Buffer.from(bad, 'utf8')));
    expect(e).toBeInstanceOf(CmisError);
    expect((e as CmisError).message).toMatch(/^D018328-2017-7-1\.xml: row 21 \(MA_DDO PD0100018319001, LOAI_BCS BT, line \d+\), column HSN:/);
  });

  it('refuses a re-import of a closed or exported book, even of the same bytes', () => {
    const r = run(fixtureBytes);
    for (const state of ['closed', 'exported'] as const) {
      store.setState(r.bookId, state, T0 + 10);
      for (const bytes of [fixtureBytes, bytesOf(sample().rows.slice(1))]) {
        const e = caught(() => run(bytes, T0 + 20));
        expect(e).toBeInstanceOf(BookError);
        expect((e as BookError).code).toBe('BOOK_CLOSED');
        expect((e as BookError).message).toContain(`book D018328-2017-7-1 is already ${state}: its period is over, CMIS must send the next period's book`);
      }
    }
    expect(store.getBook(r.bookId)).toMatchObject({ importCount: 1, rowCount: 28 });
  });

  it('refuses the same book code and period from another unit', () => {
    run(fixtureBytes);
    const other = fixtureBytes.toString('utf8').replaceAll('<MA_DVIQLY>PD0100</MA_DVIQLY>', '<MA_DVIQLY>PD0200</MA_DVIQLY>');
    const e = caught(() => run(Buffer.from(other, 'utf8')));
    expect((e as BookError).code).toBe('BOOK_UNIT_MISMATCH');
  });

  it('the next month is another book', () => {
    const a = run(fixtureBytes);
    const august = sample().rows.map((x) => ({ ...x, THANG: 8 }));
    const b = run(Buffer.from(writeBookXml({ ...sample().book, month: 8 }, august), 'utf8'), T0, 'D018328-2017-8-1.xml');
    expect(b.outcome).toBe('created');
    expect(b.bookId).not.toBe(a.bookId);
    expect(store.getBook(b.bookId)!.periodStart).toBe(store.getBook(a.bookId)!.periodEnd);
  });
});

describe('bookPeriod', () => {
  it('a month-end book: from the previous month end to this one, January from December', () => {
    const cal = CalendarSchema.parse({});
    expect(bookPeriod(cal, 'X', 2025, 1)).toEqual({
      readingDay: 'last',
      periodStart: Date.UTC(2024, 11, 31, 17),
      periodEnd: Date.UTC(2025, 0, 31, 17),
      cutoffAt: Date.UTC(2025, 0, 31, 23),
    });
  });
});
