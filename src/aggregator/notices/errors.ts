import { ChisoError, type ErrorContext } from '../../shared/errors.js';

export type NoticeErrorCode =
  /** No book with that id. */
  | 'NOTICE_BOOK_NOT_FOUND'
  /** The book is still open: its indexes are not known yet. */
  | 'NOTICE_BOOK_NOT_CLOSED'
  /** The dispatcher could not hand a notice over (file not writable …). */
  | 'NOTICE_SEND_FAILED';

export class NoticeError extends ChisoError<NoticeErrorCode> {
  constructor(code: NoticeErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}
