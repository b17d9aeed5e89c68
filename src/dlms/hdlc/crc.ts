/**
 * CRC-16/X.25 as used for the HCS and FCS of IEC 62056-46 HDLC frames (clause 6.4.4.3 / ISO/IEC 13239
 * 4.2.2): polynomial 0x1021 processed LSB first (reflected: 0x8408), initial value 0xFFFF, result
 * complemented. On the wire the check sequence is sent low byte first.
 *
 * Table-driven (one lookup per byte) because the deframer checks every frame twice (HCS and FCS).
 */
const TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
    table[i] = c;
  }
  return table;
})();

/** CRC-16/X.25 of bytes[start, end). Out-of-range bounds are clamped, never read past the buffer. */
export function crc16x25(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const from = Math.max(0, start);
  const to = Math.min(bytes.length, end);
  let crc = 0xffff;
  for (let i = from; i < to; i++) {
    crc = (crc >>> 8) ^ (TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number);
  }
  return (crc ^ 0xffff) & 0xffff;
}

/** Reads a check sequence as sent on the wire (low byte first). */
export function readCheck(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) | ((bytes[at + 1] as number) << 8)) & 0xffff;
}

export function hex16(v: number): string {
  return '0x' + v.toString(16).toUpperCase().padStart(4, '0');
}
