import { ChisoError, type ErrorContext } from '../../shared/errors.js';

/**
 * Failures of the central database's own rules (enrolment, gateway registry). SQLite failures themselves
 * stay StoreErrors (src/store/errors.ts): they name the file and what the operator can do about it.
 */
export type CentralErrorCode =
  | 'CENTRAL_TOKEN_UNKNOWN' // no such enrolment token (mistyped, or never issued)
  | 'CENTRAL_TOKEN_EXPIRED' // the token's expiry has passed: issue a new one
  | 'CENTRAL_TOKEN_USED' // a token enrols once; a second use is refused
  | 'CENTRAL_TOKEN_GATEWAY' // the token was issued for another gateway id
  | 'CENTRAL_UNKNOWN_GATEWAY' // an operation named a gateway that is not enrolled
  | 'CENTRAL_UNKNOWN_KEY' // an operation named a key the gateway does not have
  | 'CENTRAL_INVALID_ARGUMENT'; // a bad id, key or expiry given by the caller

export class CentralError extends ChisoError<CentralErrorCode> {
  constructor(code: CentralErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}
