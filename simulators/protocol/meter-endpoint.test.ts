import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeApdu, encodeApdu, invoke } from '../../src/dlms/apdu/index.js';
import { decodeFrame, encodeFrame } from '../../src/dlms/hdlc/frame.js';
import { LLC_COMMAND } from '../../src/dlms/hdlc/llc.js';
import { parseDataBlock } from '../../src/dlms/iec62056-21/data-block.js';
import { encodeOptionSelect, encodeRequest, parseIdentification } from '../../src/dlms/iec62056-21/messages.js';
import { addEvenParity, stripParity } from '../../src/dlms/iec62056-21/parity.js';
import { decodeWrapper, encodeWrapper } from '../../src/dlms/wrapper/wrapper.js';
import { concatBytes, toHex } from '../../src/shared/bytes.js';
import { isDlmsError } from '../../src/dlms/errors.js';
import { vectorBytes } from '../../test/fixtures/vectors.js';
import { NOW, publicAarq, testMeter } from '../../test/simulator/meters.js';
import { hdlcLink, wrapperLink } from './addressing.js';
import { corruptFrame } from './link-faults.js';
import { MeterEndpoint, type EndpointEffect } from './meter-endpoint.js';

const writes = (fx: EndpointEffect[]): Uint8Array[] => fx.filter((e) => e.type === 'write').map((e) => (e as { bytes: Uint8Array }).bytes);

describe('HDLC endpoint', () => {
  it('answers the Gurux SNRM (1-byte address) with exactly the Gurux UA', () => {
    const ep = new MeterEndpoint(testMeter(), hdlcLink(1, 1));
    expect(writes(ep.receive(vectorBytes('HDLC SNRM, no parameter field'))).map((b) => toHex(b))).toEqual([
      toHex(vectorBytes('HDLC UA with negotiated parameters (Gurux')),
    ]);
  });

  it('answers only SNRMs for its own physical address, in 2- and 4-byte form', () => {
    const mine = new MeterEndpoint(testMeter(), hdlcLink(1, 4)); // 1/17
    const other = new MeterEndpoint(testMeter(), hdlcLink(2, 4)); // 1/18
    for (const name of ['HDLC SNRM to server logical 1 / physical 17', 'HDLC SNRM to 4-byte server address']) {
      const snrm = vectorBytes(name);
      const [ua] = writes(mine.receive(snrm));
      expect(decodeFrame(ua!).control.type).toBe('UA');
      expect(decodeFrame(ua!).source).toEqual({ upper: 1, lower: 17, size: 4 });
      expect(other.receive(snrm)).toEqual([]);
    }
  });

  it('associates with the Gurux LLS AARQ I-frame when the password is "Gurux"', () => {
    const ep = new MeterEndpoint(testMeter({ password: 'Gurux' }), hdlcLink(1, 1), { maxPduSize: 512 });
    ep.receive(encodeFrame({ segmented: false, destination: { upper: 1, size: 1 }, source: { upper: 17, size: 1 }, control: { type: 'SNRM', pf: true } }));
    const [frame] = writes(ep.receive(vectorBytes("HDLC I-frame AARQ with LLS password 'Gurux'")));
    const f = decodeFrame(frame!);
    expect(f.control).toEqual({ type: 'I', ns: 0, nr: 1, pf: true });
    expect(toHex(f.information!.subarray(0, 3))).toBe('E6E700');
    const aare = decodeApdu(f.information!.subarray(3));
    expect(aare.type === 'aare' && aare.result).toBe('accepted');
  });
});

describe('wrapper endpoint', () => {
  it('answers its own wPort and ignores frames for another', () => {
    const ep = new MeterEndpoint(testMeter({ password: 'Gurux' }), wrapperLink(1));
    const [reply] = writes(ep.receive(vectorBytes("WRAPPER AARQ LLS 'Gurux'")));
    const frame = decodeWrapper(reply!);
    expect(frame.source).toBe(1);
    expect(frame.destination).toBe(17);
    const aare = decodeApdu(frame.payload);
    expect(aare.type === 'aare' && aare.result).toBe('accepted');
    const forTwo = encodeWrapper({ source: 16, destination: 2, payload: encodeApdu(publicAarq()) });
    expect(ep.receive(forTwo)).toEqual([]);
  });

  it('asks to close the connection after a bad wrapper header', () => {
    const ep = new MeterEndpoint(testMeter(), wrapperLink(1));
    const fx = ep.receive(Uint8Array.of(0x00, 0x02, 0, 16, 0, 1, 0, 0));
    expect(fx).toHaveLength(1);
    expect(fx[0]!.type).toBe('close');
    expect(ep.receive(vectorBytes("WRAPPER AARQ LLS 'Gurux'"))).toEqual([]);
  });
});

describe('faults at the link', () => {
  const snrm = () => vectorBytes('HDLC SNRM to server logical 1 / physical 17');

  it('silent: no answer, and the frame is not even heard', () => {
    const meter = testMeter();
    const id = meter.faults.add({ kind: 'silent' });
    const ep = new MeterEndpoint(meter, hdlcLink(1, 2));
    expect(ep.receive(snrm())).toEqual([]);
    meter.faults.remove(id);
    expect(writes(ep.receive(snrm()))).toHaveLength(1);
  });

  it('slow: waits before answering', () => {
    const meter = testMeter();
    meter.faults.add({ kind: 'slow', delayMs: 1500 });
    const fx = new MeterEndpoint(meter, hdlcLink(1, 2)).receive(snrm());
    expect(fx.map((e) => e.type)).toEqual(['wait', 'write', 'note']);
    expect(fx[0]).toEqual({ type: 'wait', ms: 1500 });
  });

  it('corrupt: the answer fails its FCS', () => {
    const meter = testMeter();
    meter.faults.add({ kind: 'corrupt', everyNth: 1 });
    const [ua] = writes(new MeterEndpoint(meter, hdlcLink(1, 2)).receive(snrm()));
    let error: unknown;
    try {
      decodeFrame(ua!);
    } catch (e) {
      error = e;
    }
    expect(isDlmsError(error, 'DLMS_BAD_CHECKSUM')).toBe(true);
    expect(corruptFrame(Uint8Array.of(1, 2, 3), 'wrapper')).toEqual(Uint8Array.of(1, 2, 0xfc));
  });

  it('burnt: garbage of the same length for garbageMs, then silence', () => {
    let now = NOW;
    const meter = testMeter({}, () => now);
    meter.faults.add({ kind: 'burnt', from: NOW - 1000, garbageMs: 60_000 });
    const ep = new MeterEndpoint(meter, hdlcLink(1, 2));
    const [garbage] = writes(ep.receive(snrm()));
    const ua = writes(new MeterEndpoint(testMeter(), hdlcLink(1, 2)).receive(snrm()))[0]!;
    expect(garbage!.length).toBe(ua.length);
    expect(toHex(garbage!)).not.toBe(toHex(ua));
    now = NOW + 60_000;
    expect(ep.receive(snrm())).toEqual([]);
  });
});

describe('IEC 62056-21 sign-on', () => {
  const signOn = (ep: MeterEndpoint, option: Uint8Array): EndpointEffect[] => {
    const id = writes(ep.receive(addEvenParity(encodeRequest('SIM0001'))));
    expect(id).toHaveLength(1);
    expect(parseIdentification(stripParity(id[0]!))).toMatchObject({ manufacturer: 'CHS', baud: 9600, ident: 'SIMSIM0001' });
    return ep.receive(addEvenParity(option));
  };

  it('mode C: the readout carries the registers the COSEM objects serve', () => {
    const meter = testMeter();
    const ep = new MeterEndpoint(meter, hdlcLink(1, 4, { mode: 'mode-c' }));
    expect(ep.receive(addEvenParity(encodeRequest('OTHER')))).toEqual([]);
    const fx = signOn(ep, encodeOptionSelect({ protocol: 'normal', baud: 9600, mode: 'readout' }));
    expect(fx.filter((e) => e.type === 'set-baud')).toEqual([
      { type: 'set-baud', baud: 9600, format: '7E1' },
      { type: 'set-baud', baud: 300, format: '7E1' },
    ]);
    const block = parseDataBlock(stripParity(writes(fx)[0]!));
    const line = (id: string) => block.lines.find((l) => l.id === id)?.values[0];
    expect(line('C.1.0')).toEqual({ value: 'SIM0001' });
    const kwh = (meter.registersAt(NOW).importTotal / 1000).toFixed(3).padStart(10, '0');
    expect(line('1.8.0')).toEqual({ value: kwh, unit: 'kWh' });
  });

  it('mode E: after the hand-over the meter speaks HDLC, and after DISC it waits for a sign-on again', () => {
    const ep = new MeterEndpoint(testMeter(), hdlcLink(1, 4, { mode: 'mode-e' }));
    const snrm = vectorBytes('HDLC SNRM to 4-byte server address');
    expect(ep.receive(snrm)).toEqual([]); // still in the sign-on: HDLC bytes are noise
    const fx = signOn(ep, encodeOptionSelect({ protocol: 'hdlc', baud: 9600, mode: 'binary' }));
    expect(fx).toContainEqual({ type: 'set-baud', baud: 9600, format: '8N1' });
    expect(decodeFrame(writes(ep.receive(snrm))[0]!).control.type).toBe('UA');
    const disc = encodeFrame({ segmented: false, destination: { upper: 1, lower: 17, size: 4 }, source: { upper: 16, size: 1 }, control: { type: 'DISC', pf: true } });
    const after = ep.receive(disc);
    expect(decodeFrame(writes(after)[0]!).control.type).toBe('UA');
    expect(after).toContainEqual({ type: 'set-baud', baud: 300, format: '7E1' });
    expect(ep.receive(snrm)).toEqual([]);
  });
});

describe('a whole HDLC exchange through the endpoint', () => {
  it('SNRM, AARQ, GET register, DISC', () => {
    const meter = testMeter();
    const ep = new MeterEndpoint(meter, hdlcLink(3, 4));
    const server = { upper: 1, lower: 19, size: 4 as const };
    const client = { upper: 16, size: 1 as const };
    const frame = (control: Parameters<typeof encodeFrame>[0]['control'], information?: Uint8Array) =>
      encodeFrame({ segmented: false, destination: server, source: client, control, ...(information ? { information } : {}) });
    expect(decodeFrame(writes(ep.receive(frame({ type: 'SNRM', pf: true })))[0]!).control.type).toBe('UA');
    const aarq = concatBytes([LLC_COMMAND, encodeApdu(publicAarq())]);
    writes(ep.receive(frame({ type: 'I', ns: 0, nr: 0, pf: true }, aarq)));
    const get = concatBytes([
      LLC_COMMAND,
      encodeApdu({ type: 'get-request-normal', invoke: invoke(1), attribute: { classId: 1, instanceId: '0.0.96.1.0.255' as never, attributeId: 2 } }),
    ]);
    const [answer] = writes(ep.receive(frame({ type: 'I', ns: 1, nr: 1, pf: true }, get)));
    const apdu = decodeApdu(decodeFrame(answer!).information!.subarray(3));
    expect(apdu).toEqual({
      type: 'get-response-normal',
      invoke: invoke(1),
      result: { type: 'data', data: { type: 'octet-string', value: new TextEncoder().encode('SIM0001') } },
    });
    expect(decodeFrame(writes(ep.receive(frame({ type: 'DISC', pf: true })))[0]!).control.type).toBe('UA');
  });
});

describe('hostile bytes', () => {
  it('random bytes into HDLC, wrapper and sign-on endpoints give effects, never an exception', () => {
    const meter = testMeter();
    const endpoints = [
      new MeterEndpoint(meter, hdlcLink(1, 4)),
      new MeterEndpoint(meter, hdlcLink(1, 1)),
      new MeterEndpoint(meter, wrapperLink(1)),
      new MeterEndpoint(meter, hdlcLink(1, 4, { mode: 'mode-c' })),
    ];
    const snrm = vectorBytes('HDLC SNRM to 4-byte server address');
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constant(snrm), fc.constant(vectorBytes("WRAPPER AARQ LLS 'Gurux'"))), { maxLength: 6 }), (chunks) => {
        for (const ep of endpoints) {
          for (const c of chunks) expect(Array.isArray(ep.receive(c))).toBe(true);
          ep.reset();
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('long answers over HDLC', () => {
  it('segments a 1024-byte datablock into 128-byte I-frames, each next one on the client RR', () => {
    const ep = new MeterEndpoint(testMeter(), hdlcLink(1, 4), { maxPduSize: 1024 });
    const server = { upper: 1, lower: 17, size: 4 as const };
    const client = { upper: 17, size: 1 as const };
    const frame = (control: Parameters<typeof encodeFrame>[0]['control'], information?: Uint8Array) =>
      encodeFrame({ segmented: false, destination: server, source: client, control, ...(information ? { information } : {}) });
    ep.receive(frame({ type: 'SNRM', pf: true }));
    ep.receive(frame({ type: 'I', ns: 0, nr: 0, pf: true }, concatBytes([LLC_COMMAND, encodeApdu({ ...publicAarq(), senderAcseRequirements: true, mechanismName: 'lls', callingAuthenticationValue: new TextEncoder().encode('12345678') })])));
    const get = encodeApdu({ type: 'get-request-normal', invoke: invoke(1), attribute: { classId: 7, instanceId: '1.0.99.1.0.255' as never, attributeId: 2 } });
    let [out] = writes(ep.receive(frame({ type: 'I', ns: 1, nr: 1, pf: true }, concatBytes([LLC_COMMAND, get]))));
    const infos: Uint8Array[] = [];
    let vr = 2; // N(S) of the meter's next I-frame: 0 was the AARE, 1 this answer's first segment
    for (;;) {
      const f = decodeFrame(out!);
      expect(f.control.type).toBe('I');
      expect(f.information!.length).toBeLessThanOrEqual(128);
      infos.push(f.information!);
      if (!f.segmented) break;
      [out] = writes(ep.receive(frame({ type: 'RR', nr: vr % 8, pf: true })));
      vr++;
    }
    const apdu = decodeApdu(concatBytes(infos).subarray(3));
    expect(apdu.type).toBe('get-response-with-datablock');
    expect(encodeApdu(apdu).length).toBeLessThanOrEqual(1024);
    expect(encodeApdu(apdu).length).toBeGreaterThan(1000);
    expect(infos.length).toBe(Math.ceil((encodeApdu(apdu).length + 3) / 128));
  });
});
