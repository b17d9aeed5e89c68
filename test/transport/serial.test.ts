import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/shared/bytes.js';
import { isRetryable, isTransportError } from '../../src/transport/errors.js';
import { FORMAT_7E1, FORMAT_8N1 } from '../../src/transport/line-format.js';
import { createSerialTransport } from '../../src/transport/serial.js';
import { transportContract, transportPeer, type Fixture } from './contract.js';
import { ptyPair, type PtyPair } from './pty-pair.js';
import { Sink } from './sink.js';

transportContract({
  name: 'serial over a socat pty pair',
  // Closing one end of a serial line puts nothing on the wire: the other end cannot know.
  peerSeesLocalClose: false,
  async setup(): Promise<Fixture> {
    const pty = await ptyPair();
    const transport = createSerialTransport({ path: pty.a, baudRate: 9600, ...FORMAT_8N1 });
    const far = createSerialTransport({ path: pty.b, baudRate: 9600, ...FORMAT_8N1, description: 'far end' });
    const farSink = new Sink(far);
    await far.open();
    return {
      transport,
      peer: async () => transportPeer(far, farSink, () => pty.hangUp()),
      teardown: async () => {
        await transport.close();
        await far.close();
        await pty.dispose();
      },
    };
  },
  async missing() {
    const pty = await ptyPair();
    const path = join(pty.dir, 'ttyUSB9');
    return { transport: createSerialTransport({ path, baudRate: 9600, ...FORMAT_8N1 }), name: path, teardown: () => pty.dispose() };
  },
});

/** Both ends of a fresh pty pair, open, with sinks; closes everything at the end of `body`. */
async function withLine(body: (line: { pty: PtyPair; near: ReturnType<typeof createSerialTransport>; far: ReturnType<typeof createSerialTransport>; nearSink: Sink; farSink: Sink }) => Promise<void>, nearOptions: { emulate7E1?: boolean; baudRate?: number } = {}): Promise<void> {
  const pty = await ptyPair();
  const near = createSerialTransport({ path: pty.a, baudRate: nearOptions.baudRate ?? 300, ...FORMAT_7E1, emulate7E1: nearOptions.emulate7E1 ?? false });
  const far = createSerialTransport({ path: pty.b, baudRate: 9600, ...FORMAT_8N1 });
  const nearSink = new Sink(near);
  const farSink = new Sink(far);
  try {
    await near.open();
    await far.open();
    await body({ pty, near, far, nearSink, farSink });
  } finally {
    await near.close();
    await far.close();
    await pty.dispose();
  }
}

describe('serial specifics (pty pair)', () => {
  it('switches 300 baud 7E1 to 9600 8N1 on the open link (IEC 62056-21 mode E) and keeps talking', async () => {
    await withLine(async ({ near, farSink, far, nearSink }) => {
      expect(near.baudRate).toBe(300);
      await near.write(fromHex('2F3F210D0A')); // "/?!\r\n"
      await farSink.untilBytes(5);
      await near.setFormat({ ...FORMAT_8N1, baudRate: 9600 }); // reopens: data bits change
      expect(near.format).toEqual(FORMAT_8N1);
      expect(near.baudRate).toBe(9600);
      expect(near.isOpen).toBe(true);
      await near.write(fromHex('7EA0'));
      await farSink.untilBytes(7);
      expect(farSink.bytes()).toEqual(fromHex('2F3F210D0A7EA0'));
      await far.write(fromHex('7E'));
      await nearSink.untilBytes(1);
      expect(nearSink.closes).toEqual([]); // the reopen is not a close
      await near.setBaudRate(19200); // in place
      expect(near.baudRate).toBe(19200);
      await near.write(fromHex('01'));
      await farSink.untilBytes(8);
    });
  });

  it('emulates 7E1 on an 8N1 port: even parity in bit 7 out, stripped in', async () => {
    await withLine(
      async ({ near, far, farSink, nearSink }) => {
        await near.write(fromHex('2F3F210D0A')); // '/' has 5 ones → parity 1; '?' 6 → 0; '!' 2 → 0; CR 3 → 1; LF 2 → 0
        await farSink.untilBytes(5);
        expect(farSink.bytes()).toEqual(fromHex('AF3F218D0A'));
        await far.write(fromHex('AF3F2F')); // two good characters and one with bad parity
        await nearSink.untilBytes(3);
        expect(nearSink.bytes()).toEqual(fromHex('2F3F2F'));
        expect(near.parityErrors).toBe(1);
        await near.setFormat({ ...FORMAT_8N1, baudRate: 9600 }); // no reopen needed: only the software bit goes
        await near.write(fromHex('AF'));
        await farSink.untilBytes(6);
        expect(farSink.bytes().at(-1)).toBe(0xaf);
      },
      { emulate7E1: true },
    );
  });

  it('flush() succeeds on an open port and is refused, naming the device, on a closed one', async () => {
    await withLine(async ({ near }) => {
      await expect(near.flush()).resolves.toBeUndefined();
      await near.close();
      const error = await near.flush().then(() => undefined, (e: unknown) => e);
      expect(isTransportError(error, 'TRANSPORT_NOT_OPEN')).toBe(true);
      expect((error as Error).message).toBe(`cannot flush serial ${near.path}: the link is not open`);
    });
  });

  it('names the device and says it is busy when another process holds it', async () => {
    await withLine(async ({ pty }) => {
      const second = createSerialTransport({ path: pty.a, baudRate: 9600, ...FORMAT_8N1 });
      const error = await second.open().then(() => undefined, (e: unknown) => e);
      expect(isTransportError(error, 'TRANSPORT_OPEN_FAILED')).toBe(true);
      expect((error as Error).message).toBe(`cannot open ${pty.a}: the port is in use by another process (another poller, ModemManager, a terminal program?)`);
      expect(isRetryable(error)).toBe(true);
      await second.close();
    });
  });

  it('says "no such device" for a missing path and does not call it retryable', async () => {
    const t = createSerialTransport({ path: '/dev/ttyCHISO-missing', baudRate: 9600, ...FORMAT_8N1 });
    const error = await t.open().then(() => undefined, (e: unknown) => e);
    expect((error as Error).message).toBe('cannot open /dev/ttyCHISO-missing: no such device — is the adapter plugged in, and is the path right (see /dev/serial/by-id/)?');
    expect(isRetryable(error)).toBe(false);
  });

  it('rejects impossible settings at construction', () => {
    expect(() => createSerialTransport({ path: '/dev/ttyUSB0', baudRate: 0, ...FORMAT_8N1 })).toThrow('bad baud rate 0 for serial /dev/ttyUSB0: must be a positive integer');
    expect(() => createSerialTransport({ path: '', baudRate: 9600, ...FORMAT_8N1 })).toThrow(/needs a device path/);
  });
});
