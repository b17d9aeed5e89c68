import { describe, expect, it } from 'vitest';
import { fromHex } from '../../shared/bytes.js';
import { vectorsOf } from '../../../test/fixtures/vectors.js';
import { crc16x25, readCheck } from './crc.js';

describe('crc16x25 (CRC-16/X.25)', () => {
  it('gives the catalogue check value 0x906E for "123456789"', () => {
    expect(crc16x25(new TextEncoder().encode('123456789'))).toBe(0x906e);
  });

  it('gives 0x0000 for no bytes (init and xorout cancel)', () => {
    expect(crc16x25(new Uint8Array(0))).toBe(0x0000);
  });

  it('matches hand-checked HDLC check sequences (SNRM FCS 0F 01, sent low byte first)', () => {
    const snrm = fromHex('7EA0070321930F017E');
    expect(crc16x25(snrm, 1, 6)).toBe(0x010f);
    expect(readCheck(snrm, 6)).toBe(0x010f);
  });

  it('honours start/end and clamps out-of-range bounds', () => {
    const b = new TextEncoder().encode('xx123456789yy');
    expect(crc16x25(b, 2, 11)).toBe(0x906e);
    expect(crc16x25(b, -5, 100)).toBe(crc16x25(b));
    expect(crc16x25(b, 8, 3)).toBe(0);
  });

  it('verifies the FCS (and HCS when present) of every hdlc vector', () => {
    for (const v of vectorsOf('hdlc')) {
      const b = fromHex(v.hex);
      const fcsAt = b.length - 3;
      expect(crc16x25(b, 1, fcsAt), v.name).toBe(readCheck(b, fcsAt));
      // A frame with an FCS over itself plus the FCS gives the X.25 "good" residue 0xF0B8 ^ 0xFFFF.
      expect(crc16x25(b, 1, b.length - 1) ^ 0xffff, v.name).toBe(0xf0b8);
    }
  });
});
