import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAsync } from 'mqtt';
import { encodeStatus, gatewayTopic, signBatch, signEvents } from '../../../src/wire/index.js';
import { sampleBatch, sampleRead, testSigner } from '../../../src/wire/test-helpers.js';
import { count, enrolAndConnect, INTERNAL, signedPayloadOf, startAggregator, waitFor, type Harness } from './harness.js';

// Attached in process (as the aggregator runs it) and as an MQTT client over 127.0.0.1 (as against an external broker).
describe.each(['local', 'client'] as const)('verified ingest behind the embedded broker (ingest %s)', (ingestAs) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAggregator({ ingestAs });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('stores a batch, acks it only after the commit, and acks a re-sent batch as duplicate', async () => {
    const gw = await enrolAndConnect(h, 'GW-A');
    const seenAtAck: number[] = [];
    gw.onAck = () => seenAtAck.push(count(h.db, 'reads', "gateway_id = 'GW-A'"));
    const payload = signBatch(sampleBatch('GW-A', 1, 3), gw.signer.privateKey, gw.signer.keyId);
    await gw.client.publishAsync(gatewayTopic('GW-A', 'reads'), Buffer.from(payload), { qos: 1 });
    const ack = await gw.nextAck();
    expect(ack).toMatchObject({ gatewayId: 'GW-A', stream: 'reads', epoch: 'db-7f3a', seqFrom: 1, seqTo: 3, result: 'stored', storedCount: 3 });
    expect(seenAtAck).toEqual([3]); // the rows were committed when the ack arrived
    expect(h.db.writer.position('GW-A', 'reads', 'db-7f3a')).toBe(3);
    expect(count(h.db, 'signed_batches', "gateway_id = 'GW-A'")).toBe(1);
    // The batch is kept as the gateway signed it, and verifies again from the database.
    const { id } = h.db.store.db.prepare("SELECT id FROM signed_batches WHERE gateway_id = 'GW-A'").get() as { id: number };
    const kept = h.db.signedBatches.verify(id);
    expect(kept.verdict).toBe('verified');
    if (kept.verdict === 'verified') expect(Buffer.from(kept.batch.payload).equals(signedPayloadOf(payload))).toBe(true);

    await gw.client.publishAsync(gatewayTopic('GW-A', 'reads'), Buffer.from(payload), { qos: 1 });
    expect(await gw.nextAck()).toMatchObject({ result: 'duplicate', storedCount: 0, seqFrom: 1, seqTo: 3 });
    expect(count(h.db, 'reads', "gateway_id = 'GW-A'")).toBe(3);
    expect(h.ingest.metrics.get('batches.duplicate')).toBe(1);
    await gw.client.endAsync();
  });

  it('refuses a forged signature, a replayed sequence and a gap; stores nothing of them', async () => {
    const gw = await enrolAndConnect(h, 'GW-B');
    const { privateKey, keyId } = gw.signer;
    const topic = gatewayTopic('GW-B', 'reads');
    await gw.client.publishAsync(topic, Buffer.from(signBatch(sampleBatch('GW-B', 1, 2), privateKey, keyId)), { qos: 1 });
    expect((await gw.nextAck()).result).toBe('stored');

    // Forged: a validly signed batch whose payload was altered after signing (a value raised).
    const good = JSON.parse(Buffer.from(signBatch(sampleBatch('GW-B', 3, 2), privateKey, keyId)).toString()) as { payload: string };
    const altered = Buffer.from(good.payload, 'base64').toString().replace('"value":"1000.0"', '"value":"9000.0"');
    expect(altered).toContain('9000.0');
    const forged = { ...good, payload: Buffer.from(altered).toString('base64') };
    await gw.client.publishAsync(topic, JSON.stringify(forged), { qos: 1 });
    expect(await gw.nextAck()).toMatchObject({ result: 'refused', reason: 'bad-signature', seqFrom: 3, seqTo: 4, storedCount: 0 });

    // Replay: other reads signed under an already accepted range.
    const replay = sampleBatch('GW-B', 1, 2);
    replay.reads = replay.reads.map((r, i) => sampleRead('GW-B', { meterId: `MTR-9${i}`, meterTime: '2024-08-31T23:59:30+07:00', value: '1.0' }));
    await gw.client.publishAsync(topic, Buffer.from(signBatch(replay, privateKey, keyId)), { qos: 1 });
    expect(await gw.nextAck()).toMatchObject({ result: 'duplicate', storedCount: 0 });

    // Gap: items 3..9 missing.
    await gw.client.publishAsync(topic, Buffer.from(signBatch(sampleBatch('GW-B', 10, 2), privateKey, keyId)), { qos: 1 });
    expect(await gw.nextAck()).toMatchObject({ result: 'refused', reason: 'sequence-gap', expectedSeq: 3, storedCount: 0 });

    expect(count(h.db, 'reads', "gateway_id = 'GW-B'")).toBe(2);
    expect(h.ingest.metrics.get('refused.ingest.bad-signature')).toBe(1);
    expect(h.ingest.metrics.get('refused.ingest.sequence-gap')).toBe(1);
    const reasons = h.db.refusals.latest(10).filter((r) => r.gatewayId === 'GW-B').map((r) => r.reason);
    expect(reasons.sort()).toEqual(['bad-signature', 'sequence-gap']);
    await gw.client.endAsync();
  });

  it('stores only the new part of an overlapping batch', async () => {
    const gw = await enrolAndConnect(h, 'GW-O');
    const { privateKey, keyId } = gw.signer;
    const all = sampleBatch('GW-O', 1, 5);
    const first = { ...all, seqTo: 3, reads: all.reads.slice(0, 3) };
    await gw.client.publishAsync(gatewayTopic('GW-O', 'reads'), Buffer.from(signBatch(first, privateKey, keyId)), { qos: 1 });
    expect(await gw.nextAck()).toMatchObject({ result: 'stored', storedCount: 3 });
    await gw.client.publishAsync(gatewayTopic('GW-O', 'reads'), Buffer.from(signBatch(all, privateKey, keyId)), { qos: 1 });
    expect(await gw.nextAck()).toMatchObject({ result: 'stored', seqFrom: 1, seqTo: 5, storedCount: 2 });
    expect(count(h.db, 'reads', "gateway_id = 'GW-O'")).toBe(5);
    expect(h.db.writer.position('GW-O', 'reads', 'db-7f3a')).toBe(5);
    await gw.client.endAsync();
  });

  it('refuses batches signed with a revoked key, saying so', async () => {
    const gw = await enrolAndConnect(h, 'GW-R');
    h.db.gateways.revokeKey('GW-R', gw.signer.keyId, Date.now());
    await gw.client.publishAsync(gatewayTopic('GW-R', 'reads'), Buffer.from(signBatch(sampleBatch('GW-R', 1, 2), gw.signer.privateKey, gw.signer.keyId)), { qos: 1 });
    const ack = await gw.nextAck();
    expect(ack).toMatchObject({ result: 'refused', reason: 'unknown-key', storedCount: 0 });
    expect(ack.detail).toContain('revoked');
    expect(count(h.db, 'reads', "gateway_id = 'GW-R'")).toBe(0);
    await gw.client.endAsync();
  });

  it('refuses a batch from a gateway that is not enrolled (no ack: nobody to tell)', async () => {
    // Only an internal client can put it there on this broker: it stands for an external, open broker.
    const injector = await connectAsync(h.url, { clientId: 'chiso:injector', username: INTERNAL.username, password: INTERNAL.password, reconnectPeriod: 0 });
    const stranger = testSigner('GW-X');
    const before = h.ingest.metrics.get('refused.ingest.unknown-gateway');
    await injector.publishAsync(gatewayTopic('GW-X', 'reads'), Buffer.from(signBatch(sampleBatch('GW-X', 1, 2), stranger.privateKey, stranger.keyId)), { qos: 1 });
    await waitFor(() => h.ingest.metrics.get('refused.ingest.unknown-gateway') === before + 1, 'the unknown-gateway refusal');
    expect(count(h.db, 'reads', "gateway_id = 'GW-X'")).toBe(0);
    expect(h.db.refusals.latest(5).some((r) => r.gatewayId === 'GW-X' && r.reason === 'unknown-gateway' && r.code === 'WIRE_UNKNOWN_GATEWAY')).toBe(true);
    await injector.endAsync();
  });

  it('stores signed events with their anomaly fields', async () => {
    const gw = await enrolAndConnect(h, 'GW-E');
    const payload = signEvents(
      {
        gatewayId: 'GW-E', epoch: 'e1', seqFrom: 1, seqTo: 1, createdAt: '2024-07-29T01:00:05Z',
        events: [{ type: 'anomaly', at: '2024-07-29T01:00:00Z', anomalyId: 'GW-E|M1|consumption-spike|2024-07', state: 'raised', code: 'consumption-spike', severity: 'warning', meterId: 'M1', evidence: { changePercent: 114.6 }, thresholds: { upPercent: 30 } }],
      },
      gw.signer.privateKey,
      gw.signer.keyId,
    );
    await gw.client.publishAsync(gatewayTopic('GW-E', 'events'), Buffer.from(payload), { qos: 1 });
    expect(await gw.nextAck()).toMatchObject({ stream: 'events', result: 'stored', storedCount: 1 });
    const row = h.db.store.db.prepare("SELECT code, state, anomaly_id FROM events WHERE gateway_id = 'GW-E'").get();
    expect(row).toEqual({ code: 'consumption-spike', state: 'open', anomaly_id: 'GW-E|M1|consumption-spike|2024-07' });
    await gw.client.endAsync();
  });
});
