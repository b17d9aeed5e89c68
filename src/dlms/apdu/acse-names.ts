import { badApdu } from './ber.js';

/**
 * Names used by the ACSE APDUs in DLMS (IEC 62056-5-3 §7.3, Green Book "application context names" and
 * "authentication mechanism names"). DLMS registers both under {joint-iso-ccitt(2) country(16) ch(756)
 * identified-organization(5) DLMS-UA(8)}: 1 = application contexts, 2 = authentication mechanisms.
 */
const CONTEXT_PREFIX = '2.16.756.5.8.1.';
const MECHANISM_PREFIX = '2.16.756.5.8.2.';

export const APPLICATION_CONTEXT_NAMES = ['logical-name', 'short-name', 'logical-name-ciphered', 'short-name-ciphered'] as const;
export type ApplicationContextName = (typeof APPLICATION_CONTEXT_NAMES)[number];

/** 0 lowest level (none), 1 LLS (password), 2 HLS manufacturer-specific, 3..7 HLS MD5/SHA-1/GMAC/SHA-256/ECDSA. */
export const MECHANISM_NAMES = ['none', 'lls', 'hls', 'hls-md5', 'hls-sha1', 'hls-gmac', 'hls-sha256', 'hls-ecdsa'] as const;
export type MechanismName = (typeof MECHANISM_NAMES)[number];

export function applicationContextOid(name: ApplicationContextName): string {
  return `${CONTEXT_PREFIX}${APPLICATION_CONTEXT_NAMES.indexOf(name) + 1}`;
}

export function applicationContextFromOid(oid: string, offset: number): ApplicationContextName {
  const name = oid.startsWith(CONTEXT_PREFIX) ? APPLICATION_CONTEXT_NAMES[Number(oid.slice(CONTEXT_PREFIX.length)) - 1] : undefined;
  if (name === undefined) throw badApdu(`application-context-name ${oid} is not a DLMS context`, offset);
  return name;
}

export function mechanismOid(name: MechanismName): string {
  return `${MECHANISM_PREFIX}${MECHANISM_NAMES.indexOf(name)}`;
}

export function mechanismFromOid(oid: string, offset: number): MechanismName {
  const name = oid.startsWith(MECHANISM_PREFIX) ? MECHANISM_NAMES[Number(oid.slice(MECHANISM_PREFIX.length))] : undefined;
  if (name === undefined) throw badApdu(`mechanism-name ${oid} is not a DLMS authentication mechanism`, offset);
  return name;
}

/** Association-result (ISO 8650-1 / IEC 62056-5-3 AARE result). */
export const ASSOCIATION_RESULTS = ['accepted', 'rejected-permanent', 'rejected-transient'] as const;
export type AssociationResult = (typeof ASSOCIATION_RESULTS)[number];

/** Associate-source-diagnostic: who gave the diagnostic, and the INTEGER it gave. */
export interface AssociateDiagnostic {
  readonly source: 'acse-service-user' | 'acse-service-provider';
  readonly value: number;
}

const SERVICE_USER_DIAGNOSTICS = [
  'null',
  'no-reason-given',
  'application-context-name-not-supported',
  'calling-AP-title-not-recognized',
  'calling-AP-invocation-identifier-not-recognized',
  'calling-AE-qualifier-not-recognized',
  'calling-AE-invocation-identifier-not-recognized',
  'called-AP-title-not-recognized',
  'called-AP-invocation-identifier-not-recognized',
  'called-AE-qualifier-not-recognized',
  'called-AE-invocation-identifier-not-recognized',
  'authentication-mechanism-name-not-recognised',
  'authentication-mechanism-name-required',
  'authentication-failure',
  'authentication-required',
] as const;

const SERVICE_PROVIDER_DIAGNOSTICS = ['null', 'no-reason-given', 'no-common-acse-version'] as const;

export const DIAGNOSTIC = {
  null: 0,
  noReasonGiven: 1,
  applicationContextNameNotSupported: 2,
  authenticationMechanismNameNotRecognised: 11,
  authenticationMechanismNameRequired: 12,
  authenticationFailure: 13,
  authenticationRequired: 14,
} as const;

/** "authentication-failure", or "unknown-20". */
export function diagnosticName(d: AssociateDiagnostic): string {
  const names: readonly string[] = d.source === 'acse-service-user' ? SERVICE_USER_DIAGNOSTICS : SERVICE_PROVIDER_DIAGNOSTICS;
  return names[d.value] ?? `unknown-${d.value}`;
}

/** Release-request-reason (RLRQ) and Release-response-reason (RLRE). */
const RLRQ_REASONS: Record<number, string> = { 0: 'normal', 1: 'urgent', 30: 'user-defined' };
const RLRE_REASONS: Record<number, string> = { 0: 'normal', 1: 'not-finished', 30: 'user-defined' };

export function releaseReasonName(kind: 'rlrq' | 'rlre', reason: number): string {
  return (kind === 'rlrq' ? RLRQ_REASONS : RLRE_REASONS)[reason] ?? `unknown-${reason}`;
}
