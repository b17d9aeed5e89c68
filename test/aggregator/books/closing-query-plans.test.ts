import type Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { BookReads } from '../../../src/aggregator/books/book-reads.js';
import { BookStore } from '../../../src/aggregator/books/book-store.js';
import { ClosingStore } from '../../../src/aggregator/books/closing-store.js';
import { openCentralDb } from '../../../src/aggregator/store/index.js';
import { tempDir } from '../../store/temp-dir.js';
import { preparedBy as preparedByOn, queryPlan } from '../query-plans.js';

/**
 * Closing runs its statements once per row of every book due: 4.7 million times at a month-end. A
 * statement that scans a table which grows with the months (closings, flags, rows, reads) makes the
 * cutoff quadratic: the lookup of a point's earlier closings once read every closing ever stored, and
 * ten books took 73 s instead of 3 s (`npm run bench -- cutoff`). So no statement the closing prepares
 * scans those tables; only the list of all books may.
 */
describe('the statements book closing prepares search through an index', () => {
  const tmp = tempDir('chiso-closing-plans-');
  const central = openCentralDb({ path: tmp.file('central.db') });
  const conn = central.store.db;
  afterAll(() => {
    central.close();
    tmp.cleanup();
  });

  const preparedBy = (build: (db: Database.Database) => void): string[] => preparedByOn(conn, build);
  const plan = (sql: string): string[] => queryPlan(conn, sql);

  const GROWING = ['book_closings', 'book_flags', 'book_rows', 'book_exports', 'reads', 'events'];

  it('no statement of the closing and book stores scans a table that grows with the months', () => {
    const statements = preparedBy((db) => {
      new ClosingStore(db);
      new BookStore(db);
      new BookReads(db);
    });
    expect(statements.length).toBeGreaterThan(20);
    for (const sql of statements) {
      for (const detail of plan(sql)) {
        const scanned = /^SCAN (\w+)/.exec(detail)?.[1];
        if (scanned === undefined) continue;
        const table = /\b(?:FROM|JOIN) (\w+)(?: AS)? (\w+)\b/g;
        const aliases = new Map<string, string>();
        for (const m of sql.matchAll(table)) aliases.set(m[2]!, m[1]!);
        const name = aliases.get(scanned) ?? scanned;
        expect(GROWING, `${sql}\n→ ${detail}`).not.toContain(name);
      }
    }
  });

  it("a row's earlier closings are found through book_closings_point", () => {
    const history = preparedBy((db) => new ClosingStore(db)).find((s) => /FROM book_closings c JOIN books b/.test(s));
    expect(history).toBeDefined();
    expect(plan(history!).join('\n')).toMatch(/SEARCH c USING INDEX book_closings_point \(metering_point=\? AND bcs=\?\)/);
  });

  it("a book's open anomalies are found by its points, not by walking every anomaly event of every month", () => {
    const anomalies = preparedBy((db) => new BookReads(db)).find((s) => /FROM events/.test(s));
    expect(anomalies).toBeDefined();
    expect(plan(anomalies!).join('\n')).toMatch(/SEARCH events USING INDEX events_point \(metering_point=\? AND type=\?\)/);
  });
});
