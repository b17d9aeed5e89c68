import { DlmsError } from '../errors.js';

/**
 * Baud rate characters of protocol modes C and E (IEC 62056-21 §6.3, baud rate character of the identification message).
 * '7'…'9' are reserved; letters 'A'…'I' belong to mode B, which switches speed without an
 * acknowledgement and is not implemented here.
 */
export type BaudRate = 300 | 600 | 1200 | 2400 | 4800 | 9600 | 19200;

const BAUD_BY_CHAR: Readonly<Record<string, BaudRate>> = {
  '0': 300,
  '1': 600,
  '2': 1200,
  '3': 2400,
  '4': 4800,
  '5': 9600,
  '6': 19200,
};

export const BAUD_RATES: readonly BaudRate[] = [300, 600, 1200, 2400, 4800, 9600, 19200];

/** The sign-on always starts at 300 baud, 7 data bits, even parity, 1 stop bit (IEC 62056-21 §6.4). */
export const INITIAL_BAUD: BaudRate = 300;

export function baudFromChar(char: string, where: string): BaudRate {
  const baud = BAUD_BY_CHAR[char];
  if (baud !== undefined) return baud;
  if (char >= 'A' && char <= 'I') {
    throw new DlmsError('DLMS_UNSUPPORTED', `${where}: baud character '${char}' is protocol mode B, only modes C and E are supported`);
  }
  const shown = char.length === 1 && char >= ' ' && char <= '~' ? `'${char}'` : `0x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  throw new DlmsError('DLMS_IEC21_PROTOCOL', `${where}: ${shown} is not a mode C/E baud character ('0'…'6')`);
}

export function baudChar(baud: number): string {
  const index = BAUD_RATES.indexOf(baud as BaudRate);
  if (index < 0) throw new DlmsError('DLMS_IEC21_PROTOCOL', `baud rate ${baud} has no mode C/E baud character`);
  return String(index);
}

export function isBaudRate(n: number): n is BaudRate {
  return BAUD_RATES.includes(n as BaudRate);
}
