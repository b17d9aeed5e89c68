import type { AggregatorConfig } from '../../config/aggregator-config.js';

/** Hosts that mean "every interface": a client cannot connect to them, it connects to loopback instead. */
const ANY = new Set(['0.0.0.0', '::', '[::]', '']);

/** Where the aggregator's own ingest reaches the embedded broker. */
export function ingestUrl(brokerHost: string, port: number): string {
  if (ANY.has(brokerHost)) return `mqtt://127.0.0.1:${port}`;
  return `mqtt://${brokerHost.includes(':') && !brokerHost.startsWith('[') ? `[${brokerHost}]` : brokerHost}:${port}`;
}

/**
 * The broker URL handed to a gateway at enrolment. A configured `publicUrl` wins (NAT, a DNS name the
 * certificate is issued for); an external broker's own URL next; otherwise the host name the gateway used
 * to reach the HTTP API, which is by construction a name it can reach, with the TLS port when TLS is on.
 */
export function brokerUrlFor(
  broker: AggregatorConfig['broker'],
  ports: { plain: number | undefined; tls: number | undefined },
  requestHost: string | undefined,
): string {
  if (broker.publicUrl !== undefined) return broker.publicUrl;
  if (!broker.embedded) return broker.url;
  const hostname = hostOf(requestHost) ?? (ANY.has(broker.host) ? '127.0.0.1' : broker.host);
  return ports.tls !== undefined ? `mqtts://${hostname}:${ports.tls}` : `mqtt://${hostname}:${ports.plain ?? broker.port}`;
}

/** The host name of a Host header (`aggregator.example:8080`, `[::1]:8080`), or undefined when unusable. */
function hostOf(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  try {
    const h = new URL(`http://${header}`).hostname;
    return h === '' ? undefined : h;
  } catch {
    return undefined;
  }
}
