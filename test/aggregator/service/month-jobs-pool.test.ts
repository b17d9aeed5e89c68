import { readdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonlNoticeDispatcher, NoticeOutbox } from '../../../src/aggregator/notices/index.js';
import { buildMonthJobs, type MonthJobs, type MonthJobsDeps } from '../../../src/aggregator/service/month-jobs.js';
import { openCentralDb, type CentralDb } from '../../../src/aggregator/store/index.js';
import type { Trigger } from '../../../src/shared/cron.js';
import { createLogger } from '../../../src/shared/logger.js';
import { tempDir } from '../../store/temp-dir.js';
import { addRead, calendar, CUTOFF, HOUR, importRows, PE } from '../books/close-fixtures.js';

/**
 * The cutoff job with its exports on the worker pool (export-pool.ts): the books closed at the cutoff
 * are reported in the order they were closed, and a stop in the middle of the exports (the aggregator
 * closing) leaves every book either exported whole or closed for the next start.
 */
const noTrigger: Trigger = { every: () => ({ stop: () => undefined }) };

let tmp: ReturnType<typeof tempDir>;
const open: CentralDb[] = [];
const running: MonthJobs[] = [];

afterEach(() => {
  for (const j of running.splice(0)) j.stop();
  for (const c of open.splice(0)) c.close();
  tmp.cleanup();
});

function setUp(exportWorkers?: number) {
  tmp = tempDir('chiso-month-pool-');
  const db = openCentralDb({ path: tmp.file('central.db') });
  open.push(db);
  const sql = db.store.db;
  // Four books due at CUTOFF; the third has a falling index (a blocking flag holds it).
  const ids = ['D018361', 'D018362', 'D018363', 'D018364'].map((code, b) => {
    const id = importRows(sql, [
      { MA_DDO: `P${b}01`, MA_QUYEN: code },
      { MA_DDO: `P${b}02`, MA_QUYEN: code, MA_GC: '2' },
    ]);
    addRead(sql, { point: `P${b}01`, value: b === 2 ? '11000' : '12300', at: PE, kind: 'billing-snapshot' });
    return id;
  });
  const lines: { level: number; msg: string }[] = [];
  const logger = createLogger({
    name: 'test',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString('utf8')));
        done();
      },
    }),
  });
  const events: Parameters<NonNullable<MonthJobsDeps['onBook']>>[0][] = [];
  const jobs = (): MonthJobs => {
    const j = buildMonthJobs({
      db: sql,
      calendar,
      books: { exportDir: tmp.file('out'), toleranceHours: 6, autoExport: true, preCutoffDays: 3, jobs: { importScan: 'i', cutoff: 'c', dailyDigest: 'd', preCutoffReport: 'p', notices: 'n' } },
      clock: { now: () => CUTOFF + HOUR, setTimeout: () => ({ id: 0 }), clearTimeout: () => undefined },
      trigger: noTrigger,
      logger,
      reportsDir: tmp.file('reports'),
      notices: { outbox: new NoticeOutbox(sql, { channel: 'sms', calendar }), dispatcher: new JsonlNoticeDispatcher(tmp.file('notices.jsonl')) },
      ...(exportWorkers === undefined ? {} : { exportWorkers }),
      onBook: (e) => events.push(e),
    });
    running.push(j);
    return j;
  };
  const states = () => ids.map((id) => (sql.prepare('SELECT state FROM books WHERE id = ?').get(id) as { state: string }).state);
  const exportRows = () => sql.prepare('SELECT book_id AS id, version FROM book_exports ORDER BY book_id').all();
  return { db, sql, ids, jobs, events, lines, states, exportRows };
}

describe('the cutoff job on the export pool', () => {
  it('reports each book as it closes, then each exported or held, in the order closed', async () => {
    const s = setUp(2);
    await s.jobs().cutoff();
    expect(s.events.map((e) => (e.kind === 'closed' ? `closed ${e.summary.book}` : `${e.kind} ${e.book.code}`))).toEqual([
      'closed D018361-2026-3-1',
      'closed D018362-2026-3-1',
      'closed D018363-2026-3-1',
      'closed D018364-2026-3-1',
      'exported D018361',
      'exported D018362',
      'held D018363',
      'exported D018364',
    ]);
    expect(s.states()).toEqual(['exported', 'exported', 'closed', 'exported']);
    expect(readdirSync(tmp.file('out')).sort()).toEqual(['D018361-2026-3-1', 'D018362-2026-3-1', 'D018364-2026-3-1']);
    expect(s.lines.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('stopped during the exports (the database closing under it): notices are queued, each book is exported whole or left closed, and the next start exports the rest', async () => {
    const s = setUp(1);
    // A second connection holds the write lock, so the worker's first commit waits while the job is stopped.
    const other = openCentralDb({ path: s.db.store.path });
    open.push(other);
    const first = s.jobs();
    const run = first.cutoff();
    // The closings go on this thread, one book per turn of the event loop; then the exports start.
    while (s.events.filter((e) => e.kind === 'closed').length < s.ids.length) await new Promise((r) => setImmediate(r));
    other.store.db.exec('BEGIN IMMEDIATE');
    await new Promise((r) => setTimeout(r, 500));
    first.stop();
    s.db.close(); // as the aggregator's close does, after stopping the jobs
    open.splice(open.indexOf(s.db), 1);
    other.store.db.exec('COMMIT');
    await run;
    expect(s.lines.filter((l) => l.level >= 50)).toEqual([]); // no "job failed" on the closed database

    const again = openCentralDb({ path: s.db.store.path });
    open.push(again);
    const sql = again.store.db;
    const states = s.ids.map((id) => (sql.prepare('SELECT state FROM books WHERE id = ?').get(id) as { state: string }).state);
    const exported = sql.prepare('SELECT book_id AS id FROM book_exports').all() as { id: number }[];
    expect(states[2]).toBe('closed'); // held
    // The customer notices were queued as each book closed, stop or not.
    const noticed = sql.prepare('SELECT DISTINCT book_id AS id FROM customer_notices ORDER BY book_id').all();
    expect(noticed).toEqual(s.ids.map((id) => ({ id }))); // the held book's other point included
    for (const [k, id] of s.ids.entries()) {
      if (k === 2) continue;
      expect(states[k] === 'exported').toBe(exported.some((e) => e.id === id)); // exported with its record, or closed without
    }

    // The next start: its cutoff run exports the closed books nothing holds.
    const next = buildMonthJobs({
      db: sql,
      calendar,
      books: { exportDir: tmp.file('out'), toleranceHours: 6, autoExport: true, preCutoffDays: 3, jobs: { importScan: 'i', cutoff: 'c', dailyDigest: 'd', preCutoffReport: 'p', notices: 'n' } },
      clock: { now: () => CUTOFF + 2 * HOUR, setTimeout: () => ({ id: 0 }), clearTimeout: () => undefined },
      trigger: noTrigger,
      logger: createLogger({ name: 'test', level: 'silent' }),
      reportsDir: tmp.file('reports'),
    });
    running.push(next);
    await next.cutoff();
    expect(s.ids.map((id) => (sql.prepare('SELECT state FROM books WHERE id = ?').get(id) as { state: string }).state)).toEqual(['exported', 'exported', 'closed', 'exported']);
    expect(sql.prepare('SELECT book_id AS id, version FROM book_exports ORDER BY book_id').all()).toEqual([s.ids[0], s.ids[1], s.ids[3]].map((id) => ({ id, version: 1 })));
  });
});
