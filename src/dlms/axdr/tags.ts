import type { DlmsDataType } from './types.js';

/** A-XDR tags of the Data CHOICE (IEC 62056-6-2 §4.1.5, Table 2 "Common data types"). */
export const TAG: Readonly<Record<DlmsDataType, number>> = {
  'null-data': 0,
  array: 1,
  structure: 2,
  boolean: 3,
  'bit-string': 4,
  'double-long': 5,
  'double-long-unsigned': 6,
  'octet-string': 9,
  'visible-string': 10,
  'utf8-string': 12,
  bcd: 13,
  integer: 15,
  long: 16,
  unsigned: 17,
  'long-unsigned': 18,
  'compact-array': 19,
  long64: 20,
  'long64-unsigned': 21,
  enum: 22,
  float32: 23,
  float64: 24,
  'date-time': 25,
  date: 26,
  time: 27,
  'dont-care': 255,
};

const byTag = new Map<number, DlmsDataType>(Object.entries(TAG).map(([k, v]) => [v, k as DlmsDataType]));

export function typeOfTag(tag: number): DlmsDataType | undefined {
  return byTag.get(tag);
}

/** Nesting limit for arrays, structures and type descriptions: deep enough for any COSEM attribute, shallow
 * enough that hostile input cannot exhaust the stack. */
export const MAX_DEPTH = 32;
