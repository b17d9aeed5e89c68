import { describe, expect, it } from 'vitest';
import { toHex } from '../../shared/bytes.js';
import { isDlmsError } from '../errors.js';
import { baudChar, baudFromChar } from './baud.js';
import { asciiBytes } from './chars.js';
import {
  encodeIdentification,
  encodeOptionSelect,
  encodeRequest,
  offersModeE,
  parseIdentification,
  parseOptionSelect,
  parseRequest,
} from './messages.js';

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isDlmsError(e)) return e.code;
    throw e;
  }
  throw new Error('did not throw');
}

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('did not throw');
}

describe('baud characters (mode C/E)', () => {
  it('maps 0…6 to 300…19200 both ways', () => {
    const table: [string, number][] = [['0', 300], ['1', 600], ['2', 1200], ['3', 2400], ['4', 4800], ['5', 9600], ['6', 19200]];
    for (const [c, b] of table) {
      expect(baudFromChar(c, 't')).toBe(b);
      expect(baudChar(b)).toBe(c);
    }
  });
  it('rejects reserved characters and reports mode B letters as unsupported', () => {
    expect(codeOf(() => baudFromChar('7', 't'))).toBe('DLMS_IEC21_PROTOCOL');
    expect(codeOf(() => baudFromChar('E', 't'))).toBe('DLMS_UNSUPPORTED');
    expect(codeOf(() => baudChar(115200))).toBe('DLMS_IEC21_PROTOCOL');
  });
});

describe('request message / ? address ! CR LF', () => {
  it('encodes without address byte for byte', () => {
    expect(toHex(encodeRequest())).toBe('2F3F210D0A'); // / ? ! CR LF
  });
  it('encodes with a device address', () => {
    expect(toHex(encodeRequest('12345678'))).toBe('2F3F3132333435363738210D0A');
  });
  it('parses both forms', () => {
    expect(parseRequest(asciiBytes('/?!\r\n'))).toEqual({});
    expect(parseRequest(asciiBytes('/?12345678!\r\n'))).toEqual({ address: '12345678' });
    expect(parseRequest(asciiBytes('/?AB 01!\r\n'))).toEqual({ address: 'AB 01' });
  });
  it('rejects bad addresses with the offending character named', () => {
    expect(codeOf(() => encodeRequest('12-34'))).toBe('DLMS_IEC21_PROTOCOL');
    expect(messageOf(() => encodeRequest('12-34'))).toContain('"-" at index 2');
    expect(codeOf(() => encodeRequest('1'.repeat(33)))).toBe('DLMS_IEC21_PROTOCOL');
    expect(messageOf(() => parseRequest(asciiBytes('/?12-4!\r\n')))).toContain("'-' at offset 4");
  });
  it('rejects malformed requests', () => {
    expect(codeOf(() => parseRequest(asciiBytes('/?1234')))).toBe('DLMS_TRUNCATED');
    expect(codeOf(() => parseRequest(asciiBytes('/X!\r\n')))).toBe('DLMS_IEC21_PROTOCOL');
    expect(codeOf(() => parseRequest(asciiBytes('/?1234\r\n')))).toBe('DLMS_IEC21_PROTOCOL');
    expect(codeOf(() => parseRequest(asciiBytes('/?\r\n')))).toBe('DLMS_IEC21_PROTOCOL');
  });
});

describe('identification message / XXX Z [\\W] ident CR LF', () => {
  it('parses a mode C identification', () => {
    expect(parseIdentification(asciiBytes('/ISk5MT174-0001\r\n'))).toEqual({ manufacturer: 'ISk', baud: 9600, ident: 'MT174-0001' });
  });
  it('parses a mode E identification (\\2 after the baud character)', () => {
    const id = parseIdentification(asciiBytes('/LGZ5\\2ZMD3104407.B32\r\n'));
    expect(id).toEqual({ manufacturer: 'LGZ', baud: 9600, capability: '2', ident: 'ZMD3104407.B32' });
    expect(offersModeE(id)).toBe(true);
    expect(offersModeE({ manufacturer: 'LGZ', baud: 9600, ident: 'x' })).toBe(false);
  });
  it('encodes byte for byte', () => {
    // / E L S 6 \ 2 A S 3 CR LF
    expect(toHex(encodeIdentification({ manufacturer: 'ELS', baud: 19200, capability: '2', ident: 'AS3' }))).toBe('2F454C53365C324153330D0A');
    expect(toHex(encodeIdentification({ manufacturer: 'ABC', baud: 300, ident: 'X' }))).toBe('2F41424330580D0A');
  });
  it('round-trips', () => {
    for (const id of [
      { manufacturer: 'KFM', baud: 4800 as const, ident: 'VN-1P 2024' },
      { manufacturer: 'GEL', baud: 9600 as const, capability: '2', ident: '0123456789ABCDEF' },
    ]) {
      expect(parseIdentification(encodeIdentification(id))).toEqual(id);
    }
  });
  it('rejects garbage, naming the field', () => {
    expect(messageOf(() => parseIdentification(asciiBytes('hello\r\n')))).toContain("expected '/'");
    expect(messageOf(() => parseIdentification(asciiBytes('/A1C5x\r\n')))).toContain('manufacturer');
    expect(messageOf(() => parseIdentification(asciiBytes('/ABC9x\r\n')))).toContain('baud');
    expect(codeOf(() => parseIdentification(asciiBytes('/ABCEx\r\n')))).toBe('DLMS_UNSUPPORTED'); // mode B
    expect(messageOf(() => parseIdentification(asciiBytes('/ABC5\r\n')))).toContain('ident is empty');
    expect(messageOf(() => parseIdentification(asciiBytes('/ABC5\\\r\n')))).toContain('capability');
    expect(messageOf(() => parseIdentification(asciiBytes('/ABC5ab!c\r\n')))).toContain("'!' at offset 7");
    expect(codeOf(() => parseIdentification(asciiBytes('/ABC5abc')))).toBe('DLMS_TRUNCATED');
    expect(codeOf(() => encodeIdentification({ manufacturer: 'AB', baud: 300, ident: 'x' }))).toBe('DLMS_IEC21_PROTOCOL');
    expect(codeOf(() => encodeIdentification({ manufacturer: 'ABC', baud: 300, ident: 'x'.repeat(17) }))).toBe('DLMS_IEC21_PROTOCOL');
  });
});

describe('acknowledgement / option select ACK V Z Y CR LF', () => {
  it('encodes the mode C readout select at 9600 byte for byte', () => {
    // ACK '0' '5' '0' CR LF
    expect(toHex(encodeOptionSelect({ protocol: 'normal', baud: 9600, mode: 'readout' }))).toBe('063035300D0A');
  });
  it('encodes the mode E hand-over select at 9600 byte for byte', () => {
    // ACK '2' '5' '2' CR LF
    expect(toHex(encodeOptionSelect({ protocol: 'hdlc', baud: 9600, mode: 'binary' }))).toBe('063235320D0A');
  });
  it('parses what it encodes', () => {
    const o = { protocol: 'normal' as const, baud: 2400 as const, mode: 'programming' as const };
    expect(parseOptionSelect(encodeOptionSelect(o))).toEqual(o);
  });
  it('rejects malformed selects', () => {
    const raw = (s: string): Uint8Array => {
      const b = asciiBytes(`_${s}\r\n`);
      b[0] = 0x06;
      return b;
    };
    expect(messageOf(() => parseOptionSelect(raw('950')))).toContain('protocol control');
    expect(messageOf(() => parseOptionSelect(raw('090')))).toContain('offset 2');
    expect(messageOf(() => parseOptionSelect(raw('059')))).toContain('mode control');
    expect(codeOf(() => parseOptionSelect(raw('05A')))).toBe('DLMS_UNSUPPORTED');
    expect(codeOf(() => parseOptionSelect(raw('0500')))).toBe('DLMS_IEC21_PROTOCOL');
    expect(codeOf(() => parseOptionSelect(asciiBytes('0050\r\n')))).toBe('DLMS_IEC21_PROTOCOL');
  });
});
