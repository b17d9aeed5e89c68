import { DlmsError } from '../errors.js';
import { baudChar, baudFromChar, type BaudRate } from './baud.js';
import {
  ACK,
  CR,
  END_CHAR,
  ESCAPE_CHAR,
  LF,
  REQUEST_CHAR,
  START_CHAR,
  asciiBytes,
  bytesText,
  describeByte,
  isPrintable,
} from './chars.js';

/**
 * The three sign-on messages of IEC 62056-21 §6.3: request (§6.3.1), identification (§6.3.2) and
 * acknowledgement/option select (§6.3.3). Each `parse…` takes exactly one complete message, CR LF
 * included, and throws a DlmsError naming the field and offset that is wrong.
 */

function protocolError(what: string, detail: string): DlmsError {
  return new DlmsError('DLMS_IEC21_PROTOCOL', `${what}: ${detail}`);
}

function expectCrLfEnd(bytes: Uint8Array, what: string): void {
  const n = bytes.length;
  if (n < 2 || bytes[n - 2] !== CR || bytes[n - 1] !== LF) {
    throw new DlmsError('DLMS_TRUNCATED', `${what}: does not end with CR LF (${n} bytes)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Request message  / ? Device address ! CR LF  (§6.3.1)

/** Device address: at most 32 characters out of 0-9, A-Z, a-z and space (§6.3.1). */
export const MAX_ADDRESS_LENGTH = 32;

function isAddressChar(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x20;
}

export interface RequestMessage {
  /** Absent when the request is for any meter on the line (point-to-point, optical head). */
  address?: string;
}

export function encodeRequest(address?: string): Uint8Array {
  const a = address ?? '';
  if (a.length > MAX_ADDRESS_LENGTH) {
    throw protocolError('request', `device address has ${a.length} characters, at most ${MAX_ADDRESS_LENGTH} allowed`);
  }
  for (let i = 0; i < a.length; i++) {
    if (!isAddressChar(a.charCodeAt(i))) {
      throw protocolError('request', `device address character ${JSON.stringify(a[i])} at index ${i} is not 0-9, A-Z, a-z or space`);
    }
  }
  return asciiBytes(`/?${a}!\r\n`);
}

export function parseRequest(bytes: Uint8Array): RequestMessage {
  const what = 'request';
  expectCrLfEnd(bytes, what);
  if (bytes[0] !== START_CHAR) throw protocolError(what, `expected '/' but found ${describeByte(bytes, 0)}`);
  if (bytes[1] !== REQUEST_CHAR) throw protocolError(what, `expected '?' but found ${describeByte(bytes, 1)}`);
  const end = bytes.length - 3; // index of '!'
  if (end < 2 || bytes[end] !== END_CHAR) throw protocolError(what, `expected '!' before CR LF but found ${describeByte(bytes, Math.max(end, 2))}`);
  for (let i = 2; i < end; i++) {
    if (!isAddressChar(bytes[i] as number)) throw protocolError(what, `device address ${describeByte(bytes, i)} is not 0-9, A-Z, a-z or space`);
  }
  if (end - 2 > MAX_ADDRESS_LENGTH) throw protocolError(what, `device address has ${end - 2} characters, at most ${MAX_ADDRESS_LENGTH} allowed`);
  return end > 2 ? { address: bytesText(bytes, 2, end) } : {};
}

// ---------------------------------------------------------------------------------------------
// Identification message  / X X X Z [\W] Ident CR LF  (§6.3.2)

/** The identification may carry at most 16 characters (§6.3.2); see parseIdentification. */
export const MAX_IDENT_LENGTH = 16;
/** Accepted on parse: some meters in the field overrun the standard's 16 characters. */
const MAX_IDENT_LENGTH_ACCEPTED = 64;

/** Enhanced capability character W meaning "protocol mode E, HDLC" (Annex E). */
export const CAPABILITY_MODE_E = '2';

export interface Identification {
  /** Three letters (FLAG id). A lower-case third letter means the meter needs ≥ 200 ms reaction time. */
  manufacturer: string;
  /** Highest speed the meter offers (its baud character Z). */
  baud: BaudRate;
  /** W of the enhanced capability sequence `\W` right after Z; '2' = mode E (HDLC) capable. */
  capability?: string;
  /** Manufacturer-specific identification (model, firmware…). */
  ident: string;
}

export function offersModeE(id: Identification): boolean {
  return id.capability === CAPABILITY_MODE_E;
}

function isLetter(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

function isIdentChar(b: number): boolean {
  return isPrintable(b) && b !== START_CHAR && b !== END_CHAR;
}

export function encodeIdentification(id: Identification): Uint8Array {
  const what = 'identification';
  if (id.manufacturer.length !== 3 || ![0, 1, 2].every((i) => isLetter(id.manufacturer.charCodeAt(i)))) {
    throw protocolError(what, `manufacturer ${JSON.stringify(id.manufacturer)} is not three letters`);
  }
  if (id.capability !== undefined && (id.capability.length !== 1 || !isIdentChar(id.capability.charCodeAt(0)))) {
    throw protocolError(what, `capability ${JSON.stringify(id.capability)} is not one printable character`);
  }
  if (id.ident.length < 1 || id.ident.length > MAX_IDENT_LENGTH) {
    throw protocolError(what, `ident ${JSON.stringify(id.ident)} must have 1…${MAX_IDENT_LENGTH} characters`);
  }
  for (let i = 0; i < id.ident.length; i++) {
    const c = id.ident.charCodeAt(i);
    if (!isIdentChar(c)) throw protocolError(what, `ident character ${JSON.stringify(id.ident[i])} at index ${i} is not allowed`);
    if (i === 0 && c === ESCAPE_CHAR) throw protocolError(what, `ident must not start with '\\' (it would read as a capability sequence)`);
  }
  const capability = id.capability === undefined ? '' : `\\${id.capability}`;
  return asciiBytes(`/${id.manufacturer}${baudChar(id.baud)}${capability}${id.ident}\r\n`);
}

export function parseIdentification(bytes: Uint8Array): Identification {
  const what = 'identification';
  expectCrLfEnd(bytes, what);
  const end = bytes.length - 2;
  if (bytes[0] !== START_CHAR) throw protocolError(what, `expected '/' but found ${describeByte(bytes, 0)}`);
  for (let i = 1; i <= 3; i++) {
    if (i >= end || !isLetter(bytes[i] as number)) throw protocolError(what, `manufacturer ${describeByte(bytes, i)} is not a letter`);
  }
  if (end <= 4) throw protocolError(what, `baud character missing at offset 4`);
  const baud = baudFromChar(String.fromCharCode(bytes[4] as number), `${what} offset 4`);
  let at = 5;
  let capability: string | undefined;
  if (bytes[at] === ESCAPE_CHAR) {
    if (at + 1 >= end || !isIdentChar(bytes[at + 1] as number)) {
      throw protocolError(what, `capability character after '\\' missing or invalid at ${describeByte(bytes, at + 1)}`);
    }
    capability = String.fromCharCode(bytes[at + 1] as number);
    at += 2;
  }
  if (at >= end) throw protocolError(what, `ident is empty`);
  if (end - at > MAX_IDENT_LENGTH_ACCEPTED) throw protocolError(what, `ident has ${end - at} characters`);
  for (let i = at; i < end; i++) {
    if (!isIdentChar(bytes[i] as number)) throw protocolError(what, `ident ${describeByte(bytes, i)} is not allowed`);
  }
  const id: Identification = { manufacturer: bytesText(bytes, 1, 4), baud, ident: bytesText(bytes, at, end) };
  if (capability !== undefined) id.capability = capability;
  return id;
}

// ---------------------------------------------------------------------------------------------
// Acknowledgement / option select message  ACK V Z Y CR LF  (§6.3.3)

/** V: '0' normal protocol procedure, '1' secondary protocol procedure, '2' HDLC (mode E, Annex E). */
export type ProtocolControl = 'normal' | 'secondary' | 'hdlc';
/** Y: '0' data readout, '1' programming mode, '2' binary mode (HDLC, mode E). */
export type ModeControl = 'readout' | 'programming' | 'binary';

export interface OptionSelect {
  protocol: ProtocolControl;
  baud: BaudRate;
  mode: ModeControl;
}

const PROTOCOL_CHARS: Readonly<Record<ProtocolControl, string>> = { normal: '0', secondary: '1', hdlc: '2' };
const MODE_CHARS: Readonly<Record<ModeControl, string>> = { readout: '0', programming: '1', binary: '2' };

export function encodeOptionSelect(o: OptionSelect): Uint8Array {
  const v = PROTOCOL_CHARS[o.protocol];
  const y = MODE_CHARS[o.mode];
  if (v === undefined) throw protocolError('option select', `unknown protocol control ${JSON.stringify(o.protocol)}`);
  if (y === undefined) throw protocolError('option select', `unknown mode control ${JSON.stringify(o.mode)}`);
  const out = asciiBytes(`_${v}${baudChar(o.baud)}${y}\r\n`);
  out[0] = ACK;
  return out;
}

export function parseOptionSelect(bytes: Uint8Array): OptionSelect {
  const what = 'option select';
  expectCrLfEnd(bytes, what);
  if (bytes[0] !== ACK) throw protocolError(what, `expected ACK (0x06) but found ${describeByte(bytes, 0)}`);
  if (bytes.length !== 6) throw protocolError(what, `expected 6 bytes (ACK V Z Y CR LF) but got ${bytes.length}`);
  const v = String.fromCharCode(bytes[1] as number);
  const protocol = (Object.keys(PROTOCOL_CHARS) as ProtocolControl[]).find((k) => PROTOCOL_CHARS[k] === v);
  if (protocol === undefined) throw protocolError(what, `protocol control ${describeByte(bytes, 1)} is not '0', '1' or '2'`);
  const baud = baudFromChar(String.fromCharCode(bytes[2] as number), `${what} offset 2`);
  const y = String.fromCharCode(bytes[3] as number);
  const mode = (Object.keys(MODE_CHARS) as ModeControl[]).find((k) => MODE_CHARS[k] === y);
  if (mode === undefined) {
    // '3'…'5' and 'A'…'Z' are manufacturer-specific modes (§6.3.3): legal but not ours.
    if ((y >= '3' && y <= '5') || (y >= 'A' && y <= 'Z')) {
      throw new DlmsError('DLMS_UNSUPPORTED', `${what}: manufacturer-specific mode control '${y}' at offset 3`);
    }
    throw protocolError(what, `mode control ${describeByte(bytes, 3)} is not '0', '1' or '2'`);
  }
  return { protocol, baud, mode };
}
