import { TransportError } from './errors.js';

/** Character framing of an asynchronous serial line. */
export interface LineFormat {
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
}

/** IEC 62056-21 character format for the sign-on and mode C readout: 7 data bits, even parity, 1 stop. */
export const FORMAT_7E1: LineFormat = { dataBits: 7, parity: 'even', stopBits: 1 };
/** The character format under HDLC (IEC 62056-42 physical layer, used by -46): 8 data, no parity, 1 stop. */
export const FORMAT_8N1: LineFormat = { dataBits: 8, parity: 'none', stopBits: 1 };

/** "7E1", "8N1"… as printed on meter labels and in configuration. */
export function formatName(format: LineFormat): string {
  return `${format.dataBits}${format.parity[0]!.toUpperCase()}${format.stopBits}`;
}

export function parseFormat(text: string): LineFormat {
  const m = /^([78])([NEO])([12])$/i.exec(text.trim());
  if (!m) throw new TransportError('TRANSPORT_CONFIG', `bad serial format "${text}": expected e.g. 8N1 or 7E1`);
  const parity = { N: 'none', E: 'even', O: 'odd' } as const;
  return {
    dataBits: Number(m[1]) as 7 | 8,
    parity: parity[m[2]!.toUpperCase() as 'N' | 'E' | 'O'],
    stopBits: Number(m[3]) as 1 | 2,
  };
}

/** Bits on the wire per character: start + data + parity + stop. 8N1 and 7E1 are both 10; 8E1 is 11. */
export function bitsPerCharacter(format: LineFormat): number {
  return 1 + format.dataBits + (format.parity === 'none' ? 0 : 1) + format.stopBits;
}

export function sameFormat(a: LineFormat, b: LineFormat): boolean {
  return a.dataBits === b.dataBits && a.parity === b.parity && a.stopBits === b.stopBits;
}

/**
 * 7E1 and 8N1 are the same ten bits on the wire when the eighth data bit carries the even parity of
 * the seven below it. Sending 7E1 through a port kept at 8N1 thus needs only this bit, and avoids closing
 * and reopening the port for the IEC 62056-21 mode E hand-over (a reopen drops DTR, which powers some
 * optical probes, and leaves a gap in which the meter's first HDLC answer can be lost).
 */
export function addEvenParity(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]! & 0x7f;
    out[i] = ones7(c) % 2 === 1 ? c | 0x80 : c;
  }
  return out;
}

/** The 7-bit characters of bytes received as 8N1 from a 7E1 sender (the parity bit removed). */
export function stripParity(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! & 0x7f;
  return out;
}

/** How many received bytes fail the even-parity check: line noise, or the meter not speaking 7E1. */
export function evenParityErrors(bytes: Uint8Array): number {
  let errors = 0;
  for (let i = 0; i < bytes.length; i++) if ((ones7(bytes[i]! & 0x7f) + (bytes[i]! >> 7)) % 2 === 1) errors++;
  return errors;
}

function ones7(c: number): number {
  let n = 0;
  for (let v = c; v !== 0; v >>= 1) n += v & 1;
  return n;
}
