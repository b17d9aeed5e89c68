import { compare, formatDecimal, mul, parseDecimal, sub, type Decimal } from '../rules/decimal.js';

/**
 * The phúc tra verdict: the independent read against the index the aggregator had stored. Pure.
 *
 * - `match`: the same index (in the same unit after conversion).
 * - `advanced`: higher by no more than the meter could have counted in the time between the two meter
 *   times: advance ≤ elapsed hours × `maxKwhPerHour`. Normal: the meter kept counting.
 * - `mismatch`: lower (a wrong stored read, a swapped or broken meter, a rollover: a person looks), higher
 *   than any load could explain, higher with no time between the two reads, or in another kind of unit.
 *
 * The bound is on the register as the meter counts it, before HSN (CT × PT): a CT-connected meter sees the
 * secondary side, so one bound fits both. The default, 70 kWh per hour, is a three-phase 100 A service at
 * 400 V (≈ 69 kW) running flat out, the largest load a direct-connected meter carries: anything faster is
 * not a meter that kept counting.
 */
export interface ReadToCompare {
  readId: string;
  /** Exact decimal text in `unit`, as the gateway sent it (HSN not applied). */
  value: string;
  unit: string | null;
  /** The meter's time of the value, ms. */
  meterTimeMs: number;
}

export interface CompareOptions {
  /** Decimal text; kWh (or kvarh) per hour of meter time. */
  maxKwhPerHour: string;
}

export const DEFAULT_MAX_KWH_PER_HOUR = '70';

export type Verdict = 'match' | 'advanced' | 'mismatch';

export interface Comparison {
  verdict: Verdict;
  /** new − stored in `unit` (kWh or kvarh), exact; undefined when the units cannot be compared. */
  difference?: string;
  unit?: string;
  elapsedMs: number;
  /** The largest advance the bound allowed, kWh (decimal text, may carry many digits). */
  allowed?: string;
  reason: string;
}

/** Units of one kind, as a power of ten of the base unit (kWh or kvarh). */
const UNIT_SCALE: Record<string, { base: string; exp: number }> = {
  Wh: { base: 'kWh', exp: -3 },
  kWh: { base: 'kWh', exp: 0 },
  MWh: { base: 'kWh', exp: 3 },
  varh: { base: 'kvarh', exp: -3 },
  kvarh: { base: 'kvarh', exp: 0 },
  Mvarh: { base: 'kvarh', exp: 3 },
  VAh: { base: 'kVAh', exp: -3 },
  kVAh: { base: 'kVAh', exp: 0 },
};

/** A value in the base unit of its kind (exact: only the decimal point moves). */
function inBase(value: string, unit: string | null): { value: Decimal; base: string } | undefined {
  const d = parseDecimal(value);
  // A gateway that sends no unit for an energy register: take it as the base unit (kWh), as CMIS counts.
  if (unit === null) return { value: d, base: 'kWh' };
  const u = UNIT_SCALE[unit];
  if (u === undefined) return undefined;
  return { value: u.exp >= 0 ? mul(d, { units: 10n ** BigInt(u.exp), scale: 0 }) : { units: d.units, scale: d.scale - u.exp }, base: u.base };
}

export function compareReads(stored: ReadToCompare, fresh: ReadToCompare, options: CompareOptions): Comparison {
  const elapsedMs = fresh.meterTimeMs - stored.meterTimeMs;
  const a = inBase(stored.value, stored.unit);
  const b = inBase(fresh.value, fresh.unit);
  if (a === undefined || b === undefined || a.base !== b.base) {
    return { verdict: 'mismatch', elapsedMs, reason: `units cannot be compared: stored ${stored.unit ?? 'none'}, new ${fresh.unit ?? 'none'}` };
  }
  const diff = sub(b.value, a.value);
  const difference = formatDecimal(diff);
  const sign = compare(diff, { units: 0n, scale: 0 });
  if (sign === 0) return { verdict: 'match', difference, unit: a.base, elapsedMs, reason: 'same index' };
  if (sign < 0) return { verdict: 'mismatch', difference, unit: a.base, elapsedMs, reason: `the new index is ${formatDecimal(sub(a.value, b.value))} ${a.base} below the stored one` };
  if (elapsedMs <= 0) {
    return { verdict: 'mismatch', difference, unit: a.base, elapsedMs, reason: 'the new index is higher but its meter time is not after the stored read' };
  }
  // advance ≤ rate × elapsed / 3 600 000, compared without dividing: advance × 3 600 000 ≤ rate × elapsed.
  const rate = parseDecimal(options.maxKwhPerHour, 'maxKwhPerHour');
  const limitScaled = mul(rate, { units: BigInt(elapsedMs), scale: 0 });
  const allowed = trimZeros(divideBy3600000(limitScaled));
  if (compare(mul(diff, { units: 3_600_000n, scale: 0 }), limitScaled) <= 0) {
    return { verdict: 'advanced', difference, unit: a.base, elapsedMs, allowed, reason: `advanced ${difference} ${a.base} in ${hours(elapsedMs)} h (at most ${allowed} allowed)` };
  }
  return { verdict: 'mismatch', difference, unit: a.base, elapsedMs, allowed, reason: `advanced ${difference} ${a.base} in ${hours(elapsedMs)} h: more than the ${allowed} any load could explain` };
}

/** rate × ms / 3 600 000 shown to 3 decimals (for people; the verdict used the exact comparison). */
function divideBy3600000(d: Decimal): string {
  const thousandths = (d.units * 1000n) / (3_600_000n * 10n ** BigInt(d.scale));
  return formatDecimal({ units: thousandths, scale: 3 });
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

function hours(ms: number): string {
  return (ms / 3_600_000).toFixed(2);
}
