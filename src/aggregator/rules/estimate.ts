import { CmisError } from '../cmis/errors.js';
import { add, compare, formatDecimal, mul, parseDecimal, pow10, roundDiv, sub, type Decimal, type DecimalInput } from './decimal.js';
import { multiplierOf } from './consumption.js';

/**
 * Estimated reads (tạm tính, DOMAIN.md B5): when a direct read fails the period may be billed on an
 * estimate, for at most 2 consecutive periods; the third must be read in the field.
 *
 * The estimate is a daily average × the period's days. From SLUONG_1..3 the average is the sum of the
 * recent consumptions over the sum of their days; when their lengths are not given each is taken to be as
 * long as this period, i.e. the plain average. The kWh are turned back into an index advance (÷ HSN,
 * rounded to the old index's decimals), and the consumption re-derived from that advance, so that
 * `consumption()` on the estimated index gives exactly the estimated consumption.
 */
export const MAX_ESTIMATES_IN_A_ROW = 2;

export type EstimateBasis =
  | { readonly kind: 'recent'; readonly consumptions: readonly (DecimalInput | null | undefined)[]; readonly periodDays?: readonly number[] }
  | { readonly kind: 'daily'; readonly kwhPerDay: DecimalInput };

export interface EstimateInput {
  /** CS_CU. */
  readonly oldIndex: DecimalInput;
  /** HSN, default 1. */
  readonly multiplier?: DecimalInput;
  /** Days in the period being estimated. */
  readonly days: number;
  readonly basis: EstimateBasis;
  /** When given, an estimate past 10^digits wraps and is marked Q (rollover). */
  readonly registerDigits?: number;
}

export interface EstimateResult {
  readonly estimated: true;
  /** TTR_MOI to write with the estimated index: '' or Q when it wrapped. */
  readonly status: '' | 'Q';
  readonly consumption: string;
  readonly newIndex: string;
  /** The daily average used, kWh/day, 4 decimals. */
  readonly kwhPerDay: string;
  readonly periodsUsed: number;
}

function wholeDays(value: number, what: string): bigint {
  if (!Number.isInteger(value) || value < 1) throw new CmisError('CMIS_BAD_ARGUMENT', `${what} must be a whole number of days ≥ 1 (got ${value})`);
  return BigInt(value);
}

/** numerator / denominator as bigint units at `scale` (n, d exact decimals), rounded half away from zero. */
function quotient(n: Decimal, d: Decimal, scale: number): Decimal {
  const s = Math.max(n.scale, d.scale);
  const x = n.units * pow10(s - n.scale);
  const y = d.units * pow10(s - d.scale);
  return { units: roundDiv(x * pow10(scale), y), scale };
}

export function estimateRead(input: EstimateInput): EstimateResult {
  const oldIndex = parseDecimal(input.oldIndex, 'CS_CU');
  if (oldIndex.units < 0n) throw new CmisError('CMIS_BAD_NUMBER', `CS_CU ${formatDecimal(oldIndex)} is negative`);
  const hsn = multiplierOf(input.multiplier ?? 1);
  const days = wholeDays(input.days, 'days');

  // kWh over the period, as an exact fraction total/over.
  let total: Decimal;
  let over: bigint;
  let periodsUsed = 0;
  if (input.basis.kind === 'daily') {
    const perDay = parseDecimal(input.basis.kwhPerDay, 'kwhPerDay');
    if (perDay.units < 0n) throw new CmisError('CMIS_BAD_ARGUMENT', 'kwhPerDay must not be negative');
    total = mul(perDay, { units: days, scale: 0 });
    over = 1n;
  } else {
    const { consumptions, periodDays } = input.basis;
    if (periodDays !== undefined && periodDays.length !== consumptions.length) {
      throw new CmisError('CMIS_BAD_ARGUMENT', `periodDays has ${periodDays.length} entries for ${consumptions.length} consumptions`);
    }
    total = { units: 0n, scale: 0 };
    let sumDays = 0n;
    consumptions.forEach((value, i) => {
      if (value === undefined || value === null || value === '') return; // SLUONG_n empty: no history that period
      const d = parseDecimal(value, `SLUONG_${i + 1}`);
      if (d.units < 0n) throw new CmisError('CMIS_BAD_ARGUMENT', `SLUONG_${i + 1} ${formatDecimal(d)} must not be negative`);
      total = add(total, d);
      sumDays += periodDays === undefined ? days : wholeDays(periodDays[i] as number, `periodDays[${i}]`);
      periodsUsed++;
    });
    if (periodsUsed === 0) throw new CmisError('CMIS_NO_HISTORY', 'no recent consumption to estimate from (SLUONG_1..3 all empty)');
    total = mul(total, { units: days, scale: 0 });
    over = sumDays;
  }
  const kwh = quotient(total, { units: over, scale: 0 }, 0);
  const advance = quotient(kwh, hsn, oldIndex.scale);
  const consumption = formatDecimal(quotient(mul(advance, hsn), { units: 1n, scale: 0 }, 0));
  let newIndex = add(oldIndex, advance);
  let status: '' | 'Q' = '';
  if (input.registerDigits !== undefined) {
    const full: Decimal = { units: pow10(input.registerDigits), scale: 0 };
    if (compare(newIndex, full) >= 0) {
      newIndex = sub(newIndex, full);
      status = 'Q';
    }
  }
  return {
    estimated: true,
    status,
    consumption,
    newIndex: formatDecimal(newIndex),
    kwhPerDay: formatDecimal(quotient(total, { units: over * days, scale: 0 }, 4)),
    periodsUsed,
  };
}

/** How many of the most recent periods in a row were estimated (history oldest first). */
export function estimatesInARow(history: readonly boolean[]): number {
  let n = 0;
  for (let i = history.length - 1; i >= 0 && history[i] === true; i--) n++;
  return n;
}

export type FailedReadAction =
  | { readonly action: 'estimate'; readonly estimateNumber: number }
  | { readonly action: 'field-read'; readonly reason: { readonly vi: string; readonly en: string } };

/**
 * What to do when this period's direct read failed, given the estimate history (oldest first) or the
 * count of estimated periods just before this one: estimate the 1st and 2nd time, read in the field the 3rd.
 */
export function onFailedRead(history: readonly boolean[] | number): FailedReadAction {
  const previous = typeof history === 'number' ? history : estimatesInARow(history);
  if (!Number.isInteger(previous) || previous < 0) throw new CmisError('CMIS_BAD_ARGUMENT', `estimate count ${previous} must be a whole number ≥ 0`);
  if (previous < MAX_ESTIMATES_IN_A_ROW) return { action: 'estimate', estimateNumber: previous + 1 };
  return {
    action: 'field-read',
    reason: {
      vi: `Đã tạm tính ${previous} kỳ liên tiếp: kỳ này phải ghi chỉ số trực tiếp tại hiện trường`,
      en: `${previous} periods in a row were estimated: this period must be read in the field`,
    },
  };
}
