import { describe, expect, it } from 'vitest';
import { ByteWriter, fromHex, toHex } from '../../shared/bytes.js';
import { isDlmsError } from '../errors.js';
import { lengthSize, readLength, writeLength } from './length.js';

function written(n: number): string {
  const w = new ByteWriter();
  writeLength(w, n);
  return toHex(w.toBytes());
}

describe('A-XDR length', () => {
  it.each([
    [0, '00'],
    [0x7f, '7F'],
    [0x80, '8180'],
    [0xff, '81FF'],
    [0x100, '820100'],
    [474, '8201DA'], // the Gurux datablock vector's raw-data length
    [0xffff, '82FFFF'],
    [0x10000, '83010000'],
    [0x1000000, '8401000000'],
    [0xffffffff, '84FFFFFFFF'],
  ])('%i ↔ %s', (n, hex) => {
    expect(written(n)).toBe(hex);
    expect(lengthSize(n)).toBe(hex.length / 2);
    expect(readLength(fromHex(`AA${hex}BB`), 1)).toEqual({ length: n, next: 1 + hex.length / 2 });
  });

  it('accepts a non-minimal long form', () => {
    expect(readLength(fromHex('8105'), 0)).toEqual({ length: 5, next: 2 });
  });

  it.each([
    ['', 'DLMS_TRUNCATED'],
    ['82', 'DLMS_TRUNCATED'],
    ['8201', 'DLMS_TRUNCATED'],
    ['80', 'DLMS_BAD_DATA'], // indefinite form
    ['850000000001', 'DLMS_BAD_DATA'], // 5 length bytes
  ])('rejects "%s" with %s', (hex, code) => {
    let err: unknown;
    try {
      readLength(fromHex(hex), 0);
    } catch (e) {
      err = e;
    }
    expect(isDlmsError(err, code as 'DLMS_TRUNCATED')).toBe(true);
  });

  it('refuses lengths that cannot be encoded', () => {
    for (const n of [-1, 1.5, 2 ** 32, Number.NaN]) {
      expect(() => written(n)).toThrowError(/cannot be encoded/);
    }
  });
});
