import { localMonthStart, localParts, MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, VIETNAM_UTC_OFFSET_MINUTES } from '../meter/local-time.js';

/**
 * Times of the fleet file and of the monthly reading cycle, in Vietnam local time (UTC+07:00, no DST).
 *
 * A period ends on its reading day (phiên ghi): the last day of the month, or day 1..28. The index of a
 * period is the register at the END of its reading day, local 00:00 of the next day; for month-end
 * reading that is local 00:00 on the 1st, the very instant a meter takes its billing snapshot
 * (0.0.98.1.0.255), so the snapshot and the period's index are the same thing.
 */

export type ReadingDay = 'last' | number;

const OFFSET = VIETNAM_UTC_OFFSET_MINUTES;

/** "+3d", "+12h", "+90m", "+1.5d", "+2d6h": a time relative to the fleet's start. */
const RELATIVE_RE = /^\+(?:\d+(?:\.\d+)?[dhm])+$/;
const PART_RE = /(\d+(?:\.\d+)?)([dhm])/g;
/** An ISO date-time with an explicit offset (Z or ±hh:mm), as the wire requires. */
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Parses an absolute ISO time (with offset); undefined when the text is not one. */
export function parseIsoInstant(text: string): number | undefined {
  if (!ISO_RE.test(text)) return undefined;
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : undefined;
}

/** A fault's from/until: ISO with offset, or "+N(d|h|m)…" after `start`. Undefined when unreadable. */
export function parseWhen(text: string, start: number): number | undefined {
  if (RELATIVE_RE.test(text.trim())) {
    let ms = 0;
    for (const [, n, u] of text.trim().matchAll(PART_RE)) ms += Number(n) * (u === 'd' ? MS_PER_DAY : u === 'h' ? MS_PER_HOUR : MS_PER_MINUTE);
    return start + Math.round(ms);
  }
  return parseIsoInstant(text.trim());
}

/** ISO text in Vietnam local time with its offset: 2025-06-30T17:00:00.000+07:00. */
export function isoLocal(t: number): string {
  const p = localParts(t, OFFSET);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}.${pad(p.ms, 3)}+07:00`;
}

/** CMIS's local date form: 2017-07-14T00:00:00 (no offset: CMIS dates are local). */
export function cmisDate(year: number, month: number, day: number): string {
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T00:00:00`;
}

export interface YearMonth {
  year: number;
  /** 1..12 */
  month: number;
}

/** The month `k` months after ym (negative k goes back). */
export function addMonths(ym: YearMonth, k: number): YearMonth {
  const i = ym.year * 12 + (ym.month - 1) + k;
  return { year: Math.floor(i / 12), month: (i % 12) + 1 };
}

export function monthOf(t: number): YearMonth {
  const p = localParts(t, OFFSET);
  return { year: p.year, month: p.month };
}

export function periodLabel(ym: YearMonth): string {
  return `${ym.year}-${String(ym.month).padStart(2, '0')}`;
}

/** "2025-06" → { 2025, 6 }; undefined when the text is not a period. */
export function parsePeriodLabel(text: string): YearMonth | undefined {
  const m = /^(\d{4})-(\d{2})$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return undefined;
  return { year: Number(m[1]), month: Number(m[2]) };
}

/** The day of the month a period is read on. */
export function readingDateOf(ym: YearMonth, readingDay: ReadingDay): { year: number; month: number; day: number } {
  if (readingDay !== 'last') return { ...ym, day: readingDay };
  const lastDay = new Date(Date.UTC(ym.year, ym.month, 0)).getUTCDate();
  return { ...ym, day: lastDay };
}

/** The instant the period of month ym ends: local 00:00 after its reading day. */
export function periodEnd(ym: YearMonth, readingDay: ReadingDay): number {
  if (readingDay === 'last') return localMonthStart(ym.year, ym.month + 1, OFFSET);
  return localMonthStart(ym.year, ym.month, OFFSET) + readingDay * MS_PER_DAY;
}

/** The period (month) whose span (previous end, end] holds instant t. */
export function periodContaining(t: number, readingDay: ReadingDay): YearMonth {
  let ym = monthOf(t);
  if (t > periodEnd(ym, readingDay)) ym = addMonths(ym, 1);
  else if (t <= periodEnd(addMonths(ym, -1), readingDay)) ym = addMonths(ym, -1);
  return ym;
}
