import { systemClock, type Clock, type TimerHandle } from '../shared/clock.js';
import { countingTransport, type CountingTransport } from './counting.js';
import { TransportError } from './errors.js';
import type { Transport } from './transport.js';

export interface PaceOptions {
  /** Line rate in bit/s: 4800 for the RF links, 9600 for RS485… */
  baudRate: number;
  /** Bits per character on the wire, start and stop bits included: 10 for 8N1 and for 7E1, 11 for 8E1. */
  bitsPerByte: number;
  clock?: Clock;
}

/** Milliseconds a line at `baudRate` needs to send `byteCount` characters of `bitsPerByte` bits. */
export function transmitMs(byteCount: number, baudRate: number, bitsPerByte: number): number {
  return (byteCount * bitsPerByte * 1000) / baudRate;
}

/**
 * When a write of `byteCount` bytes issued at `now` has fully left a line that is busy until
 * `lineFreeAt`: bytes queue behind the ones still being sent, then take their own airtime.
 */
export function pacedCompletion(now: number, lineFreeAt: number, byteCount: number, baudRate: number, bitsPerByte: number): number {
  return Math.max(now, lineFreeAt) + transmitMs(byteCount, baudRate, bitsPerByte);
}

/**
 * Holds each write back until a line of the given rate would have finished sending it, then passes it
 * on whole: a fast link (a socket, a memory pipe) then behaves like a 4.8 kbit/s RF link or a 9600 baud
 * bus for the client and for benchmarks. Writes keep their order; stats() counts bytes each way.
 */
export function pacedTransport(inner: Transport, options: PaceOptions): CountingTransport {
  if (!(options.baudRate > 0) || !(options.bitsPerByte > 0)) {
    throw new TransportError('TRANSPORT_CONFIG', `bad pacing for ${inner.description}: baudRate and bitsPerByte must be > 0`);
  }
  const clock = options.clock ?? systemClock;
  const counted = countingTransport(inner);
  let lineFreeAt = Number.NEGATIVE_INFINITY;
  let queue: Promise<unknown> = Promise.resolve();
  const pending = new Set<{ timer: TimerHandle; reject: (e: Error) => void }>();
  let session = 0; // bumped by close(): writes queued before it must not go out on a later session
  const abandoned = (): TransportError =>
    new TransportError('TRANSPORT_CLOSED', `write to ${inner.description} abandoned: the link was closed`, { context: { link: inner.description } });
  const unlessClosed = (mine: number): void => {
    if (mine !== session) throw abandoned();
  };

  const sleepUntil = (at: number): Promise<void> => {
    const ms = at - clock.now();
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const entry = {
        timer: clock.setTimeout(() => {
          pending.delete(entry);
          resolve();
        }, ms),
        reject,
      };
      pending.add(entry);
    });
  };

  return {
    ...counted,
    get description() {
      return inner.description;
    },
    get isOpen() {
      return inner.isOpen;
    },
    write(bytes) {
      if (!inner.isOpen) return counted.write(bytes);
      const copy = bytes.slice(); // the caller may reuse its buffer while we hold the bytes back
      const done = pacedCompletion(clock.now(), lineFreeAt, copy.length, options.baudRate, options.bitsPerByte);
      lineFreeAt = done;
      // Chain on the previous write so that a short write cannot overtake a long one.
      const mine = session;
      const result = queue
        .then(() => unlessClosed(mine))
        .then(() => sleepUntil(done))
        .then(() => unlessClosed(mine))
        .then(() => counted.write(copy));
      queue = result.catch(() => undefined);
      return result;
    },
    async close() {
      session++;
      for (const entry of pending) {
        clock.clearTimeout(entry.timer);
        entry.reject(abandoned());
      }
      pending.clear();
      lineFreeAt = Number.NEGATIVE_INFINITY;
      return counted.close();
    },
  };
}
