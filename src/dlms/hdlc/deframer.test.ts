import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../../shared/bytes.js';
import { vectorsOf } from '../../../test/fixtures/vectors.js';
import { isDlmsError } from '../errors.js';
import { deframe, HdlcDeframer, INITIAL_DEFRAMER } from './deframer.js';
import { decodeFrame, encodeFrame, type HdlcFrame } from './frame.js';

const vectors = vectorsOf('hdlc').map((v) => ({ name: v.name, bytes: fromHex(v.hex) }));
const hcs7e = fromHex(vectorsOf('hdlc').find((v) => v.name.includes('whose HCS contains 0x7E'))!.hex);
const fcs7e = fromHex(vectorsOf('hdlc').find((v) => v.name.includes('whose FCS contains 0x7E'))!.hex);
const snrm = fromHex('7EA0070321930F017E');

function feed(chunks: Uint8Array[], d = new HdlcDeframer()): { frames: HdlcFrame[]; errors: Error[] } {
  const frames: HdlcFrame[] = [];
  const errors: Error[] = [];
  for (const c of chunks) {
    const r = d.push(c);
    frames.push(...r.frames);
    errors.push(...r.errors);
  }
  return { frames, errors };
}

/** Back-to-back frames sharing one flag: …7E A0… */
function shareFlags(frames: Uint8Array[]): Uint8Array {
  return concatBytes(frames.map((f, i) => (i === 0 ? f : f.subarray(1))));
}

describe('HdlcDeframer', () => {
  it('the stress vectors really carry 0x7E inside HCS and FCS', () => {
    expect([hcs7e[6], hcs7e[7]]).toEqual([0x49, 0x7e]);
    expect([fcs7e[fcs7e.length - 3], fcs7e[fcs7e.length - 2], fcs7e[fcs7e.length - 1]]).toEqual([0x87, 0x7e, 0x7e]);
  });

  it('yields every vector split at every byte offset, with no error', () => {
    for (const v of vectors) {
      const expected = decodeFrame(v.bytes);
      for (let cut = 0; cut <= v.bytes.length; cut++) {
        const r = feed([v.bytes.subarray(0, cut), v.bytes.subarray(cut)]);
        expect(r.errors, `${v.name} @${cut}`).toEqual([]);
        expect(r.frames, `${v.name} @${cut}`).toEqual([expected]);
      }
    }
  });

  it('yields every vector fed one byte at a time', () => {
    const all = concatBytes(vectors.map((v) => v.bytes));
    const r = feed(Array.from(all, (b) => Uint8Array.of(b)));
    expect(r.errors).toEqual([]);
    expect(r.frames).toEqual(vectors.map((v) => decodeFrame(v.bytes)));
  });

  it('yields all vectors concatenated with separate flags (7E 7E) and with shared flags (7E A0)', () => {
    const expected = vectors.map((v) => decodeFrame(v.bytes));
    const separate = feed([concatBytes(vectors.map((v) => v.bytes))]);
    expect(separate.errors).toEqual([]);
    expect(separate.frames).toEqual(expected);
    const shared = feed([shareFlags(vectors.map((v) => v.bytes))]);
    expect(shared.errors).toEqual([]);
    expect(shared.frames).toEqual(expected);
  });

  it('splits HCS-7E, FCS-7E and SNRM frames sharing flags at every pair of offsets', () => {
    const stream = shareFlags([hcs7e, fcs7e, snrm, fcs7e]);
    const expected = [hcs7e, fcs7e, snrm, fcs7e].map((f) => toHex(f)).join('|');
    for (let a = 0; a <= stream.length; a += 3) {
      for (let b = a; b <= stream.length; b += 7) {
        const r = feed([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]);
        if (r.errors.length > 0) expect(r.errors, `@${a},${b}`).toEqual([]);
        const got = r.frames.map((f) => toHex(encodeFrame(f))).join('|');
        if (got !== expected) expect(got, `@${a},${b}`).toBe(expected);
      }
    }
  });

  it('skips idle flags without complaint', () => {
    const r = feed([fromHex('7E7E7E'), snrm, fromHex('7E7E')]);
    expect(r.errors).toEqual([]);
    expect(r.frames.length).toBe(1);
  });

  it('reports noise before and between frames once per run, and keeps the frames', () => {
    const noise1 = fromHex('00FF1255');
    const noise2 = fromHex('7E0102037E7EA0'); // a flag, junk, flags and a lone format byte
    const r = feed([concatBytes([noise1, hcs7e, noise2, fcs7e, snrm])]);
    expect(r.frames).toEqual([hcs7e, fcs7e, snrm].map(decodeFrame));
    expect(r.errors.length).toBe(2);
    expect(r.errors.every((e) => isDlmsError(e, 'DLMS_BAD_FRAME'))).toBe(true);
    expect(r.errors[0]!.message).toBe('4 byte(s) outside any frame at stream byte 0 (first 0x00)');
  });

  it('reports a corrupted frame once (DLMS_BAD_CHECKSUM) and still yields the next frame, at every split', () => {
    const bad = fcs7e.slice();
    bad[60] = (bad[60] ?? 0) ^ 0x01;
    const stream = concatBytes([bad, hcs7e]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const r = feed([stream.subarray(0, cut), stream.subarray(cut)]);
      expect(r.frames, `@${cut}`).toEqual([decodeFrame(hcs7e)]);
      expect(r.errors.length, `@${cut}`).toBe(1);
      expect(isDlmsError(r.errors[0], 'DLMS_BAD_CHECKSUM')).toBe(true);
      expect(r.errors[0]!.message).toMatch(/^frame starting at stream byte 0: FCS at byte 133 is 0x7E87, expected 0x/);
    }
  });

  it('rejects a bad HCS before waiting for the announced body', () => {
    const bad = hcs7e.slice();
    bad[7] = 0x7f; // HCS 49 7E → 49 7F
    const d = new HdlcDeframer();
    const r = d.push(bad.subarray(0, 9));
    expect(r.errors.map((e) => e.code)).toEqual(['DLMS_BAD_CHECKSUM']);
    expect(r.errors[0]!.message).toBe('frame starting at stream byte 0: HCS is 0x7F49, expected 0x7E49');
  });

  it('finds a good frame swallowed by the length of a frame that lost bytes', () => {
    const damaged = concatBytes([hcs7e.subarray(0, 40), hcs7e.subarray(45)]); // 5 bytes lost on the line
    const r = feed([concatBytes([damaged, snrm, hcs7e])]);
    expect(r.frames).toEqual([snrm, hcs7e].map(decodeFrame));
    expect(r.errors.length).toBe(1);
  });

  it('does not wait behind noise whose header checksum happens to match', () => {
    // Found by the random-noise property below: after a closing flag, A3 F8 announces 1016 bytes,
    // F4 65 / E5 are well-formed addresses, DC a control byte, and 41 0C is their correct HCS.
    const noise = fromHex('A3F8F465E5DC410C');
    const stream = concatBytes([snrm, noise, snrm, hcs7e]);
    for (const chunks of [[stream], [...stream].map((b) => Uint8Array.of(b))]) {
      const d = new HdlcDeframer();
      const r = feed(chunks, d);
      expect(r.frames).toEqual([snrm, snrm, hcs7e].map(decodeFrame));
      expect(r.errors.map((e) => e.message)).toEqual([
        'frame starting at stream byte 8 is still short of its announced length when a complete frame starts at stream byte 17: the first was noise',
      ]);
      expect(d.pending).toBe(1);
    }
  });

  it('does not wait for an absurd or over-long announced length', () => {
    // "7E A0 03": length 3 < 7; "7E A7 FF …": 2047 bytes announced but above maxFrameLength.
    const d = new HdlcDeframer({ maxFrameLength: 300 });
    const r1 = d.push(fromHex('7EA003'));
    expect(r1.errors.map((e) => e.message)).toEqual(['frame starting at stream byte 0: implausible frame length 3 (allowed 7..300)']);
    const r2 = d.push(concatBytes([fromHex('7EA7FF0321'), snrm]));
    expect(r2.frames).toEqual([decodeFrame(snrm)]);
    expect(d.pending).toBe(1); // only the closing flag, which may open the next frame
  });

  it('holds a partial frame and drops it on reset', () => {
    const d = new HdlcDeframer();
    expect(d.push(hcs7e.subarray(0, 50))).toEqual({ frames: [], errors: [] });
    expect(d.pending).toBe(50);
    d.reset();
    expect(d.pending).toBe(0);
    expect(d.push(snrm).frames.length).toBe(1);
  });

  it('is a pure function underneath: the input state is not modified', () => {
    const s1 = deframe(INITIAL_DEFRAMER, hcs7e.subarray(0, 20)).state;
    const copy = s1.buffer.slice();
    const r = deframe(s1, hcs7e.subarray(20));
    expect(r.frames.length).toBe(1);
    expect(s1.buffer).toEqual(copy);
    expect(deframe(s1, hcs7e.subarray(20)).frames).toEqual(r.frames);
  });

  it('never throws and never loops on random chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 8 }), (chunks) => {
        const d = new HdlcDeframer();
        for (const c of chunks) {
          const r = d.push(c);
          for (const e of r.errors) expect(isDlmsError(e)).toBe(true);
        }
        expect(d.pending).toBeLessThanOrEqual(2049);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on random bytes that look like frame starts', () => {
    const startish = fc.uint8Array({ maxLength: 40 }).map((b) => concatBytes([fromHex('7EA0'), b]));
    fc.assert(
      fc.property(fc.array(startish, { maxLength: 6 }), (chunks) => {
        const r = feed(chunks);
        for (const e of r.errors) expect(isDlmsError(e)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('recovers random frames from random chunking with noise (no 0x7E) between them', () => {
    const frame = fc.record({
      segmented: fc.boolean(),
      destination: fc.record({ upper: fc.integer({ min: 0, max: 127 }), size: fc.constant(1 as const) }),
      source: fc.record({ upper: fc.integer({ min: 0, max: 16383 }), lower: fc.integer({ min: 0, max: 16383 }), size: fc.constant(4 as const) }),
      control: fc.record({ type: fc.constant('I' as const), ns: fc.nat(7), nr: fc.nat(7), pf: fc.boolean() }),
      information: fc.option(fc.uint8Array({ minLength: 1, maxLength: 200 }), { nil: undefined }),
    });
    const noise = fc.uint8Array({ maxLength: 10 }).map((b) => b.map((x) => (x === 0x7e ? 0x7d : x)));
    fc.assert(
      fc.property(fc.array(fc.tuple(noise, frame), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 6 }), (items, cuts) => {
        const stream = concatBytes(items.flatMap(([n, f]) => [n, encodeFrame(f)]));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let prev = 0;
        for (const p of points) {
          chunks.push(stream.subarray(prev, p));
          prev = p;
        }
        chunks.push(stream.subarray(prev));
        const r = feed(chunks);
        expect(r.frames).toEqual(items.map(([, f]) => decodeFrame(encodeFrame(f))));
        expect(r.errors.length).toBeLessThanOrEqual(items.filter(([n]) => n.length > 0).length);
      }),
      { numRuns: 300 },
    );
  });
});
