import { DlmsError, isDlmsError } from '../errors.js';
import { Cursor, badData } from './cursor.js';
import { decodeDateAt, decodeDateTimeAt, decodeTimeAt } from './datetime.js';
import { readLengthAt } from './length.js';
import { MAX_DEPTH, typeOfTag } from './tags.js';
import { decodeTypeDescription, minContentSize } from './typedesc.js';
import type { DlmsData, DlmsDataType, TypeDescription } from './types.js';

export { asDateTime } from './read.js';

/**
 * A-XDR decoding of COSEM Data (IEC 62056-6-2 §4.1.5; encoding rules IEC 61334-6). Sans-IO and
 * defensive: short input → DLMS_TRUNCATED (the caller may wait for more bytes), anything malformed →
 * DLMS_BAD_DATA naming the byte offset. Counts are checked against the bytes left before any loop, nesting
 * is limited to MAX_DEPTH, and a budget of decoded values proportional to the input size stops
 * compact-arrays of zero-size elements from expanding without bound.
 */
interface State {
  c: Cursor;
  budget: number;
}

export function decodeData(bytes: Uint8Array, offset = 0): { data: DlmsData; next: number } {
  const c = new Cursor(bytes, offset);
  const state: State = { c, budget: 4 * c.remaining + 64 };
  const data = decodeTagged(state, 0);
  return { data, next: c.pos };
}

/** Decodes one Data value that must fill `bytes` exactly. */
export function decodeDataExact(bytes: Uint8Array): DlmsData {
  const { data, next } = decodeData(bytes, 0);
  if (next !== bytes.length) {
    throw badData(`${bytes.length - next} trailing byte(s) after the data value`, next);
  }
  return data;
}

function spend(s: State): void {
  if (--s.budget < 0) throw badData('more values than the input size can hold (hostile compact-array?)', s.c.pos);
}

function decodeTagged(s: State, depth: number): DlmsData {
  const at = s.c.pos;
  const tag = s.c.u8('data tag');
  const type = typeOfTag(tag);
  if (type === undefined) throw badData(`unknown A-XDR data tag ${tag} (0x${tag.toString(16).padStart(2, '0')})`, at);
  spend(s);
  switch (type) {
    case 'array':
    case 'structure': {
      if (depth >= MAX_DEPTH) throw badData(`data nested deeper than ${MAX_DEPTH}`, at);
      const count = readLengthAt(s.c);
      // Every element has at least its tag byte: fail before looping on a count the input cannot hold.
      s.c.need(count, `${type} of ${count} elements`);
      const value: DlmsData[] = [];
      for (let i = 0; i < count; i++) value.push(decodeTagged(s, depth + 1));
      return { type, value };
    }
    case 'compact-array':
      return decodeCompactArray(s, depth, at);
    default:
      return decodeSimple(s.c, type);
  }
}

/** Content of every type that is encoded the same way tagged or inside a compact-array. */
function decodeSimple(c: Cursor, type: Exclude<DlmsDataType, 'array' | 'structure' | 'compact-array'>): DlmsData {
  switch (type) {
    case 'null-data':
    case 'dont-care':
      return { type };
    case 'boolean':
      return { type, value: c.u8('boolean') !== 0 };
    case 'bit-string': {
      const length = readLengthAt(c);
      return { type, value: { length, bytes: c.take(Math.ceil(length / 8), 'bit-string bytes') } };
    }
    case 'double-long':
      return { type, value: c.dataView(4, type).getInt32(0) };
    case 'double-long-unsigned':
      return { type, value: c.dataView(4, type).getUint32(0) };
    case 'octet-string':
      return { type, value: c.take(readLengthAt(c), 'octet-string bytes') };
    case 'visible-string':
      return { type, value: latin1(c.view(readLengthAt(c), 'visible-string bytes')) };
    case 'utf8-string':
      return { type, value: utf8.decode(c.view(readLengthAt(c), 'utf8-string bytes')) };
    case 'bcd':
    case 'unsigned':
    case 'enum':
      return { type, value: c.u8(type) };
    case 'integer':
      return { type, value: c.dataView(1, type).getInt8(0) };
    case 'long':
      return { type, value: c.dataView(2, type).getInt16(0) };
    case 'long-unsigned':
      return { type, value: c.u16(type) };
    case 'long64':
      return { type, value: c.dataView(8, type).getBigInt64(0) };
    case 'long64-unsigned':
      return { type, value: c.dataView(8, type).getBigUint64(0) };
    case 'float32':
      return { type, value: c.dataView(4, type).getFloat32(0) };
    case 'float64':
      return { type, value: c.dataView(8, type).getFloat64(0) };
    case 'date-time':
      return { type, value: decodeDateTimeAt(c) };
    case 'date':
      return { type, value: decodeDateAt(c) };
    case 'time':
      return { type, value: decodeTimeAt(c) };
  }
}

/**
 * compact-array (tag 19): type description, then the values without tags as one length-prefixed
 * octet string (IEC 62056-6-2 §4.1.5). The number of values is whatever fills that octet string.
 */
function decodeCompactArray(s: State, depth: number, at: number): DlmsData {
  if (depth >= MAX_DEPTH) throw badData(`data nested deeper than ${MAX_DEPTH}`, at);
  const typeDescription = decodeTypeDescription(s.c, depth + 1);
  const length = readLengthAt(s.c);
  s.c.need(length, 'compact-array contents');
  const end = s.c.pos + length;
  if (length > 0 && minContentSize(typeDescription) === 0) {
    throw badData('compact-array element type takes no bytes, so its contents cannot be split', at);
  }
  // Contents are bounded by their own length: running out inside them is malformed, not "need more".
  const inner: State = { c: new Cursor(s.c.bytes.subarray(0, end), s.c.pos), budget: s.budget };
  const values: DlmsData[] = [];
  try {
    while (inner.c.pos < end) values.push(decodeUntagged(inner, typeDescription, depth + 1));
  } catch (e) {
    if (isDlmsError(e, 'DLMS_TRUNCATED')) {
      throw new DlmsError('DLMS_BAD_DATA', `compact-array contents (${length} bytes from byte ${end - length}) end inside an element: ${e.message}`, {
        cause: e,
        context: { offset: inner.c.pos },
      });
    }
    throw e;
  }
  s.budget = inner.budget;
  s.c.pos = end;
  return { type: 'compact-array', value: { typeDescription, values } };
}

function decodeUntagged(s: State, t: TypeDescription, depth: number): DlmsData {
  spend(s);
  if (depth > MAX_DEPTH) throw badData(`data nested deeper than ${MAX_DEPTH}`, s.c.pos);
  if (t.type === 'array') {
    s.c.need(t.count * minContentSize(t.element), `array of ${t.count} elements`);
    const value: DlmsData[] = [];
    for (let i = 0; i < t.count; i++) value.push(decodeUntagged(s, t.element, depth + 1));
    return { type: 'array', value };
  }
  if (t.type === 'structure') {
    return { type: 'structure', value: t.elements.map((e) => decodeUntagged(s, e, depth + 1)) };
  }
  if (t.type === 'compact-array') throw badData('compact-array inside a compact-array', s.c.pos);
  return decodeSimple(s.c, t.type);
}

const utf8 = new TextDecoder('utf-8'); // non-fatal: a meter's sloppy label must not fail a whole read

/** visible-string bytes one char per byte (not TextDecoder 'latin1', which is windows-1252 and lossy). */
export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return s;
}
