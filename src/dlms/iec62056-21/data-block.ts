import { DlmsError } from '../errors.js';
import { blockCheck } from './bcc.js';
import { CR, END_CHAR, ETX, LF, STX, asciiBytes, bytesText, describeByte, indexOfCrLf, isPrintable } from './chars.js';

/**
 * The data message of a mode C readout (IEC 62056-21 §6.3 data message, §6.4 mode C):
 *
 *   STX  data line CR LF … data line CR LF  ! CR LF  ETX  BCC
 *
 * A data line holds one or more data sets `address(value*unit)`; a set without address that follows
 * another set on the same line is a further value of that set (e.g. a maximum demand and its time
 * stamp: `1.6.0(0001.23*kW)(24-11-25 12:00)`). Each addressed set becomes one DataLine here.
 */
export interface DataValue {
  value: string;
  /** Present when the value carried `*unit` (may be '' for a bare `*`). */
  unit?: string;
}

export interface DataLine {
  /** The data set's address (EDIS id such as `1.8.0`, `C.1.0`, `F.F`); '' for a line starting with '('. */
  id: string;
  values: DataValue[];
}

export interface DataBlock {
  lines: DataLine[];
}

const OPEN = 0x28; // '('
const CLOSE = 0x29; // ')'
const STAR = 0x2a; // '*'
const SLASH = 0x2f; // '/'

function protocolError(detail: string): DlmsError {
  return new DlmsError('DLMS_IEC21_PROTOCOL', `data block: ${detail}`);
}

function badChar(bytes: Uint8Array, at: number, field: string): DlmsError {
  const b = bytes[at] as number;
  const hint = b >= 0x80 ? ' (bit 7 set: strip the parity bit first)' : '';
  return protocolError(`${field} contains ${describeByte(bytes, at)}${hint}`);
}

/**
 * Parses exactly one data message, STX first and BCC last. The BCC is checked before the contents
 * so that a line corrupted in transit is reported as a checksum error, not as bad syntax.
 */
export function parseDataBlock(bytes: Uint8Array): DataBlock {
  if (bytes.length === 0) throw new DlmsError('DLMS_TRUNCATED', 'data block: empty input');
  if (bytes[0] !== STX) throw protocolError(`expected STX (0x02) but found ${describeByte(bytes, 0)}`);
  const etx = bytes.indexOf(ETX, 1);
  if (etx < 0) throw new DlmsError('DLMS_TRUNCATED', `data block: no ETX in ${bytes.length} bytes`);
  if (etx + 1 >= bytes.length) throw new DlmsError('DLMS_TRUNCATED', `data block: BCC missing after ETX at offset ${etx}`);
  if (etx + 2 < bytes.length) throw protocolError(`${bytes.length - etx - 2} unexpected bytes after the BCC at offset ${etx + 1}`);
  const expected = blockCheck(bytes, 1, etx);
  const found = bytes[etx + 1] as number;
  if (expected !== found) {
    throw new DlmsError(
      'DLMS_BAD_CHECKSUM',
      `data block: BCC at offset ${etx + 1} is 0x${found.toString(16).padStart(2, '0')}, computed 0x${expected.toString(16).padStart(2, '0')}`,
    );
  }
  // The block must close with the end line "!" CR LF right before ETX.
  if (etx < 4 || bytes[etx - 3] !== END_CHAR || bytes[etx - 2] !== CR || bytes[etx - 1] !== LF) {
    throw protocolError(`expected '!' CR LF before the ETX at offset ${etx}`);
  }
  const bodyEnd = etx - 3; // first byte of the end line
  if (bodyEnd > 1 && (bytes[bodyEnd - 2] !== CR || bytes[bodyEnd - 1] !== LF)) {
    throw protocolError(`the data line before '!' at offset ${bodyEnd} does not end with CR LF`);
  }
  const lines: DataLine[] = [];
  let at = 1;
  while (at < bodyEnd) {
    const eol = indexOfCrLf(bytes, at);
    // eol < bodyEnd always holds here: the body ends with CR LF (checked above).
    if (eol > at) parseLine(bytes, at, eol, lines);
    at = eol + 2;
  }
  return { lines };
}

/** One data line from `start` up to (not including) its CR at `end`; appends its data sets to `out`. */
function parseLine(bytes: Uint8Array, start: number, end: number, out: DataLine[]): void {
  let at = start;
  let current: DataLine | undefined;
  while (at < end) {
    const b = bytes[at] as number;
    if (b === OPEN) {
      const close = readValue(bytes, at, end);
      if (current === undefined) {
        current = { id: '', values: [] };
        out.push(current);
      }
      current.values.push(close.value);
      at = close.next;
      continue;
    }
    // An address: runs up to the next '('.
    const idStart = at;
    while (at < end && bytes[at] !== OPEN) {
      const c = bytes[at] as number;
      if (!isPrintable(c) || c === CLOSE || c === END_CHAR || c === SLASH) throw badChar(bytes, at, 'address');
      at++;
    }
    if (at >= end) throw protocolError(`data set "${bytesText(bytes, idStart, end)}" at offset ${idStart} has no value in parentheses`);
    current = { id: bytesText(bytes, idStart, at), values: [] };
    out.push(current);
  }
}

/** A `(value*unit)` starting at the '(' in `open`. */
function readValue(bytes: Uint8Array, open: number, end: number): { value: DataValue; next: number } {
  let star = -1;
  let at = open + 1;
  while (at < end && bytes[at] !== CLOSE) {
    const c = bytes[at] as number;
    // Value and unit may not hold '(' (§6.3, data set): seeing one means the ')' is missing.
    if (!isPrintable(c) || c === OPEN) throw badChar(bytes, at, `value opened at offset ${open}`);
    if (c === STAR && star < 0) star = at;
    at++;
  }
  if (at >= end) throw protocolError(`value opened at offset ${open} is not closed by ')' before the end of the line`);
  const value: DataValue =
    star < 0 ? { value: bytesText(bytes, open + 1, at) } : { value: bytesText(bytes, open + 1, star), unit: bytesText(bytes, star + 1, at) };
  return { value, next: at + 1 };
}

// ---------------------------------------------------------------------------------------------
// Encoding (for the meter simulator): stricter than parsing, it only writes what the data set rules of §6.3 allow.

const FORBIDDEN_IN_ID = '()/!';
const FORBIDDEN_IN_VALUE = '()*/!';
const FORBIDDEN_IN_UNIT = '()*/!';

function checkField(text: string, forbidden: string, field: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isPrintable(c) || forbidden.includes(text[i] as string)) {
      throw protocolError(`${field} ${JSON.stringify(text)} has a forbidden character ${JSON.stringify(text[i])} at index ${i}`);
    }
  }
}

export function encodeDataLine(line: DataLine): string {
  checkField(line.id, FORBIDDEN_IN_ID, 'address');
  if (line.values.length === 0) throw protocolError(`data set ${JSON.stringify(line.id)} has no value`);
  let text = line.id;
  for (const v of line.values) {
    checkField(v.value, FORBIDDEN_IN_VALUE, 'value');
    if (v.unit === undefined) {
      text += `(${v.value})`;
    } else {
      checkField(v.unit, FORBIDDEN_IN_UNIT, 'unit');
      text += `(${v.value}*${v.unit})`;
    }
  }
  return text;
}

export function encodeDataBlock(lines: readonly DataLine[]): Uint8Array {
  let text = '';
  for (const line of lines) text += `${encodeDataLine(line)}\r\n`;
  text += '!\r\n';
  const body = asciiBytes(text);
  const out = new Uint8Array(body.length + 3);
  out[0] = STX;
  out.set(body, 1);
  out[body.length + 1] = ETX;
  out[body.length + 2] = blockCheck(out, 1, body.length + 1);
  return out;
}

/**
 * End of the data message that starts at `from` (an STX): the index just past the BCC, or -1 when
 * the ETX or BCC has not arrived yet. Used by the machines to know when a block is complete.
 */
export function dataBlockEnd(bytes: Uint8Array, from: number): number {
  const etx = bytes.indexOf(ETX, from + 1);
  if (etx < 0 || etx + 1 >= bytes.length) return -1;
  return etx + 2;
}
