import { asInteger, asStructure } from '../axdr/read.js';
import type { DlmsData } from '../axdr/types.js';
import { DlmsError } from '../errors.js';
import { unitSymbol } from './units.js';

/**
 * scaler_unit (IEC 62056-6-2 §4.3.2, Register attribute 3): structure{ integer scaler, enum unit };
 * the physical value is value × 10^scaler in that unit. Scaling is done in decimal so that a meter's
 * 12345680 with scaler -2 is exactly 123456.8, never 123456.80000000002: these numbers end on bills.
 */
export interface ScalerUnit {
  scaler: number;
  unit: number;
  symbol: string;
}

export function decodeScalerUnit(d: DlmsData): ScalerUnit {
  const [s, u] = asStructure(d, 2) as [DlmsData, DlmsData];
  let scaler = Number(asInteger(s));
  // The standard types the scaler Integer8; a meter that sends it as unsigned means the same byte.
  if (s.type === 'unsigned' && scaler > 127) scaler -= 256;
  if (!Number.isInteger(scaler) || scaler < -128 || scaler > 127) {
    throw new DlmsError('DLMS_BAD_DATA', `scaler ${scaler} (${s.type}) is not an Integer8`);
  }
  const unit = Number(asInteger(u));
  if (!Number.isInteger(unit) || unit < 0 || unit > 255) throw new DlmsError('DLMS_BAD_DATA', `unit ${unit} is not 0..255`);
  return { scaler, unit, symbol: unitSymbol(unit) };
}

export function encodeScalerUnit(su: { scaler: number; unit: number }): DlmsData {
  if (!Number.isInteger(su.scaler) || su.scaler < -128 || su.scaler > 127) {
    throw new DlmsError('DLMS_BAD_DATA', `scaler ${su.scaler} is not an Integer8 (-128..127)`);
  }
  if (!Number.isInteger(su.unit) || su.unit < 0 || su.unit > 255) throw new DlmsError('DLMS_BAD_DATA', `unit ${su.unit} is not 0..255`);
  return {
    type: 'structure',
    value: [
      { type: 'integer', value: su.scaler },
      { type: 'enum', value: su.unit },
    ],
  };
}

/** On the wire a scaler is an Integer8; after folding in a unit prefix (kWh) it may go a little beyond. */
function checkScaler(scaler: number): void {
  if (!Number.isInteger(scaler) || scaler < -400 || scaler > 400) {
    throw new DlmsError('DLMS_BAD_DATA', `scaler ${scaler} is not an integer in -400..400`);
  }
}

/**
 * raw × 10^scaler as an exact decimal string keeping the meter's resolution: (12345680, -2) →
 * "123456.80", (-5, -3) → "-0.005", (12, 2) → "1200". Integer raw values only (floats have no exact
 * decimal resolution).
 */
export function scaledDecimal(raw: number | bigint, scaler: number): string {
  checkScaler(scaler);
  if (typeof raw === 'number' && !Number.isSafeInteger(raw)) {
    throw new DlmsError('DLMS_BAD_DATA', `scaledDecimal needs an exact integer, got ${raw}`);
  }
  const n = BigInt(raw);
  const sign = n < 0n ? '-' : '';
  const digits = (n < 0n ? -n : n).toString();
  if (scaler >= 0) return n === 0n ? '0' : sign + digits + '0'.repeat(scaler);
  const places = -scaler;
  const padded = digits.padStart(places + 1, '0');
  return `${sign}${padded.slice(0, padded.length - places)}.${padded.slice(padded.length - places)}`;
}

/**
 * raw × 10^scaler as the double nearest to the exact decimal result. Integers go through the decimal
 * string (so the result equals the decimal literal); float registers are divided by a power of ten,
 * never multiplied by 0.01, which is itself inexact.
 */
export function applyScaler(raw: number | bigint, scaler: number): number {
  checkScaler(scaler);
  if (typeof raw === 'bigint' || Number.isSafeInteger(raw)) return Number(scaledDecimal(raw, scaler));
  if (!Number.isFinite(raw)) return raw;
  return scaler >= 0 ? raw * 10 ** scaler : raw / 10 ** -scaler;
}

/** Targets for scaleToUnit: a unit code and the power of ten of its prefix. */
export const TARGET_UNITS = {
  Wh: { unit: 30, exponent: 0 },
  kWh: { unit: 30, exponent: 3 },
  MWh: { unit: 30, exponent: 6 },
  varh: { unit: 32, exponent: 0 },
  kvarh: { unit: 32, exponent: 3 },
  Mvarh: { unit: 32, exponent: 6 },
  VAh: { unit: 31, exponent: 0 },
  kVAh: { unit: 31, exponent: 3 },
  W: { unit: 27, exponent: 0 },
  kW: { unit: 27, exponent: 3 },
  var: { unit: 29, exponent: 0 },
  kvar: { unit: 29, exponent: 3 },
  VA: { unit: 28, exponent: 0 },
  kVA: { unit: 28, exponent: 3 },
  V: { unit: 35, exponent: 0 },
  kV: { unit: 35, exponent: 3 },
  A: { unit: 33, exponent: 0 },
  Hz: { unit: 44, exponent: 0 },
} as const;

export type TargetUnit = keyof typeof TARGET_UNITS;

function targetFor(su: { unit: number }, target: TargetUnit): { unit: number; exponent: number } {
  const t = (TARGET_UNITS as Record<string, { unit: number; exponent: number } | undefined>)[target];
  if (t === undefined) throw new DlmsError('DLMS_BAD_DATA', `unknown target unit "${String(target)}"`);
  if (su.unit !== t.unit) {
    throw new DlmsError('DLMS_BAD_DATA', `register unit is ${unitSymbol(su.unit)} (${su.unit}), cannot express it in ${target}`);
  }
  return t;
}

/**
 * A register value in the unit chiso reports (e.g. kWh from a meter counting in Wh with scaler -2),
 * exactly: the prefix is folded into the decimal scaler. A register whose unit is not the target's
 * (varh asked as kWh) is DLMS_BAD_DATA, never silently converted.
 */
export function scaleToUnit(raw: number | bigint, su: { scaler: number; unit: number }, target: TargetUnit): number {
  const t = targetFor(su, target);
  return applyScaler(raw, su.scaler - t.exponent);
}

/** Same as scaleToUnit, as an exact decimal string (for bills and CMIS export). */
export function scaleToUnitDecimal(raw: number | bigint, su: { scaler: number; unit: number }, target: TargetUnit): string {
  const t = targetFor(su, target);
  return scaledDecimal(raw, su.scaler - t.exponent);
}
