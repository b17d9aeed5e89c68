import { describe, expect, it } from 'vitest';
import { fromHex } from '../shared/bytes.js';
import { ManualClock, settle } from '../../test/transport/manual-clock.js';
import { Sink } from '../../test/transport/sink.js';
import { isTransportError } from './errors.js';
import { withInterFrameGap } from './gap.js';
import { createMemoryPair } from './memory.js';

async function bus(gapMs: number) {
  const clock = new ManualClock();
  const [master, meter] = createMemoryPair({ names: ['master', 'meter'] });
  const gapped = withInterFrameGap(master, { gapMs, clock });
  const masterSink = new Sink(gapped);
  const meterSink = new Sink(meter);
  await gapped.open();
  await meter.open();
  return { clock, gapped, meter, masterSink, meterSink };
}

describe('withInterFrameGap', () => {
  it('writes at once when nothing has been received', async () => {
    const { gapped, meterSink, clock } = await bus(20);
    expect(gapped.delayBeforeWrite()).toBe(0);
    await gapped.write(fromHex('01'));
    await meterSink.untilBytes(1);
    expect(clock.pendingTimers).toBe(0);
    await gapped.close();
  });

  it('waits gapMs after the last byte received before the next write', async () => {
    const { gapped, meter, masterSink, meterSink, clock } = await bus(20);
    clock.advance(1000);
    await meter.write(fromHex('7EA0'));
    await masterSink.untilBytes(2); // received at t = 1000
    clock.advance(5);
    expect(gapped.delayBeforeWrite()).toBe(15);
    let written = false;
    const writing = gapped.write(fromHex('7E')).then(() => (written = true));
    await settle();
    expect(clock.deadlines()).toEqual([1020]);
    clock.advance(14);
    await settle();
    expect(written).toBe(false);
    expect(meterSink.length).toBe(0);
    clock.advance(1);
    await writing;
    await meterSink.untilBytes(1);
    expect(meterSink.bytes()).toEqual(fromHex('7E'));
    await gapped.close();
  });

  it('starts the gap again when a late answer arrives during the wait', async () => {
    const { gapped, meter, masterSink, meterSink, clock } = await bus(20);
    await meter.write(fromHex('01'));
    await masterSink.untilBytes(1); // t = 0
    const writing = gapped.write(fromHex('AA'));
    clock.advance(10);
    await meter.write(fromHex('02'));
    await masterSink.untilBytes(2); // t = 10: the bus is busy again
    clock.advance(10); // t = 20: the first wait ends, but only 10 ms of quiet
    await settle();
    expect(meterSink.length).toBe(0);
    expect(clock.deadlines()).toEqual([30]);
    clock.advance(10);
    await writing;
    await meterSink.untilBytes(1);
    expect(masterSink.bytes()).toEqual(fromHex('0102'));
    await gapped.close();
  });

  it('abandons a waiting write on close with TRANSPORT_CLOSED and leaves no timer behind', async () => {
    const { gapped, meter, masterSink, clock } = await bus(50);
    await meter.write(fromHex('01'));
    await masterSink.untilBytes(1);
    const writing = gapped.write(fromHex('AA')).then(() => undefined, (e: unknown) => e);
    await settle();
    await gapped.close();
    const error = await writing;
    expect(isTransportError(error, 'TRANSPORT_CLOSED')).toBe(true);
    expect((error as Error).message).toBe('write to master abandoned: the link was closed');
    expect(clock.pendingTimers).toBe(0);
    expect(masterSink.closes).toEqual([undefined]);
  });

  it('lets the inner link reject writes when it is not open, and rejects a negative gap', async () => {
    const [a] = createMemoryPair({ names: ['m', 'n'] });
    const gapped = withInterFrameGap(a, { gapMs: 10, clock: new ManualClock() });
    const error = await gapped.write(fromHex('01')).then(() => undefined, (e: unknown) => e);
    expect(isTransportError(error, 'TRANSPORT_NOT_OPEN')).toBe(true);
    expect(() => withInterFrameGap(a, { gapMs: -1 })).toThrow(/bad gapMs -1 for m/);
  });
});
