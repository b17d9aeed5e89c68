import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, Outbox, StoreError, storeCodeFor } from '../../src/store/index.js';
import { entry, payloadOf } from './outbox-contract.js';
import { tempDir, thrown } from './temp-dir.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** A closed store with `n` items in its outbox (closing checkpoints the WAL into the main file). */
function filledStore(name: string, n: number): string {
  const path = tmp.file(name);
  const store = openStore({ path });
  new Outbox(store).append(Array.from({ length: n }, (_, i) => entry(`r${i}`, { payload: payloadOf(200) })));
  store.close();
  return path;
}

/**
 * Makes a file read-only in a way that also binds root (tests may run as root in a container, where mode
 * bits are ignored): the immutable attribute when root, mode 0444 otherwise. Returns the undo.
 */
function makeReadOnly(path: string): () => void {
  if (process.getuid?.() === 0) {
    execFileSync('chattr', ['+i', path]);
    return () => execFileSync('chattr', ['-i', path]);
  }
  chmodSync(path, 0o444);
  return () => chmodSync(path, 0o644);
}

function overwrite(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

describe('openStore settings', () => {
  it('uses WAL, synchronous=FULL, foreign keys and the busy timeout', () => {
    const store = openStore({ path: tmp.file('nested/dir/settings.db'), busyTimeoutMs: 1234 });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2); // 2 = FULL
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(1234);
    expect(store.migrations).toEqual({ from: 0, to: 2, applied: [1, 2] });
    store.close();
  });

  it('gives a new file the page size asked for; an existing file keeps its own and its data', () => {
    const path = tmp.file('pages.db');
    const store = openStore({ path, pageSize: 16_384 });
    expect(store.db.pragma('page_size', { simple: true })).toBe(16_384);
    new Outbox(store).append([entry('r1', { payload: payloadOf(200) })]);
    store.close();
    const again = openStore({ path, pageSize: 4_096 });
    expect(again.db.pragma('page_size', { simple: true })).toBe(16_384);
    expect(new Outbox(again).backlog().count).toBe(1);
    again.close();
    const odd = tmp.file('odd-pages.db');
    const refused = thrown(() => openStore({ path: odd, pageSize: 5_000 }));
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as StoreError).message).toMatch(/page size 5000: expected a power of two/);
    expect(existsSync(odd)).toBe(false);
  });

  it('passes a healthy file through quick and full integrity checks', () => {
    const path = filledStore('healthy.db', 50);
    for (const integrityCheck of ['quick', 'full'] as const) {
      const store = openStore({ path, integrityCheck });
      expect(new Outbox(store).backlog().count).toBe(50);
      store.close();
    }
  });
});

describe('a corrupt file', () => {
  it('with a garbage header fails with STORE_CORRUPT naming the path, and is left untouched', () => {
    const path = tmp.file('garbage-header.db');
    copyFileSync(filledStore('garbage-src.db', 20), path);
    overwrite(path, 0, Buffer.alloc(100, 0xa5));
    writeFileSync(`${path}-wal`, 'a wal that may hold the last commits');
    const before = readFileSync(path);
    const e = thrown(() => openStore({ path }));
    expect(e).toBeInstanceOf(StoreError);
    expect(e).toMatchObject({ code: 'STORE_CORRUPT', context: { path, sqliteCode: 'SQLITE_NOTADB' } });
    expect((e as Error).message).toContain(path);
    expect((e as Error).message).toContain('onCorrupt=quarantine');
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readFileSync(`${path}-wal`, 'utf8')).toBe('a wal that may hold the last commits');
    expect(existsSync(`${path}-shm`)).toBe(false);
  });

  it('that is not a database at all is reported the same way', () => {
    const path = tmp.file('config.yaml');
    writeFileSync(path, 'gateway:\n  id: tba-01\n'.repeat(100));
    expect(thrown(() => openStore({ path }))).toMatchObject({ code: 'STORE_CORRUPT', context: { path } });
  });

  it('is moved aside with its -wal and -shm under quarantine, and an empty store takes its place', () => {
    const path = tmp.file('quarantine.db');
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    writeFileSync(`${path}-wal`, 'stale wal');
    writeFileSync(`${path}-shm`, 'stale shm');
    const garbage = readFileSync(path);
    const at = Date.UTC(2025, 5, 30, 23, 59, 1, 2);
    const store = openStore({ path, onCorrupt: 'quarantine', now: () => at });
    expect(store.quarantinedTo).toBe(`${path}.corrupt-2025-06-30T23-59-01-002Z`);
    expect(readFileSync(store.quarantinedTo!).equals(garbage)).toBe(true);
    expect(readFileSync(`${store.quarantinedTo}-wal`, 'utf8')).toBe('stale wal');
    expect(readFileSync(`${store.quarantinedTo}-shm`, 'utf8')).toBe('stale shm');
    const ob = new Outbox(store);
    expect(ob.backlog()).toMatchObject({ count: 0, lastSeq: 0 });
    expect(ob.append([entry('first')]).seqs).toEqual([1]);
    store.close();
    // a second corruption at the same instant does not overwrite the first quarantined file
    writeFileSync(path, Buffer.alloc(4096, 0x11));
    const again = openStore({ path, onCorrupt: 'quarantine', now: () => at });
    expect(again.quarantinedTo).toBe(`${path}.corrupt-2025-06-30T23-59-01-002Z-1`);
    expect(readFileSync(store.quarantinedTo!).equals(garbage)).toBe(true);
    again.close();
  });

  it('with damaged inner pages is caught by the integrity check on open', () => {
    const path = tmp.file('inner.db');
    copyFileSync(filledStore('inner-src.db', 400), path);
    const pageSize = 4096;
    const pages = statSync(path).size / pageSize;
    expect(pages).toBeGreaterThan(10);
    // leave page 1 (header and schema) alone; scramble the b-tree pages in the middle of the file
    for (let p = 3; p < pages - 1; p += 2) overwrite(path, p * pageSize, Buffer.alloc(64, 0xee));
    const e = thrown(() => openStore({ path, integrityCheck: 'full' }));
    expect(e).toMatchObject({ code: 'STORE_CORRUPT', context: { path } });
  });
});

describe('disk full', () => {
  it('fails the write with STORE_DISK_FULL, rolls it back, and keeps every earlier item readable', () => {
    const path = tmp.file('full.db');
    const store = openStore({ path });
    const ob = new Outbox(store);
    ob.append(Array.from({ length: 100 }, (_, i) => entry(`ok${i}`, { payload: payloadOf(300) })));
    const before = ob.backlog();
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages + 2}`); // the disk is "full" a couple of pages from now
    const e = thrown(() => ob.append(Array.from({ length: 50 }, (_, i) => entry(`big${i}`, { payload: payloadOf(10_000) }))));
    expect(e).toBeInstanceOf(StoreError);
    expect(e).toMatchObject({ code: 'STORE_DISK_FULL', context: { path, op: 'append', sqliteCode: 'SQLITE_FULL' } });
    expect((e as Error).message).toContain(path);
    expect(ob.backlog()).toEqual(before);
    const items = ob.nextBatch({ maxItems: 1000, maxBytes: 1e9 });
    expect(items.map((i) => i.readId)).toEqual(Array.from({ length: 100 }, (_, i) => `ok${i}`));
    expect(items.every((i) => i.payload === payloadOf(300))).toBe(true);
    expect(ob.status('big0')).toBeUndefined();
    // space comes back: the sequence continues with no gap left by the failed call
    store.db.pragma('max_page_count = 1073741823');
    expect(ob.append([entry('after')]).seqs).toEqual([101]);
    store.close();
    const reopened = openStore({ path, integrityCheck: 'full' });
    expect(new Outbox(reopened).backlog()).toMatchObject({ count: 101, lastSeq: 101 });
    reopened.close();
  });
});

describe('read-only and vanished files', () => {
  it('a store opened read-only reads, and refuses writes with STORE_READONLY', () => {
    const path = filledStore('ro.db', 3);
    const store = openStore({ path, readonly: true });
    const ob = new Outbox(store);
    expect(ob.backlog().count).toBe(3);
    expect(thrown(() => ob.append([entry('x')]))).toMatchObject({ code: 'STORE_READONLY', context: { path, op: 'append' } });
    expect(thrown(() => ob.ack(1, 1))).toMatchObject({ code: 'STORE_READONLY' });
    store.close();
  });

  it('a read-only open of an older schema is refused rather than migrated', () => {
    const path = tmp.file('ro-old.db');
    openStore({ path, migrations: [] }).close();
    expect(thrown(() => openStore({ path, readonly: true }))).toMatchObject({ code: 'STORE_READONLY', context: { path } });
  });

  it('a read-only file fails writes with STORE_READONLY and keeps its data', () => {
    const path = filledStore('perm.db', 2);
    const undo = makeReadOnly(path);
    try {
      const store = openStore({ path });
      const ob = new Outbox(store);
      expect(ob.backlog().count).toBe(2);
      const e = thrown(() => ob.append([entry('x')]));
      expect(e).toMatchObject({ code: 'STORE_READONLY', context: { path, op: 'append' } });
      expect((e as Error).message).toContain(path);
      expect(ob.nextBatch({ maxItems: 10, maxBytes: 1e6 }).map((i) => i.readId)).toEqual(['r0', 'r1']);
      store.close();
    } finally {
      undo();
    }
  });

  it('a path that cannot be created is STORE_IO naming the path', () => {
    const blocker = tmp.file('plain-file');
    writeFileSync(blocker, 'x');
    const path = `${blocker}/sub/store.db`;
    expect(thrown(() => openStore({ path }))).toMatchObject({ code: 'STORE_IO', context: { path } });
  });
});

describe('storeCodeFor', () => {
  it('sorts SQLite result codes, extended ones with their primary', () => {
    expect(storeCodeFor('SQLITE_FULL')).toBe('STORE_DISK_FULL');
    expect(storeCodeFor('SQLITE_NOTADB')).toBe('STORE_CORRUPT');
    expect(storeCodeFor('SQLITE_CORRUPT_INDEX')).toBe('STORE_CORRUPT');
    expect(storeCodeFor('SQLITE_READONLY_DBMOVED')).toBe('STORE_READONLY');
    expect(storeCodeFor('SQLITE_IOERR_FSYNC')).toBe('STORE_IO');
    expect(storeCodeFor('SQLITE_CANTOPEN')).toBe('STORE_IO');
    expect(storeCodeFor('SQLITE_BUSY_SNAPSHOT')).toBe('STORE_BUSY');
    expect(storeCodeFor('SQLITE_CONSTRAINT_UNIQUE')).toBe('STORE_FAILED');
    expect(storeCodeFor(undefined)).toBe('STORE_FAILED');
  });
});
