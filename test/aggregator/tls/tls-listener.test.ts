import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionGateway, type ProvisionResult } from '../../../src/cli/provision-command.js';
import { loadGatewayConfig } from '../../../src/config/index.js';
import { createForwarder, forwarderMqttOptions, type Forwarder, type ForwarderLogger } from '../../../src/gateway/forwarder/index.js';
import { systemClock } from '../../../src/shared/clock.js';
import { openStore, Outbox, type Store } from '../../../src/store/index.js';
import { gatewayTopic, loadPrivateKey, loadPublicKey, signBatch } from '../../../src/wire/index.js';
import { sampleBatch, sampleRead, testSigner } from '../../../src/wire/test-helpers.js';
import { count, enrolAndConnect, waitFor, type TestGateway } from '../ingest/harness.js';
import { ADMIN_TOKEN, configText, startTestAggregator, type Running } from '../service/helpers.js';

/**
 * The embedded broker's TLS listener, end to end: the real aggregator (buildAggregator) with its plain and
 * TLS listeners on free ports, a test CA and a server certificate for 127.0.0.1 (test/fixtures/tls, not
 * secret). Gateways that trust the CA deliver signed reads over mqtts; a client that does not is stopped
 * at the handshake, before the broker ever sees a CONNECT.
 */
const FIXTURES = new URL('../../fixtures/tls/', import.meta.url).pathname;
const CA_FILE = join(FIXTURES, 'ca.crt');
const CA = readFileSync(CA_FILE, 'utf8');

/** The aggregator test config with a TLS listener on 127.0.0.1, port 0, using the fixture certificate. */
function tlsConfigText(dir: string): string {
  const tls = `  tls:\n    host: 127.0.0.1\n    port: 0\n    certFile: ${join(FIXTURES, 'server.crt')}\n    keyFile: ${join(FIXTURES, 'server.key')}\n`;
  return configText(dir).replace('  port: 0\ntopicRoot:', `  port: 0\n${tls}topicRoot:`);
}

/** Handshake failures Node reports for a certificate chain that ends in a CA the client does not trust. */
const UNTRUSTED = ['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'];

/** Connections the broker accepted (the ingest's and the command client's own logins included). */
function accepted(a: Running): number {
  const m = /chiso_aggregator_broker_events\{counter="connect\.accepted"\} (\d+)/.exec(a.agg.metricsText());
  return m === null ? 0 : Number(m[1]);
}

let a: Running;
let tlsUrl: string;

beforeAll(async () => {
  a = await startTestAggregator(tlsConfigText);
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
    ['TBA-Tls-03', 'trusting another anchor (the server certificate itself is no CA)', { ca: readFileSync(join(FIXTURES, 'server.crt'), 'utf8') }],
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
  let store: Store | undefined;
  let eventsStore: Store | undefined;
  const forwarders: Forwarder[] = [];

  afterAll(async () => {
    for (const f of forwarders) await f.close();
    store?.close();
    eventsStore?.close();
  });

  /** A small valid gateway file: one TCP meter (no password files), the test CA to trust. */
  function template(caFile: string | undefined): string {
    return `gateway:
  id: placeholder
  unitCode: PD0100
  substation: TEST0001
buses: []
models:
  house:
    registers:
      - { obis: 1.0.1.8.0.255, bcs: KT, unit: kWh }
meters:
  - id: M1
    meteringPoint: PD01000000001001
    model: house
    tcp: { host: 127.0.0.1, port: 4059, wPort: 1 }
    auth: { clientSap: 16 }
mqtt:
  url: mqtt://placeholder:1883
${caFile === undefined ? '' : `  caFile: ${caFile}\n`}keys:
  privateKeyFile: keys/gateway.key
dataDir: data
`;
  }

  /** Records the forwarder's log lines (the TLS refusal is only visible there). */
  function recorder(lines: { level: string; obj: Record<string, unknown>; msg?: string }[]): ForwarderLogger {
    const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, ...(msg === undefined ? {} : { msg }) });
    const logger: ForwarderLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
    return logger;
  }

  function startFromConfig(configFile: string, logger: ForwarderLogger, storeName: string): { forwarder: Forwarder; outbox: Outbox } {
    const config = loadGatewayConfig(configFile, { env: {} });
    store = openStore({ path: join(a.dir, `${storeName}-reads.sqlite`) });
    eventsStore = openStore({ path: join(a.dir, `${storeName}-events.sqlite`) });
    const outbox = new Outbox(store);
    const privateKey = loadPrivateKey(readFileSync(config.keys.privateKeyFile, 'utf8'));
    const forwarder = createForwarder({
      gatewayId: config.gateway.id,
      keyId: provisioned.keyId,
      privateKey,
      outbox,
      eventsOutbox: new Outbox(eventsStore),
      aggregatorKeys: [loadPublicKey(readFileSync(config.keys.aggregatorPublicKeyFile!, 'utf8'))],
      mqtt: { ...forwarderMqttOptions(config.mqtt), connectTimeoutMs: 5_000, reconnectInitialMs: 200, reconnectMaxMs: 1_000 },
      clock: systemClock,
      logger,
      version: '0.1.0-test',
      configHash: 'sha256:test',
    });
    forwarders.push(forwarder);
    forwarder.start();
    return { forwarder, outbox };
  }

  function appendReads(outbox: Outbox, n: number): string[] {
    const reads = Array.from({ length: n }, (_, i) => sampleRead(GW, { meterId: `M${i + 1}`, value: `${1000 + i}.5` }));
    outbox.append(reads.map((r) => ({ readId: r.readId, kind: 'read' as const, billing: false, payload: JSON.stringify(r), createdAt: Date.now() })));
    return reads.map((r) => r.readId);
  }

  it('provision hands the gateway the TLS broker URL', async () => {
    const issued = await a.api('POST', '/api/enrolment/tokens', { body: { gatewayId: GW }, token: ADMIN_TOKEN });
    expect(issued.status).toBe(201);
    const out = join(a.dir, 'gw-tls');
    const templateFile = join(a.dir, 'template.yaml');
    writeFileSync(templateFile, template(CA_FILE));
    provisioned = await provisionGateway({ aggregatorUrl: a.apiUrl, token: issued.json.token, gatewayId: GW, outDir: out, templateFile });
    expect(provisioned.brokerUrl).toBe(tlsUrl);
    expect(provisioned.remaining).toEqual([]);
    const config = loadGatewayConfig(provisioned.files.config, { env: {} });
    expect(config.mqtt.url).toBe(tlsUrl);
    expect(config.mqtt.caFile).toBe(CA_FILE);
    expect(forwarderMqttOptions(config.mqtt)).toMatchObject({ url: tlsUrl, username: GW, clientId: GW, ca: CA });
  });

  it("the gateway's forwarder, built from that config, delivers its outbox over mqtts and the reads are stored", async () => {
    const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
    const { forwarder, outbox } = startFromConfig(provisioned.files.config, recorder(lines), 'trusting');
    await waitFor(() => forwarder.status().connected, 'the forwarder connected over TLS');
    const ids = appendReads(outbox, 4);
    forwarder.wake();
    await waitFor(() => outbox.backlog().count === 0, 'the outbox emptied by the aggregator ack');
    const stored = a.agg.db.store.db.prepare(`SELECT read_id FROM reads WHERE gateway_id = ? ORDER BY read_id`).all(GW) as { read_id: string }[];
    expect(stored.map((r) => r.read_id)).toEqual([...ids].sort());
    await forwarder.close();
    store?.close();
    eventsStore?.close();
    store = eventsStore = undefined;
  });

  it('without mqtt.caFile the same forwarder is refused at the handshake and sends nothing', async () => {
    const text = readFileSync(provisioned.files.config, 'utf8');
    expect(text).toContain(`caFile: ${CA_FILE}`);
    writeFileSync(provisioned.files.config, text.replace(`  caFile: ${CA_FILE}\n`, ''));
    const readsBefore = count(a.agg.db, 'reads');
    const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
    const { forwarder, outbox } = startFromConfig(provisioned.files.config, recorder(lines), 'untrusting');
    appendReads(outbox, 2);
    forwarder.wake();
    const tlsRefusal = () => lines.find((l) => UNTRUSTED.includes(String((l.obj.err as NodeJS.ErrnoException | undefined)?.code)));
    await waitFor(() => tlsRefusal() !== undefined, 'the forwarder to log the TLS refusal');
    expect(tlsRefusal()!.obj.url).toBe(tlsUrl);
    expect(forwarder.status().connected).toBe(false);
    expect(outbox.backlog().count).toBe(2);
    expect(count(a.agg.db, 'reads')).toBe(readsBefore);
  });
});
