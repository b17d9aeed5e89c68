import type { RegisterRead } from '../../store/read-history.js';
import { parseDec, shift, lastDigit, type Dec } from './decimal.js';

/**
 * One register's reads as a time series for the index checks. Values are normalised to the kilo unit
 * (kWh, kvarh) so that a history kept in Wh and a read in kWh compare exactly; the text as the meter gave
 * it is kept because the register's digit count and last digit are properties of that text.
 */
export interface Point {
  /** Gateway time (ms): the meter's own clock may drift, and drift is itself flagged. */
  readonly at: number;
  /** Value in the kilo unit. */
  readonly value: Dec;
  /** As read, in `unit`. */
  readonly raw: Dec;
  readonly text: string;
  readonly unit: string | null;
  /** One step of the register's last digit, in the kilo unit. */
  readonly step: Dec;
}

/** Exponent from the unit to its kilo unit: Wh → −3, kWh → 0, MWh → 3; unknown units are taken as given. */
export function kiloExponent(unit: string | null | undefined): number {
  if (!unit) return 0;
  if (/^(Wh|varh|VAh)$/.test(unit)) return -3;
  if (/^M(Wh|varh|VAh)$/.test(unit)) return 3;
  return 0;
}

export function pointOf(text: string, unit: string | null | undefined, at: number, what: string): Point {
  const raw = parseDec(text, what);
  const exp = kiloExponent(unit);
  return { at, raw, value: shift(raw, exp), text, unit: unit ?? null, step: shift(lastDigit(raw), exp) };
}

/**
 * History of `register` plus the new value, oldest first, the new one last. The history may already hold
 * the new read (the caller records before or after detecting): only reads strictly older are used.
 */
export function seriesOf(
  register: string,
  current: { value: string; unit: string | null | undefined; at: number },
  history: readonly RegisterRead[],
): Point[] {
  const seen = new Set<number>();
  const older = history
    .filter((r) => r.register === register && r.receivedAt < current.at)
    .sort((a, b) => a.receivedAt - b.receivedAt)
    .filter((r) => !seen.has(r.receivedAt) && seen.add(r.receivedAt) !== undefined)
    .map((r) => pointOf(r.value, r.unit, r.receivedAt, `history ${r.meterId} ${register} at ${r.receivedAt}`));
  return [...older, pointOf(current.value, current.unit, current.at, `read of ${register}`)];
}
