import { openStore, type OpenStoreOptions, type Store } from '../../store/database.js';
import { BatchWriter } from './batch-writer.js';
import type { ScryptParams } from './credentials.js';
import { Enrolment } from './enrolment.js';
import { GatewayRegistry } from './gateways.js';
import { RefusalLog } from './refusals.js';
import { centralMigrations } from './schema.js';
import { SignedBatches } from './signed-batches.js';

export interface CentralDbOptions extends Omit<OpenStoreOptions, 'migrations'> {
  /** scrypt cost for new gateway credentials (tests lower it; the default is for production). */
  scrypt?: ScryptParams;
}

export interface CentralDb {
  readonly store: Store;
  readonly gateways: GatewayRegistry;
  readonly refusals: RefusalLog;
  readonly writer: BatchWriter;
  readonly enrolment: Enrolment;
  readonly signedBatches: SignedBatches;
  close(): void;
}

/**
 * Opens the aggregator's database with the same opener as the gateway store (WAL, synchronous=FULL,
 * migrations, corrupt-file handling): an ack tells a gateway to delete its copy, so a commit we ack must
 * survive a power cut here too.
 */
export function openCentralDb(options: CentralDbOptions): CentralDb {
  // 16 KiB pages for a new central database: a month-end's millions of wide read rows and their three
  // indexes split and rebalance far fewer pages, and inserting costs about a sixth less (measured).
  const store = openStore({ pageSize: 16_384, ...options, migrations: centralMigrations });
  const { db } = store;
  // A bigger page cache keeps the read_id index hot under month-end load (negative = KiB).
  db.pragma('cache_size = -65536');
  const gateways = new GatewayRegistry(db);
  const refusals = new RefusalLog(db);
  return {
    store,
    gateways,
    refusals,
    writer: new BatchWriter(db, refusals),
    enrolment: new Enrolment(db, gateways, options.scrypt),
    signedBatches: new SignedBatches(db),
    close: () => store.close(),
  };
}
