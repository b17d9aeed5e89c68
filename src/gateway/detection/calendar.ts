import type { Period } from '../../wire/primitives.js';
import { daysInMonth, formatDay, localDay, localMidnight } from './local-time.js';

/**
 * Month-end reading (DOMAIN.md): a bill covers the calendar month, read on its last day; the books are cut
 * at local midnight that ends the month. The pre-cutoff days are the `preCutoffDays` days just before the
 * reading day, when there is still time to send someone to an offline point; the reading day itself is
 * too late to be "pre".
 */

/** The billing period (local calendar month) containing `now`. */
export function periodOf(now: number): Period {
  const d = localDay(now);
  return { start: formatDay({ ...d, day: 1 }), end: formatDay({ ...d, day: daysInMonth(d.year, d.month) }) };
}

/** When the period containing `now` is cut: local midnight after its last day (ms). */
export function cutoffOf(now: number): number {
  const d = localDay(now);
  return localMidnight(d.year, d.month, daysInMonth(d.year, d.month) + 1);
}

/** Whole local days from `now`'s day to the month's last day (0 on the last day). */
export function daysToMonthEnd(now: number): number {
  const d = localDay(now);
  return daysInMonth(d.year, d.month) - d.day;
}

/** True on the `preCutoffDays` local days before the month's last day (N = 3: 28–30 July, 25–27 Feb 2023). */
export function isPreCutoffDay(now: number, preCutoffDays: number): boolean {
  const left = daysToMonthEnd(now);
  return left >= 1 && left <= preCutoffDays;
}
