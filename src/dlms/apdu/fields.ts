import type { ByteWriter } from '../../shared/bytes.js';
import { decodeData } from '../axdr/decode.js';
import { writeData } from '../axdr/encode.js';
import type { Cursor } from '../axdr/cursor.js';
import type { DlmsData } from '../axdr/types.js';
import { badApdu } from './ber.js';

/**
 * A-XDR field helpers shared by the xDLMS service APDUs (IEC 62056-5-3 §8, encoded per IEC 61334-6):
 * OPTIONAL is a 00/01 presence byte, integers are big-endian, CHOICE is a one-byte tag.
 */

export function readU32(c: Cursor, what: string): number {
  const v = c.view(4, what);
  return (((v[0] as number) << 24) | ((v[1] as number) << 16) | ((v[2] as number) << 8) | (v[3] as number)) >>> 0;
}

/** OPTIONAL presence flag; anything other than 0 or 1 is not A-XDR. */
export function readPresent(c: Cursor, what: string): boolean {
  const at = c.pos;
  const b = c.u8(`${what} presence flag`);
  if (b > 1) throw badApdu(`${what}: presence flag 0x${b.toString(16)} is neither 00 nor 01`, at);
  return b === 1;
}

/** A-XDR BOOLEAN: 00 false, anything else true (IEC 61334-6: "any non-zero value is TRUE"). */
export function readBoolean(c: Cursor, what: string): boolean {
  return c.u8(what) !== 0;
}

export function readData(c: Cursor, what: string): DlmsData {
  c.need(1, what);
  const { data, next } = decodeData(c.bytes, c.pos);
  c.pos = next;
  return data;
}

export function writeOptionalData(w: ByteWriter, d: DlmsData | undefined): void {
  if (d === undefined) w.u8(0);
  else writeData(w.u8(1), d);
}

/** Unsigned integer field check before writing: encoders refuse values that would wrap silently. */
export function checkUint(value: number, bits: 8 | 16 | 32, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 2 ** bits - 1) {
    throw badApdu(`${what} ${value} does not fit an unsigned ${bits}-bit field`);
  }
  return value;
}
