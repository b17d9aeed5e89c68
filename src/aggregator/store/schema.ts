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

/**
 * v2: the books (sổ GCS) and what the month's work does with them.
 * - books: one per CMIS file (book, year, month, sub-period). A re-import of the same key updates the
 *   rows in place (import_count goes up) and never touches reads, closings or exports.
 * - book_rows: one per CMIS row (metering point × register × reading type: DDK the periodic read, THAO the
 *   removed meter of a swap). The whole row is kept as JSON, so an export writes back every column CMIS
 *   sent, unknown ones included. A row that a re-import no longer has is marked absent, not deleted.
 * - book_closings: the cutoff's answer per periodic row (read, estimated, field-read, needs-review).
 *   `estimated` rows of earlier books of the same point count towards the two-in-a-row limit.
 * - book_flags: central screening flags (±30 %, bands, 200 %/400 kWh, needs-review) with the operator's
 *   decision; `blocking` ones hold the export back until decided or overridden.
 * - book_exports: each export of a book, versioned, with the files' checksums and who overrode what.
 * - reverifications (phúc tra) and customer_notices (B7): the operator's re-reads and the notice outbox.
 * - event_reviews: the operator's note on a gateway event (was created at startup before v2: IF NOT EXISTS).
 */
const books: Migration = {
  version: 2,
  name: 'books',
  up: (db) => {
    db.exec(`
CREATE TABLE books (
  id INTEGER PRIMARY KEY,
  unit_code TEXT NOT NULL,
  book_code TEXT NOT NULL,
  year INTEGER NOT NULL,
  month INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
  sub_period INTEGER NOT NULL CHECK (sub_period BETWEEN 1 AND 3),
  file_name TEXT NOT NULL,
  reading_day TEXT NOT NULL,
  period_start INTEGER NOT NULL,
  period_end INTEGER NOT NULL,
  cutoff_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed', 'exported')),
  source_sha256 TEXT NOT NULL,
  import_count INTEGER NOT NULL DEFAULT 1,
  imported_at INTEGER NOT NULL,
  closed_at INTEGER,
  UNIQUE (book_code, year, month, sub_period)
) STRICT;
CREATE INDEX books_cutoff ON books (state, cutoff_at);

CREATE TABLE book_rows (
  book_id INTEGER NOT NULL REFERENCES books (id),
  metering_point TEXT NOT NULL,
  bcs TEXT NOT NULL,
  reading_type TEXT NOT NULL,
  row_no INTEGER NOT NULL,
  route_position TEXT NOT NULL,
  meter_id TEXT,
  meter_serial TEXT,
  customer_code TEXT,
  customer_name TEXT,
  multiplier TEXT NOT NULL,
  old_index TEXT NOT NULL,
  row_json TEXT NOT NULL,
  present INTEGER NOT NULL DEFAULT 1 CHECK (present IN (0, 1)),
  PRIMARY KEY (book_id, metering_point, bcs, reading_type)
) STRICT, WITHOUT ROWID;
CREATE INDEX book_rows_point ON book_rows (metering_point, bcs);

CREATE TABLE book_closings (
  book_id INTEGER NOT NULL REFERENCES books (id),
  metering_point TEXT NOT NULL,
  bcs TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('read', 'estimated', 'field-read', 'needs-review')),
  source TEXT,
  new_index TEXT,
  status TEXT,
  consumption TEXT,
  read_id TEXT,
  gap_ms INTEGER,
  estimate_number INTEGER,
  detail TEXT NOT NULL DEFAULT '{}',
  closed_at INTEGER NOT NULL,
  PRIMARY KEY (book_id, metering_point, bcs)
) STRICT, WITHOUT ROWID;

CREATE TABLE book_flags (
  id INTEGER PRIMARY KEY,
  book_id INTEGER NOT NULL REFERENCES books (id),
  metering_point TEXT NOT NULL,
  bcs TEXT NOT NULL,
  code TEXT NOT NULL,
  severity TEXT NOT NULL,
  blocking INTEGER NOT NULL CHECK (blocking IN (0, 1)),
  reason_vi TEXT NOT NULL,
  reason_en TEXT NOT NULL,
  evidence TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'confirmed', 'dismissed')),
  note TEXT,
  decided_by TEXT,
  decided_at INTEGER,
  raised_at INTEGER NOT NULL,
  UNIQUE (book_id, metering_point, bcs, code)
) STRICT;
CREATE INDEX book_flags_open ON book_flags (book_id, state);

CREATE TABLE book_exports (
  id INTEGER PRIMARY KEY,
  book_id INTEGER NOT NULL REFERENCES books (id),
  version INTEGER NOT NULL,
  xml_file TEXT NOT NULL,
  csv_file TEXT NOT NULL,
  xml_sha256 TEXT NOT NULL,
  csv_sha256 TEXT NOT NULL,
  rows INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  override_by TEXT,
  override_note TEXT,
  UNIQUE (book_id, version)
) STRICT;

CREATE TABLE reverifications (
  id INTEGER PRIMARY KEY,
  command_id TEXT NOT NULL UNIQUE,
  gateway_id TEXT NOT NULL,
  metering_point TEXT NOT NULL,
  meter_id TEXT NOT NULL,
  requested_by TEXT,
  requested_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'sent' CHECK (state IN ('sent', 'answered', 'failed', 'expired')),
  stored_read_id TEXT,
  stored_value TEXT,
  new_read_id TEXT,
  new_value TEXT,
  verdict TEXT CHECK (verdict IN ('match', 'advanced', 'mismatch')),
  detail TEXT,
  answered_at INTEGER
) STRICT;
CREATE INDEX reverifications_point ON reverifications (metering_point, requested_at);

CREATE TABLE customer_notices (
  id INTEGER PRIMARY KEY,
  book_id INTEGER NOT NULL REFERENCES books (id),
  metering_point TEXT NOT NULL,
  customer_code TEXT,
  channel TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  release_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'cancelled')),
  sent_at INTEGER,
  UNIQUE (book_id, metering_point)
) STRICT;
CREATE INDEX customer_notices_due ON customer_notices (state, release_at);

CREATE TABLE IF NOT EXISTS event_reviews (
  event_id INTEGER PRIMARY KEY REFERENCES events (id),
  action TEXT NOT NULL CHECK (action IN ('confirm', 'dismiss')),
  note TEXT,
  reviewed_by TEXT,
  at INTEGER NOT NULL
) STRICT;
`);
  },
};

/**
 * v3: a signed batch is kept as its payload bytes, raw-deflated, and its 64-byte signature, instead of the
 * whole envelope text. The envelope carried the payload in base64 and was 57 % of everything a month-end
 * writes (each byte twice, to the WAL and again at checkpoint); deflated, the same evidence is about 4 % of
 * the payload. Re-verification needs nothing else: the signature is over exactly those bytes
 * (signed-batches.ts). Rows stored before v3 keep their envelope; each row has one form or the other.
 */
const signedPayloads: Migration = {
  version: 3,
  name: 'signed-payloads',
  up: (db) => {
    db.exec(`
CREATE TABLE signed_batches_v3 (
  id INTEGER PRIMARY KEY,
  gateway_id TEXT NOT NULL,
  stream TEXT NOT NULL CHECK (stream IN ('reads', 'events')),
  epoch TEXT NOT NULL,
  seq_from INTEGER NOT NULL,
  seq_to INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  envelope BLOB,
  payload_deflated BLOB,
  sig BLOB CHECK (sig IS NULL OR length(sig) = 64),
  received_at INTEGER NOT NULL,
  CHECK ((envelope IS NULL) = (payload_deflated IS NOT NULL AND sig IS NOT NULL))
) STRICT;
INSERT INTO signed_batches_v3 (id, gateway_id, stream, epoch, seq_from, seq_to, key_id, envelope, received_at)
  SELECT id, gateway_id, stream, epoch, seq_from, seq_to, key_id, envelope, received_at FROM signed_batches;
DROP TABLE signed_batches;
ALTER TABLE signed_batches_v3 RENAME TO signed_batches;
`);
  },
};

/**
 * v4: reads lose the (book_code, period_end) index. Nothing reads by it (a book's reads are found through
 * its rows' metering points, reads_point_time, which test/aggregator/ingest/read-query-plans.test.ts
 * holds every query on reads to), and each index is paid on every insert of the month-end.
 */
const noBookIndex: Migration = {
  version: 4,
  name: 'reads-without-book-index',
  up: (db) => {
    db.exec('DROP INDEX IF EXISTS reads_book_period');
  },
};

/**
 * v5: book closings by metering point and register. Closing a row looks up the point's closings in
 * earlier books (no more than two estimates in a row); without this index each lookup read every
 * closing ever stored, so a month-end of 840 books took hours instead of minutes.
 */
const closingsByPoint: Migration = {
  version: 5,
  name: 'book-closings-by-point',
  up: (db) => {
    db.exec('CREATE INDEX IF NOT EXISTS book_closings_point ON book_closings (metering_point, bcs)');
  },
};

/**
 * v6: what closing looks up per metering point is found by point, whatever the months behind it.
 * - A point's reads are indexed by meter time alone, not by OBIS code and then time. No query names the
 *   OBIS code of the reads it wants: closing asks for a register (LOAI_BCS) around the period end, the
 *   phúc tra for the latest read. With OBIS in the middle of the key, each of those walked every read the
 *   point ever sent: a year of hourly load profile would make a book's closing seconds long.
 * - Events by point and type: a book's open anomalies were found by walking every anomaly event stored.
 * Rebuilding the reads index on an upgrade reads the table once (see README, "Upgrading").
 */
const pointIndexes: Migration = {
  version: 6,
  name: 'point-indexes',
  up: (db) => {
    db.exec(`
DROP INDEX IF EXISTS reads_point_time;
CREATE INDEX reads_point_time ON reads (metering_point, meter_time_ms);
CREATE INDEX events_point ON events (metering_point, type) WHERE metering_point IS NOT NULL;
`);
  },
};

export const centralMigrations: readonly Migration[] = [central, books, signedPayloads, noBookIndex, closingsByPoint, pointIndexes];
