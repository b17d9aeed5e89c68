import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../shared/bytes.js';
import { isDlmsError } from '../errors.js';
import {
  decodeAddress,
  encodeAddress,
  encodeClientAddress,
  encodeServerAddress,
  sameAddress,
  serverAddress,
} from './address.js';

describe('HDLC addresses', () => {
  it('encodes client SAPs as one byte SAP << 1 | 1', () => {
    expect(toHex(encodeClientAddress(16))).toBe('21');
    expect(toHex(encodeClientAddress(17))).toBe('23');
    expect(toHex(encodeClientAddress(48))).toBe('61');
    expect(toHex(encodeClientAddress(100))).toBe('C9');
  });

  it('encodes server addresses of 1, 2 and 4 bytes as in the vectors', () => {
    expect(toHex(encodeServerAddress({ logical: 1, size: 1 }))).toBe('03');
    expect(toHex(encodeServerAddress({ logical: 74, size: 1 }))).toBe('95');
    expect(toHex(encodeServerAddress({ logical: 1, physical: 17, size: 2 }))).toBe('0223');
    expect(toHex(encodeServerAddress({ logical: 1, physical: 17, size: 4 }))).toBe('00020023');
    expect(toHex(encodeServerAddress({ logical: 17, physical: 5481, size: 4 }))).toBe('002254D3');
  });

  it('decodes the vectors and reports length and next offset', () => {
    expect(decodeAddress(fromHex('FF002254D3'), 1)).toEqual({ upper: 17, lower: 5481, size: 4, length: 4, next: 5 });
    expect(decodeAddress(fromHex('0223'), 0)).toEqual({ upper: 1, lower: 17, size: 2, length: 2, next: 2 });
    expect(decodeAddress(fromHex('C9'), 0)).toEqual({ upper: 100, size: 1, length: 1, next: 1 });
  });

  it('rejects out-of-range values with DLMS_BAD_ADDRESS naming the field', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => encodeClientAddress(128), /client SAP 128 is out of range 0\.\.127/],
      [() => encodeClientAddress(-1), /out of range/],
      [() => encodeClientAddress(1.5), /out of range/],
      [() => encodeServerAddress({ logical: 128, size: 1 }), /logical address \(1-byte form\) 128/],
      [() => encodeServerAddress({ logical: 1, physical: 2, size: 1 }), /1-byte server address has no physical/],
      [() => encodeServerAddress({ logical: 1, size: 2 }), /needs a physical address/],
      [() => encodeServerAddress({ logical: 1, physical: 128, size: 2 }), /physical address \(2-byte form\) 128/],
      [() => encodeServerAddress({ logical: 16384, physical: 1, size: 4 }), /logical address \(4-byte form\) 16384 is out of range 0\.\.16383/],
      [() => encodeServerAddress({ logical: 1, physical: 1, size: 3 as 4 }), /size 3 is not 1, 2 or 4/],
    ];
    for (const [f, message] of cases) {
      let caught: unknown;
      try {
        f();
      } catch (e) {
        caught = e;
      }
      expect(isDlmsError(caught, 'DLMS_BAD_ADDRESS')).toBe(true);
      expect((caught as Error).message).toMatch(message);
    }
  });

  it('rejects 3-byte and over-long address fields, and reports a cut field as truncated', () => {
    expect(() => decodeAddress(fromHex('020203'), 0)).toThrow(/3 bytes/);
    expect(() => decodeAddress(fromHex('0202020203'), 0)).toThrow(/longer than 4 bytes/);
    let caught: unknown;
    try {
      decodeAddress(fromHex('0202'), 0);
    } catch (e) {
      caught = e;
    }
    expect(isDlmsError(caught, 'DLMS_TRUNCATED')).toBe(true);
  });

  it('round-trips every 1-, 2- and 4-byte address', () => {
    const spec = fc.oneof(
      fc.record({ logical: fc.integer({ min: 0, max: 127 }), size: fc.constant(1 as const) }),
      fc.record({ logical: fc.integer({ min: 0, max: 127 }), physical: fc.integer({ min: 0, max: 127 }), size: fc.constant(2 as const) }),
      fc.record({ logical: fc.integer({ min: 0, max: 16383 }), physical: fc.integer({ min: 0, max: 16383 }), size: fc.constant(4 as const) }),
    );
    fc.assert(
      fc.property(spec, (s) => {
        const bytes = encodeServerAddress(s);
        expect(bytes.length).toBe(s.size);
        const d = decodeAddress(bytes, 0);
        expect(d.length).toBe(s.size);
        expect(d.upper).toBe(s.logical);
        expect(d.lower).toBe('physical' in s ? s.physical : undefined);
        expect(encodeAddress(d)).toEqual(bytes);
      }),
    );
  });

  it('compares stations by value, not by field size', () => {
    expect(sameAddress(serverAddress({ logical: 1, physical: 17, size: 2 }), serverAddress({ logical: 1, physical: 17, size: 4 }))).toBe(true);
    expect(sameAddress(serverAddress({ logical: 1, size: 1 }), serverAddress({ logical: 1, physical: 17, size: 2 }))).toBe(false);
  });

  it('never throws anything but a DlmsError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.integer({ min: 0, max: 8 }), (b, off) => {
        try {
          decodeAddress(b, off);
        } catch (e) {
          expect(isDlmsError(e)).toBe(true);
        }
      }),
    );
  });
});
