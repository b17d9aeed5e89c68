import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bookRowToRaw, checksum, compareBookRows, writeBookCsv, writeBookXml, type CmisBook, type CmisBookRow } from '../../src/aggregator/cmis/index.js';
import { writeTableXml } from '../../src/aggregator/cmis/xml-write.js';
import { fmt } from './meter-session.js';

const MONTH_END_ROWS = 4_700_000;
const BOOK_ROWS = 5_600;
const REGISTERS = ['KT', 'BT', 'CD', 'TD', 'VC'] as const;

/** One realistic book: 1 120 customers × 5 registers, Vietnamese names and addresses, the month's new index filled in. */
function bookRows(book: CmisBook, n: number): CmisBookRow[] {
  const rows: CmisBookRow[] = [];
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / REGISTERS.length);
    const customer = `PD0100${String(c).padStart(7, '0')}`;
    const old = 10_000 + ((c * 7919 + i) % 80_000);
    rows.push({
      MA_DVIQLY: book.unitCode, MA_QUYEN: book.bookCode, MA_GC: String(c + 1), MA_TRAM: 'TBA-CG-01', MA_KHANG: customer,
      MA_DDO: `${customer}001`, MA_NVGCS: 'NV01', MA_CTO: `CT${c}`, SERY_CTO: `SN${100000 + c}`, LOAI_BCS: REGISTERS[i % 5]!,
      LOAI_CS: 'DDK', BOCSO_ID: String(1_000_000 + i), TEN_KHANG: `Nguyễn Văn Ánh ${c}`, DIA_CHI: `Số ${c}, ngõ 12, phố Cầu Giấy, Hà Nội`,
      MA_NN: 'SHBT', SO_HO: '1', HSN: '1', CS_CU: `${old}.5`, TTR_CU: '', SL_CU: '212', SL_TTIEP: '0', NGAY_CU: '2024-07-01T00:00:00',
      CS_MOI: `${old + 215}.1`, TTR_MOI: '', SL_MOI: '214.6', CHUOI_GIA: 'SH', KY: book.subPeriod, THANG: book.month, NAM: book.year,
      NGAY_MOI: '2024-08-01T00:00:00', NGUOI_GCS: 'chiso', KIMUA_CSPK: 0,
    } as CmisBookRow);
  }
  return rows;
}

/**
 * The month-end CMIS export: 4.7 M rows in books of 5 600 rows (≈ 840 books), each written as XML and as
 * CSV with its SHA-256, timed from rows in memory to file text (the files are not written to disk). The
 * books export (src/aggregator/books/export-book.ts) adds the database reads on top when it exists; this
 * benchmark times the CMIS writers themselves. CHISO_BENCH_EXPORT_ROWS changes the total.
 */
export async function benchExport(): Promise<void> {
  const total = Math.max(BOOK_ROWS, Number(process.env['CHISO_BENCH_EXPORT_ROWS'] ?? MONTH_END_ROWS));
  const books = Math.ceil(total / BOOK_ROWS);
  const base: CmisBook = { unitCode: 'PD0100', bookCode: 'Q0000', year: 2024, month: 7, subPeriod: 1 };
  const template = bookRows(base, BOOK_ROWS);
  const exportBook = fileURLToPath(new URL('../../src/aggregator/books/export-book.js', import.meta.url));
  console.log(`\nCMIS export: ${fmt(total)} rows in ${fmt(books)} books of ${fmt(BOOK_ROWS)} rows, XML + CSV + SHA-256 each (writers only${existsSync(exportBook) ? '' : '; books/export-book.ts not there yet'})`);
  let directSeconds = 0;
  let xmlSeconds = 0;
  let csvSeconds = 0;
  let bytes = 0;
  let rows = 0;
  for (let b = 0; b < books; b++) {
    const n = Math.min(BOOK_ROWS, total - rows);
    const book = { ...base, bookCode: `Q${String(b).padStart(4, '0')}` };
    const bookRowsOf = template.slice(0, n).map((r) => ({ ...r, MA_QUYEN: book.bookCode }));
    let t = performance.now();
    const xml = writeBookXml(book, bookRowsOf);
    bytes += Buffer.byteLength(xml);
    checksum(xml);
    xmlSeconds += (performance.now() - t) / 1000;
    t = performance.now();
    // The writer alone, straight from sorted rows (no element tree, no re-validation): what writeBookXml
    // could cost if book-file.ts called writeTableXml.
    const direct = writeTableXml('NewDataSet', 'Table1', [...bookRowsOf].sort(compareBookRows).map(bookRowToRaw), { declaration: { encoding: 'utf-8', standalone: 'yes' } });
    checksum(direct);
    directSeconds += (performance.now() - t) / 1000;
    if (direct !== xml) throw new Error(`writeTableXml and writeBookXml disagree on book ${book.bookCode}`);
    t = performance.now();
    const csv = writeBookCsv(book, bookRowsOf);
    checksum(csv);
    csvSeconds += (performance.now() - t) / 1000;
    rows += n;
    if (b === 0) console.log(`  first book                 XML ${fmt(Buffer.byteLength(xml) / 1e6, 1)} MB, CSV ${fmt(Buffer.byteLength(csv) / 1e6, 1)} MB`);
  }
  const seconds = xmlSeconds + csvSeconds;
  console.log(`  XML                        ${fmt(xmlSeconds, 1)} s, ${fmt(rows / xmlSeconds)} rows/s, ${fmt(bytes / 1e9, 2)} GB`);
  console.log(`  XML, writeTableXml alone   ${fmt(directSeconds, 1)} s, ${fmt(rows / directSeconds)} rows/s (same bytes; no tree, no re-validation)`);
  console.log(`  CSV                        ${fmt(csvSeconds, 1)} s, ${fmt(rows / csvSeconds)} rows/s`);
  const directBoth = directSeconds + csvSeconds;
  console.log(`  month-end, both files      ${fmt(directBoth, 1)} s with writeTableXml for the XML${rows < MONTH_END_ROWS ? ` (4.7 M PROJECTED: ${fmt((MONTH_END_ROWS / rows) * directBoth, 1)} s)` : ''}`);
  console.log(`  month-end, both files      ${fmt(seconds, 1)} s for ${fmt(rows)} rows, ${fmt(rows / seconds)} rows/s${rows < MONTH_END_ROWS ? ` (4.7 M PROJECTED: ${fmt((MONTH_END_ROWS / rows) * seconds, 1)} s)` : ''}   (target < 30 s)`);
}
