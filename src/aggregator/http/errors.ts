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
  API_METHOD_NOT_ALLOWED: 405,
  API_TOKEN_USED: 409, // the enrolment token was already used
  API_EVENT_ALREADY_REVIEWED: 409, // the event is no longer open
  API_TOKEN_EXPIRED: 410, // the enrolment token expired: issue a new one
  API_BODY_TOO_LARGE: 413,
  API_UNSUPPORTED_MEDIA_TYPE: 415, // a body that is not application/json
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
