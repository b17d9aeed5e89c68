import { ChisoError, type ErrorContext } from '../../shared/errors.js';

/**
 * Every failure of the CMIS exchange (book files) and of the billing-side rules. Codes are stable:
 * callers and tests match on them, never on message text. Messages name where the problem is (file,
 * line/column, row, column name) because an operator has to find it in a file CMIS produced.
 */
export type CmisErrorCode =
  // XML layer
  | 'CMIS_XML_SYNTAX' // not well-formed XML (unclosed tag, bad entity, stray text…)
  | 'CMIS_XML_DOCTYPE' // a DTD: refused outright (no entity expansion, no external entities)
  | 'CMIS_XML_ENCODING' // bytes that are not the encoding they claim, or an unsupported encoding
  | 'CMIS_XML_UNWRITABLE' // a value or name that cannot be written as XML 1.0
  // book layer
  | 'CMIS_BAD_LAYOUT' // well-formed XML that is not a DataSet book (<NewDataSet>/<Table1>)
  | 'CMIS_BAD_ROW' // a row whose column fails validation (row number and column named)
  | 'CMIS_BOOK_MISMATCH' // rows (or the file name) disagree on unit, book or period
  | 'CMIS_EMPTY_BOOK' // a book with no rows: nothing tells which book it is
  // rules
  | 'CMIS_BAD_NUMBER' // a decimal value that is not a plain decimal number
  | 'CMIS_BAD_STATUS' // a TTR status code that is not in the catalogue
  | 'CMIS_NEGATIVE_ADVANCE' // new index below the old one and no status explains it
  | 'CMIS_BAD_ROLLOVER' // a Q (rollover) read that cannot be a rollover
  | 'CMIS_BAD_DATE' // a date that is not a valid local date/time, or periods out of order
  | 'CMIS_NO_HISTORY' // an estimate asked for without any recent consumption
  | 'CMIS_BAD_ARGUMENT'; // any other argument out of range (multiplier ≤ 0, days ≤ 0…)

export class CmisError extends ChisoError<CmisErrorCode> {
  constructor(code: CmisErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}

export function isCmisError(e: unknown, code?: CmisErrorCode): e is CmisError {
  return e instanceof CmisError && (code === undefined || e.code === code);
}
