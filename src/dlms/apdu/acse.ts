import { ByteWriter } from '../../shared/bytes.js';
import {
  ASSOCIATION_RESULTS,
  applicationContextFromOid,
  applicationContextOid,
  mechanismFromOid,
  mechanismOid,
  type ApplicationContextName,
  type AssociateDiagnostic,
  type AssociationResult,
  type MechanismName,
} from './acse-names.js';
import {
  acseRequirementsContent,
  berIntegerContent,
  readAcseOuter,
  readAcseRequirements,
  readApTitle,
  readAuthenticationValue,
  readBerInteger,
  readComponents,
  readExplicit,
  readUserInformation,
  writeExplicit,
  writeUserInformation,
} from './acse-fields.js';
import { badApdu, contentOf, decodeOid, encodeOid, readTlvs, writeTlv, type Tlv } from './ber.js';
import { DEFAULT_CLIENT_CONFORMANCE, type Conformance } from './conformance.js';
import type { ConfirmedServiceError } from './confirmed-service-error.js';
import { initiateRequest, type CipheredInitiate, type InitiateRequest, type InitiateResponse, type UserInformation } from './initiate.js';

/**
 * Association establishment (IEC 62056-5-3 §7.3 / ISO 8650-1 ACSE): AARQ (tag 0x60) from the client and
 * AARE (0x61) from the server, BER encoded. Components are read in any order and unknown ones (the
 * protocol-version, called-AP-title, implementation-information, …) are skipped: DLMS servers ignore them
 * too, and they change nothing for us. Encoding writes components in ASN.1 order, as the Green Book does.
 */
export const AARQ_TAG = 0x60;
export const AARE_TAG = 0x61;

export interface Aarq {
  readonly type: 'aarq';
  readonly applicationContextName: ApplicationContextName;
  /** calling-AP-title [6]: the client's system title (8 bytes), sent with ciphered contexts. */
  readonly callingApTitle?: Uint8Array | undefined;
  /** sender-acse-requirements [10]: true = authentication functional unit (8A 02 07 80). */
  readonly senderAcseRequirements?: boolean | undefined;
  /** mechanism-name [11]: 'lls' for a password, 'hls-…' for a challenge. */
  readonly mechanismName?: MechanismName | undefined;
  /** calling-authentication-value [12]: the LLS password, or the HLS client-to-server challenge. */
  readonly callingAuthenticationValue?: Uint8Array | undefined;
  /** user-information [30]: the xDLMS InitiateRequest (ciphered with a ciphered context). */
  readonly userInformation?: InitiateRequest | CipheredInitiate | undefined;
}

export interface Aare {
  readonly type: 'aare';
  readonly applicationContextName: ApplicationContextName;
  readonly result: AssociationResult;
  readonly diagnostic: AssociateDiagnostic;
  /** responding-AP-title [4]: the server's system title, with ciphered contexts. */
  readonly respondingApTitle?: Uint8Array | undefined;
  readonly responderAcseRequirements?: boolean | undefined;
  readonly mechanismName?: MechanismName | undefined;
  /** responding-authentication-value [10]: the HLS server-to-client challenge. */
  readonly respondingAuthenticationValue?: Uint8Array | undefined;
  readonly userInformation?: InitiateResponse | ConfirmedServiceError | CipheredInitiate | undefined;
}

function readOidComponent(bytes: Uint8Array, t: Tlv): string {
  return decodeOid(contentOf(bytes, t), t.contentStart);
}

function readContextName(bytes: Uint8Array, t: Tlv): ApplicationContextName {
  const oid = readExplicit(bytes, t, 0x06, 'application-context-name');
  return applicationContextFromOid(readOidComponent(bytes, oid), t.start);
}

function writeContextName(w: ByteWriter, name: ApplicationContextName): void {
  writeExplicit(w, 0xa1, 0x06, encodeOid(applicationContextOid(name)));
}

function expectUserInformation<T extends UserInformation['type']>(
  u: UserInformation,
  allowed: readonly T[],
  apdu: string,
  t: Tlv,
): Extract<UserInformation, { type: T }> {
  if (!(allowed as readonly string[]).includes(u.type)) throw badApdu(`${apdu} user-information carries a ${u.type}`, t.start);
  return u as Extract<UserInformation, { type: T }>;
}

export function decodeAarq(bytes: Uint8Array): Aarq {
  const outer = readAcseOuter(bytes, AARQ_TAG, 'AARQ');
  let applicationContextName: ApplicationContextName | undefined;
  const aarq: { -readonly [K in keyof Aarq]?: Aarq[K] } = {};
  for (const t of readComponents(bytes, outer, 'AARQ')) {
    switch (t.tag) {
      case 0xa1:
        applicationContextName = readContextName(bytes, t);
        break;
      case 0xa6:
        aarq.callingApTitle = readApTitle(bytes, t, 'calling-AP-title');
        break;
      case 0x8a:
        aarq.senderAcseRequirements = readAcseRequirements(bytes, t, 'sender-acse-requirements');
        break;
      case 0x8b:
        aarq.mechanismName = mechanismFromOid(readOidComponent(bytes, t), t.start);
        break;
      case 0xac:
        aarq.callingAuthenticationValue = readAuthenticationValue(bytes, t, 'calling-authentication-value');
        break;
      case 0xbe:
        aarq.userInformation = expectUserInformation(readUserInformation(bytes, t), ['initiate-request', 'ciphered-initiate'], 'AARQ', t);
        break;
      default:
        break; // protocol-version, called-*, calling-AE-*, implementation-information: not used by DLMS
    }
  }
  if (applicationContextName === undefined) throw badApdu('AARQ has no application-context-name', 0);
  return { type: 'aarq', applicationContextName, ...aarq };
}

export function writeAarq(w: ByteWriter, a: Aarq): void {
  const body = new ByteWriter();
  writeContextName(body, a.applicationContextName);
  if (a.callingApTitle !== undefined) writeExplicit(body, 0xa6, 0x04, a.callingApTitle);
  if (a.senderAcseRequirements !== undefined) writeTlv(body, 0x8a, acseRequirementsContent(a.senderAcseRequirements));
  if (a.mechanismName !== undefined) writeTlv(body, 0x8b, encodeOid(mechanismOid(a.mechanismName)));
  if (a.callingAuthenticationValue !== undefined) writeExplicit(body, 0xac, 0x80, a.callingAuthenticationValue);
  if (a.userInformation !== undefined) writeUserInformation(body, a.userInformation);
  writeTlv(w, AARQ_TAG, body.toBytes());
}

function readResult(bytes: Uint8Array, t: Tlv): AssociationResult {
  const value = readBerInteger(bytes, readExplicit(bytes, t, 0x02, 'result'), 'result');
  const result = ASSOCIATION_RESULTS[value];
  if (result === undefined) throw badApdu(`AARE result ${value} is not accepted(0) / rejected-permanent(1) / rejected-transient(2)`, t.start);
  return result;
}

/** result-source-diagnostic [3]: CHOICE acse-service-user [1] / acse-service-provider [2], each EXPLICIT INTEGER. */
function readDiagnostic(bytes: Uint8Array, t: Tlv): AssociateDiagnostic {
  const inner = readTlvs(bytes, t.contentStart, t.contentEnd, 'result-source-diagnostic');
  const choice = inner[0];
  if (inner.length !== 1 || choice === undefined || (choice.tag !== 0xa1 && choice.tag !== 0xa2)) {
    throw badApdu('result-source-diagnostic must be acse-service-user [1] or acse-service-provider [2]', t.start);
  }
  const value = readBerInteger(bytes, readExplicit(bytes, choice, 0x02, 'result-source-diagnostic'), 'result-source-diagnostic');
  return { source: choice.tag === 0xa1 ? 'acse-service-user' : 'acse-service-provider', value };
}

function writeDiagnostic(w: ByteWriter, d: AssociateDiagnostic): void {
  const inner = new ByteWriter(8);
  writeExplicit(inner, d.source === 'acse-service-user' ? 0xa1 : 0xa2, 0x02, berIntegerContent(d.value, 'diagnostic'));
  writeTlv(w, 0xa3, inner.toBytes());
}

export function decodeAare(bytes: Uint8Array): Aare {
  const outer = readAcseOuter(bytes, AARE_TAG, 'AARE');
  let applicationContextName: ApplicationContextName | undefined;
  let result: AssociationResult | undefined;
  let diagnostic: AssociateDiagnostic | undefined;
  const aare: { -readonly [K in keyof Aare]?: Aare[K] } = {};
  for (const t of readComponents(bytes, outer, 'AARE')) {
    switch (t.tag) {
      case 0xa1:
        applicationContextName = readContextName(bytes, t);
        break;
      case 0xa2:
        result = readResult(bytes, t);
        break;
      case 0xa3:
        diagnostic = readDiagnostic(bytes, t);
        break;
      case 0xa4:
        aare.respondingApTitle = readApTitle(bytes, t, 'responding-AP-title');
        break;
      case 0x88:
        aare.responderAcseRequirements = readAcseRequirements(bytes, t, 'responder-acse-requirements');
        break;
      case 0x89:
        aare.mechanismName = mechanismFromOid(readOidComponent(bytes, t), t.start);
        break;
      case 0xaa:
        aare.respondingAuthenticationValue = readAuthenticationValue(bytes, t, 'responding-authentication-value');
        break;
      case 0xbe:
        aare.userInformation = expectUserInformation(
          readUserInformation(bytes, t),
          ['initiate-response', 'confirmed-service-error', 'ciphered-initiate'],
          'AARE',
          t,
        );
        break;
      default:
        break;
    }
  }
  if (applicationContextName === undefined) throw badApdu('AARE has no application-context-name', 0);
  if (result === undefined) throw badApdu('AARE has no result', 0);
  if (diagnostic === undefined) throw badApdu('AARE has no result-source-diagnostic', 0);
  return { type: 'aare', applicationContextName, result, diagnostic, ...aare };
}

export function writeAare(w: ByteWriter, a: Aare): void {
  const body = new ByteWriter();
  writeContextName(body, a.applicationContextName);
  writeExplicit(body, 0xa2, 0x02, berIntegerContent(ASSOCIATION_RESULTS.indexOf(a.result), 'result'));
  writeDiagnostic(body, a.diagnostic);
  if (a.respondingApTitle !== undefined) writeExplicit(body, 0xa4, 0x04, a.respondingApTitle);
  if (a.responderAcseRequirements !== undefined) writeTlv(body, 0x88, acseRequirementsContent(a.responderAcseRequirements));
  if (a.mechanismName !== undefined) writeTlv(body, 0x89, encodeOid(mechanismOid(a.mechanismName)));
  if (a.respondingAuthenticationValue !== undefined) writeExplicit(body, 0xaa, 0x80, a.respondingAuthenticationValue);
  if (a.userInformation !== undefined) writeUserInformation(body, a.userInformation);
  writeTlv(w, AARE_TAG, body.toBytes());
}

/**
 * The AARQ our client sends: LN referencing without ciphering, no authentication or LLS with `password`
 * (sender-acse-requirements + mechanism-name + calling-authentication-value, Green Book LLS example),
 * and the InitiateRequest proposing `conformance`.
 */
export function lnAarq(
  options: { password?: Uint8Array | undefined; conformance?: Conformance; clientMaxReceivePduSize?: number } = {},
): Aarq {
  const userInformation = initiateRequest(options.conformance ?? DEFAULT_CLIENT_CONFORMANCE, options.clientMaxReceivePduSize ?? 0xffff);
  if (options.password === undefined) return { type: 'aarq', applicationContextName: 'logical-name', userInformation };
  return {
    type: 'aarq',
    applicationContextName: 'logical-name',
    senderAcseRequirements: true,
    mechanismName: 'lls',
    callingAuthenticationValue: options.password,
    userInformation,
  };
}
