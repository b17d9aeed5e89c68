import type { ByteWriter } from '../../shared/bytes.js';
import { Cursor } from '../axdr/cursor.js';
import { readLengthAt, writeLength } from '../axdr/length.js';
import { DlmsError } from '../errors.js';
import { badApdu, hex2 } from './ber.js';
import { conformanceFromNumber, conformanceToNumber, type Conformance } from './conformance.js';
import {
  CONFIRMED_SERVICE_ERROR_TAG,
  readConfirmedServiceError,
  writeConfirmedServiceError,
  type ConfirmedServiceError,
} from './confirmed-service-error.js';
import { checkUint, readBoolean, readPresent } from './fields.js';

/**
 * The xDLMS APDUs that ride in the ACSE user-information (IEC 62056-5-3 §8, A-XDR encoded):
 * InitiateRequest (0x01) in the AARQ, InitiateResponse (0x08) or ConfirmedServiceError (0x0E) in the AARE.
 * With ciphering the same field carries a glo-/ded-ciphered InitiateRequest/Response instead; those stay
 * opaque here and are opened by the security layer.
 */
export interface InitiateRequest {
  readonly type: 'initiate-request';
  /** Dedicated key for ded-ciphering (only ever sent ciphered). */
  readonly dedicatedKey?: Uint8Array | undefined;
  /** false only for unconfirmed associations; true is sent as the DEFAULT (one 00 byte). */
  readonly responseAllowed: boolean;
  /** Integer8, practically never sent. */
  readonly proposedQualityOfService?: number | undefined;
  /** 6 for every DLMS meter of the last twenty years. */
  readonly dlmsVersion: number;
  readonly conformance: Conformance;
  readonly clientMaxReceivePduSize: number;
}

export interface InitiateResponse {
  readonly type: 'initiate-response';
  readonly negotiatedQualityOfService?: number | undefined;
  readonly dlmsVersion: number;
  readonly conformance: Conformance;
  readonly serverMaxReceivePduSize: number;
  /** 0x0007 for logical-name referencing, 0xFA00 for short-name. */
  readonly vaaName: number;
}

/** A ciphered xDLMS initiate (glo-/ded-initiateRequest/Response, general-glo/ded-ciphering), tag included. */
export interface CipheredInitiate {
  readonly type: 'ciphered-initiate';
  readonly bytes: Uint8Array;
}

export type UserInformation = InitiateRequest | InitiateResponse | ConfirmedServiceError | CipheredInitiate;

export const INITIATE_REQUEST_TAG = 0x01;
export const INITIATE_RESPONSE_TAG = 0x08;
/** glo-initiateRequest 0x21, glo-initiateResponse 0x28, ded-initiateRequest 0x41, ded-initiateResponse 0x48, general-glo-ciphering 0xDB, general-ded-ciphering 0xDC. */
const CIPHERED_INITIATE_TAGS = new Set([0x21, 0x28, 0x41, 0x48, 0xdb, 0xdc]);

export const LN_VAA_NAME = 0x0007;
export const DLMS_VERSION = 6;

/**
 * Conformance in the xDLMS APDUs is BER even there: [APPLICATION 31] IMPLICIT BIT STRING (SIZE(24)) =
 * 5F 1F, length 04, 00 unused bits, then the three bytes.
 */
function readConformanceBlock(c: Cursor): Conformance {
  const at = c.pos;
  const header = c.view(4, 'conformance block');
  if (header[0] !== 0x5f || header[1] !== 0x1f || header[2] !== 0x04 || header[3] !== 0x00) {
    throw badApdu(`conformance block must start 5F 1F 04 00, found ${[...header].map(hex2).join(' ')}`, at);
  }
  const v = c.view(3, 'conformance bits');
  return conformanceFromNumber(((v[0] as number) << 16) | ((v[1] as number) << 8) | (v[2] as number));
}

function writeConformanceBlock(w: ByteWriter, bits: Conformance): void {
  const v = conformanceToNumber(bits);
  w.u8(0x5f).u8(0x1f).u8(0x04).u8(0x00).u8(v >>> 16).u16(v & 0xffff);
}

function readInteger8(c: Cursor, what: string): number {
  const b = c.u8(what);
  return b > 127 ? b - 256 : b;
}

function checkInteger8(v: number, what: string): number {
  if (!Number.isInteger(v) || v < -128 || v > 127) throw badApdu(`${what} ${v} does not fit an Integer8`);
  return v & 0xff;
}

/** Reads an InitiateRequest body (after the 0x01 tag). */
function readInitiateRequest(c: Cursor): InitiateRequest {
  let dedicatedKey: Uint8Array | undefined;
  if (readPresent(c, 'dedicated-key')) dedicatedKey = c.take(readLengthAt(c), 'dedicated-key');
  // response-allowed BOOLEAN DEFAULT TRUE: 00 = the default is used, 01 = an explicit value follows.
  const responseAllowed = readPresent(c, 'response-allowed') ? readBoolean(c, 'response-allowed') : true;
  const proposedQualityOfService = readPresent(c, 'proposed-quality-of-service')
    ? readInteger8(c, 'proposed-quality-of-service')
    : undefined;
  const dlmsVersion = c.u8('proposed-dlms-version-number');
  const conformance = readConformanceBlock(c);
  const clientMaxReceivePduSize = c.u16('client-max-receive-pdu-size');
  return {
    type: 'initiate-request',
    dedicatedKey,
    responseAllowed,
    proposedQualityOfService,
    dlmsVersion,
    conformance,
    clientMaxReceivePduSize,
  };
}

function writeInitiateRequest(w: ByteWriter, r: InitiateRequest): void {
  w.u8(INITIATE_REQUEST_TAG);
  if (r.dedicatedKey === undefined) w.u8(0);
  else {
    w.u8(1);
    writeLength(w, r.dedicatedKey.length);
    w.bytes(r.dedicatedKey);
  }
  if (r.responseAllowed) w.u8(0);
  else w.u8(1).u8(0);
  if (r.proposedQualityOfService === undefined) w.u8(0);
  else w.u8(1).u8(checkInteger8(r.proposedQualityOfService, 'proposed-quality-of-service'));
  w.u8(checkUint(r.dlmsVersion, 8, 'dlms-version-number'));
  writeConformanceBlock(w, r.conformance);
  w.u16(checkUint(r.clientMaxReceivePduSize, 16, 'client-max-receive-pdu-size'));
}

function readInitiateResponse(c: Cursor): InitiateResponse {
  const negotiatedQualityOfService = readPresent(c, 'negotiated-quality-of-service')
    ? readInteger8(c, 'negotiated-quality-of-service')
    : undefined;
  const dlmsVersion = c.u8('negotiated-dlms-version-number');
  const conformance = readConformanceBlock(c);
  const serverMaxReceivePduSize = c.u16('server-max-receive-pdu-size');
  const vaaName = c.u16('vaa-name');
  return { type: 'initiate-response', negotiatedQualityOfService, dlmsVersion, conformance, serverMaxReceivePduSize, vaaName };
}

function writeInitiateResponse(w: ByteWriter, r: InitiateResponse): void {
  w.u8(INITIATE_RESPONSE_TAG);
  if (r.negotiatedQualityOfService === undefined) w.u8(0);
  else w.u8(1).u8(checkInteger8(r.negotiatedQualityOfService, 'negotiated-quality-of-service'));
  w.u8(checkUint(r.dlmsVersion, 8, 'dlms-version-number'));
  writeConformanceBlock(w, r.conformance);
  w.u16(checkUint(r.serverMaxReceivePduSize, 16, 'server-max-receive-pdu-size'));
  w.u16(checkUint(r.vaaName, 16, 'vaa-name'));
}

/**
 * Decodes the whole content of the user-information OCTET STRING. Its length was already given by the
 * enclosing BER, so running short here is a malformed APDU (DLMS_BAD_APDU), not "wait for more bytes".
 */
export function decodeUserInformation(bytes: Uint8Array): UserInformation {
  try {
    const c = new Cursor(bytes, 0);
    const tag = c.u8('user-information xDLMS tag');
    let out: UserInformation;
    if (tag === INITIATE_REQUEST_TAG) out = readInitiateRequest(c);
    else if (tag === INITIATE_RESPONSE_TAG) out = readInitiateResponse(c);
    else if (tag === CONFIRMED_SERVICE_ERROR_TAG) out = readConfirmedServiceError(c);
    else if (CIPHERED_INITIATE_TAGS.has(tag)) return { type: 'ciphered-initiate', bytes: bytes.slice() };
    else throw badApdu(`user-information carries xDLMS tag 0x${hex2(tag)}, not an initiate APDU`, 0);
    if (c.remaining > 0) throw badApdu(`${c.remaining} byte(s) after the ${out.type} in user-information`, c.pos);
    return out;
  } catch (e) {
    if (e instanceof DlmsError && e.code === 'DLMS_TRUNCATED') {
      throw new DlmsError('DLMS_BAD_APDU', `user-information: ${e.message}`, { cause: e, context: e.context });
    }
    throw e;
  }
}

export function writeUserInformationApdu(w: ByteWriter, u: UserInformation): void {
  switch (u.type) {
    case 'initiate-request':
      return writeInitiateRequest(w, u);
    case 'initiate-response':
      return writeInitiateResponse(w, u);
    case 'confirmed-service-error':
      return writeConfirmedServiceError(w, u);
    case 'ciphered-initiate':
      if (u.bytes.length === 0 || !CIPHERED_INITIATE_TAGS.has(u.bytes[0] as number)) {
        throw badApdu('ciphered-initiate bytes must start with a ciphered initiate tag');
      }
      w.bytes(u.bytes);
      return;
  }
}

/** A client's usual proposal: DLMS version 6, the given conformance and receive size. */
export function initiateRequest(conformance: Conformance, clientMaxReceivePduSize = 0xffff): InitiateRequest {
  return { type: 'initiate-request', responseAllowed: true, dlmsVersion: DLMS_VERSION, conformance, clientMaxReceivePduSize };
}
