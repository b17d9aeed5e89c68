import { DlmsError } from '../errors.js';
import { decodeDateTimeBytes } from './datetime.js';
import type { CosemDateTime, DlmsData, DlmsDataType } from './types.js';

/**
 * Typed readers over decoded Data: each returns the JS value or throws DLMS_BAD_DATA naming the type it
 * expected and the type it found, so a meter answering with the wrong type gives a clear error.
 */

function wrongType(expected: string, d: DlmsData): DlmsError {
  return new DlmsError('DLMS_BAD_DATA', `expected ${expected}, found ${describe(d)}`, {
    context: { expected, found: d?.type ?? String(d) },
  });
}

function describe(d: DlmsData): string {
  if (d === null || typeof d !== 'object' || typeof d.type !== 'string') return String(d);
  if (d.type === 'array' || d.type === 'structure') return `${d.type}(${d.value.length})`;
  if (d.type === 'octet-string') return `octet-string(${d.value.length})`;
  return d.type;
}

const INTEGER_TYPES: ReadonlySet<DlmsDataType> = new Set<DlmsDataType>([
  'integer',
  'long',
  'double-long',
  'unsigned',
  'long-unsigned',
  'double-long-unsigned',
  'long64',
  'long64-unsigned',
  'enum',
]);

export function isIntegerData(d: DlmsData): d is Extract<DlmsData, { value: number | bigint }> {
  return INTEGER_TYPES.has(d.type);
}

/** Any integer type or enum; 64-bit types stay bigint. */
export function asInteger(d: DlmsData): number | bigint {
  if (isIntegerData(d)) return d.value;
  throw wrongType('an integer type or enum', d);
}

/** Any integer, enum or float as a number; a 64-bit value beyond 2^53 is refused rather than rounded. */
export function asNumber(d: DlmsData): number {
  if (d.type === 'float32' || d.type === 'float64') return d.value;
  if (isIntegerData(d)) {
    const v = d.value;
    if (typeof v === 'number') return v;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new DlmsError('DLMS_BAD_DATA', `${d.type} value ${v} does not fit a JS number exactly; read it with asInteger`);
    }
    return Number(v);
  }
  throw wrongType('a number (integer, enum or float)', d);
}

export function asOctets(d: DlmsData): Uint8Array {
  if (d.type === 'octet-string') return d.value;
  throw wrongType('octet-string', d);
}

/** visible-string, utf8-string, or an octet-string read one char per byte (meters put names in either). */
export function asString(d: DlmsData): string {
  if (d.type === 'visible-string' || d.type === 'utf8-string') return d.value;
  if (d.type === 'octet-string') {
    let s = '';
    for (const b of d.value) s += String.fromCharCode(b);
    return s;
  }
  throw wrongType('a string (visible-string, utf8-string or octet-string)', d);
}

export function asBoolean(d: DlmsData): boolean {
  if (d.type === 'boolean') return d.value;
  throw wrongType('boolean', d);
}

/** Elements of an array, or the values of a compact-array (same meaning, shorter encoding). */
export function asArray(d: DlmsData): DlmsData[] {
  if (d.type === 'array') return d.value;
  if (d.type === 'compact-array') return d.value.values;
  throw wrongType('array', d);
}

export function asStructure(d: DlmsData, minLength = 0): DlmsData[] {
  if (d.type !== 'structure') throw wrongType(minLength > 0 ? `structure of at least ${minLength} elements` : 'structure', d);
  if (d.value.length < minLength) throw wrongType(`structure of at least ${minLength} elements`, d);
  return d.value;
}

/**
 * A COSEM date-time given either as tag 25 or, as meters usually send it, as an octet-string of 12
 * (IEC 62056-6-2 §4.1.6.1: date-time attributes are typed octet-string(12)). Undefined for anything else.
 */
export function asDateTime(d: DlmsData): CosemDateTime | undefined {
  if (d.type === 'date-time') return d.value;
  if (d.type === 'octet-string' && d.value.length === 12) return decodeDateTimeBytes(d.value);
  return undefined;
}
