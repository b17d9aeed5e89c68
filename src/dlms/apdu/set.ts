import type { ByteWriter } from '../../shared/bytes.js';
import type { Cursor } from '../axdr/cursor.js';
import { writeData } from '../axdr/encode.js';
import type { DlmsData } from '../axdr/types.js';
import { badApdu } from './ber.js';
import type { DataAccessResult } from './data-access-result.js';
import {
  readAttributeDescriptor,
  readOptionalAccess,
  writeAttributeDescriptor,
  writeOptionalAccess,
  type AttributeDescriptor,
  type SelectiveAccess,
} from './descriptors.js';
import { checkUint, readData } from './fields.js';
import { invokeFromByte, invokeToByte, type InvokeIdAndPriority } from './invoke-id.js';

/**
 * SET service, normal form only (IEC 62056-5-3 §8, Set-Request 0xC1 choice 1 / Set-Response 0xC5 choice 1).
 * The block-transfer and with-list forms are not used by the reading cycle (we only set the clock).
 */
export const SET_REQUEST_TAG = 0xc1;
export const SET_RESPONSE_TAG = 0xc5;

export interface SetRequestNormal {
  readonly type: 'set-request-normal';
  readonly invoke: InvokeIdAndPriority;
  readonly attribute: AttributeDescriptor;
  readonly access?: SelectiveAccess | undefined;
  readonly value: DlmsData;
}

export interface SetResponseNormal {
  readonly type: 'set-response-normal';
  readonly invoke: InvokeIdAndPriority;
  readonly result: DataAccessResult;
}

function unsupportedChoice(kind: string, choice: number, at: number): never {
  throw badApdu(`${kind} choice ${choice} is not supported (only normal(1))`, at);
}

export function readSetRequest(c: Cursor): SetRequestNormal {
  const at = c.pos;
  const choice = c.u8('Set-Request choice');
  if (choice !== 1) unsupportedChoice('Set-Request', choice, at);
  const invoke = invokeFromByte(c.u8('invoke-id-and-priority'));
  const attribute = readAttributeDescriptor(c);
  const access = readOptionalAccess(c);
  const value = readData(c, 'value');
  return { type: 'set-request-normal', invoke, attribute, ...(access === undefined ? {} : { access }), value };
}

export function writeSetRequest(w: ByteWriter, r: SetRequestNormal): void {
  w.u8(SET_REQUEST_TAG).u8(1).u8(invokeToByte(r.invoke));
  writeAttributeDescriptor(w, r.attribute);
  writeOptionalAccess(w, r.access);
  writeData(w, r.value);
}

export function readSetResponse(c: Cursor): SetResponseNormal {
  const at = c.pos;
  const choice = c.u8('Set-Response choice');
  if (choice !== 1) unsupportedChoice('Set-Response', choice, at);
  const invoke = invokeFromByte(c.u8('invoke-id-and-priority'));
  return { type: 'set-response-normal', invoke, result: c.u8('data-access-result') };
}

export function writeSetResponse(w: ByteWriter, r: SetResponseNormal): void {
  w.u8(SET_RESPONSE_TAG).u8(1).u8(invokeToByte(r.invoke)).u8(checkUint(r.result, 8, 'data-access-result'));
}
