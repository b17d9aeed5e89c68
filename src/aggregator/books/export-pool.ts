import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { ChisoError, errorMessage, type ErrorContext } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { StoreError } from '../../store/errors.js';
import { CmisError } from '../cmis/errors.js';
import { compiledWorkerScript } from '../worker-script.js';
import { ClosingError } from './closing-errors.js';
import { BookError } from './errors.js';
import { exportBook, type ExportOptions, type ExportResult } from './export-book.js';
import type { ExportWorkerData, FromExportWorker, ToExportWorker, WorkerError } from './export-worker.js';

/**
 * Exports many books at once on a few worker threads (month-end: ≈ 840 books, 4.7 M rows, to be done in
 * under 30 s where one thread needs about 50). Each worker has its own connection to the central
 * database and runs the single-thread exportBook, so the files, versions and checksums are exactly the
 * ones the calling thread would produce; the books are independent of each other (their own rows, folder
 * and book_exports rows), and their writes serialize through SQLite's lock with a busy timeout, each in
 * exportBook's own transaction. A book is never exported by two workers at once: an id given twice is
 * exported twice, one after the other, as on one thread.
 *
 * Each book's outcome comes back in the order given, an error as a value (EXPORT_BLOCKED included: a book
 * held for its flags is an outcome, not a failure of the run). A worker that dies fails only the book it
 * held (EXPORT_WORKER_FAILED) and a new worker takes its place. Without a compiled worker (no build), for
 * an in-memory database, or when no worker could start, the books are exported on the calling thread.
 *
 * exportBook itself is not safe against a second exportBook of the same book running at the same time
 * (both pick the same version and the same temporary folder): while the pool holds a book, nothing else
 * (the HTTP API, an operator) may export that book, or one of the two fails.
 */
export interface ExportBooksOptions extends ExportOptions, ExportPoolSettings {}

/** How the pool runs, apart from what an export is (ExportOptions). */
export interface ExportPoolSettings {
  /** Worker threads: default min(2, availableParallelism()); 0 exports on the calling thread. */
  readonly workers?: number;
  /** How long a worker's write waits for another connection's lock. Default: the calling connection's busy_timeout. */
  readonly busyTimeoutMs?: number;
  /** The compiled worker; null for none (calling thread). Default: export-worker.js beside this module or in the build. */
  readonly script?: URL | null;
  /** Says when the books go on the calling thread, and when a worker dies. */
  readonly logger?: Logger;
  /** Stops handing out books (the aggregator is closing): books in progress finish, the rest are EXPORT_STOPPED. */
  readonly signal?: AbortSignal;
}

/** Where a book was exported: a worker thread, or the thread that called exportBooks. */
export type ExportThread = 'worker' | 'caller';

export type BookExportOutcome =
  | { readonly bookId: number; readonly ok: true; readonly result: ExportResult; readonly thread: ExportThread }
  | { readonly bookId: number; readonly ok: false; readonly error: Error; readonly thread: ExportThread };

export type ExportPoolErrorCode =
  /**
   * The worker exporting the book died (out of memory, a native crash). What it committed stands (see
   * book_exports); anything else is tried again at the next cutoff run.
   */
  | 'EXPORT_WORKER_FAILED'
  /** The export was stopped (the aggregator is closing) before this book was started. */
  | 'EXPORT_STOPPED';

export class ExportPoolError extends ChisoError<ExportPoolErrorCode> {
  constructor(code: ExportPoolErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(code, message, options);
  }
}

export function isExportPoolError(e: unknown, code?: ExportPoolErrorCode): e is ExportPoolError {
  return e instanceof ExportPoolError && (code === undefined || e.code === code);
}

/** The compiled export worker beside this module; from the TypeScript sources (tests) the build's copy. */
export function exportWorkerScript(): URL | undefined {
  return compiledWorkerScript('./export-worker.js', import.meta.url);
}

export function defaultExportWorkers(): number {
  return Math.min(2, availableParallelism());
}

export async function exportBooks(db: Database.Database, ids: readonly number[], opts: ExportBooksOptions): Promise<BookExportOutcome[]> {
  const workers = opts.workers ?? defaultExportWorkers();
  if (!Number.isInteger(workers) || workers < 0) throw new RangeError(`exportBooks: workers must be a whole number ≥ 0, got ${workers}`);
  const exportOpts: ExportOptions = { exportDir: opts.exportDir, now: opts.now, ...(opts.override === undefined ? {} : { override: opts.override }) };
  if (ids.length === 0) return [];
  const script = opts.script === undefined ? exportWorkerScript() : opts.script;
  const onCaller = (why: string): BookExportOutcome[] => {
    logOnce(opts.logger, why);
    return exportBooksHere(db, ids, exportOpts, opts.signal);
  };
  if (workers === 0) return exportBooksHere(db, ids, exportOpts, opts.signal);
  if (script === null || script === undefined) return onCaller('no compiled export worker (run the build): books are exported on the calling thread');
  if (db.memory) return onCaller('an in-memory database cannot be shared with worker threads: books are exported on the calling thread');
  if (db.readonly) return onCaller('a read-only connection: books are exported on the calling thread, which refuses them as it would');
  const data: ExportWorkerData = {
    path: db.name,
    busyTimeoutMs: opts.busyTimeoutMs ?? Number(db.pragma('busy_timeout', { simple: true })),
    walAutocheckpoint: Number(db.pragma('wal_autocheckpoint', { simple: true })),
  };
  return runPool(db, ids, exportOpts, { ...opts, workers: Math.min(workers, new Set(ids).size) }, script, data);
}

interface Slot {
  readonly worker: Worker;
  readonly exited: Promise<void>;
  ready: boolean;
  /** Index in ids of the book this worker is exporting. */
  holding?: number;
  /** Why it died, from its 'error' event (out of memory, an uncaught exception). */
  died?: string;
}

function runPool(
  db: Database.Database,
  ids: readonly number[],
  exportOpts: ExportOptions,
  opts: ExportBooksOptions & { workers: number },
  script: URL,
  data: ExportWorkerData,
): Promise<BookExportOutcome[]> {
  const log = opts.logger;
  const outcomes: (BookExportOutcome | undefined)[] = ids.map(() => undefined);
  const waiting = ids.map((_, i) => i);
  const busy = new Set<number>();
  const slots = new Set<Slot>();
  let finishing = false;

  return new Promise<BookExportOutcome[]>((resolve) => {
    const stop = () => pump();
    opts.signal?.addEventListener('abort', stop);

    function spawn(): void {
      let worker: Worker;
      try {
        worker = new Worker(script, { workerData: data });
      } catch (e) {
        log?.warn({ err: errorMessage(e) }, 'an export worker could not start; the other workers, or the calling thread, export the books');
        return;
      }
      const exited = new Promise<void>((done) => worker.once('exit', (code) => (gone(slot, code), done())));
      const slot: Slot = { worker, exited, ready: false };
      slots.add(slot);
      worker.on('message', (m: FromExportWorker) => answer(slot, m));
      worker.on('error', (e) => void (slot.died = e.message));
    }

    function answer(slot: Slot, m: FromExportWorker): void {
      if (m.type === 'ready') slot.ready = true;
      else if (m.type === 'failed-to-open') slot.died = `could not open ${data.path}: ${m.message}`;
      else if (slot.holding !== undefined) {
        const i = slot.holding;
        slot.holding = undefined;
        settle(i, m.type === 'exported' ? { bookId: m.bookId, ok: true, result: m.result, thread: 'worker' } : { bookId: m.bookId, ok: false, error: revive(m.error), thread: 'worker' });
      }
      pump();
    }

    function gone(slot: Slot, code: number): void {
      slots.delete(slot);
      if (finishing) return;
      const why = slot.died ?? `exit code ${code}`;
      if (slot.holding !== undefined) {
        const i = slot.holding;
        const bookId = ids[i] as number;
        log?.error({ bookId, err: why }, 'export worker died: its book is tried again at the next cutoff run; a new worker takes the rest');
        settle(i, {
          bookId,
          ok: false,
          error: new ExportPoolError('EXPORT_WORKER_FAILED', `book ${bookId}: the export worker died while exporting it (${why}); what it committed stands, the rest is tried again at the next cutoff run`, {
            context: { bookId },
          }),
          thread: 'worker',
        });
      } else if (!slot.ready) {
        // Never started (cannot open the database, a broken build): no replacement, or it would die the same way.
        log?.warn({ err: why }, 'an export worker could not start; the other workers, or the calling thread, export the books');
        pump();
        return;
      }
      if (waiting.length > 0 && !opts.signal?.aborted) spawn();
      pump();
    }

    function settle(i: number, outcome: BookExportOutcome): void {
      outcomes[i] = outcome;
      busy.delete(ids[i] as number);
    }

    /** The next book in the order given that no worker is exporting now. */
    function take(): number | undefined {
      if (opts.signal?.aborted) return undefined;
      const k = waiting.findIndex((i) => !busy.has(ids[i] as number));
      return k < 0 ? undefined : waiting.splice(k, 1)[0];
    }

    function pump(): void {
      if (finishing) return;
      for (const slot of slots) {
        if (!slot.ready || slot.holding !== undefined) continue;
        const i = take();
        if (i === undefined) break;
        slot.holding = i;
        busy.add(ids[i] as number);
        slot.worker.postMessage({ type: 'export', bookId: ids[i] as number, opts: exportOpts } satisfies ToExportWorker);
      }
      if ([...slots].some((s) => s.holding !== undefined)) return;
      if (waiting.length > 0 && !opts.signal?.aborted && slots.size > 0) return; // workers still starting
      void finish();
    }

    async function finish(): Promise<void> {
      finishing = true;
      opts.signal?.removeEventListener('abort', stop);
      const left = waiting.splice(0);
      if (left.length > 0 && !opts.signal?.aborted) logOnce(log, 'no export worker could start: books are exported on the calling thread');
      for (const i of left) outcomes[i] = exportOnCaller(db, ids[i] as number, exportOpts, opts.signal);
      for (const slot of slots) {
        if (slot.ready) slot.worker.postMessage({ type: 'close' } satisfies ToExportWorker);
        else void slot.worker.terminate();
      }
      await Promise.all([...slots].map((s) => s.exited));
      resolve(outcomes as BookExportOutcome[]);
    }

    for (let n = 0; n < opts.workers; n++) spawn();
    pump(); // none started: the calling thread takes the books
  });
}

/** The same outcomes, exported one after the other on the calling thread. */
export function exportBooksHere(db: Database.Database, ids: readonly number[], opts: ExportOptions, signal?: AbortSignal): BookExportOutcome[] {
  return ids.map((id) => exportOnCaller(db, id, opts, signal));
}

function exportOnCaller(db: Database.Database, bookId: number, opts: ExportOptions, signal: AbortSignal | undefined): BookExportOutcome {
  if (signal?.aborted) {
    return { bookId, ok: false, error: new ExportPoolError('EXPORT_STOPPED', `book ${bookId}: not exported, the export was stopped; it is tried again at the next cutoff run`, { context: { bookId } }), thread: 'caller' };
  }
  try {
    return { bookId, ok: true, result: exportBook(db, bookId, opts), thread: 'caller' };
  } catch (e) {
    return { bookId, ok: false, error: e instanceof Error ? e : new Error(String(e)), thread: 'caller' };
  }
}

type ErrorClass = new (code: never, message: string, options?: { context?: ErrorContext }) => ChisoError;
/** The project's errors exportBook can throw, rebuilt as themselves so callers match them as on one thread. */
const ERROR_CLASSES: Record<string, ErrorClass> = { ClosingError, BookError, CmisError, StoreError };

function revive(w: WorkerError): Error {
  const Class = ERROR_CLASSES[w.name];
  const e: Error = Class !== undefined && w.code !== undefined ? new Class(w.code as never, w.message, { context: w.context ?? {} }) : Object.assign(new Error(w.message), { name: w.name }, w.code === undefined ? {} : { code: w.code });
  if (w.stack !== undefined) e.stack = w.stack;
  return e;
}

const logged = new Set<string>();

/** Said once per process: a cutoff run every hour must not repeat that there is no build. */
function logOnce(log: Logger | undefined, message: string): void {
  if (log === undefined || logged.has(message)) return;
  logged.add(message);
  log.warn(message);
}
