import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeBook } from '../../../src/aggregator/books/close-book.js';
import { isClosingError } from '../../../src/aggregator/books/closing-errors.js';
import { ClosingStore } from '../../../src/aggregator/books/closing-store.js';
import { openCentralDb, type CentralDb } from '../../../src/aggregator/store/index.js';
import { tempDir, thrown } from '../../store/temp-dir.js';
import { addRead, CUTOFF, HOUR, importRows, PE } from './close-fixtures.js';

describe("the operator's decisions on a book's flags", () => {
  let tmp: ReturnType<typeof tempDir>;
  let central: CentralDb;
  let db: CentralDb['store']['db'];
  let store: ClosingStore;
  let bookId: number;

  beforeEach(() => {
    tmp = tempDir('chiso-flags-');
    central = openCentralDb({ path: tmp.file('central.db') });
    db = central.store.db;
    store = new ClosingStore(db);
    bookId = importRows(db, [{ MA_DDO: 'P001' }, { MA_DDO: 'P002', MA_GC: '2' }]);
    addRead(db, { point: 'P001', value: '12420', at: PE, kind: 'billing-snapshot' }); // +40 %
    addRead(db, { point: 'P002', value: '11000', at: PE, kind: 'billing-snapshot' }); // needs review
    closeBook(db, bookId, { now: CUTOFF });
  });
  afterEach(() => {
    central.close();
    tmp.cleanup();
  });

  const flag = (code: string) => store.flagsOfBook(bookId).find((f) => f.code === code)!;

  it('confirms and dismisses open flags only; a dismissal needs a note', () => {
    const change = flag('consumption-change');
    const review = flag('needs-review');
    expect(isClosingError(thrown(() => store.decideFlag(review.id, 'dismiss', { note: '  ', now: CUTOFF })), 'FLAG_NOTE_REQUIRED')).toBe(true);
    expect(store.flag(review.id)?.state).toBe('open');
    expect(store.decideFlag(change.id, 'confirm', { now: CUTOFF + 1 })).toMatchObject({ state: 'confirmed', note: null, decidedBy: null, decidedAt: CUTOFF + 1 });
    expect(store.decideFlag(review.id, 'dismiss', { note: 'wrong register mapped', by: 'op1', now: CUTOFF + 2 })).toMatchObject({ state: 'dismissed', note: 'wrong register mapped', decidedBy: 'op1' });
    expect(isClosingError(thrown(() => store.decideFlag(review.id, 'confirm', { now: CUTOFF + 3 })), 'FLAG_ALREADY_DECIDED')).toBe(true);
    expect(isClosingError(thrown(() => store.decideFlag(4242, 'confirm', { now: CUTOFF + 3 })), 'FLAG_NOT_FOUND')).toBe(true);
    expect(store.flags({ bookId, state: 'open' })).toEqual([]);
    expect(store.flags({ state: 'dismissed' }).map((f) => f.id)).toEqual([review.id]);
  });

  it('reopens a decided flag when closing again brings other facts', () => {
    const change = flag('consumption-change');
    store.decideFlag(change.id, 'confirm', { note: 'new air conditioner', now: CUTOFF + 1 });
    addRead(db, { point: 'P001', value: '12460', at: PE + 10_000, kind: 'billing-snapshot' }); // a later snapshot: the one at the boundary still wins, nothing changes
    closeBook(db, bookId, { now: CUTOFF + HOUR });
    expect(store.flag(change.id)).toMatchObject({ state: 'confirmed' });
    db.prepare("DELETE FROM reads WHERE metering_point = 'P001' AND value = '12420'").run();
    closeBook(db, bookId, { now: CUTOFF + 2 * HOUR });
    expect(store.flag(change.id)).toMatchObject({ state: 'open', note: null, evidence: expect.objectContaining({ consumption: '460' }) });
  });
});
