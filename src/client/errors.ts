import { ChisoError, errorMessage, type ErrorContext } from '../shared/errors.js';
import { DlmsError } from '../dlms/errors.js';
import { TransportError, isRetryable as isTransportRetryable } from '../transport/errors.js';

/**
 * What went wrong with one meter, in the terms the poller and the operator need: whether the meter did not
 * answer (offline), refused us, or answered something we could not use. Every MeterError names the meter,
 * the step (connect, associate, get …, release) and keeps the underlying error as `cause`.
 */
export type MeterErrorCode =
  | 'METER_NO_ANSWER' // no answer within the timeout after every retry: offline, wrong address, cut wire
  | 'METER_LINK_FAILED' // the transport could not be opened or broke (TCP refused, device unplugged)
  | 'METER_LINK_REFUSED' // the meter's data link said no (HDLC DM / FRMR)
  | 'METER_CORRUPT' // frames kept arriving damaged (bad checksum, garbage) after every retry
  | 'METER_AUTH_FAILED' // the password (LLS) was refused
  | 'METER_ASSOCIATION_REJECTED' // the association was refused for another reason
  | 'METER_OBJECT_UNDEFINED' // the meter has no such object (OBIS / class)
  | 'METER_ACCESS_DENIED' // the object exists but this client may not read or write it
  | 'METER_DATA_ACCESS' // another Data-Access-Result (hardware fault, temporary failure …)
  | 'METER_SERVICE_REFUSED' // ExceptionResponse / ConfirmedServiceError: the service is not allowed
  | 'METER_PROTOCOL'; // an answer that breaks the protocol (bad APDU, wrong block, unexpected type)

export type MeterStep = 'connect' | 'associate' | 'get' | 'get-list' | 'set' | 'action' | 'release' | 'disconnect' | 'sign-on';

export class MeterError extends ChisoError<MeterErrorCode> {
  constructor(code: MeterErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }

  get meter(): string {
    return String(this.context['meter'] ?? '');
  }

  get step(): string {
    return String(this.context['step'] ?? '');
  }
}

/** Client-side conditions the core cannot see: timers and the link closing under a request. */
export type ClientErrorCode = 'CLIENT_TIMEOUT' | 'CLIENT_LINK_CLOSED' | 'CLIENT_NOT_OPEN';

export class ClientError extends ChisoError<ClientErrorCode> {
  constructor(code: ClientErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}

function codeFor(e: unknown): MeterErrorCode {
  if (e instanceof MeterError) return e.code;
  if (e instanceof ClientError) return e.code === 'CLIENT_TIMEOUT' ? 'METER_NO_ANSWER' : 'METER_LINK_FAILED';
  if (e instanceof TransportError) return 'METER_LINK_FAILED';
  if (e instanceof DlmsError) {
    switch (e.code) {
      case 'DLMS_AUTH_FAILED':
        return 'METER_AUTH_FAILED';
      case 'DLMS_ASSOCIATION_REJECTED':
        return 'METER_ASSOCIATION_REJECTED';
      case 'DLMS_LINK_REFUSED':
        // The link machine gives up with the reason of its last retry.
        if (e.context['reason'] === 'timeout') return 'METER_NO_ANSWER';
        if (e.context['reason'] === 'corrupted' || e.context['reason'] === 'sequence') return 'METER_CORRUPT';
        return 'METER_LINK_REFUSED';
      case 'DLMS_BAD_CHECKSUM':
      case 'DLMS_BAD_FRAME':
      case 'DLMS_TRUNCATED':
        return 'METER_CORRUPT';
      case 'DLMS_IEC21_TIMEOUT':
        // Silence is a meter that does not answer; half an answer then silence is a line problem.
        return e.context['received'] === 0 ? 'METER_NO_ANSWER' : 'METER_CORRUPT';
      case 'DLMS_DATA_ACCESS': {
        const result = e.context['result'];
        if (result === 'object-undefined' || result === 'object-class-inconsistent' || result === 'object-unavailable') return 'METER_OBJECT_UNDEFINED';
        if (result === 'read-write-denied' || result === 'scope-of-access-violated') return 'METER_ACCESS_DENIED';
        return 'METER_DATA_ACCESS';
      }
      case 'DLMS_EXCEPTION':
      case 'DLMS_CONFIRMED_SERVICE_ERROR':
        return 'METER_SERVICE_REFUSED';
      default:
        return 'METER_PROTOCOL';
    }
  }
  return 'METER_PROTOCOL';
}

/** Wraps any failure of one step with one meter; a MeterError passes through with the context added. */
export function meterError(e: unknown, meter: string, step: MeterStep, target?: string): MeterError {
  if (e instanceof MeterError) return e;
  const code = codeFor(e);
  const where = target ? `${step} ${target}` : step;
  const extra = e instanceof ChisoError ? e.context : {};
  return new MeterError(code, `meter ${meter}: ${where}: ${errorMessage(e)}`, {
    cause: e,
    context: { ...extra, meter, step, target, cause: e instanceof ChisoError ? e.code : undefined },
  });
}

/**
 * Whether trying the same meter again later (next cycle, or after back-off) may succeed. A wrong password
 * or an undefined object will not change by retrying; retrying a wrong password can even lock the port.
 */
export function isRetryable(e: unknown): boolean {
  if (!(e instanceof MeterError)) return false;
  switch (e.code) {
    case 'METER_NO_ANSWER':
    case 'METER_CORRUPT':
    case 'METER_DATA_ACCESS':
      return true;
    case 'METER_LINK_FAILED':
      return !(e.cause instanceof TransportError) || isTransportRetryable(e.cause);
    default:
      return false;
  }
}
