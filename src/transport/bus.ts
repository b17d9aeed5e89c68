import { realpathSync } from 'node:fs';
import { TransportError } from './errors.js';

interface Waiter {
  grant: () => void;
}

/**
 * Exclusive use of a half-duplex RS485 bus. Only one master conversation may be on the wire at a time:
 * two pollers talking at once garble both frames. A FIFO async mutex: waiters are served in the order
 * they asked, and the lock is released however the holder's work ends (return, throw, rejection).
 */
export class BusLock {
  private held = false;
  private readonly queue: Waiter[] = [];

  constructor(readonly name = 'bus') {}

  /** Whether a conversation currently holds the bus. */
  get busy(): boolean {
    return this.held;
  }

  /** How many conversations wait for the bus. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Run `work` with the bus to itself. `signal` abandons the wait (poll cancelled, shutdown) without
   * disturbing the queue; once `work` has started it is `work`'s business to honour the signal.
   */
  async run<T>(work: () => Promise<T> | T, options: { signal?: AbortSignal } = {}): Promise<T> {
    await this.acquire(options.signal);
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(this.aborted(signal));
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        const at = this.queue.indexOf(waiter);
        if (at >= 0) this.queue.splice(at, 1);
        reject(this.aborted(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private release(): void {
    const next = this.queue.shift();
    if (next === undefined) this.held = false;
    else next.grant(); // hand over directly: nobody can slip in between release and the next waiter
  }

  private aborted(signal: AbortSignal | undefined): TransportError {
    return new TransportError('TRANSPORT_BUS_ABORTED', `gave up waiting for ${this.name}`, { cause: signal?.reason, context: { bus: this.name } });
  }
}

/**
 * One BusLock per physical port, so that every poller of /dev/ttyUSB0 shares it however it names the
 * port (a /dev/serial/by-id/… link and the /dev/ttyUSB0 it points to are one bus).
 */
export class BusRegistry {
  private readonly locks = new Map<string, BusLock>();

  constructor(private readonly resolvePath: (path: string) => string = canonicalDevicePath) {}

  lockFor(path: string): BusLock {
    const key = this.resolvePath(path);
    let lock = this.locks.get(key);
    if (lock === undefined) {
      lock = new BusLock(`bus ${key}`);
      this.locks.set(key, lock);
    }
    return lock;
  }

  get size(): number {
    return this.locks.size;
  }
}

/** The real path behind symlinks when the device exists; the path as given otherwise. */
export function canonicalDevicePath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The process-wide registry the gateway uses; tests make their own. */
export const busLocks = new BusRegistry();
