/**
 * The utility's calendar: Asia/Ho_Chi_Minh is UTC+7 all year (no daylight saving since 1975), so a fixed
 * offset is exact and no time-zone database is needed on the concentrator. Instants are ms since epoch;
 * calendar days are `YYYY-MM-DD` local.
 */
export const VN_OFFSET_MS = 7 * 3_600_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;

export interface LocalDay {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export function localDay(ms: number): LocalDay {
  const t = new Date(ms + VN_OFFSET_MS);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

export function formatDay(d: LocalDay): string {
  return `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;
}

/** `YYYY-MM` of the local month containing `ms`: the billing month an incident belongs to. */
export function monthKey(ms: number): string {
  const d = localDay(ms);
  return `${pad(d.year, 4)}-${pad(d.month)}`;
}

/** The instant local midnight starts `d` (d may overflow: day 32 is the next month's first). */
export function localMidnight(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) - VN_OFFSET_MS;
}

/** Wire times: ISO 8601 in UTC with `Z`. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** `20240731T165930Z`: short enough to go inside an anomaly id. */
export function compactIso(ms: number): string {
  return iso(ms).replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
