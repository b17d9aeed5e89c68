import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CONFORMANCE_BITS,
  DEFAULT_CLIENT_CONFORMANCE,
  conformanceFromNumber,
  conformanceToNumber,
  describeConformance,
} from './conformance.js';

describe('conformance block (IEC 62056-5-3 §7.3.1)', () => {
  it('numbers bits from the most significant bit of the first byte', () => {
    expect(CONFORMANCE_BITS).toHaveLength(24);
    expect([...conformanceFromNumber(0x400000)]).toEqual(['general-protection']);
    expect([...conformanceFromNumber(0x000001)]).toEqual(['action']);
    expect([...conformanceFromNumber(0x000010)]).toEqual(['get']);
    expect([...conformanceFromNumber(0x000100)]).toEqual(['information-report']);
    expect([...conformanceFromNumber(0x001000)]).toEqual(['block-transfer-with-get-or-read']);
  });

  it('reads 0x001E1D as the vectors describe it', () => {
    expect([...conformanceFromNumber(0x001e1d)].sort()).toEqual(
      [
        'block-transfer-with-get-or-read',
        'block-transfer-with-set-or-write',
        'block-transfer-with-action',
        'multiple-references',
        'get',
        'set',
        'selective-access',
        'action',
      ].sort(),
    );
  });

  it('proposes 0x001E1D by default', () => {
    expect(conformanceToNumber(DEFAULT_CLIENT_CONFORMANCE)).toBe(0x001e1d);
    expect(describeConformance(DEFAULT_CLIENT_CONFORMANCE)).toBe(
      '0x001E1D (block-transfer-with-get-or-read, block-transfer-with-set-or-write, block-transfer-with-action, multiple-references, get, set, selective-access, action)',
    );
  });

  it('is lossless for every 24-bit value, reserved bits included', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffff }), (n) => conformanceToNumber(conformanceFromNumber(n)) === n));
    expect(conformanceToNumber(conformanceFromNumber(0xffffff))).toBe(0xffffff);
  });

  it('refuses values beyond 24 bits and unknown names', () => {
    expect(() => conformanceFromNumber(0x1000000)).toThrowError(expect.objectContaining({ code: 'DLMS_BAD_APDU' }));
    expect(() => conformanceToNumber(['get', 'teleport' as never])).toThrowError(/"teleport" is not a conformance bit/);
  });
});
