import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { provisionGateway, type ProvisionResult } from '../../../src/cli/provision-command.js';
import { encodeHeartbeat, encodeStatus, gatewayTopic, signBatch, signEvents } from '../../../src/wire/index.js';
import { sampleBatch } from '../../../src/wire/test-helpers.js';
import { waitFor, type TestGateway } from '../ingest/harness.js';
import { configText, connectProvisioned, startTestAggregator, type Running } from './helpers.js';

const GW = 'TBA-Test-01';
const mode = (file: string) => statSync(file).mode & 0o777;

describe('aggregator service: operator token → provision → signed reads stored and acked → API', () => {
  let a: Running;
  let provisioned: ProvisionResult;
  let token: string;
  let gw: TestGateway;

  beforeAll(async () => {
    a = await startTestAggregator();
  });
  afterAll(async () => {
    await gw?.client.endAsync();
    await a?.close();
  });

  it('starts the broker and the API on free ports and answers health without a token', async () => {
    expect(a.ports.mqttPort).toBeGreaterThan(0);
    expect(a.ports.httpPort).toBeGreaterThan(0);
    const health = await a.api('GET', '/api/health', { token: false });
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ ok: true, database: 'ok', broker: 'embedded', ingest: 'running', name: 'test aggregator' });
  });

  it('refuses operator endpoints without the admin token or with a wrong one', async () => {
    const none = await a.api('POST', '/api/enrolment/tokens', { body: { gatewayId: GW }, token: false });
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe('API_UNAUTHORIZED');
    const wrong = await a.api('POST', '/api/enrolment/tokens', { body: { gatewayId: GW }, token: 'not-the-admin-token-at-all' });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ error: { code: 'API_UNAUTHORIZED', message: 'wrong admin token' } });
    expect((await a.api('GET', '/api/gateways', { token: 'wrong-wrong-wrong-wrong' })).status).toBe(401);
    expect(a.agg.db.store.db.prepare('SELECT count(*) AS n FROM enrolment_tokens').get()).toEqual({ n: 0 });
  });

  it('an operator issues a one-time token for a gateway id', async () => {
    const bad = await a.api('POST', '/api/enrolment/tokens', { body: { gatewayId: 'bad/id' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('API_BAD_REQUEST');
    const res = await a.api('POST', '/api/enrolment/tokens', { body: { gatewayId: GW } });
    expect(res.status).toBe(201);
    expect(res.json.gatewayId).toBe(GW);
    const hours = (Date.parse(res.json.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(71);
    expect(hours).toBeLessThanOrEqual(72);
    token = res.json.token;
  });

  it('provision enrols the gateway and writes its key, password, aggregator key and config', async () => {
    const out = join(a.dir, 'gw');
    provisioned = await provisionGateway({ aggregatorUrl: a.apiUrl, token, gatewayId: GW, outDir: out });
    expect(provisioned.brokerUrl).toBe(a.mqttUrl);
    expect(mode(provisioned.files.privateKey)).toBe(0o600);
    expect(mode(provisioned.files.mqttPassword)).toBe(0o600);
    expect(readFileSync(provisioned.files.aggregatorPublicKey, 'utf8')).toBe(a.agg.key.publicKeyPem);
    expect(a.agg.db.gateways.keys(GW).map((k) => k.keyId)).toEqual([provisioned.keyId]);

    const config = parseYaml(readFileSync(provisioned.files.config, 'utf8'));
    expect(config.gateway.id).toBe(GW);
    expect(config.mqtt).toMatchObject({ url: a.mqttUrl, passwordFile: 'secrets/mqtt.pwd', topicRoot: 'chiso/v1' });
    expect(config.mqtt.password).toBeUndefined();
    expect(config.keys).toEqual({ privateKeyFile: 'keys/gateway.key', aggregatorPublicKeyFile: 'keys/aggregator.pub' });
    // The example's meters are kept for the technician to edit (their password files do not exist here).
    expect(config.meters.length).toBeGreaterThan(0);
    expect(provisioned.remaining.some((l) => l.includes('passwordFile'))).toBe(true);
    expect(provisioned.remaining.some((l) => /mqtt|keys\./.test(l))).toBe(false);
  });

  it('the token cannot be used again', async () => {
    await expect(provisionGateway({ aggregatorUrl: a.apiUrl, token, gatewayId: GW, outDir: join(a.dir, 'gw-again') })).rejects.toMatchObject({ code: 'PROVISION_TOKEN_USED' });
    const direct = await a.api('POST', '/api/enrol', { token: false, body: { token, gatewayId: GW, publicKeyPem: a.agg.key.publicKeyPem } });
    expect(direct.status).toBe(409);
    expect(direct.json.error.code).toBe('API_TOKEN_USED');
    expect(a.agg.db.gateways.keys(GW)).toHaveLength(1);
  });

  it('a batch signed with the provisioned key, sent with the provisioned password, is stored and acked', async () => {
    gw = await connectProvisioned(a.mqttUrl, GW, provisioned.files);
    const payload = signBatch(sampleBatch(GW, 1, 3), gw.signer.privateKey, gw.signer.keyId);
    await gw.client.publishAsync(gatewayTopic(GW, 'reads'), Buffer.from(payload), { qos: 1 });
    expect(await gw.nextAck()).toMatchObject({ gatewayId: GW, stream: 'reads', seqFrom: 1, seqTo: 3, result: 'stored', storedCount: 3 });
  });

  it('the API returns the stored reads, filtered and paged', async () => {
    const all = await a.api('GET', '/api/reads?limit=2');
    expect(all.status).toBe(200);
    expect(all.json.reads).toHaveLength(2);
    expect(all.json.nextCursor).toEqual(expect.any(String));
    const rest = await a.api('GET', `/api/reads?limit=2&cursor=${all.json.nextCursor}`);
    expect(rest.json.reads).toHaveLength(1);
    expect(rest.json.nextCursor).toBeNull();
    const ids = [...all.json.reads, ...rest.json.reads].map((r: { readId: string }) => r.readId);
    expect(new Set(ids).size).toBe(3);
    expect(ids.sort()).toEqual(sampleBatch(GW, 1, 3).reads.map((r) => r.readId).sort());

    const byPoint = await a.api('GET', '/api/reads?meteringPoint=PD01000123456001&from=2024-07-31&to=2024-08-01');
    expect(byPoint.json.reads).toHaveLength(3);
    expect(byPoint.json.reads[0]).toMatchObject({ gatewayId: GW, meteringPoint: 'PD01000123456001', quality: ['ok'], multiplier: '1' });
    expect((await a.api('GET', '/api/reads?meteringPoint=PD01000999999001')).json.reads).toEqual([]);
    expect((await a.api('GET', '/api/reads?from=2024-08-01')).json.reads).toEqual([]);

    const typo = await a.api('GET', '/api/reads?meteringpoint=PD01000123456001');
    expect(typo.status).toBe(400);
    expect(typo.json.error.message).toContain('meteringpoint');
    expect((await a.api('GET', '/api/reads?from=yesterday')).status).toBe(400);
  });

  it('the API shows the gateway state from its birth and heartbeat', async () => {
    const at = new Date().toISOString();
    await gw.client.publishAsync(
      gatewayTopic(GW, 'status'),
      Buffer.from(encodeStatus({ v: 1, gatewayId: GW, state: 'online', reason: 'birth', version: '0.1.0', configHash: 'sha256:abc', at, keyId: gw.signer.keyId, backlog: { count: 7, oldestAt: at, bytes: 900 } })),
      { qos: 1, retain: true },
    );
    await gw.client.publishAsync(gatewayTopic(GW, 'heartbeat'), Buffer.from(encodeHeartbeat({ v: 1, gatewayId: GW, at, uptimeSeconds: 60, meters: { total: 6, online: 5 } })), { qos: 0 });
    await waitFor(() => a.agg.db.gateways.get(GW)?.lastHeartbeatAt != null && a.agg.db.gateways.get(GW)?.state === 'online', 'status and heartbeat stored');
    const res = await a.api('GET', '/api/gateways');
    expect(res.status).toBe(200);
    expect(res.json.gateways).toEqual([
      expect.objectContaining({ id: GW, state: 'online', since: new Date(Date.parse(at)).toISOString(), version: '0.1.0', backlog: { count: 7, oldestAt: at, bytes: 900 }, meters: { total: 6, online: 5 }, uptimeSeconds: 60, signingKeyId: gw.signer.keyId }),
    ]);
    expect(res.json.gateways[0].lastHeartbeatAt).toEqual(expect.any(String));
  });

  it('confirm and dismiss move an open event; dismissal needs a note; a decided event stays decided', async () => {
    const anomaly = (meterId: string) => ({
      type: 'anomaly' as const, at: '2024-07-29T01:00:00Z', anomalyId: `${GW}|${meterId}|consumption-spike|2024-07`, state: 'raised' as const,
      code: 'consumption-spike' as const, severity: 'warning' as const, meterId, evidence: { changePercent: 114.6 }, thresholds: { upPercent: 30 },
    });
    const payload = signEvents(
      { gatewayId: GW, epoch: 'ev1', seqFrom: 1, seqTo: 3, createdAt: '2024-07-29T01:00:05Z', events: [anomaly('M1'), anomaly('M2'), { type: 'bus-recovered', at: '2024-07-29T01:00:00Z', bus: 'rs485-1', silentSince: '2024-07-28T01:00:00Z' }] },
      gw.signer.privateKey,
      gw.signer.keyId,
    );
    await gw.client.publishAsync(gatewayTopic(GW, 'events'), Buffer.from(payload), { qos: 1 });
    expect(await gw.nextAck()).toMatchObject({ stream: 'events', result: 'stored', storedCount: 3 });

    const open = await a.api('GET', '/api/events?state=open&type=anomaly');
    expect(open.status).toBe(200);
    expect(open.json.events.map((e: { meterId: string }) => e.meterId)).toEqual(['M2', 'M1']); // newest first
    const [m2, m1] = open.json.events as { id: number }[];

    const confirmed = await a.api('POST', `/api/events/${m1!.id}/confirm`, { body: { note: 'phúc tra ordered', by: 'operator-1' } });
    expect(confirmed.status).toBe(200);
    expect(confirmed.json.event).toMatchObject({ id: m1!.id, state: 'confirmed', review: { action: 'confirm', note: 'phúc tra ordered', by: 'operator-1' } });

    const noNote = await a.api('POST', `/api/events/${m2!.id}/dismiss`, { body: {} });
    expect(noNote.status).toBe(400);
    expect(noNote.json.error.message).toContain('note');
    const blank = await a.api('POST', `/api/events/${m2!.id}/dismiss`, { body: { note: '   ' } });
    expect(blank.status).toBe(400);
    const dismissed = await a.api('POST', `/api/events/${m2!.id}/dismiss`, { body: { note: 'customer was away, consumption normal' } });
    expect(dismissed.json.event).toMatchObject({ state: 'dismissed', review: { action: 'dismiss', note: 'customer was away, consumption normal' } });

    const again = await a.api('POST', `/api/events/${m1!.id}/dismiss`, { body: { note: 'changed my mind' } });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('API_EVENT_ALREADY_REVIEWED');
    expect((await a.api('POST', '/api/events/999999/confirm', { body: {} })).json.error.code).toBe('API_EVENT_NOT_FOUND');

    expect((await a.api('GET', '/api/events?state=open&type=anomaly')).json.events).toEqual([]);
    expect((await a.api('GET', '/api/events?state=dismissed')).json.events.map((e: { id: number }) => e.id)).toEqual([m2!.id]);
    expect((await a.api('GET', '/api/events?type=bus-recovered')).json.events).toHaveLength(1);
    expect((await a.api('GET', '/api/events?state=closed')).status).toBe(400);
  });

  it('answers unknown paths, wrong methods, bad JSON and oversized bodies with JSON errors', async () => {
    expect(await a.api('GET', '/api/nothing')).toEqual({ status: 404, json: { error: { code: 'API_NOT_FOUND', message: 'no endpoint /api/nothing' } } });
    const wrongMethod = await a.api('GET', '/api/enrol');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.json.error.code).toBe('API_METHOD_NOT_ALLOWED');
    const badJson = await a.api('POST', '/api/enrolment/tokens', { body: '{"gatewayId": ' });
    expect(badJson.status).toBe(400);
    expect(badJson.json.error.code).toBe('API_BAD_JSON');
    const huge = await a.api('POST', '/api/enrol', { token: false, body: { token: 'x', gatewayId: GW, publicKeyPem: 'A'.repeat(70 * 1024) } });
    expect(huge.status).toBe(413);
    expect(huge.json.error.code).toBe('API_BODY_TOO_LARGE');
  });
});

describe('aggregator metrics', () => {
  it('serves Prometheus metrics on their own port: gateways by state, broker and HTTP counters', async () => {
    const a = await startTestAggregator((d) => configText(d).replace('metrics: false', 'metrics: { host: 127.0.0.1, port: 0 }'));
    try {
      expect(a.ports.metricsPort).toBeGreaterThan(0);
      await a.api('GET', '/api/gateways');
      const text = await (await fetch(`http://127.0.0.1:${a.ports.metricsPort}/metrics`)).text();
      expect(text).toContain('chiso_aggregator_gateways{state="online"} 0');
      expect(text).toContain('chiso_aggregator_broker_events{counter="connect.accepted"} 1'); // the command client's own login (the ingest is attached in process)
      expect(text).toContain('chiso_aggregator_http_answers_total{route="GET /api/gateways",status="200"} 1');
      expect((await fetch(`${a.apiUrl}/metrics`)).status).toBe(404); // not on the API port
    } finally {
      await a.close();
    }
  });
});
