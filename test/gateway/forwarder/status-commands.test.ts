import { randomUUID } from 'node:crypto';
import { connect } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { tempDir } from '../../store/temp-dir.js';
import type { Forwarder } from '../../../src/gateway/forwarder/index.js';
import {
  decodeStatus,
  gatewayTopic,
  generateKeyPair,
  loadPrivateKey,
  sign,
  signCommand,
  type CommandMessage,
  type StatusMessage,
} from '../../../src/wire/index.js';
import { sleep, waitFor, type TestBroker } from './broker.js';
import type { FakeAggregator } from './fake-aggregator.js';
import { appendReads, GATEWAY, startForwarder, type Keys, type TestGateway, setUpForwarderTest, tearDownForwarderTest } from './gateway.js';

let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker;
let aggregator: FakeAggregator;
let keys: Keys;
let gw: TestGateway;
let forwarder: Forwarder | undefined;

beforeEach(async () => {
  ({ tmp, broker, aggregator, keys, gw } = await setUpForwarderTest());
});

afterEach(async () => {
  await tearDownForwarderTest({ tmp, broker, aggregator, keys, gw }, forwarder);
  forwarder = undefined;
});

const cmdTopic = gatewayTopic(GATEWAY, 'cmd');

function command(overrides: Partial<{ issuedAt: string; expiresAt: string }> = {}) {
  const now = Date.now();
  return {
    id: randomUUID(),
    gatewayId: GATEWAY,
    issuedAt: new Date(now - 1_000).toISOString(),
    expiresAt: new Date(now + 5 * 60_000).toISOString(),
    command: { type: 'read-now' as const, meterId: 'MTR-20452', registers: ['1.0.1.8.0.255'], purpose: 'phuc-tra' as const },
    ...overrides,
  };
}

/** The retained status a newcomer sees on subscribing. */
async function retainedStatus(): Promise<StatusMessage> {
  const client = connect(broker.url, { clientId: `probe-${randomUUID()}`, reconnectPeriod: 0 });
  try {
    return await new Promise<StatusMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no retained status')), 5_000);
      client.on('message', (_t, payload) => {
        clearTimeout(timer);
        resolve(decodeStatus(payload));
      });
      client.on('connect', () => client.subscribe(gatewayTopic(GATEWAY, 'status'), { qos: 1 }));
    });
  } finally {
    await new Promise<void>((r) => client.end(true, {}, () => r()));
  }
}

describe('status, will and heartbeat', () => {
  it('publishes a retained birth, the broker publishes the will when the socket dies, and birth again on reconnect', async () => {
    appendReads(gw.outbox, 3);
    aggregator.mode = 'drop-acks'; // keep a backlog so birth has something to report
    forwarder = startForwarder(gw, keys, broker.url, { heartbeatSeconds: 0.2 });
    await waitFor(() => aggregator.statuses.length >= 1, 'birth');
    expect(aggregator.statuses[0]).toMatchObject({
      gatewayId: GATEWAY,
      state: 'online',
      reason: 'birth',
      version: '0.1.0-test',
      configHash: 'sha256:test',
      keyId: keys.gateway.keyId,
      backlog: { count: 3 },
    });
    expect(await retainedStatus()).toMatchObject({ state: 'online', reason: 'birth' });

    // Kill the gateway's TCP connection from the broker side: no DISCONNECT, so the will goes out.
    await waitFor(() => broker.clients.has('gw-test'), 'broker sees the gateway');
    broker.clients.get('gw-test')!.conn.destroy();
    await waitFor(() => aggregator.statuses.length >= 3, 'will, then a new birth');
    expect(aggregator.statuses.slice(0, 3).map((s) => [s.state, s.reason])).toEqual([
      ['online', 'birth'],
      ['offline', 'will'],
      ['online', 'birth'],
    ]);
    await waitFor(() => aggregator.heartbeats.length >= 2, 'heartbeats');
    expect(aggregator.heartbeats[0]).toMatchObject({ gatewayId: GATEWAY, backlog: { count: 3 } });

    await forwarder.close();
    forwarder = undefined;
    expect(await retainedStatus()).toMatchObject({ state: 'offline', reason: 'shutdown' });
  });
});

describe('commands', () => {
  it('runs a command signed by the aggregator once, and answers every delivery of it', async () => {
    const calls: CommandMessage[] = [];
    forwarder = startForwarder(gw, keys, broker.url);
    forwarder.onCommand((c) => {
      calls.push(c);
      return { readIds: ['TBA-CauGiay-01|MTR-20452|1.0.1.8.0.255|register|2024-07-31T03:00:05.000Z'] };
    });
    await waitFor(() => forwarder!.status().connected, 'connected');
    const msg = command();
    const bytes = signCommand(msg, keys.aggregatorPrivate, keys.aggregatorKeyId);
    await aggregator.publish(cmdTopic, bytes);
    await waitFor(() => aggregator.responses.length === 1, 'response');
    expect(aggregator.responses[0]).toMatchObject({ id: msg.id, gatewayId: GATEWAY, ok: true, result: { readIds: [expect.any(String)] } });
    expect(calls.map((c) => c.id)).toEqual([msg.id]);
    expect(calls[0]!.command).toMatchObject({ type: 'read-now', meterId: 'MTR-20452' });

    // A redelivery: answered again, not executed again.
    await aggregator.publish(cmdTopic, bytes);
    await waitFor(() => aggregator.responses.length === 2, 'second response');
    expect(aggregator.responses[1]).toEqual(aggregator.responses[0]);
    expect(calls).toHaveLength(1);
  });

  it('refuses forged and expired commands without calling the handler', async () => {
    const calls: CommandMessage[] = [];
    forwarder = startForwarder(gw, keys, broker.url);
    forwarder.onCommand((c) => {
      calls.push(c);
      return null;
    });
    await waitFor(() => forwarder!.status().connected, 'connected');

    // Signed by someone else's key.
    const intruder = generateKeyPair();
    const foreign = command();
    await aggregator.publish(cmdTopic, signCommand(foreign, loadPrivateKey(intruder.privateKeyPem), intruder.keyId));
    // Claims the aggregator's key id, but the signature is the intruder's.
    const forged = command();
    const genuine = JSON.parse(Buffer.from(signCommand(forged, keys.aggregatorPrivate, keys.aggregatorKeyId)).toString()) as Record<string, string>;
    const payloadBytes = Buffer.from(genuine['payload']!, 'base64');
    const badSig = Buffer.from(sign(payloadBytes, loadPrivateKey(intruder.privateKeyPem))).toString('base64');
    await aggregator.publish(cmdTopic, Buffer.from(JSON.stringify({ ...genuine, sig: badSig })));
    // Properly signed but expired.
    const expired = command({ issuedAt: new Date(Date.now() - 600_000).toISOString(), expiresAt: new Date(Date.now() - 60_000).toISOString() });
    await aggregator.publish(cmdTopic, signCommand(expired, keys.aggregatorPrivate, keys.aggregatorKeyId));
    // Not even an envelope: no id to answer, only logged.
    await aggregator.publish(cmdTopic, Buffer.from('not json'));

    await waitFor(() => aggregator.responses.length === 3, 'three refusals');
    await sleep(200);
    const byId = new Map(aggregator.responses.map((r) => [r.id, r]));
    expect(byId.get(foreign.id)).toMatchObject({ ok: false, error: { code: 'WIRE_UNKNOWN_KEY' } });
    expect(byId.get(forged.id)).toMatchObject({ ok: false, error: { code: 'WIRE_BAD_SIGNATURE' } });
    expect(byId.get(expired.id)).toMatchObject({ ok: false, error: { code: 'WIRE_EXPIRED' } });
    expect(aggregator.responses).toHaveLength(3);
    expect(calls).toHaveLength(0);
  });
});
