import { CmisError } from '../cmis/errors.js';

/**
 * Local calendar time of the utility: Asia/Ho_Chi_Minh is UTC+7 all year (no daylight saving since
 * 1975), so a fixed offset is exact and no time-zone database is needed. CMIS writes dates as local ISO
 * without an offset (`2017-07-14T00:00:00`); .NET may add one (`+07:00`), which we fold back to local.
 */
export const VN_UTC_OFFSET_MINUTES = 7 * 60;

export interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export interface LocalDateTime extends LocalDate {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** Fraction-of-second digits as written, trailing zeros removed ('' when whole). */
  readonly fraction: string;
}

const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:\d{2})?$/;

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function bad(text: string, why: string): CmisError {
  return new CmisError('CMIS_BAD_DATE', `${JSON.stringify(text)} is not a local date/time (${why})`);
}

/** Parses `YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM]` into Vietnamese local time. */
export function parseLocalDateTime(text: string): LocalDateTime {
  const m = DATE_TIME_RE.exec(text.trim());
  if (!m) throw bad(text, 'expected YYYY-MM-DDTHH:MM:SS');
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (year < 1900 || year > 2999) throw bad(text, 'year out of range');
  if (month < 1 || month > 12) throw bad(text, 'month out of range');
  if (day < 1 || day > daysInMonth(year, month)) throw bad(text, `day out of range for ${year}-${month}`);
  if (hour > 23 || minute > 59 || second > 59) throw bad(text, 'time out of range');
  const fraction = (m[7] ?? '').replace(/0+$/, '');
  const zone = m[8];
  if (zone === undefined) return { year, month, day, hour, minute, second, fraction };
  let offset = 0;
  if (zone !== 'Z') {
    const [h, mm] = [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))];
    if (h > 14 || mm > 59) throw bad(text, 'offset out of range');
    offset = (zone.startsWith('-') ? -1 : 1) * (h * 60 + mm);
  }
  const shifted = new Date(Date.UTC(year, month - 1, day, hour, minute, second) + (VN_UTC_OFFSET_MINUTES - offset) * 60_000);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
    fraction,
  };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

export function formatLocalDate(d: LocalDate): string {
  return `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;
}

/** CMIS's own form: `2017-07-14T00:00:00`, local, no offset. */
export function formatLocalDateTime(d: LocalDateTime): string {
  return `${formatLocalDate(d)}T${pad(d.hour)}:${pad(d.minute)}:${pad(d.second)}${d.fraction ? '.' + d.fraction : ''}`;
}

export function normalizeLocalDateTime(text: string): string {
  return formatLocalDateTime(parseLocalDateTime(text));
}

/** The local calendar day of a date/time text or of an instant. */
export function toLocalDate(input: string | Date | LocalDate): LocalDate {
  if (typeof input === 'string') {
    const { year, month, day } = parseLocalDateTime(input);
    return { year, month, day };
  }
  if (input instanceof Date) {
    if (Number.isNaN(input.getTime())) throw new CmisError('CMIS_BAD_DATE', 'invalid Date');
    const shifted = new Date(input.getTime() + VN_UTC_OFFSET_MINUTES * 60_000);
    return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
  }
  return input;
}

/** Days since 1970-01-01 of a local calendar day (a day count, not an instant). */
export function dayNumber(d: LocalDate): number {
  return Math.round(Date.UTC(d.year, d.month - 1, d.day) / 86_400_000);
}

export function fromDayNumber(n: number): LocalDate {
  const t = new Date(n * 86_400_000);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}
