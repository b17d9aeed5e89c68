import { ChisoError, type ErrorContext } from '../../shared/errors.js';

/**
 * Failures of closing a book, deciding its flags and exporting it (book-routes.ts maps each code to one
 * API code). Stable codes: callers match them, never the message; messages name the book
 * (`D018328-2017-7-1`), the flag or the export.
 */
export type ClosingErrorCode =
  /** Closing before the period has ended: the meters have not taken their snapshot yet. */
  | 'CLOSE_NOT_DUE'
  /** Exporting a book that has not been closed. */
  | 'EXPORT_NOT_CLOSED'
  /** Exporting a book with open blocking flags, without an override. */
  | 'EXPORT_BLOCKED'
  /** An override without a note saying why. */
  | 'EXPORT_OVERRIDE_NOTE'
  /** No export with that id. */
  | 'EXPORT_NOT_FOUND'
  /** The written XML did not read back to the rows we meant to write (a writer bug: nothing is recorded). */
  | 'EXPORT_VERIFY_FAILED'
  | 'FLAG_NOT_FOUND'
  /** A decision on a flag that is no longer open. */
  | 'FLAG_ALREADY_DECIDED'
  /** Dismissing a flag needs a note: why the alarm was wrong is what the next operator needs. */
  | 'FLAG_NOTE_REQUIRED';

export class ClosingError extends ChisoError<ClosingErrorCode> {
  constructor(code: ClosingErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}

export function isClosingError(e: unknown, code?: ClosingErrorCode): e is ClosingError {
  return e instanceof ClosingError && (code === undefined || e.code === code);
}
