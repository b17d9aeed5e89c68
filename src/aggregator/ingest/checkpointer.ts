import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * Moves WAL checkpoints off the ingest's thread. By default SQLite checkpoints inside the COMMIT that pushes
 * the WAL past 1 000 pages, so under month-end load the thread that stores batches (and holds their acks)
 * also copies every page back into the database file and fsyncs it: about a third of its time on a 2-core
 * machine. Here the writer's connection stops checkpointing by itself and a worker thread with its own
 * connection runs PASSIVE checkpoints (which never block the writer) every `intervalMs`.
 *
 * A PASSIVE checkpoint copies what was committed when it began, but under a steady stream of commits the
 * WAL is never found fully copied when a writer starts, so it is never rewound: in a month-end run it grew
 * past 3 GB, and every page the writer looked up searched a WAL index of that size. So once the WAL is
 * longer than `restartFrames`, a RESTART checkpoint follows the PASSIVE one: it holds the writer back only
 * while it copies what was committed since (a few commits) and makes the next writer start the WAL over.
 * A RESTART also waits for readers of older snapshots (an export, an API listing) and keeps writers out
 * meanwhile, so it waits at most `restartWaitMs`; then it gives up until the next round, and the WAL
 * simply grows a while longer.
 *
 * Durability is unchanged: a commit is durable once its WAL frames are fsynced (synchronous=FULL), whoever
 * later copies them into the database file. close() restores automatic checkpoints on the connection.
 */
export interface Checkpointer {
  close(): Promise<void>;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
let timer;
function round() {
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    if (passive.log > workerData.restartFrames) {
      const [restart] = db.pragma('wal_checkpoint(RESTART)');
      parentPort.postMessage({ restarted: { frames: passive.log, busy: restart.busy === 1 } });
    }
  } catch (e) { parentPort.postMessage({ error: String(e && e.message || e) }); }
  timer = setTimeout(round, workerData.intervalMs);
}
parentPort.on('message', () => { clearTimeout(timer); db.close(); parentPort.close(); });
round();
`;

export interface CheckpointerOptions {
  /** Between two checkpoints; the WAL grows by at most what is committed meanwhile. Default 1 000 ms. */
  intervalMs?: number;
  /** Called when a checkpoint fails (it is retried at the next interval). */
  onError?: (message: string) => void;
  /** A WAL longer than this many frames is rewound after the checkpoint (RESTART). Default 4 096. */
  restartFrames?: number;
  /** How long a RESTART may keep the writer waiting for the lock and for readers. Default 100 ms. */
  restartWaitMs?: number;
  /** Called after each rewind, with the WAL's length in frames before it and whether a reader kept it from completing. */
  onRestart?: (frames: number, busy: boolean) => void;
}

/** Undefined for an in-memory database (nothing to checkpoint, and no second connection can see it). */
export function startCheckpointer(db: Database.Database, options: CheckpointerOptions = {}): Checkpointer | undefined {
  if (db.memory || db.readonly) return undefined;
  const previous = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      path: db.name,
      intervalMs: options.intervalMs ?? 1_000,
      restartFrames: options.restartFrames ?? 4_096,
      // PASSIVE never waits; only RESTART does, and it must not hold the ingest back for long.
      busyTimeoutMs: options.restartWaitMs ?? 100,
      driver: resolveModule('better-sqlite3'),
    },
  });
  worker.unref();
  worker.on('message', (m: { error?: string; restarted?: { frames: number; busy: boolean } }) => {
    if (m.error !== undefined) options.onError?.(m.error);
    if (m.restarted !== undefined) options.onRestart?.(m.restarted.frames, m.restarted.busy);
  });
  worker.on('error', (e) => options.onError?.(e.message));
  db.pragma('wal_autocheckpoint = 0');
  let closed: Promise<void> | undefined;
  return {
    close() {
      closed ??= (async () => {
        if (db.open) db.pragma(`wal_autocheckpoint = ${previous}`);
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        worker.postMessage('stop');
        await exited;
      })();
      return closed;
    },
  };
}

function resolveModule(name: string): string {
  return createRequire(import.meta.url).resolve(name);
}
