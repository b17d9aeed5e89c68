import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { tempDir } from '../../store/temp-dir.js';
import type { Forwarder } from '../../../src/gateway/forwarder/index.js';
import { startBroker, sleep, waitFor, type TestBroker } from './broker.js';
import type { FakeAggregator } from './fake-aggregator.js';
import { appendReads, startForwarder, type Keys, type TestGateway, setUpForwarderTest, tearDownForwarderTest } from './gateway.js';

let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker | undefined;
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

/** Every id stored exactly under its own seq, nothing else stored. */
function expectStoredInOrder(ids: readonly string[]): void {
  expect([...aggregator.stored.entries()]).toEqual(ids.map((id, i) => [id, i + 1]));
  // Duplicates are allowed, but only as repeats of the same records.
  expect(new Set(aggregator.idsOf('reads'))).toEqual(new Set(ids));
}

describe('forwarder across outages', () => {
  it('loses nothing when the broker restarts and forgets everything it held', async () => {
    forwarder = startForwarder(gw, keys, broker!.url);
    const ids = appendReads(gw.outbox, 10);
    forwarder.wake();
    await waitFor(() => gw.outbox.backlog().count === 0, 'first reads acked');

    // The aggregator is away: the next reads are PUBACKed by the broker and queued for it in memory...
    await aggregator.offline();
    ids.push(...appendReads(gw.outbox, 10));
    forwarder.wake();
    await waitFor(() => gw.outbox.lastSentSeq() === 20, 'second reads handed to the broker');
    await sleep(100);
    // ...and the broker dies with them. More reads are taken while it is down.
    const port = broker!.port;
    await broker!.close();
    broker = undefined;
    await waitFor(() => !forwarder!.status().connected, 'forwarder notices the broker is gone');
    ids.push(...appendReads(gw.outbox, 10));
    forwarder.wake();
    await sleep(300);
    expect(gw.outbox.backlog().count).toBe(20);

    broker = await startBroker(port);
    await aggregator.connect(broker.url);
    await waitFor(() => gw.outbox.backlog().count === 0, 'everything acked after the broker came back', 15_000);
    expectStoredInOrder(ids);
  });

  it('delivers everything when the aggregator comes back after being offline for a while', async () => {
    forwarder = startForwarder(gw, keys, broker!.url, { replay: { ackTimeoutMs: 300, ackTimeoutMaxMs: 600 } });
    await waitFor(() => forwarder!.status().connected, 'connected');
    await aggregator.offline();
    const ids = appendReads(gw.outbox, 35);
    forwarder.wake();
    // Long enough for several ack timeouts: the forwarder resends into the broker's queue meanwhile.
    await sleep(1_500);
    expect(gw.outbox.backlog().count).toBe(35);
    expect(forwarder.status().connected).toBe(true);
    await aggregator.connect();
    await waitFor(() => gw.outbox.backlog().count === 0, 'all acked once the aggregator is back');
    expectStoredInOrder(ids);
  });

  it('paces a long replay: never more than maxBatchesPerSecond in any 1 s window, in order', async () => {
    const ids = appendReads(gw.outbox, 500); // 500 one-read batches backlogged before the gateway connects
    forwarder = startForwarder(gw, keys, broker!.url, {
      replay: { maxBatchesPerSecond: 50, maxBatchItems: 1, maxInFlightBatches: 100, ackTimeoutMs: 60_000, ackTimeoutMaxMs: 60_000 },
    });
    await waitFor(() => aggregator.arrivals.length >= 150, '150 batches', 15_000);
    const times = aggregator.arrivals.map((a) => a.at);
    let worst = 0;
    for (let i = 0; i < times.length; i++) {
      let n = 0;
      for (let j = i; j < times.length && times[j]! < times[i]! + 1_000; j++) n++;
      worst = Math.max(worst, n);
    }
    expect(worst).toBeLessThanOrEqual(55); // 50 + a little receive-side jitter
    expect(aggregator.arrivals.map((a) => a.seqFrom)).toEqual(aggregator.arrivals.map((_, i) => i + 1));
    expect(aggregator.idsOf('reads')).toEqual(ids.slice(0, aggregator.arrivals.length));
  }, 30_000);
});
