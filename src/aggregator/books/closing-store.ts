import type Database from 'better-sqlite3';
import { ClosingError } from './closing-errors.js';

/**
 * The cutoff's tables (schema v2): book_closings (one answer per periodic row), book_flags (screening
 * flags with the operator's decision) and book_exports (each export, versioned). Statements are prepared
 * once; times are epoch ms from the aggregator's clock. Writes are upserts that leave a row alone when
 * its content did not change, so closing a book twice gives the same rows, closed_at included.
 */

export type ClosingOutcome = 'read' | 'estimated' | 'field-read' | 'needs-review';
export type FlagState = 'open' | 'confirmed' | 'dismissed';
export type FlagSeverity = 'info' | 'warning' | 'critical';

/** What the cutoff decided for one periodic row (metering point × register). */
export interface ClosingDraft {
  readonly meteringPoint: string;
  readonly bcs: string;
  readonly outcome: ClosingOutcome;
  /** billing-snapshot | nearest-read | estimate; null for field-read and needs-review. */
  readonly source: string | null;
  /** CS_MOI as exact decimal text (for needs-review: the read that broke the rules). */
  readonly newIndex: string | null;
  /** TTR_MOI: '' or Q. */
  readonly status: string | null;
  /** The period's billed kWh for the register, the removed meter's included after a swap (detail.swap). */
  readonly consumption: string | null;
  readonly readId: string | null;
  /** Meter time of the read minus the period end. */
  readonly gapMs: number | null;
  readonly estimateNumber: number | null;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface ClosingRecord extends ClosingDraft {
  readonly bookId: number;
  readonly closedAt: number;
}

/** A screening flag as raised; bcs '*' is the metering point as a whole (a gateway anomaly). */
export interface FlagDraft {
  readonly meteringPoint: string;
  readonly bcs: string;
  readonly code: string;
  readonly severity: FlagSeverity;
  readonly blocking: boolean;
  readonly reason: { readonly vi: string; readonly en: string };
  readonly evidence: Readonly<Record<string, unknown>>;
}

export interface FlagRecord extends FlagDraft {
  readonly id: number;
  readonly bookId: number;
  readonly state: FlagState;
  readonly note: string | null;
  readonly decidedBy: string | null;
  readonly decidedAt: number | null;
  readonly raisedAt: number;
}

export interface ExportRecord {
  readonly id: number;
  readonly bookId: number;
  readonly version: number;
  /** Absolute paths of the files written. */
  readonly xmlFile: string;
  readonly csvFile: string;
  readonly xmlSha256: string;
  readonly csvSha256: string;
  readonly rows: number;
  readonly createdAt: number;
  readonly overrideBy: string | null;
  readonly overrideNote: string | null;
}

interface ClosingDb {
  book_id: number;
  metering_point: string;
  bcs: string;
  outcome: ClosingOutcome;
  source: string | null;
  new_index: string | null;
  status: string | null;
  consumption: string | null;
  read_id: string | null;
  gap_ms: number | null;
  estimate_number: number | null;
  detail: string;
  closed_at: number;
}

interface FlagDb {
  id: number;
  book_id: number;
  metering_point: string;
  bcs: string;
  code: string;
  severity: FlagSeverity;
  blocking: number;
  reason_vi: string;
  reason_en: string;
  evidence: string;
  state: FlagState;
  note: string | null;
  decided_by: string | null;
  decided_at: number | null;
  raised_at: number;
}

interface ExportDb {
  id: number;
  book_id: number;
  version: number;
  xml_file: string;
  csv_file: string;
  xml_sha256: string;
  csv_sha256: string;
  rows: number;
  created_at: number;
  override_by: string | null;
  override_note: string | null;
}

const key = (point: string, bcs: string, code = ''): string => `${point}\u0000${bcs}\u0000${code}`;

export class ClosingStore {
  private readonly sql;

  constructor(private readonly db: Database.Database) {
    this.sql = {
      closings: db.prepare<[number], ClosingDb>('SELECT * FROM book_closings WHERE book_id = ? ORDER BY metering_point, bcs'),
      // The WHERE keeps an unchanged row as it was (closed_at included): a second close changes nothing.
      upsertClosing: db.prepare(
        `INSERT INTO book_closings (book_id, metering_point, bcs, outcome, source, new_index, status, consumption, read_id, gap_ms, estimate_number, detail, closed_at)
         VALUES (@bookId, @meteringPoint, @bcs, @outcome, @source, @newIndex, @status, @consumption, @readId, @gapMs, @estimateNumber, @detail, @now)
         ON CONFLICT (book_id, metering_point, bcs) DO UPDATE SET outcome = excluded.outcome, source = excluded.source,
           new_index = excluded.new_index, status = excluded.status, consumption = excluded.consumption, read_id = excluded.read_id,
           gap_ms = excluded.gap_ms, estimate_number = excluded.estimate_number, detail = excluded.detail, closed_at = excluded.closed_at
         WHERE (outcome, source, new_index, status, consumption, read_id, gap_ms, estimate_number, detail)
           IS NOT (excluded.outcome, excluded.source, excluded.new_index, excluded.status, excluded.consumption, excluded.read_id,
                   excluded.gap_ms, excluded.estimate_number, excluded.detail)`,
      ),
      deleteClosing: db.prepare('DELETE FROM book_closings WHERE book_id = ? AND metering_point = ? AND bcs = ?'),
      // Earlier periods of the point+register, latest first: the two-in-a-row limit looks at the top few.
      history: db.prepare<[string, string, number, number], { outcome: ClosingOutcome }>(
        `SELECT c.outcome FROM book_closings c JOIN books b ON b.id = c.book_id
         WHERE c.metering_point = ? AND c.bcs = ? AND b.period_end < ? ORDER BY b.period_end DESC, b.id DESC LIMIT ?`,
      ),
      flagsOfBook: db.prepare<[number], FlagDb>('SELECT * FROM book_flags WHERE book_id = ? ORDER BY id'),
      flag: db.prepare<[number], FlagDb>('SELECT * FROM book_flags WHERE id = ?'),
      insertFlag: db.prepare(
        `INSERT INTO book_flags (book_id, metering_point, bcs, code, severity, blocking, reason_vi, reason_en, evidence, raised_at)
         VALUES (@bookId, @meteringPoint, @bcs, @code, @severity, @blocking, @reasonVi, @reasonEn, @evidence, @now)`,
      ),
      // New facts reopen a decided flag: the decision was about the old ones.
      updateFlag: db.prepare(
        `UPDATE book_flags SET severity = @severity, blocking = @blocking, reason_vi = @reasonVi, reason_en = @reasonEn, evidence = @evidence,
           state = 'open', note = NULL, decided_by = NULL, decided_at = NULL, raised_at = @now WHERE id = @id`,
      ),
      deleteFlag: db.prepare('DELETE FROM book_flags WHERE id = ?'),
      decide: db.prepare(`UPDATE book_flags SET state = @state, note = @note, decided_by = @by, decided_at = @now WHERE id = @id AND state = 'open'`),
      exports: db.prepare<[number], ExportDb>('SELECT * FROM book_exports WHERE book_id = ? ORDER BY version'),
      exportById: db.prepare<[number], ExportDb>('SELECT * FROM book_exports WHERE id = ?'),
      latestExport: db.prepare<[number], ExportDb>('SELECT * FROM book_exports WHERE book_id = ? ORDER BY version DESC LIMIT 1'),
      insertExport: db.prepare(
        `INSERT INTO book_exports (book_id, version, xml_file, csv_file, xml_sha256, csv_sha256, rows, created_at, override_by, override_note)
         VALUES (@bookId, @version, @xmlFile, @csvFile, @xmlSha256, @csvSha256, @rows, @createdAt, @overrideBy, @overrideNote)`,
      ),
    };
  }

  closings(bookId: number): ClosingRecord[] {
    return this.sql.closings.all(bookId).map(toClosing);
  }

  /**
   * Stores a book's closings: upserts each, deletes closings of rows no longer in the list (a re-import
   * dropped the row). Returns how many rows changed (0 on a repeated close). Call inside a transaction.
   */
  saveClosings(bookId: number, drafts: readonly ClosingDraft[], now: number): number {
    let changed = 0;
    const kept = new Set<string>();
    for (const d of drafts) {
      kept.add(key(d.meteringPoint, d.bcs));
      changed += this.sql.upsertClosing.run({ bookId, ...d, detail: JSON.stringify(d.detail), now }).changes;
    }
    for (const c of this.sql.closings.all(bookId)) {
      if (!kept.has(key(c.metering_point, c.bcs))) changed += this.sql.deleteClosing.run(bookId, c.metering_point, c.bcs).changes;
    }
    return changed;
  }

  /** Outcomes of the point+register in periods ending before `periodEnd`, the latest first (at most `limit`). */
  earlierOutcomes(meteringPoint: string, bcs: string, periodEnd: number, limit: number): ClosingOutcome[] {
    return this.sql.history.all(meteringPoint, bcs, periodEnd, limit).map((r) => r.outcome);
  }

  flagsOfBook(bookId: number): FlagRecord[] {
    return this.sql.flagsOfBook.all(bookId).map(toFlag);
  }

  /** Flags across books, newest first, filtered by book and state. */
  flags(filter: { bookId?: number; state?: FlagState; limit?: number } = {}): FlagRecord[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.bookId !== undefined) (where.push('book_id = ?'), args.push(filter.bookId));
    if (filter.state !== undefined) (where.push('state = ?'), args.push(filter.state));
    args.push(filter.limit ?? 1000);
    const sql = `SELECT * FROM book_flags ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
    return this.db.prepare<(string | number)[], FlagDb>(sql).all(...args).map(toFlag);
  }

  flag(id: number): FlagRecord | undefined {
    const f = this.sql.flag.get(id);
    return f === undefined ? undefined : toFlag(f);
  }

  /**
   * Stores a book's flags. A flag raised again with the same facts keeps its state and decision; one whose
   * facts (evidence, severity, blocking) changed is reopened; open flags not raised any more are deleted,
   * decided ones are kept as the record of what the operator saw. Call inside a transaction.
   */
  saveFlags(bookId: number, drafts: readonly FlagDraft[], now: number): void {
    const stored = new Map(this.sql.flagsOfBook.all(bookId).map((f) => [key(f.metering_point, f.bcs, f.code), f]));
    const raised = new Set<string>();
    for (const d of drafts) {
      const k = key(d.meteringPoint, d.bcs, d.code);
      raised.add(k);
      const params = { severity: d.severity, blocking: d.blocking ? 1 : 0, reasonVi: d.reason.vi, reasonEn: d.reason.en, evidence: JSON.stringify(d.evidence), now };
      const old = stored.get(k);
      if (old === undefined) this.sql.insertFlag.run({ bookId, meteringPoint: d.meteringPoint, bcs: d.bcs, code: d.code, ...params });
      else if (old.evidence !== params.evidence || old.severity !== params.severity || old.blocking !== params.blocking) {
        this.sql.updateFlag.run({ id: old.id, ...params });
      }
    }
    for (const [k, f] of stored) if (!raised.has(k) && f.state === 'open') this.sql.deleteFlag.run(f.id);
  }

  /** Confirms or dismisses an open flag (a dismissal needs a note). */
  decideFlag(id: number, action: 'confirm' | 'dismiss', decision: { note?: string | undefined; by?: string | undefined; now: number }): FlagRecord {
    const note = decision.note?.trim() === '' ? undefined : decision.note?.trim();
    if (action === 'dismiss' && note === undefined) {
      throw new ClosingError('FLAG_NOTE_REQUIRED', `flag ${id}: a dismissal needs a note saying why the flag was wrong`, { context: { flagId: id } });
    }
    const run = this.db.transaction((): FlagRecord => {
      const f = this.sql.flag.get(id);
      if (f === undefined) throw new ClosingError('FLAG_NOT_FOUND', `no flag ${id}`, { context: { flagId: id } });
      if (f.state !== 'open') {
        throw new ClosingError('FLAG_ALREADY_DECIDED', `flag ${id} (${f.code} on ${f.metering_point} ${f.bcs}) is already ${f.state}`, { context: { flagId: id, state: f.state } });
      }
      this.sql.decide.run({ id, state: action === 'confirm' ? 'confirmed' : 'dismissed', note: note ?? null, by: decision.by ?? null, now: decision.now });
      return toFlag(this.sql.flag.get(id) as FlagDb);
    });
    return run.immediate();
  }

  exports(bookId: number): ExportRecord[] {
    return this.sql.exports.all(bookId).map(toExport);
  }

  exportById(id: number): ExportRecord | undefined {
    const e = this.sql.exportById.get(id);
    return e === undefined ? undefined : toExport(e);
  }

  latestExport(bookId: number): ExportRecord | undefined {
    const e = this.sql.latestExport.get(bookId);
    return e === undefined ? undefined : toExport(e);
  }

  addExport(record: Omit<ExportRecord, 'id'>): ExportRecord {
    const id = Number(this.sql.insertExport.run(record).lastInsertRowid);
    return { id, ...record };
  }
}

function toClosing(c: ClosingDb): ClosingRecord {
  return {
    bookId: c.book_id,
    meteringPoint: c.metering_point,
    bcs: c.bcs,
    outcome: c.outcome,
    source: c.source,
    newIndex: c.new_index,
    status: c.status,
    consumption: c.consumption,
    readId: c.read_id,
    gapMs: c.gap_ms,
    estimateNumber: c.estimate_number,
    detail: JSON.parse(c.detail) as Record<string, unknown>,
    closedAt: c.closed_at,
  };
}

function toFlag(f: FlagDb): FlagRecord {
  return {
    id: f.id,
    bookId: f.book_id,
    meteringPoint: f.metering_point,
    bcs: f.bcs,
    code: f.code,
    severity: f.severity,
    blocking: f.blocking === 1,
    reason: { vi: f.reason_vi, en: f.reason_en },
    evidence: JSON.parse(f.evidence) as Record<string, unknown>,
    state: f.state,
    note: f.note,
    decidedBy: f.decided_by,
    decidedAt: f.decided_at,
    raisedAt: f.raised_at,
  };
}

function toExport(e: ExportDb): ExportRecord {
  return {
    id: e.id,
    bookId: e.book_id,
    version: e.version,
    xmlFile: e.xml_file,
    csvFile: e.csv_file,
    xmlSha256: e.xml_sha256,
    csvSha256: e.csv_sha256,
    rows: e.rows,
    createdAt: e.created_at,
    overrideBy: e.override_by,
    overrideNote: e.override_note,
  };
}
