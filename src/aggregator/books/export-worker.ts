import { parentPort, workerData } from 'node:worker_threads';
import { ChisoError, errorMessage, type ErrorContext } from '../../shared/errors.js';
import { openCentralDb, type CentralDb } from '../store/central-db.js';
import { exportBook, type ExportOptions, type ExportResult } from './export-book.js';

/**
 * An export worker's thread (started by export-pool.ts): its own connection to the central database, on
 * which it runs the very exportBook of the single-thread path for each book it is sent, one at a time,
 * and answers with the result or the error. Its writes (book_exports, the book's state) wait for the
 * other connections' through SQLite's lock and busy timeout, each in exportBook's own transaction.
 */
export interface ExportWorkerData {
  path: string;
  busyTimeoutMs: number;
  /**
   * The calling connection's wal_autocheckpoint, so a worker's commits checkpoint exactly when that
   * connection's would: not at all when a checkpointer thread does it (ingest/checkpointer.ts).
   */
  walAutocheckpoint: number;
}

/** An error as it crosses the thread boundary (structured clone keeps neither class nor code). */
export interface WorkerError {
  name: string;
  message: string;
  code?: string;
  context?: ErrorContext;
  stack?: string;
}

export type ToExportWorker = { type: 'export'; bookId: number; opts: ExportOptions } | { type: 'close' };
export type FromExportWorker =
  | { type: 'ready' }
  | { type: 'failed-to-open'; message: string }
  | { type: 'exported'; bookId: number; result: ExportResult }
  | { type: 'failed'; bookId: number; error: WorkerError };

const port = parentPort;
if (port === null) throw new Error('export-worker.js runs as a worker thread (see export-pool.ts)');
const data = workerData as ExportWorkerData;
const send = (m: FromExportWorker): void => port.postMessage(m);

let db: CentralDb | undefined;
try {
  db = openCentralDb({ path: data.path, busyTimeoutMs: data.busyTimeoutMs });
  db.store.db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.trunc(data.walAutocheckpoint))}`);
  send({ type: 'ready' });
} catch (e) {
  send({ type: 'failed-to-open', message: errorMessage(e) });
  port.close(); // nothing to do without a connection: the thread ends and the pool goes on without it
}

port.on('message', (m: ToExportWorker) => {
  if (m.type === 'close') {
    db?.close();
    port.close();
    return;
  }
  try {
    if (db === undefined) throw new Error('the export worker has no database connection');
    send({ type: 'exported', bookId: m.bookId, result: exportBook(db.store.db, m.bookId, m.opts) });
  } catch (e) {
    send({ type: 'failed', bookId: m.bookId, error: toWorkerError(e) });
  }
});

function toWorkerError(e: unknown): WorkerError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const code = (e as { code?: unknown }).code;
  return {
    name: e.name,
    message: e.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(e instanceof ChisoError ? { context: e.context } : {}),
    ...(e.stack === undefined ? {} : { stack: e.stack }),
  };
}
