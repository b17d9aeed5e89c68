import { randomUUID } from 'node:crypto';
import type { Migration } from './migrations.js';

/**
 * The gateway store's schema, one step per version. Released steps are never edited: a change is a new
 * step appended here. All times are integer milliseconds since the Unix epoch (UTC).
 */

/**
 * v1 — the outbox. `seq` is the per-gateway sequence number the aggregator acknowledges; outbox_state
 * holds the last seq ever assigned (so seqs are never reused, even after everything was acked and deleted)
 * and running totals kept by triggers in the same transaction as the rows, so backlog() is exact and O(1).
 * A BEFORE INSERT trigger refuses a seq that is not above the last one: strict increase is a database
 * invariant, not only a habit of our code. outbox_acked remembers acked read ids so that a poller re-appending
 * a read after a crash does not send it twice. stream_id names this sequence space: a store that was
 * quarantined and recreated starts again at seq 1 under a new stream id, so the aggregator can tell a new
 * stream from a replay.
 */
const outbox: Migration = {
  version: 1,
  name: 'outbox',
  up: (db) => {
    db.exec(`
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY,
  read_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('read', 'event')),
  billing INTEGER NOT NULL CHECK (billing IN (0, 1)),
  payload TEXT NOT NULL,
  bytes INTEGER NOT NULL CHECK (bytes >= 0),
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  send_count INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX outbox_evictable ON outbox (seq) WHERE billing = 0;
CREATE INDEX outbox_created ON outbox (created_at);

CREATE TABLE outbox_acked (
  read_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  acked_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX outbox_acked_at ON outbox_acked (acked_at);

CREATE TABLE outbox_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_seq INTEGER NOT NULL,
  count INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  billing_count INTEGER NOT NULL,
  stream_id TEXT NOT NULL
) STRICT;

CREATE TRIGGER outbox_seq_increases BEFORE INSERT ON outbox
WHEN NEW.seq <= (SELECT last_seq FROM outbox_state WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'outbox: seq must be above the last assigned seq'); END;

CREATE TRIGGER outbox_counts_insert AFTER INSERT ON outbox BEGIN
  UPDATE outbox_state SET last_seq = NEW.seq, count = count + 1, bytes = bytes + NEW.bytes,
    billing_count = billing_count + NEW.billing WHERE id = 1;
END;
CREATE TRIGGER outbox_counts_delete AFTER DELETE ON outbox BEGIN
  UPDATE outbox_state SET count = count - 1, bytes = bytes - OLD.bytes,
    billing_count = billing_count - OLD.billing WHERE id = 1;
END;
CREATE TRIGGER outbox_immutable BEFORE UPDATE OF seq, read_id, kind, billing, payload, bytes, created_at ON outbox
BEGIN SELECT RAISE(ABORT, 'outbox: only sent_at and send_count may change'); END;
`);
    db.prepare('INSERT INTO outbox_state (id, last_seq, count, bytes, billing_count, stream_id) VALUES (1, 0, 0, 0, 0, ?)').run(
      randomUUID(),
    );
  },
};

/**
 * v2 — the gateway's local history for detection: the last few good reads per meter and register (value
 * kept as the exact decimal string), per-meter health counters and a small per-meter key/value state.
 */
const readHistory: Migration = {
  version: 2,
  name: 'read history',
  up: (db) =>
    db.exec(`
CREATE TABLE meter_reads (
  id INTEGER PRIMARY KEY,
  meter_id TEXT NOT NULL,
  register TEXT NOT NULL,
  value TEXT NOT NULL,
  unit TEXT,
  meter_time INTEGER,
  received_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX meter_reads_once ON meter_reads (meter_id, register, meter_time);
CREATE INDEX meter_reads_recent ON meter_reads (meter_id, register, coalesce(meter_time, received_at) DESC, id DESC);

CREATE TABLE meter_health (
  meter_id TEXT PRIMARY KEY,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  last_success_at INTEGER,
  last_failure_at INTEGER,
  last_error_code TEXT
) STRICT, WITHOUT ROWID;

CREATE TABLE meter_state (
  meter_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (meter_id, key)
) STRICT, WITHOUT ROWID;
`),
};

export const storeMigrations: readonly Migration[] = [outbox, readHistory];
