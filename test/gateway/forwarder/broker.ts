import { createServer, type Socket } from 'node:net';
import { Aedes, type Client } from 'aedes';

export interface TestBroker {
  readonly port: number;
  readonly url: string;
  /** Connected clients by client id (the broker-side objects: `conn.destroy()` kills a socket). */
  readonly clients: Map<string, Client>;
  close(): Promise<void>;
}

/** A real aedes broker on 127.0.0.1 (port 0 = any free port; pass a port to "restart" on the same one). */
export async function startBroker(port = 0): Promise<TestBroker> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('broker: no TCP address');
  const clients = new Map<string, Client>();
  aedes.on('clientReady', (c: Client) => clients.set(c.id, c));
  aedes.on('clientDisconnect', (c: Client) => {
    if (clients.get(c.id) === c) clients.delete(c.id);
  });
  return {
    port: address.port,
    url: `mqtt://127.0.0.1:${address.port}`,
    clients,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `cond` until it holds; fails with `what` after `ms`. */
export async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
