import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ERRORS, buildHttpApi, listenHttp, type HttpListener } from '../../../src/aggregator/http/index.js';
import { brokerUrlFor, centralQueries, ingestUrl } from '../../../src/aggregator/service/index.js';
import { openCentralDb, type CentralDb } from '../../../src/aggregator/store/index.js';
import { root } from '../../support/processes.js';
import { tempDir } from '../../store/temp-dir.js';
import { silent, TEST_SCRYPT } from '../ingest/harness.js';

describe('the HTTP API on its own (no broker, no ingest)', () => {
  const tmp = tempDir('chiso-http-');
  let db: CentralDb;
  let http: HttpListener;
  let hostSeen: string | undefined;
  const url = (path: string) => `http://127.0.0.1:${http.port}${path}`;

  beforeAll(async () => {
    db = openCentralDb({ path: tmp.file('central.db'), scrypt: TEST_SCRYPT });
    const api = buildHttpApi({
      data: centralQueries(db.store.db),
      enrolment: db.enrolment,
      // no adminToken: the operator endpoints are off
      tokenTtlMs: 60_000,
      brokerUrlFor: (host) => ((hostSeen = host), `mqtt://broker.test:1883`),
      topicRoot: 'chiso/v1',
      aggregator: { name: 'unit', publicKeyPem: 'PEM', keyId: '0011223344556677' },
      health: () => ({ ok: false, database: 'ok', ingest: 'stopped' }),
      logger: silent,
    });
    http = await listenHttp(api.handler, '127.0.0.1', 0);
  });
  afterAll(async () => {
    await http.close();
    db.close();
    tmp.cleanup();
  });

  it('turns the operator endpoints off when no admin token is configured', async () => {
    for (const [method, path] of [['GET', '/api/gateways'], ['POST', '/api/enrolment/tokens'], ['GET', '/api/reads']] as const) {
      const res = await fetch(url(path), { method, headers: { authorization: 'Bearer anything-at-all-here' }, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('API_ADMIN_DISABLED');
    }
  });

  it('health answers 503 when a part is down', async () => {
    const res = await fetch(url('/api/health'));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ok: false, ingest: 'stopped', name: 'unit' });
  });

  it('enrols with a token, telling the broker URL for the Host the gateway used', async () => {
    const { token } = db.enrolment.issue('GW-H', 60_000, Date.now());
    const { generateKeyPair } = await import('../../../src/wire/index.js');
    const kp = generateKeyPair();
    const res = await fetch(url('/api/enrol'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, gatewayId: 'GW-H', publicKeyPem: kp.publicKeyPem }) });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { keyId: string; mqtt: { url: string; username: string; password: string } };
    expect(body).toMatchObject({ keyId: kp.keyId, mqtt: { url: 'mqtt://broker.test:1883', username: 'GW-H', clientId: 'GW-H', topicRoot: 'chiso/v1' } });
    expect(hostSeen).toBe(`127.0.0.1:${http.port}`);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a bad public key with a good token, and the token stays usable', async () => {
    const { token } = db.enrolment.issue('GW-K', 60_000, Date.now());
    const json = { 'content-type': 'application/json' };
    const bad = await fetch(url('/api/enrol'), { method: 'POST', headers: json, body: JSON.stringify({ token, gatewayId: 'GW-K', publicKeyPem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }) });
    expect(bad.status).toBe(400);
    const text = await fetch(url('/api/enrol'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(text.status).toBe(415);
    const { generateKeyPair } = await import('../../../src/wire/index.js');
    const good = await fetch(url('/api/enrol'), { method: 'POST', headers: json, body: JSON.stringify({ token, gatewayId: 'GW-K', publicKeyPem: generateKeyPair().publicKeyPem }) });
    expect(good.status).toBe(201);
  });
});

describe('broker URLs', () => {
  const embedded = { embedded: true as const, host: '0.0.0.0', port: 1883 };
  it('tells gateways the public URL, else the external URL, else the Host they used with the right port', () => {
    expect(brokerUrlFor({ ...embedded, publicUrl: 'mqtts://pub.example:8883' }, { plain: 1883, tls: 8883 }, 'x:1')).toBe('mqtts://pub.example:8883');
    expect(brokerUrlFor({ embedded: false, url: 'mqtt://ext:1883', username: 'u' }, { plain: undefined, tls: undefined }, 'x:1')).toBe('mqtt://ext:1883');
    expect(brokerUrlFor(embedded, { plain: 41883, tls: undefined }, 'agg.example:8080')).toBe('mqtt://agg.example:41883');
    expect(brokerUrlFor(embedded, { plain: 1883, tls: 8883 }, '[::1]:8080')).toBe('mqtts://[::1]:8883');
    expect(brokerUrlFor(embedded, { plain: 1883, tls: undefined }, undefined)).toBe('mqtt://127.0.0.1:1883');
  });
  it('connects the ingest to loopback when the broker listens on every interface', () => {
    expect(ingestUrl('0.0.0.0', 5)).toBe('mqtt://127.0.0.1:5');
    expect(ingestUrl('10.0.0.5', 5)).toBe('mqtt://10.0.0.5:5');
    expect(ingestUrl('::1', 5)).toBe('mqtt://[::1]:5');
  });
});

describe('the error catalogue', () => {
  it('documents every code with its status in src/aggregator/http/README.md, and nothing else', () => {
    const readme = readFileSync(join(root, 'src/aggregator/http/README.md'), 'utf8');
    const documented = [...readme.matchAll(/^\| `(API_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(Object.fromEntries(documented)).toEqual(API_ERRORS);
  });
});
