import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BookStore } from '../books/book-store.js';
import { bookImporter } from '../books/import-book.js';
import { CalendarSchema } from '../calendar/reading-calendar.js';
import { centralQueries } from '../service/central-queries.js';
import { openCentralDb, type CentralDb } from '../store/central-db.js';
import { buildHttpApi } from './api.js';
import { bookImportRoutes } from './book-import-routes.js';
import { listenHttp, type HttpListener } from './listen.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/cmis/D018328-2017-7-1.xml', import.meta.url));
const fixture = readFileSync(FIXTURE);
const ADMIN = 'admin-token-for-the-book-tests';
const XML = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/xml' };

describe('POST /api/books/import', () => {
  let dir: string;
  let central: CentralDb;
  let http: HttpListener;
  const url = (q: string) => `http://127.0.0.1:${http.port}/api/books/import${q}`;
  const post = async (q: string, body: string | Uint8Array, headers: Record<string, string> = XML) => {
    const res = await fetch(url(q), { method: 'POST', headers, body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chiso-book-http-'));
    central = openCentralDb({ path: join(dir, 'central.db') });
    const importBook = bookImporter(central.store.db, { calendar: CalendarSchema.parse({}), clock: { now: () => Date.UTC(2017, 6, 2) } });
    const api = buildHttpApi({
      data: centralQueries(central.store.db),
      enrolment: central.enrolment,
      adminToken: ADMIN,
      tokenTtlMs: 60_000,
      brokerUrlFor: () => 'mqtt://unused:1883',
      topicRoot: 'chiso/v1',
      aggregator: { name: 'unit', publicKeyPem: 'PEM', keyId: '0011223344556677' },
      health: () => ({ ok: true }),
      logger: pino({ level: 'silent' }),
      extraRoutes: (kit) => bookImportRoutes(kit, { importBook, maxBookBytes: 200_000 }),
    });
    http = await listenHttp(api.handler, '127.0.0.1', 0);
  });
  afterAll(async () => {
    await http.close();
    central.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('needs the admin token', async () => {
    const r = await post('?fileName=D018328-2017-7-1.xml', fixture, { 'content-type': 'application/xml' });
    expect(r.status).toBe(401);
  });

  it('creates the book (201), then answers 200 unchanged for the same bytes and 200 updated for a changed book', async () => {
    const created = await post('?fileName=D018328-2017-7-1.xml', fixture);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ bookCode: 'D018328', year: 2017, month: 7, subPeriod: 1, outcome: 'created', rows: 28, added: 28 });
    const same = await post('?fileName=D018328-2017-7-1.xml', fixture, { ...XML, 'content-type': 'text/xml; charset=utf-8' });
    expect(same).toMatchObject({ status: 200, body: { outcome: 'unchanged', bookId: created.body.bookId } });
    const renamed = fixture.toString('utf8').replace('<TEN_KHANG>Nguyễn Văn An</TEN_KHANG>', '<TEN_KHANG>Nguyễn Văn Anh</TEN_KHANG>');
    const updated = await post('?fileName=D018328-2017-7-1.xml', renamed);
    expect(updated).toMatchObject({ status: 200, body: { outcome: 'updated', changed: 1, added: 0, removed: 0 } });
  });

  it('a bad book is 422 API_BOOK_INVALID naming file, row and column', async () => {
    const bad = fixture.toString('utf8').replace('<CS_CU>12345.6</CS_CU>', '<CS_CU>12,345.6</CS_CU>').replaceAll('<THANG>7</THANG>', '<THANG>9</THANG>');
    const r = await post('?fileName=D018328-2017-9-1.xml', bad);
    expect(r.status).toBe(422);
    expect(r.body.error!.code).toBe('API_BOOK_INVALID');
    expect(r.body.error!.message).toMatch(/^D018328-2017-9-1\.xml: row 1 \(MA_DDO PD0100018301001, LOAI_BCS KT, line \d+\), column CS_CU:/);
  });

  it('a file name that disagrees with the rows is 422', async () => {
    const r = await post('?fileName=D018328-2017-6-1.xml', fixture);
    expect(r).toMatchObject({ status: 422, body: { error: { code: 'API_BOOK_INVALID' } } });
  });

  it('a closed book is refused with a message saying the period is closed', async () => {
    const text = fixture.toString('utf8').replaceAll('<THANG>7</THANG>', '<THANG>10</THANG>');
    const first = await post('?fileName=D018328-2017-10-1.xml', text);
    new BookStore(central.store.db).setState(first.body.bookId as number, 'closed', 1);
    const r = await post('?fileName=D018328-2017-10-1.xml', text);
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'API_BOOK_CLOSED', message: expect.stringContaining('is already closed: its period is over') });
  });

  it('refuses a missing or unsafe file name, a non-XML body type, and a body over the limit', async () => {
    expect((await post('', fixture)).body.error!.code).toBe('API_BAD_REQUEST');
    expect((await post('?fileName=../etc/D1-2017-7-1.xml', fixture)).body.error!.code).toBe('API_BAD_REQUEST');
    expect((await post('?fileName=x.xml&extra=1', fixture)).body.error!.code).toBe('API_BAD_REQUEST');
    const form = await post('?fileName=D018328-2017-7-1.xml', fixture, { ...XML, 'content-type': 'application/x-www-form-urlencoded' });
    expect(form).toMatchObject({ status: 415, body: { error: { code: 'API_UNSUPPORTED_MEDIA_TYPE' } } });
    const big = await post('?fileName=D018328-2017-7-1.xml', Buffer.alloc(200_001, 0x20));
    expect(big).toMatchObject({ status: 413, body: { error: { code: 'API_BODY_TOO_LARGE' } } });
  });
});
