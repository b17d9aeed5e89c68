import { fromHex } from '../../shared/bytes.js';
import { DlmsError } from '../errors.js';
import { encodeDateTimeBytes } from './datetime.js';
import type { BitString, CosemDate, CosemDateTime, CosemTime, DlmsData } from './types.js';

export { asArray, asBoolean, asDateTime, asInteger, asNumber, asOctets, asString, asStructure } from './read.js';

/**
 * Short constructors so that code building requests and simulator answers reads like the Blue Book's
 * type names. Ranges are checked here, at the call site that made the mistake, not later in the encoder.
 */

function int(type: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new DlmsError('DLMS_BAD_DATA', `${type} value ${v} is not an integer in ${min}..${max}`);
  }
  return v;
}

function big(type: string, v: bigint, min: bigint, max: bigint): bigint {
  if (typeof v !== 'bigint' || v < min || v > max) throw new DlmsError('DLMS_BAD_DATA', `${type} value ${String(v)} is not in ${min}..${max}`);
  return v;
}

function octets(v: Uint8Array | string): DlmsData {
  if (typeof v !== 'string') return { type: 'octet-string', value: v };
  try {
    return { type: 'octet-string', value: fromHex(v) };
  } catch (e) {
    throw new DlmsError('DLMS_BAD_DATA', `octet-string hex "${v.slice(0, 40)}" is not hex`, { cause: e });
  }
}

const NULL: DlmsData = Object.freeze({ type: 'null-data' }) as DlmsData;
const DONT_CARE: DlmsData = Object.freeze({ type: 'dont-care' }) as DlmsData;

export const dlms = {
  nul: NULL,
  dontCare: DONT_CARE,
  bool: (value: boolean): DlmsData => ({ type: 'boolean', value }),
  i8: (v: number): DlmsData => ({ type: 'integer', value: int('integer', v, -0x80, 0x7f) }),
  i16: (v: number): DlmsData => ({ type: 'long', value: int('long', v, -0x8000, 0x7fff) }),
  i32: (v: number): DlmsData => ({ type: 'double-long', value: int('double-long', v, -0x80000000, 0x7fffffff) }),
  i64: (v: bigint): DlmsData => ({ type: 'long64', value: big('long64', v, -(1n << 63n), (1n << 63n) - 1n) }),
  u8: (v: number): DlmsData => ({ type: 'unsigned', value: int('unsigned', v, 0, 0xff) }),
  u16: (v: number): DlmsData => ({ type: 'long-unsigned', value: int('long-unsigned', v, 0, 0xffff) }),
  u32: (v: number): DlmsData => ({ type: 'double-long-unsigned', value: int('double-long-unsigned', v, 0, 0xffffffff) }),
  u64: (v: bigint): DlmsData => ({ type: 'long64-unsigned', value: big('long64-unsigned', v, 0n, (1n << 64n) - 1n) }),
  enumOf: (v: number): DlmsData => ({ type: 'enum', value: int('enum', v, 0, 0xff) }),
  bcd: (v: number): DlmsData => ({ type: 'bcd', value: int('bcd', v, 0, 0xff) }),
  f32: (value: number): DlmsData => ({ type: 'float32', value }),
  f64: (value: number): DlmsData => ({ type: 'float64', value }),
  /** Uint8Array, or hex text ("0100010800FF", spaces and colons allowed). */
  octets,
  visible: (value: string): DlmsData => ({ type: 'visible-string', value }),
  utf8: (value: string): DlmsData => ({ type: 'utf8-string', value }),
  bits: (value: BitString): DlmsData => ({ type: 'bit-string', value }),
  structure: (...items: DlmsData[]): DlmsData => ({ type: 'structure', value: items }),
  array: (items: readonly DlmsData[]): DlmsData => ({ type: 'array', value: [...items] }),
  /** The usual wire form of a date-time attribute: octet-string(12) (IEC 62056-6-2 §4.1.6.1). */
  dateTimeOctets: (dt: CosemDateTime): DlmsData => ({ type: 'octet-string', value: encodeDateTimeBytes(dt) }),
  /** Tag 25 date-time, rarely used by meters but part of the Data CHOICE. */
  dateTime: (value: CosemDateTime): DlmsData => ({ type: 'date-time', value }),
  date: (value: CosemDate): DlmsData => ({ type: 'date', value }),
  time: (value: CosemTime): DlmsData => ({ type: 'time', value }),
} as const;
