import { ChisoError, type ErrorContext } from '../../shared/errors.js';

/**
 * Failures of keeping books (sổ GCS) in the central database that are not a malformed file (those are
 * CmisError: CMIS_BAD_ROW, CMIS_BOOK_MISMATCH …). Codes are stable: callers and the HTTP layer match them,
 * never the message. Messages name the book (`D018328-2017-7-1`) and, for a row, its row number in the
 * file, MA_GC, MA_DDO and LOAI_BCS, because an operator has to find it in the file CMIS produced.
 */
export type BookErrorCode =
  /** Two rows of one metering point, register and reading type: billing refuses two periodic (DDK) reads. */
  | 'BOOK_DUPLICATE_ROW'
  /** The book (code, year, month, KY) is already closed or exported: CMIS must send the next period's book. */
  | 'BOOK_CLOSED'
  /** A re-import whose unit (MA_DVIQLY) differs from the stored book of the same code and period. */
  | 'BOOK_UNIT_MISMATCH'
  /** No book with that id. */
  | 'BOOK_NOT_FOUND'
  /** A state change that expected another current state (someone else changed the book meanwhile). */
  | 'BOOK_STATE_CONFLICT';

export class BookError extends ChisoError<BookErrorCode> {
  constructor(code: BookErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}

export function isBookError(e: unknown, code?: BookErrorCode): e is BookError {
  return e instanceof BookError && (code === undefined || e.code === code);
}
