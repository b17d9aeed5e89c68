import { describe, expect, it } from 'vitest';
import { CalendarSchema, cutoffInstant, daysUntilCutoff, nextCutoff, noticeReleaseTime, periodEndInstant, readingDayOf, sessionDate } from './reading-calendar.js';

// Tết 2026 (lunar new year) is on 17 February 2026: the eve is 16 February.
const tet2026 = CalendarSchema.parse({
  cutoff: '22:00',
  shifts: [
    { date: '2026-02-16', shiftDays: -1, reason: 'last day before Tết: read one day early' },
    { date: '2026-02-17', shiftDays: -1, reason: 'Tết day 1: read one day early' },
    { date: '2026-02-18', shiftDays: 1, reason: 'Tết day 2: read one day late' },
    { date: '2026-02-19', shiftDays: 1, reason: 'Tết day 3: read one day late' },
    { date: '2026-02-28', shiftDays: -1, books: ['D018328'], reason: 'only this book' },
  ],
  noticeBlackouts: [{ from: '2026-02-14T00:00', to: '2026-02-22T00:00', reason: 'Tết week: no SMS' }],
});

describe('reading calendar', () => {
  it('reads "last" books on the month\'s last day, leap years included', () => {
    expect(sessionDate(tet2026, 'X', 'last', 2026, 4)).toEqual({ year: 2026, month: 4, day: 30 });
    expect(sessionDate(tet2026, 'X', 'last', 2028, 2)).toEqual({ year: 2028, month: 2, day: 29 });
  });

  it('moves the sessions around Tết as configured, and leaves the others', () => {
    expect(sessionDate(tet2026, 'A', 16, 2026, 2)).toEqual({ year: 2026, month: 2, day: 15 });
    expect(sessionDate(tet2026, 'A', 17, 2026, 2)).toEqual({ year: 2026, month: 2, day: 16 });
    expect(sessionDate(tet2026, 'A', 18, 2026, 2)).toEqual({ year: 2026, month: 2, day: 19 });
    expect(sessionDate(tet2026, 'A', 19, 2026, 2)).toEqual({ year: 2026, month: 2, day: 20 });
    expect(sessionDate(tet2026, 'A', 20, 2026, 2)).toEqual({ year: 2026, month: 2, day: 20 });
    expect(sessionDate(tet2026, 'A', 16, 2027, 2)).toEqual({ year: 2027, month: 2, day: 16 });
  });

  it('applies a shift only to the books it names', () => {
    expect(sessionDate(tet2026, 'D018328', 'last', 2026, 2)).toEqual({ year: 2026, month: 2, day: 27 });
    expect(sessionDate(tet2026, 'D999999', 'last', 2026, 2)).toEqual({ year: 2026, month: 2, day: 28 });
  });

  it('ends the period at 00:00 local after the session and closes the book at the cutoff time the next day (UTC+7)', () => {
    expect(new Date(periodEndInstant(tet2026, 'A', 'last', 2026, 3)).toISOString()).toBe('2026-03-31T17:00:00.000Z');
    expect(new Date(cutoffInstant(tet2026, 'A', 'last', 2026, 3)).toISOString()).toBe('2026-04-01T15:00:00.000Z');
    // A shifted session moves both: D018328 is read on 27 February 2026.
    expect(new Date(periodEndInstant(tet2026, 'D018328', 'last', 2026, 2)).toISOString()).toBe('2026-02-27T17:00:00.000Z');
  });

  it('takes each book\'s reading day from the calendar, with a default', () => {
    const cal = CalendarSchema.parse({ readingDays: { books: { D018328: 14 } } });
    expect(readingDayOf(cal, 'D018328')).toBe(14);
    expect(readingDayOf(cal, 'D000001')).toBe('last');
    expect(cal.cutoff).toBe('06:00');
  });

  it('finds the next cutoff and the period it closes', () => {
    const t = Date.parse('2026-04-01T16:00:00Z'); // 23:00 local on 1 April: after the March book's cutoff
    const next = nextCutoff(tet2026, 'A', 'last', t);
    expect([next.year, next.month]).toEqual([2026, 4]);
    expect(new Date(next.previousAt).toISOString()).toBe('2026-04-01T15:00:00.000Z');
    expect(daysUntilCutoff(tet2026, 'A', 'last', t)).toBe(30);
    // 03:00 local on 1 January: December's book has not closed yet (it closes at 22:00 that day).
    const december = nextCutoff(tet2026, 'A', 'last', Date.parse('2026-12-31T20:00:00Z'));
    expect([december.year, december.month]).toEqual([2026, 12]);
    expect(nextCutoff(tet2026, 'A', 'last', Date.parse('2027-01-01T16:00:00Z')).month).toBe(1);
  });

  it('holds customer notices due in the Tết week until it ends', () => {
    const due = Date.parse('2026-02-16T03:00:00Z');
    expect(new Date(noticeReleaseTime(tet2026, due)).toISOString()).toBe('2026-02-21T17:00:00.000Z');
    const outside = Date.parse('2026-03-02T03:00:00Z');
    expect(noticeReleaseTime(tet2026, outside)).toBe(outside);
  });

  it('refuses a malformed calendar naming the field', () => {
    const r = CalendarSchema.safeParse({ cutoff: '25:00', shifts: [{ date: '2026-02-16', shiftDays: 0 }] });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(['cutoff', 'shifts.0.shiftDays']);
  });
});
