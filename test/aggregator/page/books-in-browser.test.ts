import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CalendarSchema } from '../../../src/aggregator/calendar/reading-calendar.js';
import { parseBookXml } from '../../../src/aggregator/cmis/book-file.js';
import { buildAggregator, type Aggregator } from '../../../src/aggregator/service/index.js';
import { parseAggregatorConfig } from '../../../src/config/load-aggregator-config.js';
import { systemClock, type Clock } from '../../../src/shared/clock.js';
import type { Trigger } from '../../../src/shared/cron.js';
import { gatewayTopic, signBatch } from '../../../src/wire/index.js';
import { enrolAndConnect, silent, TEST_SCRYPT, type TestGateway } from '../ingest/harness.js';
import { ADMIN_TOKEN } from '../service/helpers.js';
import { tempDir } from '../../store/temp-dir.js';
import {
  BOOK_CODE,
  BOOK_FILE,
  bookBytes,
  bookConfigText,
  PERIOD_END,
  plan,
  READ_DATE,
  REVIEW_POINT_DISMISSED,
  REVIEW_POINT_KEPT,
  ROLLOVER,
  rowKey,
  snapshots,
  type Planned,
} from './book-scenario.js';

/**
 * A book's month end on the operators' page, in a real headless Chromium against a real aggregator
 * (buildAggregator: central SQLite file, embedded broker, verified ingest, HTTP API with the page): CMIS's
 * sample book is imported through the API, its meters' billing snapshots come in signed through the
 * broker, and the operator follows the book, closes it, meets the blocking flags, dismisses one with a
 * note, exports over the other with an override note and downloads the file, which reads back to the
 * book's rows with the new indexes filled in. Every step is checked on the page's text and in the
 * database or the export folder.
 */

const GW = 'TBA-Books-01';
const OPERATOR = 'Trần Thị Bình';
const DISMISS_NOTE = 'công tơ PD0100018302001 đã thay ngày 10/7, CMIS sẽ sửa chỉ số cũ';
const OVERRIDE_NOTE = 'PD0100018301001: khách hàng xác nhận, gửi CMIS để kiểm tra lại';

const skipBrowser = process.env['CHISO_SKIP_BROWSER'] === '1';
const chromiumPath = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim();
const BROWSER_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** 03:00 local on 15 July 2017: the period ended three hours ago (the book is due), its 06:00 cutoff is still ahead. */
const NOW = PERIOD_END + 3 * 3_600_000;
const fixedClock: Clock = { ...systemClock, now: () => NOW };
/** The month's cron jobs never fire on their own here: the operator closes and exports. */
const never: Trigger = { every: () => ({ stop() {} }) };

const rows = plan();
const count = (outcome: Planned['outcome']) => rows.filter((r) => r.outcome === outcome).length;

describe.skipIf(skipBrowser)("a book's month end on the operators' page, in headless Chromium (CHISO_SKIP_BROWSER=1 skips)", { timeout: 30_000 }, () => {
  const tmp = tempDir('chiso-page-books-');
  let agg: Aggregator;
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  let bookId: number;
  let base: string;
  const problems: string[] = [];

  const db = () => agg.db.store.db;
  const flagOf = (point: string) =>
    db().prepare("SELECT id, state, note, decided_by AS by FROM book_flags WHERE metering_point = ? AND code = 'needs-review'").get(point) as { id: number; state: string; note: string | null; by: string | null };
  const bookRow = () => page.locator(`#s-books tr[data-code="${BOOK_CODE}"]`);
  const figure = (part: string) => bookRow().locator(`.figures dd[data-part="${part}"]`);

  beforeAll(async () => {
    if (chromiumPath === '') throw new Error('chromium is not installed: run `bash scripts/install-system-deps.sh` (or set CHISO_SKIP_BROWSER=1 to skip the browser tests)');
    const config = parseAggregatorConfig(bookConfigText(tmp.dir, ADMIN_TOKEN), join(tmp.dir, 'aggregator.yaml'), { calendarSchema: CalendarSchema, env: {} });
    agg = buildAggregator(config, { logger: silent, scrypt: TEST_SCRYPT, clock: fixedClock, trigger: never });
    const ports = await agg.start();
    base = `http://127.0.0.1:${ports.httpPort}`;

    // CMIS's file, imported the way CMIS's side does it: through the API.
    const imported = await fetch(`${base}/api/books/import?fileName=${BOOK_FILE}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/xml' },
      body: bookBytes(),
      signal: AbortSignal.timeout(10_000),
    });
    const answer = (await imported.json()) as { bookId: number; outcome: string; rows: number };
    expect(imported.status, JSON.stringify(answer)).toBe(201);
    expect(answer).toMatchObject({ outcome: 'created', rows: rows.length });
    bookId = answer.bookId;

    // The gateway's billing snapshots, signed, through the broker and the verified ingest.
    gw = await enrolAndConnect({ db: agg.db, url: `mqtt://127.0.0.1:${ports.mqttPort}` }, GW);
    const reads = snapshots(GW, rows);
    const batch = signBatch({ gatewayId: GW, epoch: 'b1', seqFrom: 1, seqTo: reads.length, createdAt: '2017-07-15T00:05:00+07:00', reads }, gw.signer.privateKey, gw.signer.keyId);
    await gw.client.publishAsync(gatewayTopic(GW, 'reads'), Buffer.from(batch), { qos: 1 });
    expect(await gw.nextAck()).toMatchObject({ stream: 'reads', result: 'stored', storedCount: reads.length });

    browser = await chromium.launch({ executablePath: chromiumPath, args: BROWSER_ARGS, timeout: 20_000 });
    page = await browser.newPage({ timezoneId: 'America/New_York', acceptDownloads: true }); // shown in Vietnam time whatever the browser's zone
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // The refused export (409) is logged by Chromium as a failed load: expected, and shown on the page.
      if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 409/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    await page.goto(`${base}/`);
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#login button[type=submit]');
    await page.locator('#main').waitFor({ state: 'visible' });
    await page.fill('#operator-name', OPERATOR);
    await page.dispatchEvent('#operator-name', 'change');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.client.endAsync();
    await agg?.close();
    tmp.cleanup();
  });

  it('shows the due book open, with as many registers read and missing as the meters sent', async () => {
    const unread = count('estimated');
    expect(unread).toBe(3);
    await bookRow().waitFor();
    expect(await bookRow().getAttribute('data-state')).toBe('open');
    expect(await bookRow().locator('.badge.open').textContent()).toBe('Đang mở');
    expect(await bookRow().locator('td').nth(1).textContent()).toBe('Tháng 7/2017, kỳ 1');
    expect(await bookRow().locator('.cutoff').textContent()).toBe('15/07/2017 06:00');
    // Every register whose meter sent a snapshot is read so far, the two below CS_CU included (judged at the close).
    expect(await figure('read').textContent()).toBe(String(rows.length - unread));
    expect(await figure('missing').textContent()).toBe(String(unread));
    expect(await figure('estimated').textContent()).toBe('0');
    expect(await figure('needsReview').textContent()).toBe('0');
    expect(await bookRow().locator('.progress .muted').textContent()).toBe(`${rows.length} dòng`);
    // Only a closed book is exported: no export button yet.
    expect(await bookRow().locator('button.export').count()).toBe(0);
    expect(await page.locator('#s-flags .empty').textContent()).toBe('Không có cảnh báo nào chờ xử lý.');
    // What the page counted is what is stored: one snapshot per register that sent one.
    expect((db().prepare("SELECT count(*) AS n FROM reads WHERE kind = 'billing-snapshot' AND meter_time_ms = ?").get(PERIOD_END) as { n: number }).n).toBe(rows.length - unread);
  });

  it('closes the book: read, estimated and needs-review as stored, with the blocking flags listed', async () => {
    await bookRow().locator('button.close').click();
    const confirm = page.locator(`#s-books tr[data-panel-for="${bookId}"] .confirm-close`);
    expect(await confirm.locator('span').textContent()).toBe(`Chốt sổ ${BOOK_CODE} ngay bây giờ?`);
    await confirm.locator('button.confirm').click();
    await page.locator('#notice', { hasText: `Đã chốt sổ ${BOOK_CODE}` }).waitFor();
    await page.locator(`#s-books tr[data-code="${BOOK_CODE}"][data-state="closed"]`).waitFor();
    expect(await bookRow().locator('.badge.closed').textContent()).toBe('Đã chốt');

    const stored = db().prepare('SELECT outcome, count(*) AS n FROM book_closings WHERE book_id = ? GROUP BY outcome ORDER BY outcome').all(bookId);
    expect(stored).toEqual([
      { outcome: 'estimated', n: count('estimated') },
      { outcome: 'needs-review', n: count('needs-review') },
      { outcome: 'read', n: count('read') },
    ]);
    expect(await figure('read').textContent()).toBe(String(count('read')));
    expect(await figure('estimated').textContent()).toBe(String(count('estimated')));
    expect(await figure('needsReview').textContent()).toBe(String(count('needs-review')));
    expect(await figure('missing').textContent()).toBe('0');
    expect(await figure('fieldRead').textContent()).toBe('0');
    expect(await bookRow().locator('.badge.blocking').textContent()).toBe('2 Chặn xuất');

    // The flags the close raised show up without the operator having to refresh.
    const flags = db().prepare('SELECT metering_point AS point, code, blocking FROM book_flags WHERE book_id = ? ORDER BY metering_point').all(bookId);
    expect(flags).toEqual([
      { point: REVIEW_POINT_KEPT, code: 'needs-review', blocking: 1 },
      { point: REVIEW_POINT_DISMISSED, code: 'needs-review', blocking: 1 },
    ]);
    const kept = page.locator(`#s-flags tr[data-point="${REVIEW_POINT_KEPT}"]`);
    await kept.waitFor();
    expect(await kept.locator('td').first().textContent()).toBe(BOOK_CODE);
    expect(await kept.textContent()).toContain('Chỉ số mới 12000 nhỏ hơn chỉ số cũ 12345.6');
    expect(await kept.locator('.badge.blocking').textContent()).toBe('Chặn xuất');
    expect(await page.locator('#s-flags tbody tr').count()).toBe(2);
  });

  it("shows the closed book's rows in route order, as the API has them, filters the ones not read, and switches to English", async () => {
    // The API's own answer for the book is the reference; the scenario says independently which rows must be what.
    const res = await fetch(`${base}/api/books/${bookId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    const api = ((await res.json()) as { rows: ApiRow[] }).rows;
    expect(api).toHaveLength(rows.length);
    const planned = new Map(rows.map((p) => [rowKey(p.row), p.outcome]));
    expect(new Map(api.map((r) => [`${r.meteringPoint}/${r.bcs}`, r.progress]))).toEqual(planned);
    // In route order (MA_GC): the order the page must keep.
    const route = api.map((r) => Number(r.routePosition));
    expect(route.every((n, i) => Number.isFinite(n) && (i === 0 || route[i - 1]! <= n)), route.join(' ')).toBe(true);
    const notRead = api.filter((r) => r.progress !== 'read');
    expect(notRead).toHaveLength(count('estimated') + count('needs-review'));

    await bookRow().locator('button.rows').click();
    const panel = page.locator(`#s-books tr[data-panel-for="${bookId}"] .book-rows`);
    await panel.locator('tbody tr').first().waitFor();
    // 27 rows: few enough to open unfiltered.
    expect(await panel.locator('input.not-read-only').isChecked()).toBe(false);
    expect(await panel.locator('strong').textContent()).toBe(`Các dòng của sổ ${BOOK_CODE} theo lộ trình`);
    expect(await panel.locator('.shown').textContent()).toBe(`Đang hiện ${api.length}/${api.length} dòng`);
    expect(await panel.locator('thead th').allTextContents()).toEqual([
      'Thứ tự lộ trình', 'Khách hàng', 'Điểm đo', 'Bộ chỉ số (BCS)', 'Số công tơ', 'Chỉ số cũ', 'Chỉ số mới', 'Sản lượng', 'Trạng thái', 'Nguồn chỉ số', 'Cảnh báo mở',
    ]);

    const shown = await tableRows(panel);
    expect(shown.map((r) => r.key)).toEqual(api.map((r) => `${r.meteringPoint}/${r.bcs}`));
    expect(shown).toEqual(api.map((r) => expectedRow(r, 'vi')));
    // The two rows below CS_CU carry their open blocking flag; the rollover's new index is the meter's.
    expect(shown.filter((r) => r.flags === '1').map((r) => r.key.split('/')[0]).sort()).toEqual([REVIEW_POINT_KEPT, REVIEW_POINT_DISMISSED].sort());
    expect(shown.find((r) => r.key === ROLLOVER.key)?.newIndex).toBe(ROLLOVER.value);

    // Not read only: exactly the rows an operator has to act on, still in route order.
    await panel.locator('input.not-read-only').check();
    expect(await panel.locator('.shown').textContent()).toBe(`Đang hiện ${notRead.length}/${api.length} dòng`);
    expect(await tableRows(panel)).toEqual(notRead.map((r) => expectedRow(r, 'vi')));

    // English: the panel is drawn again in the new language and keeps the filter.
    await page.click('#lang');
    await panel.locator('strong', { hasText: `Rows of book ${BOOK_CODE} in route order` }).waitFor();
    expect(await bookRow().locator('button.rows').textContent()).toBe('Rows');
    expect(await panel.locator('label span').textContent()).toBe('Only rows not read (missing, estimated, field-read, needs review)');
    expect(await panel.locator('input.not-read-only').isChecked()).toBe(true);
    expect(await panel.locator('.shown').textContent()).toBe(`Showing ${notRead.length} of ${api.length} rows`);
    expect(await panel.locator('thead th').allTextContents()).toEqual([
      'Route position', 'Customer', 'Metering point', 'Register (BCS)', 'Meter serial', 'Old index', 'New index', 'Consumption', 'State', 'Source', 'Open flags',
    ]);
    expect(await tableRows(panel)).toEqual(notRead.map((r) => expectedRow(r, 'en')));
    await panel.locator('input.not-read-only').uncheck();
    expect(await tableRows(panel)).toEqual(api.map((r) => expectedRow(r, 'en')));

    // Back to Vietnamese for the steps that follow; the button closes the panel again.
    await page.click('#lang');
    await panel.locator('strong', { hasText: `Các dòng của sổ ${BOOK_CODE} theo lộ trình` }).waitFor();
    await bookRow().locator('button.rows').click();
    await page.locator(`#s-books tr[data-panel-for="${bookId}"]`).waitFor({ state: 'detached' });
  });

  it('refuses the export while blocking flags are open, and says why', async () => {
    await bookRow().locator('button.export').click();
    const blocked = page.locator(`#s-books tr[data-panel-for="${bookId}"] .blocked`);
    await blocked.waitFor();
    const why = await blocked.locator('p.error').textContent();
    expect(why).toContain(`book ${BOOK_FILE.replace('.xml', '')} has 2 open blocking flag(s)`);
    expect(why).toContain(`needs-review ${REVIEW_POINT_KEPT} KT`);
    expect(why).toContain('API_EXPORT_BLOCKED');
    expect(await blocked.locator('p').nth(1).textContent()).toBe('Còn cảnh báo chặn chưa xử lý. Có thể xuất bỏ qua cảnh báo, kèm ghi chú lý do:');
    expect(db().prepare('SELECT count(*) AS n FROM book_exports').get()).toEqual({ n: 0 });
    expect(await bookRow().getAttribute('data-state')).toBe('closed');
    // Nothing was written: the exports list (opened over the refusal) says so.
    await bookRow().locator('button.exports').click();
    await page.locator(`#s-books tr[data-panel-for="${bookId}"] .exports .empty`, { hasText: 'Sổ này chưa được xuất lần nào.' }).waitFor();
  });

  it('dismisses one flag only with a note; the decision is stored and the book has one blocking flag left', async () => {
    const id = flagOf(REVIEW_POINT_DISMISSED).id;
    const row = page.locator(`#s-flags tr[data-flag="${id}"]`);
    await row.locator('button.dismiss').click();
    await row.locator('.note-form button[type=submit]').click(); // no note
    await row.locator('.note-form .error', { hasText: 'Cần ghi chú lý do.' }).waitFor();
    expect(flagOf(REVIEW_POINT_DISMISSED).state).toBe('open');

    await row.locator('textarea').fill(DISMISS_NOTE);
    await row.locator('.note-form button[type=submit]').click();
    await page.locator('#notice', { hasText: `Đã bỏ qua: ${REVIEW_POINT_DISMISSED} needs-review` }).waitFor();
    await page.locator(`#s-flags tr[data-flag="${id}"]`).waitFor({ state: 'detached' });
    expect(flagOf(REVIEW_POINT_DISMISSED)).toEqual({ id, state: 'dismissed', note: DISMISS_NOTE, by: OPERATOR });
    expect(flagOf(REVIEW_POINT_KEPT).state).toBe('open');
    await bookRow().locator('.badge.blocking', { hasText: '1 Chặn xuất' }).waitFor();
  });

  it('exports over the remaining flag with an override note, kept with the export', async () => {
    await bookRow().locator('button.export').click();
    const blocked = page.locator(`#s-books tr[data-panel-for="${bookId}"] .blocked`);
    await blocked.locator('p.error', { hasText: 'has 1 open blocking flag(s)' }).waitFor();
    await blocked.locator('.note-form button[type=submit]').click(); // no note
    await blocked.locator('.note-form .error', { hasText: 'Cần ghi chú lý do.' }).waitFor();
    expect(db().prepare('SELECT count(*) AS n FROM book_exports').get()).toEqual({ n: 0 });

    await blocked.locator('textarea').fill(OVERRIDE_NOTE);
    await blocked.locator('.note-form button[type=submit]').click();
    await page.locator('#notice', { hasText: `Đã xuất sổ ${BOOK_CODE}, phiên bản 1` }).waitFor();
    await page.locator(`#s-books tr[data-code="${BOOK_CODE}"][data-state="exported"]`).waitFor();
    expect(await bookRow().locator('.badge.exported').textContent()).toBe('Đã xuất');
    expect(db().prepare('SELECT book_id AS bookId, version, rows, override_by AS by, override_note AS note FROM book_exports').all()).toEqual([
      { bookId, version: 1, rows: rows.length, by: OPERATOR, note: OVERRIDE_NOTE },
    ]);
    // The override decides nothing: the flag stays open for CMIS's correction.
    expect(flagOf(REVIEW_POINT_KEPT).state).toBe('open');
  });

  it('lists the export and downloads its XML through the page: it reads back to the book with the new indexes', async () => {
    await bookRow().locator('button.exports').click();
    const listed = page.locator(`#s-books tr[data-panel-for="${bookId}"] .exports tbody tr`);
    await listed.first().waitFor();
    expect(await listed.count()).toBe(1);
    const stored = db().prepare('SELECT id, xml_file AS xmlFile, xml_sha256 AS sha FROM book_exports').get() as { id: number; xmlFile: string; sha: string };
    expect(await listed.getAttribute('data-export')).toBe(String(stored.id));
    expect(await listed.locator('td').nth(0).textContent()).toBe('1');
    expect(await listed.locator('td').nth(1).textContent()).toBe('15/07/2017 03:00');
    expect(await listed.locator('td').nth(2).textContent()).toBe(String(rows.length));
    expect(await listed.locator('.hash').textContent()).toBe(`${stored.sha.slice(0, 12)}…`);

    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), listed.locator('button.download.xml').click()]);
    expect(download.suggestedFilename()).toBe(BOOK_FILE);
    const saved = join(tmp.dir, 'downloaded.xml');
    await download.saveAs(saved);
    const bytes = readFileSync(saved);
    expect(bytes.equals(readFileSync(stored.xmlFile))).toBe(true);

    const back = parseBookXml(bytes, BOOK_FILE);
    expect(back.book).toEqual({ unitCode: 'PD0100', bookCode: BOOK_CODE, year: 2017, month: 7, subPeriod: 1 });
    expect(back.rows.map(rowKey)).toEqual(rows.map((p) => rowKey(p.row)));
    const closings = new Map(
      (db().prepare('SELECT metering_point AS point, bcs, new_index AS newIndex, consumption FROM book_closings WHERE book_id = ?').all(bookId) as { point: string; bcs: string; newIndex: string; consumption: string }[]).map((c) => [`${c.point}/${c.bcs}`, c]),
    );
    const filled = ['CS_MOI', 'TTR_MOI', 'SL_MOI', 'NGAY_MOI', 'extra'] as const;
    back.rows.forEach((got, i) => {
      const p = rows[i]!;
      const k = rowKey(p.row);
      const closing = closings.get(k)!;
      // Every column CMIS sent comes back as it was, except the ones the close fills in.
      const rest = (r: object) => Object.fromEntries(Object.entries(r).filter(([c]) => !(filled as readonly string[]).includes(c)));
      expect(rest(got), k).toEqual(rest(p.row));
      expect(got.NGAY_MOI, k).toBe(READ_DATE);
      if (p.outcome === 'read') {
        expect({ cs: got.CS_MOI, sl: got.SL_MOI, extra: got.extra }, k).toEqual({ cs: p.value, sl: p.consumption, extra: p.row.extra });
        expect(got.TTR_MOI, k).toBe(k === ROLLOVER.key ? 'Q' : '');
      } else if (p.outcome === 'estimated') {
        expect(got.CS_MOI, k).toBe(closing.newIndex);
        expect(got.SL_MOI, k).toBe(closing.consumption);
        expect(got.extra, k).toEqual({ ...p.row.extra, TAM_TINH: '1' });
      } else {
        // Sent under the override: the meter's index, no consumption, marked for review.
        expect({ cs: got.CS_MOI, sl: got.SL_MOI, extra: got.extra }, k).toEqual({ cs: p.value, sl: undefined, extra: { ...p.row.extra, CAN_KIEM_TRA: '1' } });
      }
    });
    expect(back.rows.filter((r) => r.CS_MOI !== undefined && r.CS_MOI !== '').length).toBe(rows.length);

    // The CSV of the same export: the stored file's bytes, matching the checksum kept for it, a header and
    // one line per row with the XML's new indexes in the CS_MOI column.
    const csv = db().prepare('SELECT csv_file AS csvFile, csv_sha256 AS sha FROM book_exports WHERE id = ?').get(stored.id) as { csvFile: string; sha: string };
    const [csvDownload] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), listed.locator('button.download.csv').click()]);
    expect(csvDownload.suggestedFilename()).toBe(BOOK_FILE.replace(/\.xml$/, '.csv'));
    const savedCsv = join(tmp.dir, 'downloaded.csv');
    await csvDownload.saveAs(savedCsv);
    const csvBytes = readFileSync(savedCsv);
    expect(csvBytes.equals(readFileSync(csv.csvFile))).toBe(true);
    expect(createHash('sha256').update(csvBytes).digest('hex')).toBe(csv.sha);
    const records = parseCsv(csvBytes.toString('utf8').replace(/^\uFEFF/, ''));
    expect(records).toHaveLength(rows.length + 1);
    const csMoi = records[0]!.indexOf('CS_MOI');
    expect(csMoi).toBeGreaterThanOrEqual(0);
    expect(records.slice(1).map((r) => r[csMoi]).sort()).toEqual(back.rows.map((r) => r.CS_MOI!).sort());
  });

  it('shows the book section in English on the switch', async () => {
    await page.click('#lang');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('#s-books h2').textContent()).toBe("Books' progress towards the cutoff");
    expect(await page.locator('#s-books > .body > table > thead th').allTextContents()).toEqual(['Book', 'Period', 'State', 'Cutoff', 'Progress', 'Open flags', 'Actions']);
    expect(await bookRow().locator('td').nth(1).textContent()).toBe('7/2017, sub-period 1');
    expect(await bookRow().locator('.badge.exported').textContent()).toBe('Exported');
    expect(await bookRow().locator('.figures dt').allTextContents()).toEqual(['Read', 'Estimated', 'Field-read', 'Needs review', 'Missing']);
    expect(await bookRow().locator('.progress .muted').textContent()).toBe(`${rows.length} rows`);
    expect(await bookRow().locator('.badge.blocking').textContent()).toBe('1 Blocks export');
    expect(await bookRow().locator('button.export').textContent()).toBe('Export to CMIS');
    expect(await bookRow().locator('button.exports').textContent()).toBe('Exports');
    const panel = page.locator(`#s-books tr[data-panel-for="${bookId}"] .exports`);
    expect(await panel.locator('thead th').allTextContents()).toEqual(['Version', 'Exported at', 'rows', 'SHA-256', '']);
    expect(await panel.locator('button.download').allTextContents()).toEqual(['Download XML', 'Download CSV']);
    const kept = page.locator(`#s-flags tr[data-point="${REVIEW_POINT_KEPT}"]`);
    expect(await kept.textContent()).toContain('new index 12000 is below the old index 12345.6');
    expect(await kept.locator('.badge.blocking').textContent()).toBe('Blocks export');
    expect(await page.locator('#s-flags h2').textContent()).toBe("Books' screening flags");

    // Numbers line up on the right; on a laptop's 900 px the wide tables scroll in their panels, not the page.
    // (Run in the page: the test's TypeScript has no DOM library, hence the cast.)
    const alignOf = (el: unknown) => (globalThis as unknown as { getComputedStyle(e: unknown): { textAlign: string } }).getComputedStyle(el).textAlign;
    expect(await panel.locator('td.num').first().evaluate(alignOf)).toBe('right');
    await page.setViewportSize({ width: 900, height: 800 });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(900);
    await page.setViewportSize({ width: 1280, height: 720 });

    // After a reload (English kept), the flag still names its book by code, whichever list came in first.
    await page.reload();
    await page.locator(`#s-books tr[data-code="${BOOK_CODE}"] .badge.exported`, { hasText: 'Exported' }).waitFor();
    await page.locator(`#s-flags tr[data-point="${REVIEW_POINT_KEPT}"] td:first-child`, { hasText: BOOK_CODE }).waitFor();
  });

  it('loads nothing the CSP refuses and throws no script errors', () => {
    expect(problems).toEqual([]);
  });
});

/** A row of GET /api/books/:id, as far as the rows panel shows it. */
interface ApiRow {
  meteringPoint: string;
  bcs: string;
  readingType: string;
  routePosition: number | null;
  meterSerial: string | null;
  customerCode: string | null;
  customerName: string | null;
  oldIndex: string | null;
  progress: string | null;
  closing: { outcome: string; source: string | null; newIndex: string | null; consumption: string | null; estimateNumber: number | null; detail: { reason?: { vi: string; en: string }; kwhPerDay?: string } } | null;
  flags: { state: string }[];
}

interface ShownRow {
  key: string;
  state: string | undefined;
  route: string;
  customer: string;
  serial: string;
  oldIndex: string;
  newIndex: string;
  consumption: string;
  label: string;
  source: string;
  flags: string;
}

/** The rows panel's table as text, read in one call (27 rows × 11 cells through locators would be slow). */
function tableRows(panel: ReturnType<Page['locator']>): Promise<ShownRow[]> {
  return panel.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => {
      const cell = (c: string) => tr.querySelector(`td.${c}`)?.textContent ?? '';
      return {
        key: `${tr.getAttribute('data-point')}/${tr.getAttribute('data-bcs')}`,
        state: tr.getAttribute('data-state') ?? undefined,
        route: cell('route'),
        customer: cell('customer'),
        serial: cell('serial'),
        oldIndex: cell('old'),
        newIndex: cell('new'),
        consumption: cell('consumption'),
        label: cell('state'),
        source: cell('source'),
        flags: cell('flags'),
      };
    }),
  );
}

/** What the panel must show for an API row, written out here rather than taken from the page's labels. */
function expectedRow(r: ApiRow, lang: 'vi' | 'en'): ShownRow {
  const c = r.closing;
  const labels = {
    vi: { read: 'Đã đọc', 'needs-review': 'Cần xem xét', snapshot: 'Chỉ số chốt cuối kỳ của công tơ', estimate: 'Tạm tính theo sản lượng các kỳ trước', perDay: 'kWh/ngày' },
    en: { read: 'Read', 'needs-review': 'Needs review', snapshot: "The meter's billing snapshot", estimate: 'Estimate from past consumption', perDay: 'kWh/day' },
  }[lang];
  let label: string;
  let source: string;
  if (r.progress === 'estimated') {
    // The scenario's meters were never estimated before: this is the first of the two allowed.
    expect(c?.estimateNumber).toBe(1);
    label = lang === 'vi' ? 'Tạm tính (lần 1/2)' : 'Estimated (estimate 1 of 2)';
    expect(c?.detail.kwhPerDay).toMatch(/^\d/);
    source = `${labels.estimate} (${c!.detail.kwhPerDay} ${labels.perDay})`;
  } else if (r.progress === 'read') {
    label = labels.read;
    expect(c?.source).toBe('billing-snapshot');
    source = labels.snapshot;
  } else {
    expect(r.progress).toBe('needs-review');
    label = labels['needs-review'];
    source = c!.detail.reason![lang];
  }
  return {
    key: `${r.meteringPoint}/${r.bcs}`,
    state: r.progress ?? 'none',
    route: String(r.routePosition ?? ''),
    customer: [r.customerCode, r.customerName].filter((x) => x).join(' '),
    serial: r.meterSerial ?? '',
    oldIndex: r.oldIndex ?? '',
    newIndex: c?.newIndex ?? '',
    consumption: c?.consumption ?? '',
    label,
    source,
    flags: String(r.flags.filter((f) => f.state === 'open').length || ''),
  };
}

/** RFC 4180 records (quoted fields may hold commas, doubled quotes, line breaks): the test's own reader. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    record.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') field += text[++i];
      else quoted = false;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      endField();
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endField();
      records.push(record);
      record = [];
    } else {
      field += c;
    }
  }
  if (field !== '' || record.length > 0) {
    endField();
    records.push(record);
  }
  return records;
}
