import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../shared/bytes.js';
import { isTransportError } from './errors.js';
import { addEvenParity, evenParityErrors, formatName, parseFormat, stripParity, type LineFormat } from './line-format.js';

const ones = (b: number): number => b.toString(2).split('').filter((c) => c === '1').length;

describe('line formats', () => {
  it('names and parses every format both ways', () => {
    for (const dataBits of [7, 8] as const)
      for (const parity of ['none', 'even', 'odd'] as const)
        for (const stopBits of [1, 2] as const) {
          const format: LineFormat = { dataBits, parity, stopBits };
          expect(parseFormat(formatName(format))).toEqual(format);
        }
    expect(formatName({ dataBits: 7, parity: 'even', stopBits: 1 })).toBe('7E1');
    expect(parseFormat(' 8n1 ')).toEqual({ dataBits: 8, parity: 'none', stopBits: 1 });
  });

  it('rejects a malformed format with TRANSPORT_CONFIG', () => {
    for (const bad of ['', '9N1', '8X1', '8N3', '8N1x']) {
      let error: unknown;
      try {
        parseFormat(bad);
      } catch (e) {
        error = e;
      }
      expect(isTransportError(error, 'TRANSPORT_CONFIG')).toBe(true);
    }
  });
});

describe('7E1 over 8N1', () => {
  it('sets bit 7 to the even parity of the IEC 62056-21 sign-on characters', () => {
    // "/?!\r\n": '/' 0x2F has five ones, CR 0x0D three: both get bit 7; the others already are even.
    expect(addEvenParity(fromHex('2F3F210D0A'))).toEqual(fromHex('AF3F218D0A'));
    // ACK 0 5 0 CR LF (option select "050": 9600 baud, data readout): only CR needs bit 7
    expect(addEvenParity(fromHex('063035300D0A'))).toEqual(fromHex('063035308D0A'));
    // ACK 0 5 2 CR LF (mode E hand-over to HDLC): '2' 0x32 has three ones
    expect(addEvenParity(fromHex('063035320D0A'))).toEqual(fromHex('063035B28D0A'));
  });

  it('always yields even-parity bytes that strip back to the 7-bit characters (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const sent = addEvenParity(bytes);
        for (const b of sent) expect(ones(b) % 2).toBe(0);
        expect(evenParityErrors(sent)).toBe(0);
        expect(stripParity(sent)).toEqual(bytes.map((b) => b & 0x7f));
      }),
    );
  });

  it('counts each byte with one flipped bit as a parity error (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (bytes, at, bit) => {
        const sent = addEvenParity(bytes);
        sent[at % sent.length]! ^= 1 << bit;
        expect(evenParityErrors(sent)).toBe(1);
      }),
    );
  });
});
