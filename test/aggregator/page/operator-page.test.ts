import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpApi, listenHttp, type HttpListener } from '../../../src/aggregator/http/index.js';
import { PAGE_CSP, pageRoutes } from '../../../src/aggregator/http/page-routes.js';
import { bookRoutes } from '../../../src/aggregator/http/book-routes.js';
import { reverifyRoutes } from '../../../src/aggregator/http/reverify-routes.js';
import { Reverifier } from '../../../src/aggregator/reverify/index.js';
import { centralQueries } from '../../../src/aggregator/service/index.js';
import { encodeStatus, gatewayTopic, signBatch, signEvents, type GatewayEvent } from '../../../src/wire/index.js';
import { sampleRead } from '../../../src/wire/test-helpers.js';
import { enrolAndConnect, silent, waitFor, type TestGateway } from '../ingest/harness.js';
import { ADMIN_TOKEN, startTestAggregator, type Running } from '../service/helpers.js';

/**
 * The operators' page in a real headless Chromium against a real aggregator: signed events and reads go
 * in through the broker and the verified ingest, the page is served by buildHttpApi with pageRoutes
 * mounted (the service mounts it the same way), and every decision taken on the page is checked in the
 * central database.
 */

const GW = 'TBA-Page-01';
const SILENT_GW = 'TBA-Page-02';
const OFFLINE_POINT = 'PD01000100001001';
const BACK_POINT = 'PD01000100002001';
const SPIKE_POINT = 'PD01000100003001';
const DROP_POINT = 'PD01000100004001';

const skipBrowser = process.env['CHISO_SKIP_BROWSER'] === '1';
const chromiumPath = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim();
const BROWSER_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

describe("operators' page: static files", () => {
  let a: Running;
  let http: HttpListener;
  const url = (path: string) => `http://127.0.0.1:${http.port}${path}`;

  beforeAll(async () => {
    a = await startTestAggregator();
    http = await servePage(a);
  });
  afterAll(async () => {
    await http?.close();
    await a?.close();
  });

  it('serves the page and its files without the admin token, with their types and a strict CSP', async () => {
    const page = await fetch(url('/'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(PAGE_CSP).toMatch(/^default-src 'self';/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).toContain('<html lang="vi">');
    expect(html).toContain('Trang điều hành');
    // Nothing from elsewhere: every script, style and icon is one of the page's own files.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);

    const files = { 'app.js': 'text/javascript; charset=utf-8', 'style.css': 'text/css; charset=utf-8', 'icon.svg': 'image/svg+xml' };
    for (const [name, type] of Object.entries(files)) {
      const res = await fetch(url(`/page/${name}`));
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type'), name).toBe(type);
      expect(res.headers.get('content-security-policy'), name).toBe(PAGE_CSP);
    }
    const etag = (await fetch(url('/page/app.js'))).headers.get('etag')!;
    expect((await fetch(url('/page/app.js'), { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('answers 404 for files that are not the page’s, and keeps the API behind the token', async () => {
    for (const path of ['/page/nothing.js', '/page/index.html', '/page/README.md', '/page/%2e%2e%2fpage-routes.ts']) {
      const res = await fetch(url(path));
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('API_NOT_FOUND');
    }
    expect((await fetch(url('/api/gateways'))).status).toBe(401);
    expect((await fetch(url('/'), { method: 'POST' })).status).toBe(405);
  });
});

describe.skipIf(skipBrowser)("operators' page in headless Chromium (CHISO_SKIP_BROWSER=1 skips)", () => {
  let a: Running;
  let http: HttpListener;
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    // A missing browser is a broken test machine, not a reason to pass: say how to fix it.
    if (chromiumPath === '') throw new Error('chromium is not installed: run `bash scripts/install-system-deps.sh` (or set CHISO_SKIP_BROWSER=1 to skip the browser tests)');
    a = await startTestAggregator();
    gw = await enrolAndConnect({ db: a.agg.db, url: a.mqttUrl }, GW);
    // A second gateway that enrolled but never came up: shown as unknown.
    const { token } = a.agg.db.enrolment.issue(SILENT_GW, 60_000, Date.now());
    await a.agg.db.enrolment.consume({ token, gatewayId: SILENT_GW, publicKeyPem: gw.signer.publicKeyPem }, Date.now);
    await feed(a, gw);
    http = await servePage(a);
    browser = await chromium.launch({ executablePath: chromiumPath, args: BROWSER_ARGS, timeout: 30_000 });
    page = await browser.newPage({ timezoneId: 'Europe/Paris', locale: 'fr-FR' }); // the page must not follow the browser's zone
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // 404s of endpoints not mounted yet are logged by Chromium as failed loads: expected, shown on the page.
      if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of (404|401|409)/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    await page.goto(`http://127.0.0.1:${http.port}/`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.client.endAsync();
    await http?.close();
    await a?.close();
  });

  it('asks for the admin token, refuses a wrong one with the API’s message, and opens with the right one', async () => {
    expect(await page.locator('html').getAttribute('lang')).toBe('vi');
    expect(await page.locator('#login').isVisible()).toBe(true);
    expect(await page.locator('#main').isVisible()).toBe(false);
    await page.fill('#token', 'not-the-admin-token-at-all');
    await page.click('#login button[type=submit]');
    await page.locator('#login-error', { hasText: 'wrong admin token' }).waitFor();
    expect(await page.locator('#login').isVisible()).toBe(true);

    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#login button[type=submit]');
    await page.locator('#main').waitFor({ state: 'visible' });
    expect(await page.evaluate("sessionStorage.getItem('chiso.adminToken')")).toBe(ADMIN_TOKEN);
  });

  it('shows the offline gateway with its since-time in Vietnam time, and its backlog', async () => {
    const api = await a.api('GET', '/api/gateways');
    expect(api.json.gateways.find((g: { id: string }) => g.id === GW)).toMatchObject({ state: 'offline', since: '2024-07-29T01:00:00.000Z' });
    const row = page.locator(`#s-gateways tr[data-gateway="${GW}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('offline');
    expect(await row.locator('.badge').textContent()).toBe('Mất kết nối');
    expect(await row.locator('.since').textContent()).toBe('29/07/2024 08:00');
    expect(await row.locator('.backlog').textContent()).toBe('7 bản ghi, cũ nhất 29/07/2024 07:30');
    expect(await page.locator(`#s-gateways tr[data-gateway="${SILENT_GW}"] .badge`).textContent()).toBe('Chưa rõ');
    // Offline first.
    expect(await page.locator('#s-gateways tbody tr').first().getAttribute('data-gateway')).toBe(GW);
  });

  it('lists the points still offline with since-when, book and route position; a point back online is not listed', async () => {
    const row = page.locator(`#s-offline tr[data-point="${OFFLINE_POINT}"]`);
    await row.waitFor();
    expect(await row.locator('.since').textContent()).toBe('26/07/2024 10:00');
    expect(await row.locator('.book').textContent()).toBe('D018400');
    expect(await row.locator('.route').textContent()).toBe('17');
    expect(await page.locator(`#s-offline tr[data-point="${BACK_POINT}"]`).count()).toBe(0);
    expect(await page.locator('#s-offline tbody tr').count()).toBe(1);
  });

  it('computes offline points from the latest reachability event per meter', async () => {
    // A string, not a function: vitest rewrites import() inside test code, and this must run in the page.
    const result = await page.evaluate(`(async () => {
      const { offlinePoints } = await import('/page/offline-points.js');
      const ev = (id, type, gatewayId, meterId, at) => ({ id, type, gatewayId, meterId, meteringPoint: null, at, body: { at, since: at } });
      return offlinePoints([
        ev(1, 'meter-offline', 'G1', 'M1', '2024-07-01T00:00:00Z'),
        ev(2, 'meter-online', 'G1', 'M1', '2024-07-01T00:00:00Z'), // same instant, stored later: back online
        ev(3, 'meter-offline', 'G2', 'M1', '2024-07-02T00:00:00Z'), // same meter id on another gateway: another meter
        ev(5, 'meter-online', 'G3', 'M9', '2024-07-01T00:00:00Z'),
        ev(4, 'meter-offline', 'G3', 'M9', '2024-07-03T00:00:00Z'), // observed later though stored earlier
        ev(6, 'anomaly', 'G4', 'M4', '2024-07-03T00:00:00Z'),
      ]).map((p) => p.gatewayId + '/' + p.meterId);
    })()`);
    expect(result).toEqual(['G2/M1', 'G3/M9']);
  });

  it('lists the open anomalies, and shows the unavailable state of endpoints that answer 404', async () => {
    await page.locator('#s-anomalies tbody tr').nth(1).waitFor();
    expect(await page.locator('#s-anomalies tbody tr').count()).toBe(2);
    expect(await page.locator(`#s-anomalies tr[data-point="${SPIKE_POINT}"]`).textContent()).toContain('Sản lượng tăng đột biến');
    // The book endpoints answer, with no book imported yet: empty lists, not "unavailable".
    await page.locator('#s-books[data-state="ok"] .empty', { hasText: 'Chưa có sổ nào.' }).waitFor();
    await page.locator('#s-flags[data-state="ok"] .empty', { hasText: 'Không có cảnh báo nào chờ xử lý.' }).waitFor();
  });

  it('says a section is not available when its endpoint answers 404', async () => {
    const other = await browser.newPage();
    try {
      // The same page against an API without the book endpoints (an older aggregator).
      const bare = await servePage(a, { books: false });
      try {
        await other.goto(`http://127.0.0.1:${bare.port}/`);
        await other.fill('#token', ADMIN_TOKEN);
        await other.click('#login button[type=submit]');
        for (const id of ['s-books', 's-flags']) {
          await other.locator(`#${id}[data-state="unavailable"]`).waitFor();
          expect(await other.locator(`#${id} .unavailable`).textContent()).toBe('Chức năng này chưa có trên máy chủ (API trả về 404).');
        }
        await other.locator(`#s-gateways tr[data-gateway="${GW}"]`).waitFor();
      } finally {
        await bare.close();
      }
    } finally {
      await other.close();
    }
  });

  it('switches to English and back', async () => {
    await page.click('#lang');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('#s-gateways h2').textContent()).toBe('Gateways');
    expect(await page.locator('#s-offline h2').textContent()).toBe('Offline metering points');
    expect(await page.locator(`#s-gateways tr[data-gateway="${GW}"] .badge`).textContent()).toBe('Offline');
    expect(await page.locator(`#s-gateways tr[data-gateway="${GW}"] .backlog`).textContent()).toBe('7 items, oldest 29/07/2024 07:30');
    expect(await page.locator(`#s-anomalies tr[data-point="${SPIKE_POINT}"]`).textContent()).toContain('Consumption spike');
    expect(await page.locator('#s-anomalies thead').textContent()).toContain('Metering point');
    expect(await page.locator('#lang').textContent()).toBe('Tiếng Việt');
    expect(await page.title()).toBe('chiso — Operators');
    await page.click('#lang');
    expect(await page.locator('#s-gateways h2').textContent()).toBe('Bộ thu thập (gateway)');
    expect(await page.locator('#lang').textContent()).toBe('English');
    await page.click('#lang'); // English for the rest: the choice must survive a reload
  });

  it('dismisses an anomaly only with a note, and the decision is in the database', async () => {
    const id = eventIdOf(a, SPIKE_POINT);
    await page.fill('#operator-name', 'Nguyễn Văn An');
    await page.dispatchEvent('#operator-name', 'change');
    const row = page.locator(`#s-anomalies tr[data-event="${id}"]`);
    await row.locator('button.dismiss').click();
    await row.locator('.note-form button[type=submit]').click(); // empty note
    await row.locator('.note-form .error', { hasText: 'A note saying why is required.' }).waitFor();
    expect(stateOf(a, id)).toBe('open');

    await row.locator('textarea').fill('khách đi vắng, sản lượng bình thường');
    await row.locator('.note-form button[type=submit]').click();
    await page.locator('#notice', { hasText: 'Dismissed' }).waitFor();
    await page.locator(`#s-anomalies tr[data-event="${id}"]`).waitFor({ state: 'detached' });
    expect(stateOf(a, id)).toBe('dismissed');
    expect(a.agg.db.store.db.prepare('SELECT action, note, reviewed_by AS by FROM event_reviews WHERE event_id = ?').get(id)).toEqual({
      action: 'dismiss',
      note: 'khách đi vắng, sản lượng bình thường',
      by: 'Nguyễn Văn An',
    });
  });

  it('shows the API’s message when a decision is refused (another operator decided first)', async () => {
    const id = eventIdOf(a, DROP_POINT);
    const other = await a.api('POST', `/api/events/${id}/confirm`, { body: { by: 'operator-2' } });
    expect(other.status).toBe(200);
    await page.locator(`#s-anomalies tr[data-event="${id}"] button.confirm`).click();
    await page.locator('#notice.error', { hasText: `event ${id} is already confirmed` }).waitFor();
    expect(await page.locator('#notice').textContent()).toContain('API_EVENT_ALREADY_REVIEWED');
  });

  it('asks for a phúc tra of a point and lists it; a refused request shows the API’s message', async () => {
    await page.locator('#s-reverify .empty').waitFor();
    await page.fill('#reverify-point', 'PD09999999999001');
    await page.click('#reverify-form button[type=submit]');
    await page.locator('#notice.error', { hasText: 'metering point PD09999999999001 is in no read and no book' }).waitFor();
    expect(await page.locator('#notice').textContent()).toContain('API_POINT_NOT_FOUND');

    await page.fill('#reverify-point', OFFLINE_POINT);
    await page.click('#reverify-form button[type=submit]');
    const row = page.locator(`#s-reverify tr[data-point="${OFFLINE_POINT}"]`);
    await row.waitFor();
    expect(await row.locator('.badge').textContent()).toBe('Sent');
    expect(a.agg.db.store.db.prepare('SELECT gateway_id AS gw, meter_id AS meter, requested_by AS by, state FROM reverifications').all()).toEqual([
      { gw: GW, meter: 'MTR-1', by: 'Nguyễn Văn An', state: 'sent' },
    ]);
    expect(commandsSent).toEqual([`chiso/v1/gw/${GW}/cmd`]);
  });

  it('keeps the token and the language across a reload, and forgets the token on sign-out', async () => {
    await page.reload();
    await page.locator('#main').waitFor({ state: 'visible' });
    expect(await page.locator('#s-gateways h2').textContent()).toBe('Gateways');
    await page.locator(`#s-gateways tr[data-gateway="${GW}"]`).waitFor();
    expect(await page.locator('#s-anomalies .empty').textContent()).toBe('No anomaly is waiting.');
    await page.click('#sign-out');
    expect(await page.locator('#login').isVisible()).toBe(true);
    expect(await page.evaluate("sessionStorage.getItem('chiso.adminToken')")).toBeNull();
  });

  it('loads nothing the CSP refuses and throws no script errors', () => {
    expect(problems).toEqual([]);
  });
});

/** Topics of the phúc tra commands the reverifier handed over (the broker side of it is tested in test/aggregator/reverify). */
const commandsSent: string[] = [];

/**
 * buildHttpApi over the aggregator's own database, with the page, the book endpoints and the phúc tra
 * endpoints (a real Reverifier; its commands are collected instead of published) mounted.
 */
async function servePage(a: Running, options: { books?: boolean } = {}): Promise<HttpListener> {
  const reverifier = new Reverifier({}, { db: a.agg.db.store.db, key: a.agg.key, publisher: { publish: async (topic) => void commandsSent.push(topic) }, logger: silent });
  const api = buildHttpApi({
    data: centralQueries(a.agg.db.store.db),
    enrolment: a.agg.db.enrolment,
    adminToken: ADMIN_TOKEN,
    tokenTtlMs: 60_000,
    brokerUrlFor: () => a.mqttUrl,
    topicRoot: 'chiso/v1',
    aggregator: { name: 'test aggregator', publicKeyPem: a.agg.key.publicKeyPem, keyId: a.agg.key.keyId },
    health: () => ({ ok: true }),
    logger: silent,
    extraRoutes: (kit) => [
      ...pageRoutes(kit),
      ...reverifyRoutes(kit, { reverifier }),
      ...(options.books === false ? [] : bookRoutes(kit, { db: a.agg.db.store.db, exportDir: join(a.dir, 'books') })),
    ],
  });
  return listenHttp(api.handler, '127.0.0.1', 0);
}

/** What a gateway would have sent: its shutdown, reads with book and route, reachability events and two anomalies. */
async function feed(a: Running, gw: TestGateway): Promise<void> {
  const status = encodeStatus({
    v: 1, gatewayId: GW, state: 'offline', reason: 'shutdown', version: '0.1.0', configHash: 'sha256:abc', at: '2024-07-29T01:00:00Z',
    backlog: { count: 7, oldestAt: '2024-07-29T00:30:00Z', bytes: 900 },
  });
  await gw.client.publishAsync(gatewayTopic(GW, 'status'), Buffer.from(status), { qos: 1, retain: true });

  const reads = [
    sampleRead(GW, { meterId: 'MTR-1', meteringPoint: OFFLINE_POINT, bookCode: 'D018400', routeOrder: 17 }),
    sampleRead(GW, { meterId: 'MTR-2', meteringPoint: BACK_POINT, bookCode: 'D018400', routeOrder: 18 }),
  ];
  await gw.client.publishAsync(gatewayTopic(GW, 'reads'), Buffer.from(signBatch({ gatewayId: GW, epoch: 'r1', seqFrom: 1, seqTo: 2, createdAt: '2024-07-29T00:00:00Z', reads }, gw.signer.privateKey, gw.signer.keyId)), { qos: 1 });
  expect(await gw.nextAck()).toMatchObject({ stream: 'reads', result: 'stored', storedCount: 2 });

  const reach = (type: 'meter-offline' | 'meter-online', meterId: string, meteringPoint: string, at: string, since: string): GatewayEvent => ({
    type, at, meterId, meteringPoint, since, consecutiveFailures: type === 'meter-offline' ? 18 : 0, lastGoodRead: '2024-07-26T02:00:00Z', lastError: 'TRANSPORT_TIMEOUT',
  });
  const anomaly = (meterId: string, meteringPoint: string, code: 'consumption-spike' | 'consumption-drop'): GatewayEvent => ({
    type: 'anomaly', at: '2024-07-29T01:00:00Z', anomalyId: `${GW}|${meterId}|${code}|2024-07`, state: 'raised', code, severity: 'warning', meterId, meteringPoint,
    evidence: { previousConsumptionKwh: '212', projectedConsumptionKwh: '455' }, thresholds: { upPercent: 30 },
  });
  const events: GatewayEvent[] = [
    reach('meter-offline', 'MTR-1', OFFLINE_POINT, '2024-07-26T04:00:00Z', '2024-07-26T10:00:00+07:00'),
    reach('meter-offline', 'MTR-2', BACK_POINT, '2024-07-26T04:00:00Z', '2024-07-26T09:00:00+07:00'),
    reach('meter-online', 'MTR-2', BACK_POINT, '2024-07-27T04:00:00Z', '2024-07-27T10:00:00+07:00'),
    anomaly('MTR-3', SPIKE_POINT, 'consumption-spike'),
    anomaly('MTR-4', DROP_POINT, 'consumption-drop'),
  ];
  await gw.client.publishAsync(gatewayTopic(GW, 'events'), Buffer.from(signEvents({ gatewayId: GW, epoch: 'e1', seqFrom: 1, seqTo: events.length, createdAt: '2024-07-29T01:00:05Z', events }, gw.signer.privateKey, gw.signer.keyId)), { qos: 1 });
  expect(await gw.nextAck()).toMatchObject({ stream: 'events', result: 'stored', storedCount: events.length });
  await waitFor(() => a.agg.db.gateways.get(GW)?.state === 'offline', 'the gateway offline');
}

function eventIdOf(a: Running, point: string): number {
  return (a.agg.db.store.db.prepare(`SELECT id FROM events WHERE type = 'anomaly' AND metering_point = ?`).get(point) as { id: number }).id;
}

function stateOf(a: Running, id: number): string {
  return (a.agg.db.store.db.prepare('SELECT state FROM events WHERE id = ?').get(id) as { state: string }).state;
}
