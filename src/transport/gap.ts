import { systemClock, type Clock, type TimerHandle } from '../shared/clock.js';
import { TransportError } from './errors.js';
import type { Transport } from './transport.js';

export interface GapOptions {
  /** Quiet time on the bus after the last byte received before we transmit again. */
  gapMs: number;
  clock?: Clock;
}

export interface GappedTransport extends Transport {
  /** The delay a write issued now would wait; exposed for tests and logs. */
  delayBeforeWrite(): number;
}

/**
 * Inter-frame gap for a half-duplex RS485 bus: a meter needs a turnaround time after it has sent its
 * last byte before it can listen again (its driver still holds the line), so every write waits until
 * `gapMs` have passed since the last byte received. The gap is a property of the bus, so the gateway
 * wraps each serial transport in it once.
 */
export function withInterFrameGap(inner: Transport, options: GapOptions): GappedTransport {
  if (!(options.gapMs >= 0)) throw new TransportError('TRANSPORT_CONFIG', `bad gapMs ${String(options.gapMs)} for ${inner.description}: must be ≥ 0`);
  const clock = options.clock ?? systemClock;
  let lastReceivedAt = Number.NEGATIVE_INFINITY;
  const pending = new Set<{ timer: TimerHandle; reject: (e: Error) => void }>();

  const delayBeforeWrite = (): number => Math.max(0, lastReceivedAt + options.gapMs - clock.now());
  const wait = (ms: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const entry = {
        timer: clock.setTimeout(() => {
          pending.delete(entry);
          resolve();
        }, ms),
        reject,
      };
      pending.add(entry);
    });

  let dataListener: ((bytes: Uint8Array) => void) | undefined;
  inner.onData((bytes) => {
    lastReceivedAt = clock.now();
    dataListener?.(bytes);
  });

  return {
    get description() {
      return inner.description;
    },
    get isOpen() {
      return inner.isOpen;
    },
    open: () => inner.open(),
    onData: (listener) => {
      dataListener = listener;
    },
    onClose: (listener) => inner.onClose(listener),
    async write(bytes) {
      if (!inner.isOpen) return inner.write(bytes); // let the inner link report it, with its name
      // Data may keep arriving while we wait (a late answer): wait again until the bus has been quiet.
      for (let ms = delayBeforeWrite(); ms > 0; ms = delayBeforeWrite()) await wait(ms);
      return inner.write(bytes);
    },
    async close() {
      for (const entry of pending) {
        clock.clearTimeout(entry.timer);
        entry.reject(new TransportError('TRANSPORT_CLOSED', `write to ${inner.description} abandoned: the link was closed`, { context: { link: inner.description } }));
      }
      pending.clear();
      return inner.close();
    },
    ...(inner.flush ? { flush: () => inner.flush!() } : {}),
    delayBeforeWrite,
  };
}
