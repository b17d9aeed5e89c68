import { DetectionError } from './errors.js';

/**
 * Exact decimals for register indexes: `units / 10^scale` with bigint units. Indexes are compared and
 * subtracted exactly (12345.6 − 12345.5 is one step of the last digit, not 0.09999…); only ratios and
 * rates, which are judgements rather than billed figures, go through JS numbers.
 */
export interface Dec {
  readonly units: bigint;
  readonly scale: number;
}

const DECIMAL_RE = /^(-?)(\d{1,40})(?:\.(\d{1,40}))?$/;

export function parseDec(text: string, what: string): Dec {
  const m = DECIMAL_RE.exec(text);
  if (!m) throw new DetectionError('DETECTION_BAD_INPUT', `${what}: ${JSON.stringify(text.slice(0, 50))} is not a decimal string`);
  const frac = m[3] ?? '';
  const magnitude = BigInt((m[2] ?? '0') + frac);
  return { units: m[1] === '-' ? -magnitude : magnitude, scale: frac.length };
}

const pow10 = (n: number): bigint => 10n ** BigInt(n);

function at(d: Dec, scale: number): bigint {
  return scale >= d.scale ? d.units * pow10(scale - d.scale) : d.units / pow10(d.scale - scale);
}

export function sub(a: Dec, b: Dec): Dec {
  const scale = Math.max(a.scale, b.scale);
  return { units: at(a, scale) - at(b, scale), scale };
}

export function add(a: Dec, b: Dec): Dec {
  const scale = Math.max(a.scale, b.scale);
  return { units: at(a, scale) + at(b, scale), scale };
}

export function cmp(a: Dec, b: Dec): -1 | 0 | 1 {
  const scale = Math.max(a.scale, b.scale);
  const x = at(a, scale);
  const y = at(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Multiply by 10^exp exactly (unit conversion Wh → kWh is exp −3). */
export function shift(d: Dec, exp: number): Dec {
  return exp >= 0 ? { units: d.units * pow10(exp), scale: d.scale } : { units: d.units, scale: d.scale - exp };
}

/** One step of the last digit: "12345.6" → 0.1. */
export function lastDigit(d: Dec): Dec {
  return { units: 1n, scale: d.scale };
}

export function abs(d: Dec): Dec {
  return d.units < 0n ? { units: -d.units, scale: d.scale } : d;
}

/** Digits of the integer part, at least 1: "99990.5" → 5. DOMAIN.md's digits(CS_CU) of the rollover rule. */
export function integerDigits(d: Dec): number {
  return Math.max(1, (abs(d).units / pow10(d.scale)).toString().length);
}

export function pow10Dec(n: number): Dec {
  return { units: pow10(n), scale: 0 };
}

export function formatDec(d: Dec): string {
  const negative = d.units < 0n;
  const digits = abs(d).units.toString().padStart(d.scale + 1, '0');
  const int = digits.slice(0, digits.length - d.scale);
  const frac = digits.slice(digits.length - d.scale);
  const text = int + (d.scale > 0 ? '.' + frac : '');
  return negative && d.units !== 0n ? '-' + text : text;
}

/** For ratios and rates only. */
export function toNumber(d: Dec): number {
  return Number(formatDec(d));
}

/**
 * A JS number as a wire decimal string (no exponent, no "-0"), rounded to `digits` fraction digits with
 * trailing zeros dropped. Evidence carries numbers as text so that nobody re-reads a float as an index.
 */
export function numberText(n: number, digits = 3): string {
  if (!Number.isFinite(n)) throw new DetectionError('DETECTION_BAD_INPUT', `cannot format ${n} as a decimal`);
  const scaled = BigInt(Math.round(Math.abs(n) * 10 ** digits));
  let text = formatDec({ units: n < 0 ? -scaled : scaled, scale: digits });
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  return text === '-0' ? '0' : text;
}

export function mul(a: Dec, b: Dec): Dec {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}
