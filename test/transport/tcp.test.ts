import { createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/shared/bytes.js';
import { isRetryable, isTransportError } from '../../src/transport/errors.js';
import { createTcpTransport } from '../../src/transport/tcp.js';
import { transportContract, type Fixture, type Peer } from './contract.js';
import { ManualClock } from './manual-clock.js';
import { waitUntil } from './sink.js';

/** A server on 127.0.0.1 with an OS-chosen port that hands out accepted sockets in order. */
async function localServer(): Promise<{ server: Server; port: number; accepted: Socket[]; close(): Promise<void> }> {
  const accepted: Socket[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    accepted.push(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    server,
    port: address.port,
    accepted,
    close: async () => {
      for (const s of accepted) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function socketPeer(socket: Socket): Peer {
  const chunks: Uint8Array[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => chunks.push(new Uint8Array(chunk)));
  socket.on('close', () => {
    closed = true;
  });
  const length = (): number => chunks.reduce((n, c) => n + c.length, 0);
  return {
    write: (bytes) => new Promise((resolve, reject) => socket.write(bytes, (e) => (e ? reject(e) : resolve()))),
    bytes: () => concatBytes(chunks),
    untilBytes: (n) => waitUntil(() => length() >= n, `${n} bytes at the TCP peer (have ${length()})`),
    hangUp: () => new Promise((resolve) => socket.end(() => resolve())),
    closed: () => closed,
  };
}

/** A port on 127.0.0.1 where nothing listens: bound by the OS, then released. */
async function freePort(): Promise<number> {
  const s = await localServer();
  await s.close();
  return s.port;
}

transportContract({
  name: 'tcp',
  peerSeesLocalClose: true,
  async setup(): Promise<Fixture> {
    const server = await localServer();
    const transport = createTcpTransport({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 5000 });
    return {
      transport,
      peer: async () => {
        await waitUntil(() => server.accepted.length > 0, 'the server to accept');
        return socketPeer(server.accepted[0]!);
      },
      teardown: async () => {
        await transport.close();
        await server.close();
      },
    };
  },
  async missing() {
    const port = await freePort();
    return {
      transport: createTcpTransport({ host: '127.0.0.1', port, connectTimeoutMs: 5000 }),
      name: `127.0.0.1:${port}`,
      teardown: async () => undefined,
    };
  },
});

describe('tcp specifics', () => {
  it('says "connection refused" for a closed port, and calls it retryable', async () => {
    const port = await freePort();
    const t = createTcpTransport({ host: '127.0.0.1', port, connectTimeoutMs: 5000 });
    const error = await t.open().then(() => undefined, (e: unknown) => e);
    expect(isTransportError(error, 'TRANSPORT_OPEN_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${port}: connection refused`));
    expect((error as { context: Record<string, unknown> }).context['reason']).toBe('refused');
    expect(isRetryable(error)).toBe(true);
  });

  it('gives up a connect after connectTimeoutMs with TRANSPORT_CONNECT_TIMEOUT naming host:port', async () => {
    const server = await localServer();
    const clock = new ManualClock();
    const t = createTcpTransport({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 1500, clock });
    try {
      const opening = t.open().then(() => undefined, (e: unknown) => e);
      expect(clock.deadlines()).toEqual([1500]);
      clock.advance(1500); // before the event loop can complete the handshake
      const error = await opening;
      expect(isTransportError(error, 'TRANSPORT_CONNECT_TIMEOUT')).toBe(true);
      expect((error as Error).message).toBe(`cannot connect to 127.0.0.1:${server.port}: no answer within 1500 ms`);
      expect(t.isOpen).toBe(false);
      expect(clock.pendingTimers).toBe(0);
    } finally {
      await t.close();
      await server.close();
    }
  });

  it('clears the connect timer once connected, and can reconnect after a close', async () => {
    const server = await localServer();
    const clock = new ManualClock();
    const t = createTcpTransport({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 1500, clock, description: 'meter 42' });
    try {
      expect(t.description).toBe('meter 42');
      await t.open();
      expect(clock.pendingTimers).toBe(0);
      await t.close();
      await t.open();
      expect(t.isOpen).toBe(true);
      await waitUntil(() => server.accepted.length === 2, 'two connections');
    } finally {
      await t.close();
      await server.close();
    }
  });

  it('abandons an open when close() is called during the connect', async () => {
    const server = await localServer();
    const t = createTcpTransport({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 5000 });
    try {
      const opening = t.open().then(() => undefined, (e: unknown) => e);
      await t.close();
      const error = await opening;
      expect(isTransportError(error, 'TRANSPORT_CLOSED')).toBe(true);
      expect(t.isOpen).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('rejects impossible settings at construction', () => {
    expect(() => createTcpTransport({ host: '127.0.0.1', port: 0, connectTimeoutMs: 100 })).toThrow(/bad TCP port 0/);
    expect(() => createTcpTransport({ host: '127.0.0.1', port: 4059, connectTimeoutMs: 0 })).toThrow(/bad connectTimeoutMs 0/);
  });
});
