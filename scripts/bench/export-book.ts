import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportBook } from '../../src/aggregator/books/export-book.js';
import { defaultExportWorkers, exportBooks } from '../../src/aggregator/books/export-pool.js';
import { bookRowToRaw, type CmisBookRow } from '../../src/aggregator/cmis/book-row.js';
import { openCentralDb } from '../../src/aggregator/store/central-db.js';
import { fmt } from './meter-session.js';

const MONTH_END_ROWS = 4_700_000;
const BOOK_ROWS = 5_600;
const REGISTERS = ['KT', 'BT', 'CD', 'TD', 'VC'] as const;
const PERIOD_END = Date.UTC(2024, 7, 1) - 7 * 3_600_000; // 2024-08-01 00:00 local (UTC+7)

/** One row as an import stores it (bookRowToRaw of the validated row): what book_rows.row_json holds. */
function rowOf(bookCode: string, i: number): CmisBookRow {
  const c = Math.floor(i / REGISTERS.length);
  const customer = `PD0100${String(c).padStart(7, '0')}`;
  const old = 10_000 + ((c * 7919 + i) % 80_000);
  return {
    MA_DVIQLY: 'PD0100', MA_QUYEN: bookCode, MA_GC: String(c + 1), MA_TRAM: 'TBA-CG-01', MA_KHANG: customer, MA_DDO: `${customer}001`,
    MA_NVGCS: 'NV01', MA_CTO: `CT${c}`, SERY_CTO: `SN${100000 + c}`, LOAI_BCS: REGISTERS[i % 5]!, LOAI_CS: 'DDK', BOCSO_ID: String(1_000_000 + i),
    TEN_KHANG: `Nguyễn Văn Ánh ${c}`, DIA_CHI: `Số ${c}, ngõ 12, phố Cầu Giấy, Hà Nội`, MA_NN: 'SHBT', SO_HO: '1', HSN: '1', CS_CU: `${old}.5`,
    TTR_CU: '', SL_CU: '212', SL_TTIEP: '0', NGAY_CU: '2024-07-01T00:00:00', CHUOI_GIA: 'SH', KY: 1, THANG: 7, NAM: 2024, KIMUA_CSPK: 0,
  } as CmisBookRow;
}

/**
 * exportBook end to end over a central DB holding `books` closed books of 5 600 rows, each with a
 * closing per row (read: new index, consumption), inserted directly with SQL (an import of 840 books
 * would take longer than the export). Times every exportBook call: rows from row_json + closings →
 * XML + CSV → read-back check → files + SHA256SUMS → book_exports. Then the same books again (their
 * exports forgotten) on the export pool (export-pool.ts; CHISO_BENCH_EXPORT_WORKERS workers, default
 * min(2, cores)), which must give the same checksums.
 */
export async function benchExportBook(): Promise<void> {
  const total = Math.max(BOOK_ROWS, Number(process.env['CHISO_BENCH_EXPORT_ROWS'] ?? MONTH_END_ROWS));
  const books = Math.ceil(total / BOOK_ROWS);
  const dir = mkdtempSync(join(tmpdir(), 'chiso-bench-export-'));
  try {
    const central = openCentralDb({ path: join(dir, 'central.db') });
    const db = central.store.db;
    let t = performance.now();
    const addBook = db.prepare(
      `INSERT INTO books (unit_code, book_code, year, month, sub_period, file_name, reading_day, period_start, period_end, cutoff_at, state, source_sha256, imported_at, closed_at)
       VALUES ('PD0100', ?, 2024, 7, 1, ?, 'last', ?, ?, ?, 'closed', 'x', 0, ?)`,
    );
    const addRow = db.prepare(
      `INSERT INTO book_rows (book_id, metering_point, bcs, reading_type, row_no, route_position, meter_id, meter_serial, customer_code, customer_name, multiplier, old_index, row_json)
       VALUES (?, ?, ?, 'DDK', ?, ?, ?, ?, ?, ?, '1', ?, ?)`,
    );
    const addClosing = db.prepare(
      `INSERT INTO book_closings (book_id, metering_point, bcs, outcome, source, new_index, status, consumption, closed_at) VALUES (?, ?, ?, 'read', 'billing-snapshot', ?, '', ?, ?)`,
    );
    let rows = 0;
    const ids: number[] = [];
    // Every book holds the same rows but for its code: made once (a 4.7 M build then takes a minute, not five).
    const TEMPLATE = 'Q#TPL#';
    const template = Array.from({ length: BOOK_ROWS }, (_, i) => {
      const r = rowOf(TEMPLATE, i);
      return { r, json: JSON.stringify(Object.fromEntries(bookRowToRaw(r))).split(TEMPLATE), newIndex: (Number(r.CS_CU) + 214.6).toFixed(1) };
    });
    for (let b = 0; b < books; b++) {
      const n = Math.min(BOOK_ROWS, total - rows);
      const code = `Q${String(b).padStart(4, '0')}`;
      db.transaction(() => {
        const id = Number(addBook.run(code, `${code}-2024-7-1.xml`, PERIOD_END - 31 * 86_400_000, PERIOD_END, PERIOD_END + 86_400_000, PERIOD_END).lastInsertRowid);
        ids.push(id);
        for (let i = 0; i < n; i++) {
          const { r, json, newIndex } = template[i] as (typeof template)[number];
          addRow.run(id, r.MA_DDO, r.LOAI_BCS, i + 1, r.MA_GC, r.MA_CTO, r.SERY_CTO, r.MA_KHANG, r.TEN_KHANG, r.CS_CU, json.join(code));
          addClosing.run(id, r.MA_DDO, r.LOAI_BCS, newIndex, '214.6', PERIOD_END);
        }
      })();
      rows += n;
    }
    console.log(`\nexportBook end to end: ${fmt(rows)} rows in ${fmt(books)} closed books of ≤ ${fmt(BOOK_ROWS)} (DB built in ${fmt((performance.now() - t) / 1000, 1)} s)`);
    const now = PERIOD_END + 2 * 86_400_000;
    const report = (label: string, seconds: number, cpu: NodeJS.CpuUsage) => {
      const cpuSeconds = (cpu.user + cpu.system) / 1e6; // the whole process: the workers' threads included
      const projected = rows < MONTH_END_ROWS ? ` (4.7 M PROJECTED: ${fmt((MONTH_END_ROWS / rows) * seconds, 1)} s wall, ${fmt((MONTH_END_ROWS / rows) * cpuSeconds, 1)} s CPU)` : '';
      console.log(`  exportBook, ${label.padEnd(14)} ${fmt(seconds, 1)} s wall (${fmt(cpuSeconds, 1)} s CPU), ${fmt(rows / seconds)} rows/s${projected}   (target < 30 s)`);
    };

    let cpu0 = process.cpuUsage();
    t = performance.now();
    let bytes = 0;
    const sums = new Map<number, string>();
    for (const id of ids) {
      const r = exportBook(db, id, { exportDir: join(dir, 'export-one'), now });
      bytes += r.export.rows;
      sums.set(id, `${r.export.xmlSha256} ${r.export.csvSha256}`);
    }
    report('one thread', (performance.now() - t) / 1000, process.cpuUsage(cpu0));
    if (bytes !== rows) throw new Error(`exported ${bytes} rows, expected ${rows}`);

    // The same books again, as if never exported, on the pool (the first files go: 4.7 M rows are ~6 GB).
    rmSync(join(dir, 'export-one'), { recursive: true, force: true });
    db.exec("DELETE FROM book_exports; UPDATE books SET state = 'closed'");
    const workers = Number(process.env['CHISO_BENCH_EXPORT_WORKERS'] ?? defaultExportWorkers());
    cpu0 = process.cpuUsage();
    t = performance.now();
    const outcomes = await exportBooks(db, ids, { exportDir: join(dir, 'export-pool'), now, workers });
    report(`${workers} worker${workers === 1 ? '' : 's'}`, (performance.now() - t) / 1000, process.cpuUsage(cpu0));
    let pooled = 0;
    for (const o of outcomes) {
      if (!o.ok) throw new Error(`the pool failed book ${o.bookId}: ${o.error.message}`);
      if (o.thread !== 'worker' && workers > 0) throw new Error(`book ${o.bookId} was exported on the calling thread: is the build there (dist/)?`);
      if (`${o.result.export.xmlSha256} ${o.result.export.csvSha256}` !== sums.get(o.bookId)) throw new Error(`book ${o.bookId}: the pool wrote other bytes than one thread`);
      pooled += o.result.export.rows;
    }
    if (pooled !== rows) throw new Error(`the pool exported ${pooled} rows, expected ${rows}`);
    central.store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
