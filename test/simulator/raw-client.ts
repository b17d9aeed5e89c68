import { connect, type Socket } from 'node:net';
import { concatBytes } from '../../src/shared/bytes.js';

/** Everything received so far, and a way to wait for a condition on it without hanging a test. */
export class Received {
  readonly chunks: Uint8Array[] = [];

  push(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
  }

  get bytes(): Uint8Array {
    return concatBytes(this.chunks);
  }

  clear(): void {
    this.chunks.length = 0;
  }

  async waitFor(condition: (bytes: Uint8Array) => boolean, what: string, ms = 3000): Promise<Uint8Array> {
    const deadline = Date.now() + ms;
    while (!condition(this.bytes)) {
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what} (have ${this.bytes.length} bytes)`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.bytes;
  }
}

export interface RawTcpClient {
  readonly received: Received;
  send(bytes: Uint8Array): void;
  close(): Promise<void>;
  readonly closed: Promise<void>;
}

/** A TCP client that sends raw bytes by hand (no DLMS client involved). */
export async function rawTcpClient(port: number, host = '127.0.0.1'): Promise<RawTcpClient> {
  const received = new Received();
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect({ port, host }, () => resolve(s));
    s.once('error', reject);
  });
  socket.on('data', (chunk: Buffer) => received.push(new Uint8Array(chunk)));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    received,
    closed,
    send: (bytes) => socket.write(bytes),
    close: async () => {
      socket.destroy();
      await closed;
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
