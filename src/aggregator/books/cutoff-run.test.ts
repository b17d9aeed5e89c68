import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCentralDb, type CentralDb } from '../store/central-db.js';
import { addRead, CUTOFF, HOUR, importRows, PE } from '../../../test/aggregator/books/close-fixtures.js';
import { tempDir } from '../../../test/store/temp-dir.js';
import { BookStore } from './book-store.js';
import { closeDueBooks, runCutoff, type CutoffRunResult } from './cutoff-run.js';

/**
 * The cutoff run with its exports on the pool (runCutoff) against the one on the calling thread
 * (closeDueBooks), on two databases holding the same books: the same results in the same order.
 */
let tmp: ReturnType<typeof tempDir>;
const open: CentralDb[] = [];

beforeEach(() => {
  tmp = tempDir('chiso-cutoff-run-');
});
afterEach(() => {
  for (const c of open.splice(0)) c.close();
  tmp.cleanup();
});

function central(name: string): Database.Database {
  const c = openCentralDb({ path: tmp.file(`${name}.db`) });
  open.push(c);
  return c.store.db;
}

/** Four books due at CUTOFF (the third held by a falling index), one due a month later. */
function books(db: Database.Database): number[] {
  const ids = ['D018341', 'D018342', 'D018343', 'D018344'].map((code, b) => {
    const id = importRows(db, [
      { MA_DDO: `P${b}01`, MA_QUYEN: code },
      { MA_DDO: `P${b}02`, MA_QUYEN: code, MA_GC: '2' },
    ]);
    addRead(db, { point: `P${b}01`, value: b === 2 ? '11000' : String(12_100 + b), at: PE, kind: 'billing-snapshot' });
    return id;
  });
  return [...ids, importRows(db, [{ MA_DDO: 'P901', MA_QUYEN: 'D018345' }], { month: 4 })];
}

function shapeOf(r: CutoffRunResult, exportDir: string) {
  const e = r.exported;
  return {
    ...r,
    exported: e === undefined ? undefined : { ...e, dir: relative(exportDir, e.dir), sumsFile: relative(exportDir, e.sumsFile), export: { ...e.export, id: undefined, xmlFile: relative(exportDir, e.export.xmlFile), csvFile: relative(exportDir, e.export.csvFile) } },
  };
}

describe('the cutoff run on the export pool', () => {
  it('closes one book after the other and gives the results of the single-thread run, in the same order', async () => {
    const one = central('one');
    const pooled = central('pool');
    const ids = books(one);
    expect(books(pooled)).toEqual(ids);
    const oneDir = tmp.file('out-one');
    const poolDir = tmp.file('out-pool');
    expect(await runCutoff(pooled, { now: CUTOFF - 1, autoExport: true, exportDir: poolDir, pool: { workers: 2 } })).toEqual([]);

    const single = closeDueBooks(one, { now: CUTOFF, autoExport: true, exportDir: oneDir });
    const onPool = await runCutoff(pooled, { now: CUTOFF, autoExport: true, exportDir: poolDir, pool: { workers: 2 } });
    expect(onPool.map((r) => [r.bookId, r.exported?.export.version ?? null, r.held ?? false, r.error ?? null])).toEqual([
      [ids[0], 1, false, null],
      [ids[1], 1, false, null],
      [ids[2], null, true, null],
      [ids[3], 1, false, null],
    ]);
    expect(onPool.map((r) => shapeOf(r, poolDir))).toEqual(single.map((r) => shapeOf(r, oneDir)));
    expect(ids.map((id) => new BookStore(pooled).getBook(id)?.state)).toEqual(['exported', 'exported', 'closed', 'exported', 'open']);
    expect(await runCutoff(pooled, { now: CUTOFF + HOUR, autoExport: true, exportDir: poolDir })).toEqual([]);
  });

  it("gives the thread back between books, tells of each book as it closes, and stops between books when told", async () => {
    const db = central('yield');
    const ids = books(db);
    // What the broker and the page would do meanwhile: each turn of the event loop is counted.
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const seen: [number, number][] = [];
    const stop = new AbortController();
    const results = await runCutoff(db, {
      now: CUTOFF,
      autoExport: true,
      exportDir: tmp.file('out'),
      signal: stop.signal,
      onClosed: (r) => {
        seen.push([r.bookId, turns]);
        if (seen.length === 2) stop.abort();
      },
    });
    ticking = false;
    // Two books closed, each told before the next began, with the loop turning in between; then the stop.
    expect(seen.map(([id]) => id)).toEqual(ids.slice(0, 2));
    expect(seen[1]![1]).toBeGreaterThan(seen[0]![1]);
    expect(results.map((r) => [r.bookId, r.summary?.state, r.exported])).toEqual(ids.slice(0, 2).map((id) => [id, 'closed', undefined]));
    expect(ids.map((id) => new BookStore(db).getBook(id)?.state)).toEqual(['closed', 'closed', 'open', 'open', 'open']);

    // The next run closes the books left open.
    const rest = await runCutoff(db, { now: CUTOFF, autoExport: false });
    expect(rest.map((r) => r.bookId)).toEqual(ids.slice(2, 4));
    expect(ids.map((id) => new BookStore(db).getBook(id)?.state)).toEqual(['closed', 'closed', 'closed', 'closed', 'open']);
  });

  it('without autoExport only closes; a failing export is the book’s error and leaves it closed', async () => {
    const one = central('one');
    const pooled = central('pool');
    const ids = books(one);
    books(pooled);
    const closedOnly = await runCutoff(pooled, { now: CUTOFF, autoExport: false, exportDir: tmp.file('out') });
    expect(closedOnly.map((r) => [r.bookId, r.summary?.state, r.exported, r.held])).toEqual(ids.slice(0, 4).map((id) => [id, 'closed', undefined, undefined]));

    // An export folder that cannot be made (a file is in the way): every export fails alike on both paths.
    const blocked = tmp.file('in-the-way');
    writeFileSync(blocked, 'not a folder');
    const single = closeDueBooks(one, { now: CUTOFF, autoExport: true, exportDir: blocked });
    const reopened = central('pool2');
    books(reopened);
    const onPool = await runCutoff(reopened, { now: CUTOFF, autoExport: true, exportDir: blocked, pool: { workers: 2 } });
    // The same error but for the export's own temporary folder, named for its process and thread.
    const sameTmp = (rs: typeof single) => rs.map((r) => (r.error === undefined ? r : { ...r, error: r.error.replace(/\.export\.tmp-[\w-]+/, '.export.tmp-…') }));
    expect(sameTmp(onPool)).toEqual(sameTmp(single));
    expect(onPool.map((r) => [r.bookId, r.held ?? false, typeof r.error])).toEqual([
      [ids[0], false, 'string'],
      [ids[1], false, 'string'],
      [ids[2], true, 'undefined'],
      [ids[3], false, 'string'],
    ]);
    expect(ids.map((id) => new BookStore(reopened).getBook(id)?.state)).toEqual(['closed', 'closed', 'closed', 'closed', 'open']);
  });
});
