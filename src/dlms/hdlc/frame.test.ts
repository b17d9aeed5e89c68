import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../shared/bytes.js';
import { vectorsOf } from '../../../test/fixtures/vectors.js';
import { isDlmsError } from '../errors.js';
import type { HdlcAddress } from './address.js';
import { decodeControl, encodeControl, type Control } from './control.js';
import { decodeFrame, encodeFrame, type HdlcFrame } from './frame.js';

interface VectorAddress {
  bytes: string;
  length: number;
  client_sap?: number;
  server_logical?: number;
  server_physical?: number;
}

interface VectorHdlc {
  segmented: boolean;
  dest: VectorAddress;
  src: VectorAddress;
  control: string;
  frame: { type: string; 'N(S)'?: number; 'N(R)'?: number; 'P/F': number };
  info_length?: number;
}

function expectAddress(a: HdlcAddress, d: VectorAddress, name: string): void {
  expect(a.size, name).toBe(d.length);
  expect(a.upper, name).toBe(d.client_sap ?? d.server_logical);
  expect(a.lower, name).toBe(d.server_physical);
}

describe('HDLC frames: every hdlc vector', () => {
  const hdlc = vectorsOf('hdlc');

  it('has the 36 vectors this suite was written against', () => {
    expect(hdlc.length).toBe(36);
  });

  for (const v of hdlc) {
    it(`decodes and re-encodes: ${v.name}`, () => {
      const bytes = fromHex(v.hex);
      const d = (v.decoded as { hdlc: VectorHdlc }).hdlc;
      const f = decodeFrame(bytes);
      expect(f.segmented).toBe(d.segmented);
      expectAddress(f.destination, d.dest, 'destination');
      expectAddress(f.source, d.src, 'source');
      expect(f.control.type).toBe(d.frame.type);
      expect(f.control.pf).toBe(d.frame['P/F'] === 1);
      if (f.control.type === 'I') expect(f.control.ns).toBe(d.frame['N(S)']);
      if (f.control.type === 'I' || f.control.type === 'RR' || f.control.type === 'RNR') {
        expect(f.control.nr).toBe(d.frame['N(R)']);
      }
      expect(encodeControl(f.control)).toBe(parseInt(d.control, 16));
      expect(f.information?.length).toBe(d.info_length);
      expect(toHex(encodeFrame(f))).toBe(v.hex.toUpperCase());
    });
  }
});

describe('HDLC frames: hand-checked cases', () => {
  it('builds an SNRM byte by byte', () => {
    const f: HdlcFrame = {
      segmented: false,
      destination: { upper: 1, size: 1 },
      source: { upper: 16, size: 1 },
      control: { type: 'SNRM', pf: true },
    };
    // 7E | A0 07 (type 3, S=0, length 7) | 03 (server 1) | 21 (client 16) | 93 (SNRM, P) | 0F 01 (FCS) | 7E
    expect(toHex(encodeFrame(f), ' ')).toBe('7E A0 07 03 21 93 0F 01 7E');
  });

  it('sets the S bit and the 11-bit length', () => {
    const info = new Uint8Array(300).fill(0x55);
    const b = encodeFrame({
      segmented: true,
      destination: { upper: 16, size: 1 },
      source: { upper: 1, size: 1 },
      control: { type: 'I', ns: 3, nr: 6, pf: false },
      information: info,
    });
    const length = 2 + 1 + 1 + 1 + 2 + 300 + 2;
    expect(b[1]).toBe(0xa8 | (length >> 8));
    expect(b[2]).toBe(length & 0xff);
    expect(b.length).toBe(length + 2);
    expect(decodeFrame(b).information).toEqual(info);
  });

  it('omits HCS and information for an empty information field', () => {
    const f: HdlcFrame = {
      segmented: false,
      destination: { upper: 1, size: 1 },
      source: { upper: 16, size: 1 },
      control: { type: 'UI', pf: false },
      information: new Uint8Array(0),
    };
    expect(encodeFrame(f).length).toBe(9);
    expect(decodeFrame(encodeFrame(f)).information).toBeUndefined();
  });

  it('refuses frames longer than the 11-bit length field', () => {
    expect(() =>
      encodeFrame({
        segmented: false,
        destination: { upper: 1, size: 1 },
        source: { upper: 16, size: 1 },
        control: { type: 'UI', pf: false },
        information: new Uint8Array(2040),
      }),
    ).toThrow(/exceeds the 11-bit length field/);
  });

  it('reports a bad FCS as DLMS_BAD_CHECKSUM with expected and found', () => {
    const b = fromHex('7EA0070321930F027E');
    try {
      decodeFrame(b);
      expect.unreachable();
    } catch (e) {
      expect(isDlmsError(e, 'DLMS_BAD_CHECKSUM')).toBe(true);
      expect((e as Error).message).toBe('FCS at byte 6 is 0x020F, expected 0x010F (CRC-16/X.25, sent low byte first)');
      expect((e as { context: object }).context).toMatchObject({ expected: 0x010f, found: 0x020f, field: 'FCS' });
    }
  });

  it('reports a bad HCS as DLMS_BAD_CHECKSUM', () => {
    const b = fromHex('7EA0190321B45239E6E600C001C100080000010000FF0200601A7E');
    expect(() => decodeFrame(b)).toThrow(/HCS at byte 6 is 0x3952, expected 0x3951/);
  });

  it('reports layout errors as DLMS_BAD_FRAME', () => {
    const cases: [string, RegExp][] = [
      ['00A0070321930F017E', /not the opening flag/],
      ['7EA0070321930F0100', /not the closing flag/],
      ['7EB0070321930F017E', /not frame format type 3/],
      ['7EA0080321930F017E', /announces 8 bytes but 7/],
      ['7EA00700020023217E', /destination address at byte 3 runs into the FCS/],
    ];
    for (const [hex, message] of cases) {
      try {
        decodeFrame(fromHex(hex));
        expect.unreachable(hex);
      } catch (e) {
        expect(isDlmsError(e, 'DLMS_BAD_FRAME'), hex).toBe(true);
        expect((e as Error).message).toMatch(message);
      }
    }
  });

  it('decodes control bytes of every kind and rejects REJ/SREJ and unknown U-frames', () => {
    expect(decodeControl(0x10)).toEqual({ type: 'I', ns: 0, nr: 0, pf: true });
    expect(decodeControl(0xfe)).toEqual({ type: 'I', ns: 7, nr: 7, pf: true });
    expect(decodeControl(0x51)).toEqual({ type: 'RR', nr: 2, pf: true });
    expect(decodeControl(0x05)).toEqual({ type: 'RNR', nr: 0, pf: false });
    expect(decodeControl(0x93)).toEqual({ type: 'SNRM', pf: true });
    expect(decodeControl(0x1f)).toEqual({ type: 'DM', pf: true });
    expect(decodeControl(0x97)).toEqual({ type: 'FRMR', pf: true });
    expect(decodeControl(0x03)).toEqual({ type: 'UI', pf: false });
    expect(() => decodeControl(0x09)).toThrow(/REJ/);
    expect(() => decodeControl(0x2f)).toThrow(/no known U-frame/);
  });
});

const address: fc.Arbitrary<HdlcAddress> = fc.oneof(
  fc.record({ upper: fc.integer({ min: 0, max: 127 }), size: fc.constant(1 as const) }),
  fc.record({ upper: fc.integer({ min: 0, max: 127 }), lower: fc.integer({ min: 0, max: 127 }), size: fc.constant(2 as const) }),
  fc.record({ upper: fc.integer({ min: 0, max: 16383 }), lower: fc.integer({ min: 0, max: 16383 }), size: fc.constant(4 as const) }),
);
const seq = fc.integer({ min: 0, max: 7 });
const control: fc.Arbitrary<Control> = fc.oneof(
  fc.record({ type: fc.constant('I' as const), ns: seq, nr: seq, pf: fc.boolean() }),
  fc.record({ type: fc.constantFrom('RR' as const, 'RNR' as const), nr: seq, pf: fc.boolean() }),
  fc.record({ type: fc.constantFrom('SNRM' as const, 'DISC' as const, 'UA' as const, 'DM' as const, 'FRMR' as const, 'UI' as const), pf: fc.boolean() }),
);
const frameArbitrary: fc.Arbitrary<HdlcFrame> = fc.record({
  segmented: fc.boolean(),
  destination: address,
  source: address,
  control,
  information: fc.option(fc.uint8Array({ minLength: 1, maxLength: 400 }), { nil: undefined }),
});

describe('HDLC frames: properties', () => {
  it('round-trips random frames', () => {
    fc.assert(
      fc.property(frameArbitrary, (f) => {
        const bytes = encodeFrame(f);
        const back = decodeFrame(bytes);
        expect(back).toEqual(f);
        expect(encodeFrame(back)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but a DlmsError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        try {
          decodeFrame(b);
        } catch (e) {
          expect(isDlmsError(e)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but a DlmsError on framed random bytes (flags and length right)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 5, maxLength: 64 }), fc.boolean(), (body, s) => {
        const len = body.length + 2;
        const b = Uint8Array.from([0x7e, 0xa0 | (s ? 8 : 0) | (len >> 8), len & 0xff, ...body, 0x7e]);
        try {
          decodeFrame(b);
        } catch (e) {
          expect(isDlmsError(e)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
