import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/dlms/hdlc/frame.js';
import { encodeWrapper } from '../../src/dlms/wrapper/wrapper.js';
import { toHex } from '../../src/shared/bytes.js';
import { vectorBytes } from '../../test/fixtures/vectors.js';
import { FrameRouter, type RouteResult } from './frame-router.js';
import type { EndpointLink } from './meter-endpoint.js';

const hdlc = (physical: number, addressSize: 1 | 2 | 4 = 4): EndpointLink => ({ framing: 'hdlc', physical, logical: 1, addressSize });
const wport = (n: number): EndpointLink => ({ framing: 'wrapper', wPort: n });

function frames(r: RouteResult): { index: number; hex: string }[] {
  if (r.kind !== 'frames') throw new Error(`expected frames, got close: ${r.reason}`);
  return r.frames.map((f) => ({ index: f.index, hex: toHex(f.bytes) }));
}

const iFrame = (physical: number, info: number[]) =>
  encodeFrame({
    segmented: false,
    destination: { upper: 1, lower: physical, size: 4 },
    source: { upper: 17, size: 1 },
    control: { type: 'I', ns: 0, nr: 0, pf: true },
    information: Uint8Array.from(info),
  });

const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

describe('FrameRouter, HDLC', () => {
  it('hands each real frame to the meter it is addressed to, by value whatever the address size', () => {
    const router = new FrameRouter([hdlc(16), hdlc(17), hdlc(18)]);
    const twoByte = vectorBytes('HDLC SNRM to server logical 1 / physical 17 (2-byte');
    const fourByte = vectorBytes('HDLC SNRM to 4-byte server address (logical 1, physical 17)');
    expect(frames(router.route(twoByte))).toEqual([{ index: 1, hex: toHex(twoByte) }]);
    expect(frames(router.route(fourByte))).toEqual([{ index: 1, hex: toHex(fourByte) }]);
  });

  it('drops frames for addresses it does not serve, as the meters on a bus ignore them', () => {
    const router = new FrameRouter([hdlc(16), hdlc(18)]);
    expect(frames(router.route(vectorBytes('HDLC SNRM to 4-byte server address (logical 1, physical 17)')))).toEqual([]);
    expect(frames(router.route(vectorBytes('HDLC RR to 4-byte server address (physical 5481)')))).toEqual([]);
  });

  it('finds frames split across chunks, back to back with a shared flag, and after noise and idle flags', () => {
    const router = new FrameRouter([hdlc(17), hdlc(18)]);
    const a = iFrame(17, [0xe6, 0xe6, 0x00, 0x01]);
    const b = iFrame(18, [0xe6, 0xe6, 0x00, 0x02]);
    const sharedFlag = concat(a, b.subarray(1)); // …7E A0… : a's closing flag opens b
    const stream = concat(Uint8Array.of(0x00, 0x13, 0x7e, 0x7e), sharedFlag, Uint8Array.of(0x55));
    const got: { index: number; hex: string }[] = [];
    for (let i = 0; i < stream.length; i += 3) got.push(...frames(router.route(stream.subarray(i, i + 3))));
    expect(got).toEqual([
      { index: 0, hex: toHex(a) },
      { index: 1, hex: toHex(b) },
    ]);
  });

  it('passes segmented frames and frames with 0x7E inside the checksums whole', () => {
    const router = new FrameRouter([hdlc(0, 1)]);
    // The segmented vectors go from server 1 to client 16; routed here as if the meter were addressed 16.
    const routerForClient = new FrameRouter([{ framing: 'hdlc', physical: 0, logical: 16, addressSize: 1 }]);
    for (const name of ['HDLC segmented I-frame whose HCS contains 0x7E', 'HDLC segmented I-frame whose FCS contains 0x7E']) {
      const bytes = vectorBytes(name);
      expect(frames(routerForClient.route(bytes))).toEqual([{ index: 0, hex: toHex(bytes) }]);
    }
    const get = vectorBytes('HDLC I-frame GET-Request-Normal clock 0.0.1.0.0.255 attr 2');
    expect(frames(router.route(get))).toEqual([{ index: 0, hex: toHex(get) }]);
  });

  it('skips a false start whose announced length does not end on a flag', () => {
    const router = new FrameRouter([hdlc(17)]);
    const good = iFrame(17, [1, 2, 3]);
    const bogus = Uint8Array.of(0x7e, 0xa0, 0x0a, 0x00, 0x02, 0x00, 0x23, 0x21, 0x10, 0x11); // length 10 would end inside the good frame
    expect(frames(router.route(concat(bogus, good)))).toEqual([{ index: 0, hex: toHex(good) }]);
  });
});

describe('FrameRouter, wrapper', () => {
  it('routes real wrapper frames by destination wPort and drops those for no served meter', () => {
    const router = new FrameRouter([wport(1), wport(2)]);
    const aarq = vectorBytes("WRAPPER AARQ LLS 'Gurux' (wport 17 -> 1)");
    const rlrq = vectorBytes('WRAPPER RLRQ');
    const toFive = encodeWrapper({ source: 17, destination: 5, payload: Uint8Array.of(0x62, 0x00) });
    const stream = concat(aarq, toFive, rlrq);
    const got: { index: number; hex: string }[] = [];
    for (let i = 0; i < stream.length; i += 7) got.push(...frames(router.route(stream.subarray(i, i + 7))));
    expect(got).toEqual([
      { index: 0, hex: toHex(aarq) },
      { index: 0, hex: toHex(rlrq) },
    ]);
  });

  it('asks for the connection to close on a header it cannot resynchronise on, and keeps saying so', () => {
    const router = new FrameRouter([wport(1)]);
    const bad = router.route(Uint8Array.of(0x00, 0x02, 0x00, 0x11, 0x00, 0x01, 0x00, 0x01, 0x00));
    expect(bad).toEqual({ kind: 'close', reason: expect.stringMatching(/wrapper version 0x0002 at byte 0/) });
    expect(router.route(vectorBytes('WRAPPER RLRQ')).kind).toBe('close');
  });

  it('refuses meters of mixed framing on one line', () => {
    expect(() => new FrameRouter([wport(1), hdlc(17)])).toThrow(/same framing/);
  });
});
