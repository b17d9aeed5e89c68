import { MeterSimError } from './errors.js';

/**
 * Local (wall-clock) time of a meter as a fixed offset from UTC. Vietnam is UTC+07:00 with no daylight
 * saving, so a fixed offset is exact there; a configured offset covers other single-zone fleets.
 *
 * A "local day" is the integer count of local days since 1970-01-01 local; everything that is cached per
 * day (consumption totals, tariff splits) is keyed by it.
 */

export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;

/** Vietnam: UTC+07:00, no DST. */
export const VIETNAM_UTC_OFFSET_MINUTES = 420;

export function localDayOf(t: number, utcOffsetMinutes: number): number {
  return Math.floor((t + utcOffsetMinutes * MS_PER_MINUTE) / MS_PER_DAY);
}

/** The instant local day `day` begins (local 00:00). */
export function localDayStart(day: number, utcOffsetMinutes: number): number {
  return day * MS_PER_DAY - utcOffsetMinutes * MS_PER_MINUTE;
}

export interface LocalParts {
  year: number;
  /** 1..12 */
  month: number;
  /** 1..31 */
  day: number;
  /** ISO: 1 = Monday … 7 = Sunday (the COSEM convention too). */
  dayOfWeek: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
}

export function localParts(t: number, utcOffsetMinutes: number): LocalParts {
  const d = new Date(t + utcOffsetMinutes * MS_PER_MINUTE);
  const dow = d.getUTCDay();
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    dayOfWeek: dow === 0 ? 7 : dow,
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    ms: d.getUTCMilliseconds(),
  };
}

/** ISO day of week (1 = Monday … 7 = Sunday) of a local day number; day 0 (1970-01-01) was a Thursday. */
export function dayOfWeekOfLocalDay(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/**
 * Year, month (1..12) and day (1..31) of a day number, by the civil-from-days arithmetic (proleptic
 * Gregorian, no Date object): it runs once per day of every profile and once per load-profile row.
 */
export function civilFromDays(day: number): { year: number; month: number; day: number } {
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day: doy - Math.floor((153 * mp + 2) / 5) + 1 };
}

/** Month (1..12) of a local day number. */
export function monthOfLocalDay(day: number): number {
  return civilFromDays(day).month;
}

/** The instant of local 00:00 on the 1st of `month` (1..12; out-of-range months roll over the year). */
export function localMonthStart(year: number, month: number, utcOffsetMinutes: number): number {
  return Date.UTC(year, month - 1, 1) - utcOffsetMinutes * MS_PER_MINUTE;
}

/** Local day number of an ISO local date "YYYY-MM-DD". */
export function localDayOfIsoDate(iso: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new MeterSimError('SIM_BAD_CONFIG', `"${iso}" is not a YYYY-MM-DD date`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Math.floor(ms / MS_PER_DAY);
}

/** First local month start strictly after `t`, then each following one: the billing snapshot instants. */
export function monthStartsBetween(fromExclusive: number, toInclusive: number, utcOffsetMinutes: number): number[] {
  const p = localParts(fromExclusive, utcOffsetMinutes);
  const out: number[] = [];
  for (let k = 1; ; k++) {
    const m = localMonthStart(p.year, p.month + k, utcOffsetMinutes);
    if (m > toInclusive) break;
    out.push(m);
  }
  return out;
}
