import type Database from 'better-sqlite3';
import type { EventState } from '../http/operator-data.js';

/**
 * Operators' decisions on events (confirm: the alarm is real, a visit or a phúc tra follows; dismiss: it
 * was wrong, and the note says why). The decision moves `events.state` and its note is kept here, in the
 * same transaction, in `event_reviews` (central schema v2).
 */
export type ReviewResult = { ok: true } | { ok: false; reason: 'not-found' } | { ok: false; reason: 'not-open'; state: EventState };

export class EventReviews {
  private readonly sql;
  private readonly decide;

  constructor(db: Database.Database) {
    this.sql = {
      move: db.prepare<[string, number, number]>(`UPDATE events SET state = ?, state_changed_at = ? WHERE id = ? AND state = 'open'`),
      state: db.prepare<[number], { state: EventState }>('SELECT state FROM events WHERE id = ?'),
      insert: db.prepare<[number, string, string | null, string | null, number]>(
        'INSERT INTO event_reviews (event_id, action, note, reviewed_by, at) VALUES (?, ?, ?, ?, ?)',
      ),
    };
    this.decide = db.transaction((eventId: number, action: 'confirm' | 'dismiss', note: string | null, by: string | null, now: number): ReviewResult => {
      // Only from open: two operators clicking at once must not both decide, and a decision is not silently redone.
      if (this.sql.move.run(action === 'confirm' ? 'confirmed' : 'dismissed', now, eventId).changes === 0) {
        const row = this.sql.state.get(eventId);
        return row === undefined ? { ok: false, reason: 'not-found' } : { ok: false, reason: 'not-open', state: row.state };
      }
      this.sql.insert.run(eventId, action, note, by, now);
      return { ok: true };
    });
  }

  review(eventId: number, action: 'confirm' | 'dismiss', input: { note?: string; by?: string }, now: number): ReviewResult {
    return this.decide.immediate(eventId, action, input.note ?? null, input.by ?? null, now);
  }
}
