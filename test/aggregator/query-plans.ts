import Database from 'better-sqlite3';
import { centralMigrations } from '../../src/aggregator/store/index.js';
import { runMigrations } from '../../src/store/migrations.js';

/** Every SQL text prepared on the connection while `build` runs. */
export function preparedBy(conn: Database.Database, build: (db: Database.Database) => void): string[] {
  const seen: string[] = [];
  const original = conn.prepare.bind(conn);
  conn.prepare = ((sql: string) => {
    seen.push(sql);
    return original(sql);
  }) as typeof conn.prepare;
  try {
    build(conn);
  } finally {
    conn.prepare = original;
  }
  return seen;
}

/** SQLite's query plan of `sql`, with every parameter (positional or named) bound to 1. */
export function queryPlan(conn: Database.Database, sql: string): string[] {
  const named = [...new Set(sql.match(/@\w+/g) ?? [])];
  const args = named.length > 0 ? [Object.fromEntries(named.map((n) => [n.slice(1), 1]))] : Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 1);
  return (conn.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail);
}

/**
 * A central database as an earlier chiso left it: migrated up to `version` only, holding one register read
 * ('r1': point PD01, KT, 12.5 kWh at meter time 5 ms). The caller closes it before the current code opens it.
 */
export function centralDbAtVersion(path: string, version: number): Database.Database {
  const db = new Database(path);
  runMigrations(db, centralMigrations.slice(0, version), path);
  db.prepare(
    `INSERT INTO reads (read_id, gateway_id, epoch, seq, batch_id, meter_id, metering_point, obis, bcs, value, meter_time, meter_time_ms,
       received_at, quality, kind, multiplier, stored_at)
     VALUES ('r1', 'GW-1', 'e1', 1, 1, 'M1', 'PD01', '1.0.1.8.0.255', 'KT', '12.5', '2024-08-01T00:00:00+07:00', 5, 'x', 'ok', 'register', '1', 6)`,
  ).run();
  return db;
}
