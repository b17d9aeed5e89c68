import { openStore, Outbox, type Store } from '../../../src/store/index.js';
import { tempDir } from '../../store/temp-dir.js';
import { startBroker, type TestBroker } from './broker.js';
import { FakeAggregator } from './fake-aggregator.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { createForwarder, type Forwarder, type ForwarderOptions } from '../../../src/gateway/forwarder/index.js';
import { generateKeyPair, loadPrivateKey, loadPublicKey } from '../../../src/wire/index.js';
import { sampleRead, testSigner, ringOf, type TestSigner } from '../../../src/wire/test-helpers.js';

export const GATEWAY = 'TBA-CauGiay-01';

export interface TestGateway {
  readonly store: Store;
  readonly outbox: Outbox;
  readonly eventsStore: Store;
  readonly eventsOutbox: Outbox;
  close(): void;
}

/** The gateway's two stores (reads and events: one sequence space each) on real SQLite files. */
export function openGateway(file: (name: string) => string): TestGateway {
  const store = openStore({ path: file('outbox.sqlite') });
  const eventsStore = openStore({ path: file('events.sqlite') });
  return {
    store,
    outbox: new Outbox(store),
    eventsStore,
    eventsOutbox: new Outbox(eventsStore),
    close() {
      store.close();
      eventsStore.close();
    },
  };
}

let meterCounter = 0;

/** Appends `count` valid read records (unique readIds); returns their readIds in seq order. */
export function appendReads(outbox: Outbox, count: number, gatewayId = GATEWAY): string[] {
  const entries = Array.from({ length: count }, () => {
    meterCounter += 1;
    const read = sampleRead(gatewayId, { meterId: `MTR-${meterCounter}`, value: `${meterCounter}.5` });
    return { readId: read.readId, kind: 'read' as const, billing: false, payload: JSON.stringify(read), createdAt: Date.now() };
  });
  outbox.append(entries);
  return entries.map((e) => e.readId);
}

export function appendEvents(outbox: Outbox, count: number, gatewayId = GATEWAY): string[] {
  const entries = Array.from({ length: count }, (_, i) => {
    meterCounter += 1;
    const at = new Date(Date.UTC(2024, 6, 29, 1, 0, 0, meterCounter)).toISOString();
    const event = {
      type: 'meter-offline',
      at,
      meterId: `MTR-${meterCounter}`,
      since: '2024-07-26T10:00:00+07:00',
      consecutiveFailures: 3 + i,
      lastGoodRead: null,
    };
    return { readId: `${gatewayId}|event|${meterCounter}`, kind: 'event' as const, billing: false, payload: JSON.stringify(event), createdAt: Date.now() };
  });
  outbox.append(entries);
  return entries.map((e) => `${JSON.parse(e.payload).at as string}|meter-offline`);
}

export interface Keys {
  readonly gateway: TestSigner;
  readonly aggregatorPrivate: ReturnType<typeof loadPrivateKey>;
  readonly aggregatorPublic: ReturnType<typeof loadPublicKey>;
  readonly aggregatorKeyId: string;
  readonly ring: ReturnType<typeof ringOf>;
}

export function makeKeys(): Keys {
  const gateway = testSigner(GATEWAY);
  const agg = generateKeyPair();
  return {
    gateway,
    aggregatorPrivate: loadPrivateKey(agg.privateKeyPem),
    aggregatorPublic: loadPublicKey(agg.publicKeyPem),
    aggregatorKeyId: agg.keyId,
    ring: ringOf(gateway),
  };
}

export function startForwarder(
  gw: TestGateway,
  keys: Keys,
  url: string,
  overrides: Partial<ForwarderOptions> = {},
): Forwarder {
  const forwarder = createForwarder({
    gatewayId: GATEWAY,
    keyId: keys.gateway.keyId,
    privateKey: keys.gateway.privateKey,
    outbox: gw.outbox,
    eventsOutbox: gw.eventsOutbox,
    aggregatorKeys: [keys.aggregatorPublic],
    mqtt: { url, clientId: 'gw-test', keepaliveSeconds: 5, reconnectInitialMs: 100, reconnectMaxMs: 400 },
    logger: silentLogger(),
    version: '0.1.0-test',
    configHash: 'sha256:test',
    heartbeatSeconds: 60,
    ...overrides,
    replay: {
      maxBatchesPerSecond: 200,
      maxBatchItems: 10,
      maxBatchBytes: 64 * 1024,
      maxInFlightBatches: 4,
      ackTimeoutMs: 1_000,
      ackTimeoutMaxMs: 2_000,
      refusalBackoffMs: 300,
      refusalBackoffMaxMs: 600,
      ...overrides.replay,
    },
  });
  forwarder.start();
  return forwarder;
}

/** What each forwarder test starts from: a broker, a fake aggregator on it, the gateway's keys and stores. */
export interface ForwarderFixture {
  tmp: ReturnType<typeof tempDir>;
  broker: TestBroker;
  aggregator: FakeAggregator;
  keys: Keys;
  gw: TestGateway;
}

export async function setUpForwarderTest(): Promise<ForwarderFixture> {
  const tmp = tempDir('chiso-forwarder-');
  const broker = await startBroker();
  const keys = makeKeys();
  const aggregator = new FakeAggregator(broker.url, keys.ring);
  await aggregator.connect();
  return { tmp, broker, aggregator, keys, gw: openGateway(tmp.file) };
}

/** Closes in reverse order; the broker may already be gone (a test that restarted it clears it). */
export async function tearDownForwarderTest(f: Omit<ForwarderFixture, 'broker'> & { broker: TestBroker | undefined }, forwarder: Forwarder | undefined): Promise<void> {
  await forwarder?.close();
  await f.aggregator.offline(true);
  await f.broker?.close();
  f.gw.close();
  f.tmp.cleanup();
}
