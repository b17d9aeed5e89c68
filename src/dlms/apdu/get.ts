import type { ByteWriter } from '../../shared/bytes.js';
import { readLengthAt, writeLength } from '../axdr/length.js';
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
import { checkUint, readBoolean, readData, readU32 } from './fields.js';
import { invokeFromByte, invokeToByte, type InvokeIdAndPriority } from './invoke-id.js';

/**
 * GET service, logical-name referencing (IEC 62056-5-3 §8, Get-Request 0xC0 / Get-Response 0xC4; the byte
 * after the tag selects the CHOICE: 1 normal, 2 next / with-datablock, 3 with-list).
 */
export const GET_REQUEST_TAG = 0xc0;
export const GET_RESPONSE_TAG = 0xc4;

export interface GetRequestNormal {
  readonly type: 'get-request-normal';
  readonly invoke: InvokeIdAndPriority;
  readonly attribute: AttributeDescriptor;
  readonly access?: SelectiveAccess | undefined;
}

/** Asks for the next block of a long GET; the block number is the one last received. */
export interface GetRequestNext {
  readonly type: 'get-request-next';
  readonly invoke: InvokeIdAndPriority;
  readonly blockNumber: number;
}

export interface AttributeWithSelection {
  readonly attribute: AttributeDescriptor;
  readonly access?: SelectiveAccess | undefined;
}

export interface GetRequestWithList {
  readonly type: 'get-request-with-list';
  readonly invoke: InvokeIdAndPriority;
  readonly items: readonly AttributeWithSelection[];
}

/** Get-Data-Result CHOICE: [0] data, [1] data-access-result. */
export type GetDataResult =
  | { readonly type: 'data'; readonly data: DlmsData }
  | { readonly type: 'data-access-result'; readonly result: DataAccessResult };

export interface GetResponseNormal {
  readonly type: 'get-response-normal';
  readonly invoke: InvokeIdAndPriority;
  readonly result: GetDataResult;
}

/**
 * One block of a long GET (DataBlock-G): the raw-data octets are a slice of the A-XDR encoding of the
 * whole value, to be concatenated in block order and decoded once the last block has come.
 */
export interface GetResponseWithDatablock {
  readonly type: 'get-response-with-datablock';
  readonly invoke: InvokeIdAndPriority;
  readonly lastBlock: boolean;
  readonly blockNumber: number;
  readonly result: { readonly type: 'raw-data'; readonly data: Uint8Array } | { readonly type: 'data-access-result'; readonly result: DataAccessResult };
}

export interface GetResponseWithList {
  readonly type: 'get-response-with-list';
  readonly invoke: InvokeIdAndPriority;
  readonly results: readonly GetDataResult[];
}

export type GetRequest = GetRequestNormal | GetRequestNext | GetRequestWithList;
export type GetResponse = GetResponseNormal | GetResponseWithDatablock | GetResponseWithList;

/** Decodes a Get-Request from just after the 0xC0 tag. */
export function readGetRequest(c: Cursor): GetRequest {
  const at = c.pos;
  const choice = c.u8('Get-Request choice');
  const invoke = invokeFromByte(c.u8('invoke-id-and-priority'));
  switch (choice) {
    case 1: {
      const attribute = readAttributeDescriptor(c);
      const access = readOptionalAccess(c);
      return { type: 'get-request-normal', invoke, attribute, ...(access === undefined ? {} : { access }) };
    }
    case 2:
      return { type: 'get-request-next', invoke, blockNumber: readU32(c, 'block-number') };
    case 3: {
      const count = readLengthAt(c);
      const items: AttributeWithSelection[] = [];
      for (let i = 0; i < count; i++) {
        const attribute = readAttributeDescriptor(c);
        const access = readOptionalAccess(c);
        items.push(access === undefined ? { attribute } : { attribute, access });
      }
      return { type: 'get-request-with-list', invoke, items };
    }
    default:
      throw badApdu(`Get-Request choice ${choice} is not normal(1) / next(2) / with-list(3)`, at);
  }
}

export function writeGetRequest(w: ByteWriter, r: GetRequest): void {
  w.u8(GET_REQUEST_TAG);
  switch (r.type) {
    case 'get-request-normal':
      w.u8(1).u8(invokeToByte(r.invoke));
      writeAttributeDescriptor(w, r.attribute);
      writeOptionalAccess(w, r.access);
      return;
    case 'get-request-next':
      w.u8(2).u8(invokeToByte(r.invoke)).u32(checkUint(r.blockNumber, 32, 'block-number'));
      return;
    case 'get-request-with-list':
      w.u8(3).u8(invokeToByte(r.invoke));
      writeLength(w, r.items.length);
      for (const item of r.items) {
        writeAttributeDescriptor(w, item.attribute);
        writeOptionalAccess(w, item.access);
      }
      return;
  }
}

export function readGetDataResult(c: Cursor): GetDataResult {
  const at = c.pos;
  const choice = c.u8('Get-Data-Result choice');
  if (choice === 0) return { type: 'data', data: readData(c, 'data') };
  if (choice === 1) return { type: 'data-access-result', result: c.u8('data-access-result') };
  throw badApdu(`Get-Data-Result choice ${choice} is not data(0) / data-access-result(1)`, at);
}

export function writeGetDataResult(w: ByteWriter, r: GetDataResult): void {
  if (r.type === 'data') writeData(w.u8(0), r.data);
  else w.u8(1).u8(checkUint(r.result, 8, 'data-access-result'));
}

/** Decodes a Get-Response from just after the 0xC4 tag. */
export function readGetResponse(c: Cursor): GetResponse {
  const at = c.pos;
  const choice = c.u8('Get-Response choice');
  const invoke = invokeFromByte(c.u8('invoke-id-and-priority'));
  switch (choice) {
    case 1:
      return { type: 'get-response-normal', invoke, result: readGetDataResult(c) };
    case 2: {
      const lastBlock = readBoolean(c, 'last-block');
      const blockNumber = readU32(c, 'block-number');
      const resultAt = c.pos;
      const kind = c.u8('DataBlock-G result choice');
      if (kind === 0) {
        const data = c.take(readLengthAt(c), 'raw-data');
        return { type: 'get-response-with-datablock', invoke, lastBlock, blockNumber, result: { type: 'raw-data', data } };
      }
      if (kind === 1) {
        const result = c.u8('data-access-result');
        return { type: 'get-response-with-datablock', invoke, lastBlock, blockNumber, result: { type: 'data-access-result', result } };
      }
      throw badApdu(`DataBlock-G result choice ${kind} is not raw-data(0) / data-access-result(1)`, resultAt);
    }
    case 3: {
      const count = readLengthAt(c);
      const results: GetDataResult[] = [];
      for (let i = 0; i < count; i++) results.push(readGetDataResult(c));
      return { type: 'get-response-with-list', invoke, results };
    }
    default:
      throw badApdu(`Get-Response choice ${choice} is not normal(1) / with-datablock(2) / with-list(3)`, at);
  }
}

export function writeGetResponse(w: ByteWriter, r: GetResponse): void {
  w.u8(GET_RESPONSE_TAG);
  switch (r.type) {
    case 'get-response-normal':
      w.u8(1).u8(invokeToByte(r.invoke));
      writeGetDataResult(w, r.result);
      return;
    case 'get-response-with-datablock':
      w.u8(2).u8(invokeToByte(r.invoke)).u8(r.lastBlock ? 1 : 0).u32(checkUint(r.blockNumber, 32, 'block-number'));
      if (r.result.type === 'raw-data') {
        w.u8(0);
        writeLength(w, r.result.data.length);
        w.bytes(r.result.data);
      } else {
        w.u8(1).u8(checkUint(r.result.result, 8, 'data-access-result'));
      }
      return;
    case 'get-response-with-list':
      w.u8(3).u8(invokeToByte(r.invoke));
      writeLength(w, r.results.length);
      for (const result of r.results) writeGetDataResult(w, result);
      return;
  }
}
