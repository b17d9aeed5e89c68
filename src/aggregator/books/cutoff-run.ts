import type Database from 'better-sqlite3';
import { errorMessage } from '../../shared/errors.js';
import type { BookScreeningOptions } from './book-screening.js';
import { BookStore } from './book-store.js';
import { closeBook, type CloseSummary } from './close-book.js';
import { isClosingError } from './closing-errors.js';
import type { ExportOptions, ExportResult } from './export-book.js';
import { exportBooks, exportBooksHere, type BookExportOutcome, type ExportPoolSettings } from './export-pool.js';

/**
 * What the cutoff job does each time it fires (books.jobs.cutoff): close every open book whose cutoff has
 * come, and — with books.autoExport — export it at once unless a blocking flag holds it for an operator.
 * One book failing does not stop the others; its error is in the result for the log.
 *
 * Closing goes one book after the other on the calling thread (it reads the month's reads and writes the
 * closings: one writer is what SQLite wants); the exports of the books just closed then go together, on
 * the export pool (runCutoff) or on the calling thread (closeDueBooks). Both give the same results.
 *
 * runCutoff gives the thread back between books: it is the aggregator's, which also serves the broker
 * and the operators' page, and a month-end of 840 books takes minutes to close (`npm run bench --
 * cutoff`), one book a few hundred milliseconds.
 */
export interface CutoffRunOptions {
  readonly now: number;
  readonly toleranceMs?: number;
  readonly screening?: BookScreeningOptions;
  /** Export right after closing when nothing blocks (needs exportDir). */
  readonly autoExport?: boolean;
  readonly exportDir?: string;
}

export interface CutoffRunResult {
  readonly bookId: number;
  readonly summary?: CloseSummary;
  readonly exported?: ExportResult;
  /** Left for an operator: open blocking flags. */
  readonly held?: boolean;
  readonly error?: string;
}

/** The cutoff run with the exports on this thread, one book after the other. */
export function closeDueBooks(db: Database.Database, opts: CutoffRunOptions): CutoffRunResult[] {
  const closed = closeDue(db, opts);
  const exportOpts = exportOptionsOf(opts);
  if (exportOpts === undefined) return closed.map(({ result }) => result);
  return withExports(closed, exportBooksHere(db, toExport(closed), exportOpts));
}

export interface PooledCutoffOptions extends CutoffRunOptions {
  readonly pool?: ExportPoolSettings;
  /**
   * Told of each book as soon as it is closed (or failed to close), before the next book: what follows a
   * closing (customer notices) does not wait for the other books or the exports, nor is lost when they
   * are stopped.
   */
  readonly onClosed?: (result: CutoffRunResult) => void;
  /**
   * Stops the run between two books (the service is stopping and will close the database): the books
   * not yet closed are closed by the next run. The exports stop through `pool.signal`.
   */
  readonly signal?: AbortSignal;
}

/** The cutoff run with the exports on the export pool (export-pool.ts): the month-end path. */
export async function runCutoff(db: Database.Database, opts: PooledCutoffOptions): Promise<CutoffRunResult[]> {
  const closed: Closed[] = [];
  for (const book of new BookStore(db).booksDue(opts.now)) {
    if (opts.signal?.aborted) break;
    const c = closeOne(db, book.id, opts);
    closed.push(c);
    opts.onClosed?.(c.result);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const exportOpts = exportOptionsOf(opts);
  if (exportOpts === undefined || opts.signal?.aborted) return closed.map(({ result }) => result);
  return withExports(closed, await exportBooks(db, toExport(closed), { ...opts.pool, ...exportOpts }));
}

interface Closed {
  readonly result: CutoffRunResult;
  /** Closed without error: to be exported. */
  readonly exportable: boolean;
}

function closeDue(db: Database.Database, opts: CutoffRunOptions): Closed[] {
  return new BookStore(db).booksDue(opts.now).map((book) => closeOne(db, book.id, opts));
}

function closeOne(db: Database.Database, bookId: number, opts: CutoffRunOptions): Closed {
  try {
    const summary = closeBook(db, bookId, {
      now: opts.now,
      ...(opts.toleranceMs === undefined ? {} : { toleranceMs: opts.toleranceMs }),
      ...(opts.screening === undefined ? {} : { screening: opts.screening }),
    });
    return { result: { bookId, summary }, exportable: true };
  } catch (e) {
    return { result: { bookId, error: errorMessage(e) }, exportable: false };
  }
}

function exportOptionsOf(opts: CutoffRunOptions): ExportOptions | undefined {
  return opts.autoExport && opts.exportDir !== undefined ? { exportDir: opts.exportDir, now: opts.now } : undefined;
}

function toExport(closed: readonly Closed[]): number[] {
  return closed.filter((c) => c.exportable).map((c) => c.result.bookId);
}

/** Each closed book's export outcome put into its result, in the order the books were closed. */
function withExports(closed: readonly Closed[], outcomes: readonly BookExportOutcome[]): CutoffRunResult[] {
  let next = 0;
  return closed.map(({ result, exportable }) => {
    if (!exportable) return result;
    const outcome = outcomes[next++] as BookExportOutcome;
    if (outcome.ok) return { ...result, exported: outcome.result };
    if (isClosingError(outcome.error, 'EXPORT_BLOCKED')) return { ...result, held: true };
    // As before the pool: a failed export is the book's error; the book stays closed, and closed books
    // nothing holds are exported again by the month jobs.
    return { bookId: result.bookId, error: errorMessage(outcome.error) };
  });
}
