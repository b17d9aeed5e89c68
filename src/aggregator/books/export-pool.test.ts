import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger.js';
import { sqliteCodeOf } from '../../store/errors.js';
import { openCentralDb, type CentralDb } from '../store/central-db.js';
import { addRead, CUTOFF, HOUR, importRows, PE, type RowInput } from '../../../test/aggregator/books/close-fixtures.js';
import { tempDir } from '../../../test/store/temp-dir.js';
import { BookStore } from './book-store.js';
import { closeBook } from './close-book.js';
import { isClosingError } from './closing-errors.js';
import { isBookError } from './errors.js';
import { exportBook } from './export-book.js';
import { exportBooks, exportBooksHere, exportWorkerScript, isExportPoolError, type BookExportOutcome } from './export-pool.js';

/**
 * The export pool on real SQLite files and real worker threads (the build's export-worker.js: run
 * `npx tsc -p tsconfig.json` first). The same books are built in two databases; one is exported on the
 * calling thread, the other on the pool, and everything they leave must be the same.
 */
let tmp: ReturnType<typeof tempDir>;
const open: CentralDb[] = [];

beforeEach(() => {
  tmp = tempDir('chiso-export-pool-');
});
afterEach(() => {
  for (const c of open.splice(0)) c.close();
  tmp.cleanup();
  for (const k of ['CHISO_TEST_DIE_ON', 'CHISO_TEST_BROKEN_START', 'CHISO_TEST_EXPORT_WORKER']) delete process.env[k];
});

function central(name: string): Database.Database {
  const c = openCentralDb({ path: tmp.file(`${name}.db`) });
  open.push(c);
  return c.store.db;
}

interface MonthEnd {
  /** Closed books nothing holds, then one held by a blocking flag, one still open, one that does not exist. */
  ids: number[];
  clean: number[];
  blocked: number;
  open: number;
}

/** The same books, with the same ids and closings, on every database it is run on. */
function monthEnd(db: Database.Database): MonthEnd {
  const clean: number[] = [];
  // Books of 60 rows: even points read by their snapshot, odd ones estimated (TAM_TINH), a meter swap in each.
  for (let b = 0; b < 6; b++) {
    const code = `D01833${b}`;
    const points = Array.from({ length: 30 }, (_, i) => `PD01${b}${String(i).padStart(4, '0')}`);
    const rows: RowInput[] = points.flatMap((p, i): RowInput[] => [
      { MA_DDO: p, MA_QUYEN: code, MA_GC: String(i + 1), BOCSO_ID: String(100 * b + i) },
      { MA_DDO: p, MA_QUYEN: code, MA_GC: String(i + 1), LOAI_BCS: 'BT', CS_CU: '4000', SL_CU: '120' },
    ]);
    rows[0] = { ...rows[0]!, MA_CTO: `NEW-${b}`, CS_CU: '5' };
    rows.push({ MA_DDO: points[0]!, MA_QUYEN: code, MA_GC: '1', MA_CTO: `OLD-${b}`, LOAI_CS: 'THAO', CS_CU: '12000', CS_MOI: '12150', SL_MOI: '150' });
    const id = importRows(db, rows);
    addRead(db, { point: points[0]!, meter: `NEW-${b}`, value: '105', at: PE, kind: 'billing-snapshot' });
    points.forEach((p, i) => {
      if (i > 0 && i % 2 === 0) addRead(db, { point: p, value: String(12_000 + 10 * b + i + 0.5), at: PE, kind: 'billing-snapshot' });
    });
    closeBook(db, id, { now: CUTOFF });
    clean.push(id);
  }
  const blocked = importRows(db, [{ MA_DDO: 'P900', MA_QUYEN: 'D018390' }]);
  addRead(db, { point: 'P900', value: '11000', at: PE, kind: 'billing-snapshot' }); // below CS_CU without a status
  closeBook(db, blocked, { now: CUTOFF });
  const openBook = importRows(db, [{ MA_DDO: 'P901', MA_QUYEN: 'D018391' }]);
  return { ids: [clean[0]!, clean[1]!, blocked, clean[2]!, openBook, 9_999, ...clean.slice(3)], clean, blocked, open: openBook };
}

/** An outcome without where it ran and without the export folder, to compare two runs. */
function shapeOf(o: BookExportOutcome, exportDir: string) {
  if (!o.ok) return { bookId: o.bookId, ok: false, name: o.error.name, code: (o.error as { code?: string }).code, message: o.error.message };
  const e = o.result.export;
  return {
    bookId: o.bookId,
    reused: o.result.reused,
    dir: relative(exportDir, o.result.dir),
    sumsFile: relative(exportDir, o.result.sumsFile),
    export: { ...e, id: undefined, xmlFile: relative(exportDir, e.xmlFile), csvFile: relative(exportDir, e.csvFile) },
  };
}

/** Every file under the export folder (temporary ones included) and its bytes, and what the database says. */
function leftBehind(db: Database.Database, exportDir: string) {
  const files: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else files[relative(exportDir, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(exportDir);
  const exports = db
    .prepare<[], Record<string, unknown>>('SELECT book_id, version, xml_file, csv_file, xml_sha256, csv_sha256, rows, created_at, override_by, override_note FROM book_exports ORDER BY book_id, version')
    .all()
    .map((r) => ({ ...r, xml_file: relative(exportDir, String(r['xml_file'])), csv_file: relative(exportDir, String(r['csv_file'])) }));
  const books = db.prepare('SELECT id, state FROM books ORDER BY id').all();
  return { files, exports, books };
}

function capture() {
  const lines: { level: number; msg: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')));
      done();
    },
  });
  return { logger: createLogger({ name: 'test', destination }), lines };
}

describe('exporting books on the export pool', () => {
  it('needs the build: the compiled worker is found', () => {
    expect(exportWorkerScript(), 'dist/src/aggregator/books/export-worker.js is missing: run npx tsc -p tsconfig.json').toBeDefined();
  });

  it('leaves exactly the files, book_exports rows and outcomes of the single-thread path, in the order given', async () => {
    const one = central('one');
    const pooled = central('pool');
    const a = monthEnd(one);
    const b = monthEnd(pooled);
    expect(b).toEqual(a);
    const oneDir = tmp.file('out-one');
    const poolDir = tmp.file('out-pool');

    const single = exportBooksHere(one, a.ids, { exportDir: oneDir, now: CUTOFF + HOUR });
    const onPool = await exportBooks(pooled, b.ids, { exportDir: poolDir, now: CUTOFF + HOUR, workers: 2 });

    expect(onPool.map((o) => o.bookId)).toEqual(b.ids);
    expect(onPool.map((o) => o.thread)).toEqual(b.ids.map(() => 'worker'));
    expect(onPool.map((o) => shapeOf(o, poolDir))).toEqual(single.map((o) => shapeOf(o, oneDir)));
    const left = leftBehind(pooled, poolDir);
    expect(left).toEqual(leftBehind(one, oneDir));
    expect(Object.keys(left.files).sort()).toEqual(b.clean.flatMap((_, k) => ['csv', 'xml', 'sums'].map((f) => `D01833${k}-2026-3-1/v1/${f === 'sums' ? 'SHA256SUMS' : `D01833${k}-2026-3-1.${f}`}`)).sort());
    const xml = Buffer.from(left.files['D018330-2026-3-1/v1/D018330-2026-3-1.xml']!, 'base64').toString('utf8');
    expect([xml.includes('<TAM_TINH>1</TAM_TINH>'), xml.includes('<SL_THAO>')]).toEqual([true, true]); // estimates and a swap in it
    // The errors are the project's own, as on one thread: the held book is an outcome, not a failure.
    const errorOf = (id: number) => (onPool.find((o) => o.bookId === id) as { error: Error }).error;
    expect(isClosingError(errorOf(b.blocked), 'EXPORT_BLOCKED')).toBe(true);
    expect(isClosingError(errorOf(b.open), 'EXPORT_NOT_CLOSED')).toBe(true);
    expect(isBookError(errorOf(9_999), 'BOOK_NOT_FOUND')).toBe(true);
    expect(onPool.filter((o) => o.ok)).toHaveLength(b.clean.length);
    expect(new BookStore(pooled).getBook(b.clean[0]!)?.state).toBe('exported');

    // Again, unchanged: every version is reused. Then a late read changes one book: v2, on both paths alike.
    for (const [db, books] of [[one, a], [pooled, b]] as const) {
      addRead(db, { point: 'PD0120001', value: '12345.5', at: PE + HOUR });
      expect(closeBook(db, books.clean[2]!, { now: CUTOFF + 2 * HOUR })).toMatchObject({ changed: 1, state: 'closed' });
    }
    const single2 = exportBooksHere(one, a.clean, { exportDir: oneDir, now: CUTOFF + 3 * HOUR });
    const onPool2 = await exportBooks(pooled, b.clean, { exportDir: poolDir, now: CUTOFF + 3 * HOUR });
    expect(onPool2.map((o) => (o.ok ? [o.result.export.version, o.result.reused] : o.error.message))).toEqual([[1, true], [1, true], [2, false], [1, true], [1, true], [1, true]]);
    expect(onPool2.map((o) => shapeOf(o, poolDir))).toEqual(single2.map((o) => shapeOf(o, oneDir)));
    expect(leftBehind(pooled, poolDir)).toEqual(leftBehind(one, oneDir));
  });

  it('exports a book given twice one time after the other, as one thread does', async () => {
    const one = central('one');
    const pooled = central('pool');
    const a = monthEnd(one);
    const b = monthEnd(pooled);
    const ids = (m: MonthEnd) => [m.clean[0]!, m.clean[0]!, m.clean[1]!, m.clean[0]!];
    const single = exportBooksHere(one, ids(a), { exportDir: tmp.file('out-one'), now: CUTOFF + HOUR });
    // The first export is held at its commit until the second worker has surely asked for work: that one
    // must take the next other book, not the same book again.
    pooled.exec('BEGIN IMMEDIATE');
    const running = exportBooks(pooled, ids(b), { exportDir: tmp.file('out-pool'), now: CUTOFF + HOUR, workers: 2, busyTimeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 1_000));
    pooled.exec('COMMIT');
    const onPool = await running;
    expect(onPool.map((o) => (o.ok ? [o.bookId, o.result.export.version, o.result.reused] : o.error.message))).toEqual([
      [b.clean[0], 1, false],
      [b.clean[0], 1, true],
      [b.clean[1], 1, false],
      [b.clean[0], 1, true],
    ]);
    expect(onPool.map((o) => shapeOf(o, tmp.file('out-pool')))).toEqual(single.map((o) => shapeOf(o, tmp.file('out-one'))));
    expect(leftBehind(pooled, tmp.file('out-pool'))).toEqual(leftBehind(one, tmp.file('out-one')));
  });

  it('waits for another connection holding the write lock, and loses nothing', async () => {
    const db = central('c');
    const m = monthEnd(db);
    const exportDir = tmp.file('out');
    db.exec('BEGIN IMMEDIATE'); // as an ingest commit or an operator's decision would, only longer
    const done = exportBooks(db, m.clean, { exportDir, now: CUTOFF + HOUR, workers: 2, busyTimeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    db.exec('COMMIT');
    const outcomes = await done;
    expect(outcomes.map((o) => (o.ok ? o.result.export.version : o.error.message))).toEqual(m.clean.map(() => 1));
    expect(db.prepare('SELECT count(*) AS n FROM book_exports').get()).toEqual({ n: m.clean.length });
  });

  it('fails a book whose write waited past the busy timeout, with nothing half written; the next try exports it whole', async () => {
    const db = central('c');
    const m = monthEnd(db);
    const exportDir = tmp.file('out');
    db.exec('BEGIN IMMEDIATE');
    const outcomes = await exportBooks(db, m.clean.slice(0, 3), { exportDir, now: CUTOFF + HOUR, workers: 2, busyTimeoutMs: 50 });
    db.exec('ROLLBACK');
    for (const o of outcomes) {
      expect(o.ok).toBe(false);
      expect(sqliteCodeOf((o as { error: Error }).error)).toMatch(/^SQLITE_BUSY/);
    }
    expect(db.prepare('SELECT count(*) AS n FROM book_exports').get()).toEqual({ n: 0 });
    expect(m.clean.slice(0, 3).map((id) => new BookStore(db).getBook(id)?.state)).toEqual(['closed', 'closed', 'closed']);
    const again = await exportBooks(db, m.clean.slice(0, 3), { exportDir, now: CUTOFF + 2 * HOUR, workers: 2 });
    expect(again.map((o) => (o.ok ? [o.result.export.version, o.result.reused] : o.error.message))).toEqual([[1, false], [1, false], [1, false]]);
    // The folder a failed try left (v1 without a record) was replaced by the complete one.
    const direct = central('direct');
    const d = monthEnd(direct);
    exportBooksHere(direct, d.clean.slice(0, 3), { exportDir: tmp.file('out-direct'), now: CUTOFF + 2 * HOUR });
    expect(leftBehind(db, exportDir)).toEqual(leftBehind(direct, tmp.file('out-direct')));
  });

  it('fails only the book a dying worker held; a new worker exports the rest', async () => {
    const db = central('c');
    const m = monthEnd(db);
    const exportDir = tmp.file('out');
    const dies = m.clean[1]!;
    process.env['CHISO_TEST_EXPORT_WORKER'] = exportWorkerScript()!.href;
    process.env['CHISO_TEST_DIE_ON'] = String(dies);
    const script = new URL('./export-worker-crash.fixture.mjs', import.meta.url);
    const { logger, lines } = capture();
    const outcomes = await exportBooks(db, m.clean, { exportDir, now: CUTOFF + HOUR, workers: 1, script, logger });
    const failed = outcomes.find((o) => o.bookId === dies)!;
    expect(failed.ok).toBe(false);
    expect(isExportPoolError((failed as { error: Error }).error, 'EXPORT_WORKER_FAILED')).toBe(true);
    expect((failed as { error: Error }).error.message).toContain('exit code 70');
    expect(outcomes.filter((o) => o.ok).map((o) => [o.bookId, o.thread])).toEqual(m.clean.filter((id) => id !== dies).map((id) => [id, 'worker']));
    expect(lines.filter((l) => l.msg.startsWith('export worker died'))).toHaveLength(1);
    // Nothing of it was recorded; the next run exports it as the first version.
    expect(new BookStore(db).getBook(dies)?.state).toBe('closed');
    delete process.env['CHISO_TEST_DIE_ON'];
    expect(exportBook(db, dies, { exportDir, now: CUTOFF + 2 * HOUR })).toMatchObject({ reused: false, export: { version: 1 } });
  });

  it('exports on the calling thread when no worker can start, saying so once', async () => {
    const db = central('c');
    const m = monthEnd(db);
    process.env['CHISO_TEST_BROKEN_START'] = '1';
    const script = new URL('./export-worker-crash.fixture.mjs', import.meta.url);
    const { logger, lines } = capture();
    const first = await exportBooks(db, m.clean.slice(0, 3), { exportDir: tmp.file('out'), now: CUTOFF + HOUR, workers: 2, script, logger });
    expect(first.map((o) => [o.ok, o.thread])).toEqual([[true, 'caller'], [true, 'caller'], [true, 'caller']]);
    await exportBooks(db, m.clean.slice(3), { exportDir: tmp.file('out'), now: CUTOFF + HOUR, workers: 2, script, logger });
    expect(lines.filter((l) => l.msg.includes('calling thread') && l.msg.startsWith('no export worker could start'))).toHaveLength(1);
    // A script that is not there at all (a half-copied build) goes the same way.
    const missing = await exportBooks(db, m.clean, { exportDir: tmp.file('out'), now: CUTOFF + HOUR, script: new URL('./no-such-export-worker.js', import.meta.url), logger });
    expect(missing.map((o) => [o.ok && o.result.reused, o.thread])).toEqual(m.clean.map(() => [true, 'caller']));
  });

  it('exports on the calling thread without a build, and for an in-memory database', async () => {
    const { logger, lines } = capture();
    const db = central('c');
    const m = monthEnd(db);
    const noBuild = await exportBooks(db, m.clean.slice(0, 2), { exportDir: tmp.file('out'), now: CUTOFF + HOUR, script: null, logger });
    expect(noBuild.map((o) => [o.ok, o.thread])).toEqual([[true, 'caller'], [true, 'caller']]);
    await exportBooks(db, m.clean.slice(2, 4), { exportDir: tmp.file('out'), now: CUTOFF + HOUR, script: null, logger });
    expect(lines.filter((l) => l.msg.startsWith('no compiled export worker'))).toHaveLength(1);

    const memory = openCentralDb({ path: ':memory:' });
    open.push(memory);
    const mm = monthEnd(memory.store.db);
    const inMemory = await exportBooks(memory.store.db, [mm.clean[0]!, mm.blocked], { exportDir: tmp.file('out-memory'), now: CUTOFF + HOUR, logger });
    expect(inMemory.map((o) => [o.ok, o.thread])).toEqual([[true, 'caller'], [false, 'caller']]);
    expect(isClosingError((inMemory[1] as { error: Error }).error, 'EXPORT_BLOCKED')).toBe(true);
    expect(lines.filter((l) => l.msg.startsWith('an in-memory database'))).toHaveLength(1);
  });

  it('hands out no book once stopped, and refuses a bad worker count', async () => {
    const db = central('c');
    const m = monthEnd(db);
    const stopped = AbortSignal.abort();
    const outcomes = await exportBooks(db, m.clean, { exportDir: tmp.file('out'), now: CUTOFF + HOUR, signal: stopped });
    expect(outcomes.every((o) => !o.ok && isExportPoolError(o.error, 'EXPORT_STOPPED'))).toBe(true);
    expect(db.prepare('SELECT count(*) AS n FROM book_exports').get()).toEqual({ n: 0 });
    await expect(exportBooks(db, m.clean, { exportDir: tmp.file('out'), now: CUTOFF, workers: -1 })).rejects.toThrow(/workers must be a whole number/);
    expect(await exportBooks(db, [], { exportDir: tmp.file('out'), now: CUTOFF })).toEqual([]);
  });

  it('exports the same books at once from two pools and this thread: one version each, every other export reuses it', async () => {
    const db = central('c');
    const m = monthEnd(db);
    const exportDir = tmp.file('out');
    const opts = { exportDir, now: CUTOFF + HOUR, workers: 1, busyTimeoutMs: 20_000 };
    // Two pools each start a worker (a few hundred ms), then race over the same books while this thread,
    // blocked in its own exports of them, takes the write lock in between.
    const rounds = m.clean.flatMap((id) => Array<number>(15).fill(id));
    const racing = Promise.all([exportBooks(db, rounds, opts), exportBooks(db, rounds, opts)]);
    await new Promise((r) => setTimeout(r, 200));
    const here = m.clean.map((id) => exportBook(db, id, { exportDir, now: CUTOFF + HOUR }));
    const [one, two] = await racing;
    for (const o of [...one, ...two]) expect(o.ok ? null : o.error.message).toBeNull();
    expect(here.every((r) => r.export.version === 1)).toBe(true);
    expect(db.prepare('SELECT count(*) AS n, max(version) AS v FROM book_exports').get()).toEqual({ n: m.clean.length, v: 1 });
    // No temporary folder left behind, and each book has exactly its v1 folder.
    for (const dir of readdirSync(exportDir)) expect(readdirSync(join(exportDir, dir))).toEqual(['v1']);
  });
});
