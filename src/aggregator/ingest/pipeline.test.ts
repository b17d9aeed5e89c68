import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../shared/clock.js';
import { decodeAck, encodeHeartbeat, encodeStatus, gatewayTopic, signBatch, type AckMessage } from '../../wire/index.js';
import { sampleBatch, sampleRead, testSigner, type TestSigner } from '../../wire/test-helpers.js';
import { Counters } from '../broker/counters.js';
import { openCentralDb, type CentralDb } from '../store/central-db.js';
import { inlineStore, type GroupStore } from './group-store.js';
import { inlineOpener } from './opener.js';
import { IngestPipeline } from './pipeline.js';
import { startWorkerStore, storeWorkerScript } from './worker-store.js';

/**
 * The pipeline without MQTT, against a real database file, with both stores: on this thread and on the
 * store worker (its own connection). Every scenario must end the same way with either, message for message.
 */
const silent = pino({ level: 'silent' });
const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  db: CentralDb;
  pipeline: IngestPipeline;
  metrics: Counters;
  /** Acks in the order they were sent, each with the reads count the database had when it was sent. */
  acks: { ack: AckMessage; readsAtAck: number }[];
}

/** On this thread; on the worker; on the worker with signatures checked on this thread first (as the ingest runs). */
type StoreKind = 'inline' | 'worker' | 'worker-checked';

async function rig(kind: StoreKind): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'chiso-pipeline-'));
  const db = openCentralDb({ path: join(dir, 'central.db'), scrypt: TEST_SCRYPT });
  let store: GroupStore;
  if (kind !== 'inline') {
    const script = storeWorkerScript();
    if (script === undefined) throw new Error('the store worker is not built: run npx tsc -p tsconfig.json');
    store = await startWorkerStore(script, {
      path: db.store.db.name,
      maxPayloadBytes: 4 * 1024 * 1024,
      checkpointElsewhere: false,
      ...(kind === 'worker-checked' ? { checkSignaturesHere: { lookupKey: db.gateways.lookupKey } } : {}),
    });
  } else {
    store = inlineStore(db, inlineOpener(db.gateways.lookupKey));
  }
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => db.close());
  cleanups.push(() => store.close());
  const acks: Rig['acks'] = [];
  const countReads = db.store.db.prepare('SELECT count(*) AS n FROM reads');
  const metrics = new Counters();
  const pipeline = new IngestPipeline(
    { topicRoot: 'chiso/v1', maxGroup: 64, inFlight: kind === 'inline' ? 1 : 2 },
    db,
    store,
    (_topic, payload) => acks.push({ ack: decodeAck(payload), readsAtAck: (countReads.get() as { n: number }).n }),
    metrics,
    silent,
    systemClock,
  );
  return { db, pipeline, metrics, acks };
}

async function enrol(db: CentralDb, gatewayId: string): Promise<TestSigner> {
  const signer = testSigner(gatewayId);
  const { token } = db.enrolment.issue(gatewayId, 60_000, Date.now());
  await db.enrolment.consume({ token, gatewayId, publicKeyPem: signer.publicKeyPem }, Date.now);
  return signer;
}

const readsTopic = (gw: string): string => gatewayTopic(gw, 'reads');

/** Items seqFrom … seqFrom + n − 1 of a gateway, one meter per sequence number (so every readId differs). */
function batchOf(s: TestSigner, seqFrom: number, n: number): Uint8Array {
  const reads = Array.from({ length: n }, (_, i) => sampleRead(s.gatewayId, { meterId: `MTR-${seqFrom + i}`, value: `${1000 + i}.0` }));
  return signBatch({ ...sampleBatch(s.gatewayId, seqFrom, n), reads }, s.privateKey, s.keyId);
}
const count = (db: CentralDb, sql: string): number => (db.store.db.prepare(sql).get() as { n: number }).n;

/** One scenario, run with a store; returns what an observer sees: acks, counters, rows, refusals. */
async function scenario(kind: StoreKind) {
  const { db, pipeline, metrics, acks } = await rig(kind);
  const a = await enrol(db, 'GW-A');
  const b = await enrol(db, 'GW-B');
  const r = await enrol(db, 'GW-R');
  const stranger = testSigner('GW-X');
  const sign = batchOf;

  // One group: stored, the same batch again (duplicate), the next one, a gap, an overlap.
  const first = sign(a, 1, 3);
  pipeline.push(readsTopic('GW-A'), first);
  pipeline.push(readsTopic('GW-A'), first);
  pipeline.push(readsTopic('GW-A'), sign(a, 4, 2));
  pipeline.push(readsTopic('GW-A'), sign(a, 9, 2));
  pipeline.push(readsTopic('GW-A'), sign(a, 5, 3));
  // Forged: the signed payload altered after signing.
  const env = JSON.parse(Buffer.from(sign(b, 1, 2)).toString()) as { payload: string };
  const altered = Buffer.from(env.payload, 'base64').toString().replace('"value":"1000.0"', '"value":"9000.0"');
  pipeline.push(readsTopic('GW-B'), Buffer.from(JSON.stringify({ ...env, payload: Buffer.from(altered).toString('base64') })));
  // Not JSON at all: refused, but no range to name, so no ack.
  pipeline.push(readsTopic('GW-B'), Buffer.from('{"v":1,'));
  // Another gateway's batch on GW-B's topic.
  pipeline.push(readsTopic('GW-B'), sign(a, 8, 1));
  // A gateway that is not enrolled: refused, nobody to ack.
  pipeline.push(readsTopic('GW-X'), sign(stranger, 1, 2));
  // A revoked key.
  db.gateways.revokeKey('GW-R', r.keyId, Date.now());
  pipeline.push(readsTopic('GW-R'), sign(r, 1, 2));
  // Gateway state: a birth, a heartbeat, and a status naming another gateway.
  const status = { v: 1, gatewayId: 'GW-B', state: 'online', reason: 'birth', version: '1.0.0', configHash: 'h', at: '2024-07-31T17:00:00Z' } as const;
  pipeline.push(gatewayTopic('GW-B', 'status'), encodeStatus(status));
  pipeline.push(gatewayTopic('GW-B', 'heartbeat'), encodeHeartbeat({ v: 1, gatewayId: 'GW-B', at: '2024-07-31T17:01:00Z', uptimeSeconds: 60 }));
  pipeline.push(gatewayTopic('GW-A', 'status'), encodeStatus(status));
  pipeline.push('elsewhere/topic', Buffer.from('x'));
  await pipeline.idle();

  // A replay of an accepted range with other reads, in a later group.
  const replay = sampleBatch('GW-A', 1, 2);
  replay.reads = replay.reads.map((_, i) => sampleRead('GW-A', { meterId: `MTR-9${i}`, meterTime: '2024-08-31T23:59:30+07:00', value: '1.0' }));
  pipeline.push(readsTopic('GW-A'), signBatch(replay, a.privateKey, a.keyId));
  await pipeline.idle();

  return {
    // Key ids differ between runs (fresh keys): compare the words around them.
    acks: acks.map(({ ack, readsAtAck }) => ({ ...ack, at: undefined, detail: ack.detail?.replace(/[0-9a-f]{16}/g, '<key>'), readsAtAck })),
    counters: metrics.snapshot(),
    reads: db.store.db.prepare('SELECT read_id, gateway_id, seq, value FROM reads ORDER BY gateway_id, seq').all(),
    batches: count(db, 'SELECT count(*) AS n FROM signed_batches'),
    refusals: db.refusals
      .latest(50)
      .map(({ gatewayId, reason, code, seqFrom, seqTo, topic }) => ({ gatewayId, reason, code, seqFrom, seqTo, topic }))
      .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    gatewayB: db.gateways.get('GW-B'),
  };
}

describe('ingest pipeline', () => {
  it('stores, refuses and acks as the wire says, acking only what is committed', async () => {
    const seen = await scenario('inline');
    const results = seen.acks.map((a) => [a.gatewayId, a.result, a.reason ?? '', a.seqFrom, a.seqTo, a.storedCount, a.expectedSeq ?? '']);
    expect(results).toEqual([
      ['GW-A', 'stored', '', 1, 3, 3, ''],
      ['GW-A', 'duplicate', '', 1, 3, 0, ''],
      ['GW-A', 'stored', '', 4, 5, 2, ''],
      ['GW-A', 'refused', 'sequence-gap', 9, 10, 0, 6],
      ['GW-A', 'stored', '', 5, 7, 2, ''],
      ['GW-B', 'refused', 'bad-signature', 1, 2, 0, ''],
      ['GW-B', 'refused', 'gateway-mismatch', 8, 8, 0, ''],
      ['GW-R', 'refused', 'unknown-key', 1, 2, 0, ''],
      ['GW-A', 'duplicate', '', 1, 2, 0, ''],
    ]);
    expect(seen.acks.find((a) => a.gatewayId === 'GW-R')?.detail).toContain('revoked');
    // The group's acks go out after its commit: every one of them sees all 7 rows.
    expect(seen.acks.map((a) => a.readsAtAck)).toEqual([7, 7, 7, 7, 7, 7, 7, 7, 7]);
    expect(seen.reads).toHaveLength(7);
    expect(seen.reads.every((r) => (r as { gateway_id: string }).gateway_id === 'GW-A')).toBe(true);
    expect(seen.batches).toBe(3);
    expect(seen.refusals.map((r) => r.reason).sort()).toEqual([
      'bad-signature', 'gateway-mismatch', 'gateway-mismatch', 'malformed', 'malformed', 'sequence-gap', 'unknown-gateway', 'unknown-key',
    ]);
    expect(seen.counters).toMatchObject({
      'batches.new': 2, 'batches.overlap': 1, 'batches.duplicate': 2, 'reads.stored': 7, 'status.applied': 1, 'heartbeat.applied': 1,
      'refused.ingest.malformed': 2, 'refused.ingest.unknown-gateway': 1, 'refused.ingest.gateway-mismatch': 2, 'acks.stored': 3,
    });
    expect(seen.gatewayB).toMatchObject({ state: 'online', metersTotal: null });
  });

  it('ends the same way, message for message, when a store worker with its own connection decides', async () => {
    const inline = await scenario('inline');
    const worker = await scenario('worker');
    const checked = await scenario('worker-checked');
    const drop = (s: typeof inline) => ({ ...s, gatewayB: { ...s.gatewayB, lastStatusAt: 0, lastHeartbeatAt: 0, stateSince: 0 } });
    expect(drop(worker)).toEqual(drop(inline));
    // Signatures checked on this thread, payloads parsed and stored on the worker: the same again.
    expect(drop(checked)).toEqual(drop(inline));
  });

  it('keeps a gateway’s batches in order across groups decided by the worker while acks go out', async () => {
    const { db, pipeline, acks } = await rig('worker-checked');
    const gw = await enrol(db, 'GW-S');
    for (let seq = 1; seq <= 400; seq += 2) pipeline.push(readsTopic('GW-S'), batchOf(gw, seq, 2));
    await pipeline.idle();
    expect(acks.map((a) => a.ack.result)).toEqual(Array(200).fill('stored'));
    expect(acks.every((a, i) => a.readsAtAck >= (i + 1) * 2)).toBe(true);
    expect(db.writer.position('GW-S', 'reads', 'db-7f3a')).toBe(400);
  });

  it('refuses every batch of a group as store-failed (acked, to be sent again) when the store cannot decide', async () => {
    const { db } = await rig('inline');
    const gw = await enrol(db, 'GW-F');
    const acks: AckMessage[] = [];
    const metrics = new Counters();
    const broken = { decide: () => Promise.reject(Object.assign(new Error('the store worker exited (code 1)'), { code: 'WORKER_GONE' })), close: () => Promise.resolve() };
    const pipeline = new IngestPipeline({ topicRoot: 'chiso/v1', maxGroup: 64, inFlight: 2 }, db, broken, (_t, p) => acks.push(decodeAck(p)), metrics, silent, systemClock);
    pipeline.push(readsTopic('GW-F'), batchOf(gw, 1, 2));
    pipeline.push(readsTopic('GW-F'), batchOf(gw, 3, 2));
    await pipeline.idle();
    expect(acks.map((a) => [a.result, a.reason, a.seqFrom, a.storedCount])).toEqual([
      ['refused', 'store-failed', 1, 0],
      ['refused', 'store-failed', 3, 0],
    ]);
    expect(metrics.get('refused.ingest.store-failed')).toBe(2);
    expect(db.refusals.latest(5).filter((r) => r.reason === 'store-failed' && r.code === 'WORKER_GONE')).toHaveLength(2);
    expect(count(db, 'SELECT count(*) AS n FROM reads')).toBe(0);
  });
});
