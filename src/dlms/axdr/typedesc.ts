import type { ByteWriter } from '../../shared/bytes.js';
import { DlmsError } from '../errors.js';
import { Cursor, badData } from './cursor.js';
import { readLengthAt, writeLength } from './length.js';
import { MAX_DEPTH, TAG, typeOfTag } from './tags.js';
import type { TypeDescription } from './types.js';

/**
 * The type description of a compact-array (IEC 62056-6-2 §4.1.5, TypeDescription CHOICE): a simple type
 * is just its tag; array is tag 1 + Unsigned16 count + element description; structure is tag 2 + A-XDR
 * SEQUENCE OF (count, then each element's description).
 */
export function decodeTypeDescription(c: Cursor, depth = 0): TypeDescription {
  const at = c.pos;
  if (depth > MAX_DEPTH) throw badData(`type description nested deeper than ${MAX_DEPTH}`, at);
  const tag = c.u8('type description tag');
  const type = typeOfTag(tag);
  if (type === undefined) throw badData(`unknown type tag ${tag} in compact-array type description`, at);
  if (type === 'array') {
    const count = c.u16('array description count');
    return { type: 'array', count, element: decodeTypeDescription(c, depth + 1) };
  }
  if (type === 'structure') {
    const n = readLengthAt(c);
    // Each element description takes at least one byte: a count beyond the input cannot be real.
    c.need(n, 'structure description elements');
    const elements: TypeDescription[] = [];
    for (let i = 0; i < n; i++) elements.push(decodeTypeDescription(c, depth + 1));
    return { type: 'structure', elements };
  }
  if (type === 'compact-array') throw badData('compact-array inside a compact-array type description', at);
  return { type };
}

export function writeTypeDescription(w: ByteWriter, t: TypeDescription, depth = 0): void {
  if (depth > MAX_DEPTH) throw new DlmsError('DLMS_BAD_DATA', `type description nested deeper than ${MAX_DEPTH}`);
  if (t.type === 'compact-array') throw new DlmsError('DLMS_BAD_DATA', 'compact-array cannot be a compact-array element');
  const tag = TAG[t.type];
  if (tag === undefined) throw new DlmsError('DLMS_BAD_DATA', `unknown type "${String(t.type)}" in type description`);
  w.u8(tag);
  if (t.type === 'array') {
    if (!Number.isInteger(t.count) || t.count < 0 || t.count > 0xffff) {
      throw new DlmsError('DLMS_BAD_DATA', `array description count ${t.count} is not 0..65535`);
    }
    w.u16(t.count);
    writeTypeDescription(w, t.element, depth + 1);
  } else if (t.type === 'structure') {
    writeLength(w, t.elements.length);
    for (const e of t.elements) writeTypeDescription(w, e, depth + 1);
  }
}

/** Fewest content bytes one value of this description can take (0 for null-data, empty structures …). */
export function minContentSize(t: TypeDescription): number {
  switch (t.type) {
    case 'null-data':
    case 'dont-care':
      return 0;
    case 'array':
      return t.count * minContentSize(t.element);
    case 'structure':
      return t.elements.reduce((s, e) => s + minContentSize(e), 0);
    default:
      return 1;
  }
}
