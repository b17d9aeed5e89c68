import type Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { BookReads } from '../../../src/aggregator/books/book-reads.js';
import { reverifyQueries } from '../../../src/aggregator/reverify/queries.js';
import { centralQueries } from '../../../src/aggregator/service/central-queries.js';
import { openCentralDb } from '../../../src/aggregator/store/index.js';
import { tempDir } from '../../store/temp-dir.js';
import { centralDbAtVersion, preparedBy as preparedByOn, queryPlan } from '../query-plans.js';
import { TEST_SCRYPT } from './harness.js';

/**
 * The reads table has as few indexes as the month-end's inserts can afford. This keeps the reads the
 * month's work does from falling back to a scan of every read when an index goes: each statement the
 * book closing, the phúc tra and the operator API prepare on `reads` must find its rows through one.
 */
describe('queries on reads use an index', () => {
  const tmp = tempDir('chiso-read-plans-');
  const db = openCentralDb({ path: tmp.file('central.db'), scrypt: TEST_SCRYPT });
  afterAll(() => {
    db.close();
    tmp.cleanup();
  });

  const preparedBy = (build: (conn: Database.Database) => void): string[] => preparedByOn(db.store.db, build);
  const plan = (sql: string): string[] => queryPlan(db.store.db, sql);

  it('book closing and phúc tra statements search reads through an index', () => {
    const statements = preparedBy((conn) => {
      new BookReads(conn);
      reverifyQueries(conn);
    }).filter((sql) => /\bFROM reads\b/.test(sql));
    expect(statements.length).toBeGreaterThanOrEqual(6);
    for (const sql of statements) {
      const details = plan(sql).filter((d) => /\breads\b/.test(d));
      expect(details.length, sql).toBeGreaterThan(0);
      for (const d of details) expect(d, sql).toMatch(/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/);
    }
  });

  it("the operator API's reads of one metering point search through an index", () => {
    const sql = preparedBy((conn) => centralQueries(conn).reads({ meteringPoint: 'PD0100012345001', from: 0, to: 1, limit: 10 }));
    const byPoint = sql.find((s) => s.includes('metering_point = @point'));
    expect(byPoint).toBeDefined();
    for (const d of plan(byPoint!).filter((x) => /\breads\b/.test(x))) expect(d).toMatch(/USING (COVERING )?INDEX/);
  });

  it("closing finds a register's reads near the period end by time, not by walking every read of the point", () => {
    // A year of hourly load profile is 8 760 reads per point: the time range must be part of the search.
    const candidates = preparedBy((conn) => new BookReads(conn)).find((s) => /SELECT read_id, meter_id, value/.test(s));
    expect(candidates).toBeDefined();
    expect(plan(candidates!).join('\n')).toMatch(/SEARCH reads USING INDEX reads_point_time \(metering_point=\? AND meter_time_ms>\? AND meter_time_ms<\?\)/);
  });

  it('a database from before v6 keeps its reads and has its point index rebuilt by time', () => {
    const path = tmp.file('v5.db');
    const old = centralDbAtVersion(path, 5);
    const columnsOf = (conn: Database.Database) => (conn.prepare("SELECT name FROM pragma_index_info('reads_point_time')").all() as { name: string }[]).map((c) => c.name);
    expect(columnsOf(old)).toEqual(['metering_point', 'obis', 'meter_time_ms']);
    old.close();

    const upgraded = openCentralDb({ path, scrypt: TEST_SCRYPT });
    expect(columnsOf(upgraded.store.db)).toEqual(['metering_point', 'meter_time_ms']);
    expect(upgraded.store.db.prepare("SELECT value FROM reads WHERE metering_point = 'PD01' AND meter_time_ms BETWEEN 0 AND 10").all()).toEqual([{ value: '12.5' }]);
    upgraded.close();
  });
});
