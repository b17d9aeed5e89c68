import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Outbox, StoreError, type OutboxEntry } from '../../src/store/index.js';
import { thrown } from './temp-dir.js';

/** What a contract run needs: a fresh, empty outbox per test, and a way to close it. */
export interface OutboxFixture {
  readonly outbox: Outbox;
  close(): void;
}

const T0 = Date.UTC(2025, 0, 31, 0, 0, 0);
const DAY = 86_400_000;

export function entry(readId: string, over: Partial<OutboxEntry> = {}): OutboxEntry {
  return { readId, kind: 'read', billing: false, payload: JSON.stringify({ id: readId }), createdAt: T0, ...over };
}

/** Payload of exactly `n` UTF-8 bytes (a JSON string literal). */
export function payloadOf(n: number): string {
  return JSON.stringify('x'.repeat(n - 2));
}

/**
 * The behaviour every outbox must show, whatever the file went through before (fresh, migrated step by
 * step, reopened). Exact values throughout: seqs, counts, bytes.
 */
export function outboxContract(label: string, open: () => OutboxFixture): void {
  describe(`Outbox contract: ${label}`, () => {
    let fx: OutboxFixture;
    let ob: Outbox;
    beforeEach(() => {
      fx = open();
      ob = fx.outbox;
    });
    afterEach(() => fx.close());

    it('starts empty', () => {
      expect(ob.backlog()).toEqual({ count: 0, oldestCreatedAt: null, bytes: 0, billingCount: 0, lastSeq: 0 });
      expect(ob.nextBatch({ maxItems: 10, maxBytes: 1000 })).toEqual([]);
      expect(ob.lastSentSeq()).toBeNull();
      expect(ob.streamId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('gives consecutive seqs from 1 in item order, across calls', () => {
      expect(ob.append([entry('a'), entry('b'), entry('c')])).toEqual({ seqFrom: 1, seqTo: 3, seqs: [1, 2, 3], inserted: 3 });
      expect(ob.append([entry('d')])).toEqual({ seqFrom: 4, seqTo: 4, seqs: [4], inserted: 1 });
      expect(ob.append([])).toEqual({ seqFrom: 5, seqTo: 4, seqs: [], inserted: 0 });
      const batch = ob.nextBatch({ maxItems: 10, maxBytes: 10_000 });
      expect(batch.map((i) => [i.seq, i.readId])).toEqual([
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
        [4, 'd'],
      ]);
      expect(batch[0]).toEqual({
        seq: 1,
        readId: 'a',
        kind: 'read',
        billing: false,
        payload: '{"id":"a"}',
        createdAt: T0,
        bytes: 10,
        sentAt: null,
        sendCount: 0,
      });
    });

    it('nextBatch honours maxItems, maxBytes and afterSeq, and never stalls on a big item', () => {
      ob.append([entry('a', { payload: payloadOf(100) }), entry('b', { payload: payloadOf(100) }), entry('c', { payload: payloadOf(500) })]);
      expect(ob.nextBatch({ maxItems: 2, maxBytes: 10_000 }).map((i) => i.seq)).toEqual([1, 2]);
      expect(ob.nextBatch({ maxItems: 10, maxBytes: 200 }).map((i) => i.seq)).toEqual([1, 2]);
      expect(ob.nextBatch({ maxItems: 10, maxBytes: 199 }).map((i) => i.seq)).toEqual([1]);
      expect(ob.nextBatch({ maxItems: 10, maxBytes: 200, afterSeq: 2 }).map((i) => i.seq)).toEqual([3]); // 500 > 200 but alone
      expect(ob.nextBatch({ maxItems: 10, maxBytes: 200, afterSeq: 3 })).toEqual([]);
      expect(thrown(() => ob.nextBatch({ maxItems: 0, maxBytes: 1 }))).toMatchObject({ code: 'STORE_INVALID_ARGUMENT' });
    });

    it('pipelines windows with markSent, and resends from the oldest unacked after a reconnect', () => {
      ob.append(['a', 'b', 'c', 'd', 'e'].map((id) => entry(id)));
      const w1 = ob.nextBatch({ maxItems: 2, maxBytes: 10_000 });
      expect(ob.markSent(w1[0]!.seq, w1[w1.length - 1]!.seq, T0 + 1)).toBe(2);
      expect(ob.lastSentSeq()).toBe(2);
      const w2 = ob.nextBatch({ maxItems: 2, maxBytes: 10_000, afterSeq: ob.lastSentSeq()! });
      expect(w2.map((i) => i.seq)).toEqual([3, 4]);
      ob.markSent(3, 4, T0 + 2);
      expect(ob.ack(1, 2, T0 + 3)).toBe(2); // window 1 acked, window 2 lost with the connection
      const again = ob.nextBatch({ maxItems: 10, maxBytes: 10_000 });
      expect(again.map((i) => [i.seq, i.sentAt, i.sendCount])).toEqual([
        [3, T0 + 2, 1],
        [4, T0 + 2, 1],
        [5, null, 0],
      ]);
      ob.markSent(3, 5, T0 + 4);
      expect(ob.nextBatch({ maxItems: 1, maxBytes: 10_000 })[0]).toMatchObject({ seq: 3, sentAt: T0 + 4, sendCount: 2 });
      expect(ob.status('c')).toEqual({ state: 'sent', seq: 3 });
      expect(ob.status('a')).toEqual({ state: 'acked', seq: 1, ackedAt: T0 + 3 });
      expect(ob.status('zz')).toBeUndefined();
    });

    it('ack removes exactly the range, is repeatable, and refuses ranges it never assigned', () => {
      ob.append(['a', 'b', 'c', 'd', 'e'].map((id) => entry(id)));
      expect(ob.ack(2, 3)).toBe(2);
      expect(ob.nextBatch({ maxItems: 10, maxBytes: 10_000 }).map((i) => i.seq)).toEqual([1, 4, 5]);
      expect(ob.ack(2, 3)).toBe(0);
      expect(ob.ack(1, 4)).toBe(2);
      expect(ob.nextBatch({ maxItems: 10, maxBytes: 10_000 }).map((i) => i.seq)).toEqual([5]);
      const beyond = thrown(() => ob.ack(5, 6));
      expect(beyond).toBeInstanceOf(StoreError);
      expect(beyond).toMatchObject({ code: 'STORE_INVALID_ARGUMENT', context: { lastSeq: 5 } });
      expect(thrown(() => ob.ack(3, 2))).toMatchObject({ code: 'STORE_INVALID_ARGUMENT' });
      expect(thrown(() => ob.markSent(0, 2))).toMatchObject({ code: 'STORE_INVALID_ARGUMENT' });
      expect(ob.backlog().count).toBe(1);
    });

    it('never reuses a seq, even after everything was acked', () => {
      ob.append([entry('a'), entry('b')]);
      ob.ack(1, 2);
      expect(ob.backlog()).toMatchObject({ count: 0, lastSeq: 2 });
      expect(ob.append([entry('c')]).seqs).toEqual([3]);
    });

    it('re-appending a readId is a no-op that returns the existing seq (pending, sent or acked)', () => {
      ob.append([entry('a'), entry('b'), entry('c')]);
      const before = ob.backlog();
      expect(ob.append([entry('b', { payload: '{"other":1}' })])).toEqual({ seqFrom: 2, seqTo: 2, seqs: [2], inserted: 0 });
      expect(ob.backlog()).toEqual(before);
      expect(ob.nextBatch({ maxItems: 10, maxBytes: 10_000 })[1]!.payload).toBe('{"id":"b"}'); // first version wins
      // mixed: existing, new, duplicate inside the call
      expect(ob.append([entry('c'), entry('d'), entry('d'), entry('a')])).toEqual({ seqFrom: 1, seqTo: 4, seqs: [3, 4, 4, 1], inserted: 1 });
      ob.markSent(1, 4, T0);
      ob.ack(1, 2, T0 + 10);
      expect(ob.append([entry('a')])).toEqual({ seqFrom: 1, seqTo: 1, seqs: [1], inserted: 0 });
      expect(ob.backlog()).toMatchObject({ count: 2, lastSeq: 4 });
      // forgetting acked ids ends the dedupe window for them only
      expect(ob.forgetAcked(T0 + 10)).toBe(0);
      expect(ob.forgetAcked(T0 + 11)).toBe(2);
      expect(ob.append([entry('a'), entry('c')])).toEqual({ seqFrom: 3, seqTo: 5, seqs: [5, 3], inserted: 1 });
    });

    it('refuses a bad item and writes none of the call', () => {
      ob.append([entry('a')]);
      const e = thrown(() => ob.append([entry('b'), entry('c', { payload: '{not json' })]));
      expect(e).toBeInstanceOf(StoreError);
      expect(e).toMatchObject({ code: 'STORE_INVALID_ARGUMENT' });
      expect((e as Error).message).toContain('item 1 (readId "c")');
      expect(thrown(() => ob.append([entry('')]))).toMatchObject({ code: 'STORE_INVALID_ARGUMENT' });
      expect(thrown(() => ob.append([entry('x', { createdAt: 1.5 })]))).toMatchObject({ code: 'STORE_INVALID_ARGUMENT' });
      expect(thrown(() => ob.append([entry('x', { kind: 'other' as 'read' })]))).toMatchObject({ code: 'STORE_INVALID_ARGUMENT' });
      expect(ob.backlog()).toMatchObject({ count: 1, lastSeq: 1 });
      expect(ob.status('b')).toBeUndefined();
    });

    it('backlog figures are exact (UTF-8 bytes, billing count, oldest by createdAt not seq)', () => {
      const vi = JSON.stringify({ note: 'Điện' }); // Đ and ệ are 2 and 3 bytes in UTF-8
      expect(Buffer.byteLength(vi)).toBe(18); // 9 + (2 + 1 + 3 + 1) + 2
      ob.append([
        entry('a', { createdAt: T0 + 5, payload: vi }),
        entry('b', { createdAt: T0 + 1, billing: true, payload: payloadOf(40) }),
        entry('c', { createdAt: T0 + 9, kind: 'event', payload: payloadOf(7) }),
      ]);
      expect(ob.backlog()).toEqual({ count: 3, oldestCreatedAt: T0 + 1, bytes: 65, billingCount: 1, lastSeq: 3 });
      ob.ack(2, 2);
      expect(ob.backlog()).toEqual({ count: 2, oldestCreatedAt: T0 + 5, bytes: 25, billingCount: 0, lastSeq: 3 });
      ob.append([entry('b')]); // acked: no-op
      expect(ob.backlog()).toEqual({ count: 2, oldestCreatedAt: T0 + 5, bytes: 25, billingCount: 0, lastSeq: 3 });
    });

    it('prune does nothing within limits', () => {
      ob.append([entry('a', { payload: payloadOf(100) }), entry('b', { payload: payloadOf(100) })]);
      expect(ob.prune({ maxBytes: 200, maxAgeDays: 30, now: T0 + 30 * DAY })).toEqual({
        count: 0,
        bytes: 0,
        seqFrom: null,
        seqTo: null,
        ranges: [],
        oldestCreatedAt: null,
        newestCreatedAt: null,
        stillOverLimit: false,
      });
      expect(ob.backlog().count).toBe(2);
    });

    it('prune by bytes evicts the oldest non-billing items only, and reports them exactly', () => {
      // seq:      1    2     3    4    5     6    7
      // billing:  no   YES   no   no   YES   no   no      each 100 bytes, 700 in all
      const billing = new Set([2, 5]);
      ob.append([1, 2, 3, 4, 5, 6, 7].map((n) => entry(`r${n}`, { billing: billing.has(n), payload: payloadOf(100), createdAt: T0 + n })));
      const r = ob.prune({ maxBytes: 350 });
      expect(r).toEqual({
        count: 4,
        bytes: 400,
        seqFrom: 1,
        seqTo: 6,
        ranges: [
          [1, 1],
          [3, 4],
          [6, 6],
        ],
        oldestCreatedAt: T0 + 1,
        newestCreatedAt: T0 + 6,
        stillOverLimit: false,
      });
      expect(ob.nextBatch({ maxItems: 10, maxBytes: 10_000 }).map((i) => i.seq)).toEqual([2, 5, 7]);
      expect(ob.backlog()).toEqual({ count: 3, oldestCreatedAt: T0 + 2, bytes: 300, billingCount: 2, lastSeq: 7 });
    });

    it('prune never evicts billing items, even when they alone exceed the limit', () => {
      ob.append([1, 2, 3].map((n) => entry(`b${n}`, { billing: true, payload: payloadOf(100), createdAt: T0 })));
      ob.append([entry('n1', { payload: payloadOf(100), createdAt: T0 })]);
      const r = ob.prune({ maxBytes: 50, maxAgeDays: 1, now: T0 + 400 * DAY });
      expect(r).toMatchObject({ count: 1, bytes: 100, seqFrom: 4, seqTo: 4, stillOverLimit: true });
      expect(ob.prune({ maxBytes: 0, maxAgeDays: 0, now: T0 + 999 * DAY })).toMatchObject({ count: 0, stillOverLimit: true });
      expect(ob.backlog()).toMatchObject({ count: 3, billingCount: 3, bytes: 300 });
    });

    it('prune by age evicts non-billing items older than maxAgeDays', () => {
      ob.append([
        entry('old', { createdAt: T0 - 10 * DAY }),
        entry('oldBilling', { createdAt: T0 - 10 * DAY, billing: true }),
        entry('edge', { createdAt: T0 - 7 * DAY }),
        entry('new', { createdAt: T0 }),
      ]);
      const r = ob.prune({ maxAgeDays: 7, now: T0 });
      expect(r).toMatchObject({ count: 1, seqFrom: 1, seqTo: 1, oldestCreatedAt: T0 - 10 * DAY, stillOverLimit: false });
      expect(ob.nextBatch({ maxItems: 10, maxBytes: 10_000 }).map((i) => i.readId)).toEqual(['oldBilling', 'edge', 'new']);
    });

    it('appends and drains 100 000 items', () => {
      const total = 100_000;
      for (let start = 0; start < total; start += 2_000) {
        const items = Array.from({ length: 2_000 }, (_, k) =>
          entry(`m${start + k}`, { billing: (start + k) % 10 === 0, payload: JSON.stringify({ n: start + k }) }),
        );
        const r = ob.append(items);
        expect([r.seqFrom, r.seqTo, r.inserted]).toEqual([start + 1, start + 2_000, 2_000]);
      }
      expect(ob.backlog()).toMatchObject({ count: total, billingCount: total / 10, lastSeq: total });
      let expected = 1;
      let after = 0;
      for (;;) {
        const batch = ob.nextBatch({ maxItems: 500, maxBytes: 64 * 1024, afterSeq: after });
        if (batch.length === 0) break;
        for (const item of batch) {
          if (item.seq !== expected || item.readId !== `m${expected - 1}`) throw new Error(`out of order at ${item.seq}`);
          expected++;
        }
        const from = batch[0]!.seq;
        const to = batch[batch.length - 1]!.seq;
        ob.markSent(from, to);
        after = to;
        ob.ack(from, to);
      }
      expect(expected - 1).toBe(total);
      expect(ob.backlog()).toEqual({ count: 0, oldestCreatedAt: null, bytes: 0, billingCount: 0, lastSeq: total });
    });
  });
}
