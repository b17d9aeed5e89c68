import { describe, expect, it } from 'vitest';
import { vectorBytes } from '../../../test/fixtures/vectors.js';
import { fromHex, toHex } from '../../shared/bytes.js';
import { aareRefusal } from './aare-refusal.js';
import { decodeAare, decodeAarq, lnAarq, type Aare } from './acse.js';
import { decodeApdu, encodeApdu } from './apdu.js';
import { DEFAULT_CLIENT_CONFORMANCE, conformanceFromNumber } from './conformance.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('AARQ', () => {
  it("builds the Gurux client's LLS AARQ byte for byte", () => {
    const bytes = encodeApdu(lnAarq({ password: text('Gurux'), conformance: conformanceFromNumber(0x401e1d) }));
    expect(toHex(bytes)).toBe(toHex(vectorBytes('WRAPPER AARQ LLS').slice(8)));
  });

  it('builds the no-authentication AARQ with our default conformance', () => {
    const bytes = encodeApdu(lnAarq());
    expect(toHex(bytes)).toBe('601DA109060760857405080101BE10040E01000000065F1F0400001E1DFFFF');
    expect(toHex(encodeApdu(lnAarq({ password: text('12345678'), conformance: conformanceFromNumber(0x007e1f), clientMaxReceivePduSize: 1200 })))).toBe(
      toHex(vectorBytes("AARQ LLS password '12345678'")),
    );
  });

  it('skips components DLMS does not use (protocol-version, called-AP-title)', () => {
    // 80 02 07 80 protocol-version, A2 04 06 02 2A 03 called-AP-title, then the usual context name.
    const aarq = decodeAarq(fromHex('601580020780A20406022A03A109060760857405080101'));
    expect(aarq).toEqual({ type: 'aarq', applicationContextName: 'logical-name' });
  });

  it('encodes response-allowed FALSE, a dedicated key and a QoS explicitly', () => {
    const a = {
      type: 'aarq',
      applicationContextName: 'logical-name-ciphered',
      userInformation: {
        type: 'initiate-request',
        dedicatedKey: fromHex('000102030405060708090A0B0C0D0E0F'),
        responseAllowed: false,
        proposedQualityOfService: -1,
        dlmsVersion: 6,
        conformance: conformanceFromNumber(0x001e1d),
        clientMaxReceivePduSize: 1200,
      },
    } as const;
    const bytes = encodeApdu(a);
    expect(toHex(bytes)).toContain('BE2304210101' + '10000102030405060708090A0B0C0D0E0F' + '0100' + '01FF' + '06' + '5F1F0400001E1D' + '04B0');
    expect(decodeApdu(bytes)).toEqual(a);
  });

  it('names what is wrong', () => {
    expect(() => decodeAarq(fromHex('6000'))).toThrowError(/AARQ has no application-context-name/);
    expect(() => decodeAarq(fromHex('6009A10706056085740508'))).toThrowError(/application-context-name 2\.16\.756\.5\.8 is not a DLMS context/);
    expect(() => decodeAarq(fromHex('6014A1090607608574050801018B0760857405080209'))).toThrowError(
      /mechanism-name 2\.16\.756\.5\.8\.2\.9 is not a DLMS authentication mechanism/,
    );
    // user-information holding an InitiateResponse is the server's APDU, not the client's.
    expect(() => decodeAarq(fromHex('601DA109060760857405080101BE10040E0800065F1F0400001E1D04000007'))).toThrowError(
      /AARQ user-information carries a initiate-response/,
    );
    expect(() => decodeAarq(fromHex('600BA109060760857405080101 00'))).toThrowError(/1 byte\(s\) after the end of the AARQ/);
  });

  it('refuses authentication values other than the charstring choice as unsupported', () => {
    expect(() => decodeAarq(fromHex('6012A109060760857405080101AC0581030001FF'))).toThrowError(
      expect.objectContaining({ code: 'DLMS_UNSUPPORTED' }),
    );
  });
});

describe('AARE and aareRefusal', () => {
  it('accepts the accepted AAREs, including HLS "authentication-required"', () => {
    expect(aareRefusal(decodeAare(vectorBytes('AARE accepted (Green Book')))).toBeUndefined();
    expect(aareRefusal(decodeAare(vectorBytes('AARE accepted, authentication-required')))).toBeUndefined();
  });

  it('reports a rejected application context', () => {
    const e = aareRefusal(decodeAare(vectorBytes('AARE rejected-permanent: application-context')));
    expect(e?.code).toBe('DLMS_ASSOCIATION_REJECTED');
    expect(e?.message).toBe('association rejected (rejected-permanent): acse-service-user application-context-name-not-supported (2)');
    expect(e?.context).toMatchObject({ result: 'rejected-permanent', diagnostic: 'application-context-name-not-supported', diagnosticCode: 2 });
  });

  it('names the ConfirmedServiceError of a refused initiate', () => {
    const e = aareRefusal(decodeAare(vectorBytes('AARE rejected with ConfirmedServiceError')));
    expect(e?.code).toBe('DLMS_ASSOCIATION_REJECTED');
    expect(e?.message).toBe('association rejected (rejected-permanent): acse-service-user no-reason-given (1); initiate: dlms-version-too-low');
    expect(e?.context.serviceError).toBe('initiate: dlms-version-too-low');
  });

  it('turns authentication-failure into DLMS_AUTH_FAILED', () => {
    const aare: Aare = {
      type: 'aare',
      applicationContextName: 'logical-name',
      result: 'rejected-permanent',
      diagnostic: { source: 'acse-service-user', value: 13 },
    };
    const bytes = encodeApdu(aare);
    expect(toHex(bytes)).toBe('6117A109060760857405080101A203020101A305A10302010D');
    const e = aareRefusal(decodeAare(bytes));
    expect(e?.code).toBe('DLMS_AUTH_FAILED');
    expect(e?.message).toBe('association refused: authentication failure (wrong password)');
  });

  it('reports a service-provider diagnostic and a transient rejection', () => {
    const e = aareRefusal({
      type: 'aare',
      applicationContextName: 'logical-name',
      result: 'rejected-transient',
      diagnostic: { source: 'acse-service-provider', value: 2 },
    });
    expect(e?.message).toBe('association rejected (rejected-transient): acse-service-provider no-common-acse-version (2)');
  });

  it('round-trips the responding AP-title and a service-provider diagnostic', () => {
    const aare: Aare = {
      type: 'aare',
      applicationContextName: 'logical-name-ciphered',
      result: 'accepted',
      diagnostic: { source: 'acse-service-provider', value: 0 },
      respondingApTitle: text('GRX12345'),
      userInformation: { type: 'ciphered-initiate', bytes: fromHex('2810300000000100') },
    };
    const bytes = encodeApdu(aare);
    expect(toHex(bytes)).toContain('A305A203020100A40A04084752583132333435');
    expect(decodeApdu(bytes)).toEqual(aare);
  });

  it('names a missing result and an unknown result value', () => {
    expect(() => decodeAare(fromHex('610BA109060760857405080101'))).toThrowError(/AARE has no result/);
    expect(() => decodeAare(fromHex('6110A109060760857405080101A203020103'))).toThrowError(/AARE result 3 is not/);
  });
});

describe('RLRQ / RLRE', () => {
  it('round-trip without a reason and with user-information', () => {
    expect(toHex(encodeApdu({ type: 'rlrq' }))).toBe('6200');
    expect(decodeApdu(fromHex('6200'))).toEqual({ type: 'rlrq' });
    const rlre = { type: 'rlre', reason: 30, userInformation: { type: 'initiate-response', dlmsVersion: 6, conformance: DEFAULT_CLIENT_CONFORMANCE, serverMaxReceivePduSize: 512, vaaName: 7 } } as const;
    const bytes = encodeApdu(rlre);
    expect(toHex(bytes)).toBe('63158001' + '1E' + 'BE10040E0800065F1F0400001E1D02000007');
    expect(decodeApdu(bytes)).toEqual(rlre);
  });
});
