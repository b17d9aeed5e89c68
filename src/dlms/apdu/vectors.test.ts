import { describe, expect, it } from 'vitest';
import { vectorsOf, type DlmsVector } from '../../../test/fixtures/vectors.js';
import { fromHex, toHex } from '../../shared/bytes.js';
import { dlms } from '../axdr/build.js';
import type { DlmsData } from '../axdr/types.js';
import { parseObis } from '../cosem/obis.js';
import { decodeApdu, encodeApdu, type Apdu } from './apdu.js';
import { conformance, conformanceFromNumber } from './conformance.js';
import type { InvokeIdAndPriority } from './invoke-id.js';

/**
 * Every APDU in the shared vectors: the `apdu` layer, the payload of every `wrapper` vector and the
 * information field (after the LLC bytes) of every non-segmented HDLC I-frame. Each decodes to the value
 * written out below by hand from the vector's `decoded` description and re-encodes to the same bytes.
 */

const id = (invokeId: number, confirmed = true, highPriority = true): InvokeIdAndPriority => ({ invokeId, confirmed, highPriority });
const attr = (classId: number, obis: string, attributeId: number) => ({ classId, instanceId: parseObis(obis), attributeId });
const octets = (hex: string): DlmsData => dlms.octets(hex);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

const CONF_001E1D = conformance(
  'block-transfer-with-get-or-read',
  'block-transfer-with-set-or-write',
  'block-transfer-with-action',
  'multiple-references',
  'get',
  'set',
  'selective-access',
  'action',
);
const CONF_401E1D = new Set([...CONF_001E1D, 'general-protection' as const]);
const CONF_007E1F = conformance(
  'priority-mgmt-supported',
  'attribute0-supported-with-get',
  'block-transfer-with-get-or-read',
  'block-transfer-with-set-or-write',
  'block-transfer-with-action',
  'multiple-references',
  'get',
  'set',
  'selective-access',
  'event-notification',
  'action',
);
const CONF_00501F = conformance(
  'priority-mgmt-supported',
  'block-transfer-with-get-or-read',
  'get',
  'set',
  'selective-access',
  'event-notification',
  'action',
);

const initReq = (conf: ReadonlySet<never> | ReturnType<typeof conformance>, size: number) =>
  ({ type: 'initiate-request', responseAllowed: true, dlmsVersion: 6, conformance: conf, clientMaxReceivePduSize: size }) as const;
const initRes = (conf: ReturnType<typeof conformance>, size: number) =>
  ({ type: 'initiate-response', dlmsVersion: 6, conformance: conf, serverMaxReceivePduSize: size, vaaName: 7 }) as const;
const userOk = { source: 'acse-service-user', value: 0 } as const;

/** The raw-data of the two complete datablock vectors, taken from their hex after the header bytes. */
function rawAfter(name: string, headerBytes: number, skip = 0): Uint8Array {
  const v = [...vectorsOf('apdu'), ...vectorsOf('wrapper')].find((x) => x.name.startsWith(name));
  if (!v) throw new Error(name);
  return fromHex(v.hex).slice(skip + headerBytes);
}

const EXPECTED: ReadonlyArray<readonly [string, Apdu]> = [
  // ---- apdu layer
  ['AARQ no authentication (Green Book example)', { type: 'aarq', applicationContextName: 'logical-name', userInformation: initReq(CONF_007E1F, 1200) }],
  [
    "AARQ LLS password '12345678'",
    {
      type: 'aarq',
      applicationContextName: 'logical-name',
      senderAcseRequirements: true,
      mechanismName: 'lls',
      callingAuthenticationValue: text('12345678'),
      userInformation: initReq(CONF_007E1F, 1200),
    },
  ],
  [
    'AARQ HLS-GMAC (mechanism 5)',
    {
      type: 'aarq',
      applicationContextName: 'logical-name',
      senderAcseRequirements: true,
      mechanismName: 'hls-gmac',
      callingAuthenticationValue: text('K56iVagY'),
      userInformation: initReq(CONF_007E1F, 1200),
    },
  ],
  ['AARE accepted (Green Book example)', { type: 'aare', applicationContextName: 'logical-name', result: 'accepted', diagnostic: userOk, userInformation: initRes(CONF_00501F, 500) }],
  [
    'AARE rejected-permanent: application-context-name not supported',
    {
      type: 'aare',
      applicationContextName: 'logical-name',
      result: 'rejected-permanent',
      diagnostic: { source: 'acse-service-user', value: 2 },
      userInformation: initRes(CONF_00501F, 500),
    },
  ],
  [
    'AARE rejected with ConfirmedServiceError',
    {
      type: 'aare',
      applicationContextName: 'logical-name',
      result: 'rejected-permanent',
      diagnostic: { source: 'acse-service-user', value: 1 },
      userInformation: { type: 'confirmed-service-error', service: 1, errorKind: 6, error: 1 },
    },
  ],
  [
    'AARE accepted, authentication-required (HLS-GMAC)',
    {
      type: 'aare',
      applicationContextName: 'logical-name',
      result: 'accepted',
      diagnostic: { source: 'acse-service-user', value: 14 },
      responderAcseRequirements: true,
      mechanismName: 'hls-gmac',
      respondingAuthenticationValue: text('P6wRJ21F'),
      userInformation: initRes(CONF_00501F, 500),
    },
  ],
  ['RLRQ reason normal', { type: 'rlrq', reason: 0 }],
  ['RLRE reason normal', { type: 'rlre', reason: 0 }],
  ['GET-Request-Normal data 0.0.43.1.0.255', { type: 'get-request-normal', invoke: id(1), attribute: attr(1, '0.0.43.1.0.255', 2) }],
  ['GET-Response-Normal double-long-unsigned 5009', { type: 'get-response-normal', invoke: id(1), result: { type: 'data', data: dlms.u32(5009) } }],
  ['GET-Response-Normal data-access-result hardware-fault', { type: 'get-response-normal', invoke: id(1), result: { type: 'data-access-result', result: 1 } }],
  ['GET-Request-Next block 1', { type: 'get-request-next', invoke: id(1), blockNumber: 1 }],
  [
    'GET-Request-With-List (LDN + clock)',
    { type: 'get-request-with-list', invoke: id(1), items: [{ attribute: attr(1, '0.0.42.0.0.255', 2) }, { attribute: attr(8, '0.0.1.0.0.255', 2) }] },
  ],
  [
    "GET-Response-With-List (LDN 'ISK1030777764366' + clock)",
    {
      type: 'get-response-with-list',
      invoke: id(1),
      results: [
        { type: 'data', data: { type: 'octet-string', value: text('ISK1030777764366') } },
        { type: 'data', data: octets('07E50603040E091700FFC400') },
      ],
    },
  ],
  [
    'GET-Response-With-List compound values',
    {
      type: 'get-response-with-list',
      invoke: id(1),
      results: [
        ...[50, 0, 0, 0, 0, 0, 2302].map((v) => ({ type: 'data' as const, data: dlms.u16(v) })),
        { type: 'data', data: dlms.structure(dlms.u32(26236427), dlms.u16(806), dlms.u8(17), dlms.u8(2), dlms.u16(240), dlms.u16(1), dlms.u16(0)) },
        { type: 'data', data: dlms.structure(dlms.u16(720), dlms.u16(3240), dlms.u8(24), dlms.u8(32), dlms.i8(-64)) },
      ],
    },
  ],
  [
    'GET-Response-With-Datablock, last block 19',
    { type: 'get-response-with-datablock', invoke: id(1), lastBlock: true, blockNumber: 19, result: { type: 'data-access-result', result: 1 } },
  ],
  [
    'GET-Response-With-Datablock, block 1 of 10',
    {
      type: 'get-response-with-datablock',
      invoke: id(0),
      lastBlock: false,
      blockNumber: 1,
      result: { type: 'raw-data', data: rawAfter('GET-Response-With-Datablock, block 1 of 10', 12) },
    },
  ],
  ['ExceptionResponse service-not-allowed', { type: 'exception-response', stateError: 1, serviceError: 2 }],
  [
    'GET-Request-Normal profile generic 1.0.99.1.0.255 buffer with range',
    {
      type: 'get-request-normal',
      invoke: id(1),
      attribute: attr(7, '1.0.99.1.0.255', 2),
      access: {
        selector: 1,
        parameters: dlms.structure(
          dlms.structure(dlms.u16(8), octets('0000010000FF'), dlms.i8(2), dlms.u16(0)),
          octets('07E10A010700000000FFC480'),
          octets('07E10A010701000000FFC480'),
          dlms.array([]),
        ),
      },
    },
  ],
  [
    'GET-Response-Normal profile generic buffer, 5 rows',
    {
      type: 'get-response-normal',
      invoke: id(1),
      result: {
        type: 'data',
        data: dlms.array(
          [
            ['1B', 848],
            ['1D', 850],
            ['1E', 860],
            ['1F', 870],
            ['20', 872],
          ].map(([s, v]) => dlms.structure(octets(`07EA0B1802122C${s}00000000`), dlms.u16(v as number))),
        ),
      },
    },
  ],
  // ---- wrapper payloads
  [
    "WRAPPER AARQ LLS 'Gurux'",
    {
      type: 'aarq',
      applicationContextName: 'logical-name',
      senderAcseRequirements: true,
      mechanismName: 'lls',
      callingAuthenticationValue: text('Gurux'),
      userInformation: initReq(CONF_401E1D, 65535),
    },
  ],
  ['WRAPPER AARE accepted', { type: 'aare', applicationContextName: 'logical-name', result: 'accepted', diagnostic: userOk, userInformation: initRes(CONF_001E1D, 512) }],
  ['WRAPPER GET-Request-Normal clock attr 2', { type: 'get-request-normal', invoke: id(0), attribute: attr(8, '0.0.1.0.0.255', 2) }],
  ['WRAPPER GET-Response-Normal clock', { type: 'get-response-normal', invoke: id(0), result: { type: 'data', data: octets('07EA0B1802122A0800000000') } }],
  [
    'WRAPPER GET-Response-Normal register scaler_unit',
    { type: 'get-response-normal', invoke: id(2), result: { type: 'data', data: dlms.structure(dlms.i8(-2), dlms.enumOf(30)) } },
  ],
  ['WRAPPER GET-Response-Normal data-access-result read-write-denied', { type: 'get-response-normal', invoke: id(6), result: { type: 'data-access-result', result: 3 } }],
  [
    'WRAPPER GET-Request-With-List',
    {
      type: 'get-request-with-list',
      invoke: id(8),
      items: [
        { attribute: attr(8, '0.0.1.0.0.255', 2) },
        { attribute: attr(3, '1.1.21.25.0.255', 2) },
        { attribute: attr(3, '1.1.21.25.0.255', 3) },
        { attribute: attr(1, '1.1.0.0.1.255', 2) },
      ],
    },
  ],
  [
    'WRAPPER GET-Response-With-List incl. a data-access-result',
    {
      type: 'get-response-with-list',
      invoke: id(8),
      results: [
        { type: 'data', data: octets('07EA0B1802122A0800000000') },
        { type: 'data', data: dlms.u16(283) },
        { type: 'data', data: dlms.structure(dlms.i8(-2), dlms.enumOf(30)) },
        { type: 'data-access-result', result: 4 },
      ],
    },
  ],
  ['WRAPPER ExceptionResponse', { type: 'exception-response', stateError: 1, serviceError: 2 }],
  ['WRAPPER GET-Request-Next (block 9)', { type: 'get-request-next', invoke: id(0), blockNumber: 9 }],
  [
    'WRAPPER GET-Response-With-Datablock, last block 10',
    {
      type: 'get-response-with-datablock',
      invoke: id(0),
      lastBlock: true,
      blockNumber: 10,
      result: { type: 'raw-data', data: rawAfter('WRAPPER GET-Response-With-Datablock, last block 10', 11, 8) },
    },
  ],
  ['WRAPPER RLRQ', { type: 'rlrq', reason: 0 }],
  ['WRAPPER RLRE', { type: 'rlre', reason: 0 }],
  [
    'WRAPPER AARQ HLS-GMAC with ciphered glo-InitiateRequest',
    {
      type: 'aarq',
      applicationContextName: 'logical-name-ciphered',
      callingApTitle: text('Gurux123'),
      senderAcseRequirements: true,
      mechanismName: 'hls-gmac',
      callingAuthenticationValue: fromHex('70389CCE67B359AC56AB552A158A4522'),
      userInformation: { type: 'ciphered-initiate', bytes: fromHex('211F3000000000CB7AB52BB0A3C68CC328416621FF536C02ACFCCAF7D1FB5B9C92') },
    },
  ],
  // ---- HDLC I-frame information fields
  ['HDLC I-frame carrying AARQ, no authentication', { type: 'aarq', applicationContextName: 'logical-name', userInformation: initReq(CONF_001E1D, 65535) }],
  ['HDLC I-frame carrying AARE accepted', { type: 'aare', applicationContextName: 'logical-name', result: 'accepted', diagnostic: userOk, userInformation: initRes(CONF_001E1D, 1224) }],
  [
    "HDLC I-frame AARQ with LLS password 'Gurux'",
    {
      type: 'aarq',
      applicationContextName: 'logical-name',
      senderAcseRequirements: true,
      mechanismName: 'lls',
      callingAuthenticationValue: text('Gurux'),
      userInformation: initReq(CONF_401E1D, 65535),
    },
  ],
  ['HDLC I-frame AARE accepted for LLS', { type: 'aare', applicationContextName: 'logical-name', result: 'accepted', diagnostic: userOk, userInformation: initRes(CONF_001E1D, 512) }],
  ['HDLC I-frame GET-Request-Normal clock', { type: 'get-request-normal', invoke: id(1), attribute: attr(8, '0.0.1.0.0.255', 2) }],
  ['HDLC I-frame GET-Response-Normal clock', { type: 'get-response-normal', invoke: id(1), result: { type: 'data', data: octets('07EA0B180212290300000000') } }],
  [
    'HDLC GET-Response clock with deviation +120',
    { type: 'get-response-normal', invoke: id(1, false), result: { type: 'data', data: octets('07D20C04030A060BFF007800') } },
  ],
  ['HDLC GET-Request-Normal register 1.0.1.8.0.255', { type: 'get-request-normal', invoke: id(0), attribute: attr(3, '1.0.1.8.0.255', 2) }],
  ['HDLC GET-Response-Normal register value', { type: 'get-response-normal', invoke: id(0), result: { type: 'data', data: dlms.u32(12345680) } }],
  [
    'HDLC GET-Request-With-List: 6 registers',
    {
      type: 'get-request-with-list',
      invoke: id(0),
      items: ['1.0.1.8.0.255', '1.0.1.8.1.255', '1.0.1.8.2.255', '1.0.1.8.3.255', '1.0.2.8.0.255', '1.0.3.8.0.255']
        .map((o) => ({ attribute: attr(3, o, 2) }))
        .concat([{ attribute: attr(8, '0.0.1.0.0.255', 2) }]),
    },
  ],
  [
    'HDLC GET-Response-With-List: 6 x',
    {
      type: 'get-response-with-list',
      invoke: id(0),
      results: [
        ...[12345681, 4000002, 5000002, 3345680, 234569, 345680].map((v) => ({ type: 'data' as const, data: dlms.u32(v) })),
        { type: 'data', data: octets('07EA0B1802122F1200000000') },
      ],
    },
  ],
  ['HDLC I-frame RLRQ', { type: 'rlrq', reason: 0 }],
  ['HDLC I-frame RLRE', { type: 'rlre', reason: 0 }],
  ['HDLC I-frame ExceptionResponse', { type: 'exception-response', stateError: 1, serviceError: 2 }],
  [
    'HDLC SET-Request-Normal clock attr 2',
    { type: 'set-request-normal', invoke: id(1, false), attribute: attr(8, '0.0.1.0.0.255', 2), value: octets('07D20C04030A060BFF007800') },
  ],
  ['HDLC SET-Response-Normal success', { type: 'set-response-normal', invoke: id(1, false), result: 0 }],
  ['HDLC GET-Response-Normal long', { type: 'get-response-normal', invoke: id(1, false), result: { type: 'data', data: dlms.i16(120) } }],
  ['HDLC GET-Response-Normal unsigned', { type: 'get-response-normal', invoke: id(1, false), result: { type: 'data', data: dlms.u8(0) } }],
  ['HDLC GET-Response-Normal integer', { type: 'get-response-normal', invoke: id(1, false), result: { type: 'data', data: dlms.i8(0) } }],
  ['HDLC GET-Response-Normal boolean', { type: 'get-response-normal', invoke: id(1, false), result: { type: 'data', data: dlms.bool(false) } }],
  ['HDLC GET-Response-Normal enum', { type: 'get-response-normal', invoke: id(1, false), result: { type: 'data', data: dlms.enumOf(1) } }],
];

/**
 * The APDU of a non-segmented HDLC I-frame (IEC 62056-46): after the flag, format (2), destination and
 * source addresses (each ends at a byte with bit 0 set), control, HCS (2) and the LLC (3); before FCS (2)
 * and the closing flag. Undefined for other frames.
 */
function hdlcApdu(v: DlmsVector): Uint8Array | undefined {
  const b = fromHex(v.hex);
  const segmented = ((b[1] as number) & 0x08) !== 0;
  const length = (((b[1] as number) & 0x07) << 8) | (b[2] as number);
  let i = 3;
  while (((b[i] as number) & 1) === 0) i++;
  i++;
  while (((b[i] as number) & 1) === 0) i++;
  i++;
  const control = b[i] as number;
  if (segmented || (control & 1) !== 0) return undefined;
  const info = i + 3;
  const llc = toHex(b.subarray(info, info + 3));
  expect(['E6E600', 'E6E700']).toContain(llc);
  expect(b.length).toBe(length + 2);
  return b.slice(info + 3, 1 + length - 2);
}

interface Case {
  name: string;
  apdu: Uint8Array;
}

function allCases(): Case[] {
  const out: Case[] = [];
  for (const v of vectorsOf('apdu')) out.push({ name: v.name, apdu: fromHex(v.hex) });
  for (const v of vectorsOf('wrapper')) out.push({ name: v.name, apdu: fromHex(v.hex).slice(8) });
  for (const v of vectorsOf('hdlc')) {
    const apdu = hdlcApdu(v);
    if (apdu) out.push({ name: v.name, apdu });
  }
  return out;
}

function expectedFor(name: string): Apdu {
  const found = EXPECTED.filter(([prefix]) => name.startsWith(prefix));
  if (found.length !== 1) throw new Error(`${found.length} expectations match vector "${name}"`);
  return found[0]![1];
}

describe('APDUs of the shared vectors', () => {
  const cases = allCases();

  it('covers every apdu and wrapper vector and every non-segmented HDLC I-frame', () => {
    expect(cases.length).toBe(EXPECTED.length);
    expect(cases.length).toBe(56); // 21 apdu + 14 wrapper + 21 HDLC I-frames
    for (const c of cases) expectedFor(c.name);
  });

  for (const c of cases) {
    it(`decodes: ${c.name}`, () => {
      expect(decodeApdu(c.apdu)).toEqual(expectedFor(c.name));
    });
    it(`re-encodes to the same bytes: ${c.name}`, () => {
      expect(toHex(encodeApdu(expectedFor(c.name)))).toBe(toHex(c.apdu));
    });
  }

  it('agrees with the vectors on the conformance numbers', () => {
    expect(CONF_001E1D).toEqual(conformanceFromNumber(0x001e1d));
    expect(CONF_401E1D).toEqual(conformanceFromNumber(0x401e1d));
    expect(CONF_007E1F).toEqual(conformanceFromNumber(0x007e1f));
    expect(CONF_00501F).toEqual(conformanceFromNumber(0x00501f));
  });
});
