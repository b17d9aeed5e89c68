import type { AttributeWithSelection } from '../apdu/get.js';
import { encodeData } from '../axdr/encode.js';

/** Tag, choice, invoke-id and a one-byte item count of a Get-Request-With-List. */
const LIST_HEADER_BYTES = 4;
/** class-id (2) + instance-id (6) + attribute-id (1) + access-selection flag (1). */
const ITEM_BYTES = 10;

function itemSize(item: AttributeWithSelection): number {
  return ITEM_BYTES + (item.access ? 1 + encodeData(item.access.parameters).length : 0);
}

/**
 * Splits a list of attributes into Get-Request-With-List batches (IEC 62056-5-3 §9.4.6.3). Each batch's
 * request must fit `maxRequestBytes` — the meter's max receive PDU and, on HDLC, one frame's information
 * field, since many meters do not reassemble segmented requests — and hold at most `maxItems`, the
 * meter's own list limit (often 10 or fewer, and not negotiated: it is a per-model setting).
 */
export function planWithList(items: readonly AttributeWithSelection[], limits: { maxRequestBytes: number; maxItems: number }): AttributeWithSelection[][] {
  const batches: AttributeWithSelection[][] = [];
  let batch: AttributeWithSelection[] = [];
  let size = LIST_HEADER_BYTES;
  for (const item of items) {
    const s = itemSize(item);
    if (batch.length > 0 && (batch.length >= limits.maxItems || size + s > limits.maxRequestBytes)) {
      batches.push(batch);
      batch = [];
      size = LIST_HEADER_BYTES;
    }
    batch.push(item);
    size += s;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
