import type { z } from 'zod';
import {
  CMIS_CODE_PATTERN,
  DECIMAL_PATTERN,
  GATEWAY_ID_PATTERN,
  IsoDate,
  IsoDateTime,
  KEY_ID_PATTERN,
  METER_ID_PATTERN,
  OBIS_PATTERN,
  isPositiveDecimalText,
  obisGroupsInRange,
} from './primitives.js';
import { BCS_CODES, DOUBT_FLAGS, QUALITY_FLAGS, READ_KINDS, READ_UNITS, type ReadRecord } from './reads.js';
import { EPOCH_PATTERN } from './sequence.js';

/**
 * Hand-written mirrors of the zod schemas on the ingest's hot path (a reads batch and its envelope). zod
 * costs about 5 µs per read record, as much as the signature check, JSON parsing and UTF-8 decoding of the
 * whole message together; these checks cost about 1 µs. They only ever say "valid, and here is exactly what the schema would have returned"
 * or "not proven valid": in the second case the caller runs the zod schema, which refuses with its usual
 * error (path and message) or, for input that is valid but unusual (keys out of schema order, unknown keys
 * that zod strips), returns its own output. So a mirror can be stricter than its schema, never looser, and
 * wire errors read the same whichever path ran. fast-check.test.ts holds them to that against zod.
 *
 * Accepting only keys in schema order is what lets the fast path return the parsed object itself: zod's
 * output lists keys in schema order, and every sender serializes a zod output (signBatch), so in practice
 * the order always matches.
 */

/** zod's own regular expression for a string format, so the mirror cannot drift from it. */
function zodPattern(schema: z.ZodType): RegExp | undefined {
  const pattern = (schema as unknown as { _zod?: { pattern?: unknown } })._zod?.pattern;
  return pattern instanceof RegExp && !pattern.global && !pattern.sticky ? pattern : undefined;
}

const DATETIME = zodPattern(IsoDateTime);
const DATE = zodPattern(IsoDate);

/**
 * A pure check of a string, remembering the last few hundred texts it passed: a batch repeats its times
 * and OBIS codes on every read, and a Set lookup costs a fraction of the regexes behind them.
 */
function remembered(check: (s: string) => boolean, size = 256): (s: string) => boolean {
  const passed = new Set<string>();
  return (s) => {
    if (passed.has(s)) return true;
    if (!check(s)) return false;
    if (passed.size >= size) passed.clear();
    passed.add(s);
    return true;
  };
}

const isoDateTimeText = remembered((s) => (DATETIME !== undefined ? DATETIME.test(s) : IsoDateTime.safeParse(s).success));
const obisText = remembered((s) => OBIS_PATTERN.test(s) && obisGroupsInRange(s));

export function isIsoDateTime(s: unknown): s is string {
  return typeof s === 'string' && isoDateTimeText(s);
}

export function isIsoDate(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  return DATE !== undefined ? DATE.test(s) : IsoDate.safeParse(s).success;
}

export function isGatewayId(s: unknown): s is string {
  return typeof s === 'string' && GATEWAY_ID_PATTERN.test(s);
}

export function isKeyId(s: unknown): s is string {
  return typeof s === 'string' && KEY_ID_PATTERN.test(s);
}

export function isEpoch(s: unknown): s is string {
  return typeof s === 'string' && EPOCH_PATTERN.test(s);
}

/** SeqSchema: an integer from 1 to Number.MAX_SAFE_INTEGER. */
export function isSeq(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
}

function isIntIn(n: unknown, min: number, max: number): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= min && n <= max;
}

function isCmisCode(s: unknown): s is string {
  return typeof s === 'string' && s.length >= 1 && s.length <= 32 && CMIS_CODE_PATTERN.test(s);
}

function isDecimal(s: unknown): s is string {
  return typeof s === 'string' && s.length <= 40 && DECIMAL_PATTERN.test(s);
}

/** A plain object (what z.object accepts), not null, not an array. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Bit i set for each key present, when every key is one of `index` and they come in strictly increasing
 * schema order; -1 otherwise (an unknown key, a repeat, or keys out of order).
 */
export function keyMask(value: Record<string, unknown>, index: Readonly<Record<string, number>>): number {
  let mask = 0;
  let last = -1;
  for (const key in value) {
    const i = index[key];
    if (i === undefined || i <= last) return -1;
    last = i;
    mask |= 1 << i;
  }
  return mask;
}

/** Field name → position in the schema, for keyMask (no prototype, so `constructor` is just unknown). */
export function fieldIndex(fields: readonly string[]): Readonly<Record<string, number>> {
  if (fields.length > 30) throw new Error('fieldIndex: at most 30 fields fit a mask');
  const index = Object.create(null) as Record<string, number>;
  fields.forEach((f, i) => (index[f] = i));
  return index;
}

/** ReadRecordSchema's keys, in its order. */
const READ_FIELDS = [
  'readId',
  'meterId',
  'meteringPoint',
  'customerCode',
  'bookCode',
  'routeOrder',
  'obis',
  'bcs',
  'value',
  'unit',
  'scaler',
  'meterTime',
  'receivedAt',
  'quality',
  'kind',
  'periodStart',
  'periodEnd',
  'multiplier',
] as const;
const READ_INDEX = fieldIndex(READ_FIELDS);
const bit = (field: (typeof READ_FIELDS)[number]): number => 1 << READ_INDEX[field]!;
const READ_REQUIRED = ['readId', 'meterId', 'meteringPoint', 'obis', 'bcs', 'value', 'unit', 'meterTime', 'receivedAt', 'quality', 'kind', 'multiplier']
  .map((f) => bit(f as (typeof READ_FIELDS)[number]))
  .reduce((a, b) => a | b, 0);
const CUSTOMER = bit('customerCode');
const BOOK = bit('bookCode');
const ROUTE = bit('routeOrder');
const SCALER = bit('scaler');
const PERIOD_START = bit('periodStart');
const PERIOD_END = bit('periodEnd');

const BCS = new Set<unknown>(BCS_CODES);
const UNITS = new Set<unknown>(READ_UNITS);
const KINDS = new Set<unknown>(READ_KINDS);
const QUALITY = new Set<unknown>(QUALITY_FLAGS);

/** ReadRecordSchema, superRefine included: true only when zod would return `r` itself (same keys, same values). */
export function quickReadRecord(r: unknown): r is ReadRecord {
  if (!isRecord(r)) return false;
  const mask = keyMask(r, READ_INDEX);
  if (mask < 0 || (mask & READ_REQUIRED) !== READ_REQUIRED) return false;
  const readId = r['readId'];
  if (typeof readId !== 'string' || readId.length < 1 || readId.length > 256) return false;
  const meterId = r['meterId'];
  if (typeof meterId !== 'string' || meterId.length < 1 || meterId.length > 64 || !METER_ID_PATTERN.test(meterId)) return false;
  if (!isCmisCode(r['meteringPoint'])) return false;
  if ((mask & CUSTOMER) !== 0 && !isCmisCode(r['customerCode'])) return false;
  if ((mask & BOOK) !== 0 && !isCmisCode(r['bookCode'])) return false;
  if ((mask & ROUTE) !== 0 && !isIntIn(r['routeOrder'], 1, 1_000_000)) return false;
  const obis = r['obis'];
  if (typeof obis !== 'string' || !obisText(obis)) return false;
  const bcs = r['bcs'];
  if (bcs !== null && !BCS.has(bcs)) return false;
  if (!isDecimal(r['value'])) return false;
  const unit = r['unit'];
  if (unit !== null && !UNITS.has(unit)) return false;
  if ((mask & SCALER) !== 0 && !isIntIn(r['scaler'], -128, 127)) return false;
  if (!isIsoDateTime(r['meterTime']) || !isIsoDateTime(r['receivedAt'])) return false;
  if (!quickQuality(r['quality'])) return false;
  if (!KINDS.has(r['kind'])) return false;
  // Both period ends or neither, start ≤ end (plain string order, as the schema compares them).
  const hasStart = (mask & PERIOD_START) !== 0;
  if (hasStart !== ((mask & PERIOD_END) !== 0)) return false;
  if (hasStart) {
    const start = r['periodStart'];
    const end = r['periodEnd'];
    if (!isIsoDate(start) || !isIsoDate(end) || start > end) return false;
  }
  const multiplier = r['multiplier'];
  return isDecimal(multiplier) && isPositiveDecimalText(multiplier);
}

/** 1 to 9 known flags, no repeats, `ok` never with a flag that doubts the read. */
function quickQuality(q: unknown): boolean {
  if (!Array.isArray(q) || q.length < 1 || q.length > QUALITY_FLAGS.length) return false;
  let ok = false;
  let doubt = false;
  for (let i = 0; i < q.length; i++) {
    const flag: unknown = q[i];
    if (!QUALITY.has(flag)) return false;
    for (let j = 0; j < i; j++) if (q[j] === flag) return false;
    if (flag === 'ok') ok = true;
    else if (DOUBT_FLAGS.has(flag as ReadRecord['quality'][number])) doubt = true;
  }
  return !(ok && doubt);
}
