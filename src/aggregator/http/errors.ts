import { ChisoError, type ErrorContext } from '../../shared/errors.js';

/**
 * The HTTP API's error catalogue: each code has one HTTP status, and every error answer is
 * `{ error: { code, message } }`. The codes are documented in README.md (a test keeps the two in step);
 * clients match the code, never the message.
 */
export const API_ERRORS = {
  API_BAD_REQUEST: 400, // a query parameter or body field is wrong: the message names it
  API_BAD_JSON: 400, // the body is not JSON
  API_UNAUTHORIZED: 401, // operator endpoint without the right `Authorization: Bearer <admin token>`
  API_TOKEN_UNKNOWN: 401, // enrolment token never issued (or mistyped)
  API_TOKEN_GATEWAY: 403, // enrolment token issued for another gateway id
  API_ADMIN_DISABLED: 403, // no admin token configured: the operator endpoints are off
  API_NOT_FOUND: 404, // no such endpoint
  API_EVENT_NOT_FOUND: 404, // no event with that id
  API_BOOK_NOT_FOUND: 404, // no book with that id
  API_FLAG_NOT_FOUND: 404, // no screening flag with that id
  API_EXPORT_NOT_FOUND: 404, // no export (file) with that id / version
  API_POINT_NOT_FOUND: 404, // no metering point with that code in any book
  API_METHOD_NOT_ALLOWED: 405,
  API_TOKEN_USED: 409, // the enrolment token was already used
  API_EVENT_ALREADY_REVIEWED: 409, // the event is no longer open
  API_FLAG_ALREADY_DECIDED: 409, // the screening flag is no longer open
  API_BOOK_NOT_CLOSED: 409, // the book has not been closed at its cutoff yet
  API_BOOK_CLOSED: 409, // the book's period is closed: CMIS must send the next period's book
  API_BOOK_NOT_DUE: 409, // the book's period has not ended yet: it cannot be closed
  API_EXPORT_BLOCKED: 409, // open blocking flags: decide them, or export with an override and a note
  API_REVERIFY_NOT_POSSIBLE: 409, // no gateway/meter known for the point, or one is already pending
  API_TOKEN_EXPIRED: 410, // the enrolment token expired: issue a new one
  API_BODY_TOO_LARGE: 413,
  API_UNSUPPORTED_MEDIA_TYPE: 415, // a body that is not application/json
  API_BOOK_INVALID: 422, // an uploaded CMIS book that does not parse: the message names file, row, column
  API_INTERNAL: 500, // a bug or a database failure; details are in the aggregator's log
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends ChisoError<ApiErrorCode> {
  get status(): number {
    return API_ERRORS[this.code];
  }

  constructor(code: ApiErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}
