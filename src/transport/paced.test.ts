import { describe, expect, it } from 'vitest';
import { fromHex } from '../shared/bytes.js';
import { ManualClock, settle } from '../../test/transport/manual-clock.js';
import { patternBytes, Sink } from '../../test/transport/sink.js';
import { countingTransport } from './counting.js';
import { isTransportError } from './errors.js';
import { bitsPerCharacter, FORMAT_7E1, FORMAT_8N1 } from './line-format.js';
import { createMemoryPair } from './memory.js';
import { pacedCompletion, pacedTransport, transmitMs } from './paced.js';

describe('line arithmetic', () => {
  it('counts start, data, parity and stop bits per character', () => {
    expect(bitsPerCharacter(FORMAT_8N1)).toBe(10);
    expect(bitsPerCharacter(FORMAT_7E1)).toBe(10); // same ten bits as 8N1, not 11
    expect(bitsPerCharacter({ dataBits: 8, parity: 'even', stopBits: 1 })).toBe(11);
    expect(bitsPerCharacter({ dataBits: 8, parity: 'none', stopBits: 2 })).toBe(11);
    expect(bitsPerCharacter({ dataBits: 7, parity: 'odd', stopBits: 2 })).toBe(11);
  });

  it('computes airtime and queueing exactly', () => {
    expect(transmitMs(960, 9600, 10)).toBe(1000);
    expect(transmitMs(48, 4800, 10)).toBe(100);
    expect(transmitMs(1, 300, 10)).toBeCloseTo(33.333333, 5);
    expect(transmitMs(0, 9600, 10)).toBe(0);
    expect(pacedCompletion(1000, 0, 48, 4800, 10)).toBe(1100); // idle line: starts now
    expect(pacedCompletion(1000, 1050, 48, 4800, 10)).toBe(1150); // busy line: queues behind
  });
});

async function pacedPair(baudRate = 4800) {
  const clock = new ManualClock();
  const [a, b] = createMemoryPair({ names: ['rf modem', 'meter'] });
  const paced = pacedTransport(a, { baudRate, bitsPerByte: 10, clock });
  const aSink = new Sink(paced);
  const bSink = new Sink(b);
  await paced.open();
  await b.open();
  return { clock, paced, b, aSink, bSink };
}

describe('pacedTransport', () => {
  it('holds each write back for its airtime, and queues writes behind each other in order', async () => {
    const { clock, paced, bSink } = await pacedPair();
    const first = paced.write(patternBytes(48)); // 100 ms at 4800 bit/s
    const second = paced.write(fromHex('0102030405060708090A0B0C')); // 12 bytes: 25 ms more
    await settle();
    expect(clock.deadlines()).toEqual([100]);
    clock.advance(99);
    await settle();
    expect(bSink.length).toBe(0);
    clock.advance(1);
    await first;
    await settle();
    expect(clock.deadlines()).toEqual([125]);
    clock.advance(25);
    await second;
    await bSink.untilBytes(60);
    expect(bSink.bytes().subarray(48)).toEqual(fromHex('0102030405060708090A0B0C'));
    expect(bSink.bytes().subarray(0, 48)).toEqual(patternBytes(48));
    await paced.close();
  });

  it('counts bytes each way exactly', async () => {
    const { clock, paced, b, aSink } = await pacedPair(9600);
    const w1 = paced.write(patternBytes(10));
    const w2 = paced.write(patternBytes(5));
    clock.advance(1000);
    await Promise.all([w1, w2]);
    await b.write(patternBytes(7));
    await b.write(patternBytes(3));
    await aSink.untilBytes(10);
    expect(paced.stats()).toEqual({ bytesOut: 15, bytesIn: 10, writes: 2, reads: 2 });
    paced.resetStats();
    expect(paced.stats()).toEqual({ bytesOut: 0, bytesIn: 0, writes: 0, reads: 0 });
    await paced.close();
  });

  it('abandons writes still held back when closed, including the queued ones', async () => {
    const { clock, paced, bSink } = await pacedPair();
    const held = paced.write(patternBytes(48)).then(() => undefined, (e: unknown) => e);
    const queued = paced.write(patternBytes(48)).then(() => undefined, (e: unknown) => e);
    await settle();
    await paced.close();
    for (const error of [await held, await queued]) {
      expect(isTransportError(error, 'TRANSPORT_CLOSED')).toBe(true);
      expect((error as Error).message).toBe('write to rf modem abandoned: the link was closed');
    }
    await settle();
    expect(clock.pendingTimers).toBe(0);
    expect(paced.stats().bytesOut).toBe(0);
    expect(bSink.length).toBe(0);
  });

  it('copies the bytes it holds back', async () => {
    const { clock, paced, bSink } = await pacedPair();
    const buffer = fromHex('0102');
    const writing = paced.write(buffer);
    buffer.fill(0xff);
    clock.advance(10);
    await writing;
    await bSink.untilBytes(2);
    expect(bSink.bytes()).toEqual(fromHex('0102'));
    await paced.close();
  });

  it('rejects impossible rates', () => {
    const [a] = createMemoryPair();
    expect(() => pacedTransport(a, { baudRate: 0, bitsPerByte: 10 })).toThrow(/bad pacing/);
    expect(() => pacedTransport(a, { baudRate: 9600, bitsPerByte: 0 })).toThrow(/bad pacing/);
  });
});

describe('countingTransport', () => {
  it('counts only successful writes', async () => {
    const [a, b] = createMemoryPair();
    const counted = countingTransport(a);
    const failed = await counted.write(fromHex('0102')).then(() => undefined, (e: unknown) => e);
    expect(isTransportError(failed, 'TRANSPORT_NOT_OPEN')).toBe(true);
    expect(counted.stats()).toEqual({ bytesOut: 0, bytesIn: 0, writes: 0, reads: 0 });
    const sink = new Sink(counted);
    await counted.open();
    await b.open();
    await counted.write(fromHex('010203'));
    await b.write(fromHex('0405'));
    await sink.untilBytes(2);
    expect(counted.stats()).toEqual({ bytesOut: 3, bytesIn: 2, writes: 1, reads: 1 });
    expect(counted.description).toBe('memory A');
    await counted.close();
    expect(counted.isOpen).toBe(false);
    expect(sink.closes).toEqual([undefined]);
    await b.close();
  });
});
