import { ChisoError, errorMessage, type ErrorContext } from '../shared/errors.js';

/**
 * What can go wrong with the gateway's SQLite buffer, in the terms the operator acts on. Every StoreError
 * names the file (`context.path`) and the operation (`context.op`); the SQLite error is kept as `cause`
 * and its extended code (e.g. SQLITE_IOERR_WRITE) as `context.sqliteCode`.
 */
export type StoreErrorCode =
  | 'STORE_CORRUPT' // the file is damaged or is not a SQLite database: restore, or quarantine and start fresh
  | 'STORE_DISK_FULL' // SQLITE_FULL: the write was rolled back, earlier data is intact; free space
  | 'STORE_READONLY' // the file, its folder or the filesystem is read-only (remounted ro after an error?)
  | 'STORE_IO' // the OS failed a read/write/fsync (failing SD card, vanished mount) or could not open the file
  | 'STORE_BUSY' // another process held the lock beyond busy_timeout
  | 'STORE_TOO_NEW' // the schema was written by a newer chiso: refuse rather than damage it
  | 'STORE_MIGRATION_FAILED' // a migration step failed; it was rolled back and the version is unchanged
  | 'STORE_INVALID_ARGUMENT' // the caller passed something the store cannot keep (empty id, bad range…)
  | 'STORE_FAILED'; // any other SQLite error (a bug rather than an environment problem)

export class StoreError extends ChisoError<StoreErrorCode> {
  constructor(code: StoreErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }

  get path(): string {
    return String(this.context['path'] ?? '');
  }
}

/** The code better-sqlite3 puts on its SqliteError (extended result code name), if any. */
export function sqliteCodeOf(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** Sorts a SQLite result code into our codes. Extended codes (SQLITE_IOERR_FSYNC…) go with their primary. */
export function storeCodeFor(sqliteCode: string | undefined): StoreErrorCode {
  if (sqliteCode === undefined) return 'STORE_FAILED';
  if (sqliteCode === 'SQLITE_FULL') return 'STORE_DISK_FULL';
  if (sqliteCode.startsWith('SQLITE_CORRUPT') || sqliteCode === 'SQLITE_NOTADB') return 'STORE_CORRUPT';
  if (sqliteCode.startsWith('SQLITE_READONLY')) return 'STORE_READONLY';
  if (sqliteCode.startsWith('SQLITE_IOERR') || sqliteCode.startsWith('SQLITE_CANTOPEN') || sqliteCode === 'SQLITE_PERM') {
    return 'STORE_IO';
  }
  if (sqliteCode.startsWith('SQLITE_BUSY') || sqliteCode.startsWith('SQLITE_LOCKED')) return 'STORE_BUSY';
  return 'STORE_FAILED';
}

/** Node's fs errors (mkdir, rename during quarantine) sorted the same way. */
function storeCodeForErrno(e: unknown): StoreErrorCode {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'STORE_DISK_FULL';
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
      return 'STORE_READONLY';
    case 'EIO':
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EISDIR':
      return 'STORE_IO';
    default:
      return 'STORE_FAILED';
  }
}

const advice: Record<StoreErrorCode, string> = {
  STORE_CORRUPT:
    'the file is damaged or is not a SQLite database; keep it for analysis, then restore a backup or restart with onCorrupt=quarantine to move it aside and start an empty store',
  STORE_DISK_FULL: 'the disk is full; the failed write was rolled back and earlier data is intact; free space on the volume',
  STORE_READONLY: 'the file or its filesystem is read-only; check permissions and whether the volume was remounted read-only',
  STORE_IO: 'the operating system failed to read or write the file; check the storage device (dmesg) and free space',
  STORE_BUSY: 'another process kept the database locked; make sure only one gateway uses this file',
  STORE_TOO_NEW: 'upgrade chiso or point the store at another file',
  STORE_MIGRATION_FAILED: 'the migration was rolled back; the database is unchanged',
  STORE_INVALID_ARGUMENT: 'this is a bug in the caller',
  STORE_FAILED: 'this is probably a bug; report it with the file',
};

/**
 * Turns anything thrown while using the store into a StoreError naming the file, the operation and what the
 * operator can do. A StoreError passes through (with the path/op added if missing).
 */
export function toStoreError(e: unknown, path: string, op: string): StoreError {
  if (e instanceof StoreError) return e.context['path'] === undefined ? e.withContext({ path, op }) : e;
  const sqliteCode = sqliteCodeOf(e);
  const code = sqliteCode === undefined ? storeCodeForErrno(e) : storeCodeFor(sqliteCode);
  const what = sqliteCode === undefined ? errorMessage(e) : `${sqliteCode}: ${errorMessage(e)}`;
  return new StoreError(code, `store ${path}: ${op} failed (${what}); ${advice[code]}`, {
    cause: e,
    context: { path, op, sqliteCode },
  });
}

/** Runs `fn`, converting whatever it throws with toStoreError. */
export function guard<T>(path: string, op: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toStoreError(e, path, op);
  }
}
