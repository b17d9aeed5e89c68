import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CalendarSchema } from '../calendar/reading-calendar.js';
import { parseBookXml, writeBookXml } from '../cmis/book-file.js';
import type { CmisBookRow } from '../cmis/book-row.js';
import { openCentralDb, type CentralDb } from '../store/central-db.js';
import { BookStore } from './book-store.js';
import { BookError } from './errors.js';
import { importBook } from './import-book.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/cmis/D018328-2017-7-1.xml', import.meta.url));
const sample = parseBookXml(readFileSync(FIXTURE), 'D018328-2017-7-1.xml');
const calendar = CalendarSchema.parse({ readingDays: { books: { D018328: 14 } } });
const T0 = Date.UTC(2017, 6, 1);

function bookOf(month: number, rows: readonly CmisBookRow[] = sample.rows, code = 'D018328'): { fileName: string; bytes: Uint8Array } {
  const book = { ...sample.book, bookCode: code, month };
  const moved = rows.map((r) => ({ ...r, MA_QUYEN: code, THANG: month }));
  return { fileName: `${code}-2017-${month}-1.xml`, bytes: Buffer.from(writeBookXml(book, moved), 'utf8') };
}

describe('BookStore', () => {
  let dir: string;
  let central: CentralDb;
  let store: BookStore;
  const load = (file: { fileName: string; bytes: Uint8Array }, now = T0) => importBook(central.store.db, file, { calendar, now });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chiso-bookstore-'));
    central = openCentralDb({ path: join(dir, 'central.db') });
    store = new BookStore(central.store.db);
  });
  afterEach(() => {
    central.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists books, the latest period first, with their counts', () => {
    const july = load(bookOf(7));
    const august = load(bookOf(8, sample.rows.slice(0, 5)));
    const other = load(bookOf(7, sample.rows.slice(0, 2), 'D018400'));
    expect(store.listBooks().map((b) => [b.id, b.code, b.month, b.rowCount, b.pointCount])).toEqual([
      [august.bookId, 'D018328', 8, 5, 5],
      [july.bookId, 'D018328', 7, 28, 20],
      [other.bookId, 'D018400', 7, 2, 2],
    ]);
    expect(store.getBook(999)).toBeUndefined();
  });

  it('gives rows in route order: numeric MA_GC by value, then the others as text; registers KT, BT, CD, TD, VC', () => {
    const base = sample.rows.find((r) => r.MA_DDO === 'PD0100018319001' && r.LOAI_BCS === 'VC')!;
    const positions = ['10', 'B2', '2', '007', 'A10', '1'];
    const rows = positions.flatMap((gc, i) => [
      { ...base, MA_GC: gc, MA_DDO: `P${i}`, LOAI_BCS: 'VC' },
      { ...base, MA_GC: gc, MA_DDO: `P${i}`, LOAI_BCS: 'BT' },
    ]);
    const { bookId } = load(bookOf(7, rows));
    expect(store.rows(bookId).map((r) => `${r.routePosition}/${r.bcs}`)).toEqual(['1/BT', '1/VC', '2/BT', '2/VC', '007/BT', '007/VC', '10/BT', '10/VC', 'A10/BT', 'A10/VC', 'B2/BT', 'B2/VC']);
  });

  it('periodic rows leave out a swap’s removed meter and rows no longer in the book', () => {
    const thao = { ...sample.rows[0]!, LOAI_CS: 'THAO', MA_CTO: 'OLD' };
    const { bookId } = load(bookOf(7, [...sample.rows, thao]));
    expect(store.rows(bookId)).toHaveLength(29);
    expect(store.periodicRows(bookId)).toHaveLength(28);
    load(bookOf(7, sample.rows.slice(1)), T0 + 1);
    expect(store.periodicRows(bookId).map((r) => r.meteringPoint)).not.toContain(sample.rows[0]!.MA_DDO);
    expect(store.periodicRows(bookId)).toHaveLength(27);
  });

  it('books due: open books whose cutoff has come, earliest first', () => {
    const july = load(bookOf(7));
    const august = load(bookOf(8));
    const cutJuly = store.getBook(july.bookId)!.cutoffAt;
    const cutAugust = store.getBook(august.bookId)!.cutoffAt;
    expect(store.booksDue(cutJuly - 1)).toEqual([]);
    expect(store.booksDue(cutJuly).map((b) => b.id)).toEqual([july.bookId]);
    expect(store.booksDue(cutAugust).map((b) => b.id)).toEqual([july.bookId, august.bookId]);
    store.setState(july.bookId, 'closed', cutJuly);
    expect(store.booksDue(cutAugust).map((b) => b.id)).toEqual([august.bookId]);
  });

  it('setState records when the book closed, checks the expected state, and refuses an unknown book', () => {
    const { bookId } = load(bookOf(7));
    expect(store.setState(bookId, 'closed', 100, { from: 'open' })).toMatchObject({ state: 'closed', closedAt: 100 });
    expect(store.setState(bookId, 'exported', 200)).toMatchObject({ state: 'exported', closedAt: 100 });
    const e = (() => {
      try {
        store.setState(bookId, 'closed', 300, { from: 'open' });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(BookError);
    expect((e as BookError).code).toBe('BOOK_STATE_CONFLICT');
    expect(store.getBook(bookId)).toMatchObject({ state: 'exported' });
    expect(store.setState(bookId, 'open', 400)).toMatchObject({ state: 'open', closedAt: null });
    expect(() => store.setState(42, 'closed', 1)).toThrow(expect.objectContaining({ code: 'BOOK_NOT_FOUND' }));
  });

  it('pointLookup gives the point’s rows in the latest book that has it', () => {
    const point = 'PD0100018319001';
    expect(store.pointLookup(point)).toBeUndefined();
    const july = load(bookOf(7));
    const august = load(bookOf(8, sample.rows.map((r) => (r.MA_DDO === point ? { ...r, CS_CU: '999' } : r))));
    const found = store.pointLookup(point)!;
    expect(found.book.id).toBe(august.bookId);
    expect(found.rows.map((r) => [r.bcs, r.oldIndex])).toEqual([
      ['BT', '999'],
      ['CD', '999'],
      ['TD', '999'],
      ['VC', '999'],
    ]);
    // Gone from August's book (re-import without it): July's rows are the latest that have it.
    load(bookOf(8, sample.rows.filter((r) => r.MA_DDO !== point)), T0 + 1);
    expect(store.pointLookup(point)!.book.id).toBe(july.bookId);
  });
});
