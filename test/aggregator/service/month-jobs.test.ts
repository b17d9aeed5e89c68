import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bookFileName, writeBookXml } from '../../../src/aggregator/cmis/book-file.js';
import { JsonlNoticeDispatcher, NoticeOutbox } from '../../../src/aggregator/notices/index.js';
import { buildMonthJobs, type MonthJobs, type MonthJobsDeps } from '../../../src/aggregator/service/month-jobs.js';
import { openCentralDb, type CentralDb } from '../../../src/aggregator/store/index.js';
import type { Trigger } from '../../../src/shared/cron.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { addAnomaly, addRead, calendar, CUTOFF, HOUR, PE, row } from '../books/close-fixtures.js';

/**
 * The aggregator's month on real SQLite files and a real import folder: books picked up from the folder,
 * closed when the clock passes their cutoff, exported unless a blocking flag holds them (then exported
 * once an operator has decided), customer notices queued and handed over, the digest and the pre-cutoff
 * report written. The cron trigger is a hand-driven one: the test fires what node-cron would.
 */
class HandTrigger implements Trigger {
  readonly jobs = new Map<string, (() => void)[]>();
  every(expression: string, fire: () => void) {
    this.jobs.set(expression, [...(this.jobs.get(expression) ?? []), fire]);
    return { stop: () => this.jobs.delete(expression) };
  }
}

const BOOK_ROWS = [
  row({ MA_DDO: 'PD0100000001001', MA_GC: '1', CS_CU: '12000', SL_CU: '300' }),
  row({ MA_DDO: 'PD0100000002001', MA_GC: '2', CS_CU: '5000', SL_CU: '200' }),
  row({ MA_DDO: 'PD0100000003001', MA_GC: '3', CS_CU: '800', SL_CU: '100' }),
];

let dir: string;
let db: CentralDb | undefined;
let jobs: MonthJobs | undefined;

afterEach(() => {
  jobs?.stop();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

function setUp(now: { t: number }) {
  dir = mkdtempSync(join(tmpdir(), 'chiso-month-'));
  db = openCentralDb({ path: join(dir, 'central.db'), now: () => now.t });
  const importDir = join(dir, 'in');
  const exportDir = join(dir, 'out');
  const book = { unitCode: 'PD0100', bookCode: 'D018328', year: 2026, month: 3, subPeriod: 1 };
  // Into the folder as CMIS would drop it, old enough not to be taken for a file still being copied.
  const inFolder = join(importDir, bookFileName(book));
  mkdirSync(importDir, { recursive: true });
  writeFileSync(inFolder, writeBookXml(book, BOOK_ROWS));
  utimesSync(inFolder, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  const trigger = new HandTrigger();
  const clock = { now: () => now.t, setTimeout: () => ({ id: 0 }), clearTimeout: () => undefined };
  const noticesFile = join(dir, 'notices.jsonl');
  const events: Parameters<NonNullable<MonthJobsDeps['onBook']>>[0][] = [];
  jobs = buildMonthJobs({
    db: db.store.db,
    calendar,
    books: { importDir, exportDir, toleranceHours: 6, autoExport: true, preCutoffDays: 3, jobs: { importScan: 'import', cutoff: 'cutoff', dailyDigest: 'digest', preCutoffReport: 'pre', notices: 'notices' } },
    clock,
    trigger,
    logger: silentLogger(),
    reportsDir: join(dir, 'reports'),
    notices: { outbox: new NoticeOutbox(db.store.db, { channel: 'sms', calendar }), dispatcher: new JsonlNoticeDispatcher(noticesFile) },
    onBook: (e) => events.push(e),
  });
  return { importDir, exportDir, trigger, events, noticesFile, sql: db.store.db };
}

describe('the month jobs', () => {
  it('import the book from the folder, close and export it at the cutoff, queue and send the notices, write the reports', async () => {
    const now = { t: PE - 2 * 24 * HOUR };
    const s = setUp(now);
    await jobs!.start(); // start-up scan imports the waiting book; nothing is due yet
    expect(readdirSync(join(s.importDir, 'imported'))).toEqual(['D018328-2026-3-1.xml']);
    expect(s.sql.prepare("SELECT state FROM books").get()).toEqual({ state: 'open' });

    // An offline meter two days before the cutoff: the pre-cutoff report lists it with its route position.
    s.sql
      .prepare(
        `INSERT INTO events (gateway_id, epoch, seq, batch_id, type, at, meter_id, metering_point, body, stored_at)
         VALUES ('GW1', 'e1', 900, 1, 'meter-offline', ?, 'CT-PD0100000003001', 'PD0100000003001', ?, ?)`,
      )
      .run(new Date(now.t).toISOString(), JSON.stringify({ since: new Date(now.t - HOUR).toISOString(), lastError: 'METER_NO_ANSWER' }), now.t);
    await jobs!.preCutoffReport();
    await jobs!.dailyDigest();
    const reports = readdirSync(join(dir, 'reports')).sort();
    expect(reports).toEqual(['daily-digest-2026-03-30.json', 'pre-cutoff-2026-03-30.json']);
    const pre = JSON.parse(readFileSync(join(dir, 'reports', 'pre-cutoff-2026-03-30.json'), 'utf8'));
    expect(pre.books).toMatchObject([{ code: 'D018328', daysToCutoff: 2, offlinePoints: [{ meteringPoint: 'PD0100000003001', routePosition: '3', cause: 'meter' }] }]);

    // Snapshots for two points; the third stays unread (estimated).
    addRead(s.sql, { point: 'PD0100000001001', value: '12310', at: PE, kind: 'billing-snapshot' });
    addRead(s.sql, { point: 'PD0100000002001', value: '5190.5', at: PE + 30 * 60_000, kind: 'register' });

    now.t = CUTOFF - 60_000;
    await jobs!.cutoff();
    expect(s.events).toEqual([]); // not yet

    now.t = CUTOFF + 60_000;
    await jobs!.cutoff();
    expect(s.events.map((e) => e.kind)).toEqual(['closed', 'exported']);
    const closings = s.sql.prepare('SELECT metering_point AS p, outcome, new_index AS i FROM book_closings ORDER BY p').all();
    expect(closings).toEqual([
      { p: 'PD0100000001001', outcome: 'read', i: '12310' },
      { p: 'PD0100000002001', outcome: 'read', i: '5190.5' },
      { p: 'PD0100000003001', outcome: 'estimated', i: expect.any(String) },
    ]);
    const exported = readdirSync(join(s.exportDir, 'D018328-2026-3-1', 'v1')).sort();
    expect(exported).toEqual(['D018328-2026-3-1.csv', 'D018328-2026-3-1.xml', 'SHA256SUMS']);

    // Notices: one per point, handed over when due.
    expect(s.sql.prepare("SELECT count(*) AS n FROM customer_notices WHERE state = 'pending'").get()).toEqual({ n: 3 });
    await jobs!.sendNotices();
    expect(readFileSync(s.noticesFile, 'utf8').trim().split('\n')).toHaveLength(3);
    // The cron expressions of the config were armed.
    expect([...s.trigger.jobs.keys()].sort()).toEqual(['cutoff', 'digest', 'import', 'notices', 'pre']);
  });

  it('hold a book with a blocking flag until an operator decides it, then export it at the next run', async () => {
    const now = { t: PE - 24 * HOUR };
    const s = setUp(now);
    await jobs!.start();
    // The index went down without a status: needs review, which blocks the export.
    addRead(s.sql, { point: 'PD0100000001001', value: '11000', at: PE, kind: 'billing-snapshot' });
    addRead(s.sql, { point: 'PD0100000002001', value: '5100', at: PE, kind: 'billing-snapshot' });
    addRead(s.sql, { point: 'PD0100000003001', value: '900', at: PE, kind: 'billing-snapshot' });
    addAnomaly(s.sql, { point: 'PD0100000002001', anomalyId: 'a1', code: 'clock-drift', state: 'raised', at: PE - HOUR });
    now.t = CUTOFF + HOUR;
    await jobs!.cutoff();
    expect(s.events.map((e) => e.kind)).toEqual(['closed', 'held']);
    expect(existsSync(join(s.exportDir, 'D018328-2026-3-1'))).toBe(false);

    await jobs!.cutoff(); // still held: nothing new
    expect(s.events.map((e) => e.kind)).toEqual(['closed', 'held']);

    const flag = s.sql.prepare("SELECT id FROM book_flags WHERE blocking = 1 AND state = 'open'").get() as { id: number };
    s.sql.prepare("UPDATE book_flags SET state = 'dismissed', note = 'meter replaced, CMIS updated', decided_at = ? WHERE id = ?").run(now.t, flag.id);
    await jobs!.cutoff();
    expect(s.events.map((e) => e.kind)).toEqual(['closed', 'held', 'exported']);
    expect(readdirSync(join(s.exportDir, 'D018328-2026-3-1'))).toEqual(['v1']);
  });
});
