import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { tempDir } from '../../store/temp-dir.js';
import type { Forwarder } from '../../../src/gateway/forwarder/index.js';
import { systemClock } from '../../../src/shared/clock.js';
import { SimulatedClock } from '../../../src/shared/simulated-clock.js';
import { sleep, waitFor, type TestBroker } from './broker.js';
import type { FakeAggregator } from './fake-aggregator.js';
import { appendEvents, appendReads, openGateway, startForwarder, type Keys, type TestGateway, setUpForwarderTest, tearDownForwarderTest } from './gateway.js';

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

describe('forwarder delivery', () => {
  it('sends appended reads in seq order and deletes them only after the application ack', async () => {
    aggregator.mode = 'drop-acks';
    forwarder = startForwarder(gw, keys, broker.url, { replay: { ackTimeoutMs: 60_000, ackTimeoutMaxMs: 60_000 } });
    await waitFor(() => forwarder!.status().connected, 'connected');
    const ids = appendReads(gw.outbox, 25);
    forwarder.wake();
    await waitFor(() => aggregator.stored.size === 25, 'all 25 reads stored by the aggregator');
    // The broker PUBACKed everything and the aggregator stored it, but no ack came back: nothing may go.
    await sleep(200);
    expect(gw.outbox.backlog().count).toBe(25);
    expect(forwarder.status().inFlight).toBeGreaterThan(0);
    expect(aggregator.idsOf('reads')).toEqual(ids);
    const seqs = aggregator.arrivals.map((a) => [a.seqFrom, a.seqTo]);
    expect(seqs).toEqual([[1, 10], [11, 20], [21, 25]]);

    aggregator.mode = 'ack';
    const more = appendReads(gw.outbox, 5);
    forwarder.wake();
    // The new batch is accepted, and its ack deletes only its own range.
    await waitFor(() => aggregator.stored.size === 30, 'the next batch stored');
    await waitFor(() => gw.outbox.backlog().count === 25, 'only the acked batch deleted');
    expect(gw.outbox.status(more[0]!)?.state).toBe('acked');
    expect(gw.outbox.status(ids[0]!)?.state).toBe('sent');
    expect(forwarder.status().lastAckAt).not.toBeNull();
  });

  it('resends unacked batches after an ack timeout, and the duplicates are acked and deleted', async () => {
    aggregator.mode = 'drop-acks';
    forwarder = startForwarder(gw, keys, broker.url, { replay: { ackTimeoutMs: 300, ackTimeoutMaxMs: 300 } });
    const ids = appendReads(gw.outbox, 12);
    forwarder.wake();
    await waitFor(() => aggregator.stored.size === 12, 'reads stored');
    aggregator.mode = 'ack';
    await waitFor(() => gw.outbox.backlog().count === 0, 'outbox empty after the resend was acked');
    const seen = aggregator.idsOf('reads');
    expect(seen.length).toBeGreaterThan(12); // the resend happened
    expect(new Set(seen)).toEqual(new Set(ids)); // and carried the same readIds
    expect([...aggregator.stored.entries()].map(([id, seq]) => [id, seq])).toEqual(ids.map((id, i) => [id, i + 1]));
  });

  it('times acks out on the real timers while the stamps follow a simulated clock racing ahead', async () => {
    // A month in minutes: without real timers, a 1 s ack timeout would pass in a fraction of a millisecond
    // and every batch would be resent again and again before its ack could arrive.
    const clock = new SimulatedClock({ start: Date.parse('2026-10-31T17:00:00Z'), speed: 1_000_000 });
    forwarder = startForwarder(gw, keys, broker.url, { clock, timers: systemClock, replay: { ackTimeoutMs: 1_000, ackTimeoutMaxMs: 1_000 } });
    await waitFor(() => forwarder!.status().connected, 'connected');
    const ids = appendReads(gw.outbox, 25);
    forwarder.wake();
    await waitFor(() => gw.outbox.backlog().count === 0, 'outbox empty');
    expect(aggregator.idsOf('reads')).toEqual(ids); // each batch once: no resends
    expect(forwarder.status().lastAckAt).toBeGreaterThan(Date.parse('2026-11-01T00:00:00Z')); // stamped in simulated time
  });

  it('rewinds to the expected seq on a sequence-gap refusal', async () => {
    // A long ack timeout: only the gap refusal can bring the lost batch back within the test.
    forwarder = startForwarder(gw, keys, broker.url, { replay: { ackTimeoutMs: 60_000, ackTimeoutMaxMs: 60_000, maxBatchItems: 5 } });
    await waitFor(() => forwarder!.status().connected, 'connected');
    aggregator.mode = 'lose-next';
    const ids = appendReads(gw.outbox, 20);
    forwarder.wake();
    await waitFor(() => gw.outbox.backlog().count === 0, 'everything acked after the rewind');
    expect([...aggregator.stored.keys()]).toEqual(ids);
    expect(aggregator.arrivals[0]).toMatchObject({ seqFrom: 6, seqTo: 10 }); // batch 1..5 was lost
  });

  it('keeps refused rows, holds the stream back, and delivers once the aggregator accepts', async () => {
    aggregator.mode = 'unknown-key';
    // A short back-off: the default 5 s doubled would leave the retry at the mercy of a busy machine.
    forwarder = startForwarder(gw, keys, broker.url, { replay: { refusalBackoffMs: 500, refusalBackoffMaxMs: 1_000 } });
    const ids = appendReads(gw.outbox, 7);
    forwarder.wake();
    await waitFor(() => aggregator.refusals.length >= 2, 'refused, then retried after the back-off', 20_000);
    expect(gw.outbox.backlog().count).toBe(7);
    expect(aggregator.stored.size).toBe(0);
    await waitFor(() => forwarder!.status().paused.length > 0, 'stream shows as paused');
    expect(forwarder.status().paused[0]).toMatchObject({ stream: 'reads', reason: expect.stringContaining('unknown-key') });
    aggregator.mode = 'ack';
    await waitFor(() => gw.outbox.backlog().count === 0, 'delivered after the key problem is fixed');
    expect([...aggregator.stored.keys()]).toEqual(ids);
  });

  it('numbers events in their own stream and epoch', async () => {
    forwarder = startForwarder(gw, keys, broker.url);
    appendReads(gw.outbox, 3);
    const events = appendEvents(gw.eventsOutbox, 4);
    forwarder.wake();
    await waitFor(() => gw.outbox.backlog().count === 0 && gw.eventsOutbox.backlog().count === 0, 'both outboxes drained');
    const ev = aggregator.arrivals.filter((a) => a.stream === 'events');
    expect(ev.map((a) => [a.seqFrom, a.seqTo])).toEqual([[1, 4]]);
    expect(ev[0]!.ids).toEqual(events);
    expect(ev[0]!.epoch).toBe(gw.eventsOutbox.streamId);
    expect(aggregator.arrivals.find((a) => a.stream === 'reads')!.epoch).toBe(gw.outbox.streamId);
  });

  it('resends unacked batches after a gateway restart on the same SQLite file', async () => {
    aggregator.mode = 'drop-acks';
    forwarder = startForwarder(gw, keys, broker.url, { replay: { ackTimeoutMs: 60_000, ackTimeoutMaxMs: 60_000 } });
    const ids = appendReads(gw.outbox, 15);
    forwarder.wake();
    await waitFor(() => aggregator.stored.size === 15, 'reads stored, acks lost');
    await forwarder.close();
    gw.close();
    expect(aggregator.statuses.at(-1)).toMatchObject({ state: 'offline', reason: 'shutdown' });

    aggregator.mode = 'ack';
    gw = openGateway(tmp.file);
    expect(gw.outbox.backlog().count).toBe(15);
    forwarder = startForwarder(gw, keys, broker.url, { replay: { ackTimeoutMs: 60_000, ackTimeoutMaxMs: 60_000 } });
    await waitFor(() => gw.outbox.backlog().count === 0, 'unacked rows resent and acked after the restart');
    const seen = aggregator.idsOf('reads');
    expect(seen).toEqual([...ids, ...ids]);
  });

  it('holds the stream back on a row it cannot send, keeps the row, and sends nothing past it', async () => {
    const good = appendReads(gw.outbox, 2);
    gw.outbox.append([{ readId: 'broken', kind: 'read', billing: false, payload: '{"readId":"broken"}', createdAt: Date.now() }]);
    appendReads(gw.outbox, 2);
    forwarder = startForwarder(gw, keys, broker.url, { replay: { maxBatchItems: 2 } });
    await waitFor(() => forwarder!.status().paused.length > 0, 'reads stream paused');
    expect(forwarder.status().paused[0]).toMatchObject({ stream: 'reads', reason: expect.stringContaining('seq 3 (readId broken)') });
    await waitFor(() => gw.outbox.backlog().count === 3, 'rows before the bad one delivered');
    expect([...aggregator.stored.keys()]).toEqual(good);
    expect(gw.outbox.status('broken')?.state).toBe('pending');
  });
});
