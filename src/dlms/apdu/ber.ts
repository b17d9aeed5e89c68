import type { ByteWriter } from '../../shared/bytes.js';
import { DlmsError } from '../errors.js';

/**
 * The small part of BER (ITU-T X.690) that the ACSE APDUs need (IEC 62056-5-3 §8 / ISO 8650-1): one-byte
 * tags, definite lengths and OBJECT IDENTIFIER contents. xDLMS APDUs are A-XDR, not BER; only AARQ, AARE,
 * RLRQ and RLRE (and the conformance block's [APPLICATION 31] tag) are BER.
 */

/** One tag-length-value found between `start` and `end` of `bytes`. */
export interface Tlv {
  /** The identifier octet (class, constructed bit and tag number together, as written in the standard). */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  readonly contentStart: number;
  readonly contentEnd: number;
}

/**
 * Reads one TLV at `offset`, not reading past `end` (the end of the enclosing value). A length that runs
 * past `end` is DLMS_TRUNCATED when `end` is the end of the input (more bytes could follow), and
 * DLMS_BAD_APDU when it overruns an enclosing TLV (the bytes contradict each other).
 */
export function readTlv(
  bytes: Uint8Array,
  offset: number,
  end: number,
  what: string,
  atEndOfInput = end >= bytes.length,
): Tlv {
  const tag = byteAt(bytes, offset, end, `${what} tag`, atEndOfInput);
  if ((tag & 0x1f) === 0x1f) {
    throw badApdu(`${what}: multi-byte BER tag 0x${hex2(tag)} is not used by ACSE`, offset);
  }
  const { length, next } = readBerLength(bytes, offset + 1, end, what, atEndOfInput);
  const contentEnd = next + length;
  if (contentEnd > end) {
    const message = `${what} (tag 0x${hex2(tag)}) at byte ${offset} announces ${length} content byte(s), only ${end - next} left`;
    throw atEndOfInput
      ? new DlmsError('DLMS_TRUNCATED', message, { context: { offset, needed: length, available: end - next } })
      : badApdu(message, offset);
  }
  return { tag, start: offset, contentStart: next, contentEnd };
}

/** BER definite length (X.690 §8.1.3). The indefinite form (0x80) is refused: ACSE in DLMS never uses it. */
export function readBerLength(
  bytes: Uint8Array,
  offset: number,
  end: number,
  what: string,
  atEndOfInput = end >= bytes.length,
): { length: number; next: number } {
  const first = byteAt(bytes, offset, end, `${what} length`, atEndOfInput);
  if (first < 0x80) return { length: first, next: offset + 1 };
  const n = first & 0x7f;
  if (n === 0) throw badApdu(`${what}: indefinite BER length is not allowed`, offset);
  if (n > 3) throw badApdu(`${what}: BER length of ${n} bytes is beyond any APDU size`, offset);
  let length = 0;
  for (let i = 1; i <= n; i++) length = length * 256 + byteAt(bytes, offset + i, end, `${what} length`, atEndOfInput);
  return { length, next: offset + 1 + n };
}

export function writeBerLength(w: ByteWriter, length: number): void {
  if (!Number.isInteger(length) || length < 0 || length > 0xffffff) {
    throw new DlmsError('DLMS_BAD_APDU', `BER length ${length} cannot be encoded`);
  }
  if (length < 0x80) w.u8(length);
  else if (length <= 0xff) w.u8(0x81).u8(length);
  else if (length <= 0xffff) w.u8(0x82).u16(length);
  else w.u8(0x83).u8(length >>> 16).u16(length & 0xffff);
}

export function writeTlv(w: ByteWriter, tag: number, content: Uint8Array): void {
  w.u8(tag);
  writeBerLength(w, content.length);
  w.bytes(content);
}

/**
 * All TLVs directly inside [start, end), in order. The enclosing value's length is already checked, so a
 * component running past `end` contradicts it: DLMS_BAD_APDU, not "need more bytes".
 */
export function readTlvs(bytes: Uint8Array, start: number, end: number, what: string): Tlv[] {
  const out: Tlv[] = [];
  let pos = start;
  while (pos < end) {
    const t = readTlv(bytes, pos, end, what, false);
    out.push(t);
    pos = t.contentEnd;
  }
  return out;
}

export function contentOf(bytes: Uint8Array, t: Tlv): Uint8Array {
  return bytes.slice(t.contentStart, t.contentEnd);
}

/**
 * OBJECT IDENTIFIER contents (X.690 §8.19): the first two arcs share one sub-identifier (40·a + b), each
 * sub-identifier is base-128 with the high bit meaning "more follows". Arcs are limited to 2^32 - 1 so that
 * hostile input cannot build numbers beyond exact double precision.
 */
export function decodeOid(content: Uint8Array, offset = 0): string {
  if (content.length === 0) throw badApdu('empty OBJECT IDENTIFIER', offset);
  const arcs: number[] = [];
  let value = 0;
  let pending = false;
  for (let i = 0; i < content.length; i++) {
    const b = content[i] as number;
    if (!pending && b === 0x80) throw badApdu('OBJECT IDENTIFIER sub-identifier with a leading 0x80', offset + i);
    value = value * 128 + (b & 0x7f);
    if (value > 0xffffffff) throw badApdu('OBJECT IDENTIFIER arc above 2^32 - 1', offset + i);
    pending = (b & 0x80) !== 0;
    if (!pending) {
      if (arcs.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        arcs.push(first, value - first * 40);
      } else {
        arcs.push(value);
      }
      value = 0;
    }
  }
  if (pending) throw badApdu('OBJECT IDENTIFIER ends inside a sub-identifier', offset + content.length - 1);
  return arcs.join('.');
}

export function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  const [a, b] = arcs;
  if (arcs.length < 2 || arcs.some((x) => !Number.isSafeInteger(x) || x > 0xffffffff) || a === undefined || b === undefined || a > 2 || (a < 2 && b >= 40)) {
    throw new DlmsError('DLMS_BAD_APDU', `"${oid}" is not an OBJECT IDENTIFIER`);
  }
  const out: number[] = [];
  for (const v of [a * 40 + b, ...arcs.slice(2)]) {
    const groups: number[] = [v % 128];
    for (let rest = Math.floor(v / 128); rest > 0; rest = Math.floor(rest / 128)) groups.unshift((rest % 128) | 0x80);
    out.push(...groups);
  }
  return Uint8Array.from(out);
}

export function badApdu(message: string, offset?: number): DlmsError {
  return new DlmsError('DLMS_BAD_APDU', offset === undefined ? message : `${message} (at byte ${offset})`, {
    context: offset === undefined ? {} : { offset },
  });
}

export function hex2(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

function byteAt(bytes: Uint8Array, offset: number, end: number, what: string, atEndOfInput: boolean): number {
  if (offset >= end) {
    const message = `${what} at byte ${offset}: no byte left`;
    throw atEndOfInput
      ? new DlmsError('DLMS_TRUNCATED', message, { context: { offset, needed: 1, available: 0 } })
      : badApdu(`${what} runs past its enclosing value`, offset);
  }
  return bytes[offset] as number;
}
