import { ByteWriter } from '../../shared/bytes.js';
import { Cursor } from '../axdr/cursor.js';
import { DlmsError } from '../errors.js';
import { AARE_TAG, AARQ_TAG, decodeAare, decodeAarq, writeAare, writeAarq, type Aare, type Aarq } from './acse.js';
import {
  ACTION_REQUEST_TAG,
  ACTION_RESPONSE_TAG,
  readActionRequest,
  readActionResponse,
  writeActionRequest,
  writeActionResponse,
  type ActionRequestNormal,
  type ActionResponseNormal,
} from './action.js';
import { badApdu, hex2 } from './ber.js';
import {
  CONFIRMED_SERVICE_ERROR_TAG,
  readConfirmedServiceError,
  writeConfirmedServiceError,
  type ConfirmedServiceError,
} from './confirmed-service-error.js';
import { EXCEPTION_RESPONSE_TAG, readExceptionResponse, writeExceptionResponse, type ExceptionResponse } from './exception.js';
import {
  GET_REQUEST_TAG,
  GET_RESPONSE_TAG,
  readGetRequest,
  readGetResponse,
  writeGetRequest,
  writeGetResponse,
  type GetRequestNext,
  type GetRequestNormal,
  type GetRequestWithList,
  type GetResponseNormal,
  type GetResponseWithDatablock,
  type GetResponseWithList,
} from './get.js';
import { RLRE_TAG, RLRQ_TAG, decodeRlre, decodeRlrq, writeRlre, writeRlrq, type Rlre, type Rlrq } from './release.js';
import {
  SET_REQUEST_TAG,
  SET_RESPONSE_TAG,
  readSetRequest,
  readSetResponse,
  writeSetRequest,
  writeSetResponse,
  type SetRequestNormal,
  type SetResponseNormal,
} from './set.js';

/**
 * Every APDU the LN client and the meter simulator exchange (IEC 62056-5-3 §8 xDLMS, ISO 8650-1 ACSE),
 * as one union keyed by `type`. Both directions encode and decode every member: the client sends
 * requests and reads responses, the simulator does the opposite.
 */
export type Apdu =
  | Aarq
  | Aare
  | Rlrq
  | Rlre
  | GetRequestNormal
  | GetRequestNext
  | GetRequestWithList
  | GetResponseNormal
  | GetResponseWithDatablock
  | GetResponseWithList
  | SetRequestNormal
  | SetResponseNormal
  | ActionRequestNormal
  | ActionResponseNormal
  | ExceptionResponse
  | ConfirmedServiceError;

export type ApduType = Apdu['type'];

export function encodeApdu(a: Apdu): Uint8Array {
  const w = new ByteWriter(64);
  switch (a.type) {
    case 'aarq':
      writeAarq(w, a);
      break;
    case 'aare':
      writeAare(w, a);
      break;
    case 'rlrq':
      writeRlrq(w, a);
      break;
    case 'rlre':
      writeRlre(w, a);
      break;
    case 'get-request-normal':
    case 'get-request-next':
    case 'get-request-with-list':
      writeGetRequest(w, a);
      break;
    case 'get-response-normal':
    case 'get-response-with-datablock':
    case 'get-response-with-list':
      writeGetResponse(w, a);
      break;
    case 'set-request-normal':
      writeSetRequest(w, a);
      break;
    case 'set-response-normal':
      writeSetResponse(w, a);
      break;
    case 'action-request-normal':
      writeActionRequest(w, a);
      break;
    case 'action-response-normal':
      writeActionResponse(w, a);
      break;
    case 'exception-response':
      writeExceptionResponse(w, a);
      break;
    case 'confirmed-service-error':
      writeConfirmedServiceError(w, a);
      break;
    default:
      throw new DlmsError('DLMS_BAD_APDU', `cannot encode APDU of type "${(a as { type?: unknown }).type}"`);
  }
  return w.toBytes();
}

/** An A-XDR coded xDLMS APDU: the reader starts after the tag and must use up the whole buffer. */
function decodeXdlms<T>(bytes: Uint8Array, name: string, read: (c: Cursor) => T): T {
  const c = new Cursor(bytes, 1);
  const apdu = read(c);
  if (c.remaining > 0) throw badApdu(`${c.remaining} byte(s) after the end of the ${name}`, c.pos);
  return apdu;
}

/**
 * Decodes one complete APDU (the whole buffer: the HDLC or wrapper layer has already delimited it).
 * Short input is DLMS_TRUNCATED; an unknown tag, a bad CHOICE or trailing bytes are DLMS_BAD_APDU.
 */
export function decodeApdu(bytes: Uint8Array): Apdu {
  const tag = bytes[0];
  if (tag === undefined) {
    throw new DlmsError('DLMS_TRUNCATED', 'empty APDU: no tag byte', { context: { offset: 0, needed: 1, available: 0 } });
  }
  switch (tag) {
    case AARQ_TAG:
      return decodeAarq(bytes);
    case AARE_TAG:
      return decodeAare(bytes);
    case RLRQ_TAG:
      return decodeRlrq(bytes);
    case RLRE_TAG:
      return decodeRlre(bytes);
    case GET_REQUEST_TAG:
      return decodeXdlms(bytes, 'Get-Request', readGetRequest);
    case GET_RESPONSE_TAG:
      return decodeXdlms(bytes, 'Get-Response', readGetResponse);
    case SET_REQUEST_TAG:
      return decodeXdlms(bytes, 'Set-Request', readSetRequest);
    case SET_RESPONSE_TAG:
      return decodeXdlms(bytes, 'Set-Response', readSetResponse);
    case ACTION_REQUEST_TAG:
      return decodeXdlms(bytes, 'Action-Request', readActionRequest);
    case ACTION_RESPONSE_TAG:
      return decodeXdlms(bytes, 'Action-Response', readActionResponse);
    case EXCEPTION_RESPONSE_TAG:
      return decodeXdlms(bytes, 'ExceptionResponse', readExceptionResponse);
    case CONFIRMED_SERVICE_ERROR_TAG:
      return decodeXdlms(bytes, 'ConfirmedServiceError', readConfirmedServiceError);
    default:
      throw new DlmsError('DLMS_BAD_APDU', `unknown APDU tag 0x${hex2(tag)} (at byte 0)`, { context: { offset: 0, tag } });
  }
}
