import { describe, expect, it } from 'vitest';
import { fromHex } from '../../shared/bytes.js';
import { DlmsError } from '../errors.js';
import { dlms } from './build.js';
import { asArray, asDateTime, asInteger, asNumber, asOctets, asString, asStructure } from './read.js';
import type { DlmsData } from './types.js';

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof DlmsError) return `${e.code}: ${e.message}`;
    return `other: ${String(e)}`;
  }
  return 'no error';
}

describe('dlms constructors', () => {
  it('build the right types', () => {
    expect(dlms.u8(1)).toEqual({ type: 'unsigned', value: 1 });
    expect(dlms.u16(1)).toEqual({ type: 'long-unsigned', value: 1 });
    expect(dlms.u32(1)).toEqual({ type: 'double-long-unsigned', value: 1 });
    expect(dlms.i8(-1)).toEqual({ type: 'integer', value: -1 });
    expect(dlms.i16(-1)).toEqual({ type: 'long', value: -1 });
    expect(dlms.i32(-1)).toEqual({ type: 'double-long', value: -1 });
    expect(dlms.u64(1n)).toEqual({ type: 'long64-unsigned', value: 1n });
    expect(dlms.i64(-1n)).toEqual({ type: 'long64', value: -1n });
    expect(dlms.enumOf(30)).toEqual({ type: 'enum', value: 30 });
    expect(dlms.octets('0100 0108 00FF')).toEqual({ type: 'octet-string', value: fromHex('0100010800FF') });
    expect(dlms.visible('x')).toEqual({ type: 'visible-string', value: 'x' });
    expect(dlms.bool(true)).toEqual({ type: 'boolean', value: true });
    expect(dlms.structure(dlms.nul, dlms.u8(2))).toEqual({ type: 'structure', value: [{ type: 'null-data' }, { type: 'unsigned', value: 2 }] });
    expect(dlms.array([dlms.nul])).toEqual({ type: 'array', value: [{ type: 'null-data' }] });
    expect(dlms.dateTimeOctets({ year: 2021, month: 6, dayOfMonth: 3, dayOfWeek: 4, hour: 14, minute: 9, second: 23, hundredths: 0, deviation: -60, clockStatus: 0 })).toEqual({
      type: 'octet-string',
      value: fromHex('07E50603040E091700FFC400'),
    });
  });

  it('refuse out-of-range values where they are made', () => {
    expect(message(() => dlms.u8(256))).toMatch(/^DLMS_BAD_DATA: unsigned value 256/);
    expect(message(() => dlms.i16(40000))).toMatch(/^DLMS_BAD_DATA/);
    expect(message(() => dlms.u64(-1n))).toMatch(/^DLMS_BAD_DATA/);
    expect(message(() => dlms.octets('0G'))).toMatch(/^DLMS_BAD_DATA: octet-string hex/);
  });
});

describe('readers', () => {
  it('asInteger takes any integer type or enum', () => {
    expect(asInteger(dlms.i8(-2))).toBe(-2);
    expect(asInteger(dlms.enumOf(3))).toBe(3);
    expect(asInteger(dlms.u64(1n << 60n))).toBe(1n << 60n);
    expect(message(() => asInteger(dlms.visible('1')))).toBe('DLMS_BAD_DATA: expected an integer type or enum, found visible-string');
  });

  it('asNumber takes floats and safe 64-bit integers, refuses unsafe ones', () => {
    expect(asNumber(dlms.f32(1.5))).toBe(1.5);
    expect(asNumber(dlms.i64(-5n))).toBe(-5);
    expect(message(() => asNumber(dlms.u64(1n << 60n)))).toMatch(/^DLMS_BAD_DATA: .*does not fit a JS number exactly/);
    expect(message(() => asNumber(dlms.nul))).toMatch(/found null-data/);
  });

  it('asOctets / asString', () => {
    expect(asOctets(dlms.octets('01'))).toEqual(fromHex('01'));
    expect(message(() => asOctets(dlms.u8(1)))).toBe('DLMS_BAD_DATA: expected octet-string, found unsigned');
    expect(asString(dlms.octets('49534BE9'))).toBe('ISKé');
    expect(asString(dlms.visible('ab'))).toBe('ab');
    expect(asString(dlms.utf8('ế'))).toBe('ế');
  });

  it('asArray also reads compact-array values; asStructure checks the length', () => {
    expect(asArray(dlms.array([dlms.u8(1)]))).toEqual([dlms.u8(1)]);
    const compact: DlmsData = { type: 'compact-array', value: { typeDescription: { type: 'unsigned' }, values: [dlms.u8(7)] } };
    expect(asArray(compact)).toEqual([dlms.u8(7)]);
    expect(asStructure(dlms.structure(dlms.u8(1), dlms.u8(2)), 2)).toHaveLength(2);
    expect(message(() => asStructure(dlms.structure(dlms.u8(1)), 2))).toBe(
      'DLMS_BAD_DATA: expected structure of at least 2 elements, found structure(1)',
    );
    expect(message(() => asArray(dlms.structure()))).toBe('DLMS_BAD_DATA: expected array, found structure(0)');
  });

  it('asDateTime accepts octet-string(12) and tag 25, nothing else', () => {
    const dt = { year: 2021, month: 6, dayOfMonth: 3, dayOfWeek: 4, hour: 14, minute: 9, second: 23, hundredths: 0, deviation: -60, clockStatus: 0 };
    expect(asDateTime(dlms.dateTimeOctets(dt))).toEqual(dt);
    expect(asDateTime(dlms.dateTime(dt))).toEqual(dt);
    expect(asDateTime(dlms.octets('0102'))).toBeUndefined();
    expect(asDateTime(dlms.u32(1))).toBeUndefined();
  });
});
