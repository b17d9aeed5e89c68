import type { Migration } from '../../store/migrations.js';

/**
 * The central (aggregator) database, one step per version; released steps are never edited. Integer
 * times are milliseconds since the Unix epoch (UTC) taken from the aggregator's Clock; times that came
 * from a gateway are kept as the ISO text it sent (with its offset), since they are evidence.
 */

/**
 * v1. Notes on choices:
 * - reads.read_id is UNIQUE and every insert is `ON CONFLICT DO NOTHING`: storing a read twice is harmless
 *   whatever the sequence numbers say (README "Sequence numbers, acks and replays").
 * - signed_batches keeps each accepted envelope as received, so an old batch can be re-verified later with
 *   the key that signed it (README "Version policy"); reads point at their batch.
 * - stream_positions is the high-water mark per (gateway, stream, epoch); it moves in the same transaction
 *   as the rows it covers, so an ack can never run ahead of what is stored.
 * - Only the indexes the month's work needs (a book's listing, one point's history): every index is paid
 *   on each of the ~100 000 inserts per second the ingest must sustain.
 */
const central: Migration = {
  version: 1,
  name: 'central',
  up: (db) => {
    db.exec(`
CREATE TABLE gateways (
  id TEXT PRIMARY KEY,
  credential_hash TEXT NOT NULL,
  enrolled_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'unknown' CHECK (state IN ('unknown', 'online', 'offline')),
  state_since INTEGER,
  state_reason TEXT,
  last_status_at INTEGER,
  last_heartbeat_at INTEGER,
  version TEXT,
  config_hash TEXT,
  signing_key_id TEXT,
  backlog_count INTEGER,
  backlog_oldest_at TEXT,
  backlog_bytes INTEGER,
  meters_total INTEGER,
  meters_online INTEGER,
  uptime_seconds INTEGER
) STRICT;

CREATE TABLE gateway_keys (
  gateway_id TEXT NOT NULL REFERENCES gateways (id),
  key_id TEXT NOT NULL,
  public_key_pem TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
  revoked_at INTEGER,
  PRIMARY KEY (gateway_id, key_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE enrolment_tokens (
  token_hash TEXT PRIMARY KEY,
  gateway_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  used_key_id TEXT
) STRICT, WITHOUT ROWID;

CREATE TABLE stream_positions (
  gateway_id TEXT NOT NULL,
  stream TEXT NOT NULL CHECK (stream IN ('reads', 'events')),
  epoch TEXT NOT NULL,
  last_accepted_seq INTEGER NOT NULL CHECK (last_accepted_seq >= 0),
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (gateway_id, stream, epoch)
) STRICT, WITHOUT ROWID;

CREATE TABLE signed_batches (
  id INTEGER PRIMARY KEY,
  gateway_id TEXT NOT NULL,
  stream TEXT NOT NULL CHECK (stream IN ('reads', 'events')),
  epoch TEXT NOT NULL,
  seq_from INTEGER NOT NULL,
  seq_to INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  envelope BLOB NOT NULL,
  received_at INTEGER NOT NULL
) STRICT;

CREATE TABLE reads (
  id INTEGER PRIMARY KEY,
  read_id TEXT NOT NULL UNIQUE,
  gateway_id TEXT NOT NULL,
  epoch TEXT NOT NULL,
  seq INTEGER NOT NULL,
  batch_id INTEGER NOT NULL,
  meter_id TEXT NOT NULL,
  metering_point TEXT NOT NULL,
  customer_code TEXT,
  book_code TEXT,
  route_order INTEGER,
  obis TEXT NOT NULL,
  bcs TEXT,
  value TEXT NOT NULL,
  unit TEXT,
  scaler INTEGER,
  meter_time TEXT NOT NULL,
  meter_time_ms INTEGER NOT NULL,
  received_at TEXT NOT NULL,
  quality TEXT NOT NULL,
  kind TEXT NOT NULL,
  period_start TEXT,
  period_end TEXT,
  multiplier TEXT NOT NULL,
  stored_at INTEGER NOT NULL
) STRICT;
CREATE INDEX reads_book_period ON reads (book_code, period_end);
CREATE INDEX reads_point_time ON reads (metering_point, obis, meter_time_ms);

CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  gateway_id TEXT NOT NULL,
  epoch TEXT NOT NULL,
  seq INTEGER NOT NULL,
  batch_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  at TEXT NOT NULL,
  meter_id TEXT,
  metering_point TEXT,
  anomaly_id TEXT,
  code TEXT,
  severity TEXT,
  body TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'confirmed', 'dismissed')),
  state_changed_at INTEGER,
  stored_at INTEGER NOT NULL,
  UNIQUE (gateway_id, epoch, seq)
) STRICT;
CREATE INDEX events_anomaly ON events (anomaly_id) WHERE anomaly_id IS NOT NULL;
CREATE INDEX events_open ON events (type, state);

CREATE TABLE refusals (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  stage TEXT NOT NULL CHECK (stage IN ('connect', 'publish', 'subscribe', 'ingest')),
  gateway_id TEXT,
  topic TEXT,
  reason TEXT NOT NULL,
  code TEXT,
  detail TEXT,
  epoch TEXT,
  seq_from INTEGER,
  seq_to INTEGER
) STRICT;
CREATE INDEX refusals_at ON refusals (at);
`);
  },
};

export const centralMigrations: readonly Migration[] = [central];
