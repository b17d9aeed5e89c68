import { z } from 'zod';
import { daysInMonth, dayNumber, formatLocalDate, fromDayNumber, VN_UTC_OFFSET_MINUTES, type LocalDate } from '../rules/local-time.js';

/**
 * The reading calendar (DOMAIN.md "Calendar rules"): each book is read on its session day — a day of the
 * month or the month's last day. Its period ends at 00:00 local after that day, the instant the meters
 * take their own billing snapshot, so the index of a period is the register at that instant. The book
 * closes (cutoff) at a time of day on the day after the session: late enough for the gateways to read the
 * snapshots and forward them, early enough for billing the same morning. Around holidays a session can
 * move one day earlier or later, per session and per year (before Tết read a day early, on Tết's 2nd and
 * 3rd day a day late), and customer notices may be held back during a blackout window.
 */
export const ReadingDaySchema = z.union([z.literal('last'), z.number().int().min(1).max(28)]);
export type ReadingDay = z.infer<typeof ReadingDaySchema>;

const LocalDateText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const LocalDateTimeText = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'expected YYYY-MM-DDTHH:MM[:SS] (local time)');
const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM');

/** A session moved around a holiday: the session that fell on `date` is read `shiftDays` later (−1 earlier). */
export const SessionShiftSchema = z.object({
  date: LocalDateText,
  shiftDays: z.number().int().min(-7).max(7).refine((n) => n !== 0, 'a shift of 0 days moves nothing'),
  /** Only these books; all books when absent. */
  books: z.array(z.string().min(1)).optional(),
  reason: z.string().optional(),
});
export type SessionShift = z.infer<typeof SessionShiftSchema>;

export const BlackoutSchema = z.object({ from: LocalDateTimeText, to: LocalDateTimeText, reason: z.string().optional() });
export type Blackout = z.infer<typeof BlackoutSchema>;

export const CalendarSchema = z.object({
  /** When books close: local time on the day after the session (the period ended at 00:00 that day). */
  cutoff: TimeOfDay.default('06:00'),
  /** Each book's session day: `default` for all, `books` for exceptions by book code (MA_QUYEN). */
  readingDays: z
    .object({ default: ReadingDaySchema.default('last'), books: z.record(z.string().min(1), ReadingDaySchema).default({}) })
    .prefault({}),
  shifts: z.array(SessionShiftSchema).default([]),
  /** Windows in which customer notices (SMS …) must not go out; they wait until the window ends. */
  noticeBlackouts: z.array(BlackoutSchema).default([]),
});
export type Calendar = z.output<typeof CalendarSchema>;

function parseDate(text: string): LocalDate {
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  return { year: y, month: m, day: d };
}

/** The session's day before any holiday shift. */
export function nominalSessionDate(readingDay: ReadingDay, year: number, month: number): LocalDate {
  const last = daysInMonth(year, month);
  return { year, month, day: readingDay === 'last' ? last : Math.min(readingDay, last) };
}

/** A book's session day from the calendar. */
export function readingDayOf(calendar: Calendar, bookCode: string): ReadingDay {
  return calendar.readingDays.books[bookCode] ?? calendar.readingDays.default;
}

/** The day the book is actually read in that month, after the calendar's shifts for it. */
export function sessionDate(calendar: Calendar, bookCode: string, readingDay: ReadingDay, year: number, month: number): LocalDate {
  const nominal = nominalSessionDate(readingDay, year, month);
  const text = formatLocalDate(nominal);
  const shift = calendar.shifts.find((s) => s.date === text && (!s.books || s.books.includes(bookCode)));
  return shift ? fromDayNumber(dayNumber(nominal) + shift.shiftDays) : nominal;
}

/** Epoch ms of a local (UTC+7) date and time of day. */
export function localInstant(date: LocalDate, timeOfDay = '00:00'): number {
  const [h, m] = timeOfDay.split(':').map(Number) as [number, number];
  return Date.UTC(date.year, date.month - 1, date.day, h, m) - VN_UTC_OFFSET_MINUTES * 60_000;
}

/** The instant a book's period ends in a month: 00:00 local after its (shifted) session day. */
export function periodEndInstant(calendar: Calendar, bookCode: string, readingDay: ReadingDay, year: number, month: number): number {
  return localInstant(fromDayNumber(dayNumber(sessionDate(calendar, bookCode, readingDay, year, month)) + 1));
}

/** The cutoff instant of a book's session in a month: the cutoff time on the day after the session. */
export function cutoffInstant(calendar: Calendar, bookCode: string, readingDay: ReadingDay, year: number, month: number): number {
  return localInstant(fromDayNumber(dayNumber(sessionDate(calendar, bookCode, readingDay, year, month)) + 1), calendar.cutoff);
}

/** The local calendar date of an instant. */
export function localDateOf(t: number): LocalDate {
  const shifted = new Date(t + VN_UTC_OFFSET_MINUTES * 60_000);
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

/**
 * The next cutoff of a book at or after `t`: this month's if it is still ahead, else next month's.
 * The period it closes runs from the previous cutoff to this one.
 */
export function nextCutoff(calendar: Calendar, bookCode: string, readingDay: ReadingDay, t: number): { year: number; month: number; at: number; previousAt: number } {
  const { year, month } = localDateOf(t);
  const prev = (y: number, m: number): [number, number] => (m === 1 ? [y - 1, 12] : [y, m - 1]);
  const next = (y: number, m: number): [number, number] => (m === 12 ? [y + 1, 1] : [y, m + 1]);
  // The previous month's book closes early in this month (the day after a month-end session).
  for (const [y, m] of [prev(year, month), [year, month] as [number, number], next(year, month)]) {
    const at = cutoffInstant(calendar, bookCode, readingDay, y, m);
    if (at >= t) {
      const [py, pm] = prev(y, m);
      return { year: y, month: m, at, previousAt: cutoffInstant(calendar, bookCode, readingDay, py, pm) };
    }
  }
  throw new Error('unreachable: next month always has a cutoff ahead');
}

/** When a notice due at `due` may go out: at once, or at the end of the blackout window it falls in. */
export function noticeReleaseTime(calendar: Calendar, due: number): number {
  let release = due;
  // Windows may touch or overlap: keep moving past each one the release time falls in.
  for (let moved = true; moved; ) {
    moved = false;
    for (const b of calendar.noticeBlackouts) {
      const from = localInstantText(b.from);
      const to = localInstantText(b.to);
      if (release >= from && release < to) {
        release = to;
        moved = true;
      }
    }
  }
  return release;
}

function localInstantText(text: string): number {
  const [date, time] = text.split('T') as [string, string];
  return localInstant(parseDate(date), time.slice(0, 5)) + (time.length > 5 ? Number(time.slice(6, 8)) * 1000 : 0);
}

/** Days until the book's next cutoff (local calendar days), for the pre-cutoff report. */
export function daysUntilCutoff(calendar: Calendar, bookCode: string, readingDay: ReadingDay, t: number): number {
  const next = nextCutoff(calendar, bookCode, readingDay, t);
  return dayNumber(localDateOf(next.at)) - dayNumber(localDateOf(t));
}
