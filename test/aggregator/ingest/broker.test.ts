import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAsync } from 'mqtt';
import { encodeStatus, gatewayTopic, signBatch } from '../../../src/wire/index.js';
import { sampleBatch } from '../../../src/wire/test-helpers.js';
import { count, enrolAndConnect, startAggregator, waitFor, type Harness } from './harness.js';

describe('embedded broker access rules', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAggregator();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses a wrong MQTT password and counts it', async () => {
    const gw = await enrolAndConnect(h, 'GW-P');
    await gw.client.endAsync();
    await expect(connectAsync(h.url, { clientId: 'GW-P', username: 'GW-P', password: 'not-the-password', reconnectPeriod: 0 })).rejects.toThrow(
      /Bad username or password/i,
    );
    expect(h.broker.metrics.get('refused.connect.bad-password')).toBe(1);
    // A client id other than the gateway id is refused too (it could knock another gateway off).
    await expect(connectAsync(h.url, { clientId: 'GW-OTHER', username: 'GW-P', password: gw.password, reconnectPeriod: 0 })).rejects.toThrow();
    expect(h.broker.metrics.get('refused.connect.client-id-mismatch')).toBe(1);
    expect(h.db.refusals.latest(5).some((r) => r.stage === 'connect' && r.gatewayId === 'GW-P' && r.reason === 'bad-password')).toBe(true);
  });

  it("refuses a gateway publishing under another gateway's prefix before ingest sees it", async () => {
    const victim = await enrolAndConnect(h, 'GW-V');
    const attacker = await enrolAndConnect(h, 'GW-M');
    const ingestBefore = h.ingest.metrics.snapshot();
    const closed = new Promise<void>((resolve) => attacker.client.once('close', () => resolve()));
    // Signed with the attacker's own key but aimed at the victim's topic.
    const batch = signBatch(sampleBatch('GW-M', 1, 2), attacker.signer.privateKey, attacker.signer.keyId);
    attacker.client.publish(gatewayTopic('GW-V', 'reads'), Buffer.from(batch), { qos: 1 });
    await closed; // aedes drops the connection of a refused publish
    expect(h.broker.metrics.get('refused.publish.foreign-prefix')).toBe(1);
    await h.ingest.idle();
    expect(h.ingest.metrics.snapshot()).toEqual(ingestBefore);
    expect(count(h.db, 'reads', "gateway_id IN ('GW-V', 'GW-M')")).toBe(0);
    attacker.client.end(true);
    await victim.client.endAsync();
  });

  it('refuses a gateway publishing an ack, and a wildcard subscription', async () => {
    const gw = await enrolAndConnect(h, 'GW-S');
    // SUBACK 0x80 for the filter (mqtt.js turns it into an error carrying the packet); the session stays up.
    const err = await gw.client.subscribeAsync('chiso/v1/gw/+/reads', { qos: 1 }).then(() => undefined, (e: unknown) => e);
    expect((err as { packet?: { granted?: number[] } }).packet?.granted).toEqual([128]);
    expect(gw.client.connected).toBe(true);
    expect(h.broker.metrics.get('refused.subscribe.subscribe-not-allowed')).toBe(1);
    const closed = new Promise<void>((resolve) => gw.client.once('close', () => resolve()));
    gw.client.publish(gatewayTopic('GW-S', 'ack'), '{}', { qos: 1 });
    await closed;
    expect(h.broker.metrics.get('refused.publish.aggregator-only-topic')).toBe(1);
    gw.client.end(true);
  });

  it('updates gateway state from birth and from the last will', async () => {
    const status = (state: 'online' | 'offline', reason: 'birth' | 'will') =>
      Buffer.from(encodeStatus({ v: 1, gatewayId: 'GW-W', state, reason, version: '0.1.0', configHash: 'sha256:ab', at: new Date().toISOString(), backlog: { count: 7, oldestAt: null, bytes: 900 } }));
    const gw = await enrolAndConnect(h, 'GW-W', { will: { topic: gatewayTopic('GW-W', 'status'), payload: status('offline', 'will'), qos: 1, retain: true } });
    await gw.client.publishAsync(gatewayTopic('GW-W', 'status'), status('online', 'birth'), { qos: 1, retain: true });
    await waitFor(() => h.db.gateways.get('GW-W')?.state === 'online', 'GW-W online');
    expect(h.db.gateways.get('GW-W')).toMatchObject({ stateReason: 'birth', version: '0.1.0', backlogCount: 7 });
    gw.client.stream.destroy(); // a power cut: no DISCONNECT, so the broker publishes the will
    await waitFor(() => h.db.gateways.get('GW-W')?.state === 'offline', 'GW-W offline after its will');
    expect(h.db.gateways.get('GW-W')?.stateReason).toBe('will');
    gw.client.end(true);
  });
});
