import { CmisError } from '../cmis/errors.js';

/**
 * Exact decimals for indexes and consumptions. A meter index such as 12345.6 is not a binary float:
 * (12345.6 − 12300.05) × 40 must give exactly 1822, not 1821.9999999. A value is `units / 10^scale`
 * with bigint units, so every operation here is exact; only rounding (half away from zero, the billing
 * rule in DOMAIN.md) loses digits, and only where the caller asks for it.
 */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

/** What callers may pass: a decimal string (as CMIS writes it), a safe integer/finite number, or a bigint. */
export type DecimalInput = string | number | bigint | Decimal;

/** XML Schema `xs:decimal` lexical form: optional sign, digits, optional fraction; no exponent. */
const DECIMAL_RE = /^([+-]?)(\d*)(?:\.(\d*))?$/;

export function isDecimalText(text: string): boolean {
  const m = DECIMAL_RE.exec(text);
  return m !== null && ((m[2] ?? '') !== '' || (m[3] ?? '') !== '');
}

export function parseDecimal(input: DecimalInput, what = 'value'): Decimal {
  if (typeof input === 'object') return input;
  if (typeof input === 'bigint') return { units: input, scale: 0 };
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new CmisError('CMIS_BAD_NUMBER', `${what}: ${input} is not a finite number`);
    return parseDecimal(String(input), what);
  }
  const m = DECIMAL_RE.exec(input);
  const intPart = m?.[2] ?? '';
  const fracPart = m?.[3] ?? '';
  if (m === null || (intPart === '' && fracPart === '')) {
    throw new CmisError('CMIS_BAD_NUMBER', `${what}: ${JSON.stringify(input)} is not a decimal number (digits, optional "." fraction, no exponent)`);
  }
  // 60 fraction digits is far beyond any meter; the cap keeps hostile input from building huge bigints.
  if (fracPart.length > 60 || intPart.length > 60) {
    throw new CmisError('CMIS_BAD_NUMBER', `${what}: ${JSON.stringify(input.slice(0, 40))}… has too many digits`);
  }
  const magnitude = BigInt((intPart || '0') + fracPart);
  return { units: m[1] === '-' ? -magnitude : magnitude, scale: fracPart.length };
}

/**
 * Canonical text: no sign for non-negatives, no leading zeros, fraction digits kept as written (CMIS
 * decimals carry their scale: 12345.60 stays 12345.60), "5." → "5", ".5" → "0.5", "-0" → "0".
 */
export function canonicalDecimal(input: DecimalInput, what = 'value'): string {
  return formatDecimal(parseDecimal(input, what));
}

export function formatDecimal(d: Decimal): string {
  const negative = d.units < 0n;
  const digits = (negative ? -d.units : d.units).toString().padStart(d.scale + 1, '0');
  const intPart = digits.slice(0, digits.length - d.scale);
  const fracPart = digits.slice(digits.length - d.scale);
  return (negative ? '-' : '') + intPart + (d.scale > 0 ? '.' + fracPart : '');
}

export function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function rescale(d: Decimal, scale: number): bigint {
  return d.units * pow10(scale - d.scale);
}

export function add(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

export function sub(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) - rescale(b, scale), scale };
}

export function mul(a: Decimal, b: Decimal): Decimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

export function compare(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const scale = Math.max(a.scale, b.scale);
  const x = rescale(a, scale);
  const y = rescale(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isZero(d: Decimal): boolean {
  return d.units === 0n;
}

/** n / d rounded half away from zero (d ≠ 0). */
export function roundDiv(n: bigint, d: bigint): bigint {
  if (d === 0n) throw new CmisError('CMIS_BAD_ARGUMENT', 'division by zero');
  if (d < 0n) return roundDiv(-n, -d);
  const negative = n < 0n;
  const abs = negative ? -n : n;
  const q = (2n * abs + d) / (2n * d);
  return negative ? -q : q;
}

/** Round to `scale` fraction digits, half away from zero (DOMAIN.md: "rounded half away from zero"). */
export function roundHalfAwayFromZero(d: Decimal, scale = 0): Decimal {
  if (d.scale <= scale) return d;
  return { units: roundDiv(d.units, pow10(d.scale - scale)), scale };
}

/** Number of digits of the integer part, at least 1 ("0.5" → 1, "99990" → 5). */
export function integerDigits(d: Decimal): number {
  const abs = d.units < 0n ? -d.units : d.units;
  return Math.max(1, (abs / pow10(d.scale)).toString().length);
}

/** A plain JS number for display or ratios only; never use it for billing arithmetic. */
export function toNumber(d: Decimal): number {
  return Number(formatDecimal(d));
}
