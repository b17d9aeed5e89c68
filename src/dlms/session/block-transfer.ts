import type { GetDataResult, GetResponseWithDatablock } from '../apdu/get.js';
import { readGetDataResult } from '../apdu/get.js';
import { dataAccessError } from '../apdu/data-access-result.js';
import { Cursor } from '../axdr/cursor.js';
import { decodeDataExact } from '../axdr/decode.js';
import { readLengthAt } from '../axdr/length.js';
import type { DlmsData } from '../axdr/types.js';
import { DlmsError } from '../errors.js';

/**
 * Collects the blocks of a long GET (IEC 62056-5-3 §9.4.6.4, "GET with block transfer"): the meter sends
 * numbered slices of the answer's encoding; the client asks for each next block by number until the
 * last-block flag. Blocks must come in order 1, 2, 3…; the answer is decoded once, from all slices.
 */
export class BlockCollector {
  private readonly parts: Uint8Array[] = [];
  private size = 0;
  private lastNumber = 0;

  constructor(
    private readonly target: string,
    /** A bound on memory for hostile meters: no load profile we read is near this. */
    private readonly maxBytes = 16 * 1024 * 1024,
  ) {}

  /** The block number to acknowledge in the next GetRequest-Next. */
  get blockNumber(): number {
    return this.lastNumber;
  }

  /** Adds one block; returns all raw bytes after the last block, undefined while more must be asked. */
  add(block: GetResponseWithDatablock): Uint8Array | undefined {
    // Some meters number the first block 0; accept that start and keep strict order afterwards.
    const expected = this.lastNumber + 1;
    const firstIsZero = this.parts.length === 0 && block.blockNumber === 0;
    if (block.blockNumber !== expected && !firstIsZero) {
      throw new DlmsError('DLMS_BLOCK_SEQUENCE', `block ${block.blockNumber} received for ${this.target}, expected ${expected}`, {
        context: { target: this.target, expected, received: block.blockNumber },
      });
    }
    if (block.result.type === 'data-access-result') throw dataAccessError(block.result.result, this.target);
    this.lastNumber = block.blockNumber;
    this.size += block.result.data.length;
    if (this.size > this.maxBytes) {
      throw new DlmsError('DLMS_BAD_APDU', `block transfer for ${this.target} exceeds ${this.maxBytes} bytes`, { context: { target: this.target } });
    }
    this.parts.push(block.result.data);
    if (!block.lastBlock) return undefined;
    const all = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      all.set(p, at);
      at += p.length;
    }
    return all;
  }
}

/** The whole value of a Get-Response-Normal carried in blocks. */
export function decodeBlockValue(raw: Uint8Array): DlmsData {
  return decodeDataExact(raw);
}

/** The result sequence of a Get-Response-With-List carried in blocks: a count, then each Get-Data-Result. */
export function decodeBlockListResults(raw: Uint8Array): GetDataResult[] {
  const c = new Cursor(raw, 0);
  const count = readLengthAt(c);
  const results: GetDataResult[] = [];
  for (let i = 0; i < count; i++) results.push(readGetDataResult(c));
  if (c.remaining > 0) throw new DlmsError('DLMS_BAD_APDU', `${c.remaining} byte(s) after the with-list results in the block transfer`);
  return results;
}
