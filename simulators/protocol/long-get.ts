import { DATA_ACCESS_RESULTS } from '../../src/dlms/apdu/data-access-result.js';
import type { GetRequestNext, GetResponseWithDatablock } from '../../src/dlms/apdu/get.js';
import type { InvokeIdAndPriority } from '../../src/dlms/apdu/invoke-id.js';
import { lengthSize } from '../../src/dlms/axdr/length.js';

/**
 * The server half of "GET with block transfer" (IEC 62056-5-3 §9.4.6.4): when the encoded answer does
 * not fit the negotiated PDU, the meter cuts the A-XDR encoding of the result into DataBlock-G slices
 * numbered from 1, sends the first at once and each next one when the client acknowledges the previous
 * block number with a GET-Request-Next. The last slice carries last-block = TRUE.
 */
export interface LongGet {
  readonly invoke: InvokeIdAndPriority;
  readonly slices: readonly Uint8Array[];
  /** Number of the block sent last (1-based). */
  readonly sent: number;
}

/** Tag, choice, invoke-id, last-block, block-number (4), raw-data choice: 9 bytes before the length. */
const DATABLOCK_HEADER = 9;

/** The largest raw-data slice whose GET-Response-With-Datablock fits in `pdu` bytes. */
export function blockPayloadSize(pdu: number): number {
  let n = pdu - DATABLOCK_HEADER - 1;
  while (n > 1 && DATABLOCK_HEADER + lengthSize(n) + n > pdu) n--;
  return Math.max(1, n);
}

function block(invoke: InvokeIdAndPriority, slices: readonly Uint8Array[], index: number): GetResponseWithDatablock {
  return {
    type: 'get-response-with-datablock',
    invoke,
    lastBlock: index === slices.length - 1,
    blockNumber: index + 1,
    result: { type: 'raw-data', data: slices[index] as Uint8Array },
  };
}

function refusal(invoke: InvokeIdAndPriority, blockNumber: number, result: number): GetResponseWithDatablock {
  return { type: 'get-response-with-datablock', invoke, lastBlock: true, blockNumber, result: { type: 'data-access-result', result } };
}

/** Cuts `raw` for a PDU of `pdu` bytes and gives block 1; the transfer stays open until its last block. */
export function startLongGet(raw: Uint8Array, invoke: InvokeIdAndPriority, pdu: number): { response: GetResponseWithDatablock; transfer?: LongGet } {
  const size = blockPayloadSize(pdu);
  const slices: Uint8Array[] = [];
  for (let at = 0; at < raw.length; at += size) slices.push(raw.subarray(at, Math.min(raw.length, at + size)));
  if (slices.length === 0) slices.push(new Uint8Array(0));
  const response = block(invoke, slices, 0);
  return response.lastBlock ? { response } : { response, transfer: { invoke, slices, sent: 1 } };
}

/**
 * Answers a GET-Request-Next. Its block number must be the one we sent last; otherwise the transfer is
 * abandoned with data-block-number-invalid. Without a transfer: no-long-get-in-progress.
 */
export function continueLongGet(transfer: LongGet | undefined, request: GetRequestNext): { response: GetResponseWithDatablock; transfer?: LongGet } {
  if (transfer === undefined) {
    return { response: refusal(request.invoke, request.blockNumber, DATA_ACCESS_RESULTS['no-long-get-in-progress']) };
  }
  if (request.blockNumber !== transfer.sent) {
    return { response: refusal(request.invoke, request.blockNumber, DATA_ACCESS_RESULTS['data-block-number-invalid']) };
  }
  const response = block(request.invoke, transfer.slices, transfer.sent);
  return response.lastBlock ? { response } : { response, transfer: { ...transfer, sent: transfer.sent + 1 } };
}
