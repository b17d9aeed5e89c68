import { ChisoError, type ErrorContext } from '../shared/errors.js';

/**
 * Every failure the DLMS core can report. Codes are stable: callers (the client's retry policy, the
 * gateway's detection, tests) match on them, never on message text.
 */
export type DlmsErrorCode =
  // framing and decoding
  | 'DLMS_TRUNCATED' // input ended before the structure it announced
  | 'DLMS_BAD_FRAME' // a frame whose bytes do not follow the standard's layout
  | 'DLMS_BAD_CHECKSUM' // HCS/FCS or IEC 62056-21 block check mismatch
  | 'DLMS_BAD_ADDRESS' // address not for us, or malformed address field
  | 'DLMS_UNSUPPORTED' // valid per the standard but not implemented here
  | 'DLMS_BAD_DATA' // A-XDR data that cannot be decoded or encoded
  | 'DLMS_BAD_APDU' // APDU that cannot be decoded or is unexpected
  | 'DLMS_BAD_OBIS' // OBIS code text or bytes malformed
  // link and association
  | 'DLMS_LINK_REFUSED' // DM or FRMR from the meter, or no UA
  | 'DLMS_LINK_STATE' // an input not allowed in the current link state
  | 'DLMS_ASSOCIATION_REJECTED' // AARE rejected (reason in context)
  | 'DLMS_AUTH_FAILED' // AARE says authentication failure (wrong password)
  | 'DLMS_ASSOCIATION_STATE' // a service asked in the wrong association state
  // services
  | 'DLMS_DATA_ACCESS' // a Data-Access-Result other than success
  | 'DLMS_ACTION_RESULT' // an Action-Result other than success
  | 'DLMS_EXCEPTION' // an ExceptionResponse from the meter
  | 'DLMS_CONFIRMED_SERVICE_ERROR' // a ConfirmedServiceError from the meter
  | 'DLMS_BLOCK_SEQUENCE' // a block transfer out of sequence
  | 'DLMS_INVOKE_ID' // response to a request we did not send
  // mode C / E
  | 'DLMS_IEC21_PROTOCOL' // an answer that breaks the sign-on or readout
  | 'DLMS_IEC21_TIMEOUT'; // a wait of the sign-on or readout ran out (context: bytes received meanwhile)

export class DlmsError extends ChisoError<DlmsErrorCode> {
  constructor(code: DlmsErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}

export function isDlmsError(e: unknown, code?: DlmsErrorCode): e is DlmsError {
  return e instanceof DlmsError && (code === undefined || e.code === code);
}
