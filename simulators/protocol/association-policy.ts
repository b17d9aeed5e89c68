import type { Aare, Aarq } from '../../src/dlms/apdu/acse.js';
import { DIAGNOSTIC, type AssociateDiagnostic } from '../../src/dlms/apdu/acse-names.js';
import { conformance, type Conformance, type ConformanceBit } from '../../src/dlms/apdu/conformance.js';
import { DLMS_VERSION, LN_VAA_NAME, type InitiateResponse } from '../../src/dlms/apdu/initiate.js';
import type { AccessLevel } from '../meter/object-table.js';

/**
 * Association establishment on the meter side (IEC 62056-5-3 §7.3, Green Book "AARQ/AARE"): which client
 * SAP may associate at which level and with what authentication, and what the meter grants.
 *
 * Client SAPs as a typical meter configures them (IEC 62056-46 §6.4.2.2 reserves 16 for the public
 * client; the others are the meter's choice, documented here):
 *   16 public      no authentication ("lowest level security"), public objects only;
 *   17 reading     LLS, the meter's reading password;
 *    1 management  LLS, the management password.
 */
export const CLIENT_SAP = { public: 16, reading: 17, management: 1 } as const;

export function accessLevelOfClientSap(sap: number): AccessLevel | undefined {
  if (sap === CLIENT_SAP.public) return 'public';
  if (sap === CLIENT_SAP.reading) return 'reading';
  if (sap === CLIENT_SAP.management) return 'management';
  return undefined;
}

/** Everything our simulated meter can do (LN referencing, no ciphering, GET blocks but not SET/ACTION blocks). */
export const METER_CONFORMANCE: Conformance = conformance(
  'get',
  'set',
  'action',
  'selective-access',
  'multiple-references',
  'block-transfer-with-get-or-read',
);

export interface AssociationPolicy {
  readonly readingPassword: string;
  readonly managementPassword: string;
  /** Largest APDU the meter receives and sends (server-max-receive-pdu-size), e.g. 512 or 1024. */
  readonly maxPduSize: number;
  /** Services the meter offers; the AARE grants the intersection with the client's proposal. */
  readonly conformance: Conformance;
}

/** What an accepted association allows for the rest of the connection. */
export interface Association {
  readonly clientSap: number;
  readonly level: AccessLevel;
  readonly conformance: Conformance;
  /** Largest APDU we may send: min(client-max-receive-pdu-size, our own maximum). */
  readonly maxSendPdu: number;
}

export type AssociationOutcome =
  | { readonly accepted: true; readonly aare: Aare; readonly association: Association }
  | { readonly accepted: false; readonly aare: Aare };

/** Below this a client could not even receive an AARE; 0 means "no limit" (Green Book, InitiateRequest). */
const MIN_CLIENT_PDU = 12;

const serviceUser = (value: number): AssociateDiagnostic => ({ source: 'acse-service-user', value });

function rejected(diagnostic: AssociateDiagnostic, userInformation?: Aare['userInformation']): AssociationOutcome {
  const aare: Aare = { type: 'aare', applicationContextName: 'logical-name', result: 'rejected-permanent', diagnostic, userInformation };
  return { accepted: false, aare };
}

/** ConfirmedServiceError initiateError / initiate(6) / value, in the AARE (Green Book, xDLMS initiate). */
function initiateError(error: 1 | 2 | 3): AssociationOutcome {
  return rejected(serviceUser(DIAGNOSTIC.noReasonGiven), { type: 'confirmed-service-error', service: 1, errorKind: 6, error });
}

function textBytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Checks the authentication the AARQ carries against what the client SAP requires. */
function authenticate(aarq: Aarq, level: AccessLevel, policy: AssociationPolicy): AssociateDiagnostic | undefined {
  const mechanism = aarq.mechanismName ?? 'none';
  if (level === 'public') {
    return mechanism === 'none' ? undefined : serviceUser(DIAGNOSTIC.authenticationMechanismNameNotRecognised);
  }
  if (mechanism === 'none') return serviceUser(DIAGNOSTIC.authenticationMechanismNameRequired);
  if (mechanism !== 'lls') return serviceUser(DIAGNOSTIC.authenticationMechanismNameNotRecognised);
  const secret = level === 'reading' ? policy.readingPassword : policy.managementPassword;
  const given = aarq.callingAuthenticationValue;
  if (given === undefined || !sameBytes(given, textBytes(secret))) return serviceUser(DIAGNOSTIC.authenticationFailure);
  return undefined;
}

/**
 * The AARE for an AARQ received from `clientSap`, and the association it opens when accepted. Order of
 * checks as a meter does them: context, client, authentication, then the xDLMS InitiateRequest.
 */
export function associate(aarq: Aarq, clientSap: number, policy: AssociationPolicy): AssociationOutcome {
  if (aarq.applicationContextName !== 'logical-name') return rejected(serviceUser(DIAGNOSTIC.applicationContextNameNotSupported));
  const level = accessLevelOfClientSap(clientSap);
  if (level === undefined) return rejected(serviceUser(DIAGNOSTIC.noReasonGiven));
  const authFailure = authenticate(aarq, level, policy);
  if (authFailure !== undefined) return rejected(authFailure);

  const initiate = aarq.userInformation;
  if (initiate?.type !== 'initiate-request') return rejected(serviceUser(DIAGNOSTIC.noReasonGiven));
  if (initiate.dlmsVersion < DLMS_VERSION) return initiateError(1); // dlms-version-too-low
  const granted = new Set<ConformanceBit>([...policy.conformance].filter((b) => initiate.conformance.has(b)));
  if (!granted.has('get') && !granted.has('set') && !granted.has('action')) return initiateError(2); // incompatible-conformance
  const clientPdu = initiate.clientMaxReceivePduSize === 0 ? 0xffff : initiate.clientMaxReceivePduSize;
  if (clientPdu < MIN_CLIENT_PDU) return initiateError(3); // pdu-size-too-short

  const response: InitiateResponse = {
    type: 'initiate-response',
    dlmsVersion: DLMS_VERSION,
    conformance: granted,
    serverMaxReceivePduSize: policy.maxPduSize,
    vaaName: LN_VAA_NAME,
  };
  const aare: Aare = {
    type: 'aare',
    applicationContextName: 'logical-name',
    result: 'accepted',
    diagnostic: serviceUser(DIAGNOSTIC.null),
    userInformation: response,
  };
  return {
    accepted: true,
    aare,
    association: { clientSap, level, conformance: granted, maxSendPdu: Math.min(clientPdu, policy.maxPduSize) },
  };
}
