import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionGateway, type ProvisionResult } from '../../../src/cli/provision-command.js';
import { loadGatewayConfig } from '../../../src/config/index.js';
import { forwarderMqttOptions } from '../../../src/gateway/forwarder/index.js';
import { gatewayTopic, signBatch } from '../../../src/wire/index.js';
import { sampleBatch, testSigner } from '../../../src/wire/test-helpers.js';
import { count, enrolAndConnect, waitFor, type TestGateway } from '../ingest/harness.js';
import { ADMIN_TOKEN, startTestAggregator, type Running } from '../service/helpers.js';
import {
  accepted,
  appendReads,
  brokerCounter,
  CA,
  CA_FILE,
  fixture,
  gatewayTemplate,
  recorder,
  startFromConfig,
  tlsConfigText,
  UNTRUSTED,
  type LogLine,
  type RunningForwarder,
} from './helpers.js';

/**
 * The embedded broker's TLS listener, end to end: the real aggregator (buildAggregator) with its plain and
 * TLS listeners on free ports, a test CA and a server certificate for 127.0.0.1 (test/fixtures/tls, not
 * secret). Gateways that trust the CA deliver signed reads over mqtts; a client that does not is stopped
 * at the handshake, before the broker ever sees a CONNECT. Without `broker.tls.caFile` (as here) the
 * listener asks for no client certificate; client-cert.test.ts runs it with one required.
 */
let a: Running;
let tlsUrl: string;

beforeAll(async () => {
  a = await startTestAggregator((dir) => tlsConfigText(dir));
  expect(a.ports.mqttTlsPort).toEqual(expect.any(Number));
  expect(a.ports.mqttTlsPort).not.toBe(a.ports.mqttPort);
  tlsUrl = `mqtts://127.0.0.1:${a.ports.mqttTlsPort}`;
});
afterAll(async () => {
  await a?.close();
});

describe('aggregator TLS listener', () => {
  let gw: TestGateway | undefined;
  afterAll(async () => {
    await gw?.client.endAsync(true);
  });

  it('a gateway trusting the test CA publishes a signed batch over mqtts, gets the ack, and the reads are stored', async () => {
    const GW = 'TBA-Tls-01';
    gw = await enrolAndConnect({ db: a.agg.db, url: tlsUrl }, GW, { ca: CA, connectTimeout: 5_000 });
    const socket = gw.client.stream as TLSSocket;
    expect(socket.encrypted).toBe(true);
    expect(socket.authorized).toBe(true);
    expect(socket.getPeerCertificate().subject.CN).toBe('localhost');

    const payload = signBatch(sampleBatch(GW, 1, 3), gw.signer.privateKey, gw.signer.keyId);
    await gw.client.publishAsync(gatewayTopic(GW, 'reads'), Buffer.from(payload), { qos: 1 });
    expect(await gw.nextAck()).toMatchObject({ gatewayId: GW, stream: 'reads', seqFrom: 1, seqTo: 3, result: 'stored', storedCount: 3 });
    expect(count(a.agg.db, 'reads', `gateway_id = '${GW}'`)).toBe(3);
  });

  it.each([
    ['TBA-Tls-02', 'trusting only the public CAs', {}],
    ['TBA-Tls-03', 'trusting another anchor (the server certificate itself is no CA)', { ca: readFileSync(fixture('server.crt'), 'utf8') }],
  ])('a client (%s) %s is refused at the handshake despite valid credentials, and nothing is stored', async (GW, _what, tlsOptions) => {
    const { token } = a.agg.db.enrolment.issue(GW, 60_000, Date.now());
    const enrolled = await a.agg.db.enrolment.consume({ token, gatewayId: GW, publicKeyPem: testSigner(GW).publicKeyPem }, Date.now);
    const readsBefore = count(a.agg.db, 'reads');
    const acceptedBefore = accepted(a);

    let client: MqttClient | undefined;
    const refusal = await connectAsync(tlsUrl, { clientId: GW, username: GW, password: enrolled.password, reconnectPeriod: 0, connectTimeout: 5_000, ...tlsOptions }).then(
      (c) => {
        client = c;
        return undefined;
      },
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    await client?.endAsync(true);
    expect(client, 'the TLS connection must not be established').toBeUndefined();
    expect(UNTRUSTED).toContain(refusal?.code);
    // The broker never saw a CONNECT: no login was accepted and nothing was stored.
    expect(accepted(a)).toBe(acceptedBefore);
    expect(count(a.agg.db, 'reads')).toBe(readsBefore);
  });

  it('without caFile no client certificate is asked for: a client offering one connects as before, and no handshake is refused', async () => {
    const refusedBefore = brokerCounter(a, 'refused.tls.no-client-cert') + brokerCounter(a, 'refused.tls.bad-client-cert');
    // The untrusted CA's certificate would be refused if it were asked for: it is not even sent.
    const GW = 'TBA-Tls-04';
    const offered = await enrolAndConnect({ db: a.agg.db, url: tlsUrl }, GW, {
      ca: CA,
      cert: readFileSync(fixture('other-client.crt'), 'utf8'),
      key: readFileSync(fixture('other-client.key'), 'utf8'),
      connectTimeout: 5_000,
    });
    try {
      const socket = offered.client.stream as TLSSocket;
      expect(socket.authorized).toBe(true);
      const payload = signBatch(sampleBatch(GW, 1, 2), offered.signer.privateKey, offered.signer.keyId);
      await offered.client.publishAsync(gatewayTopic(GW, 'reads'), Buffer.from(payload), { qos: 1 });
      expect(await offered.nextAck()).toMatchObject({ gatewayId: GW, result: 'stored', storedCount: 2 });
    } finally {
      await offered.client.endAsync(true);
    }
    expect(brokerCounter(a, 'refused.tls.no-client-cert') + brokerCounter(a, 'refused.tls.bad-client-cert')).toBe(refusedBefore);
  });

  it('the plain listener keeps working beside the TLS one', async () => {
    const plain = await enrolAndConnect({ db: a.agg.db, url: a.mqttUrl }, 'TBA-Plain-01');
    try {
      expect((plain.client.stream as Partial<TLSSocket>).encrypted).not.toBe(true);
      const payload = signBatch(sampleBatch('TBA-Plain-01', 1, 2), plain.signer.privateKey, plain.signer.keyId);
      await plain.client.publishAsync(gatewayTopic('TBA-Plain-01', 'reads'), Buffer.from(payload), { qos: 1 });
      expect(await plain.nextAck()).toMatchObject({ result: 'stored', storedCount: 2 });
    } finally {
      await plain.client.endAsync(true);
    }
  });
});

/**
 * The gateway side: `chiso provision` gets an mqtts URL from the aggregator, the technician adds
 * `mqtt.caFile`, the gateway config loader keeps it, `forwarderMqttOptions` carries it into the
 * forwarder's connect options, and the gateway's own forwarder delivers its outbox over TLS.
 */
describe('gateway forwarder over TLS, from its own config', () => {
  const GW = 'TBA-Tls-Fwd-01';
  let provisioned: ProvisionResult;
  const running: RunningForwarder[] = [];

  afterAll(async () => {
    for (const r of running) await r.stop();
  });

  function start(configFile: string, lines: LogLine[], storeName: string): RunningForwarder {
    const r = startFromConfig(configFile, provisioned.keyId, recorder(lines), a.dir, storeName);
    running.push(r);
    return r;
  }

  it('provision hands the gateway the TLS broker URL', async () => {
    const issued = await a.api('POST', '/api/enrolment/tokens', { body: { gatewayId: GW }, token: ADMIN_TOKEN });
    expect(issued.status).toBe(201);
    const out = join(a.dir, 'gw-tls');
    const templateFile = join(a.dir, 'template.yaml');
    writeFileSync(templateFile, gatewayTemplate(`  caFile: ${CA_FILE}\n`));
    provisioned = await provisionGateway({ aggregatorUrl: a.apiUrl, token: issued.json.token, gatewayId: GW, outDir: out, templateFile });
    expect(provisioned.brokerUrl).toBe(tlsUrl);
    expect(provisioned.remaining).toEqual([]);
    const config = loadGatewayConfig(provisioned.files.config, { env: {} });
    expect(config.mqtt.url).toBe(tlsUrl);
    expect(config.mqtt.caFile).toBe(CA_FILE);
    expect(forwarderMqttOptions(config.mqtt)).toMatchObject({ url: tlsUrl, username: GW, clientId: GW, ca: CA });
  });

  it("the gateway's forwarder, built from that config, delivers its outbox over mqtts and the reads are stored", async () => {
    const lines: LogLine[] = [];
    const { forwarder, outbox, stop } = start(provisioned.files.config, lines, 'trusting');
    await waitFor(() => forwarder.status().connected, 'the forwarder connected over TLS');
    const ids = appendReads(outbox, GW, 4);
    forwarder.wake();
    await waitFor(() => outbox.backlog().count === 0, 'the outbox emptied by the aggregator ack');
    const stored = a.agg.db.store.db.prepare(`SELECT read_id FROM reads WHERE gateway_id = ? ORDER BY read_id`).all(GW) as { read_id: string }[];
    expect(stored.map((r) => r.read_id)).toEqual([...ids].sort());
    await stop();
  });

  it('without mqtt.caFile the same forwarder is refused at the handshake and sends nothing', async () => {
    const text = readFileSync(provisioned.files.config, 'utf8');
    expect(text).toContain(`caFile: ${CA_FILE}`);
    writeFileSync(provisioned.files.config, text.replace(`  caFile: ${CA_FILE}\n`, ''));
    const readsBefore = count(a.agg.db, 'reads');
    const lines: LogLine[] = [];
    const { forwarder, outbox } = start(provisioned.files.config, lines, 'untrusting');
    appendReads(outbox, GW, 2);
    forwarder.wake();
    const tlsRefusal = () => lines.find((l) => UNTRUSTED.includes(String((l.obj.err as NodeJS.ErrnoException | undefined)?.code)));
    await waitFor(() => tlsRefusal() !== undefined, 'the forwarder to log the TLS refusal');
    expect(tlsRefusal()!.obj.url).toBe(tlsUrl);
    expect(forwarder.status().connected).toBe(false);
    expect(outbox.backlog().count).toBe(2);
    expect(count(a.agg.db, 'reads')).toBe(readsBefore);
  });
});
