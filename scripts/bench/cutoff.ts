import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { runCutoff } from '../../src/aggregator/books/cutoff-run.js';
import { bookRowToRaw, type CmisBookRow } from '../../src/aggregator/cmis/book-row.js';
import { openCentralDb } from '../../src/aggregator/store/central-db.js';
import { REGISTERS } from './ingest-batches.js';
import { fmt } from './meter-session.js';

const MONTH_END_ROWS = 4_700_000;
const BOOK_ROWS = 5_600;
const DAY_MS = 86_400_000;
const PERIOD_END = Date.UTC(2024, 7, 1) - 7 * 3_600_000; // 2024-08-01 00:00 local (UTC+7)

/**
 * The month-end cutoff: every due book closed (book_closings + screening into book_flags), as the cutoff
 * job does before it exports. Books of 5 600 rows (1 120 metering points × five registers) with every
 * point distinct across books, inserted directly with SQL; the reads are what `npm run bench -- ingest`
 * stores (one billing snapshot per register at the period end, as the gateway sends it) plus, with
 * CHISO_BENCH_CUTOFF_PROFILE_DAYS=N, N days of hourly load-profile reads of each point's KT register,
 * which closing must not walk through. One meter in 50 sent nothing (its registers are estimated), and one in
 * 200 reports a consumption the screening flags.
 *
 * The cutoff (runCutoff, without exports: `npm run bench -- export-book` times those) closes books one
 * after the other on the aggregator's thread, giving it back between books; besides the total, the
 * figure that matters is the longest book: the longest the broker and the page wait at once. A second
 * connection commits a late read every 20 ms meanwhile (late-writer.ts, as the store worker would):
 * closing must not hold the write lock long enough to make the ingest wait or give up.
 */
export async function benchCutoff(): Promise<void> {
  const total = Math.max(BOOK_ROWS, Number(process.env['CHISO_BENCH_CUTOFF_ROWS'] ?? MONTH_END_ROWS));
  const profileDays = Number(process.env['CHISO_BENCH_CUTOFF_PROFILE_DAYS'] ?? 0);
  const books = Math.ceil(total / BOOK_ROWS);
  const dir = mkdtempSync(join(tmpdir(), 'chiso-bench-cutoff-'));
  try {
    const central = openCentralDb({ path: join(dir, 'central.db') });
    const db = central.store.db;
    const t0 = performance.now();
    const built = buildMonthEnd(db, total, profileDays);
    console.log(
      `\ncutoff: ${fmt(built.rows)} rows in ${fmt(books)} books of ≤ ${fmt(BOOK_ROWS)}, ${fmt(built.reads)} reads` +
        `${profileDays > 0 ? ` (${profileDays} days of hourly load profile per point)` : ''} (DB built in ${fmt((performance.now() - t0) / 1000, 1)} s)`,
    );

    const now = PERIOD_END + DAY_MS;
    // Late reads keep coming while the cutoff runs: how long does each of their commits wait?
    const writer = new Worker(new URL('./late-writer.js', import.meta.url), {
      workerData: { path: join(dir, 'central.db'), everyMs: 20, busyTimeoutMs: Number(db.pragma('busy_timeout', { simple: true })) },
    });
    const perBook: number[] = [];
    let last = performance.now();
    const cpu0 = process.cpuUsage();
    const t = performance.now();
    const results = await runCutoff(db, {
      now,
      onClosed: () => {
        const at = performance.now();
        perBook.push(at - last);
        last = at;
      },
    });
    const seconds = (performance.now() - t) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const late = await new Promise<{ commits: number[]; busy: number }>((resolve, reject) => {
      writer.once('message', resolve);
      writer.once('error', reject);
      writer.postMessage('stop');
    });
    await writer.terminate();
    const outcomes: Record<string, number> = {};
    for (const r of results) {
      if (r.summary === undefined) throw new Error(`book ${r.bookId} did not close: ${r.error ?? 'no summary'}`);
      for (const [k, n] of Object.entries(r.summary.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + n;
    }
    if ((outcomes['read'] ?? 0) + (outcomes['estimated'] ?? 0) + (outcomes['field-read'] ?? 0) + (outcomes['needs-review'] ?? 0) !== built.rows) {
      throw new Error(`closed ${JSON.stringify(outcomes)}, expected ${built.rows} rows`);
    }
    perBook.sort((a, b) => a - b);
    const projected = built.rows < MONTH_END_ROWS ? ` (4.7 M PROJECTED: ${fmt((MONTH_END_ROWS / built.rows) * seconds, 1)} s)` : '';
    console.log(
      `  closing: ${fmt(seconds, 1)} s wall (${fmt((cpu.user + cpu.system) / 1e6, 1)} s CPU), ${fmt(built.rows / seconds)} rows/s${projected}; ` +
        `per book median ${fmt(perBook[Math.floor(perBook.length / 2)] ?? 0)} ms, longest ${fmt(perBook[perBook.length - 1] ?? 0)} ms`,
    );
    console.log(`  outcomes: ${Object.entries(outcomes).map(([k, n]) => `${k} ${fmt(n)}`).join(', ')}`);
    const waits = late.commits.sort((a, b) => a - b);
    console.log(
      `  late reads committed meanwhile (one every 20 ms, another connection): ${fmt(waits.length)}, ` +
        `median ${fmt(waits[Math.floor(waits.length / 2)] ?? 0, 1)} ms, 99th percentile ${fmt(waits[Math.floor(waits.length * 0.99)] ?? 0)} ms, ` +
        `longest ${fmt(waits[waits.length - 1] ?? 0)} ms; gave up (busy): ${fmt(late.busy)}`,
    );
    central.store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function rowOf(bookCode: string, bookIndex: number, i: number): CmisBookRow {
  const c = Math.floor(i / REGISTERS.length);
  const customer = `PD${String(bookIndex).padStart(4, '0')}${String(c).padStart(7, '0')}`;
  const old = 10_000 + ((c * 7919 + i) % 80_000);
  return {
    MA_DVIQLY: 'PD0100', MA_QUYEN: bookCode, MA_GC: String(c + 1), MA_TRAM: 'TBA-CG-01', MA_KHANG: customer, MA_DDO: `${customer}001`,
    MA_NVGCS: 'NV01', MA_CTO: `CT${bookIndex}-${c}`, SERY_CTO: `SN${100000 + c}`, LOAI_BCS: REGISTERS[i % 5]![1], LOAI_CS: 'DDK', BOCSO_ID: String(1_000_000 + i),
    TEN_KHANG: `Nguyễn Văn Ánh ${c}`, DIA_CHI: `Số ${c}, ngõ 12, phố Cầu Giấy, Hà Nội`, MA_NN: 'SHBT', SO_HO: '1', HSN: '1', CS_CU: `${old}.5`,
    TTR_CU: '', SL_CU: '212', SL_TTIEP: '0', NGAY_CU: '2024-07-01T00:00:00', CHUOI_GIA: 'SH', KY: 1, THANG: 7, NAM: 2024, KIMUA_CSPK: 0,
    SLUONG_1: '205', SLUONG_2: '198', SLUONG_3: '221',
  } as CmisBookRow;
}

function buildMonthEnd(db: ReturnType<typeof openCentralDb>['store']['db'], total: number, profileDays: number): { rows: number; reads: number } {
  const addBook = db.prepare(
    `INSERT INTO books (unit_code, book_code, year, month, sub_period, file_name, reading_day, period_start, period_end, cutoff_at, state, source_sha256, imported_at)
     VALUES ('PD0100', ?, 2024, 7, 1, ?, 'last', ?, ?, ?, 'open', 'x', 0)`,
  );
  const addRow = db.prepare(
    `INSERT INTO book_rows (book_id, metering_point, bcs, reading_type, row_no, route_position, meter_id, meter_serial, customer_code, customer_name, multiplier, old_index, row_json)
     VALUES (?, ?, ?, 'DDK', ?, ?, ?, ?, ?, ?, '1', ?, ?)`,
  );
  const addRead = db.prepare(
    `INSERT INTO reads (read_id, gateway_id, epoch, seq, batch_id, meter_id, metering_point, customer_code, book_code, route_order, obis, bcs,
       value, unit, scaler, meter_time, meter_time_ms, received_at, quality, kind, period_start, period_end, multiplier, stored_at)
     VALUES (?, ?, 'e1', ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, -1, ?, ?, '2024-07-31T17:00:12.345Z', ?, ?, ?, ?, '1', ?)`,
  );
  const periodEndText = new Date(PERIOD_END).toISOString();
  let rows = 0;
  let reads = 0;
  for (let b = 0; rows < total; b++) {
    const n = Math.min(BOOK_ROWS, total - rows);
    const code = `Q${String(b).padStart(4, '0')}`;
    const gateway = `GW-${b}`;
    db.transaction(() => {
      const id = Number(addBook.run(code, `${code}-2024-7-1.xml`, PERIOD_END - 31 * DAY_MS, PERIOD_END, PERIOD_END + 12 * 3_600_000).lastInsertRowid);
      for (let i = 0; i < n; i++) {
        const r = rowOf(code, b, i);
        const [obis, bcs, unit] = REGISTERS[i % 5]!;
        const c = Math.floor(i / REGISTERS.length);
        addRow.run(id, r.MA_DDO, r.LOAI_BCS, i + 1, r.MA_GC, r.MA_CTO, r.SERY_CTO, r.MA_KHANG, r.TEN_KHANG, r.CS_CU, JSON.stringify(Object.fromEntries(bookRowToRaw(r))));
        if (c % 50 === 7) continue; // this meter sent nothing: estimated
        const used = c % 200 === 3 ? 900 : 214.6; // a jump the ±30 % rule flags
        const seq = ++reads;
        addRead.run(`${gateway}|${r.MA_CTO}|${obis}|billing-snapshot|${periodEndText}`, gateway, seq, r.MA_CTO, r.MA_DDO, r.MA_KHANG, code, c + 1, obis, bcs,
          (Number(r.CS_CU) + used).toFixed(1), unit, periodEndText, PERIOD_END, 'ok,billing-snapshot', 'billing-snapshot', '2024-07-01', '2024-07-31', PERIOD_END);
        if (bcs !== 'KT') continue;
        for (let h = profileDays * 24; h > 0; h--) {
          const at = PERIOD_END - h * 3_600_000;
          const atText = new Date(at).toISOString();
          addRead.run(`${gateway}|${r.MA_CTO}|${obis}|load-profile|${atText}`, gateway, ++reads, r.MA_CTO, r.MA_DDO, r.MA_KHANG, code, c + 1, obis, bcs,
            (Number(r.CS_CU) + used - h * 0.3).toFixed(1), unit, atText, at, 'ok', 'load-profile', null, null, at);
        }
      }
    })();
    rows += n;
  }
  return { rows, reads };
}
