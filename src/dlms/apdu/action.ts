import type { ByteWriter } from '../../shared/bytes.js';
import type { Cursor } from '../axdr/cursor.js';
import type { DlmsData } from '../axdr/types.js';
import type { ActionResult } from './action-result.js';
import { badApdu } from './ber.js';
import { readMethodDescriptor, writeMethodDescriptor, type MethodDescriptor } from './descriptors.js';
import { checkUint, readData, readPresent, writeOptionalData } from './fields.js';
import { readGetDataResult, writeGetDataResult, type GetDataResult } from './get.js';
import { invokeFromByte, invokeToByte, type InvokeIdAndPriority } from './invoke-id.js';

/**
 * ACTION service, normal form (IEC 62056-5-3 §8, Action-Request 0xC3 choice 1 / Action-Response 0xC7
 * choice 1): invoke a method with optional parameters; the answer has an Action-Result and optional return
 * parameters (a Get-Data-Result: data, or a data-access-result).
 */
export const ACTION_REQUEST_TAG = 0xc3;
export const ACTION_RESPONSE_TAG = 0xc7;

export interface ActionRequestNormal {
  readonly type: 'action-request-normal';
  readonly invoke: InvokeIdAndPriority;
  readonly method: MethodDescriptor;
  readonly parameters?: DlmsData | undefined;
}

export interface ActionResponseNormal {
  readonly type: 'action-response-normal';
  readonly invoke: InvokeIdAndPriority;
  readonly result: ActionResult;
  readonly returnParameters?: GetDataResult | undefined;
}

function unsupportedChoice(kind: string, choice: number, at: number): never {
  throw badApdu(`${kind} choice ${choice} is not supported (only normal(1))`, at);
}

export function readActionRequest(c: Cursor): ActionRequestNormal {
  const at = c.pos;
  const choice = c.u8('Action-Request choice');
  if (choice !== 1) unsupportedChoice('Action-Request', choice, at);
  const invoke = invokeFromByte(c.u8('invoke-id-and-priority'));
  const method = readMethodDescriptor(c);
  if (!readPresent(c, 'method-invocation-parameters')) return { type: 'action-request-normal', invoke, method };
  return { type: 'action-request-normal', invoke, method, parameters: readData(c, 'method-invocation-parameters') };
}

export function writeActionRequest(w: ByteWriter, r: ActionRequestNormal): void {
  w.u8(ACTION_REQUEST_TAG).u8(1).u8(invokeToByte(r.invoke));
  writeMethodDescriptor(w, r.method);
  writeOptionalData(w, r.parameters);
}

export function readActionResponse(c: Cursor): ActionResponseNormal {
  const at = c.pos;
  const choice = c.u8('Action-Response choice');
  if (choice !== 1) unsupportedChoice('Action-Response', choice, at);
  const invoke = invokeFromByte(c.u8('invoke-id-and-priority'));
  const result = c.u8('action-result');
  if (!readPresent(c, 'return-parameters')) return { type: 'action-response-normal', invoke, result };
  return { type: 'action-response-normal', invoke, result, returnParameters: readGetDataResult(c) };
}

export function writeActionResponse(w: ByteWriter, r: ActionResponseNormal): void {
  w.u8(ACTION_RESPONSE_TAG).u8(1).u8(invokeToByte(r.invoke)).u8(checkUint(r.result, 8, 'action-result'));
  if (r.returnParameters === undefined) w.u8(0);
  else writeGetDataResult(w.u8(1), r.returnParameters);
}
