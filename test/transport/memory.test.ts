import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/shared/bytes.js';
import { isTransportError } from '../../src/transport/errors.js';
import { createMemoryPair } from '../../src/transport/memory.js';
import { transportContract, transportPeer, type Fixture } from './contract.js';
import { Sink } from './sink.js';

transportContract({
  name: 'memory pair',
  peerSeesLocalClose: true,
  async setup(): Promise<Fixture> {
    const [a, b] = createMemoryPair({ names: ['memory client', 'memory meter'] });
    const peerSink = new Sink(b);
    await b.open();
    return {
      transport: a,
      peer: async () => transportPeer(b, peerSink, () => b.close()),
      teardown: async () => {
        await a.close();
        await b.close();
      },
    };
  },
});

describe('memory pair specifics', () => {
  it('splits deliveries into chunks of chunkSize, in order', async () => {
    const [a, b] = createMemoryPair({ chunkSize: 3 });
    const sink = new Sink(b);
    await a.open();
    await b.open();
    await a.write(fromHex('0102030405060708'));
    await sink.untilBytes(8);
    expect(sink.chunks.map((c) => c.length)).toEqual([3, 3, 2]);
    expect(sink.bytes()).toEqual(fromHex('0102030405060708'));
    await a.close();
    await sink.untilClosed();
    expect(isTransportError(sink.closes[0], 'TRANSPORT_PEER_CLOSED')).toBe(true);
  });

  it('holds bytes written before the far end opened, then delivers them before the hang-up', async () => {
    const [a, b] = createMemoryPair();
    await a.open();
    await a.write(fromHex('AA'));
    await a.close();
    const sink = new Sink(b);
    await b.open();
    await sink.untilClosed();
    expect(sink.bytes()).toEqual(fromHex('AA'));
    expect(sink.closes).toHaveLength(1);
  });

  it('copies written bytes, so that a caller reusing its buffer changes nothing in flight', async () => {
    const [a, b] = createMemoryPair();
    const sink = new Sink(b);
    await a.open();
    await b.open();
    const buffer = fromHex('0102');
    await a.write(buffer);
    buffer.fill(0);
    await sink.untilBytes(2);
    expect(sink.bytes()).toEqual(fromHex('0102'));
    await a.close();
    await b.close();
  });

  it('cannot be reopened once the connection has ended', async () => {
    const [a, b] = createMemoryPair({ names: ['one', 'two'] });
    await a.open();
    await a.close();
    const error = await a.open().then(() => undefined, (e: unknown) => e);
    expect(isTransportError(error, 'TRANSPORT_OPEN_FAILED')).toBe(true);
    expect((error as Error).message).toBe('cannot open one: this in-memory connection has ended');
    await b.close();
  });

  it('rejects a bad chunkSize', () => {
    expect(() => createMemoryPair({ chunkSize: 0 })).toThrow(/bad chunkSize 0/);
  });
});
