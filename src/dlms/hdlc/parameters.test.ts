import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../shared/bytes.js';
import { vectorsOf } from '../../../test/fixtures/vectors.js';
import { isDlmsError } from '../errors.js';
import { decodeFrame } from './frame.js';
import {
  acceptAnswer,
  decodeParameters,
  DEFAULT_PARAMETERS,
  encodeParameters,
  negotiate,
  type HdlcParameters,
} from './parameters.js';

interface VectorParams {
  max_info_field_length_transmit: number;
  max_info_field_length_receive: number;
  window_size_transmit: number;
  window_size_receive: number;
}

const uaVectors = vectorsOf('hdlc').filter((v) => (v.decoded as { hdlc: { hdlc_parameters?: unknown } }).hdlc.hdlc_parameters);

describe('HDLC parameter field', () => {
  it('covers the five UA vectors that carry parameters', () => {
    expect(uaVectors.length).toBe(5);
  });

  for (const v of uaVectors) {
    it(`decodes and re-encodes byte for byte: ${v.name}`, () => {
      const info = decodeFrame(fromHex(v.hex)).information!;
      const p = (v.decoded as { hdlc: { hdlc_parameters: VectorParams } }).hdlc.hdlc_parameters;
      const d = decodeParameters(info);
      expect(d.parameters).toEqual({
        maxInfoTx: p.max_info_field_length_transmit,
        maxInfoRx: p.max_info_field_length_receive,
        windowTx: p.window_size_transmit,
        windowRx: p.window_size_receive,
      });
      expect(toHex(encodeParameters(d.parameters, d.widths))).toBe(toHex(info));
    });
  }

  it('uses 1-byte lengths and 4-byte windows by default (the Gurux UA)', () => {
    expect(toHex(encodeParameters(DEFAULT_PARAMETERS), ' ')).toBe('81 80 12 05 01 80 06 01 80 07 04 00 00 00 01 08 04 00 00 00 01');
    expect(toHex(encodeParameters({ maxInfoRx: 1024 }), ' ')).toBe('81 80 04 06 02 04 00');
    expect(toHex(encodeParameters({}))).toBe('818000');
  });

  it('honours explicit widths and refuses values that do not fit', () => {
    expect(toHex(encodeParameters({ windowTx: 1 }, { windowTx: 1 }))).toBe('8180030701 01'.replace(' ', ''));
    expect(() => encodeParameters({ maxInfoTx: 300 }, { maxInfoTx: 1 })).toThrow(/maxInfoTx = 300 does not fit in 1 byte/);
    expect(() => encodeParameters({ windowRx: -1 })).toThrow(/not an unsigned 32-bit integer/);
  });

  it('skips unknown parameters and groups, accepts 3-byte values', () => {
    // group 0x80 with unknown id 0x09 and a 3-byte max-info-rx; then a user group 0xF0.
    const d = decodeParameters(fromHex('81 80 09 09 02 AA BB 06 03 00 01 00 F0 02 01 02'.replace(/ /g, '')));
    expect(d.parameters).toEqual({ maxInfoRx: 256 });
  });

  it('rejects malformed fields with DLMS_BAD_FRAME', () => {
    const cases: [string, RegExp][] = [
      ['80', /too short/],
      ['8280', /format identifier 0x82 is not 0x81/],
      ['818005050180', /announces 5 bytes/],
      ['818003050200', /parameter 0x05 runs past its group/],
      ['818002050006', /length 0 \(1\.\.4 allowed\)/],
      ['81800705050000000001', /length 5/],
    ];
    for (const [hex, message] of cases) {
      try {
        decodeParameters(fromHex(hex));
        expect.unreachable(hex);
      } catch (e) {
        expect(isDlmsError(e, 'DLMS_BAD_FRAME'), hex).toBe(true);
        expect((e as Error).message, hex).toMatch(message);
      }
    }
  });

  it('negotiates the smaller value per direction, defaults when absent', () => {
    const server: HdlcParameters = { maxInfoTx: 154, maxInfoRx: 154, windowTx: 1, windowRx: 1 };
    // SNRM without parameters: the client can take 128 only.
    expect(negotiate(undefined, server)).toEqual({ maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 });
    // Client proposes 512 tx / 256 rx / windows 7: server's view after negotiation.
    expect(negotiate({ maxInfoTx: 512, maxInfoRx: 256, windowTx: 7, windowRx: 7 }, { ...server, windowTx: 3 })).toEqual({
      maxInfoTx: 154,
      maxInfoRx: 154,
      windowTx: 3,
      windowRx: 1,
    });
    // E650: tx 128 / rx 62 offered, client proposes big values.
    expect(negotiate({ maxInfoTx: 1000, maxInfoRx: 1000 }, { maxInfoTx: 128, maxInfoRx: 62, windowTx: 1, windowRx: 1 })).toMatchObject({
      maxInfoTx: 128,
      maxInfoRx: 62,
    });
  });

  it('client side: takes the UA in its own view, never above its proposal', () => {
    const mine: HdlcParameters = { maxInfoTx: 256, maxInfoRx: 512, windowTx: 1, windowRx: 3 };
    // E650 UA (its view): tx 128, rx 62 → we may send 62 and will receive 128.
    expect(acceptAnswer(mine, { maxInfoTx: 128, maxInfoRx: 62, windowTx: 1, windowRx: 1 })).toEqual({
      maxInfoTx: 62,
      maxInfoRx: 128,
      windowTx: 1,
      windowRx: 1,
    });
    // A meter answering bigger than asked is clamped; a UA without field means defaults.
    expect(acceptAnswer(mine, { maxInfoTx: 2000, maxInfoRx: 2000, windowTx: 7, windowRx: 7 })).toEqual(mine);
    expect(acceptAnswer(mine, undefined)).toEqual({ maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 });
  });

  it('round-trips random parameter sets', () => {
    const value = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(
        fc.record({ maxInfoTx: value, maxInfoRx: value, windowTx: value, windowRx: value }, { requiredKeys: [] }),
        (p) => {
          expect(decodeParameters(encodeParameters(p)).parameters).toEqual(p);
        },
      ),
    );
  });

  it('never throws anything but a DlmsError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.boolean(), (b, prefix) => {
        try {
          decodeParameters(prefix ? Uint8Array.from([0x81, 0x80, ...b]) : b);
        } catch (e) {
          expect(isDlmsError(e)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
