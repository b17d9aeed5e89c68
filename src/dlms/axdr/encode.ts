import { ByteWriter } from '../../shared/bytes.js';
import { DlmsError } from '../errors.js';
import { encodeDateBytes, encodeDateTimeBytes, encodeTimeBytes } from './datetime.js';
import { writeLength } from './length.js';
import { MAX_DEPTH, TAG } from './tags.js';
import { writeTypeDescription } from './typedesc.js';
import type { DlmsData, TypeDescription } from './types.js';

/**
 * A-XDR encoding of COSEM Data (IEC 62056-6-2 §4.1.5), the exact inverse of decodeData. Values are
 * range-checked: a number that does not fit its type is a DLMS_BAD_DATA here, not a silently wrapped
 * value on the wire.
 */
export function encodeData(d: DlmsData): Uint8Array {
  const w = new ByteWriter();
  writeData(w, d);
  return w.toBytes();
}

export function writeData(w: ByteWriter, d: DlmsData): void {
  writeTagged(w, d, 0);
}

function bad(message: string): DlmsError {
  return new DlmsError('DLMS_BAD_DATA', message);
}

function writeTagged(w: ByteWriter, d: DlmsData, depth: number): void {
  const tag = (TAG as Record<string, number | undefined>)[(d as { type?: unknown })?.type as string];
  if (tag === undefined) throw bad(`cannot encode unknown data type "${String((d as { type?: unknown })?.type)}"`);
  w.u8(tag);
  switch (d.type) {
    case 'array':
    case 'structure':
      if (depth >= MAX_DEPTH) throw bad(`data nested deeper than ${MAX_DEPTH}`);
      writeLength(w, d.value.length);
      for (const e of d.value) writeTagged(w, e, depth + 1);
      return;
    case 'compact-array': {
      if (depth >= MAX_DEPTH) throw bad(`data nested deeper than ${MAX_DEPTH}`);
      const { typeDescription, values } = d.value;
      writeTypeDescription(w, typeDescription, depth + 1);
      const contents = new ByteWriter();
      for (const v of values) writeUntagged(contents, typeDescription, v, depth + 1);
      if (contents.length === 0 && values.length > 0) {
        throw bad('compact-array of zero-size elements cannot carry its values (contents would be empty)');
      }
      writeLength(w, contents.length);
      w.bytes(contents.toBytes());
      return;
    }
    default:
      writeSimple(w, d);
  }
}

function writeUntagged(w: ByteWriter, t: TypeDescription, d: DlmsData, depth: number): void {
  if (depth > MAX_DEPTH) throw bad(`data nested deeper than ${MAX_DEPTH}`);
  if (d.type !== t.type) throw bad(`compact-array value of type ${d.type} where the description says ${t.type}`);
  if (d.type === 'array') {
    if (t.type !== 'array') return; // unreachable: types compared above
    if (d.value.length !== t.count) throw bad(`compact-array element array has ${d.value.length} items, description says ${t.count}`);
    for (const e of d.value) writeUntagged(w, t.element, e, depth + 1);
  } else if (d.type === 'structure') {
    if (t.type !== 'structure') return; // unreachable: types compared above
    if (d.value.length !== t.elements.length) {
      throw bad(`compact-array element structure has ${d.value.length} items, description says ${t.elements.length}`);
    }
    d.value.forEach((e, i) => writeUntagged(w, t.elements[i] as TypeDescription, e, depth + 1));
  } else if (d.type === 'compact-array') {
    throw bad('compact-array cannot be a compact-array element');
  } else {
    writeSimple(w, d);
  }
}

function int(v: number, min: number, max: number, type: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw bad(`${type} value ${String(v)} is not an integer in ${min}..${max}`);
  }
  return v;
}

function big(v: bigint, min: bigint, max: bigint, type: string): bigint {
  if (typeof v !== 'bigint' || v < min || v > max) throw bad(`${type} value ${String(v)} is not a bigint in ${min}..${max}`);
  return v;
}

function fixed(w: ByteWriter, n: number, fill: (v: DataView) => void): void {
  const b = new Uint8Array(n);
  fill(new DataView(b.buffer));
  w.bytes(b);
}

const utf8 = new TextEncoder();

/** Content (no tag) of every type encoded the same way tagged or inside a compact-array. */
function writeSimple(w: ByteWriter, d: Exclude<DlmsData, { type: 'array' | 'structure' | 'compact-array' }>): void {
  switch (d.type) {
    case 'null-data':
    case 'dont-care':
      return;
    case 'boolean':
      w.u8(d.value ? 1 : 0);
      return;
    case 'bit-string': {
      const { length, bytes } = d.value;
      if (!Number.isInteger(length) || length < 0 || bytes.length !== Math.ceil(length / 8)) {
        throw bad(`bit-string of ${length} bits needs ${Math.ceil(length / 8)} bytes, has ${bytes.length}`);
      }
      writeLength(w, length);
      w.bytes(bytes);
      return;
    }
    case 'double-long':
      w.u32(int(d.value, -0x80000000, 0x7fffffff, d.type));
      return;
    case 'double-long-unsigned':
      w.u32(int(d.value, 0, 0xffffffff, d.type));
      return;
    case 'octet-string':
      if (!(d.value instanceof Uint8Array)) throw bad('octet-string value must be a Uint8Array');
      writeLength(w, d.value.length);
      w.bytes(d.value);
      return;
    case 'visible-string': {
      const s = d.value;
      const b = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) {
        const code = s.charCodeAt(i);
        if (code > 0xff) throw bad(`visible-string character ${JSON.stringify(s[i])} at index ${i} is not one byte`);
        b[i] = code;
      }
      writeLength(w, b.length);
      w.bytes(b);
      return;
    }
    case 'utf8-string': {
      const b = utf8.encode(d.value);
      writeLength(w, b.length);
      w.bytes(b);
      return;
    }
    case 'bcd':
    case 'unsigned':
    case 'enum':
      w.u8(int(d.value, 0, 0xff, d.type));
      return;
    case 'integer':
      w.u8(int(d.value, -0x80, 0x7f, d.type));
      return;
    case 'long':
      w.u16(int(d.value, -0x8000, 0x7fff, d.type));
      return;
    case 'long-unsigned':
      w.u16(int(d.value, 0, 0xffff, d.type));
      return;
    case 'long64': {
      const v = big(d.value, -(1n << 63n), (1n << 63n) - 1n, d.type);
      fixed(w, 8, (dv) => dv.setBigInt64(0, v));
      return;
    }
    case 'long64-unsigned': {
      const v = big(d.value, 0n, (1n << 64n) - 1n, d.type);
      fixed(w, 8, (dv) => dv.setBigUint64(0, v));
      return;
    }
    case 'float32':
      if (typeof d.value !== 'number') throw bad('float32 value must be a number');
      fixed(w, 4, (dv) => dv.setFloat32(0, d.value));
      return;
    case 'float64':
      if (typeof d.value !== 'number') throw bad('float64 value must be a number');
      fixed(w, 8, (dv) => dv.setFloat64(0, d.value));
      return;
    case 'date-time':
      w.bytes(encodeDateTimeBytes(d.value));
      return;
    case 'date':
      w.bytes(encodeDateBytes(d.value));
      return;
    case 'time':
      w.bytes(encodeTimeBytes(d.value));
      return;
  }
}
