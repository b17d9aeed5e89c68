import type { ByteWriter } from '../../shared/bytes.js';
import type { Cursor } from '../axdr/cursor.js';
import { DlmsError } from '../errors.js';
import { checkUint, readU32 } from './fields.js';

/**
 * ExceptionResponse (IEC 62056-5-3 §8, tag 0xD8): the server could not even start the service, e.g. a
 * GET-with-list on an association without multiple-references. state-error: service-not-allowed(1),
 * service-unknown(2). service-error CHOICE: operation-not-possible(1), service-not-supported(2),
 * other-reason(3), pdu-too-long(4), deciphering-error(5), invocation-counter-error(6) — the last one
 * carries the server's expected invocation counter as an Unsigned32 so that the client can resynchronise.
 */
export const EXCEPTION_RESPONSE_TAG = 0xd8;
export const INVOCATION_COUNTER_ERROR = 6;

export interface ExceptionResponse {
  readonly type: 'exception-response';
  readonly stateError: number;
  readonly serviceError: number;
  /** Only with serviceError 6 (invocation-counter-error). */
  readonly invocationCounter?: number | undefined;
}

const STATE_ERRORS: Record<number, string> = { 1: 'service-not-allowed', 2: 'service-unknown' };
const SERVICE_ERRORS: Record<number, string> = {
  1: 'operation-not-possible',
  2: 'service-not-supported',
  3: 'other-reason',
  4: 'pdu-too-long',
  5: 'deciphering-error',
  6: 'invocation-counter-error',
};

export function stateErrorName(v: number): string {
  return STATE_ERRORS[v] ?? `unknown-${v}`;
}

export function serviceErrorName(v: number): string {
  return SERVICE_ERRORS[v] ?? `unknown-${v}`;
}

/**
 * Reads after the 0xD8 tag. Servers that predate the invocation-counter form send only the two bytes
 * even for error 6, so the counter is read only when bytes remain.
 */
export function readExceptionResponse(c: Cursor): ExceptionResponse {
  const stateError = c.u8('state-error');
  const serviceError = c.u8('service-error');
  if (serviceError === INVOCATION_COUNTER_ERROR && c.remaining > 0) {
    return { type: 'exception-response', stateError, serviceError, invocationCounter: readU32(c, 'invocation-counter') };
  }
  return { type: 'exception-response', stateError, serviceError };
}

export function writeExceptionResponse(w: ByteWriter, e: ExceptionResponse): void {
  w.u8(EXCEPTION_RESPONSE_TAG).u8(checkUint(e.stateError, 8, 'state-error')).u8(checkUint(e.serviceError, 8, 'service-error'));
  if (e.invocationCounter !== undefined) {
    if (e.serviceError !== INVOCATION_COUNTER_ERROR) {
      throw new DlmsError('DLMS_BAD_APDU', 'an invocation counter goes only with service-error invocation-counter-error(6)');
    }
    w.u32(checkUint(e.invocationCounter, 32, 'invocation-counter'));
  }
}

export function describeException(e: ExceptionResponse): string {
  const counter = e.invocationCounter === undefined ? '' : `, expected invocation counter ${e.invocationCounter}`;
  return `${stateErrorName(e.stateError)} (${e.stateError}) / ${serviceErrorName(e.serviceError)} (${e.serviceError})${counter}`;
}

/** 'DLMS_EXCEPTION' for a received ExceptionResponse. */
export function exceptionError(e: ExceptionResponse): DlmsError {
  return new DlmsError('DLMS_EXCEPTION', `exception response: ${describeException(e)}`, {
    context: {
      stateError: stateErrorName(e.stateError),
      serviceError: serviceErrorName(e.serviceError),
      invocationCounter: e.invocationCounter,
    },
  });
}
