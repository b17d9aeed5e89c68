import { pacedCompletion } from '../../src/transport/paced.js';
import type { EndpointEffect, MeterEndpoint } from './meter-endpoint.js';

/** Where an endpoint's bytes go: a socket or the bus's serial port. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
  close(reason: string): void;
}

/**
 * The line as a shared resource: on a serial bus only one meter talks at a time and each byte takes
 * 10 bit times (8N1 and 7E1 alike), so a write of n bytes leaves the line n × 10 / baud seconds after
 * the line became free. Without a baud rate (TCP) writes go out at once.
 */
export class Line {
  private freeAt = Number.NEGATIVE_INFINITY;

  constructor(public baud: number | undefined) {}

  /** Milliseconds to wait before handing `n` bytes to the OS so that they "arrive" at line speed. */
  reserve(n: number, baud: number | undefined = this.baud): number {
    if (baud === undefined) return 0;
    const now = Date.now();
    const done = pacedCompletion(now, this.freeAt, n, baud, 10);
    this.freeAt = done;
    return done - now;
  }
}

/**
 * Runs one endpoint's effects in order, on the real clock: waits, paced writes, its sign-on timer. Effects
 * of later inputs queue behind earlier ones, so a slow meter stays slow for every frame it answers.
 */
export class EffectRunner {
  private chain: Promise<void> = Promise.resolve();
  private readonly sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The endpoint's own speed after an IEC 62056-21 speed change; undefined = the line's. */
  private baud: number | undefined;

  constructor(
    private readonly endpoint: MeterEndpoint,
    private readonly sink: ByteSink,
    private readonly line: Line,
    private readonly onNote: (text: string) => void = () => undefined,
    initialBaud?: number,
  ) {
    this.baud = initialBaud;
  }

  receive(bytes: Uint8Array): void {
    if (this.closed) return;
    this.run(this.endpoint.receive(bytes));
  }

  run(effects: readonly EndpointEffect[]): void {
    if (effects.length === 0 || this.closed) return;
    this.chain = this.chain.then(() => this.execute(effects)).catch((e: unknown) => this.onNote(`${this.endpoint.description}: ${String(e)}`));
  }

  /** Stops everything; pending waits end at once and nothing more is written. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.sleeps) {
      clearTimeout(s.timer);
      s.resolve();
    }
    this.sleeps.clear();
  }

  /** Resolves when the effects queued so far have run. */
  idle(): Promise<void> {
    return this.chain;
  }

  private async execute(effects: readonly EndpointEffect[]): Promise<void> {
    for (const e of effects) {
      if (this.closed) return;
      switch (e.type) {
        case 'wait':
          await this.sleep(e.ms);
          break;
        case 'write': {
          await this.sleep(this.line.reserve(e.bytes.length, this.baud ?? this.line.baud));
          if (this.closed) return;
          await this.sink.write(e.bytes);
          break;
        }
        case 'set-baud':
          this.baud = e.baud;
          break;
        case 'timer':
          if (this.timer) clearTimeout(this.timer);
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.run(this.endpoint.timeout());
          }, e.ms);
          break;
        case 'cancel-timer':
          if (this.timer) clearTimeout(this.timer);
          this.timer = undefined;
          break;
        case 'close':
          this.sink.close(e.reason);
          return;
        case 'note':
          this.onNote(e.text);
          break;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleeps.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.sleeps.add(entry);
    });
  }
}
