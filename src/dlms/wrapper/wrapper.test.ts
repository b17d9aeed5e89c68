import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { vectorsOf } from '../../../test/fixtures/vectors.js';
import { bytesEqual, concatBytes, fromHex, toHex } from '../../shared/bytes.js';
import { decodeApdu } from '../apdu/apdu.js';
import { isDlmsError } from '../errors.js';
import { WrapperDeframer } from './deframer.js';
import { decodeWrapper, decodeWrapperHeader, encodeWrapper, type WrapperFrame } from './wrapper.js';

interface WrapperDecoded {
  wrapper: { version: number; source_wport: number; destination_wport: number; length: number };
}

const vectors = vectorsOf('wrapper').map((v) => ({
  name: v.name,
  bytes: fromHex(v.hex),
  header: (v.decoded as unknown as WrapperDecoded).wrapper,
}));

function frameOf(v: (typeof vectors)[number]): WrapperFrame {
  return { source: v.header.source_wport, destination: v.header.destination_wport, payload: v.bytes.slice(8) };
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (!isDlmsError(e)) throw e;
    return e.code;
  }
}

describe('wrapper vectors (IEC 62056-47)', () => {
  it('are all here', () => {
    expect(vectors).toHaveLength(14);
  });

  for (const v of vectors) {
    it(`decodes and re-encodes: ${v.name}`, () => {
      expect(decodeWrapperHeader(v.bytes, 0)).toEqual({
        version: v.header.version,
        source: v.header.source_wport,
        destination: v.header.destination_wport,
        length: v.header.length,
      });
      const frame = decodeWrapper(v.bytes);
      expect(frame).toEqual(frameOf(v));
      expect(frame.payload.length).toBe(v.header.length);
      expect(toHex(encodeWrapper(frame))).toBe(toHex(v.bytes));
      // the payload is one whole APDU
      expect(() => decodeApdu(frame.payload)).not.toThrow();
    });
  }
});

describe('decodeWrapperHeader', () => {
  it('reads a header at an offset', () => {
    const b = fromHex('FFFF 0001 0011 0001 0005 6203800100');
    expect(decodeWrapperHeader(b, 2)).toEqual({ version: 1, source: 17, destination: 1, length: 5 });
  });

  it('names the offset and the value of a wrong version or length', () => {
    expect(() => decodeWrapperHeader(fromHex('0002001100010005'), 0)).toThrowError('wrapper version 0x0002 at byte 0, expected 0x0001');
    expect(() => decodeWrapperHeader(fromHex('000100110001FFFF'), 0, { maxLength: 1024 })).toThrowError(
      'wrapper length 65535 at byte 6 exceeds the maximum 1024',
    );
    expect(codeOf(() => decodeWrapperHeader(fromHex('0002001100010005'), 0))).toBe('DLMS_BAD_FRAME');
    expect(codeOf(() => decodeWrapperHeader(fromHex('00010011000100'), 0))).toBe('DLMS_TRUNCATED');
  });

  it('refuses what it cannot encode', () => {
    expect(() => encodeWrapper({ source: 1, destination: 1, payload: new Uint8Array(65536) })).toThrowError(/exceeds/);
    expect(() => encodeWrapper({ source: 70000, destination: 1, payload: new Uint8Array(1) })).toThrowError(/source 70000/);
  });

  it('decodeWrapper says truncated or bad for short or long buffers', () => {
    const b = vectors[0]!.bytes;
    expect(codeOf(() => decodeWrapper(b.subarray(0, b.length - 1)))).toBe('DLMS_TRUNCATED');
    expect(codeOf(() => decodeWrapper(concatBytes([b, Uint8Array.of(0)])))).toBe('DLMS_BAD_FRAME');
  });
});

describe('WrapperDeframer', () => {
  it('returns each vector whole when split at every byte offset', () => {
    for (const v of vectors) {
      for (let cut = 0; cut <= v.bytes.length; cut++) {
        const d = new WrapperDeframer();
        const first = d.push(v.bytes.subarray(0, cut));
        const second = d.push(v.bytes.subarray(cut));
        expect([...first, ...second], `${v.name} cut at ${cut}`).toEqual([frameOf(v)]);
        expect(first).toHaveLength(cut === v.bytes.length ? 1 : 0);
        expect(d.pending).toBe(0);
      }
    }
  });

  it('returns each vector whole when fed one byte at a time', () => {
    for (const v of vectors) {
      const d = new WrapperDeframer();
      const frames = [...v.bytes].flatMap((b) => d.push(Uint8Array.of(b)));
      expect(frames).toEqual([frameOf(v)]);
    }
  });

  it('cuts a stream of all vectors at every offset into the same frames', () => {
    const stream = concatBytes(vectors.map((v) => v.bytes));
    const expected = vectors.map(frameOf);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new WrapperDeframer();
      expect([...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))], `cut at ${cut}`).toEqual(expected);
    }
  });

  it('cuts a stream of random frames into random chunks', () => {
    const frame = fc.record({ source: fc.integer({ min: 0, max: 0xffff }), destination: fc.integer({ min: 0, max: 0xffff }), payload: fc.uint8Array({ maxLength: 600 }) });
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }), (frames, sizes) => {
        const stream = concatBytes(frames.map(encodeWrapper));
        const d = new WrapperDeframer();
        const out: WrapperFrame[] = [];
        let pos = 0;
        for (let i = 0; pos < stream.length; i++) {
          const n = sizes[i % sizes.length]!;
          out.push(...d.push(stream.subarray(pos, pos + n)));
          pos += n;
        }
        expect(out).toEqual(frames);
        expect(d.pending).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('names the stream offset of a bad header and stays failed', () => {
    const good = vectors[0]!.bytes;
    const d = new WrapperDeframer();
    expect(d.push(good)).toHaveLength(1);
    const bad = fromHex('0003001100010005');
    expect(() => d.push(bad)).toThrowError(`wrapper version 0x0003 at byte ${good.length}, expected 0x0001`);
    expect(() => d.push(good)).toThrowError(/wrapper version 0x0003/);
  });

  it('refuses a length above its configured maximum before buffering the payload', () => {
    const d = new WrapperDeframer({ maxLength: 512 });
    expect(() => d.push(fromHex('0001001100010201'))).toThrowError('wrapper length 513 at byte 6 exceeds the maximum 512');
    expect(() => new WrapperDeframer({ maxLength: 70000 })).toThrowError(/maxLength 70000/);
  });

  it('gives frames or DLMS_BAD_FRAME only, on random bytes in random chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 10 }), (chunks) => {
        const d = new WrapperDeframer({ maxLength: 64 });
        try {
          for (const c of chunks) d.push(c);
        } catch (e) {
          if (!isDlmsError(e, 'DLMS_BAD_FRAME')) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('stays fast for a 64 KiB frame fed one byte at a time', () => {
    const frame = { source: 1, destination: 16, payload: new Uint8Array(65535).map((_, i) => i & 0xff) };
    const bytes = encodeWrapper(frame);
    const d = new WrapperDeframer();
    const out: WrapperFrame[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...d.push(bytes.subarray(i, i + 1)));
    expect(out).toHaveLength(1);
    expect(bytesEqual(out[0]!.payload, frame.payload)).toBe(true);
  });
});
