import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteWriter, fromHex, toHex } from '../../shared/bytes.js';
import { isDlmsError } from '../errors.js';
import { decodeOid, encodeOid, readTlv, readTlvs, writeBerLength } from './ber.js';

describe('BER OBJECT IDENTIFIER (X.690 §8.19)', () => {
  it('encodes the DLMS names as the Green Book shows them', () => {
    expect(toHex(encodeOid('2.16.756.5.8.1.1'))).toBe('60857405080101');
    expect(toHex(encodeOid('2.16.756.5.8.2.1'))).toBe('60857405080201');
    expect(toHex(encodeOid('2.16.756.5.8.1.3'))).toBe('60857405080103');
  });

  it('decodes them back, including the two-arc first sub-identifier', () => {
    expect(decodeOid(fromHex('60857405080205'))).toBe('2.16.756.5.8.2.5');
    expect(decodeOid(fromHex('2A864886F70D'))).toBe('1.2.840.113549');
    expect(decodeOid(fromHex('8837'))).toBe('2.999');
  });

  it('refuses malformed contents with DLMS_BAD_APDU', () => {
    for (const hex of ['', '6085', '608074', 'FFFFFFFFFF7F']) {
      expect(() => decodeOid(fromHex(hex)), hex).toThrowError(expect.objectContaining({ code: 'DLMS_BAD_APDU' }));
    }
    expect(() => encodeOid('1.40')).toThrowError(expect.objectContaining({ code: 'DLMS_BAD_APDU' }));
    expect(() => encodeOid('2')).toThrowError(expect.objectContaining({ code: 'DLMS_BAD_APDU' }));
    expect(() => encodeOid('2.x.3')).toThrowError(expect.objectContaining({ code: 'DLMS_BAD_APDU' }));
  });

  it('round-trips any OID with arcs up to 2^32 - 1', () => {
    const oid = fc
      .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 8 }))
      .map(([a, b, rest]) => [a, b, ...rest].join('.'));
    fc.assert(fc.property(oid, (o) => decodeOid(encodeOid(o)) === o));
  });
});

describe('BER TLV', () => {
  it('reads short and long definite lengths', () => {
    const long = new Uint8Array(3 + 200);
    long.set([0xbe, 0x81, 200]);
    expect(readTlv(long, 0, long.length, 'x')).toEqual({ tag: 0xbe, start: 0, contentStart: 3, contentEnd: 203 });
    expect(readTlv(fromHex('8001 00'), 0, 3, 'x')).toEqual({ tag: 0x80, start: 0, contentStart: 2, contentEnd: 3 });
  });

  it('writes the shortest definite length', () => {
    const lengths = [0, 127, 128, 255, 256, 65535, 65536];
    const w = new ByteWriter();
    for (const n of lengths) writeBerLength(w, n);
    expect(toHex(w.toBytes())).toBe('007F8180' + '81FF' + '820100' + '82FFFF' + '83010000');
  });

  it('says "truncated" at the end of the input, "bad" inside an enclosing value', () => {
    expect(() => readTlv(fromHex('6033A1'), 0, 3, 'AARQ')).toThrowError(expect.objectContaining({ code: 'DLMS_TRUNCATED' }));
    expect(() => readTlvs(fromHex('A109 0607'), 0, 4, 'component')).toThrowError(expect.objectContaining({ code: 'DLMS_BAD_APDU' }));
    expect(() => readTlv(fromHex('6080'), 0, 2, 'AARQ')).toThrowError(/indefinite/);
    expect(() => readTlv(fromHex('7F1F01'), 0, 3, 'AARQ')).toThrowError(/multi-byte BER tag 0x7F/);
  });

  it('gives only DlmsErrors on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        try {
          readTlvs(b, 0, b.length, 'fuzz');
        } catch (e) {
          if (!isDlmsError(e)) throw e;
        }
      }),
    );
  });
});
