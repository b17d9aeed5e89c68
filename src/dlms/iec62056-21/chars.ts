/**
 * Control characters and character classes of IEC 62056-21 (§6.3, ISO/IEC 646 7-bit characters).
 * All messages of the sign-on and the readout are 7-bit ASCII; parity is the serial line's business
 * (see parity.ts when it is not).
 */
export const SOH = 0x01;
export const STX = 0x02;
export const ETX = 0x03;
export const EOT = 0x04;
export const ACK = 0x06;
export const NAK = 0x15;
export const LF = 0x0a;
export const CR = 0x0d;

export const START_CHAR = 0x2f; // '/'
export const REQUEST_CHAR = 0x3f; // '?'
export const END_CHAR = 0x21; // '!'
export const ESCAPE_CHAR = 0x5c; // '\' opens the enhanced capability sequence \W (§6.3.2, enhanced identification)

/** Printable 7-bit character (space … '~'). */
export function isPrintable(b: number): boolean {
  return b >= 0x20 && b <= 0x7e;
}

/** How a byte is named in an error message: offset, hex and, when printable, the character. */
export function describeByte(bytes: Uint8Array, offset: number): string {
  const b = bytes[offset];
  if (b === undefined) return `offset ${offset} (end of input)`;
  const hex = `0x${b.toString(16).padStart(2, '0')}`;
  return isPrintable(b) ? `byte ${hex} '${String.fromCharCode(b)}' at offset ${offset}` : `byte ${hex} at offset ${offset}`;
}

/** ASCII text → bytes; the caller has already checked every character is 7-bit. */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Bytes → text, one character per byte (latin-1 style, never fails). */
export function bytesText(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i] as number);
  return s;
}

/** Index of the first CR LF at or after `from`, or -1. */
export function indexOfCrLf(bytes: Uint8Array, from = 0): number {
  for (let i = Math.max(0, from); i + 1 < bytes.length; i++) {
    if (bytes[i] === CR && bytes[i + 1] === LF) return i;
  }
  return -1;
}
