import { afterAll, describe, expect, it } from 'vitest';
import { openStore, Outbox, storeMigrations } from '../../src/store/index.js';
import { entry, outboxContract } from './outbox-contract.js';
import { tempDir } from './temp-dir.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;

outboxContract('fresh file', () => {
  const store = openStore({ path: tmp.file(`fresh-${n++}.db`) });
  return { outbox: new Outbox(store), close: () => store.close() };
});

outboxContract('file migrated one version at a time, then reopened', () => {
  const path = tmp.file(`stepwise-${n++}.db`);
  openStore({ path, migrations: storeMigrations.slice(0, 1) }).close();
  openStore({ path }).close();
  const store = openStore({ path });
  return { outbox: new Outbox(store), close: () => store.close() };
});

describe('Outbox across close and reopen', () => {
  it('continues the sequence, keeps the stream id, unacked items and the dedupe memory', () => {
    const path = tmp.file('reopen.db');
    let store = openStore({ path });
    let ob = new Outbox(store);
    const stream = ob.streamId;
    ob.append([entry('a'), entry('b'), entry('c')]);
    ob.ack(1, 1);
    store.close();

    store = openStore({ path });
    ob = new Outbox(store);
    expect(ob.streamId).toBe(stream);
    expect(ob.backlog()).toMatchObject({ count: 2, lastSeq: 3 });
    expect(ob.append([entry('a'), entry('c'), entry('d')])).toEqual({ seqFrom: 1, seqTo: 4, seqs: [1, 3, 4], inserted: 1 });
    ob.ack(2, 4);
    store.close();

    store = openStore({ path });
    ob = new Outbox(store);
    expect(ob.append([entry('e')]).seqs).toEqual([5]);
    expect(ob.nextBatch({ maxItems: 10, maxBytes: 10_000 }).map((i) => i.seq)).toEqual([5]);
    store.close();
  });

  it('a different file is a different stream', () => {
    const a = openStore({ path: tmp.file('s1.db') });
    const b = openStore({ path: tmp.file('s2.db') });
    expect(new Outbox(a).streamId).not.toBe(new Outbox(b).streamId);
    a.close();
    b.close();
  });
});
