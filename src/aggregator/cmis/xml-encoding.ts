import { isUtf8 } from 'node:buffer';
import { CmisError } from './errors.js';

/**
 * Turning a book file's bytes into text. XML 1.0 Appendix F: the byte order mark, or the first bytes of
 * `<?xml`, say which Unicode form the file is in; the declaration's `encoding` must then agree. Only
 * UTF-8 and UTF-16 are accepted: .NET writes one of the two, and a file in a legacy Vietnamese code
 * page (TCVN3, Windows-1258) must be refused loudly rather than turned into mojibake names.
 */
export type XmlByteEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export interface DecodedXml {
  readonly text: string;
  readonly encoding: XmlByteEncoding;
  readonly bom: boolean;
}

function where(source: string, line: number, column: number): string {
  return `${source}: line ${line}, column ${column}`;
}

function encodingError(source: string, line: number, column: number, message: string): CmisError {
  return new CmisError('CMIS_XML_ENCODING', `${where(source, line, column)}: ${message}`, {
    context: { file: source, line, column },
  });
}

export function decodeXmlBytes(bytes: Uint8Array, source = 'XML'): DecodedXml {
  const b0 = bytes[0];
  const b1 = bytes[1];
  if ((b0 === 0x00 && b1 === 0x00) || (b0 === 0xff && b1 === 0xfe && bytes[2] === 0x00 && bytes[3] === 0x00)) {
    throw encodingError(source, 1, 1, 'UTF-32 is not supported (CMIS books are UTF-8 or UTF-16)');
  }
  if (b0 === 0xef && b1 === 0xbb && bytes[2] === 0xbf) return { text: decodeUtf8(bytes, 3, source), encoding: 'utf-8', bom: true };
  if (b0 === 0xff && b1 === 0xfe) return { text: decodeUtf16(bytes, 2, true, source), encoding: 'utf-16le', bom: true };
  if (b0 === 0xfe && b1 === 0xff) return { text: decodeUtf16(bytes, 2, false, source), encoding: 'utf-16be', bom: true };
  if (b0 === 0x3c && b1 === 0x00) return { text: decodeUtf16(bytes, 0, true, source), encoding: 'utf-16le', bom: false };
  if (b0 === 0x00 && b1 === 0x3c) return { text: decodeUtf16(bytes, 0, false, source), encoding: 'utf-16be', bom: false };
  return { text: decodeUtf8(bytes, 0, source), encoding: 'utf-8', bom: false };
}

/** Line and column (1-based, in characters) of a position given as a count of decoded characters. */
function positionOf(text: string): { line: number; column: number } {
  const lines = text.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

/** Length of the valid UTF-8 sequence at `i`, or 0 when it is invalid (RFC 3629 §4: no overlongs, no surrogates). */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i] as number;
  if (b < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const c = bytes[i + k];
    return c !== undefined && c >= lo && c <= hi;
  };
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  if (b === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (b === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b >= 0xe1 && b <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b >= 0xf1 && b <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

function decodeUtf8(bytes: Uint8Array, start: number, source: string): string {
  // The native check (strict RFC 3629, as utf8SequenceLength) first; the byte loop below only runs to
  // find where a file that fails it goes wrong.
  const body = bytes.subarray(start);
  if (isUtf8(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  for (let i = start; i < bytes.length; ) {
    const n = utf8SequenceLength(bytes, i);
    if (n === 0) {
      const before = new TextDecoder('utf-8').decode(bytes.subarray(start, i));
      const { line, column } = positionOf(before);
      const hex = (bytes[i] as number).toString(16).padStart(2, '0');
      throw encodingError(source, line, column, `byte 0x${hex} at offset ${i} is not valid UTF-8 (a legacy code page such as Windows-1258 or TCVN3?)`);
    }
    i += n;
  }
  return new TextDecoder('utf-8').decode(bytes.subarray(start));
}

function decodeUtf16(bytes: Uint8Array, start: number, littleEndian: boolean, source: string): string {
  if ((bytes.length - start) % 2 !== 0) {
    const { line, column } = positionOf(new TextDecoder(littleEndian ? 'utf-16le' : 'utf-16be').decode(bytes.subarray(start, bytes.length - 1)));
    throw encodingError(source, line, column, 'UTF-16 text with an odd number of bytes (truncated file?)');
  }
  const units: number[] = [];
  for (let i = start; i < bytes.length; i += 2) {
    units.push(littleEndian ? (bytes[i] as number) | ((bytes[i + 1] as number) << 8) : ((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  }
  for (let k = 0; k < units.length; k++) {
    const u = units[k] as number;
    const high = u >= 0xd800 && u <= 0xdbff;
    const low = u >= 0xdc00 && u <= 0xdfff;
    const next = units[k + 1];
    if (high && next !== undefined && next >= 0xdc00 && next <= 0xdfff) {
      k++;
      continue;
    }
    if (high || low) {
      const { line, column } = positionOf(new TextDecoder(littleEndian ? 'utf-16le' : 'utf-16be').decode(bytes.subarray(start, start + 2 * k)));
      throw encodingError(source, line, column, `unpaired UTF-16 surrogate 0x${u.toString(16)} at byte offset ${start + 2 * k}`);
    }
  }
  let text = '';
  for (let k = 0; k < units.length; k += 8192) text += String.fromCharCode(...units.slice(k, k + 8192));
  return text;
}

/** Family of a declared encoding name, or undefined when it is one we do not read. */
export function declaredEncodingFamily(name: string): 'utf-8' | 'utf-16' | 'ascii' | undefined {
  const n = name.trim().toLowerCase();
  if (n === 'utf-8' || n === 'utf8') return 'utf-8';
  if (n === 'utf-16' || n === 'utf-16le' || n === 'utf-16be' || n === 'unicode' || n === 'ucs-2') return 'utf-16';
  if (n === 'us-ascii' || n === 'ascii') return 'ascii';
  return undefined;
}
