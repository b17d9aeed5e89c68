import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BookStore } from '../../../src/aggregator/books/book-store.js';
import { bookImporter } from '../../../src/aggregator/books/import-book.js';
import { scanImportFolder, type FolderLog } from '../../../src/aggregator/books/import-folder.js';
import { CalendarSchema, periodEndInstant } from '../../../src/aggregator/calendar/reading-calendar.js';
import { parseBookXml, writeBookXml } from '../../../src/aggregator/cmis/book-file.js';
import { openCentralDb, type CentralDb } from '../../../src/aggregator/store/central-db.js';
import { writeBooks } from '../../../simulators/fleet/cmis-book.js';
import { addMonths, periodContaining, periodEnd } from '../../../simulators/fleet/fleet-time.js';
import { GroundTruth } from '../../../simulators/fleet/ground-truth.js';
import { planFleet } from '../../../simulators/fleet/layout.js';
import { buildFleetMeters } from '../../../simulators/fleet/meters.js';
import { tempDir } from '../../store/temp-dir.js';
import { exampleConfig } from '../../simulator/fleet/helpers.js';

const quiet: FolderLog = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * The books as the fleet simulator plays CMIS (its own hand-written DataSet XML, inline schema and all),
 * through the folder import into a real central database: a month with a meter swap, then the next month.
 */
// Making six 50-meter books from the ground truth takes seconds on a loaded 2-core machine: a generous bound, never a timing assertion.
describe('importing the fleet simulator’s CMIS books', { timeout: 120_000 }, () => {
  const plan = planFleet(exampleConfig());
  const truth = new GroundTruth(plan, buildFleetMeters(plan, () => plan.start));
  const rd = plan.config.books.readingDay;
  const swapped = plan.meters.find((m) => m.replaces !== undefined)!;
  const month = periodContaining(swapped.installedAt, rd);
  const next = addMonths(month, 1);
  const tmp = tempDir('chiso-fleet-import-');
  const inbox = join(tmp.dir, 'books');
  const calendar = CalendarSchema.parse({ readingDays: { default: rd } });
  let central: CentralDb;
  let store: BookStore;
  let now = Date.UTC(month.year, month.month - 1, 2);

  beforeAll(() => {
    central = openCentralDb({ path: tmp.file('central.db') });
    store = new BookStore(central.store.db);
  });
  afterAll(() => {
    central.close();
    tmp.cleanup();
  });

  const importer = () => bookImporter(central.store.db, { calendar, clock: { now: () => now } });

  it('imports every book of the month, with the swap’s removed meter beside the new meter’s periodic row', async () => {
    const paths = writeBooks(truth, inbox, month);
    const summary = await scanImportFolder(inbox, importer(), quiet, { settleMs: 0 });
    expect(summary.rejected).toEqual([]);
    expect(summary.imported.map((i) => i.result.outcome)).toEqual(paths.map(() => 'created'));
    expect(readdirSync(join(inbox, 'imported')).sort()).toEqual(paths.map((p) => p.split('/').pop()).sort());

    for (const { result } of summary.imported) {
      const book = store.getBook(result.bookId)!;
      expect(book.rowCount).toBe(result.rows);
      // The calendar and the simulator agree on the period: both end at 00:00 local after the reading day.
      expect(book.periodEnd).toBe(periodEnd(month, rd));
      expect(book.periodEnd).toBe(periodEndInstant(calendar, book.code, rd, month.year, month.month));
      // One periodic row per point and register.
      const keys = store.periodicRows(book.id).map((r) => `${r.meteringPoint}/${r.bcs}`);
      expect(new Set(keys).size).toBe(keys.length);
    }

    // What an export writes from the stored rows is what the reader makes of CMIS's file (the swap's book;
    // one book is enough: parsing is the slow part).
    const swapBook = store.pointLookup(swapped.meteringPoint)!.book;
    const parsed = parseBookXml(readFileSync(join(inbox, 'imported', swapBook.fileName)), swapBook.fileName);
    expect(swapBook.pointCount).toBe(new Set(parsed.rows.map((r) => r.MA_DDO)).size);
    expect(writeBookXml(parsed.book, store.rows(swapBook.id).map((r) => r.row))).toBe(writeBookXml(parsed.book, parsed.rows));

    const rows = store.pointLookup(swapped.meteringPoint)!.rows;
    expect(rows.filter((r) => r.readingType === 'THAO').every((r) => r.meterId === swapped.replaces)).toBe(true);
    expect(rows.filter((r) => r.readingType === 'DDK').every((r) => r.meterId === swapped.id)).toBe(true);
    expect(rows.filter((r) => r.readingType === 'THAO').length).toBe(rows.filter((r) => r.readingType === 'DDK').length);
  });

  it('next month’s books are new books; the swapped point is then read on its new meter alone', async () => {
    now = Date.UTC(next.year, next.month - 1, 2);
    writeBooks(truth, inbox, next);
    const summary = await scanImportFolder(inbox, importer(), quiet, { settleMs: 0 });
    expect(summary.imported.map((i) => i.result.outcome).every((o) => o === 'created')).toBe(true);
    expect(store.listBooks()).toHaveLength(2 * plan.books.length);
    const found = store.pointLookup(swapped.meteringPoint)!;
    expect([found.book.year, found.book.month]).toEqual([next.year, next.month]);
    expect(found.rows.map((r) => [r.readingType, r.meterId])).toEqual(found.rows.map(() => ['DDK', swapped.id]));
    const previous = store.listBooks().find((b) => b.code === found.book.code && b.month === month.month)!;
    expect(found.book.periodStart).toBe(previous.periodEnd);
  });

  it('re-dropping the same month is unchanged and keeps both copies of the file', async () => {
    const paths = writeBooks(truth, inbox, next);
    const summary = await scanImportFolder(inbox, importer(), quiet, { settleMs: 0 });
    expect(summary.imported.map((i) => i.result.outcome)).toEqual(paths.map(() => 'unchanged'));
    expect(readdirSync(join(inbox, 'imported'))).toHaveLength(3 * plan.books.length);
  });
});
