import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../shared/bytes.js';
import { isDlmsError } from '../errors.js';
import { blockCheck } from './bcc.js';
import { asciiBytes } from './chars.js';
import { dataBlockEnd, encodeDataBlock, parseDataBlock, type DataLine } from './data-block.js';
import { DEFAULT_EDIS_TO_OBIS, edisToObis, mapReadout } from './edis.js';

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

/** STX + body + ETX + the given BCC (not computed here, so tests state it independently). */
function frame(body: string, bcc: number): Uint8Array {
  return concatBytes([Uint8Array.of(0x02), asciiBytes(body), Uint8Array.of(0x03, bcc)]);
}

/** STX + body + ETX + a correct BCC, for syntax tests that must get past the checksum. */
function framed(body: string): Uint8Array {
  const f = frame(body, 0);
  f[f.length - 1] = blockCheck(f, 1, f.length - 2);
  return f;
}

describe('block check character', () => {
  it('is the XOR of everything after STX up to and including ETX (worked by hand)', () => {
    // STX 0.0.0(1) CR LF ! CR LF ETX
    //   '0' 30 ^ '.' 2E = 1E;  ^ '0' 30 = 2E;  ^ '.' 2E = 00;  ^ '0' 30 = 30;  ^ '(' 28 = 18;
    //   ^ '1' 31 = 29;  ^ ')' 29 = 00;  ^ CR 0D = 0D;  ^ LF 0A = 07;  ^ '!' 21 = 26;
    //   ^ CR 0D = 2B;  ^ LF 0A = 21;  ^ ETX 03 = 22   → BCC 0x22 ('"')
    const bytes = encodeDataBlock([{ id: '0.0.0', values: [{ value: '1' }] }]);
    expect(toHex(bytes)).toBe('02302E302E302831290D0A210D0A0322');
    expect(parseDataBlock(bytes)).toEqual({ lines: [{ id: '0.0.0', values: [{ value: '1' }] }] });
  });
  it('matches an independently computed BCC for a register line', () => {
    const bytes = frame('1.8.0(001234.56*kWh)\r\n!\r\n', 0x4d);
    expect(encodeDataBlock([{ id: '1.8.0', values: [{ value: '001234.56', unit: 'kWh' }] }])).toEqual(bytes);
    expect(parseDataBlock(bytes).lines).toEqual([{ id: '1.8.0', values: [{ value: '001234.56', unit: 'kWh' }] }]);
  });
  it('reports a wrong BCC with both values and the offset', () => {
    const bytes = frame('1.8.0(001234.56*kWh)\r\n!\r\n', 0x4c);
    expect(codeOf(() => parseDataBlock(bytes))).toBe('DLMS_BAD_CHECKSUM');
    expect(messageOf(() => parseDataBlock(bytes))).toBe('data block: BCC at offset 27 is 0x4c, computed 0x4d');
  });
  it('reports a flipped data byte as a checksum error, not as syntax', () => {
    const bytes = encodeDataBlock([{ id: '1.8.0', values: [{ value: '001234.56', unit: 'kWh' }] }]);
    bytes[6] = 0x5b; // '(' → '['
    expect(codeOf(() => parseDataBlock(bytes))).toBe('DLMS_BAD_CHECKSUM');
  });
});

const READOUT_TEXT = `
F.F(00000000)\r\n0.0.0(12345678)\r\nC.1.0(87654321)\r\nC.1.1(MT174)\r\n0.9.1(14:32:05)\r\n0.9.2(24-11-25)\r\n0.1.0(11)\r\n0.1.2*11(24-11-01 00:00)\r\n1.8.0(001234.56*kWh)\r\n1.8.1(000700.10*kWh)\r\n1.8.2(000400.26*kWh)\r\n1.8.3(000134.20*kWh)\r\n1.8.0*11(001100.00*kWh)\r\n2.8.0(000000.00*kWh)\r\n3.8.0(000456.78*kvarh)\r\n4.8.0(000012.34*kvarh)\r\n1.6.0(0001.23*kW)(24-11-25 12:00)\r\n1.6.1(0000.98*kW)(24-11-20 18:15)\r\n1.6.0*11(0001.87*kW)(24-10-14 19:30)\r\n32.7(230.1*V)\r\n52.7(229.8*V)\r\n72.7(231.0*V)\r\n31.7(001.25*A)\r\n51.7(000.80*A)\r\n71.7(002.10*A)\r\n14.7(50.01*Hz)\r\n13.7(0.98)\r\nC.7.0(0012)\r\nC.7.1(0003)\r\nC.2.1(24-01-15 10:22)()\r\nC.51.0(*)\r\n0.2.0(V1.02)\r\n!\r\n`.slice(1);

describe('a realistic readout', () => {
  // 32 data lines as a three-phase meter gives them; BCC 0x4C computed outside this code base.
  const bytes = frame(READOUT_TEXT, 0x4c);
  const { lines } = parseDataBlock(bytes);

  it('yields one DataLine per data set', () => {
    expect(bytes.length).toBe(628);
    expect(lines).toHaveLength(32);
    expect(lines.map((l) => l.id).slice(0, 9)).toEqual(['F.F', '0.0.0', 'C.1.0', 'C.1.1', '0.9.1', '0.9.2', '0.1.0', '0.1.2*11', '1.8.0']);
  });
  it('splits values and units', () => {
    expect(lines[8]).toEqual({ id: '1.8.0', values: [{ value: '001234.56', unit: 'kWh' }] });
    expect(lines[14]).toEqual({ id: '3.8.0', values: [{ value: '000456.78', unit: 'kvarh' }] });
    expect(lines[12]).toEqual({ id: '1.8.0*11', values: [{ value: '001100.00', unit: 'kWh' }] });
    expect(lines[19]).toEqual({ id: '32.7', values: [{ value: '230.1', unit: 'V' }] });
  });
  it('keeps values without unit and time stamps with spaces and colons', () => {
    expect(lines[0]).toEqual({ id: 'F.F', values: [{ value: '00000000' }] });
    expect(lines[4]).toEqual({ id: '0.9.1', values: [{ value: '14:32:05' }] });
    expect(lines[7]).toEqual({ id: '0.1.2*11', values: [{ value: '24-11-01 00:00' }] });
    expect(lines[26]).toEqual({ id: '13.7', values: [{ value: '0.98' }] });
  });
  it('collects two values on one line (maximum demand and its time)', () => {
    expect(lines[16]).toEqual({ id: '1.6.0', values: [{ value: '0001.23', unit: 'kW' }, { value: '24-11-25 12:00' }] });
    expect(lines[18]).toEqual({ id: '1.6.0*11', values: [{ value: '0001.87', unit: 'kW' }, { value: '24-10-14 19:30' }] });
  });
  it('keeps empty values and a bare unit separator', () => {
    expect(lines[29]).toEqual({ id: 'C.2.1', values: [{ value: '24-01-15 10:22' }, { value: '' }] });
    expect(lines[30]).toEqual({ id: 'C.51.0', values: [{ value: '', unit: '' }] });
  });
  it('re-encodes to the identical bytes', () => {
    expect(toHex(encodeDataBlock(lines))).toBe(toHex(bytes));
  });
  it('maps the common EDIS ids to OBIS through the default table', () => {
    const mapped = mapReadout(lines);
    expect(mapped.map((m) => [m.id, m.obis])).toEqual([
      ['C.1.0', '0.0.96.1.0.255'],
      ['0.9.1', '1.0.0.9.1.255'],
      ['0.9.2', '1.0.0.9.2.255'],
      ['1.8.0', '1.0.1.8.0.255'],
      ['1.8.1', '1.0.1.8.1.255'],
      ['1.8.2', '1.0.1.8.2.255'],
      ['1.8.3', '1.0.1.8.3.255'],
      ['2.8.0', '1.0.2.8.0.255'],
      ['3.8.0', '1.0.3.8.0.255'],
    ]);
  });
  it('lets a model profile override the table', () => {
    // A model whose tariff registers are numbered differently: 1.8.1 holds what we file under tariff 2.
    const table = { ...DEFAULT_EDIS_TO_OBIS, '1.8.1': '1.0.1.8.2.255', '1.8.2': '1.0.1.8.1.255', '0.0.0': '0.0.96.1.0.255' };
    expect(edisToObis('1.8.1', table)).toBe('1.0.1.8.2.255');
    expect(edisToObis('0.0.0', table)).toBe('0.0.96.1.0.255');
    expect(edisToObis('0.0.0')).toBeUndefined();
    expect(edisToObis('toString')).toBeUndefined();
    expect(mapReadout(lines, { '32.7': '1.0.32.7.0.255' })).toEqual([{ obis: '1.0.32.7.0.255', id: '32.7', values: [{ value: '230.1', unit: 'V' }] }]);
  });
});

describe('data block syntax', () => {
  it('splits several addressed data sets on one line into separate DataLines', () => {
    expect(parseDataBlock(framed('1.8.1(1*kWh)1.8.2(2*kWh)(x)\r\n!\r\n')).lines).toEqual([
      { id: '1.8.1', values: [{ value: '1', unit: 'kWh' }] },
      { id: '1.8.2', values: [{ value: '2', unit: 'kWh' }, { value: 'x' }] },
    ]);
  });
  it('gives a line that starts with "(" the empty id', () => {
    expect(parseDataBlock(framed('(12345)\r\n!\r\n')).lines).toEqual([{ id: '', values: [{ value: '12345' }] }]);
  });
  it('accepts an empty readout and skips empty lines', () => {
    expect(parseDataBlock(framed('!\r\n')).lines).toEqual([]);
    expect(parseDataBlock(framed('\r\n1.8.0(1)\r\n!\r\n')).lines).toEqual([{ id: '1.8.0', values: [{ value: '1' }] }]);
  });
  it('names what is wrong and where', () => {
    expect(messageOf(() => parseDataBlock(framed('1.8.0(12\r\n!\r\n')))).toContain("value opened at offset 6 is not closed");
    expect(messageOf(() => parseDataBlock(framed('1.8.0\r\n!\r\n')))).toContain('"1.8.0" at offset 1 has no value');
    expect(messageOf(() => parseDataBlock(framed('1.8.0(1(2)\r\n!\r\n')))).toContain("'(' at offset 8");
    expect(messageOf(() => parseDataBlock(framed('1.8)(1)\r\n!\r\n')))).toContain("address contains byte 0x29 ')' at offset 4");
    expect(messageOf(() => parseDataBlock(framed('1.8.0(1)\r\n')))).toContain("expected '!' CR LF");
    expect(messageOf(() => parseDataBlock(framed('1.8.0(1)!\r\n')))).toContain('does not end with CR LF');
    expect(messageOf(() => parseDataBlock(framed('1.8.0(\x811)\r\n!\r\n')))).toContain('strip the parity bit');
    expect(messageOf(() => parseDataBlock(asciiBytes('1.8.0(1)')))).toContain('expected STX');
  });
  it('reports truncation and trailing bytes', () => {
    const ok = encodeDataBlock([{ id: '1', values: [{ value: '2' }] }]);
    expect(codeOf(() => parseDataBlock(new Uint8Array(0)))).toBe('DLMS_TRUNCATED');
    expect(codeOf(() => parseDataBlock(ok.subarray(0, ok.length - 1)))).toBe('DLMS_TRUNCATED');
    expect(codeOf(() => parseDataBlock(ok.subarray(0, ok.length - 2)))).toBe('DLMS_TRUNCATED');
    expect(codeOf(() => parseDataBlock(concatBytes([ok, Uint8Array.of(0x41)])))).toBe('DLMS_IEC21_PROTOCOL');
  });
  it('finds the end of a block only once the BCC is there', () => {
    const ok = encodeDataBlock([{ id: '1', values: [{ value: '2' }] }]);
    expect(dataBlockEnd(ok, 0)).toBe(ok.length);
    expect(dataBlockEnd(ok.subarray(0, ok.length - 1), 0)).toBe(-1);
    expect(dataBlockEnd(concatBytes([ok, ok]), 0)).toBe(ok.length);
  });
  it('refuses to encode what the standard forbids', () => {
    expect(codeOf(() => encodeDataBlock([{ id: '1.8.0', values: [] }]))).toBe('DLMS_IEC21_PROTOCOL');
    expect(messageOf(() => encodeDataBlock([{ id: '1.8.0', values: [{ value: '1*2' }] }]))).toContain('"*" at index 1');
    expect(codeOf(() => encodeDataBlock([{ id: '1(8', values: [{ value: '1' }] }]))).toBe('DLMS_IEC21_PROTOCOL');
    expect(codeOf(() => encodeDataBlock([{ id: '1', values: [{ value: '1', unit: 'k/h' }] }]))).toBe('DLMS_IEC21_PROTOCOL');
    expect(codeOf(() => encodeDataBlock([{ id: '1', values: [{ value: 'é' }] }]))).toBe('DLMS_IEC21_PROTOCOL');
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));
const charsWithout = (forbidden: string) => fc.constantFrom(...printable.filter((c) => !forbidden.includes(c)));

const dataLineArb: fc.Arbitrary<DataLine> = fc.record({
  id: fc.string({ unit: charsWithout('()/!'), minLength: 1, maxLength: 16 }),
  values: fc.array(
    fc
      .tuple(fc.string({ unit: charsWithout('()*/!'), maxLength: 32 }), fc.option(fc.string({ unit: charsWithout('()*/!'), maxLength: 16 }), { nil: undefined }))
      .map(([value, unit]) => (unit === undefined ? { value } : { value, unit })),
    { minLength: 1, maxLength: 4 },
  ),
});

describe('properties', () => {
  it('random data lines round-trip through encodeDataBlock / parseDataBlock', () => {
    fc.assert(
      fc.property(fc.array(dataLineArb, { maxLength: 20 }), (lines) => {
        // fc.record builds objects with another prototype: compare against plain copies, strictly
        // (a `unit: undefined` where none was given would fail here).
        const plain = JSON.parse(JSON.stringify(lines)) as DataLine[];
        expect(parseDataBlock(encodeDataBlock(lines)).lines).toStrictEqual(plain);
      }),
      { numRuns: 500 },
    );
  });
  it('random bytes give a DlmsError, never another exception', () => {
    const check = (bytes: Uint8Array): void => {
      try {
        parseDataBlock(bytes);
      } catch (e) {
        if (!isDlmsError(e)) throw e;
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: 2000 });
    // Framed with a valid BCC, so that the syntax checks past the checksum get exercised too.
    const alphabet = fc.constantFrom(...'0123456789.*()!:- CkWhF\r\n\x02\x03\x00\xff'.split('').map((c) => c.charCodeAt(0)));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 80 }), (body) => {
        const f = new Uint8Array(body.length + 3);
        f[0] = 0x02;
        f.set(body, 1);
        f[body.length + 1] = 0x03;
        f[body.length + 2] = blockCheck(f, 1, body.length + 1);
        check(f);
      }),
      { numRuns: 3000 },
    );
  });
});
