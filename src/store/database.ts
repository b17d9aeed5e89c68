import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, toStoreError } from './errors.js';
import { runMigrations, type Migration, type MigrationResult } from './migrations.js';
import { storeMigrations } from './schema.js';

export interface OpenStoreOptions {
  /** The SQLite file. Its folder is created if missing. */
  readonly path: string;
  /** Schema steps; the gateway store's own list by default (tests pass others). */
  readonly migrations?: readonly Migration[];
  /**
   * Check the file on open: 'quick' (PRAGMA quick_check: structure, fast) or 'full' (integrity_check: also
   * indexes against tables; reads every page, seconds on a large file on an SD card). Default 'off'.
   */
  readonly integrityCheck?: 'off' | 'quick' | 'full';
  /**
   * What to do with a corrupt file (or one that is not a database): 'fail' (default) throws STORE_CORRUPT
   * and leaves the file untouched; 'quarantine' renames it (and its -wal/-shm) to `<path>.corrupt-<time>`
   * and starts an empty store. The file is never deleted: unsent reads in it may still be recoverable.
   */
  readonly onCorrupt?: 'fail' | 'quarantine';
  /** How long a write waits for another connection's lock before STORE_BUSY. Default 5 000 ms. */
  readonly busyTimeoutMs?: number;
  /**
   * Page size of a NEW database file, bytes (a power of two, 512–65 536; SQLite's default is 4 096). A file
   * that already holds a database keeps its own: SQLite changes it only with a VACUUM.
   */
  readonly pageSize?: number;
  /** SQLite's page cache for this connection, KiB (SQLite's default is 2 000). */
  readonly cacheKiB?: number;
  /** Open read-only (inspection tools). No migrations can run; writes fail with STORE_READONLY. */
  readonly readonly?: boolean;
  /** Clock for migration stamps and quarantine names. */
  readonly now?: () => number;
}

export interface Store {
  readonly db: Database.Database;
  readonly path: string;
  readonly migrations: MigrationResult;
  /** Where a corrupt file was moved, when onCorrupt was 'quarantine' and it happened on this open. */
  readonly quarantinedTo?: string;
  close(): void;
}

/**
 * Opens (creating if needed) the gateway store.
 *
 * - WAL: readers (the web status page, backlog queries) never block the poller's appends, and a commit is
 *   one sequential append to the -wal file, which is kind to SD cards.
 * - synchronous=FULL: every commit fsyncs the WAL before returning. With NORMAL a commit in WAL mode is
 *   durable against a crash of the process (SIGKILL, OOM) but the last transactions can be lost on a power
 *   cut, because the WAL is only fsynced at checkpoints. The outbox promise is "a read the poller was told is
 *   stored survives a power cut in the substation", so we pay one fsync per append() call (appends are
 *   batched per poll cycle, so this is a few fsyncs a minute, not one per read).
 * - busy_timeout: a second process (CLI inspection) briefly holding the lock makes us wait, not fail.
 * - foreign_keys=ON: off by default in SQLite for compatibility; we want declared references enforced.
 */
export function openStore(options: OpenStoreOptions): Store {
  const onCorrupt = options.onCorrupt ?? 'fail';
  try {
    return openOnce(options);
  } catch (e) {
    const err = toStoreError(e, options.path, 'open');
    if (err.code !== 'STORE_CORRUPT') throw err;
    if (onCorrupt !== 'quarantine') throw corruptError(options.path, err);
    const to = quarantine(options.path, (options.now ?? Date.now)());
    return { ...openOnce(options), quarantinedTo: to };
  }
}

function openOnce(options: OpenStoreOptions): Store {
  const { path } = options;
  const now = options.now ?? Date.now;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
  const pageSize = options.pageSize === undefined ? undefined : checkedPageSize(options.pageSize);
  if (path !== ':memory:') {
    checkHeader(path);
    if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
  }
  const db = new Database(path, { readonly: options.readonly ?? false, timeout: busyTimeoutMs });
  try {
    // Before WAL: a WAL database cannot change its page size any more (a no-op on an existing file).
    if (pageSize !== undefined && !options.readonly) db.pragma(`page_size = ${pageSize}`);
    // The first statement that reads the header: a file that is not a database fails here with SQLITE_NOTADB.
    if (!options.readonly) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
    db.pragma('foreign_keys = ON');
    if (options.cacheKiB !== undefined) db.pragma(`cache_size = -${Math.max(64, Math.trunc(options.cacheKiB))}`);
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    if ((options.integrityCheck ?? 'off') !== 'off') checkIntegrity(db, path, options.integrityCheck === 'full');
    const migrations = runMigrations(db, options.migrations ?? storeMigrations, path, now);
    return { db, path, migrations, close: () => db.close() };
  } catch (e) {
    db.close();
    throw e;
  }
}

function checkedPageSize(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < 512 || bytes > 65_536 || (bytes & (bytes - 1)) !== 0) {
    throw new StoreError('STORE_INVALID_ARGUMENT', `page size ${bytes}: expected a power of two from 512 to 65 536 bytes`);
  }
  return bytes;
}

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Looks at the file's first bytes before SQLite does. Needed because SQLite, on closing a connection to a
 * file it could not read, deletes the -wal and -shm beside it: a stale WAL that may hold the last committed
 * reads would be gone before anyone could quarantine it. A missing or empty file is a new database.
 */
function checkHeader(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return; // missing (new store) or unreadable: SQLite will say which, with its own code
  }
  try {
    const head = Buffer.alloc(MAGIC.length);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n > 0 && !(n === MAGIC.length && head.equals(MAGIC))) {
      throw new StoreError('STORE_CORRUPT', `store ${path}: the file does not start with the SQLite header (not a database, or its first page was overwritten)`, {
        context: { path, op: 'open', sqliteCode: 'SQLITE_NOTADB' },
      });
    }
  } finally {
    closeSync(fd);
  }
}

function checkIntegrity(db: Database.Database, path: string, full: boolean): void {
  const pragma = full ? 'integrity_check(20)' : 'quick_check(20)';
  const rows = db.pragma(pragma) as Record<string, string>[];
  const problems = rows.map((r) => Object.values(r)[0] ?? '').filter((p) => p !== 'ok');
  if (problems.length > 0) {
    throw new StoreError('STORE_CORRUPT', `store ${path}: ${full ? 'integrity_check' : 'quick_check'} found: ${problems.join('; ')}`, {
      context: { path, op: 'integrity check', problems: problems.length },
    });
  }
}

function corruptError(path: string, cause: StoreError): StoreError {
  return new StoreError(
    'STORE_CORRUPT',
    `store ${path} is corrupt or is not a SQLite database (${cause.message}). The file was left untouched. ` +
      'Stop the gateway and copy the file aside for analysis, then either restore a backup or restart with ' +
      `store onCorrupt=quarantine, which moves it to ${path}.corrupt-<time> and starts an empty store ` +
      '(reads not yet forwarded stay in the moved file and must be recovered by hand).',
    { cause, context: { path, op: 'open', sqliteCode: cause.context['sqliteCode'] } },
  );
}

/** Renames the file and its WAL/SHM side files; a stale -wal must never be replayed onto a fresh file. */
function quarantine(path: string, at: number): string {
  const stamp = new Date(at).toISOString().replace(/[:.]/g, '-');
  let to = `${path}.corrupt-${stamp}`;
  for (let n = 1; existsSync(to); n++) to = `${path}.corrupt-${stamp}-${n}`;
  try {
    renameSync(path, to);
    for (const side of ['-wal', '-shm', '-journal']) {
      if (existsSync(path + side)) renameSync(path + side, to + side);
    }
  } catch (e) {
    throw toStoreError(e, path, `quarantine to ${to}`);
  }
  return to;
}
