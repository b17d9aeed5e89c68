import { ChisoError, type ErrorContext } from '../shared/errors.js';

/**
 * Every failure a byte pipe can report. Codes are stable: the client's retry policy and the gateway's
 * detection match on them, never on message text. Messages always name the link (host:port or device).
 */
export type TransportErrorCode =
  | 'TRANSPORT_CONFIG' // options that can never work (port out of range, baud rate 0…)
  | 'TRANSPORT_OPEN_FAILED' // connect refused, no such device, permission denied, port busy
  | 'TRANSPORT_CONNECT_TIMEOUT' // TCP connect not answered within connectTimeoutMs
  | 'TRANSPORT_ALREADY_OPEN' // open() on a link that is open or opening
  | 'TRANSPORT_NOT_OPEN' // write/flush/reconfigure on a link that is not open
  | 'TRANSPORT_CLOSED' // the link was closed by us while an operation waited (open, paced write)
  | 'TRANSPORT_PEER_CLOSED' // the other end closed the link in an orderly way (TCP FIN, pipe end)
  | 'TRANSPORT_DISCONNECTED' // the link died: connection reset, USB adapter unplugged, line hung up
  | 'TRANSPORT_WRITE_FAILED' // the operating system refused the bytes
  | 'TRANSPORT_BUS_ABORTED'; // gave up waiting for a shared RS485 bus

/** Why an open failed, for operators and for retry decisions. */
export type OpenFailureReason = 'refused' | 'unreachable' | 'not-found' | 'permission' | 'busy' | 'not-a-port' | 'other';

export class TransportError extends ChisoError<TransportErrorCode> {
  constructor(code: TransportErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}

export function isTransportError(e: unknown, code?: TransportErrorCode): e is TransportError {
  return e instanceof TransportError && (code === undefined || e.code === code);
}

/**
 * Whether trying the same link again later may succeed. A refused connection or a lost link may recover;
 * a missing device, a permission problem or a wrong setting will not until someone changes something.
 */
export function isRetryable(e: unknown): boolean {
  if (!(e instanceof TransportError)) return false;
  switch (e.code) {
    case 'TRANSPORT_CONNECT_TIMEOUT':
    case 'TRANSPORT_PEER_CLOSED':
    case 'TRANSPORT_DISCONNECTED':
    case 'TRANSPORT_WRITE_FAILED':
      return true;
    case 'TRANSPORT_OPEN_FAILED': {
      const reason = e.context['reason'];
      return reason === 'refused' || reason === 'unreachable' || reason === 'busy' || reason === 'other';
    }
    default:
      return false;
  }
}

/** The errno-style code of a Node system error, if it has one ("ECONNREFUSED"). */
export function systemCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
