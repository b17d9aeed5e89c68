import { writeFileSync } from 'node:fs';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedMeter } from '../../../simulators/meter/meter-model.js';
import { startTcpMeterServer } from '../../../simulators/protocol/servers.js';
import { buildHttpApi, listenHttp, type HttpListener } from '../../../src/aggregator/http/index.js';
import { reverifyRoutes } from '../../../src/aggregator/http/reverify-routes.js';
import { buildReverifyService, type Reverification, type ReverifyService } from '../../../src/aggregator/reverify/index.js';
import { centralQueries } from '../../../src/aggregator/service/index.js';
import { parseGatewayConfig } from '../../../src/config/load-gateway-config.js';
import { buildGateway, type Gateway } from '../../../src/gateway/service/gateway.js';
import { ReadNowResultSchema } from '../../../src/wire/commands.js';
import { generateKeyPair, loadPrivateKey } from '../../../src/wire/keys.js';
import { count, INTERNAL, silent, startAggregator, waitFor, type Harness } from '../ingest/harness.js';
import { tempDir } from '../../store/temp-dir.js';
import { insertRead } from './helpers.js';

/**
 * Phúc tra end to end: HTTP request → signed read-now over the real embedded broker → the real gateway
 * reads a simulated TCP meter → the read comes back through the signed reads stream and the real ingest,
 * the response on cmd/response → verdict.
 */
const START = Date.UTC(2026, 2, 15, 3, 0, 0);
const ADMIN = 'admin-token-for-phuc-tra-tests';
const POINT = 'PD01000004001';

describe('phúc tra end to end (broker, gateway, simulated meter, ingest)', () => {
  const tmp = tempDir('chiso-phuc-tra-');
  let meterNow = START;
  const meter = new SimulatedMeter({ serial: 'PT4', seed: 4, profile: { kind: 'household' }, installedAt: Date.UTC(2025, 0, 1), initialIndexWh: 20_000_000, password: 'secret', timeSource: () => meterNow });
  const gatewayId = 'gw-phuc-tra';
  let aggregator: Harness;
  let tcp: Awaited<ReturnType<typeof startTcpMeterServer>>;
  let gateway: Gateway;
  let commands: MqttClient;
  let service: ReverifyService;
  let http: HttpListener;

  const post = (body: unknown) =>
    fetch(`http://127.0.0.1:${http.port}/api/reverifications`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const settled = async (id: number): Promise<Reverification> => {
    let row: Reverification | undefined;
    await waitFor(() => ((row = service.reverifier.get(id)), row !== undefined && (row.verdict !== null || row.state === 'failed' || row.state === 'expired')), `phúc tra ${id} to settle`, 20_000);
    return row!;
  };

  beforeAll(async () => {
    aggregator = await startAggregator();
    tcp = await startTcpMeterServer({ port: 0, wrapper: true, meters: [meter] });
    const aggregatorKeys = generateKeyPair();
    writeFileSync(tmp.file('aggregator.pub'), aggregatorKeys.publicKeyPem);
    const gatewayKeys = generateKeyPair();
    writeFileSync(tmp.file('gateway.key'), gatewayKeys.privateKeyPem, { mode: 0o600 });
    const { token } = aggregator.db.enrolment.issue(gatewayId, 60_000, Date.now());
    const enrolled = await aggregator.db.enrolment.consume({ token, gatewayId, publicKeyPem: gatewayKeys.publicKeyPem }, Date.now);
    const yaml = `
gateway: { id: ${gatewayId}, unitCode: PD0100, substation: TBA-PT }
models:
  household-1p:
    registers:
      - { obis: 1.0.1.8.0.255, bcs: KT, unit: kWh }
      - { obis: 1.0.3.8.0.255, bcs: VC, unit: kvarh }
meters:
  - id: CT4
    serial: PT4
    meteringPoint: ${POINT}
    customerCode: PD01000004
    bookCode: D0000001
    routeOrder: 4
    model: household-1p
    tcp: { host: 127.0.0.1, port: ${tcp.port}, profile: wrapper, wPort: 1, responseTimeoutMs: 1000, maxRetries: 1 }
    auth: { clientSap: 17, password: secret }
mqtt: { url: "${aggregator.url}", password: "${enrolled.password}" }
keys: { privateKeyFile: ${tmp.file('gateway.key')}, aggregatorPublicKeyFile: ${tmp.file('aggregator.pub')} }
dataDir: ${tmp.file('gw-data')}
metrics: false
`;
    gateway = buildGateway(parseGatewayConfig(yaml, tmp.file('gateway.yaml')), { logger: silent, trigger: { every: () => ({ stop: () => undefined }) } });
    await gateway.start();

    // The commands' own login at the broker: the internal user, another client id than the ingest's.
    commands = await connectAsync(aggregator.url, { username: INTERNAL.username, password: INTERNAL.password, clientId: 'chiso-aggregator-commands', reconnectPeriod: 0 });
    service = buildReverifyService({ checkIntervalMs: 50 }, { db: aggregator.db.store.db, key: { privateKey: loadPrivateKey(aggregatorKeys.privateKeyPem), keyId: aggregatorKeys.keyId }, client: commands, logger: silent });
    await service.start();
    const api = buildHttpApi({
      data: centralQueries(aggregator.db.store.db),
      enrolment: aggregator.db.enrolment,
      adminToken: ADMIN,
      tokenTtlMs: 60_000,
      brokerUrlFor: () => aggregator.url,
      topicRoot: 'chiso/v1',
      aggregator: { name: 'phuc-tra', publicKeyPem: aggregatorKeys.publicKeyPem, keyId: aggregatorKeys.keyId },
      health: () => ({ ok: true }),
      logger: silent,
      extraRoutes: (kit) => reverifyRoutes(kit, { reverifier: service.reverifier }),
    });
    http = await listenHttp(api.handler, '127.0.0.1', 0);

    // The regular cycle: the stored read that phúc tra will verify. The acks also prove the gateway's
    // subscriptions (cmd included) are in place: it subscribes before it drains its outbox.
    await gateway.runCycle('registers');
    await waitFor(() => count(aggregator.db, 'reads') === 2, 'the first reads centrally', 15_000);
    await waitFor(() => gateway.status().backlog.count === 0, 'the acks', 15_000);
  }, 40_000);

  afterAll(async () => {
    await http?.close();
    await service?.close();
    await commands?.endAsync();
    await gateway?.close();
    await tcp?.close();
    await aggregator?.close();
    tmp.cleanup();
  });

  it('an hour later the meter has kept counting: advanced, with the value from the signed reads stream', async () => {
    const storedTruth = String(meter.truthAt(START).registers.importTotal / 1000);
    meterNow = START + 3_600_000;
    const res = await post({ meteringPoint: POINT, by: 'op-hoa' });
    expect(res.status).toBe(201);
    const { reverification } = (await res.json()) as { reverification: Reverification };
    expect(reverification).toMatchObject({ state: 'sent', gatewayId, meterId: 'CT4', requestedBy: 'op-hoa' });
    expect(Number(reverification.storedValue)).toBe(Number(storedTruth));

    const row = await settled(reverification.id);
    const truth = meter.truthAt(meterNow).registers.importTotal / 1000;
    expect(row).toMatchObject({ state: 'answered', verdict: 'advanced' });
    expect(Number(row.newValue)).toBe(truth);
    expect(Number(row.newValue)).toBeGreaterThan(Number(row.storedValue));
    // The new read is a stored, signed read of this meter (not the response's unsigned copy).
    const stored = aggregator.db.store.db.prepare('SELECT value, batch_id FROM reads WHERE read_id = ?').get(row.newReadId) as { value: string; batch_id: number };
    expect(stored.value).toBe(row.newValue);
    expect(count(aggregator.db, 'signed_batches', `id = ${stored.batch_id}`)).toBe(1);
    // The gateway's answer names its reads by read id: every one of them arrived signed, flagged reread, and
    // the verdict's read is one of them.
    const answer = ReadNowResultSchema.parse((row.detail as { response: { result: unknown } }).response.result);
    expect(answer.readIds).toHaveLength(answer.registers.length);
    expect(answer.readIds).toContain(row.newReadId);
    const byId = aggregator.db.store.db.prepare('SELECT meter_id, obis, value, quality, batch_id FROM reads WHERE read_id = ?');
    await waitFor(() => answer.readIds!.every((id) => byId.get(id) !== undefined), 'every read the answer names, centrally', 15_000);
    for (const [i, id] of answer.readIds!.entries()) {
      const read = byId.get(id) as { meter_id: string; obis: string; value: string; quality: string; batch_id: number };
      expect(read).toMatchObject({ meter_id: 'CT4', obis: answer.registers[i]!.obis, value: answer.registers[i]!.value });
      // The simulated meter's clock is far from the gateway's here, so 'clock-drift' may come with it.
      expect(read.quality.split(',')).toContain('reread');
    }
    // A second request now: one pending at a time is over, this one is allowed.
    const list = (await (await fetch(`http://127.0.0.1:${http.port}/api/reverifications?meteringPoint=${POINT}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { reverifications: Reverification[] };
    expect(list.reverifications.map((r) => [r.id, r.verdict])).toEqual([[row.id, 'advanced']]);
  }, 30_000);

  it('a meter that did not move gives the same index: match', async () => {
    // Same meter time as the read just stored: the gateway's read has the same read id, already stored.
    const res = await post({ meteringPoint: POINT });
    expect(res.status).toBe(201);
    const { reverification } = (await res.json()) as { reverification: Reverification };
    const row = await settled(reverification.id);
    expect(row).toMatchObject({ state: 'answered', verdict: 'match' });
    expect(row.newValue).toBe(row.storedValue);
  }, 30_000);

  it('a meter the gateway does not have: the gateway answers an error and the request fails with its message', async () => {
    // The aggregator believes (from an older read) that meter CT9 of this gateway serves the point.
    insertRead(aggregator.db, { gatewayId, meterId: 'CT9', point: 'PD01000009001', value: '10', meterTimeMs: START, storedAt: Date.now() });
    const res = await post({ meteringPoint: 'PD01000009001' });
    expect(res.status).toBe(201);
    const { reverification } = (await res.json()) as { reverification: Reverification };
    const row = await settled(reverification.id);
    expect(row).toMatchObject({ state: 'failed', verdict: null, detail: { error: { message: expect.stringContaining('meter CT9 is not configured') } } });
  }, 30_000);

  it('answers 409 while a request is open, 404 for an unknown point, 400 for a bad body, 401 without the token', async () => {
    const first = await post({ meteringPoint: POINT });
    expect(first.status).toBe(201);
    const again = await post({ meteringPoint: POINT });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('API_REVERIFY_NOT_POSSIBLE');
    const unknown = await post({ meteringPoint: 'PD09999999001' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('API_POINT_NOT_FOUND');
    const bad = await post({ meteringPoint: 'has spaces' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('body meteringPoint');
    const anonymous = await fetch(`http://127.0.0.1:${http.port}/api/reverifications`);
    expect(anonymous.status).toBe(401);
    await settled(((await first.json()) as { reverification: Reverification }).reverification.id);
  }, 30_000);
});
