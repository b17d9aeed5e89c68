import type { Clock, TimerHandle } from '../shared/clock.js';
import { ClientError } from './errors.js';

/**
 * Received APDUs waiting for the client, and the client waiting for them. A failure (link closed, data
 * link error) is delivered to the waiting receive, or to the next one if nobody waits.
 */
export class Inbox {
  private readonly items: Uint8Array[] = [];
  private failure: Error | undefined;
  private waiter: { resolve: (a: Uint8Array) => void; reject: (e: Error) => void; timer: TimerHandle } | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly description: string,
  ) {}

  put(apdu: Uint8Array): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      this.clock.clearTimeout(w.timer);
      w.resolve(apdu);
    } else {
      this.items.push(apdu);
    }
  }

  fail(error: Error): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      this.clock.clearTimeout(w.timer);
      w.reject(error);
    } else {
      this.failure = error;
    }
  }

  /** Forget stale APDUs and failures before a new conversation. */
  reset(): void {
    this.items.length = 0;
    this.failure = undefined;
  }

  take(timeoutMs: number): Promise<Uint8Array> {
    const ready = this.items.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) {
      const f = this.failure;
      this.failure = undefined;
      return Promise.reject(f);
    }
    if (this.waiter) return Promise.reject(new Error(`${this.description}: two receives at once`));
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.waiter = undefined;
        reject(new ClientError('CLIENT_TIMEOUT', `no answer from ${this.description} within ${timeoutMs} ms`, { context: { timeoutMs } }));
      }, timeoutMs);
      this.waiter = { resolve, reject, timer };
    });
  }
}
