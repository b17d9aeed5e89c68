import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openStore, Outbox } from '../../src/store/index.js';
import { payloadOf } from './outbox-contract.js';

/** The outbox as a plain model: what must be waiting, and which ids are done. */
interface ModelItem {
  readId: string;
  billing: boolean;
  bytes: number;
  createdAt: number;
}

type Command =
  | { op: 'append'; items: { id: number; billing: boolean; size: number; createdAt: number }[] }
  | { op: 'ack'; from: number; span: number }
  | { op: 'prune'; maxBytes: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    op: fc.constant('append' as const),
    items: fc.array(
      fc.record({ id: fc.nat(40), billing: fc.boolean(), size: fc.integer({ min: 2, max: 300 }), createdAt: fc.nat(1000) }),
      { maxLength: 8 },
    ),
  }),
  fc.record({ op: fc.constant('ack' as const), from: fc.nat(60), span: fc.nat(6) }),
  fc.record({ op: fc.constant('prune' as const), maxBytes: fc.nat(3000) }),
);

describe('Outbox against a model (random command sequences)', () => {
  it('agrees on contents, order, seqs and backlog; billing items leave only by ack', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 40 }), (commands) => {
        const store = openStore({ path: ':memory:' });
        try {
          const ob = new Outbox(store);
          const waiting = new Map<number, ModelItem>();
          const done = new Map<string, number>(); // acked id → seq
          let last = 0;
          const seqOf = (id: string) => done.get(id) ?? [...waiting].find(([, m]) => m.readId === id)?.[0];
          for (const c of commands) {
            if (c.op === 'append') {
              const expected: number[] = [];
              for (const it of c.items) {
                const id = `r${it.id}`;
                const known = seqOf(id);
                if (known !== undefined) expected.push(known);
                else {
                  waiting.set(++last, { readId: id, billing: it.billing, bytes: it.size, createdAt: it.createdAt });
                  expected.push(last);
                }
              }
              const r = ob.append(c.items.map((it) => ({ readId: `r${it.id}`, kind: 'read', billing: it.billing, payload: payloadOf(it.size), createdAt: it.createdAt })));
              expect(r.seqs).toEqual(expected);
            } else if (c.op === 'ack') {
              const from = c.from + 1;
              const to = from + c.span;
              if (to > last) {
                expect(() => ob.ack(from, to)).toThrow(/last seq assigned/);
                continue;
              }
              let n = 0;
              for (let s = from; s <= to; s++) {
                const m = waiting.get(s);
                if (m) {
                  done.set(m.readId, s);
                  waiting.delete(s);
                  n++;
                }
              }
              expect(ob.ack(from, to)).toBe(n);
            } else {
              const billingBefore = [...waiting].filter(([, m]) => m.billing).map(([s]) => s);
              const r = ob.prune({ maxBytes: c.maxBytes });
              let total = [...waiting.values()].reduce((a, m) => a + m.bytes, 0);
              const evicted: number[] = [];
              for (const [s, m] of [...waiting].sort((a, b) => a[0] - b[0])) {
                if (total <= c.maxBytes) break;
                if (m.billing) continue;
                evicted.push(s);
                total -= m.bytes;
                waiting.delete(s);
              }
              expect([r.count, r.seqFrom, r.seqTo]).toEqual([evicted.length, evicted[0] ?? null, evicted[evicted.length - 1] ?? null]);
              expect(billingBefore.every((s) => waiting.has(s))).toBe(true);
              expect(r.stillOverLimit).toBe(total > c.maxBytes);
            }
            const all = ob.nextBatch({ maxItems: 10_000, maxBytes: 1e9 });
            expect(all.map((i) => [i.seq, i.readId, i.billing, i.bytes])).toEqual(
              [...waiting].sort((a, b) => a[0] - b[0]).map(([s, m]) => [s, m.readId, m.billing, m.bytes]),
            );
            const items = [...waiting.values()];
            expect(ob.backlog()).toEqual({
              count: items.length,
              oldestCreatedAt: items.length ? Math.min(...items.map((m) => m.createdAt)) : null,
              bytes: items.reduce((a, m) => a + m.bytes, 0),
              billingCount: items.filter((m) => m.billing).length,
              lastSeq: last,
            });
          }
        } finally {
          store.close();
        }
      }),
      { numRuns: 150 },
    );
  });
});
