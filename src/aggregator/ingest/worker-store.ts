import { Worker } from 'node:worker_threads';
import { compiledWorkerScript } from '../worker-script.js';
import type { GroupOutcome, IngestItem } from './decide.js';
import type { GroupStore } from './group-store.js';
import { withSignatureChecked } from './opener.js';
import type { KeyLookup } from '../../wire/index.js';
import type { FromStoreWorker, StoreWorkerData, ToStoreWorker } from './store-worker.js';

/**
 * Decides and stores groups on a worker thread with its own connection to the central database. At
 * month-end the MQTT side (broker, client, acks) and the store side (signature checks, parsing, inserts,
 * the commit's fsync) each need most of a core; on one thread the fsync alone stalled everything else.
 * Each message's bytes are copied to the worker (a memcpy, next to the work done on them) and only small
 * outcomes come back. Groups are answered in the order they were sent, each after its commit.
 *
 * A worker that dies is replaced on the next group; the groups it held fail (the pipeline refuses them
 * as store-failed, and the gateways send them again).
 */
export interface WorkerStoreOptions extends StoreWorkerData {
  /** Reported when the worker thread itself fails (the groups it held are failed with it). */
  onWorkerError?: (message: string) => void;
  /**
   * Check signatures on this thread before a group goes to the worker, with this key lookup (the central
   * DB's registry). The worker is the ingest's busiest thread (parsing, inserting, the commit); this one
   * mostly waits on sockets. Verified payloads are moved to the worker, not copied.
   */
  checkSignaturesHere?: { lookupKey: KeyLookup };
}

/**
 * The worker's young generation, in MB. A group of 64 batches parses into about 10 MB of objects that live
 * until its commit; with V8's default they outgrew the young generation and were copied at every scavenge.
 * 64 MB took the ingest from 11.0 to 9.9–10.4 µs of aggregator CPU per read (npm run bench -- ingest).
 */
const YOUNG_GENERATION_MB = 64;

interface Pending {
  resolve: (o: GroupOutcome) => void;
  reject: (e: Error) => void;
}

/** The compiled worker beside this module; from the TypeScript sources (tests) the build's copy. */
export function storeWorkerScript(): URL | undefined {
  return compiledWorkerScript('./store-worker.js', import.meta.url);
}

export async function startWorkerStore(script: URL, options: WorkerStoreOptions): Promise<GroupStore> {
  const { onWorkerError, checkSignaturesHere, ...data } = options;
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closing = false;
  let current: Promise<Worker> | undefined;

  function failAll(message: string): void {
    for (const p of pending.values()) p.reject(new Error(message));
    pending.clear();
  }

  function spawn(): Promise<Worker> {
    const worker = new Worker(script, { workerData: data satisfies StoreWorkerData, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    // Referenced only while it holds groups: an idle store must not keep the process alive.
    worker.unref();
    const started = new Promise<Worker>((resolve, reject) => {
      worker.on('message', (m: FromStoreWorker) => {
        if (m.type === 'ready') return resolve(worker);
        if (m.type === 'failed-to-open') return reject(new Error(`store worker: ${m.message}`));
        const p = pending.get(m.id);
        if (p === undefined) return;
        pending.delete(m.id);
        if (pending.size === 0) worker.unref();
        if (m.type === 'decided') p.resolve(m.outcome);
        else p.reject(new Error(m.message));
      });
      worker.on('error', (e) => {
        onWorkerError?.(e.message);
        reject(e);
      });
      worker.on('exit', (code) => {
        if (current === started) current = undefined;
        reject(new Error(`store worker exited with ${code} before it was ready`));
        if (!closing) failAll(`the store worker exited (code ${code})`);
      });
    });
    return started;
  }

  current = spawn();
  await current;

  return {
    async decide(items: readonly IngestItem[], now: number): Promise<GroupOutcome> {
      if (closing) throw new Error('the store worker is closed');
      current ??= spawn();
      const worker = await current;
      const id = nextId++;
      const outcome = new Promise<GroupOutcome>((resolve, reject) => pending.set(id, { resolve, reject }));
      worker.ref();
      const sent = checkSignaturesHere === undefined ? (items as IngestItem[]) : items.map((item) => withSignatureChecked(item, checkSignaturesHere.lookupKey, data.maxPayloadBytes));
      const moved = sent.flatMap((item) => (item.checked?.ok === true ? [item.checked.verified.payloadBytes.buffer as ArrayBuffer] : []));
      worker.postMessage({ type: 'group', id, now, items: sent } satisfies ToStoreWorker, moved);
      return outcome;
    },
    async close(): Promise<void> {
      closing = true;
      const worker = await current?.catch(() => undefined);
      current = undefined;
      if (worker === undefined) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ type: 'close' } satisfies ToStoreWorker);
      await exited;
      failAll('the store worker was closed');
    },
  };
}
