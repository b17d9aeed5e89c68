import { CmisError } from '../cmis/errors.js';
import { dayNumber, formatLocalDate, fromDayNumber, toLocalDate, type LocalDate } from './local-time.js';

/**
 * The billing period a read covers (DOMAIN.md: "every read carries the period it covers"). A read taken
 * on day E after a previous read on day P covers the days P+1 … E, both inclusive: the previous read
 * closed day P, so the bill runs "from P+1 to E", E − P days. This is how the month of the move to
 * month-end reading bills more days than usual: previous read 14 June, next read 31 July → 15 June to
 * 31 July, 47 days. Days are local calendar days in Asia/Ho_Chi_Minh (UTC+7, no DST); the time of day of
 * either read does not change the count.
 */
export interface BillingPeriod {
  /** First day covered, `YYYY-MM-DD` (CMIS NGAY_DKY). */
  readonly start: string;
  /** Last day covered = the read date, `YYYY-MM-DD` (CMIS NGAY_CKY). */
  readonly end: string;
  readonly days: number;
}

export type DateInput = string | Date | LocalDate;

export function billingPeriod(previousReadDate: DateInput, readDate: DateInput): BillingPeriod {
  const previous = dayNumber(toLocalDate(previousReadDate));
  const current = dayNumber(toLocalDate(readDate));
  const days = current - previous;
  if (days < 1) {
    throw new CmisError(
      'CMIS_BAD_DATE',
      `read date ${formatLocalDate(fromDayNumber(current))} must be after the previous read date ${formatLocalDate(fromDayNumber(previous))}`,
    );
  }
  return { start: formatLocalDate(fromDayNumber(previous + 1)), end: formatLocalDate(fromDayNumber(current)), days };
}

/** Days between two reads (the period length), for per-day normalisation and estimates. */
export function periodDays(previousReadDate: DateInput, readDate: DateInput): number {
  return billingPeriod(previousReadDate, readDate).days;
}
