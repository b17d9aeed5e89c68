import type Database from 'better-sqlite3';
import { localDateOf } from '../calendar/reading-calendar.js';
import { bookFileName } from '../cmis/book-file.js';
import { isCmisError } from '../cmis/errors.js';
import { swapConsumption } from '../rules/consumption.js';
import { add, formatDecimal, parseDecimal } from '../rules/decimal.js';
import { MAX_ESTIMATES_IN_A_ROW } from '../rules/estimate.js';
import { formatLocalDate } from '../rules/local-time.js';
import { periodDays } from '../rules/period.js';
import { BookReads } from './book-reads.js';
import { screenBook, type BookScreeningOptions, type ScreenedRow } from './book-screening.js';
import { BookStore, type BookHead, type BookRowView, type BookSummary } from './book-store.js';
import { closeRegister, type ClosedRegister } from './close-register.js';
import { ClosingError } from './closing-errors.js';
import { ClosingStore, type ClosingDraft, type ClosingOutcome } from './closing-store.js';
import { BookError } from './errors.js';

/**
 * Closing a book at its cutoff: every present periodic (DDK) row gets its answer in book_closings, the
 * book is screened into book_flags, and the book becomes `closed`. Closing again gives the same rows
 * (a later read, an operator's decision or a re-import can change the answer, nothing else does).
 *
 * Per row: the candidate reads are the row's meter's (reads.meter_id = MA_CTO: after a swap the removed
 * meter's reads never close the new meter's register) billing snapshots and register reads of the point
 * and register within the tolerance of the period end; closeRegister picks snapshot > nearest read >
 * estimate (at most two in a row, counted over this point's closings in earlier books) > field read.
 *
 * A swap (treo tháo) is a THAO row beside the DDK row of the same MA_DDO and LOAI_BCS. Columns read:
 * - THAO row: MA_CTO the removed meter, CS_CU its index at the period start, CS_MOI its final index when
 *   removed, HSN and TTR_MOI its multiplier and status, SL_MOI its consumption when CMIS computed it;
 * - DDK row: MA_CTO the installed meter, CS_CU its first index when installed, SL_THAO the removed
 *   meter's consumption when CMIS carries it there.
 * The removed meter's consumption comes from the THAO indexes (swapConsumption) when CS_MOI is there,
 * else from the THAO row's SL_MOI, else from the DDK row's SL_THAO; none of them → needs-review. The
 * closing's consumption is the period's total (both meters); detail.swap keeps the two parts, which the
 * export writes back as SL_MOI (installed meter) and SL_THAO (removed meter). A swapped point whose new
 * meter has no read is sent to the field, not estimated: its history is the old meter's whole periods.
 */
export interface CloseBookOptions {
  readonly now: number;
  /** How far from the period end a plain read may be and still stand for it. Default 6 h. */
  readonly toleranceMs?: number;
  readonly screening?: BookScreeningOptions;
}

export interface CloseSummary {
  readonly bookId: number;
  /** `<book>-<year>-<month>-<KY>` */
  readonly book: string;
  readonly state: BookSummary['state'];
  /** Periodic rows closed. */
  readonly rows: number;
  readonly outcomes: Record<ClosingOutcome, number>;
  /** Read closings by source: billing-snapshot, nearest-read. */
  readonly readBySource: Record<string, number>;
  /** Flags of the book by code (all states), and how many blocking ones are open. */
  readonly flags: Record<string, number>;
  readonly openBlockingFlags: number;
  /** Closing rows written or deleted by this call: 0 when closing again changed nothing. */
  readonly changed: number;
}

export const DEFAULT_TOLERANCE_MS = 6 * 3_600_000;
const DAY_MS = 86_400_000;

const rowKey = (point: string, bcs: string): string => `${point}\u0000${bcs}`;

/** The read date CMIS gets (NGAY_MOI): the last day the period covers, i.e. the local day before the period-end instant. */
export function readDateOf(book: Pick<BookSummary, 'periodEnd'>): string {
  return formatLocalDate(localDateOf(book.periodEnd - 1));
}

function daysOf(row: BookRowView, book: BookHead): number {
  const fallback = Math.max(1, Math.round((book.periodEnd - book.periodStart) / DAY_MS));
  if (row.row.NGAY_CU === undefined) return fallback;
  try {
    return periodDays(row.row.NGAY_CU, readDateOf(book));
  } catch {
    return fallback; // NGAY_CU on or after the read date: CMIS's date is wrong, the calendar's period is not
  }
}

function closeOne(row: BookRowView, book: BookHead, reads: BookReads, store: ClosingStore, toleranceMs: number): { result: ClosedRegister | { outcome: 'error'; reason: { vi: string; en: string } }; estimatesBefore: number; candidates: number; days: number } {
  const candidates = reads.candidates({ meteringPoint: row.meteringPoint, bcs: row.bcs, meterId: row.meterId, from: book.periodEnd - toleranceMs, to: book.periodEnd + toleranceMs });
  const earlier = store.earlierOutcomes(row.meteringPoint, row.bcs, book.periodEnd, MAX_ESTIMATES_IN_A_ROW + 1);
  const firstOther = earlier.findIndex((o) => o !== 'estimated');
  const estimatesBefore = firstOther < 0 ? earlier.length : firstOther;
  const days = daysOf(row, book);
  const register = {
    meteringPoint: row.meteringPoint,
    meterId: row.meterId ?? '',
    bcs: row.bcs,
    oldIndex: row.oldIndex,
    multiplier: row.multiplier,
    recentConsumptions: [row.row.SLUONG_1 ?? null, row.row.SLUONG_2 ?? null, row.row.SLUONG_3 ?? null],
    estimatesInARow: estimatesBefore,
  };
  try {
    return { result: closeRegister(register, candidates, { periodEnd: book.periodEnd, toleranceMs, periodDays: days }), estimatesBefore, candidates: candidates.length, days };
  } catch (e) {
    if (!isCmisError(e)) throw e;
    const reason =
      e.code === 'CMIS_NO_HISTORY'
        ? { vi: 'Không có chỉ số và không có lịch sử sản lượng để tạm tính: ghi chỉ số tại hiện trường', en: 'no read and no consumption history to estimate from: read in the field' }
        : { vi: `Không tính được sản lượng: ${e.message}`, en: `the consumption cannot be computed: ${e.message}` };
    return { result: { outcome: e.code === 'CMIS_NO_HISTORY' ? 'field-read' : 'error', reason } as ClosedRegister | { outcome: 'error'; reason: { vi: string; en: string } }, estimatesBefore, candidates: candidates.length, days };
  }
}

/** The removed meter's consumption of a swap, and where it came from; undefined when CMIS gave nothing to compute it from. */
function removedPart(thao: BookRowView, ddk: BookRowView, newIndex: string, status: string): { removed: string; installed?: string; from: string } | undefined {
  if (thao.row.CS_MOI !== undefined) {
    const s = swapConsumption({
      oldMeter: { oldIndex: thao.oldIndex, finalIndex: thao.row.CS_MOI, multiplier: thao.multiplier, ...(thao.row.TTR_MOI ? { status: thao.row.TTR_MOI } : {}) },
      newMeter: { firstIndex: ddk.oldIndex, newIndex, multiplier: ddk.multiplier, ...(status ? { status } : {}) },
    });
    return { removed: s.removedConsumption, installed: s.newMeterConsumption, from: 'THAO CS_CU..CS_MOI' };
  }
  if (thao.row.SL_MOI !== undefined) return { removed: thao.row.SL_MOI, from: 'THAO SL_MOI' };
  if (ddk.row.SL_THAO !== undefined) return { removed: ddk.row.SL_THAO, from: 'DDK SL_THAO' };
  return undefined;
}

function toDraft(row: BookRowView, thao: BookRowView | undefined, closed: ReturnType<typeof closeOne>): ClosingDraft {
  const { result, estimatesBefore, candidates, days } = closed;
  const where = { meteringPoint: row.meteringPoint, bcs: row.bcs };
  const empty = { source: null, newIndex: null, status: null, consumption: null, readId: null, gapMs: null, estimateNumber: null };
  const base = { meterId: row.meterId, periodDays: days, candidates, estimatesBefore };
  const review = (reason: { vi: string; en: string }, extra: Partial<ClosingDraft> = {}, detail: Record<string, unknown> = {}): ClosingDraft => ({
    ...where,
    ...empty,
    ...extra,
    outcome: 'needs-review',
    detail: { ...base, ...detail, reason },
  });
  switch (result.outcome) {
    case 'error':
      return review(result.reason);
    case 'field-read':
      return { ...where, ...empty, outcome: 'field-read', detail: { ...base, reason: result.reason } };
    case 'needs-review':
      return review(result.reason, { newIndex: result.newIndex, readId: result.readId });
  }
  if (thao !== undefined && result.outcome === 'estimated') {
    return {
      ...where,
      ...empty,
      outcome: 'field-read',
      detail: {
        ...base,
        reason: { vi: 'Điểm đo vừa treo tháo công tơ nhưng công tơ mới chưa có chỉ số: ghi chỉ số tại hiện trường', en: 'the meter was swapped and the new meter has no read: read it in the field' },
      },
    };
  }
  let consumption = result.consumption;
  let swap: Record<string, unknown> | undefined;
  if (thao !== undefined) {
    let part;
    try {
      part = removedPart(thao, row, result.newIndex, result.status);
    } catch (e) {
      if (!isCmisError(e)) throw e;
      return review(
        { vi: `Treo tháo: không tính được sản lượng công tơ tháo: ${e.message}`, en: `meter swap: the removed meter's consumption cannot be computed: ${e.message}` },
        { newIndex: result.newIndex, readId: result.outcome === 'read' ? result.readId : null },
      );
    }
    if (part === undefined) {
      return review(
        {
          vi: 'Treo tháo: thiếu chỉ số tháo (CS_MOI dòng THAO) và sản lượng tháo (SL_MOI / SL_THAO)',
          en: "meter swap: the removed meter's final index (THAO CS_MOI) and consumption (SL_MOI / SL_THAO) are both missing",
        },
        { newIndex: result.newIndex, readId: result.outcome === 'read' ? result.readId : null },
      );
    }
    const installed = part.installed ?? result.consumption;
    consumption = formatDecimal(add(parseDecimal(installed), parseDecimal(part.removed)));
    swap = { removedMeterId: thao.meterId, removedConsumption: part.removed, newMeterConsumption: installed, total: consumption, from: part.from };
  }
  if (result.outcome === 'read') {
    return {
      ...where,
      outcome: 'read',
      source: result.source,
      newIndex: result.newIndex,
      status: result.status,
      consumption,
      readId: result.readId,
      gapMs: result.gapMs,
      estimateNumber: null,
      detail: { ...base, gapMs: result.gapMs, ...(swap === undefined ? {} : { swap }) },
    };
  }
  return {
    ...where,
    outcome: 'estimated',
    source: 'estimate',
    newIndex: result.newIndex,
    status: result.status,
    consumption,
    readId: null,
    gapMs: null,
    estimateNumber: result.estimateNumber,
    detail: { ...base, kwhPerDay: result.kwhPerDay, estimateNumber: result.estimateNumber },
  };
}

/**
 * Closes the book in two transactions. The first reads: the rows, the reads of their registers, the
 * earlier closings and the open anomalies, from one snapshot. The second writes the closings and flags,
 * under the write lock. The store worker's ingest commits during the first (SQLite in WAL mode has one
 * writer besides any number of readers), so the month-end cutoff, book after book, does not hold off
 * late reads. Nothing of this thread can come between the two (imports, operator decisions): they run
 * back to back. The other connections write reads and events (the store worker: as if the book had
 * closed a moment earlier) and exports (an export worker may change the book's state, so the second
 * transaction reads it again).
 */
export function closeBook(db: Database.Database, bookId: number, opts: CloseBookOptions): CloseSummary {
  const books = new BookStore(db);
  const store = new ClosingStore(db);
  const reads = new BookReads(db);
  const toleranceMs = opts.toleranceMs ?? DEFAULT_TOLERANCE_MS;

  const decide = db.transaction(() => {
    const book = books.getBookHead(bookId);
    if (book === undefined) throw new BookError('BOOK_NOT_FOUND', `no book ${bookId}`, { context: { bookId } });
    const name = bookFileName({ bookCode: book.code, year: book.year, month: book.month, subPeriod: book.subPeriod }).replace(/\.xml$/, '');
    if (opts.now < book.periodEnd) {
      throw new ClosingError('CLOSE_NOT_DUE', `book ${name} cannot close before its period ends (${new Date(book.periodEnd).toISOString()}): the meters have not taken their snapshot`, {
        context: { bookId, periodEnd: book.periodEnd },
      });
    }
    const rows = books.rows(bookId, { presentOnly: true });
    const thao = new Map(rows.filter((r) => r.readingType === 'THAO').map((r) => [rowKey(r.meteringPoint, r.bcs), r]));
    const screened: ScreenedRow[] = [];
    for (const row of rows) {
      if (row.readingType !== 'DDK') continue;
      const closing = toDraft(row, thao.get(rowKey(row.meteringPoint, row.bcs)), closeOne(row, book, reads, store, toleranceMs));
      screened.push({ closing, previousConsumption: row.row.SL_CU, oldIndex: row.oldIndex });
    }
    const points = [...new Set(rows.map((r) => r.meteringPoint))];
    const flags = screenBook(screened, reads.openAnomalies(points, opts.now), opts.screening);
    return { name, screened, flags };
  });

  const { name, screened, flags } = decide.deferred();
  const write = db.transaction((): CloseSummary => {
    const book = books.getBookHead(bookId);
    if (book === undefined) throw new BookError('BOOK_NOT_FOUND', `no book ${bookId}`, { context: { bookId } });
    const changed = store.saveClosings(bookId, screened.map((s) => s.closing), opts.now);
    store.saveFlags(bookId, flags, opts.now);
    // An exported book stays exported when closing again changed nothing in what the export wrote.
    const state = book.state === 'exported' && changed === 0 ? 'exported' : 'closed';
    if (state !== book.state) books.changeStateOf(bookId, state, opts.now);

    const outcomes: Record<ClosingOutcome, number> = { read: 0, estimated: 0, 'field-read': 0, 'needs-review': 0 };
    const readBySource: Record<string, number> = {};
    for (const { closing } of screened) {
      outcomes[closing.outcome]++;
      if (closing.outcome === 'read' && closing.source !== null) readBySource[closing.source] = (readBySource[closing.source] ?? 0) + 1;
    }
    const byCode: Record<string, number> = {};
    let openBlockingFlags = 0;
    for (const f of store.flagsOfBook(bookId)) {
      byCode[f.code] = (byCode[f.code] ?? 0) + 1;
      if (f.blocking && f.state === 'open') openBlockingFlags++;
    }
    return { bookId, book: name, state, rows: screened.length, outcomes, readBySource, flags: byCode, openBlockingFlags, changed };
  });
  return write.immediate();
}
