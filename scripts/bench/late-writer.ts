import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * What the store worker does while the cutoff runs: commits late reads, one small transaction every
 * `everyMs`, on its own connection with the aggregator's busy timeout. Reports how long each commit took,
 * waiting for the write lock included, and how many gave up (SQLITE_BUSY after the timeout).
 */
const { path, everyMs, busyTimeoutMs } = workerData as { path: string; everyMs: number; busyTimeoutMs: number };
const db = new Database(path, { timeout: busyTimeoutMs });
const insert = db.prepare(
  `INSERT INTO reads (read_id, gateway_id, epoch, seq, batch_id, meter_id, metering_point, obis, bcs, value, meter_time, meter_time_ms,
     received_at, quality, kind, multiplier, stored_at)
   VALUES (?, 'GW-LATE', 'e1', ?, 0, 'LATE-1', 'LATE-POINT', '1.0.1.8.0.255', 'KT', '1.0', 'x', ?, 'x', 'ok', 'register', '1', ?)`,
);
const commits: number[] = [];
let busy = 0;
let seq = 0;
let stopped = false;
parentPort!.on('message', () => {
  stopped = true;
});
const tick = (): void => {
  if (stopped) {
    db.close();
    parentPort!.postMessage({ commits, busy });
    return;
  }
  const t = performance.now();
  try {
    db.transaction(() => insert.run(`late-${++seq}`, seq, seq, Date.now())).immediate();
    commits.push(performance.now() - t);
  } catch (e) {
    if (!String((e as { code?: string }).code).startsWith('SQLITE_BUSY')) throw e;
    busy++;
  }
  setTimeout(tick, everyMs);
};
tick();
