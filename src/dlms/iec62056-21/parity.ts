import { DlmsError } from '../errors.js';

/**
 * 7E1 in software (IEC 62056-21 §6: 7 data bits, even parity, 1 stop bit). A real UART does
 * this itself; pseudo-terminals and TCP-to-serial bridges that pass 8-bit bytes do not, so the
 * caller adds the parity bit (bit 7) before writing and strips it after reading.
 */

/** True when the byte has an even number of 1 bits over all 8 bits (parity bit included). */
function hasEvenParity(b: number): boolean {
  let x = b & 0xff;
  x ^= x >> 4;
  x ^= x >> 2;
  x ^= x >> 1;
  return (x & 1) === 0;
}

/** Sets bit 7 of each 7-bit character so that every byte has an even number of 1 bits. */
export function addEvenParity(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b > 0x7f) {
      throw new DlmsError('DLMS_IEC21_PROTOCOL', `parity: byte 0x${b.toString(16)} at offset ${i} is not a 7-bit character`);
    }
    out[i] = hasEvenParity(b) ? b : b | 0x80;
  }
  return out;
}

/** Offset of the first byte whose parity is odd, or undefined when all are even. */
export function parityErrorOffset(bytes: Uint8Array): number | undefined {
  for (let i = 0; i < bytes.length; i++) if (!hasEvenParity(bytes[i] as number)) return i;
  return undefined;
}

/** Checks even parity on every byte and clears bit 7; a bad byte is a DLMS_BAD_CHECKSUM at its offset. */
export function stripParity(bytes: Uint8Array): Uint8Array {
  const bad = parityErrorOffset(bytes);
  if (bad !== undefined) {
    const b = bytes[bad] as number;
    throw new DlmsError('DLMS_BAD_CHECKSUM', `parity: byte 0x${b.toString(16).padStart(2, '0')} at offset ${bad} fails even parity`, {
      context: { offset: bad },
    });
  }
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = (bytes[i] as number) & 0x7f;
  return out;
}
