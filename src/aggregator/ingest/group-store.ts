import type { CentralDb } from '../store/central-db.js';
import { decideGroup, type GroupOutcome, type IngestItem } from './decide.js';
import type { BatchOpener } from './opener.js';

/**
 * Where the ingest's groups are decided and stored: on the calling thread (this file) or on a worker
 * thread with its own connection (worker-store.ts). The pipeline does not know which.
 */
export interface GroupStore {
  /** Outcomes in the items' order, after the group's commit. */
  decide(items: readonly IngestItem[], now: number): GroupOutcome | Promise<GroupOutcome>;
  close(): Promise<void>;
}

/** Decides on the calling thread with the given connection: in-memory databases, tests, small sites. */
export function inlineStore(db: CentralDb, opener: BatchOpener): GroupStore {
  return {
    decide: (items, now) => decideGroup(items, now, db, opener),
    close: () => Promise.resolve(),
  };
}
