import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionGateway, type ProvisionResult } from '../../../src/cli/provision-command.js';
import { CalendarSchema } from '../../../src/aggregator/calendar/reading-calendar.js';
import { ConfigError } from '../../../src/config/errors.js';
import { loadGatewayConfig } from '../../../src/config/index.js';
import { parseAggregatorConfig } from '../../../src/config/load-aggregator-config.js';
import { forwarderMqttOptions } from '../../../src/gateway/forwarder/index.js';
import { sampleBatch, testSigner } from '../../../src/wire/test-helpers.js';
import { count, waitFor } from '../ingest/harness.js';
import { ADMIN_TOKEN, startTestAggregator, type Running } from '../service/helpers.js';
import {
  accepted,
  appendReads,
  brokerCounter,
  CA,
  CA_FILE,
  CERT_GATEWAY,
  fixture,
  gatewayTemplate,
  loggedErrorCodes,
  recorder,
  startFromConfig,
  tlsConfigText,
  type LogLine,
  type RunningForwarder,
} from './helpers.js';

/**
 * `broker.tls.caFile`: the embedded broker's TLS listener requires a client certificate signed by that CA
 * (test/fixtures/tls/ca.crt), whose CN is the gateway id, on top of the id and password. The real
 * aggregator on 127.0.0.1 and the gateway's own forwarder, built from its config (`mqtt.certFile`,
 * `mqtt.keyFile`): the right certificate delivers; none, or one from another CA (other-ca.crt, same CN),
 * is stopped at the handshake, before the broker sees a CONNECT, and nothing is stored.
 */
let a: Running;
let tlsUrl: string;

beforeAll(async () => {
  a = await startTestAggregator((dir) => tlsConfigText(dir, CA_FILE));
  tlsUrl = `mqtts://127.0.0.1:${a.ports.mqttTlsPort}`;
});
afterAll(async () => {
  await a?.close();
});

const pem = (name: string) => readFileSync(fixture(name), 'utf8');
const CLIENT = { cert: pem('client.crt'), key: pem('client.key') };
const OTHER_CLIENT = { cert: pem('other-client.crt'), key: pem('other-client.key') };

/** Errors a client sees when the broker refuses its missing certificate (TLS 1.3 alert 116; TLS 1.2 alert 40). */
const NO_CERT_REFUSED = ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'EPROTO'];

/** Enrols `gatewayId` in the central DB directly and answers its one-time MQTT password. */
async function enrol(gatewayId: string): Promise<string> {
  const { token } = a.agg.db.enrolment.issue(gatewayId, 60_000, Date.now());
  const enrolled = await a.agg.db.enrolment.consume({ token, gatewayId, publicKeyPem: testSigner(gatewayId).publicKeyPem }, Date.now);
  return enrolled.password;
}

/**
 * A raw MQTT connection over the TLS listener: the client when the broker accepted it, else the error it
 * ended with (none when the socket was just dropped, as Node does with a foreign client certificate).
 */
async function tryConnect(gatewayId: string, password: string, tls: Partial<IClientOptions>): Promise<{ client?: MqttClient; error?: Error & { code?: string | number } }> {
  const client = connect(tlsUrl, { clientId: gatewayId, username: gatewayId, password, reconnectPeriod: 0, connectTimeout: 5_000, ca: CA, ...tls });
  const outcome = await new Promise<{ client?: MqttClient; error?: Error & { code?: string | number } }>((resolve) => {
    client.once('connect', () => resolve({ client }));
    client.once('error', (error: Error & { code?: string | number }) => resolve({ error }));
    client.once('close', () => resolve({}));
  });
  if (outcome.client === undefined) await client.endAsync(true);
  return outcome;
}

describe('a TLS listener with broker.tls.caFile: gateways present a client certificate', () => {
  const running: RunningForwarder[] = [];
  let provisioned: ProvisionResult;
  afterAll(async () => {
    for (const r of running) await r.stop();
  });

  function start(lines: LogLine[], storeName: string): RunningForwarder {
    const r = startFromConfig(provisioned.files.config, provisioned.keyId, recorder(lines), a.dir, storeName);
    running.push(r);
    return r;
  }

  /** Rewrites the provisioned config's certFile / keyFile (undefined: removes them). */
  function useCertificate(files: { certFile: string; keyFile: string } | undefined): void {
    const text = readFileSync(provisioned.files.config, 'utf8').replace(/^ {2}(certFile|keyFile): .*\n/gm, '');
    const lines = files === undefined ? '' : `  certFile: ${files.certFile}\n  keyFile: ${files.keyFile}\n`;
    const next = text.replace(`  caFile: ${CA_FILE}\n`, `  caFile: ${CA_FILE}\n${lines}`);
    expect(next).toContain(`caFile: ${CA_FILE}`);
    writeFileSync(provisioned.files.config, next);
  }

  it('provision keeps the certificate settings of the template, and the forwarder options carry them', async () => {
    const issued = await a.api('POST', '/api/enrolment/tokens', { body: { gatewayId: CERT_GATEWAY }, token: ADMIN_TOKEN });
    expect(issued.status).toBe(201);
    const templateFile = join(a.dir, 'template.yaml');
    writeFileSync(templateFile, gatewayTemplate(`  caFile: ${CA_FILE}\n  certFile: ${fixture('client.crt')}\n  keyFile: ${fixture('client.key')}\n`));
    provisioned = await provisionGateway({ aggregatorUrl: a.apiUrl, token: issued.json.token, gatewayId: CERT_GATEWAY, outDir: join(a.dir, 'gw-cert'), templateFile });
    expect(provisioned.brokerUrl).toBe(tlsUrl);
    expect(provisioned.remaining).toEqual([]);
    const config = loadGatewayConfig(provisioned.files.config, { env: {} });
    expect(config.mqtt).toMatchObject({ url: tlsUrl, caFile: CA_FILE, certFile: fixture('client.crt'), keyFile: fixture('client.key') });
    expect(forwarderMqttOptions(config.mqtt)).toMatchObject({ url: tlsUrl, username: CERT_GATEWAY, ca: CA, cert: CLIENT.cert, key: CLIENT.key });
  });

  it('the forwarder with its client certificate delivers its outbox over mqtts, is acked, and the reads are stored', async () => {
    const lines: LogLine[] = [];
    const { forwarder, outbox, stop } = start(lines, 'with-cert');
    await waitFor(() => forwarder.status().connected, 'the forwarder connected with its client certificate');
    const ids = appendReads(outbox, CERT_GATEWAY, 4);
    forwarder.wake();
    await waitFor(() => outbox.backlog().count === 0, 'the outbox emptied by the aggregator ack');
    expect(forwarder.status().lastAckAt).not.toBeNull();
    const stored = a.agg.db.store.db.prepare(`SELECT read_id FROM reads WHERE gateway_id = ? ORDER BY read_id`).all(CERT_GATEWAY) as { read_id: string }[];
    expect(stored.map((r) => r.read_id)).toEqual([...ids].sort());
    await stop();
  });

  it('the same forwarder without a client certificate is refused at the handshake and nothing is stored', async () => {
    useCertificate(undefined);
    const readsBefore = count(a.agg.db, 'reads');
    const acceptedBefore = accepted(a);
    const refusedBefore = brokerCounter(a, 'refused.tls.no-client-cert');
    const lines: LogLine[] = [];
    const { forwarder, outbox, stop } = start(lines, 'no-cert');
    appendReads(outbox, CERT_GATEWAY, 2);
    forwarder.wake();
    await waitFor(() => brokerCounter(a, 'refused.tls.no-client-cert') > refusedBefore, 'the broker to refuse the handshake without a certificate');
    await waitFor(() => loggedErrorCodes(lines).some((c) => NO_CERT_REFUSED.includes(c)), 'the forwarder to log the TLS refusal');
    expect(forwarder.status().connected).toBe(false);
    expect(forwarder.status().lastAckAt).toBeNull();
    expect(outbox.backlog().count).toBe(2);
    // The broker never saw a CONNECT: no login was accepted and nothing was stored.
    expect(accepted(a)).toBe(acceptedBefore);
    expect(count(a.agg.db, 'reads')).toBe(readsBefore);
    await stop();
    expect(count(a.agg.db, 'reads')).toBe(readsBefore);
  });

  it('the same forwarder with a certificate from another CA (same CN) is refused at the handshake and nothing is stored', async () => {
    useCertificate({ certFile: fixture('other-client.crt'), keyFile: fixture('other-client.key') });
    const readsBefore = count(a.agg.db, 'reads');
    const acceptedBefore = accepted(a);
    const refusedBefore = brokerCounter(a, 'refused.tls.bad-client-cert');
    const lines: LogLine[] = [];
    const { forwarder, outbox, stop } = start(lines, 'other-ca');
    appendReads(outbox, CERT_GATEWAY, 2);
    forwarder.wake();
    // Node checks the chain after the handshake and drops the socket without an alert: the broker's
    // counter is where the refusal shows, twice so the forwarder has retried too.
    await waitFor(() => brokerCounter(a, 'refused.tls.bad-client-cert') >= refusedBefore + 2, 'the broker to refuse the foreign certificate (twice)');
    expect(forwarder.status().connected).toBe(false);
    expect(forwarder.status().lastAckAt).toBeNull();
    expect(outbox.backlog().count).toBe(2);
    expect(accepted(a)).toBe(acceptedBefore);
    expect(count(a.agg.db, 'reads')).toBe(readsBefore);
    await stop();
    expect(count(a.agg.db, 'reads')).toBe(readsBefore);
  });

  it('raw clients: no certificate, or one from another CA, are refused at the handshake despite a valid login', async () => {
    const GW = 'TBA-Tls-Cert-03';
    const password = await enrol(GW);
    const acceptedBefore = accepted(a);
    const noCertBefore = brokerCounter(a, 'refused.tls.no-client-cert');
    const badCertBefore = brokerCounter(a, 'refused.tls.bad-client-cert');
    const none = await tryConnect(GW, password, {});
    expect(none.client, 'no MQTT session without a certificate').toBeUndefined();
    expect(NO_CERT_REFUSED).toContain(none.error?.code);
    const foreign = await tryConnect(GW, password, OTHER_CLIENT);
    expect(foreign.client, 'no MQTT session with a foreign certificate').toBeUndefined();
    // Counted by the broker (at least these two: a forwarder stopped above may still have had a handshake under way).
    await waitFor(() => brokerCounter(a, 'refused.tls.no-client-cert') > noCertBefore, 'the broker to count the missing certificate');
    await waitFor(() => brokerCounter(a, 'refused.tls.bad-client-cert') > badCertBefore, 'the broker to count the foreign certificate');
    expect(accepted(a)).toBe(acceptedBefore);
    // Nothing reached the refusals log either: without a handshake there is no login to attribute.
    expect(count(a.agg.db, 'refusals', `gateway_id = '${GW}'`)).toBe(0);
  });

  it("the certificate is an extra factor: the right certificate with a wrong password is refused at CONNECT (bad-password)", async () => {
    const refusalsBefore = count(a.agg.db, 'refusals', `reason = 'bad-password' AND gateway_id = '${CERT_GATEWAY}'`);
    const wrong = await tryConnect(CERT_GATEWAY, 'not-the-password', CLIENT);
    expect(wrong.client).toBeUndefined();
    expect(wrong.error?.code).toBe(4); // CONNACK 4: bad user name or password
    expect(count(a.agg.db, 'refusals', `reason = 'bad-password' AND gateway_id = '${CERT_GATEWAY}'`)).toBe(refusalsBefore + 1);
  });

  it("a certificate is only good for its own gateway: another gateway's login with it is refused (cert-name-mismatch)", async () => {
    const GW = 'TBA-Tls-Cert-02';
    const password = await enrol(GW);
    const readsBefore = count(a.agg.db, 'reads');
    const mismatch = await tryConnect(GW, password, CLIENT);
    expect(mismatch.client).toBeUndefined();
    expect(mismatch.error?.code).toBe(5); // CONNACK 5: not authorized
    const refusals = a.agg.db.store.db.prepare(`SELECT stage, reason, detail FROM refusals WHERE gateway_id = ? ORDER BY rowid`).all(GW) as { stage: string; reason: string; detail: string }[];
    expect(refusals).toEqual([{ stage: 'connect', reason: 'cert-name-mismatch', detail: `${GW}: its client certificate is for "${CERT_GATEWAY}", not for this gateway id` }]);
    expect(count(a.agg.db, 'reads')).toBe(readsBefore);
  });

  it("the gateway named in the certificate logs in over it with its own password (a raw client's view)", async () => {
    const password = readFileSync(provisioned.files.mqttPassword, 'utf8').trim();
    const ok = await tryConnect(CERT_GATEWAY, password, CLIENT);
    expect(ok.error).toBeUndefined();
    const socket = ok.client!.stream as TLSSocket;
    expect(socket.authorized).toBe(true);
    expect(socket.getCertificate()).toMatchObject({ subject: { CN: CERT_GATEWAY } });
    await ok.client!.endAsync(true);
  });
});

describe('broker.tls.caFile in the aggregator config', () => {
  it('a missing CA file is named with its path, what was found and what was expected', () => {
    const dir = '/nonexistent-chiso-test';
    const text = tlsConfigText(dir, '/etc/chiso/tls/gateways-ca.crt');
    let error: unknown;
    try {
      parseAggregatorConfig(text, join(dir, 'aggregator.yaml'), { calendarSchema: CalendarSchema, env: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const line = text.split('\n').findIndex((l) => l.includes('caFile:')) + 1;
    expect((error as ConfigError).message.split('\n')).toContain(
      `${join(dir, 'aggregator.yaml')}: broker.tls.caFile: found "/etc/chiso/tls/gateways-ca.crt" (no such file), expected a readable file holding the CA certificate (PEM) of the gateways' client certificates (line ${line})`,
    );
  });
});
