import { systemClock, type Clock } from '../../shared/clock.js';
import { DlmsClient } from '../../client/dlms-client.js';
import { createHdlcLink } from '../../client/hdlc-link.js';
import type { ApduLink } from '../../client/link.js';
import { createWrapperLink } from '../../client/wrapper-link.js';
import { createTcpTransport } from '../../transport/tcp.js';
import type { Transport } from '../../transport/transport.js';
import type { MeterDefinition, MeterReadFailure } from '../model.js';
import { DEFAULT_BACKOFF, MeterBackoff, skippedResult, type BackoffPolicy } from './backoff.js';
import { PollingError } from './errors.js';
import { authenticationOf, inRouteOrder, runSession, type MeterJob } from './session.js';

type TcpConnection = Extract<MeterDefinition['connection'], { kind: 'tcp' }>;

export interface TcpPollerOptions {
  /** Config `tcp.maxParallel`: conversations at once (each its own connection). */
  maxParallel: number;
  /** TCP handshake limit; default twice the meter's answer timeout, at least 3 s (cellular modems are slow). */
  connectTimeoutMs?: number;
  backoff?: BackoffPolicy;
}

export interface TcpPollerDeps {
  /** Timers of the line: gaps, pacing, connect timeouts (always real time). */
  clock?: Clock;
  /**
   * The gateway's time: result stamps and back-off waits. Differs from `clock` only when the gateway runs
   * on simulated time (the demo, the truth test); defaults to `clock`.
   */
  timeSource?: Clock;
  /** The connection to one meter; default a TCP socket to its host and port. */
  connect?: (meter: MeterDefinition, connection: TcpConnection) => Transport;
}

export interface TcpPoller {
  pollAll<T extends { ok: boolean }>(meters: readonly MeterDefinition[], job: MeterJob<T>): Promise<(T | MeterReadFailure)[]>;
  backoffState(meterId: string): { failures: number; nextAttemptAt: number } | undefined;
}

/**
 * TCP meters (RF-to-IP modems, cellular meters) in parallel up to `maxParallel`, each over its own
 * connection with the meter's own timeouts; results come back in route order whatever order the
 * conversations finish in. A meter that failed recently waits out its back-off and then gets one
 * attempt without resends.
 */
export function createTcpPoller(options: TcpPollerOptions, deps: TcpPollerDeps = {}): TcpPoller {
  if (!Number.isInteger(options.maxParallel) || options.maxParallel < 1) {
    throw new PollingError('POLL_BAD_CONFIG', `tcp.maxParallel must be an integer ≥ 1, got ${String(options.maxParallel)}`);
  }
  const clock = deps.clock ?? systemClock;
  const stamps = deps.timeSource ?? clock;
  const backoff = new MeterBackoff(options.backoff ?? DEFAULT_BACKOFF, stamps);

  function transportFor(meter: MeterDefinition, c: TcpConnection): Transport {
    if (deps.connect) return deps.connect(meter, c);
    const connectTimeoutMs = options.connectTimeoutMs ?? Math.max(3000, 2 * c.responseTimeoutMs);
    return createTcpTransport({ host: c.host, port: c.port, connectTimeoutMs, clock, description: `tcp ${c.host}:${c.port} (meter ${meter.id})` });
  }

  function linkFor(meter: MeterDefinition, c: TcpConnection, probe: boolean): ApduLink {
    const transport = transportFor(meter, c);
    if (c.profile === 'wrapper') return createWrapperLink({ transport, clientWPort: meter.authentication.clientSap, serverWPort: c.serverWPort, clock });
    return createHdlcLink({
      transport,
      clientSap: meter.authentication.clientSap,
      server: c.server,
      responseTimeoutMs: c.responseTimeoutMs,
      maxRetries: probe ? 0 : c.maxRetries,
      ownsTransport: true,
      clock,
    });
  }

  async function pollOne<T extends { ok: boolean }>(meter: MeterDefinition, job: MeterJob<T>): Promise<T | MeterReadFailure> {
    const c = meter.connection as TcpConnection;
    const decision = backoff.decide(meter.id);
    if (decision.action === 'skip') {
      return skippedResult(meter.id, decision, stamps.now());
    }
    const probe = decision.action === 'probe';
    const client = new DlmsClient({
      link: linkFor(meter, c, probe),
      meter: meter.id,
      authentication: authenticationOf(meter),
      responseTimeoutMs: c.responseTimeoutMs,
      retries: probe ? 0 : c.maxRetries,
      withList: meter.withList,
      maxListItems: meter.maxListItems,
      clock,
    });
    const result = await runSession(client, meter, job, stamps);
    if (result.ok) backoff.succeeded(meter.id);
    else backoff.failed(meter.id, String((result as { code?: unknown }).code ?? 'METER_PROTOCOL'), String((result as { step?: unknown }).step ?? 'get'));
    return result;
  }

  return {
    async pollAll<T extends { ok: boolean }>(meters: readonly MeterDefinition[], job: MeterJob<T>) {
      for (const m of meters) {
        if (m.connection.kind !== 'tcp') throw new PollingError('POLL_WRONG_BUS', `meter ${m.id} is on bus ${m.connection.bus}, not reached over TCP`);
      }
      const ordered = inRouteOrder(meters);
      const results = new Array<T | MeterReadFailure>(ordered.length);
      let next = 0;
      // A fixed pool of workers, each taking the next meter when its conversation ends.
      const worker = async (): Promise<void> => {
        for (let i = next++; i < ordered.length; i = next++) results[i] = await pollOne(ordered[i]!, job);
      };
      await Promise.all(Array.from({ length: Math.min(options.maxParallel, ordered.length) }, worker));
      return results;
    },
    backoffState: (id) => backoff.state(id),
  };
}
