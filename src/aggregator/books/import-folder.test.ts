import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CalendarSchema } from '../calendar/reading-calendar.js';
import { openCentralDb, type CentralDb } from '../store/central-db.js';
import { BookStore } from './book-store.js';
import { bookImporter, type BookUpload, type ImportResult } from './import-book.js';
import { scanImportFolder, type FolderLog } from './import-folder.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/cmis/D018328-2017-7-1.xml', import.meta.url));
const fixture = readFileSync(FIXTURE);
const calendar = CalendarSchema.parse({});

function memoryLog(): FolderLog & { lines: { level: string; msg: string; obj: object }[] } {
  const lines: { level: string; msg: string; obj: object }[] = [];
  return {
    lines,
    info: (obj, msg) => void lines.push({ level: 'info', msg, obj }),
    warn: (obj, msg) => void lines.push({ level: 'warn', msg, obj }),
    error: (obj, msg) => void lines.push({ level: 'error', msg, obj }),
  };
}

describe('scanImportFolder', () => {
  let root: string;
  let inbox: string;
  let central: CentralDb;
  let importer: (file: BookUpload) => ImportResult;
  const now = Date.UTC(2017, 6, 1);
  const settled = { settleMs: 0 };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'chiso-folder-'));
    inbox = join(root, 'inbox');
    mkdirSync(inbox);
    central = openCentralDb({ path: join(root, 'central.db') });
    importer = bookImporter(central.store.db, { calendar, clock: { now: () => now } });
  });
  afterEach(() => {
    central.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('imports every *.xml, moves it to imported/, rejects a bad one to rejected/ with the reason beside it', async () => {
    writeFileSync(join(inbox, 'D018328-2017-7-1.xml'), fixture);
    const bad = fixture.toString('utf8').replace('<HSN>40</HSN>', '<HSN>forty</HSN>').replaceAll('<THANG>7</THANG>', '<THANG>8</THANG>');
    writeFileSync(join(inbox, 'D018328-2017-8-1.xml'), bad);
    writeFileSync(join(inbox, 'notes.txt'), 'not a book');
    const log = memoryLog();

    const summary = await scanImportFolder(inbox, importer, log, settled);

    expect(summary.ran).toBe(true);
    expect(summary.imported.map((i) => [i.file, i.result.outcome, i.result.rows])).toEqual([['D018328-2017-7-1.xml', 'created', 28]]);
    expect(summary.rejected.map((r) => [r.file, r.code])).toEqual([['D018328-2017-8-1.xml', 'CMIS_BAD_ROW']]);
    expect(summary.failed).toEqual([]);
    expect(readdirSync(inbox).sort()).toEqual(['imported', 'notes.txt', 'rejected']);
    expect(readFileSync(join(inbox, 'imported', 'D018328-2017-7-1.xml'))).toEqual(fixture);
    // The refused data is kept as it came, with the why beside it.
    expect(readFileSync(join(inbox, 'rejected', 'D018328-2017-8-1.xml'), 'utf8')).toBe(bad);
    const why = readFileSync(join(inbox, 'rejected', 'D018328-2017-8-1.xml.error.txt'), 'utf8');
    expect(why).toContain('code: CMIS_BAD_ROW');
    expect(why).toMatch(/why: D018328-2017-8-1\.xml: row 21 \(MA_DDO PD0100018319001, LOAI_BCS BT, line \d+\), column HSN:/);
    expect(new BookStore(central.store.db).listBooks()).toHaveLength(1);
    expect(log.lines.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'book created'],
      ['warn', 'book file rejected'],
    ]);
  });

  it('never overwrites: the same name imported twice is kept under a numbered name', async () => {
    writeFileSync(join(inbox, 'D018328-2017-7-1.xml'), fixture);
    await scanImportFolder(inbox, importer, memoryLog(), settled);
    writeFileSync(join(inbox, 'D018328-2017-7-1.xml'), fixture);
    const again = await scanImportFolder(inbox, importer, memoryLog(), settled);
    expect(again.imported.map((i) => i.result.outcome)).toEqual(['unchanged']);
    expect(readdirSync(join(inbox, 'imported')).sort()).toEqual(['D018328-2017-7-1.1.xml', 'D018328-2017-7-1.xml']);
  });

  it('a closed book is rejected with the reason', async () => {
    writeFileSync(join(inbox, 'D018328-2017-7-1.xml'), fixture);
    const first = await scanImportFolder(inbox, importer, memoryLog(), settled);
    new BookStore(central.store.db).setState(first.imported[0]!.result.bookId, 'closed', now);
    writeFileSync(join(inbox, 'D018328-2017-7-1.xml'), fixture);
    const second = await scanImportFolder(inbox, importer, memoryLog(), settled);
    expect(second.rejected.map((r) => r.code)).toEqual(['BOOK_CLOSED']);
    expect(readFileSync(join(inbox, 'rejected', 'D018328-2017-7-1.xml.error.txt'), 'utf8')).toContain('is already closed');
  });

  it('leaves a file in place when the failure is not the file’s (database, disk), to try again next scan', async () => {
    writeFileSync(join(inbox, 'D018328-2017-7-1.xml'), fixture);
    const failing = () => {
      throw new Error('SQLITE_FULL: database or disk is full');
    };
    const log = memoryLog();
    const summary = await scanImportFolder(inbox, failing, log, settled);
    expect(summary.failed).toEqual([{ file: 'D018328-2017-7-1.xml', message: 'SQLITE_FULL: database or disk is full' }]);
    expect(readdirSync(inbox)).toEqual(['D018328-2017-7-1.xml']);
    expect(log.lines[0]).toMatchObject({ level: 'error' });
    const retry = await scanImportFolder(inbox, importer, memoryLog(), settled);
    expect(retry.imported).toHaveLength(1);
  });

  it('leaves a file still being copied (modified within settleMs) for the next scan', async () => {
    const path = join(inbox, 'D018328-2017-7-1.xml');
    writeFileSync(path, fixture);
    const t = Date.UTC(2024, 0, 1);
    utimesSync(path, t / 1000, t / 1000);
    const early = await scanImportFolder(inbox, importer, memoryLog(), { settleMs: 10_000, now: () => t + 5_000 });
    expect(early.settling).toEqual(['D018328-2017-7-1.xml']);
    expect(existsSync(path)).toBe(true);
    const later = await scanImportFolder(inbox, importer, memoryLog(), { settleMs: 10_000, now: () => t + 10_000 });
    expect(later.imported).toHaveLength(1);
  });

  it('makes a missing folder (a fresh installation) and finds nothing', async () => {
    const missing = join(root, 'not-yet');
    const summary = await scanImportFolder(missing, importer, memoryLog(), settled);
    expect(summary).toMatchObject({ ran: true, imported: [], rejected: [] });
    expect(existsSync(missing)).toBe(true);
  });

  it('a second scan of the same folder while one runs does nothing', async () => {
    writeFileSync(join(inbox, 'D018328-2017-7-1.xml'), fixture);
    const [a, b] = await Promise.all([scanImportFolder(inbox, importer, memoryLog(), settled), scanImportFolder(inbox, importer, memoryLog(), settled)]);
    expect([a.ran, b.ran]).toEqual([true, false]);
    expect(a.imported).toHaveLength(1);
  });
});
