import { describe, expect, it } from 'vitest';
import { vectorBytes, vectorsOf } from '../../../test/fixtures/vectors.js';
import { fromHex, toHex } from '../../shared/bytes.js';
import { dlms } from '../axdr/build.js';
import { parseObis } from '../cosem/obis.js';
import { isDlmsError } from '../errors.js';
import { decodeApdu, encodeApdu, type Apdu } from './apdu.js';
import { apduDescription } from './describe.js';
import { invoke, invokeFromByte, invokeToByte } from './invoke-id.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (!isDlmsError(e)) throw e;
    return e.code;
  }
}

describe('decodeApdu on damaged input', () => {
  const complete = vectorsOf('apdu').map((v) => ({ name: v.name, bytes: fromHex(v.hex) }));

  it('says DLMS_TRUNCATED for every strict prefix of every vector APDU', () => {
    for (const { name, bytes } of complete) {
      for (let n = 0; n < bytes.length; n++) {
        expect(codeOf(() => decodeApdu(bytes.subarray(0, n))), `${name} cut at ${n}`).toBe('DLMS_TRUNCATED');
      }
    }
  });

  it('says DLMS_BAD_APDU for a byte after a complete APDU', () => {
    for (const { name, bytes } of complete) {
      const longer = new Uint8Array([...bytes, 0x00]);
      const code = codeOf(() => decodeApdu(longer));
      // ExceptionResponse with service-error 6 would read a counter; none of the vectors has that.
      expect(code, name).toBe('DLMS_BAD_APDU');
    }
  });

  it('names an unknown tag', () => {
    expect(() => decodeApdu(fromHex('990102'))).toThrowError('unknown APDU tag 0x99 (at byte 0)');
    expect(codeOf(() => decodeApdu(fromHex('990102')))).toBe('DLMS_BAD_APDU');
  });

  it('names an unknown CHOICE', () => {
    expect(() => decodeApdu(fromHex('C004C1'))).toThrowError(/Get-Request choice 4 is not normal\(1\)/);
    expect(() => decodeApdu(fromHex('C401C102'))).toThrowError(/Get-Data-Result choice 2/);
    expect(() => decodeApdu(fromHex('C102C1'))).toThrowError(/Set-Request choice 2 is not supported/);
    expect(() => decodeApdu(fromHex('C001C1000100002B0100FF020200'))).toThrowError(/access-selection: presence flag 0x2/);
  });

  it('treats an InitiateResponse cut short inside a complete AARE as malformed, not truncated', () => {
    const aare = fromHex('611CA109060760857405080101A203020100A305A103020100BE03040108');
    expect(codeOf(() => decodeApdu(aare))).toBe('DLMS_BAD_APDU');
    expect(() => decodeApdu(aare)).toThrowError(/user-information/);
  });

  it('reads the datablock header of the first HDLC segment and asks for the rest of the raw-data', () => {
    // 7E A8 86 | 21 03 52 | HCS | E6 E7 00 | C4 02 C1 00 00000001 00 82 01DA ... | FCS 7E: a segment, not an APDU.
    const frame = vectorBytes('HDLC segmented I-frame (S bit) #1');
    const part = frame.slice(11, frame.length - 3);
    expect(toHex(part.subarray(0, 12))).toBe('C402C100000000010082' + '01DA');
    expect(() => decodeApdu(part)).toThrowError(`raw-data at byte 12 needs 474 byte(s), only ${part.length - 12} left`);
    expect(codeOf(() => decodeApdu(part))).toBe('DLMS_TRUNCATED');
  });

  it('says DLMS_TRUNCATED for an empty buffer', () => {
    expect(codeOf(() => decodeApdu(new Uint8Array(0)))).toBe('DLMS_TRUNCATED');
  });
});

describe('service APDUs not in the vectors', () => {
  const clock = { classId: 8, instanceId: parseObis('0.0.1.0.0.255'), attributeId: 2 };
  const cases: Array<[string, Apdu]> = [
    [
      'C30181004600006003' + '0AFF01' + '01' + '0F00',
      { type: 'action-request-normal', invoke: invoke(1, { confirmed: false }), method: { classId: 70, instanceId: parseObis('0.0.96.3.10.255'), methodId: 1 }, parameters: dlms.i8(0) },
    ],
    ['C301C10046' + '0000600A03FF' + '0200', { type: 'action-request-normal', invoke: invoke(1), method: { classId: 70, instanceId: parseObis('0.0.96.10.3.255'), methodId: 2 } }],
    ['C701C10000', { type: 'action-response-normal', invoke: invoke(1), result: 0 }],
    ['C701C1000100' + '0600000005', { type: 'action-response-normal', invoke: invoke(1), result: 0, returnParameters: { type: 'data', data: dlms.u32(5) } }],
    ['C701C20B0101' + '04', { type: 'action-response-normal', invoke: invoke(2), result: 11, returnParameters: { type: 'data-access-result', result: 4 } }],
    ['D8010600000100', { type: 'exception-response', stateError: 1, serviceError: 6, invocationCounter: 256 }],
    ['D80106', { type: 'exception-response', stateError: 1, serviceError: 6 }],
    ['0E050502', { type: 'confirmed-service-error', service: 5, errorKind: 5, error: 2 }],
    ['C101C3' + '00080000010000FF02' + '01' + '02' + '0F05' + '1100', {
      type: 'set-request-normal',
      invoke: invoke(3),
      attribute: clock,
      access: { selector: 2, parameters: dlms.i8(5) },
      value: dlms.u8(0),
    }],
    ['C501C303', { type: 'set-response-normal', invoke: invoke(3), result: 3 }],
    ['C402C1FF0000000200' + '03' + 'AABBCC', { type: 'get-response-with-datablock', invoke: invoke(1), lastBlock: true, blockNumber: 2, result: { type: 'raw-data', data: fromHex('AABBCC') } }],
  ];

  for (const [hex, apdu] of cases) {
    it(`decodes ${hex}`, () => {
      expect(decodeApdu(fromHex(hex))).toEqual(apdu);
    });
  }

  it('re-encodes them (a last-block flag of 0xFF becomes 0x01, the A-XDR TRUE)', () => {
    for (const [hex, apdu] of cases) expect(toHex(encodeApdu(apdu))).toBe(hex.replace('C402C1FF', 'C402C101'));
  });

  it('refuses values that do not fit their fields', () => {
    expect(() => encodeApdu({ type: 'get-request-next', invoke: invoke(16), blockNumber: 1 })).toThrowError(/invoke-id 16/);
    expect(() => encodeApdu({ type: 'get-request-next', invoke: invoke(1), blockNumber: 2 ** 32 })).toThrowError(/block-number/);
    expect(() => encodeApdu({ type: 'exception-response', stateError: 1, serviceError: 2, invocationCounter: 1 })).toThrowError(/invocation-counter-error/);
    expect(() => encodeApdu({ type: 'nonsense' } as unknown as Apdu)).toThrowError(/cannot encode APDU of type "nonsense"/);
  });
});

describe('invoke-id-and-priority', () => {
  it('maps the byte both ways', () => {
    expect(invokeFromByte(0xc1)).toEqual({ invokeId: 1, confirmed: true, highPriority: true });
    expect(invokeFromByte(0x81)).toEqual({ invokeId: 1, confirmed: false, highPriority: true });
    expect(invokeFromByte(0x4f)).toEqual({ invokeId: 15, confirmed: true, highPriority: false });
    for (let b = 0; b < 256; b++) if ((b & 0x30) === 0) expect(invokeToByte(invokeFromByte(b))).toBe(b);
  });
});

describe('apduDescription', () => {
  it('gives one readable line per APDU', () => {
    const d = (name: string, wrapper = false) => apduDescription(decodeApdu(vectorBytes(name).slice(wrapper ? 8 : 0)));
    expect(d('GET-Request-With-List (LDN')).toBe('GET-Request-With-List #1 1/0.0.42.0.0.255/2, 8/0.0.1.0.0.255/2');
    expect(d('GET-Response-Normal data-access-result')).toBe('GET-Response-Normal #1 hardware-fault');
    expect(d('GET-Response-With-Datablock, block 1 of 10')).toBe('GET-Response-With-Datablock #0 block 1 474 byte(s)');
    expect(d('AARE rejected with ConfirmedServiceError')).toBe('AARE rejected-permanent, acse-service-user no-reason-given, initiate: dlms-version-too-low');
    expect(d('AARQ LLS password')).toBe('AARQ logical-name, mechanism lls, initiate-request');
    expect(d('RLRQ reason normal')).toBe('RLRQ normal');
    expect(d('ExceptionResponse service-not-allowed')).toBe('ExceptionResponse service-not-allowed (1) / service-not-supported (2)');
    expect(d('WRAPPER GET-Response-With-List incl', true)).toBe('GET-Response-With-List #8 [octet-string, long-unsigned, structure, object-undefined]');
  });
});
