import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { vectorsOf } from '../../../test/fixtures/vectors.js';
import { fromHex } from '../../shared/bytes.js';
import type { DlmsData } from '../axdr/types.js';
import { obisFromBytes } from '../cosem/obis.js';
import { isDlmsError } from '../errors.js';
import { APPLICATION_CONTEXT_NAMES, ASSOCIATION_RESULTS, MECHANISM_NAMES } from './acse-names.js';
import { decodeApdu, encodeApdu, type Apdu } from './apdu.js';
import { conformanceFromNumber } from './conformance.js';

/** Random values of every Apdu type round-trip; random and damaged bytes give a DlmsError or an Apdu. */

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (maxLength = 40) => fc.uint8Array({ maxLength });

const data: fc.Arbitrary<DlmsData> = fc.letrec<{ data: DlmsData }>((tie) => ({
  data: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<DlmsData>({ type: 'null-data' }),
    fc.boolean().map((value): DlmsData => ({ type: 'boolean', value })),
    fc.integer({ min: -128, max: 127 }).map((value): DlmsData => ({ type: 'integer', value })),
    fc.integer({ min: -32768, max: 32767 }).map((value): DlmsData => ({ type: 'long', value })),
    u8.map((value): DlmsData => ({ type: 'unsigned', value })),
    u16.map((value): DlmsData => ({ type: 'long-unsigned', value })),
    fc.integer().map((value): DlmsData => ({ type: 'double-long', value })),
    u32.map((value): DlmsData => ({ type: 'double-long-unsigned', value })),
    fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((value): DlmsData => ({ type: 'long64', value })),
    u8.map((value): DlmsData => ({ type: 'enum', value })),
    bytes(20).map((value): DlmsData => ({ type: 'octet-string', value })),
    fc.string({ unit: fc.constantFrom(...'abcXYZ 0129.-'), maxLength: 12 }).map((value): DlmsData => ({ type: 'visible-string', value })),
    fc.array(tie('data'), { maxLength: 4 }).map((value): DlmsData => ({ type: 'structure', value })),
    fc.array(tie('data'), { maxLength: 4 }).map((value): DlmsData => ({ type: 'array', value })),
  ),
})).data;

const obis = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => obisFromBytes(b));
const invoke = fc.record({ invokeId: fc.integer({ min: 0, max: 15 }), confirmed: fc.boolean(), highPriority: fc.boolean() });
const attribute = fc.record({ classId: u16, instanceId: obis, attributeId: u8 });
const method = fc.record({ classId: u16, instanceId: obis, methodId: u8 });
const access = fc.record({ selector: u8, parameters: data });
const conformance = fc.integer({ min: 0, max: 0xffffff }).map(conformanceFromNumber);
const dataAccess = u8;
const getDataResult = fc.oneof(
  data.map((d) => ({ type: 'data' as const, data: d })),
  dataAccess.map((result) => ({ type: 'data-access-result' as const, result })),
);

const initiateRequest = fc.record(
  {
    type: fc.constant('initiate-request' as const),
    dedicatedKey: bytes(32),
    responseAllowed: fc.boolean(),
    proposedQualityOfService: fc.integer({ min: -128, max: 127 }),
    dlmsVersion: u8,
    conformance,
    clientMaxReceivePduSize: u16,
  },
  { requiredKeys: ['type', 'responseAllowed', 'dlmsVersion', 'conformance', 'clientMaxReceivePduSize'] },
);
const initiateResponse = fc.record(
  {
    type: fc.constant('initiate-response' as const),
    negotiatedQualityOfService: fc.integer({ min: -128, max: 127 }),
    dlmsVersion: u8,
    conformance,
    serverMaxReceivePduSize: u16,
    vaaName: u16,
  },
  { requiredKeys: ['type', 'dlmsVersion', 'conformance', 'serverMaxReceivePduSize', 'vaaName'] },
);
const confirmedServiceError = fc.record({ type: fc.constant('confirmed-service-error' as const), service: u8, errorKind: u8, error: u8 });
const ciphered = fc
  .tuple(fc.constantFrom(0x21, 0x28, 0x41, 0x48, 0xdb, 0xdc), bytes(60))
  .map(([tag, rest]) => ({ type: 'ciphered-initiate' as const, bytes: Uint8Array.of(tag, ...rest) }));
const userInformation = fc.oneof(initiateRequest, initiateResponse, confirmedServiceError, ciphered);

const aarq = fc.record(
  {
    type: fc.constant('aarq' as const),
    applicationContextName: fc.constantFrom(...APPLICATION_CONTEXT_NAMES),
    callingApTitle: bytes(8),
    senderAcseRequirements: fc.boolean(),
    mechanismName: fc.constantFrom(...MECHANISM_NAMES),
    callingAuthenticationValue: bytes(64),
    userInformation: fc.oneof(initiateRequest, ciphered),
  },
  { requiredKeys: ['type', 'applicationContextName'] },
);
const aare = fc.record(
  {
    type: fc.constant('aare' as const),
    applicationContextName: fc.constantFrom(...APPLICATION_CONTEXT_NAMES),
    result: fc.constantFrom(...ASSOCIATION_RESULTS),
    diagnostic: fc.record({ source: fc.constantFrom('acse-service-user' as const, 'acse-service-provider' as const), value: fc.integer({ min: 0, max: 0x7fffffff }) }),
    respondingApTitle: bytes(8),
    responderAcseRequirements: fc.boolean(),
    mechanismName: fc.constantFrom(...MECHANISM_NAMES),
    respondingAuthenticationValue: bytes(64),
    userInformation: fc.oneof(initiateResponse, confirmedServiceError, ciphered),
  },
  { requiredKeys: ['type', 'applicationContextName', 'result', 'diagnostic'] },
);
const release = (type: 'rlrq' | 'rlre') =>
  fc.record({ type: fc.constant(type), reason: fc.integer({ min: 0, max: 0xffff }), userInformation }, { requiredKeys: ['type'] });

const ARBITRARIES: Record<Apdu['type'], fc.Arbitrary<Apdu>> = {
  aarq,
  aare,
  rlrq: release('rlrq'),
  rlre: release('rlre'),
  'get-request-normal': fc.record(
    { type: fc.constant('get-request-normal' as const), invoke, attribute, access },
    { requiredKeys: ['type', 'invoke', 'attribute'] },
  ),
  'get-request-next': fc.record({ type: fc.constant('get-request-next' as const), invoke, blockNumber: u32 }),
  'get-request-with-list': fc.record({
    type: fc.constant('get-request-with-list' as const),
    invoke,
    items: fc.array(fc.record({ attribute, access }, { requiredKeys: ['attribute'] }), { maxLength: 10 }),
  }),
  'get-response-normal': fc.record({ type: fc.constant('get-response-normal' as const), invoke, result: getDataResult }),
  'get-response-with-datablock': fc.record({
    type: fc.constant('get-response-with-datablock' as const),
    invoke,
    lastBlock: fc.boolean(),
    blockNumber: u32,
    result: fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((d) => ({ type: 'raw-data' as const, data: d })),
      dataAccess.map((result) => ({ type: 'data-access-result' as const, result })),
    ),
  }),
  'get-response-with-list': fc.record({ type: fc.constant('get-response-with-list' as const), invoke, results: fc.array(getDataResult, { maxLength: 10 }) }),
  'set-request-normal': fc.record(
    { type: fc.constant('set-request-normal' as const), invoke, attribute, access, value: data },
    { requiredKeys: ['type', 'invoke', 'attribute', 'value'] },
  ),
  'set-response-normal': fc.record({ type: fc.constant('set-response-normal' as const), invoke, result: dataAccess }),
  'action-request-normal': fc.record(
    { type: fc.constant('action-request-normal' as const), invoke, method, parameters: data },
    { requiredKeys: ['type', 'invoke', 'method'] },
  ),
  'action-response-normal': fc.record(
    { type: fc.constant('action-response-normal' as const), invoke, result: u8, returnParameters: getDataResult },
    { requiredKeys: ['type', 'invoke', 'result'] },
  ),
  'exception-response': fc.oneof(
    fc.record({ type: fc.constant('exception-response' as const), stateError: u8, serviceError: u8 }),
    fc.record({ type: fc.constant('exception-response' as const), stateError: u8, serviceError: fc.constant(6), invocationCounter: u32 }),
  ),
  'confirmed-service-error': confirmedServiceError,
};

describe('random APDUs round-trip', () => {
  for (const [type, arb] of Object.entries(ARBITRARIES)) {
    it(type, () => {
      fc.assert(
        fc.property(arb, (a) => {
          expect(a.type).toBe(type);
          expect(decodeApdu(encodeApdu(a))).toEqual(a);
        }),
        { numRuns: 300 },
      );
    });
  }
});

/** Decoding is total: an Apdu or a DlmsError; and whatever decodes re-encodes to something that decodes the same. */
function checkTotal(b: Uint8Array): void {
  let a: Apdu;
  try {
    a = decodeApdu(b);
  } catch (e) {
    if (!isDlmsError(e)) throw e;
    return;
  }
  expect(decodeApdu(encodeApdu(a))).toEqual(a);
}

describe('hostile bytes into decodeApdu', () => {
  const TAGS = [0x60, 0x61, 0x62, 0x63, 0xc0, 0xc1, 0xc3, 0xc4, 0xc5, 0xc7, 0xd8, 0x0e];

  it('random buffers', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), checkTotal), { numRuns: 5000 });
  });

  it('random buffers behind a valid tag', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TAGS), fc.uint8Array({ maxLength: 80 }), (tag, rest) => checkTotal(Uint8Array.of(tag, ...rest))),
      { numRuns: 10000 },
    );
  });

  it('vector APDUs with one byte changed, inserted or removed', () => {
    const apdus = vectorsOf('apdu').map((v) => fromHex(v.hex));
    fc.assert(
      fc.property(fc.constantFrom(...apdus), fc.nat(), u8, fc.constantFrom('set', 'insert', 'delete'), (orig, i, v, op) => {
        const at = i % orig.length;
        const b = [...orig];
        if (op === 'set') b[at] = v;
        else if (op === 'insert') b.splice(at, 0, v);
        else b.splice(at, 1);
        checkTotal(Uint8Array.from(b));
      }),
      { numRuns: 10000 },
    );
  });
});
