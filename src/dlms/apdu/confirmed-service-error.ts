import type { ByteWriter } from '../../shared/bytes.js';
import type { Cursor } from '../axdr/cursor.js';
import { DlmsError } from '../errors.js';
import { checkUint } from './fields.js';

/**
 * ConfirmedServiceError (IEC 62056-5-3 §8, tag 0x0E): a server's refusal of a confirmed service, most
 * often of the xDLMS InitiateRequest inside an AARQ (then it travels in the AARE's user-information).
 * Encoded as 0E, the service CHOICE tag, the ServiceError CHOICE tag and an ENUMERATED byte: 0E 01 06 01 =
 * initiateError / initiate / dlms-version-too-low.
 */
export interface ConfirmedServiceError {
  readonly type: 'confirmed-service-error';
  /** ConfirmedServiceError CHOICE: 1 initiateError, 5 read, 6 write, … */
  readonly service: number;
  /** ServiceError CHOICE: 6 initiate, 5 access, … */
  readonly errorKind: number;
  /** The ENUMERATED value inside that kind. */
  readonly error: number;
}

export const CONFIRMED_SERVICE_ERROR_TAG = 0x0e;

const SERVICES: Record<number, string> = {
  1: 'initiate-error',
  2: 'get-status',
  3: 'get-name-list',
  4: 'get-variable-attribute',
  5: 'read',
  6: 'write',
  7: 'get-data-set-attribute',
  8: 'get-ti-attribute',
  9: 'change-scope',
  10: 'start',
  11: 'stop',
  12: 'resume',
  13: 'make-usable',
  14: 'initiate-load',
  15: 'load-segment',
  16: 'terminate-load',
  17: 'initiate-up-load',
  18: 'up-load-segment',
  19: 'terminate-up-load',
};

/** ServiceError kinds and, per kind, the names of its ENUMERATED values. */
const KINDS: Record<number, { name: string; values: readonly string[] }> = {
  0: {
    name: 'application-reference',
    values: ['other', 'time-elapsed', 'application-unreachable', 'application-reference-invalid', 'application-context-unsupported', 'provider-communication-error', 'deciphering-error'],
  },
  1: {
    name: 'hardware-resource',
    values: ['other', 'memory-unavailable', 'processor-resource-unavailable', 'mass-storage-unavailable', 'other-resource-unavailable'],
  },
  2: { name: 'vde-state-error', values: ['other', 'no-dlms-context', 'loading-data-set', 'status-nochange', 'status-inoperable'] },
  3: { name: 'service', values: ['other', 'pdu-size', 'service-unsupported'] },
  4: { name: 'definition', values: ['other', 'object-undefined', 'object-class-inconsistent', 'object-attribute-inconsistent'] },
  5: { name: 'access', values: ['other', 'scope-of-access-violated', 'object-access-violated', 'hardware-fault', 'object-unavailable'] },
  6: { name: 'initiate', values: ['other', 'dlms-version-too-low', 'incompatible-conformance', 'pdu-size-too-short', 'refused-by-the-VDE-Handler'] },
  7: {
    name: 'load-data-set',
    values: ['other', 'primitive-out-of-sequence', 'not-loadable', 'dataset-size-too-large', 'not-awaited-segment', 'interpretation-failure', 'storage-failure', 'data-set-not-ready'],
  },
  8: { name: 'change-scope', values: [] },
  9: { name: 'task', values: ['other', 'no-remote-control', 'ti-stopped', 'ti-running', 'ti-unusable'] },
  10: { name: 'other', values: [] },
};

/** Reads the three bytes after the 0x0E tag. */
export function readConfirmedServiceError(c: Cursor): ConfirmedServiceError {
  const service = c.u8('confirmed-service-error service');
  const errorKind = c.u8('service-error kind');
  const error = c.u8('service-error value');
  return { type: 'confirmed-service-error', service, errorKind, error };
}

export function writeConfirmedServiceError(w: ByteWriter, e: ConfirmedServiceError): void {
  w.u8(CONFIRMED_SERVICE_ERROR_TAG);
  w.u8(checkUint(e.service, 8, 'confirmed-service-error service'));
  w.u8(checkUint(e.errorKind, 8, 'service-error kind'));
  w.u8(checkUint(e.error, 8, 'service-error value'));
}

/** "initiate: dlms-version-too-low"; the service is named too when it is not the initiate. */
export function describeConfirmedServiceError(e: ConfirmedServiceError): string {
  const kind = KINDS[e.errorKind];
  const text = `${kind?.name ?? `kind-${e.errorKind}`}: ${kind?.values[e.error] ?? `value-${e.error}`}`;
  return e.service === 1 ? text : `${text} (in ${SERVICES[e.service] ?? `service-${e.service}`})`;
}

/** The DlmsError for a top-level ConfirmedServiceError answer. */
export function confirmedServiceErrorError(e: ConfirmedServiceError): DlmsError {
  const text = describeConfirmedServiceError(e);
  return new DlmsError('DLMS_CONFIRMED_SERVICE_ERROR', `confirmed service error: ${text}`, {
    context: { serviceError: text, service: e.service, errorKind: e.errorKind, error: e.error },
  });
}
