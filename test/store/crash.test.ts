import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, Outbox } from '../../src/store/index.js';
import { compileStore } from './compile-store.js';
import { tempDir } from './temp-dir.js';

const child = join(dirname(fileURLToPath(import.meta.url)), 'crash-child.mjs');
const tmp = tempDir('chiso-store-crash-');
let storeModule = '';
beforeAll(() => {
  storeModule = compileStore(tmp.file('build'));
}, 120_000);
afterAll(() => tmp.cleanup());

interface RunOutput {
  /** readId → seq for every item the child reported as committed. */
  committed: Map<string, number>;
  acked: [number, number][];
  replayed: number[] | undefined;
  /** Highest seq the child reported; 0 if none. */
  lastSeq: number;
  firstSeq: number | undefined;
  signal: NodeJS.Signals | null;
}

/** Runs the child until it has reported `lines` complete lines, then SIGKILLs it mid-loop. */
function runAndKill(dbPath: string, run: number, replay: string[], lines: number): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, storeModule, dbPath, String(run), JSON.stringify(replay)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let killed = false;
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (!killed && out.split('\n').length > lines) {
        killed = true;
        proc.kill('SIGKILL');
      }
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    proc.on('error', reject);
    proc.on('close', (_code, signal) => {
      if (!killed) return reject(new Error(`child exited by itself (signal ${signal}): ${err}`));
      const result: RunOutput = { committed: new Map(), acked: [], replayed: undefined, lastSeq: 0, firstSeq: undefined, signal };
      // Only complete lines count: a half-written last line was cut by the kill.
      for (const line of out.split('\n').slice(0, -1)) {
        const [what, a, b, key, n] = line.split(' ');
        if (what === 'replayed') result.replayed = JSON.parse(a!) as number[];
        else if (what === 'acked') result.acked.push([Number(a), Number(b)]);
        else if (what === 'committed') {
          const from = Number(a);
          const to = Number(b);
          if (to - from + 1 !== Number(n)) throw new Error(`child reported ${n} items as ${from}..${to}`);
          for (let j = 0; j < Number(n); j++) result.committed.set(`${key}-${j}`, from + j);
          result.firstSeq ??= from;
          result.lastSeq = Math.max(result.lastSeq, to);
        } else throw new Error(`unexpected child output: ${line}`);
      }
      resolve(result);
    });
  });
}

describe('crash safety: SIGKILL while appending', () => {
  it('after each of 10 kills the file opens, is consistent, and holds everything reported committed', async () => {
    const dbPath = tmp.file('crash.db');
    const everCommitted = new Map<string, number>();
    const ackedRanges: [number, number][] = [];
    let replay: string[] = [];
    let previousLast = 0;

    for (let run = 1; run <= 10; run++) {
      const out = await runAndKill(dbPath, run, replay, 20 + ((run * 37) % 150));
      expect(out.signal).toBe('SIGKILL');
      expect(out.committed.size).toBeGreaterThan(0);

      // Idempotent re-append after the crash: the ids committed by the previous run kept their seqs.
      if (replay.length > 0) expect(out.replayed).toEqual(replay.map((id) => everCommitted.get(id)));
      // Strictly increasing across restarts: this run starts after everything the last run committed.
      expect(out.firstSeq!).toBeGreaterThan(previousLast);

      for (const [id, seq] of out.committed) everCommitted.set(id, seq);
      ackedRanges.push(...out.acked);
      previousLast = out.lastSeq;
      replay = [...out.committed.keys()].slice(-5);

      const store = openStore({ path: dbPath, integrityCheck: 'full' });
      const db = store.db;
      const totals = db
        .prepare('SELECT count(*) AS count, count(DISTINCT read_id) AS ids, coalesce(sum(bytes), 0) AS bytes, coalesce(sum(billing), 0) AS billing, coalesce(max(seq), 0) AS maxSeq FROM outbox')
        .get() as { count: number; ids: number; bytes: number; billing: number; maxSeq: number };
      const state = db.prepare('SELECT last_seq, count, bytes, billing_count FROM outbox_state').get() as Record<string, number>;
      expect(totals.ids).toBe(totals.count);
      expect(state).toEqual({ last_seq: state['last_seq'], count: totals.count, bytes: totals.bytes, billing_count: totals.billing });
      expect(state['last_seq']).toBeGreaterThanOrEqual(Math.max(totals.maxSeq, out.lastSeq));
      // No seq is both waiting and acked, and no read id has two seqs.
      expect(db.prepare('SELECT count(*) FROM outbox o JOIN outbox_acked a ON a.seq = o.seq OR a.read_id = o.read_id').pluck().get()).toBe(0);
      expect(db.prepare('SELECT count(*) - count(DISTINCT seq) FROM outbox_acked').pluck().get()).toBe(0);

      const outbox = new Outbox(store);
      const isAcked = (seq: number) => ackedRanges.some(([f, t]) => seq >= f && seq <= t);
      const missing: string[] = [];
      for (const [id, seq] of everCommitted) {
        const status = outbox.status(id);
        if (status === undefined || status.seq !== seq) missing.push(`${id}@${seq}: ${JSON.stringify(status)}`);
        else if (isAcked(seq) && status.state !== 'acked') missing.push(`${id}@${seq} should be acked`);
      }
      expect(missing).toEqual([]);
      store.close();
    }
    expect(everCommitted.size).toBeGreaterThan(100);
  }, 120_000);
});
