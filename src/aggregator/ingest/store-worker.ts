import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../../shared/errors.js';
import { openCentralDb } from '../store/central-db.js';
import { decideGroup, type IngestItem } from './decide.js';
import { inlineOpener } from './opener.js';

/**
 * The store worker's thread (started by worker-store.ts): its own connection to the central database,
 * on which it verifies, parses and stores each group it is sent, then answers with the outcomes.
 */
export interface StoreWorkerData {
  path: string;
  maxPayloadBytes: number;
  /** Leave WAL checkpoints to the checkpointer thread (checkpointer.ts) instead of this connection's commits. */
  checkpointElsewhere: boolean;
}

export type ToStoreWorker = { type: 'group'; id: number; now: number; items: IngestItem[] } | { type: 'close' };
export type FromStoreWorker =
  | { type: 'ready' }
  | { type: 'failed-to-open'; message: string }
  | { type: 'decided'; id: number; outcome: ReturnType<typeof decideGroup> }
  | { type: 'error'; id: number; message: string };

const port = parentPort;
if (port === null) throw new Error('store-worker.js runs as a worker thread (see worker-store.ts)');
const data = workerData as StoreWorkerData;
const send = (m: FromStoreWorker): void => port.postMessage(m);

let db: ReturnType<typeof openCentralDb> | undefined;
try {
  db = openCentralDb({ path: data.path });
  if (data.checkpointElsewhere) db.store.db.pragma('wal_autocheckpoint = 0');
  send({ type: 'ready' });
} catch (e) {
  send({ type: 'failed-to-open', message: errorMessage(e) });
}
const opener = db === undefined ? undefined : inlineOpener(db.gateways.lookupKey, data.maxPayloadBytes);

port.on('message', (m: ToStoreWorker) => {
  if (m.type === 'close') {
    db?.close();
    port.close();
    return;
  }
  try {
    if (db === undefined || opener === undefined) throw new Error('the store worker has no database connection');
    send({ type: 'decided', id: m.id, outcome: decideGroup(m.items, m.now, db, opener) });
  } catch (e) {
    send({ type: 'error', id: m.id, message: errorMessage(e) });
  }
});
