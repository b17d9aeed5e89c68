/** Vietnam is UTC+07:00 all year (no daylight saving): the default for meters and month boundaries. */
export const VIETNAM_UTC_OFFSET_MINUTES = 420;

/** Local 00:00 on the 1st of the month that contains instant t, as an instant (ms). */
export function monthStartOf(t: number, utcOffsetMinutes = VIETNAM_UTC_OFFSET_MINUTES): number {
  const local = new Date(t + utcOffsetMinutes * 60_000);
  return Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1) - utcOffsetMinutes * 60_000;
}

/** The most recent month end at or before t: the billing snapshot the meter took last. */
export function lastMonthEnd(t: number, utcOffsetMinutes = VIETNAM_UTC_OFFSET_MINUTES): number {
  return monthStartOf(t, utcOffsetMinutes);
}

/** COSEM deviation for an ISO-style offset (UTC = local + deviation, so Vietnam is −420). */
export function deviationOf(utcOffsetMinutes: number): number {
  return utcOffsetMinutes === 0 ? 0 : -utcOffsetMinutes;
}
