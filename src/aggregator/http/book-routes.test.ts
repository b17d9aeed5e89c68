import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { addAnomaly, addRead, CUTOFF, HOUR, importRows, PE } from '../../../test/aggregator/books/close-fixtures.js';
import { tempDir } from '../../../test/store/temp-dir.js';
import { parseBookXml } from '../cmis/book-file.js';
import { centralQueries } from '../service/central-queries.js';
import { openCentralDb, type CentralDb } from '../store/index.js';
import type { Clock } from '../../shared/clock.js';
import { buildHttpApi } from './api.js';
import { bookRoutes } from './book-routes.js';
import { listenHttp, type HttpListener } from './listen.js';

const ADMIN = 'admin-token-for-book-routes';

describe('the books endpoints', () => {
  let tmp: ReturnType<typeof tempDir>;
  let central: CentralDb;
  let http: HttpListener;
  let now = PE - 12 * HOUR;
  const clock: Clock = { now: () => now, setTimeout: () => ({ id: 0 }), clearTimeout: () => {} };

  beforeEach(async () => {
    tmp = tempDir('chiso-book-routes-');
    central = openCentralDb({ path: tmp.file('central.db') });
    now = PE - 12 * HOUR;
    const api = buildHttpApi({
      data: centralQueries(central.store.db),
      enrolment: central.enrolment,
      adminToken: ADMIN,
      tokenTtlMs: 60_000,
      brokerUrlFor: () => 'mqtt://127.0.0.1:1883',
      topicRoot: 'chiso/v1',
      aggregator: { name: 'test', publicKeyPem: 'PEM', keyId: '0011223344556677' },
      health: () => ({ ok: true }),
      logger: pino({ level: 'silent' }),
      clock,
      extraRoutes: (kit) => bookRoutes(kit, { db: central.store.db, exportDir: tmp.file('exports') }),
    });
    http = await listenHttp(api.handler, '127.0.0.1', 0);
  });
  afterEach(async () => {
    await http.close();
    central.close();
    tmp.cleanup();
  });

  async function call(method: 'GET' | 'POST', path: string, body?: unknown, token = ADMIN): Promise<{ status: number; json: any; res: Response }> {
    const res = await fetch(`http://127.0.0.1:${http.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, json: type.startsWith('application/json') ? await res.json() : undefined, res };
  }

  it('lists books with progress before cutoff, closes, decides flags, exports and downloads the files', async () => {
    const db = central.store.db;
    const id = importRows(db, [
      { MA_DDO: 'P001', MA_GC: '2' },
      { MA_DDO: 'P002', MA_GC: '1' },
      { MA_DDO: 'P003', MA_GC: '3' },
      { MA_DDO: 'P004', MA_GC: '10' },
    ]);
    addRead(db, { point: 'P001', value: '12280', at: now - HOUR }); // read today, before the period end
    addRead(db, { point: 'P003', meter: 'SOMEONE-ELSE', value: '12280', at: now - HOUR }); // another meter: not this row's read
    addAnomaly(db, { point: 'P004', anomalyId: 'a1', code: 'no-advance', state: 'raised', at: now - HOUR });

    expect((await call('GET', '/api/books', undefined, 'wrong-token-wrong-token')).status).toBe(401);
    const before = await call('GET', '/api/books');
    expect(before.status).toBe(200);
    expect(before.json.books).toEqual([
      expect.objectContaining({ id, code: 'D018328', state: 'open', periodEnd: new Date(PE).toISOString(), progress: { rows: 4, read: 1, estimated: 0, missing: 3, fieldRead: 0, needsReview: 0, openFlags: 0, openBlockingFlags: 0 }, latestExport: null }),
    ]);

    const early = await call('POST', `/api/books/${id}/close`);
    expect(early).toMatchObject({ status: 409, json: { error: { code: 'API_BOOK_NOT_DUE' } } });
    expect(await call('POST', `/api/books/${id}/export`, {})).toMatchObject({ status: 409, json: { error: { code: 'API_BOOK_NOT_CLOSED' } } });

    now = CUTOFF;
    addRead(db, { point: 'P001', value: '12300', at: PE, kind: 'billing-snapshot' });
    addRead(db, { point: 'P002', value: '11000', at: PE, kind: 'billing-snapshot' }); // below CS_CU: needs review
    addRead(db, { point: 'P004', value: '12420', at: PE, kind: 'billing-snapshot' }); // +40 %
    const closed = await call('POST', `/api/books/${id}/close`);
    expect(closed.status).toBe(200);
    expect(closed.json.summary).toMatchObject({ state: 'closed', rows: 4, outcomes: { read: 2, estimated: 1, 'needs-review': 1 }, openBlockingFlags: 1 });

    const detail = await call('GET', `/api/books/${id}`);
    expect(detail.json.rows.map((r: { meteringPoint: string }) => r.meteringPoint)).toEqual(['P002', 'P001', 'P003', 'P004']); // route order: 1, 2, 3, 10
    const p004 = detail.json.rows[3];
    expect(p004).toMatchObject({ progress: 'read', closing: { outcome: 'read', newIndex: '12420', consumption: '420' } });
    expect(p004.flags.map((f: { code: string }) => f.code).sort()).toEqual(['anomaly:no-advance', 'consumption-change']);
    expect(detail.json.book.progress).toMatchObject({ read: 2, estimated: 1, needsReview: 1, missing: 0, openBlockingFlags: 1 });

    const blocked = await call('POST', `/api/books/${id}/export`, {});
    expect(blocked).toMatchObject({ status: 409, json: { error: { code: 'API_EXPORT_BLOCKED' } } });
    expect(await call('POST', `/api/books/${id}/export`, { override: true })).toMatchObject({ status: 400 });

    const open = await call('GET', `/api/flags?bookId=${id}&state=open`);
    const review = open.json.flags.find((f: { code: string }) => f.code === 'needs-review');
    expect(review).toMatchObject({ meteringPoint: 'P002', blocking: true, state: 'open' });
    expect(await call('POST', `/api/flags/${review.id}/dismiss`, {})).toMatchObject({ status: 400 });
    const dismissed = await call('POST', `/api/flags/${review.id}/dismiss`, { note: 'snapshot of the wrong register, re-read', by: 'op1' });
    expect(dismissed).toMatchObject({ status: 200, json: { flag: { state: 'dismissed', note: 'snapshot of the wrong register, re-read', decidedBy: 'op1' } } });
    expect(await call('POST', `/api/flags/${review.id}/confirm`, {})).toMatchObject({ status: 409, json: { error: { code: 'API_FLAG_ALREADY_DECIDED' } } });
    expect(await call('POST', '/api/flags/99999/confirm', {})).toMatchObject({ status: 404, json: { error: { code: 'API_FLAG_NOT_FOUND' } } });
    expect(await call('GET', '/api/flags?state=maybe')).toMatchObject({ status: 400 });

    const exported = await call('POST', `/api/books/${id}/export`, { by: 'op1' });
    expect(exported).toMatchObject({ status: 201, json: { reused: false, export: { version: 1, xmlFile: 'D018328-2026-3-1.xml', rows: 4 } } });
    expect(await call('POST', `/api/books/${id}/export`, {})).toMatchObject({ status: 200, json: { reused: true, export: { version: 1 } } });
    const list = await call('GET', `/api/books/${id}/exports`);
    expect(list.json.exports).toHaveLength(1);

    const xml = await call('GET', exported.json.export.xmlUrl);
    expect(xml.status).toBe(200);
    expect(xml.res.headers.get('content-type')).toBe('application/xml; charset=utf-8');
    expect(xml.res.headers.get('content-disposition')).toBe('attachment; filename="D018328-2026-3-1.xml"');
    const parsed = parseBookXml(new Uint8Array(await xml.res.arrayBuffer()), 'D018328-2026-3-1.xml');
    expect(parsed.rows.find((r) => r.MA_DDO === 'P001')).toMatchObject({ CS_MOI: '12300', SL_MOI: '300' });
    const csv = await call('GET', exported.json.export.csvUrl);
    expect(csv.res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.res.headers.get('content-disposition')).toBe('attachment; filename="D018328-2026-3-1.csv"');
    expect((await csv.res.text()).includes('P001')).toBe(true);

    expect(await call('GET', '/api/exports/777/xml')).toMatchObject({ status: 404, json: { error: { code: 'API_EXPORT_NOT_FOUND' } } });
    expect(await call('GET', '/api/books/777')).toMatchObject({ status: 404, json: { error: { code: 'API_BOOK_NOT_FOUND' } } });
    expect(await call('POST', '/api/books/777/close')).toMatchObject({ status: 404, json: { error: { code: 'API_BOOK_NOT_FOUND' } } });
    expect(await call('GET', '/api/books/abc')).toMatchObject({ status: 400 });
    expect((await call('GET', '/api/books')).json.books[0]).toMatchObject({ state: 'exported', latestExport: { version: 1 } });
  });

  it('exports over open blocking flags with an override and a note, kept with the export', async () => {
    const db = central.store.db;
    const id = importRows(db, [{ MA_DDO: 'P001' }]);
    addRead(db, { point: 'P001', value: '11000', at: PE, kind: 'billing-snapshot' });
    now = CUTOFF;
    await call('POST', `/api/books/${id}/close`);
    const res = await call('POST', `/api/books/${id}/export`, { override: true, note: 'CMIS corrects P001 by hand', by: 'op2' });
    expect(res).toMatchObject({ status: 201, json: { export: { overrideBy: 'op2', overrideNote: 'CMIS corrects P001 by hand' } } });
  });
});
