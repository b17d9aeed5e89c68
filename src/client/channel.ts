import type { Transport } from '../transport/transport.js';

/**
 * A transport takes one data listener, but on an RS485 bus one port serves many meters in turn. The
 * channel is that one listener, and hands bytes to whichever meter's link holds the bus right now.
 */
export class Channel {
  private receiver: ((bytes: Uint8Array) => void) | undefined;
  private closed: ((error?: Error) => void) | undefined;

  constructor(readonly transport: Transport) {
    transport.onData((bytes) => this.receiver?.(bytes));
    transport.onClose((error) => this.closed?.(error));
  }

  /** Routes received bytes and the close event to one link until `release()`. */
  attach(receiver: (bytes: Uint8Array) => void, closed: (error?: Error) => void): void {
    this.receiver = receiver;
    this.closed = closed;
  }

  release(): void {
    this.receiver = undefined;
    this.closed = undefined;
  }
}

const channels = new WeakMap<Transport, Channel>();

export function channelFor(transport: Transport): Channel {
  let c = channels.get(transport);
  if (!c) {
    c = new Channel(transport);
    channels.set(transport, c);
  }
  return c;
}
