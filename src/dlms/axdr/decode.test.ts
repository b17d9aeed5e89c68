import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/bytes.js';
import { DlmsError } from '../errors.js';
import { dlms } from './build.js';
import { decodeData, decodeDataExact } from './decode.js';
import { encodeData } from './encode.js';
import type { DlmsData } from './types.js';

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof DlmsError) return `${e.code}: ${e.message}`;
    return `not a DlmsError: ${String(e)}`;
  }
  return 'no error';
}

/** Hand-encoded per IEC 62056-6-2 §4.1.5 (tag, then A-XDR content, big-endian). */
const cases: [string, DlmsData][] = [
  ['00', dlms.nul],
  ['FF', dlms.dontCare],
  ['0301', dlms.bool(true)],
  ['0300', dlms.bool(false)],
  ['040CA5F0', dlms.bits({ length: 12, bytes: fromHex('A5F0') })],
  ['0400', dlms.bits({ length: 0, bytes: new Uint8Array(0) })],
  ['05FFFFFFFE', dlms.i32(-2)],
  ['0580000000', dlms.i32(-0x80000000)],
  ['06FFFFFFFF', dlms.u32(0xffffffff)],
  ['0903010203', dlms.octets('010203')],
  ['0A03414243', dlms.visible('ABC')],
  ['0A01E9', dlms.visible('é')], // one byte per char, not UTF-8
  ['0C02C3A9', dlms.utf8('é')],
  ['0D42', dlms.bcd(0x42)],
  ['0FFE', dlms.i8(-2)],
  ['10FF38', dlms.i16(-200)],
  ['11C8', dlms.u8(200)],
  ['12FFFF', dlms.u16(0xffff)],
  ['14FFFFFFFFFFFFFFFF', dlms.i64(-1n)],
  ['158000000000000000', dlms.u64(1n << 63n)],
  ['160F', dlms.enumOf(15)],
  ['173FC00000', dlms.f32(1.5)],
  ['18BFF8000000000000', dlms.f64(-1.5)],
  ['1907E80B15040C1E0000FE5C80', dlms.dateTime({ year: 2024, month: 11, dayOfMonth: 21, dayOfWeek: 4, hour: 12, minute: 30, second: 0, hundredths: 0, deviation: -420, clockStatus: 0x80 })],
  ['1AFFFFFFFFFF', dlms.date({})],
  ['1BFFFFFFFF', dlms.time({})],
  ['0100', dlms.array([])],
  ['0202 1101 0100', dlms.structure(dlms.u8(1), dlms.array([]))],
  // compact-array of long-unsigned: description 12, contents 4 bytes = two values
  ['13 12 04 0001 0002', { type: 'compact-array', value: { typeDescription: { type: 'long-unsigned' }, values: [dlms.u16(1), dlms.u16(2)] } }],
  // compact-array of structure{unsigned, octet-string}: the octet-string keeps its length inside the contents
  [
    '13 020211 09 06 05 020A0B 06 00',
    {
      type: 'compact-array',
      value: {
        typeDescription: { type: 'structure', elements: [{ type: 'unsigned' }, { type: 'octet-string' }] },
        values: [dlms.structure(dlms.u8(5), dlms.octets('0A0B')), dlms.structure(dlms.u8(6), dlms.octets(''))],
      },
    },
  ],
  // compact-array of array(2) of integer
  [
    '13 01000210 04 0001 FFFE',
    {
      type: 'compact-array',
      value: { typeDescription: { type: 'array', count: 2, element: { type: 'long' } }, values: [dlms.array([dlms.i16(1), dlms.i16(-2)])] },
    },
  ],
];

describe('decodeData / encodeData, hand-checked', () => {
  it.each(cases)('%s', (hex, data) => {
    const bytes = fromHex(hex.replace(/ /g, ''));
    expect(decodeDataExact(bytes)).toEqual(data);
    expect(toHex(encodeData(data))).toBe(toHex(bytes));
  });

  it('uses the long length forms for octet-strings of 128 and 300 bytes', () => {
    expect(toHex(encodeData(dlms.octets(new Uint8Array(128)))).slice(0, 6)).toBe('098180');
    expect(toHex(encodeData(dlms.octets(new Uint8Array(300)))).slice(0, 8)).toBe('0982012C');
  });

  it('reads a nonzero boolean byte as true', () => {
    expect(decodeDataExact(fromHex('0302'))).toEqual(dlms.bool(true));
  });

  it('gives decoded octet-strings their own copy of the bytes', () => {
    const buf = fromHex('0902AABB');
    const d = decodeDataExact(buf);
    buf[2] = 0;
    expect(d).toEqual(dlms.octets('AABB'));
  });

  it('reports next for a value followed by more bytes', () => {
    expect(decodeData(fromHex('1200ED 1101'.replace(' ', '')), 0)).toEqual({ data: dlms.u16(237), next: 3 });
    expect(decodeData(fromHex('1200ED1101'), 3)).toEqual({ data: dlms.u8(1), next: 5 });
  });
});

describe('decodeData on bad input', () => {
  it.each([
    ['', 'DLMS_TRUNCATED'],
    ['12', 'DLMS_TRUNCATED'],
    ['1200', 'DLMS_TRUNCATED'],
    ['0905AABB', 'DLMS_TRUNCATED'],
    ['0203 1101 1102', 'DLMS_TRUNCATED'],
    ['1907E8', 'DLMS_TRUNCATED'],
    ['0410FF', 'DLMS_TRUNCATED'], // 16 bits need 2 bytes
    ['07', 'DLMS_BAD_DATA'], // tag 7 (floating-point) is not in the Data CHOICE we accept
    ['0202 1101 0E', 'DLMS_BAD_DATA'],
    ['0980', 'DLMS_BAD_DATA'], // indefinite length
    ['1312 03 000100', 'DLMS_BAD_DATA'], // contents end inside the second long-unsigned
    ['1300 01 00', 'DLMS_BAD_DATA'], // elements of null-data take no bytes
    ['1313 00', 'DLMS_BAD_DATA'], // compact-array inside a compact-array description
    ['1363 00', 'DLMS_BAD_DATA'], // unknown type in the description
  ])('%s → %s', (hex, code) => {
    expect(codeOf(() => decodeData(fromHex(hex.replace(/ /g, ''))))).toMatch(new RegExp(`^${code}`));
  });

  it('names the offset of an unknown tag', () => {
    let err: DlmsError | undefined;
    try {
      decodeData(fromHex('02021101 08'));
    } catch (e) {
      err = e as DlmsError;
    }
    expect(err?.code).toBe('DLMS_BAD_DATA');
    expect(err?.context.offset).toBe(4);
    expect(err?.message).toMatch(/tag 8.*byte 4/);
  });

  it('refuses an array claiming 2^31 elements in 10 bytes before reading any element', () => {
    const bytes = fromHex('01 84 80000000 11011101'.replace(/ /g, ''));
    // The count is checked against the bytes left first: no allocation, no loop over 2^31 elements.
    expect(codeOf(() => decodeData(bytes))).toMatch(/^DLMS_TRUNCATED: array of 2147483648 elements/);
  });

  it('limits nesting depth', () => {
    const ok = fromHex('0101'.repeat(32) + '00');
    expect(() => decodeDataExact(ok)).not.toThrow();
    const deep = fromHex('0101'.repeat(33) + '00');
    expect(codeOf(() => decodeData(deep))).toMatch(/^DLMS_BAD_DATA: data nested deeper than 32/);
    const deepStructure = fromHex('0201'.repeat(10_000) + '00');
    expect(codeOf(() => decodeData(deepStructure))).toMatch(/^DLMS_BAD_DATA/);
  });

  it('stops compact-arrays of empty structures from expanding without bound', () => {
    // structure{ array(65535) of structure{}, unsigned } with 1 content byte would be 65 537 values.
    const bytes = fromHex('13 02 02 01FFFF 0200 11 01 05'.replace(/ /g, ''));
    expect(codeOf(() => decodeData(bytes))).toMatch(/^DLMS_BAD_DATA: more values than the input size/);
  });

  it('refuses trailing bytes in decodeDataExact', () => {
    expect(codeOf(() => decodeDataExact(fromHex('1101 00')))).toMatch(/^DLMS_BAD_DATA: 1 trailing byte/);
  });

  it('refuses an offset outside the buffer', () => {
    expect(codeOf(() => decodeData(fromHex('00'), 5))).toMatch(/^DLMS_BAD_DATA/);
  });
});

describe('encodeData on bad values', () => {
  it.each<[string, DlmsData]>([
    ['integer 128', { type: 'integer', value: 128 }],
    ['unsigned -1', { type: 'unsigned', value: -1 }],
    ['long-unsigned 1.5', { type: 'long-unsigned', value: 1.5 }],
    ['double-long-unsigned 2^32', { type: 'double-long-unsigned', value: 2 ** 32 }],
    ['long64-unsigned -1', { type: 'long64-unsigned', value: -1n }],
    ['long64 2^63', { type: 'long64', value: 1n << 63n }],
    ['bit-string 9 bits in 1 byte', { type: 'bit-string', value: { length: 9, bytes: new Uint8Array(1) } }],
    ['visible-string with a non-latin1 char', { type: 'visible-string', value: 'Ω' }],
    ['date-time with deviation 0x8000', { type: 'date-time', value: { deviation: -32768 } }],
    ['date with month 255', { type: 'date', value: { month: 255 } }],
    [
      'compact-array value of the wrong type',
      { type: 'compact-array', value: { typeDescription: { type: 'unsigned' }, values: [dlms.u16(1)] } },
    ],
    [
      'compact-array of null-data values',
      { type: 'compact-array', value: { typeDescription: { type: 'null-data' }, values: [dlms.nul] } },
    ],
    ['unknown type', { type: 'float128', value: 1 } as unknown as DlmsData],
  ])('%s → DLMS_BAD_DATA', (_name, d) => {
    expect(codeOf(() => encodeData(d))).toMatch(/^DLMS_BAD_DATA/);
  });
});
