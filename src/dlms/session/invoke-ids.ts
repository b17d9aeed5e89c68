import { invoke, type InvokeIdAndPriority } from '../apdu/invoke-id.js';

/**
 * Invoke-ids cycle 0..15 (a 4-bit field). Using a fresh id per request lets the client discard a late
 * answer to an earlier, timed-out request instead of taking it for the answer to the current one.
 */
export class InvokeIds {
  private nextId = 0;

  next(): InvokeIdAndPriority {
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0x0f;
    return invoke(id);
  }
}
