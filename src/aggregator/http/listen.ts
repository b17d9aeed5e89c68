import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpListener {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves a handler on host:port (0 picks a free port). Timeouts bound what a slow or idle client can hold:
 * the API answers in milliseconds, so a request that takes longer than these is not a real client.
 */
export async function listenHttp(handler: (req: IncomingMessage, res: ServerResponse) => void, host: string, port: number): Promise<HttpListener> {
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive connections would hold close() open until they time out.
        server.closeIdleConnections();
      }),
  };
}
