import type { AckMessage } from '../../wire/index.js';

/** One batch handed to the network and not acknowledged yet. */
export interface InFlightBatch {
  readonly seqFrom: number;
  readonly seqTo: number;
  readonly sentAt: number;
}

/** What the forwarder must do after an ack (the window has already updated itself). */
export type AckDecision =
  /** stored / duplicate: delete exactly this range from the outbox. */
  | { readonly kind: 'delete'; readonly seqFrom: number; readonly seqTo: number }
  /** sequence-gap: send again from `fromSeq`. */
  | { readonly kind: 'rewind'; readonly fromSeq: number }
  /** any other refusal: keep the rows, send nothing on this stream until `until`, then resend from the oldest. */
  | { readonly kind: 'pause'; readonly until: number; readonly attempt: number }
  /** nothing to do (a stale refusal whose resend is already on its way). */
  | { readonly kind: 'ignore'; readonly why: string };

export interface WindowSettings {
  readonly maxInFlight: number;
  /** Refusal back-off: first pause, doubled per consecutive refusal, capped. */
  readonly refusalBackoffMs: { readonly initial: number; readonly max: number };
  /** Resend from the oldest unacked when the oldest in-flight batch has waited this long (doubled per miss). */
  readonly ackTimeoutMs: { readonly initial: number; readonly max: number };
}

/**
 * The sending state of one sequence stream (reads or events), without I/O: what is in flight, where the next
 * batch starts, whether the stream is paused. The forwarder feeds it sends, acks, reconnects and the time.
 *
 * `cursor` is the `afterSeq` for the next outbox batch. 0 means "from the oldest unacked row", which is
 * where every (re)connect starts: whatever was in flight may be lost with the broker's memory, and the
 * aggregator's sequence check makes a resend harmless (duplicate → ack → delete).
 */
export class StreamWindow {
  readonly #settings: WindowSettings;
  #cursor = 0;
  #inFlight: InFlightBatch[] = [];
  #pausedUntil = 0;
  #refusals = 0;
  #ackTimeouts = 0;
  /** The seq of the last rewind, while its resend is in flight. */
  #rewoundTo: number | undefined;

  constructor(settings: WindowSettings) {
    this.#settings = settings;
  }

  get cursor(): number {
    return this.#cursor;
  }

  get inFlight(): readonly InFlightBatch[] {
    return this.#inFlight;
  }

  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  /** Whether a new batch may go out now (room in the window, not paused). */
  canSend(now: number): boolean {
    return now >= this.#pausedUntil && this.#inFlight.length < this.#settings.maxInFlight;
  }

  /** Forget what was in flight and start again from the oldest unacked row (connect, timeout, after a pause). */
  restart(): void {
    this.#cursor = 0;
    this.#inFlight = [];
    this.#rewoundTo = undefined;
  }

  sent(seqFrom: number, seqTo: number, now: number): void {
    this.#inFlight.push({ seqFrom, seqTo, sentAt: now });
    this.#cursor = seqTo;
  }

  /** Pause without an ack (an item that cannot be sent, an impossible rewind). */
  pause(now: number): { until: number; attempt: number } {
    this.#refusals += 1;
    const { initial, max } = this.#settings.refusalBackoffMs;
    this.#pausedUntil = now + Math.min(max, initial * 2 ** Math.min(this.#refusals - 1, 30));
    this.restart();
    return { until: this.#pausedUntil, attempt: this.#refusals };
  }

  onAck(ack: Pick<AckMessage, 'result' | 'seqFrom' | 'seqTo' | 'reason' | 'expectedSeq'>, now: number): AckDecision {
    if (ack.result === 'stored' || ack.result === 'duplicate') {
      this.#inFlight = this.#inFlight.filter((b) => !(b.seqFrom >= ack.seqFrom && b.seqTo <= ack.seqTo));
      this.#refusals = 0;
      this.#ackTimeouts = 0;
      if (this.#rewoundTo !== undefined && ack.seqFrom <= this.#rewoundTo && this.#rewoundTo <= ack.seqTo) this.#rewoundTo = undefined;
      return { kind: 'delete', seqFrom: ack.seqFrom, seqTo: ack.seqTo };
    }
    if (ack.reason === 'sequence-gap' && ack.expectedSeq !== undefined) {
      const expected = ack.expectedSeq;
      // Several batches in flight behind a lost one each come back as a gap: rewind once, not once per batch.
      // (Only a resend made by that rewind counts as "on its way": the batch first sent with `expected` in
      // it is the one that got lost.) If the resend is lost too, the ack timeout starts over.
      if (this.#rewoundTo === expected && this.#inFlight.some((b) => b.seqFrom <= expected && expected <= b.seqTo)) {
        return { kind: 'ignore', why: `items from ${expected} are already on their way again` };
      }
      this.#inFlight = this.#inFlight.filter((b) => b.seqTo < expected);
      this.#cursor = expected - 1;
      this.#rewoundTo = expected;
      return { kind: 'rewind', fromSeq: expected };
    }
    const { until, attempt } = this.pause(now);
    return { kind: 'pause', until, attempt };
  }

  /**
   * True (and the window restarted) when the oldest batch in flight has waited past the ack timeout: its ack,
   * or the batch itself, was lost (an aggregator without a persistent session was away, a broker restarted).
   * The timeout doubles per consecutive miss so a long aggregator outage does not become a resend storm.
   */
  checkAckTimeout(now: number): boolean {
    const deadline = this.ackDeadline();
    if (deadline === undefined || now < deadline) return false;
    this.#ackTimeouts += 1;
    this.restart();
    return true;
  }

  /** When the oldest in-flight batch times out, or undefined with nothing in flight. */
  ackDeadline(): number | undefined {
    const oldest = this.#inFlight[0];
    if (oldest === undefined) return undefined;
    const { initial, max } = this.#settings.ackTimeoutMs;
    return oldest.sentAt + Math.min(max, initial * 2 ** Math.min(this.#ackTimeouts, 30));
  }
}
