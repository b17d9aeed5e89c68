import type { ByteWriter } from '../../shared/bytes.js';
import { DlmsError } from '../errors.js';
import { Cursor, badData } from './cursor.js';

/**
 * A-XDR length / element count (IEC 61334-6 §6, used by IEC 62056-5-3 and -6-2): the BER definite form.
 * Below 0x80 the byte is the length itself; otherwise its low bits say how many big-endian length bytes
 * follow. We accept 1..4 length bytes (lengths up to 2^32 - 1): no meter sends more, and refusing 0x80
 * (indefinite form, not allowed in A-XDR) and 0x85+ keeps a hostile length from being taken seriously.
 */
export function readLength(bytes: Uint8Array, offset: number): { length: number; next: number } {
  const c = new Cursor(bytes, offset);
  const length = readLengthAt(c);
  return { length, next: c.pos };
}

/** Cursor form used inside the decoders. */
export function readLengthAt(c: Cursor): number {
  const start = c.pos;
  const first = c.u8('length');
  if (first < 0x80) return first;
  const n = first & 0x7f;
  if (n === 0) throw badData('indefinite length (0x80) is not allowed in A-XDR', start);
  if (n > 4) throw badData(`length field of ${n} bytes (0x${first.toString(16)}) is not supported, at most 4`, start);
  c.need(n, 'length bytes');
  let length = 0;
  // Multiplication instead of << keeps 4-byte lengths above 2^31 positive.
  for (let i = 0; i < n; i++) length = length * 256 + c.u8('length byte');
  return length;
}

export function writeLength(w: ByteWriter, length: number): void {
  if (!Number.isInteger(length) || length < 0 || length > 0xffffffff) {
    throw new DlmsError('DLMS_BAD_DATA', `length ${length} cannot be encoded (0..2^32-1)`);
  }
  if (length < 0x80) {
    w.u8(length);
  } else if (length <= 0xff) {
    w.u8(0x81).u8(length);
  } else if (length <= 0xffff) {
    w.u8(0x82).u16(length);
  } else if (length <= 0xffffff) {
    w.u8(0x83).u8(length >>> 16).u16(length & 0xffff);
  } else {
    w.u8(0x84).u32(length);
  }
}

/** Bytes that writeLength uses for `length`. */
export function lengthSize(length: number): number {
  return length < 0x80 ? 1 : length <= 0xff ? 2 : length <= 0xffff ? 3 : length <= 0xffffff ? 4 : 5;
}
