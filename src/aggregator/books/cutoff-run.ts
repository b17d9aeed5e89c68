import type Database from 'better-sqlite3';
import { errorMessage } from '../../shared/errors.js';
import type { BookScreeningOptions } from './book-screening.js';
import { BookStore } from './book-store.js';
import { closeBook, type CloseSummary } from './close-book.js';
import { isClosingError } from './closing-errors.js';
import { exportBook, type ExportResult } from './export-book.js';

/**
 * What the cutoff job does each time it fires (books.jobs.cutoff): close every open book whose cutoff has
 * come, and — with books.autoExport — export it at once unless a blocking flag holds it for an operator.
 * One book failing does not stop the others; its error is in the result for the log.
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

export function closeDueBooks(db: Database.Database, opts: CutoffRunOptions): CutoffRunResult[] {
  const results: CutoffRunResult[] = [];
  for (const book of new BookStore(db).booksDue(opts.now)) {
    try {
      const summary = closeBook(db, book.id, {
        now: opts.now,
        ...(opts.toleranceMs === undefined ? {} : { toleranceMs: opts.toleranceMs }),
        ...(opts.screening === undefined ? {} : { screening: opts.screening }),
      });
      if (!opts.autoExport || opts.exportDir === undefined) {
        results.push({ bookId: book.id, summary });
        continue;
      }
      try {
        results.push({ bookId: book.id, summary, exported: exportBook(db, book.id, { exportDir: opts.exportDir, now: opts.now }) });
      } catch (e) {
        if (!isClosingError(e, 'EXPORT_BLOCKED')) throw e;
        results.push({ bookId: book.id, summary, held: true });
      }
    } catch (e) {
      results.push({ bookId: book.id, error: errorMessage(e) });
    }
  }
  return results;
}
