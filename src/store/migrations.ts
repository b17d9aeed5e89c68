import type Database from 'better-sqlite3';
import { StoreError, toStoreError } from './errors.js';

/**
 * One schema step. Versions are 1, 2, 3 … with no gaps; a step is never edited once released (a fix is a
 * new step), because gateways in the field are at every version and each must reach the same schema.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly up: (db: Database.Database) => void;
}

export interface MigrationResult {
  /** Schema version found on open (0 for a new file). */
  readonly from: number;
  /** Schema version after the run. */
  readonly to: number;
  /** Versions applied by this run, in order. */
  readonly applied: readonly number[];
}

const createTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`;

/** The highest applied version, 0 if none (or the table does not exist yet). */
export function schemaVersion(db: Database.Database): number {
  const table = db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).get();
  if (table === undefined) return 0;
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/** The list must be 1..n in order: a gap or a duplicate is a programming error we want to see at once. */
export function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new StoreError(
        'STORE_INVALID_ARGUMENT',
        `migration list: entry ${i} ("${m.name}") has version ${m.version}, expected ${i + 1} (versions are 1..n without gaps)`,
      );
    }
  });
}

/**
 * Brings the database to the last version in `migrations`. Each step runs in its own IMMEDIATE transaction
 * together with its schema_migrations row, so a power cut leaves the database at the previous version or
 * the next one, never half-way; the version is re-read inside the transaction so that two processes
 * opening the same file cannot both apply a step. A database whose version is above the last known step
 * was written by a newer chiso and is refused (STORE_TOO_NEW): an older program could misread or damage
 * tables it does not know.
 */
export function runMigrations(
  db: Database.Database,
  migrations: readonly Migration[],
  path: string,
  now: () => number = Date.now,
): MigrationResult {
  checkMigrationList(migrations);
  const latest = migrations.length;
  const from = schemaVersion(db);
  if (from > latest) {
    throw new StoreError(
      'STORE_TOO_NEW',
      `store ${path}: schema version ${from} was written by a newer chiso (this one knows versions up to ${latest}); ` +
        'refusing to open it so as not to damage it. Upgrade chiso, or point the store at another file.',
      { context: { path, op: 'migrate', found: from, known: latest } },
    );
  }
  if (from === latest) return { from, to: from, applied: [] };
  if (db.readonly) {
    throw new StoreError(
      'STORE_READONLY',
      `store ${path}: schema version ${from} needs migrations up to ${latest}, but the database was opened read-only`,
      { context: { path, op: 'migrate', found: from, known: latest } },
    );
  }

  db.exec(createTable);
  const applied: number[] = [];
  for (const m of migrations.slice(from)) {
    const step = db.transaction(() => {
      if (schemaVersion(db) >= m.version) return false; // another process got here first
      m.up(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now());
      return true;
    });
    try {
      if (step.immediate()) applied.push(m.version);
    } catch (e) {
      const err = toStoreError(e, path, `migrate to version ${m.version} (${m.name})`);
      if (err.code !== 'STORE_FAILED') throw err; // disk full, I/O, corrupt: the environment's fault
      throw new StoreError(
        'STORE_MIGRATION_FAILED',
        `store ${path}: migration ${m.version} (${m.name}) failed and was rolled back; the database stays at version ${schemaVersion(db)}: ${err.message}`,
        { cause: e, context: { path, op: 'migrate', version: m.version } },
      );
    }
  }
  return { from, to: schemaVersion(db), applied };
}
