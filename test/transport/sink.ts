import { concatBytes } from '../../src/shared/bytes.js';
import type { Transport } from '../../src/transport/transport.js';

/** Wait until `condition` holds, polling; fails with `what` after `ms` so that no test can hang. */
export async function waitUntil(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Records everything a transport reports, and anything it reports after close() resolved. */
export class Sink {
  readonly chunks: Uint8Array[] = [];
  readonly closes: (Error | undefined)[] = [];
  private closeResolved = false;
  readonly lateEvents: string[] = [];

  constructor(readonly transport: Transport) {
    transport.onData((bytes) => {
      if (this.closeResolved) this.lateEvents.push(`data(${bytes.length})`);
      this.chunks.push(bytes.slice());
    });
    transport.onClose((error) => {
      if (this.closeResolved) this.lateEvents.push(`close(${error?.message ?? ''})`);
      this.closes.push(error);
    });
  }

  get length(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }

  bytes(): Uint8Array {
    return concatBytes(this.chunks);
  }

  async close(): Promise<void> {
    await this.transport.close();
    this.closeResolved = true;
  }

  untilBytes(n: number, ms = 5000): Promise<void> {
    return waitUntil(() => this.length >= n, `${n} bytes on ${this.transport.description} (have ${this.length})`, ms);
  }

  untilClosed(ms = 5000): Promise<void> {
    return waitUntil(() => this.closes.length > 0, `close of ${this.transport.description}`, ms);
  }
}

/** Deterministic pseudo-random bytes (xorshift32): big payloads whose order errors show. */
export function patternBytes(length: number, seed = 0x2545f491): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
