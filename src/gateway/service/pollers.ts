import { systemClock, type Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { GatewayConfig } from '../../config/gateway-config.js';
import type { Transport } from '../../transport/transport.js';
import type { MeterDefinition, MeterReadResult } from '../model.js';
import { createBusPoller, createTcpPoller, type BusPoller, type MeterJob, type TcpPoller } from '../polling/index.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { busChanges } from './reload.js';

/** One group of results: a bus's meters, or the TCP meters (busId undefined). */
export interface PollGroup<T> {
  busId: string | undefined;
  results: (T | MeterReadResult)[];
}

/** The gateway's pollers: one per RS485 bus and one for the TCP meters, replaced in place on a reload. */
export interface Pollers {
  /** Runs `job` on these meters: the buses in parallel (each is its own wire), one meter at a time per bus. */
  pollMeters<T extends { ok: boolean }>(meters: readonly MeterDefinition[], job: MeterJob<T>): Promise<PollGroup<T>[]>;
  /** Closes the pollers of changed or removed buses, opens those of new or changed ones, resizes TCP. */
  reconfigure(running: GatewayConfig, next: GatewayConfig): Promise<void>;
  close(): Promise<void>;
}

export interface PollersDeps {
  /** The gateway's time (stamps, back-off); the lines' own timers always run on real time. */
  clock: Clock;
  openPort?: (bus: GatewayConfig['buses'][number]) => Transport;
  log: Logger;
  metrics: GatewayMetrics;
}

export function createPollers(config: GatewayConfig, deps: PollersDeps): Pollers {
  const { clock, log, metrics } = deps;
  const pollerOf = (bus: GatewayConfig['buses'][number]) =>
    createBusPoller({ bus }, { clock: systemClock, timeSource: clock, ...(deps.openPort ? { openPort: deps.openPort } : {}), log: log.child({ bus: bus.id }) });
  const tcpPollerOf = (c: GatewayConfig) => createTcpPoller({ maxParallel: c.tcp.maxParallel }, { clock: systemClock, timeSource: clock });
  const busPollers = new Map<string, BusPoller>(config.buses.map((bus) => [bus.id, pollerOf(bus)]));
  let tcpPoller: TcpPoller = tcpPollerOf(config);

  return {
    async pollMeters(meters, job) {
      const byBus = new Map<string, MeterDefinition[]>();
      const tcp: MeterDefinition[] = [];
      for (const m of meters) {
        if (m.connection.kind === 'bus') byBus.set(m.connection.bus, [...(byBus.get(m.connection.bus) ?? []), m]);
        else tcp.push(m);
      }
      return Promise.all([
        ...[...byBus].map(async ([busId, list]) => {
          const started = performance.now();
          const results = await busPollers.get(busId)!.pollAll(list, job);
          metrics.cycleSeconds.observe((performance.now() - started) / 1000, { bus: busId });
          return { busId: busId as string | undefined, results };
        }),
        ...(tcp.length ? [tcpPoller.pollAll(tcp, job).then((results) => ({ busId: undefined, results }))] : []),
      ]);
    },
    async reconfigure(running, next) {
      const buses = busChanges(running, next);
      for (const id of [...buses.replace, ...buses.remove]) {
        await busPollers.get(id)?.close();
        busPollers.delete(id);
      }
      for (const bus of next.buses) if (!busPollers.has(bus.id)) busPollers.set(bus.id, pollerOf(bus));
      if (next.tcp.maxParallel !== running.tcp.maxParallel) tcpPoller = tcpPollerOf(next);
    },
    async close() {
      await Promise.all([...busPollers.values()].map((p) => p.close()));
    },
  };
}
