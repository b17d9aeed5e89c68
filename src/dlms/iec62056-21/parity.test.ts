import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../shared/bytes.js';
import { DlmsError, isDlmsError } from '../errors.js';
import { asciiBytes } from './chars.js';
import { encodeRequest } from './messages.js';
import { addEvenParity, parityErrorOffset, stripParity } from './parity.js';

describe('7E1 parity in software', () => {
  it('adds bit 7 where the 7 data bits have an odd number of ones', () => {
    // '/' 0x2F = 0101111 (5 ones) → 0xAF; '?' 0x3F (6 ones) → 0x3F; '!' 0x21 (2) → 0x21;
    // CR 0x0D = 0001101 (3) → 0x8D; LF 0x0A (2) → 0x0A
    expect(toHex(addEvenParity(encodeRequest()))).toBe('AF3F218D0A');
    // ACK 0x06 (2) → 0x06; '0' 0x30 (2) → 0x30; '5' 0x35 (4) → 0x35; STX 0x02 (1) → 0x82; ETX 0x03 (2) → 0x03
    expect(toHex(addEvenParity(Uint8Array.of(0x06, 0x30, 0x35, 0x02, 0x03)))).toBe('06303582' + '03');
  });
  it('strips what it added', () => {
    const plain = asciiBytes('/ISk5MT174-0001\r\n');
    expect(stripParity(addEvenParity(plain))).toEqual(plain);
  });
  it('reports the first byte with bad parity by offset', () => {
    const wire = addEvenParity(asciiBytes('/?!\r\n'));
    wire[3] = (wire[3] as number) ^ 0x80; // CR now has odd parity
    wire[4] = (wire[4] as number) ^ 0x01;
    expect(parityErrorOffset(wire)).toBe(3);
    try {
      stripParity(wire);
      throw new Error('did not throw');
    } catch (e) {
      expect(e).toBeInstanceOf(DlmsError);
      expect((e as DlmsError).code).toBe('DLMS_BAD_CHECKSUM');
      expect((e as DlmsError).message).toBe('parity: byte 0x0d at offset 3 fails even parity');
      expect((e as DlmsError).context).toEqual({ offset: 3 });
    }
  });
  it('refuses 8-bit input when adding parity', () => {
    try {
      addEvenParity(Uint8Array.of(0x41, 0xc1));
      throw new Error('did not throw');
    } catch (e) {
      expect(isDlmsError(e, 'DLMS_IEC21_PROTOCOL')).toBe(true);
      expect((e as Error).message).toContain('offset 1');
    }
  });
  it('every 7-bit byte round-trips and gains an even number of ones', () => {
    fc.assert(
      fc.property(fc.uint8Array({ max: 0x7f, maxLength: 64 }), (bytes) => {
        const wire = addEvenParity(bytes);
        expect(parityErrorOffset(wire)).toBeUndefined();
        expect(stripParity(wire)).toEqual(bytes);
      }),
    );
  });
  it('random bytes give a DlmsError or the stripped bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          const out = stripParity(bytes);
          expect(out.every((b) => b < 0x80)).toBe(true);
        } catch (e) {
          expect(isDlmsError(e, 'DLMS_BAD_CHECKSUM')).toBe(true);
        }
      }),
    );
  });
});
