import { CmisError } from '../cmis/errors.js';
import { compare, formatDecimal, mul, parseDecimal, pow10, roundDiv, sub, type Decimal, type DecimalInput } from './decimal.js';

/**
 * Abnormal-consumption screening as the reading tools do it (DOMAIN.md): total register KT only; the
 * period's consumption against the previous period's SL_CU; flagged at 30 % up or down by default (both
 * configurable, or an absolute kWh band instead); bands 30–50 %, 50–100 %, ≥ 100 %; SL_CU = 0 flags any
 * consumption above the threshold; SL_CU ≥ 400 kWh with an increase ≥ 200 % needs the customer to confirm.
 *
 * Boundaries: a change of exactly the threshold is flagged (the utility counts flags "at ≥ 1.3×"), and each
 * band includes its lower bound: 30 % is in 30–50, 50 % in 50–100, 100 % in ≥ 100. All comparisons are
 * exact (cross-multiplied decimals), so 29.9 % never rounds into the 30 % band.
 *
 * Per-day normalisation: when the two periods differ in length (the month of the move to month-end
 * reading bills more days), compare consumption per day: the expected consumption is SL_CU scaled by
 * days / previousDays.
 */
export type ScreeningBand = 'under-30' | '30-50' | '50-100' | '100-plus';

export interface ScreeningOptions {
  /** 'percent' (default) flags on the relative change; 'absolute' on a kWh difference. */
  readonly mode?: 'percent' | 'absolute';
  readonly upPercent?: DecimalInput;
  readonly downPercent?: DecimalInput;
  /** For mode 'absolute': kWh above / below the expected consumption that flag a read. */
  readonly upKwh?: DecimalInput;
  readonly downKwh?: DecimalInput;
  /** When SL_CU is 0: consumption above this is flagged. Default upKwh in absolute mode, else 0. */
  readonly zeroBaseKwh?: DecimalInput;
  /** Compare consumption per day (needs days and previousDays in the input). */
  readonly perDay?: boolean;
  readonly confirmationBaseKwh?: DecimalInput;
  readonly confirmationIncreasePercent?: DecimalInput;
}

export interface ScreeningInput {
  /** LOAI_BCS; only KT is screened. Default KT. */
  readonly register?: string;
  /** SL_MOI, this period's consumption (kWh). */
  readonly consumption: DecimalInput;
  /** SL_CU, the previous period's consumption (kWh). */
  readonly previousConsumption: DecimalInput;
  readonly days?: number;
  readonly previousDays?: number;
}

export interface ScreeningThresholds {
  readonly mode: 'percent' | 'absolute';
  readonly upPercent: string;
  readonly downPercent: string;
  readonly upKwh?: string;
  readonly downKwh?: string;
  readonly zeroBaseKwh: string;
  readonly perDay: boolean;
  readonly confirmationBaseKwh: string;
  readonly confirmationIncreasePercent: string;
}

export interface ScreeningResult {
  /** False for registers other than KT: nothing was judged. */
  readonly screened: boolean;
  readonly flagged: boolean;
  readonly band: ScreeningBand;
  readonly direction: 'up' | 'down' | 'same';
  /** Consumption ÷ expected consumption, 4 decimals; null when the expected consumption is 0. */
  readonly ratio: number | null;
  readonly requiresCustomerConfirmation: boolean;
  readonly reason: { readonly vi: string; readonly en: string };
  readonly evidence: {
    readonly register: string;
    readonly consumption: string;
    readonly previousConsumption: string;
    /** SL_CU, or SL_CU × days / previousDays per day; 2 decimals. */
    readonly expectedConsumption: string;
    /** Change in percent against the expected consumption, 1 decimal; null when that is 0. */
    readonly changePercent: string | null;
    readonly days?: number;
    readonly previousDays?: number;
  };
  readonly thresholds: ScreeningThresholds;
}

const BANDS: readonly { band: ScreeningBand; from: bigint }[] = [
  { band: '100-plus', from: 100n },
  { band: '50-100', from: 50n },
  { band: '30-50', from: 30n },
];
const BAND_TEXT: Record<ScreeningBand, string> = { 'under-30': '< 30 %', '30-50': '30–50 %', '50-100': '50–100 %', '100-plus': '≥ 100 %' };

function nonNegative(value: DecimalInput, what: string): Decimal {
  const d = parseDecimal(value, what);
  if (d.units < 0n) throw new CmisError('CMIS_BAD_ARGUMENT', `${what} ${formatDecimal(d)} must not be negative`);
  return d;
}

function positiveDays(value: number | undefined, what: string): number {
  if (value === undefined || !Number.isInteger(value) || value < 1) {
    throw new CmisError('CMIS_BAD_ARGUMENT', `${what} must be a whole number of days ≥ 1 for per-day screening (got ${value})`);
  }
  return value;
}

/** a/b as a decimal string with `places` fraction digits, rounded half away from zero. */
function divide(a: Decimal, b: Decimal, places: number): string {
  const scale = Math.max(a.scale, b.scale);
  const x = a.units * pow10(scale - a.scale);
  const y = b.units * pow10(scale - b.scale);
  return formatDecimal({ units: roundDiv(x * pow10(places), y), scale: places });
}

export function resolveThresholds(options: ScreeningOptions = {}): ScreeningThresholds {
  const mode = options.mode ?? 'percent';
  const upKwh = options.upKwh === undefined ? undefined : formatDecimal(nonNegative(options.upKwh, 'upKwh'));
  const downKwh = options.downKwh === undefined ? undefined : formatDecimal(nonNegative(options.downKwh, 'downKwh'));
  if (mode === 'absolute' && (upKwh === undefined || downKwh === undefined)) {
    throw new CmisError('CMIS_BAD_ARGUMENT', "screening mode 'absolute' needs upKwh and downKwh");
  }
  return {
    mode,
    upPercent: formatDecimal(nonNegative(options.upPercent ?? 30, 'upPercent')),
    downPercent: formatDecimal(nonNegative(options.downPercent ?? 30, 'downPercent')),
    ...(upKwh === undefined ? {} : { upKwh }),
    ...(downKwh === undefined ? {} : { downKwh }),
    zeroBaseKwh: formatDecimal(nonNegative(options.zeroBaseKwh ?? (mode === 'absolute' ? (upKwh as string) : 0), 'zeroBaseKwh')),
    perDay: options.perDay ?? false,
    confirmationBaseKwh: formatDecimal(nonNegative(options.confirmationBaseKwh ?? 400, 'confirmationBaseKwh')),
    confirmationIncreasePercent: formatDecimal(nonNegative(options.confirmationIncreasePercent ?? 200, 'confirmationIncreasePercent')),
  };
}

export function screenConsumption(input: ScreeningInput, options: ScreeningOptions = {}): ScreeningResult {
  const thresholds = resolveThresholds(options);
  const register = (input.register ?? 'KT').trim();
  const sl = nonNegative(input.consumption, 'consumption (SL_MOI)');
  const slCu = nonNegative(input.previousConsumption, 'previous consumption (SL_CU)');
  const dayInfo = thresholds.perDay
    ? { days: positiveDays(input.days, 'days'), previousDays: positiveDays(input.previousDays, 'previousDays') }
    : {};
  // Cross-multiplied so that everything stays exact: cur/exp = (SL·pd)/(SL_CU·d) per day, SL/SL_CU otherwise.
  const k: Decimal = { units: BigInt(dayInfo.previousDays ?? 1), scale: 0 };
  const cur = mul(sl, k);
  const exp = mul(slCu, { units: BigInt(dayInfo.days ?? 1), scale: 0 });
  const diff = sub(cur, exp); // in units of kWh × previousDays
  const pct = (p: string): Decimal => mul(parseDecimal(p), exp); // p % of exp, times 100
  const hundredTimes = (d: Decimal): Decimal => mul(d, { units: 100n, scale: 0 });
  const absDiff: Decimal = { units: diff.units < 0n ? -diff.units : diff.units, scale: diff.scale };
  const direction = diff.units > 0n ? 'up' : diff.units < 0n ? 'down' : 'same';
  const expectedKwh = divide(exp, k, 2);
  const evidenceBase = {
    register,
    consumption: formatDecimal(sl),
    previousConsumption: formatDecimal(slCu),
    expectedConsumption: expectedKwh,
    ...dayInfo,
  };

  if (register !== 'KT') {
    return {
      screened: false,
      flagged: false,
      band: 'under-30',
      direction,
      ratio: null,
      requiresCustomerConfirmation: false,
      reason: { vi: `Bộ chỉ số ${register} không được sàng lọc (chỉ KT)`, en: `register ${register} is not screened (KT only)` },
      evidence: { ...evidenceBase, changePercent: null },
      thresholds,
    };
  }

  if (exp.units === 0n) {
    const base = parseDecimal(thresholds.zeroBaseKwh);
    const flagged = compare(sl, base) > 0;
    return {
      screened: true,
      flagged,
      band: sl.units > 0n ? '100-plus' : 'under-30',
      direction,
      ratio: null,
      requiresCustomerConfirmation: false,
      reason: flagged
        ? {
            vi: `Kỳ trước sản lượng 0, kỳ này ${formatDecimal(sl)} kWh (vượt ngưỡng ${thresholds.zeroBaseKwh} kWh)`,
            en: `previous period's consumption was 0, this period ${formatDecimal(sl)} kWh (above the ${thresholds.zeroBaseKwh} kWh threshold)`,
          }
        : {
            vi: `Kỳ trước sản lượng 0, kỳ này ${formatDecimal(sl)} kWh (không vượt ngưỡng ${thresholds.zeroBaseKwh} kWh)`,
            en: `previous period's consumption was 0, this period ${formatDecimal(sl)} kWh (not above the ${thresholds.zeroBaseKwh} kWh threshold)`,
          },
      evidence: { ...evidenceBase, changePercent: null },
      thresholds,
    };
  }

  const band = BANDS.find((b) => compare(hundredTimes(absDiff), mul(exp, { units: b.from, scale: 0 })) >= 0)?.band ?? 'under-30';
  let flagged: boolean;
  if (thresholds.mode === 'percent') {
    flagged =
      direction === 'up'
        ? compare(hundredTimes(diff), pct(thresholds.upPercent)) >= 0
        : direction === 'down' && compare(hundredTimes(absDiff), pct(thresholds.downPercent)) >= 0;
  } else {
    const limit = direction === 'up' ? thresholds.upKwh : thresholds.downKwh;
    flagged = direction !== 'same' && compare(absDiff, mul(parseDecimal(limit as string), k)) >= 0;
  }
  const requiresCustomerConfirmation =
    compare(slCu, parseDecimal(thresholds.confirmationBaseKwh)) >= 0 &&
    direction === 'up' &&
    compare(hundredTimes(diff), pct(thresholds.confirmationIncreasePercent)) >= 0;
  flagged ||= requiresCustomerConfirmation;

  const changePercent = divide(hundredTimes(diff), exp, 1);
  const ratio = Number(divide(cur, exp, 4));
  const perDayText = thresholds.perDay ? ` (${dayInfo.days} vs ${dayInfo.previousDays} days, compared per day)` : '';
  const perDayVi = thresholds.perDay ? ` (${dayInfo.days} so với ${dayInfo.previousDays} ngày, so sánh theo ngày)` : '';
  const sign = changePercent.startsWith('-') ? changePercent.slice(1) : changePercent;
  const verbEn = direction === 'up' ? 'up' : direction === 'down' ? 'down' : 'unchanged';
  const verbVi = direction === 'up' ? 'tăng' : direction === 'down' ? 'giảm' : 'không đổi';
  const confirmEn = requiresCustomerConfirmation ? '; the customer must confirm the read' : '';
  const confirmVi = requiresCustomerConfirmation ? '; cần khách hàng xác nhận chỉ số' : '';
  const verdictEn = flagged ? 'abnormal' : 'within thresholds';
  const verdictVi = flagged ? 'bất thường' : 'trong ngưỡng';
  return {
    screened: true,
    flagged,
    band,
    direction,
    ratio,
    requiresCustomerConfirmation,
    reason: {
      vi: `Sản lượng KT ${formatDecimal(sl)} kWh ${verbVi} ${sign.replace('.', ',')} % so với ${expectedKwh.replace('.', ',')} kWh kỳ trước${perDayVi} — mức ${BAND_TEXT[band]}, ${verdictVi}${confirmVi}`,
      en: `KT consumption ${formatDecimal(sl)} kWh is ${verbEn} ${sign} % against ${expectedKwh} kWh in the previous period${perDayText} — band ${BAND_TEXT[band]}, ${verdictEn}${confirmEn}`,
    },
    evidence: { ...evidenceBase, changePercent },
    thresholds,
  };
}
