import type Database from 'better-sqlite3';
import type { BookSettings } from '../../config/aggregator-config.js';
import type { Clock } from '../../shared/clock.js';
import type { Trigger } from '../../shared/cron.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { BookStore, type BookSummary } from '../books/book-store.js';
import type { CloseSummary } from '../books/close-book.js';
import { isClosingError } from '../books/closing-errors.js';
import { runCutoff } from '../books/cutoff-run.js';
import type { ExportResult } from '../books/export-book.js';
import { exportBooks, type ExportPoolSettings } from '../books/export-pool.js';
import { bookImporter } from '../books/import-book.js';
import { scanImportFolder, type ScanSummary } from '../books/import-folder.js';
import type { Calendar } from '../calendar/reading-calendar.js';
import { dispatchDueNotices, type NoticeDispatcher, type NoticeOutbox } from '../notices/index.js';
import { writeMonthReport } from './month-reports.js';
import { dailyDigest, preCutoffReport } from './month-report-queries.js';

export interface MonthJobsDeps {
  db: Database.Database;
  calendar: Calendar;
  books: BookSettings;
  clock: Clock;
  trigger: Trigger;
  logger: Logger;
  /** Where the digest and pre-cutoff reports are written (JSON, one file per report). */
  reportsDir: string;
  /** Undefined when notices are turned off. */
  notices?: { outbox: NoticeOutbox; dispatcher: NoticeDispatcher };
  /** Worker threads for the exports (export-pool.ts); default min(2, available cores), 0 for none. */
  exportWorkers?: number;
  /** Called after each book is closed or exported (metrics, the demo's summary). */
  onBook?(event: { kind: 'closed'; summary: CloseSummary } | { kind: 'exported'; book: BookSummary; result: ExportResult } | { kind: 'held'; book: BookSummary; openBlockingFlags: number }): void;
}

export interface MonthJobs {
  /** Imports what is waiting in the import folder, closes what is overdue, then arms the cron jobs. */
  start(): Promise<void>;
  stop(): void;
  importScan(): Promise<ScanSummary | undefined>;
  /** Closes every open book whose cutoff has passed and exports what nothing blocks. */
  cutoff(): Promise<void>;
  dailyDigest(): Promise<void>;
  preCutoffReport(): Promise<void>;
  sendNotices(): Promise<void>;
}

/**
 * The month's work on the aggregator, each on its cron expression (Vietnam time; simulated time in the
 * demo and the truth test): pick up CMIS books, close each book at its cutoff and export it when no open
 * blocking flag holds it back, hand customer notices to their dispatcher, and every day write the anomaly
 * digest and, in the days before a cutoff, the list of offline points still to fix. A job that is still
 * running when its next time comes is skipped: two cutoffs of one book at once would race on its closings.
 */
export function buildMonthJobs(deps: MonthJobsDeps): MonthJobs {
  const log = deps.logger.child({ part: 'month-jobs' });
  const store = new BookStore(deps.db);
  const importer = bookImporter(deps.db, { calendar: deps.calendar, clock: deps.clock });
  const running = new Set<string>();
  const stops: { stop(): void }[] = [];
  // Aborted by stop(): an export run in progress hands out no more books (the aggregator is closing).
  let stopping = new AbortController();
  const openBlocking = deps.db.prepare<[number], { n: number }>("SELECT count(*) AS n FROM book_flags WHERE book_id = ? AND state = 'open' AND blocking = 1");

  async function once<T>(name: string, job: () => Promise<T>): Promise<T | undefined> {
    if (running.has(name)) {
      log.warn({ job: name }, 'job still running from its previous time: skipped');
      return undefined;
    }
    running.add(name);
    try {
      return await job();
    } catch (e) {
      log.error({ job: name, err: errorMessage(e) }, 'job failed; it runs again at its next time');
      return undefined;
    } finally {
      running.delete(name);
    }
  }

  const importScan = () =>
    once('importScan', async () => {
      const dir = deps.books.importDir;
      if (dir === undefined) return undefined;
      const summary = await scanImportFolder(dir, importer, log);
      if (summary.imported.length + summary.rejected.length > 0) {
        log.info({ imported: summary.imported.length, rejected: summary.rejected.length, failed: summary.failed.length }, 'import folder scanned');
      }
      return summary;
    });

  function reportExport(book: BookSummary, result: ExportResult): void {
    log.info({ book: book.code, year: book.year, month: book.month, version: result.export.version, dir: result.dir, rows: result.export.rows }, 'book exported for CMIS');
    deps.onBook?.({ kind: 'exported', book, result });
  }

  function reportHeld(book: BookSummary, openBlockingFlags: number): void {
    log.warn({ book: book.code, year: book.year, month: book.month, openBlockingFlags }, 'export waits for an operator: blocking flags are open');
    deps.onBook?.({ kind: 'held', book, openBlockingFlags });
  }

  const pool = (signal: AbortSignal): ExportPoolSettings => ({ logger: log, signal, ...(deps.exportWorkers === undefined ? {} : { workers: deps.exportWorkers }) });

  const cutoff = () =>
    once('cutoff', async () => {
      const now = deps.clock.now();
      const { signal } = stopping;
      const closed = new Map<number, CloseSummary>();
      const results = await runCutoff(deps.db, {
        now,
        toleranceMs: deps.books.toleranceHours * 3_600_000,
        autoExport: deps.books.autoExport,
        exportDir: deps.books.exportDir,
        pool: pool(signal),
        signal,
        // Reported and noticed as each book closes, before the exports run.
        onClosed: (r) => {
          if (r.error !== undefined || r.summary === undefined) {
            log.error({ bookId: r.bookId, err: r.error }, 'closing a book failed; tried again at the next cutoff run');
            return;
          }
          const s = r.summary;
          closed.set(r.bookId, s);
          log.info({ book: s.book, outcomes: s.outcomes, readBySource: s.readBySource, openBlockingFlags: s.openBlockingFlags }, 'book closed at its cutoff');
          deps.onBook?.({ kind: 'closed', summary: s });
          if (deps.notices) {
            try {
              const queued = deps.notices.outbox.enqueueForBook(r.bookId, now);
              log.info({ book: s.book, created: queued.created, held: queued.held.length }, 'customer notices queued');
            } catch (e) {
              // The other books' notices and every export still go ahead.
              log.error({ book: s.book, err: errorMessage(e) }, 'queueing customer notices failed');
            }
          }
        },
      });
      // Stopped while the exports ran: the database may be closed by now. What was done is stored; the
      // books not exported are closed ones, exported by the next start's cutoff run.
      if (signal.aborted) return;
      for (const r of results) {
        const s = closed.get(r.bookId);
        if (s === undefined) continue; // did not close: said above
        const book = store.getBook(r.bookId)!;
        if (r.exported) reportExport(book, r.exported);
        else if (r.held) reportHeld(book, s.openBlockingFlags);
        else if (r.error !== undefined) log.error({ book: book.code, err: r.error }, 'export failed; tried again below and at the next cutoff run');
      }
      // A book held for its blocking flags goes as soon as operators have decided them all.
      if (deps.books.autoExport) {
        const free = store.listBooks().filter((b) => b.state === 'closed' && openBlocking.get(b.id)!.n === 0);
        const outcomes = await exportBooks(deps.db, free.map((b) => b.id), { exportDir: deps.books.exportDir, now: deps.clock.now(), ...pool(signal) });
        if (signal.aborted) return;
        outcomes.forEach((o, i) => {
          const book = free[i]!;
          if (o.ok) reportExport(book, o.result);
          else if (!isClosingError(o.error, 'EXPORT_BLOCKED')) log.error({ book: book.code, err: errorMessage(o.error) }, 'export failed; tried again at the next cutoff run');
        });
      }
    });

  const digest = () =>
    once('dailyDigest', async () => {
      const report = dailyDigest(deps.db, deps.clock.now());
      const file = writeMonthReport(deps.reportsDir, 'daily-digest', report.date, report);
      log.info({ file, openAnomalies: report.openAnomalies.total, openFlags: report.openFlags.total, offlinePoints: report.offlinePoints.length }, 'daily anomaly digest');
    });

  const preCutoff = () =>
    once('preCutoffReport', async () => {
      const report = preCutoffReport(deps.db, store, deps.calendar, deps.books.preCutoffDays, deps.clock.now());
      if (report.books.length === 0) return;
      const file = writeMonthReport(deps.reportsDir, 'pre-cutoff', report.date, report);
      const offline = report.books.reduce((n, b) => n + b.offlinePoints.length, 0);
      log.warn({ file, books: report.books.length, offlinePoints: offline }, 'pre-cutoff report: fix these before reading day');
    });

  const sendNotices = () =>
    once('notices', async () => {
      if (!deps.notices) return;
      const r = await dispatchDueNotices(deps.notices.outbox, deps.notices.dispatcher, () => deps.clock.now(), deps.logger);
      if (r.sent + r.failed > 0) log.info(r, 'customer notices handed over');
    });

  return {
    async start() {
      await importScan();
      await cutoff();
      const j = deps.books.jobs;
      stops.push(
        deps.trigger.every(j.importScan, () => void importScan()),
        deps.trigger.every(j.cutoff, () => void cutoff()),
        deps.trigger.every(j.dailyDigest, () => void digest()),
        deps.trigger.every(j.preCutoffReport, () => void preCutoff()),
      );
      if (deps.notices) stops.push(deps.trigger.every(j.notices, () => void sendNotices()));
    },
    stop() {
      for (const s of stops.splice(0)) s.stop();
      stopping.abort();
      stopping = new AbortController();
    },
    importScan,
    cutoff: async () => void (await cutoff()),
    dailyDigest: async () => void (await digest()),
    preCutoffReport: async () => void (await preCutoff()),
    sendNotices: async () => void (await sendNotices()),
  };
}
