/**
 * Send pacing: sends at least 1000/perSecond ms apart, so any 1 000 ms window holds at most `perSecond`
 * of them. Evenly spaced rather than "perSecond at once, then wait": after a long outage the backlog can be
 * tens of thousands of batches, and the broker and the aggregator should see a steady stream; bursts at
 * the limit also turn into more than the limit per window at the receiver as soon as the network jitters.
 * Pure: the caller passes the time and owns the timers.
 */
export class Pacer {
  readonly #intervalMs: number;
  #last: number | undefined;

  constructor(perSecond: number) {
    if (!(Number.isInteger(perSecond) && perSecond >= 1)) throw new RangeError(`pacer: perSecond must be an integer >= 1, got ${perSecond}`);
    this.#intervalMs = 1_000 / perSecond;
  }

  /** How long to wait before the next send is allowed (0: now). */
  delay(now: number): number {
    return this.#last === undefined ? 0 : Math.max(0, Math.ceil(this.#last + this.#intervalMs - now));
  }

  record(now: number): void {
    this.#last = now;
  }
}

/** Exponential back-off: initial, 2×, 4× … capped at max. `attempt` counts from 1. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  const exp = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(maxMs, initialMs * 2 ** exp);
}
