import { LinkBase } from './base.js';
import { TransportError } from './errors.js';
import type { Transport } from './transport.js';

export interface MemoryPairOptions {
  /** Descriptions of the two ends, for errors; default "memory A" / "memory B". */
  names?: readonly [string, string];
  /**
   * Deliver received bytes in chunks of at most this many bytes, as a serial line or a busy socket
   * would: tests of deframers then see frames split at arbitrary points. Default: whole writes.
   */
  chunkSize?: number;
}

/**
 * Two connected in-memory transports: bytes written to one arrive at the other, asynchronously and in
 * order, as if through a socket. For tests of the client against a simulator without ports or files.
 * Each end opens independently; bytes written before the other end opened wait for it, like a kernel
 * buffer. Closing one end is reported to the other as TRANSPORT_PEER_CLOSED after the bytes in flight.
 * A pair is one connection: an end cannot be reopened once either end has closed.
 */
export function createMemoryPair(options: MemoryPairOptions = {}): [Transport, Transport] {
  const [nameA, nameB] = options.names ?? ['memory A', 'memory B'];
  const a = new MemoryEnd(nameA, options.chunkSize);
  const b = new MemoryEnd(nameB, options.chunkSize);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

type Arrival = { kind: 'data'; bytes: Uint8Array } | { kind: 'hangup' };

class MemoryEnd extends LinkBase {
  peer!: MemoryEnd;
  private readonly inbox: Arrival[] = [];
  private pumping = false;
  private ended = false;

  constructor(
    readonly description: string,
    private readonly chunkSize: number | undefined,
  ) {
    super();
    if (chunkSize !== undefined && !(Number.isInteger(chunkSize) && chunkSize > 0)) {
      throw new TransportError('TRANSPORT_CONFIG', `bad chunkSize ${chunkSize} for ${description}: must be a positive integer`);
    }
  }

  protected doOpen(): Promise<void> {
    if (this.ended) {
      return Promise.reject(new TransportError('TRANSPORT_OPEN_FAILED', `cannot open ${this.description}: this in-memory connection has ended`, { context: { link: this.description, reason: 'other' } }));
    }
    return Promise.resolve();
  }

  protected override opened(): void {
    this.schedule();
  }

  protected doWrite(bytes: Uint8Array): Promise<void> {
    if (this.peer.ended) return Promise.reject(this.notOpen('write to'));
    this.peer.arrive({ kind: 'data', bytes: bytes.slice() }); // a copy: the caller may reuse its buffer
    return Promise.resolve();
  }

  protected doClose(): Promise<void> {
    this.end();
    return Promise.resolve();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.inbox.length = 0;
    this.peer.arrive({ kind: 'hangup' });
  }

  private arrive(arrival: Arrival): void {
    if (this.ended) return;
    const size = this.chunkSize;
    if (arrival.kind === 'data' && size !== undefined) {
      for (let at = 0; at < arrival.bytes.length; at += size) this.inbox.push({ kind: 'data', bytes: arrival.bytes.subarray(at, at + size) });
    } else {
      this.inbox.push(arrival);
    }
    this.schedule();
  }

  /** Deliver on a later turn of the event loop, one arrival per turn, so that reentrancy matches real I/O. */
  private schedule(): void {
    if (this.pumping || !this.isOpen || this.inbox.length === 0) return;
    this.pumping = true;
    setImmediate(() => {
      this.pumping = false;
      if (!this.isOpen) return;
      const next = this.inbox.shift();
      if (next === undefined) return;
      if (next.kind === 'data') {
        this.received(next.bytes);
      } else {
        this.end();
        this.lost(new TransportError('TRANSPORT_PEER_CLOSED', `${this.description}: the other end closed the connection`, { context: { link: this.description } }));
      }
      this.schedule();
    });
  }
}
