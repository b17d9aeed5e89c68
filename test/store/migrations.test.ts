import type Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, schemaVersion, storeMigrations, StoreError, type Migration } from '../../src/store/index.js';
import { tempDir, thrown } from './temp-dir.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Migrations that count how often each ran. */
function counted(): { list: Migration[]; runs: number[] } {
  const runs = [0, 0, 0];
  const list: Migration[] = [
    { version: 1, name: 'a', up: (db) => (runs[0]!++, db.exec('CREATE TABLE a (x INTEGER)')) },
    { version: 2, name: 'b', up: (db) => (runs[1]!++, db.exec('CREATE TABLE b (y INTEGER)')) },
    { version: 3, name: 'c', up: (db) => (runs[2]!++, db.exec('ALTER TABLE a ADD COLUMN z TEXT')) },
  ];
  return { list, runs };
}

function tables(db: Database.Database): string[] {
  return (db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).pluck().all() as string[]).filter(
    (n) => !n.startsWith('sqlite_'),
  );
}

describe('migrations', () => {
  it('a database at version N gets exactly the new steps, each once', () => {
    const path = tmp.file('n-plus-one.db');
    const { list, runs } = counted();
    const v1 = openStore({ path, migrations: list.slice(0, 1), now: () => 111 });
    expect(v1.migrations).toEqual({ from: 0, to: 1, applied: [1] });
    v1.close();

    const v3 = openStore({ path, migrations: list, now: () => 222 });
    expect(v3.migrations).toEqual({ from: 1, to: 3, applied: [2, 3] });
    expect(v3.db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all()).toEqual([
      { version: 1, name: 'a', applied_at: 111 },
      { version: 2, name: 'b', applied_at: 222 },
      { version: 3, name: 'c', applied_at: 222 },
    ]);
    v3.close();

    const again = openStore({ path, migrations: list });
    expect(again.migrations).toEqual({ from: 3, to: 3, applied: [] });
    expect(runs).toEqual([1, 1, 1]);
    expect(tables(again.db)).toEqual(['a', 'b', 'schema_migrations']);
    again.close();
  });

  it('refuses a database written by a newer version, and leaves it alone', () => {
    const path = tmp.file('newer.db');
    const { list } = counted();
    openStore({ path, migrations: list }).close();
    const e = thrown(() => openStore({ path, migrations: list.slice(0, 2) }));
    expect(e).toBeInstanceOf(StoreError);
    expect(e).toMatchObject({ code: 'STORE_TOO_NEW', context: { path, found: 3, known: 2 } });
    expect((e as Error).message).toContain('schema version 3');
    expect((e as Error).message).toContain(path);
    const check = openStore({ path, migrations: list });
    expect(schemaVersion(check.db)).toBe(3);
    check.close();
  });

  it('rolls a failing step back entirely and keeps the previous version', () => {
    const path = tmp.file('failing.db');
    const { list } = counted();
    openStore({ path, migrations: list.slice(0, 1) }).close();
    const broken: Migration = {
      version: 2,
      name: 'broken',
      up: (db) => {
        db.exec('CREATE TABLE half_done (x INTEGER)');
        db.exec('INSERT INTO no_such_table VALUES (1)');
      },
    };
    const e = thrown(() => openStore({ path, migrations: [list[0]!, broken] }));
    expect(e).toMatchObject({ code: 'STORE_MIGRATION_FAILED', context: { path, version: 2 } });
    expect((e as Error).message).toContain('stays at version 1');
    const fixed = openStore({ path, migrations: list.slice(0, 2) });
    expect(fixed.migrations).toEqual({ from: 1, to: 2, applied: [2] });
    expect(tables(fixed.db)).toEqual(['a', 'b', 'schema_migrations']);
    fixed.close();
  });

  it('rejects a list with a gap or out of order', () => {
    const { list } = counted();
    expect(thrown(() => openStore({ path: tmp.file('gap.db'), migrations: [list[0]!, list[2]!] }))).toMatchObject({
      code: 'STORE_INVALID_ARGUMENT',
    });
  });

  it('the gateway schema: a new file reaches the last version with all tables', () => {
    const store = openStore({ path: tmp.file('gateway.db') });
    expect(store.migrations.to).toBe(storeMigrations.length);
    expect(tables(store.db)).toEqual([
      'meter_health',
      'meter_reads',
      'meter_state',
      'outbox',
      'outbox_acked',
      'outbox_state',
      'schema_migrations',
    ]);
    store.close();
  });

  it('the outbox schema itself refuses a seq that does not increase, and edits of stored items', () => {
    const store = openStore({ path: tmp.file('invariants.db') });
    const insert = store.db.prepare(
      `INSERT INTO outbox (seq, read_id, kind, billing, payload, bytes, created_at) VALUES (?, ?, 'read', 0, '{}', 2, 0)`,
    );
    insert.run(5, 'a');
    expect(() => insert.run(5, 'b')).toThrow(/seq must be above/);
    expect(() => insert.run(3, 'c')).toThrow(/seq must be above/);
    expect(() => store.db.exec(`UPDATE outbox SET payload = '[]' WHERE seq = 5`)).toThrow(/only sent_at and send_count/);
    store.db.exec('UPDATE outbox SET sent_at = 1, send_count = 1 WHERE seq = 5');
    store.close();
  });
});
