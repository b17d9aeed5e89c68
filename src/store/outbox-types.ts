import { StoreError } from './errors.js';

/** What the outbox keeps: the wire record is opaque JSON; only what ordering and retention need is a column. */
export type OutboxKind = 'read' | 'event';

export interface OutboxEntry {
  /** Idempotency key chosen by the poller (e.g. meter + register + meter time): one item per id, ever. */
  readonly readId: string;
  readonly kind: OutboxKind;
  /** Billing snapshots and month-end registers: never evicted by retention. */
  readonly billing: boolean;
  /** The record as JSON text, forwarded byte for byte. */
  readonly payload: string;
  /** When the read was taken, ms since the epoch; drives age-based retention. */
  readonly createdAt: number;
}

export interface OutboxItem extends OutboxEntry {
  readonly seq: number;
  /** UTF-8 size of the payload. */
  readonly bytes: number;
  /** Last time the item was handed to the network, null if never. */
  readonly sentAt: number | null;
  readonly sendCount: number;
}

export interface AppendResult {
  /** Lowest and highest seq among the items (an empty call gives the empty range last+1..last). */
  readonly seqFrom: number;
  readonly seqTo: number;
  /** seqs[i] is the seq of items[i]: new, or the existing one for a readId already stored or acked. */
  readonly seqs: readonly number[];
  /** How many items were new. */
  readonly inserted: number;
}

export interface BatchRequest {
  readonly maxItems: number;
  /** Payload bytes per batch; the first item is returned even if larger, or the queue would stall. */
  readonly maxBytes: number;
  /** Start after this seq (the end of the window in flight when pipelining); default: the oldest unacked. */
  readonly afterSeq?: number;
}

export interface Backlog {
  /** Items not acked yet (sent or not). */
  readonly count: number;
  readonly oldestCreatedAt: number | null;
  /** Payload bytes of those items. */
  readonly bytes: number;
  readonly billingCount: number;
  /** The last seq ever assigned (0 for a new store). */
  readonly lastSeq: number;
}

export interface RetentionPolicy {
  /** Evict the oldest non-billing items while the backlog's payload bytes exceed this. */
  readonly maxBytes?: number;
  /** Evict non-billing items created more than this many days before `now`. */
  readonly maxAgeDays?: number;
  readonly now?: number;
}

export interface PruneResult {
  /** Items evicted (lost: never forwarded). */
  readonly count: number;
  readonly bytes: number;
  /** Lowest and highest evicted seq, null when nothing was evicted. */
  readonly seqFrom: number | null;
  readonly seqTo: number | null;
  /** The evicted seqs as contiguous runs [from, to] (billing items in between were kept). */
  readonly ranges: readonly (readonly [number, number])[];
  readonly oldestCreatedAt: number | null;
  readonly newestCreatedAt: number | null;
  /** True when the backlog is still over maxBytes after evicting everything allowed: only billing is left. */
  readonly stillOverLimit: boolean;
}

/** Whether a readId is waiting, in flight, or done. */
export type OutboxStatus =
  | { readonly state: 'pending' | 'sent'; readonly seq: number }
  | { readonly state: 'acked'; readonly seq: number; readonly ackedAt: number };

/** Checks entries before the transaction, so that one bad item writes nothing and says which it was. */
export function checkEntries(items: readonly OutboxEntry[]): void {
  items.forEach((it, i) => {
    const bad = (what: string) =>
      new StoreError('STORE_INVALID_ARGUMENT', `outbox append: item ${i} (readId ${JSON.stringify(it?.readId)}): ${what}`, {
        context: { op: 'append', item: i },
      });
    if (typeof it !== 'object' || it === null) throw bad('not an object');
    if (typeof it.readId !== 'string' || it.readId.length === 0) throw bad('readId must be a non-empty string');
    if (it.kind !== 'read' && it.kind !== 'event') throw bad(`kind must be 'read' or 'event', got ${String(it.kind)}`);
    if (typeof it.billing !== 'boolean') throw bad('billing must be a boolean');
    if (!Number.isSafeInteger(it.createdAt)) throw bad('createdAt must be integer milliseconds since the epoch');
    if (typeof it.payload !== 'string') throw bad('payload must be a JSON string');
    // A payload the aggregator cannot parse would sit at the head of the queue forever: refuse it here.
    try {
      JSON.parse(it.payload);
    } catch {
      throw bad('payload is not valid JSON');
    }
  });
}

export function checkRange(op: string, seqFrom: number, seqTo: number): void {
  if (!Number.isSafeInteger(seqFrom) || !Number.isSafeInteger(seqTo) || seqFrom < 1 || seqFrom > seqTo) {
    throw new StoreError('STORE_INVALID_ARGUMENT', `outbox ${op}: bad seq range ${seqFrom}..${seqTo} (need 1 <= from <= to)`, {
      context: { op, seqFrom, seqTo },
    });
  }
}

/** Sorted seqs → contiguous runs, for reporting losses compactly. */
export function toRanges(seqs: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const s of seqs) {
    const last = runs[runs.length - 1];
    if (last !== undefined && s === last[1] + 1) last[1] = s;
    else runs.push([s, s]);
  }
  return runs;
}
