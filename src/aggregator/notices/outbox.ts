import type Database from 'better-sqlite3';
import { localDateOf, noticeReleaseTime, type Calendar } from '../calendar/reading-calendar.js';
import { NoticeError } from './errors.js';
import { noticeText, type NoticeRegister } from './notice-text.js';

export type NoticeChannel = 'sms' | 'email' | 'web' | 'paper';

/** A customer notice as the outbox hands it to a dispatcher. */
export interface Notice {
  id: number;
  bookId: number;
  meteringPoint: string;
  customerCode: string | null;
  channel: string;
  text: string;
  createdAt: number;
  /** The read's time (the book's closing of this point): B7 wants the customer told within 24 h of it. */
  dueAt: number;
  /** When it may go out: dueAt, or the end of a blackout window (Tết) dueAt falls in. */
  releaseAt: number;
  state: 'pending' | 'sent' | 'cancelled';
  sentAt: number | null;
}

export interface EnqueueResult {
  bookId: number;
  /** New notices. */
  created: number;
  /** Pending notices whose text or times changed (the book was closed again with other answers). */
  updated: number;
  /** Pending notices withdrawn because the point no longer has a usable read (sent ones are never touched). */
  cancelled: number;
  /** Points without a notice yet, and why (field read, needs review, a register not closed). */
  held: { meteringPoint: string; reason: string }[];
}

export interface NoticeOutboxSettings {
  /** The channel new notices go out on (config `notices.channel`). */
  channel: NoticeChannel;
  calendar: Calendar;
}

/** The B7 deadline: a customer hears of the read within a day of it (DOMAIN.md). */
export const NOTICE_DEADLINE_MS = 24 * 3_600_000;

interface NoticeDb {
  id: number;
  book_id: number;
  metering_point: string;
  customer_code: string | null;
  channel: string;
  text: string;
  created_at: number;
  due_at: number;
  release_at: number;
  state: Notice['state'];
  sent_at: number | null;
}

interface PointRow {
  metering_point: string;
  bcs: string;
  customer_code: string | null;
  old_index: string;
  outcome: string | null;
  new_index: string | null;
  consumption: string | null;
  closed_at: number | null;
}

const toNotice = (r: NoticeDb): Notice => ({
  id: r.id,
  bookId: r.book_id,
  meteringPoint: r.metering_point,
  customerCode: r.customer_code,
  channel: r.channel,
  text: r.text,
  createdAt: r.created_at,
  dueAt: r.due_at,
  releaseAt: r.release_at,
  state: r.state,
  sentAt: r.sent_at,
});

const HOLD_REASONS: Record<string, string> = {
  'field-read': 'sent to the field read list: no notice until a reader brings the index',
  'needs-review': 'the read needs an operator decision first',
};

/**
 * The customer-notice outbox (B7) over `customer_notices`: after a book closes, one notice per metering
 * point — not per register — with every register's old and new index and consumption. A point is held
 * (no notice) while any of its periodic registers is a field read, needs review or is not closed: a
 * customer gets one complete notice, never a partial one. Enqueueing is idempotent, and a pending notice
 * follows the book's latest closing; a sent notice is never changed.
 */
export class NoticeOutbox {
  readonly #db: Database.Database;
  readonly #settings: NoticeOutboxSettings;
  readonly #sql;

  constructor(db: Database.Database, settings: NoticeOutboxSettings) {
    this.#db = db;
    this.#settings = settings;
    this.#sql = {
      book: db.prepare<[number], { id: number; state: string; period_start: number; period_end: number }>('SELECT id, state, period_start, period_end FROM books WHERE id = ?'),
      rows: db.prepare<[number], PointRow>(
        `SELECT r.metering_point, r.bcs, r.customer_code, r.old_index, c.outcome, c.new_index, c.consumption, c.closed_at
         FROM book_rows r LEFT JOIN book_closings c ON c.book_id = r.book_id AND c.metering_point = r.metering_point AND c.bcs = r.bcs
         WHERE r.book_id = ? AND r.present = 1 AND r.reading_type = 'DDK'
         ORDER BY r.metering_point, r.bcs`,
      ),
      existing: db.prepare<[number, string], NoticeDb>('SELECT * FROM customer_notices WHERE book_id = ? AND metering_point = ?'),
      insert: db.prepare<[number, string, string | null, string, string, number, number, number]>(
        `INSERT INTO customer_notices (book_id, metering_point, customer_code, channel, text, created_at, due_at, release_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      update: db.prepare<[string | null, string, number, number, number]>(
        "UPDATE customer_notices SET customer_code = ?, text = ?, due_at = ?, release_at = ? WHERE id = ? AND state = 'pending'",
      ),
      cancel: db.prepare<[number]>("UPDATE customer_notices SET state = 'cancelled' WHERE id = ? AND state = 'pending'"),
      revive: db.prepare<[string | null, string, string, number, number, number, number]>(
        "UPDATE customer_notices SET state = 'pending', customer_code = ?, channel = ?, text = ?, created_at = ?, due_at = ?, release_at = ? WHERE id = ? AND state = 'cancelled'",
      ),
      due: db.prepare<[number, number], NoticeDb>("SELECT * FROM customer_notices WHERE state = 'pending' AND release_at <= ? ORDER BY release_at, id LIMIT ?"),
      markSent: db.prepare<[number, number]>("UPDATE customer_notices SET state = 'sent', sent_at = ? WHERE id = ? AND state = 'pending'"),
      byId: db.prepare<[number], NoticeDb>('SELECT * FROM customer_notices WHERE id = ?'),
      ofBook: db.prepare<[number], NoticeDb>('SELECT * FROM customer_notices WHERE book_id = ? ORDER BY metering_point'),
    };
  }

  /** Makes (or refreshes) the notices of a closed book in one transaction. */
  enqueueForBook(bookId: number, now: number): EnqueueResult {
    return this.#db.transaction(() => this.#enqueue(bookId, now)).immediate();
  }

  #enqueue(bookId: number, now: number): EnqueueResult {
    const book = this.#sql.book.get(bookId);
    if (book === undefined) throw new NoticeError('NOTICE_BOOK_NOT_FOUND', `no book ${bookId}`, { context: { bookId } });
    if (book.state === 'open') throw new NoticeError('NOTICE_BOOK_NOT_CLOSED', `book ${bookId} is not closed yet: its indexes are not known`, { context: { bookId } });
    const result: EnqueueResult = { bookId, created: 0, updated: 0, cancelled: 0, held: [] };
    const byPoint = new Map<string, PointRow[]>();
    for (const r of this.#sql.rows.all(bookId)) byPoint.set(r.metering_point, [...(byPoint.get(r.metering_point) ?? []), r]);
    const periodFirstDay = localDateOf(book.period_start);
    // period_end is 00:00 local after the session day: the last day of the period is the day before.
    const periodLastDay = localDateOf(book.period_end - 1);

    for (const [point, rows] of byPoint) {
      const existing = this.#sql.existing.get(bookId, point);
      const hold = rows.find((r) => r.outcome !== 'read' && r.outcome !== 'estimated');
      if (hold !== undefined) {
        result.held.push({ meteringPoint: point, reason: `${hold.bcs}: ${hold.outcome === null ? 'not closed' : (HOLD_REASONS[hold.outcome] ?? hold.outcome)}` });
        if (existing !== undefined) result.cancelled += this.#sql.cancel.run(existing.id).changes;
        continue;
      }
      const registers: NoticeRegister[] = rows.map((r) => ({
        bcs: r.bcs,
        oldIndex: r.old_index,
        newIndex: r.new_index ?? r.old_index,
        consumption: r.consumption ?? '0',
        estimated: r.outcome === 'estimated',
      }));
      const customerCode = rows.find((r) => r.customer_code !== null && r.customer_code !== '')?.customer_code ?? null;
      const text = noticeText({ meteringPoint: point, customerCode, periodFirstDay, periodLastDay, registers });
      // The read's time is when the book closed this point (its latest register): the 24 h count from there.
      const dueAt = Math.max(...rows.map((r) => r.closed_at!));
      const releaseAt = noticeReleaseTime(this.#settings.calendar, dueAt);
      if (existing === undefined) {
        this.#sql.insert.run(bookId, point, customerCode, this.#settings.channel, text, now, dueAt, releaseAt);
        result.created++;
      } else if (existing.state === 'cancelled') {
        result.created += this.#sql.revive.run(customerCode, this.#settings.channel, text, now, dueAt, releaseAt, existing.id).changes;
      } else if (existing.state === 'pending' && (existing.text !== text || existing.due_at !== dueAt || existing.release_at !== releaseAt || existing.customer_code !== customerCode)) {
        result.updated += this.#sql.update.run(customerCode, text, dueAt, releaseAt, existing.id).changes;
      }
    }
    return result;
  }

  /** Pending notices whose release time has come, earliest first. */
  due(now: number, limit = 500): Notice[] {
    return this.#sql.due.all(now, limit).map(toNotice);
  }

  /** Marks a notice sent; false when it was not pending (already sent, or cancelled meanwhile). */
  markSent(id: number, now: number): boolean {
    return this.#sql.markSent.run(now, id).changes > 0;
  }

  get(id: number): Notice | undefined {
    const r = this.#sql.byId.get(id);
    return r && toNotice(r);
  }

  ofBook(bookId: number): Notice[] {
    return this.#sql.ofBook.all(bookId).map(toNotice);
  }
}
