/**
 * The gateway's durable buffer: one SQLite file holding the outbox (reads waiting for the aggregator's
 * acknowledgement) and the short read history used by detection.
 */
export { openStore, type OpenStoreOptions, type Store } from './database.js';
export { StoreError, toStoreError, storeCodeFor, type StoreErrorCode } from './errors.js';
export { runMigrations, schemaVersion, type Migration, type MigrationResult } from './migrations.js';
export { storeMigrations } from './schema.js';
export { Outbox } from './outbox.js';
export type {
  AppendResult,
  Backlog,
  BatchRequest,
  OutboxEntry,
  OutboxItem,
  OutboxKind,
  OutboxStatus,
  PruneResult,
  RetentionPolicy,
} from './outbox-types.js';
export { ReadHistory, type MeterHealth, type RegisterRead } from './read-history.js';
