import type Database from 'better-sqlite3';
import { localDateOf, localInstant } from '../calendar/reading-calendar.js';
import { BookReads } from './book-reads.js';
import { BookStore, type BookRowView, type BookSummary } from './book-store.js';
import { DEFAULT_TOLERANCE_MS } from './close-book.js';
import { ClosingStore, type ClosingRecord, type FlagRecord } from './closing-store.js';

/**
 * How far a book is, for the operators' list: what matters the days before cutoff is how many points
 * are "read so far". Kept simple on purpose:
 * - a periodic row with a closing counts as its outcome (read, estimated, field-read, needs-review);
 * - one without a closing counts as `read` when its meter (MA_CTO; any meter of the point when CMIS left
 *   MA_CTO empty) has a snapshot or register read of the point and register within the tolerance of the
 *   period end, or — before the period end — any such read since local midnight today; otherwise `missing`.
 * THAO rows are not counted (they record the removed meter of a swap, nothing is read for them).
 */
export type RowProgress = 'read' | 'estimated' | 'field-read' | 'needs-review' | 'missing';

export interface ProgressCounts {
  readonly rows: number;
  readonly read: number;
  readonly estimated: number;
  readonly missing: number;
  readonly fieldRead: number;
  readonly needsReview: number;
  readonly openFlags: number;
  readonly openBlockingFlags: number;
}

export interface RowWithProgress {
  readonly row: BookRowView;
  /** null for rows that are not periodic (THAO …). */
  readonly progress: RowProgress | null;
  readonly closing: ClosingRecord | null;
  /** The row's flags, plus the point's whole-point flags (bcs '*') on its periodic rows. */
  readonly flags: FlagRecord[];
}

export class BookProgress {
  private readonly books: BookStore;
  private readonly store: ClosingStore;
  private readonly reads: BookReads;

  constructor(
    db: Database.Database,
    private readonly toleranceMs = DEFAULT_TOLERANCE_MS,
  ) {
    this.books = new BookStore(db);
    this.store = new ClosingStore(db);
    this.reads = new BookReads(db);
  }

  /** A book's rows in route order with their progress, closing and flags. */
  rows(book: BookSummary, now: number): RowWithProgress[] {
    const closings = new Map(this.store.closings(book.id).map((c) => [`${c.meteringPoint}\u0000${c.bcs}`, c]));
    // By metering point: filtering the whole book's flags for each of its 5 600 rows grew with rows × flags.
    const flagsByPoint = new Map<string, ReturnType<typeof this.store.flagsOfBook>>();
    for (const f of this.store.flagsOfBook(book.id)) {
      const list = flagsByPoint.get(f.meteringPoint);
      if (list === undefined) flagsByPoint.set(f.meteringPoint, [f]);
      else list.push(f);
    }
    const flagsOf = (point: string) => flagsByPoint.get(point) ?? [];
    const near: [number, number] = [book.periodEnd - this.toleranceMs, book.periodEnd + this.toleranceMs];
    // Before the period ends a read today is progress; afterwards only the period end counts ([1, 0] is empty).
    const today: [number, number] = now < book.periodEnd ? [localInstant(localDateOf(now)), now] : [1, 0];
    return this.books.rows(book.id, { presentOnly: true }).map((row) => {
      if (row.readingType !== 'DDK') {
        return { row, progress: null, closing: null, flags: flagsOf(row.meteringPoint).filter((f) => f.bcs === row.bcs) };
      }
      const closing = closings.get(`${row.meteringPoint}\u0000${row.bcs}`) ?? null;
      const progress: RowProgress =
        closing !== null ? closing.outcome : this.reads.hasRead({ meteringPoint: row.meteringPoint, bcs: row.bcs, meterId: row.meterId }, [near, today]) ? 'read' : 'missing';
      return { row, progress, closing, flags: flagsOf(row.meteringPoint).filter((f) => f.bcs === row.bcs || f.bcs === '*') };
    });
  }

  counts(book: BookSummary, now: number): ProgressCounts {
    const counts = { rows: 0, read: 0, estimated: 0, missing: 0, fieldRead: 0, needsReview: 0, openFlags: 0, openBlockingFlags: 0 };
    for (const r of this.rows(book, now)) {
      if (r.progress === null) continue;
      counts.rows++;
      if (r.progress === 'field-read') counts.fieldRead++;
      else if (r.progress === 'needs-review') counts.needsReview++;
      else counts[r.progress]++;
    }
    for (const f of this.store.flagsOfBook(book.id)) {
      if (f.state !== 'open') continue;
      counts.openFlags++;
      if (f.blocking) counts.openBlockingFlags++;
    }
    return counts;
  }
}
