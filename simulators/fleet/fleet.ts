import { FleetError } from './errors.js';
import type { Clock } from '../../src/shared/clock.js';
import { SimulatedClock } from '../../src/shared/simulated-clock.js';
import type { SimulatedMeter } from '../meter/meter-model.js';
import { startPtyBus, startTcpMeterServer, type PtyBus, type TcpMeterServer } from '../protocol/servers.js';
import { fleetClockOptions, type FleetConfig } from './fleet-config.js';
import { GroundTruth, type MeterConnectionTruth } from './ground-truth.js';
import { planFleet, type FleetPlan, type PlannedMeter } from './layout.js';
import { buildFleetMeters } from './meters.js';

/**
 * Runs a fleet: plans it (layout.ts), builds its meters on one shared time source, and serves them — each
 * gateway's RS485 buses on pseudo-terminals, its TCP meters on one port. What a gateway needs to reach
 * them comes back as plain data (also the shape of fleet.json).
 */

/** One meter as a gateway config needs it. */
export interface FleetMeterInfo {
  id: string;
  serial: string;
  meteringPoint: string;
  customerCode: string;
  bookCode: string;
  routeOrder: number;
  model: string;
  registers: PlannedMeter['model']['registers'];
  multiplier: string;
  /** Household customers only import: export energy on their meter is an anomaly. */
  importOnly: boolean;
  authentication: { clientSap: 17; password: string };
  connection: MeterConnectionTruth;
  installedAt: string;
  removedAt?: string;
  replaces?: string;
}

export interface RunningBus {
  id: string;
  /** The pseudo-terminal the gateway opens. */
  device: string;
  baud: number;
  meters: FleetMeterInfo[];
}

export interface RunningGateway {
  id: string;
  buses: RunningBus[];
  tcp?: { host: string; port: number; wrapper: boolean; meters: FleetMeterInfo[] };
}

export interface RunningFleet {
  readonly clock: Clock;
  readonly plan: FleetPlan;
  readonly gateways: RunningGateway[];
  truth(): GroundTruth;
  /** The simulated meter behind an id (to add a fault at run time, or ask it directly). */
  meter(id: string): SimulatedMeter;
  close(): Promise<void>;
}

export interface FleetDeps {
  /** Shared time of every meter; default a SimulatedClock from the file's start and speed. */
  clock?: Clock;
  /** Link events of the servers, for a log. */
  onNote?: (text: string) => void;
  /**
   * Serve only these gateways' meters (default: all). A large fleet split over several processes, each
   * given the same clock, uses more than one CPU core: one process answering 2 000 meters is the bottleneck
   * of a month run on a small machine.
   */
  gateways?: readonly string[];
}

export async function startFleet(config: FleetConfig, deps: FleetDeps = {}): Promise<RunningFleet> {
  const plan = planFleet(config);
  const clock = deps.clock ?? new SimulatedClock(fleetClockOptions(config));
  const meters = buildFleetMeters(plan, () => clock.now());
  const settings = { managementPassword: config.password };
  const closers: (() => Promise<void>)[] = [];
  const devices = new Map<string, string>();
  const ports = new Map<string, number>();
  const started: { gateway: string; buses: { id: string; bus: PtyBus }[]; tcp?: TcpMeterServer }[] = [];
  const closeAll = async (): Promise<void> => {
    // Reverse order; every one closes even if another fails.
    await Promise.allSettled(closers.splice(0).reverse().map((c) => c()));
  };

  const served = deps.gateways === undefined ? plan.gateways : plan.gateways.filter((g) => deps.gateways!.includes(g.id));
  const unknown = (deps.gateways ?? []).filter((id) => !plan.gateways.some((g) => g.id === id));
  if (unknown.length > 0) throw new FleetError('FLEET_BAD_CONFIG', `fleet: no gateway ${unknown.map((id) => `"${id}"`).join(', ')} (gateways: ${plan.gateways.map((g) => g.id).join(', ')})`);
  try {
    for (const g of served) {
      const entry: (typeof started)[number] = { gateway: g.id, buses: [] };
      started.push(entry);
      for (const b of g.buses) {
        const bus = await startPtyBus({ meters: b.meterIds.map((id) => meters.get(id)!), baud: b.baud, settings, ...(deps.onNote ? { onNote: deps.onNote } : {}) });
        closers.push(() => bus.close());
        entry.buses.push({ id: b.id, bus });
        devices.set(`${g.id}/${b.id}`, bus.path);
      }
      if (g.tcp) {
        const server = await startTcpMeterServer({
          port: g.tcp.port,
          host: g.tcp.host,
          wrapper: g.tcp.wrapper,
          meters: g.tcp.meterIds.map((id) => meters.get(id)!),
          settings,
          ...(deps.onNote ? { onNote: deps.onNote } : {}),
        });
        closers.push(() => server.close());
        entry.tcp = server;
        ports.set(g.id, server.port);
      }
    }
  } catch (e) {
    await closeAll();
    throw e;
  }

  const truth = new GroundTruth(plan, meters, { devices, ports });
  const byId = new Map(plan.meters.map((m) => [m.id, m]));
  const info = (id: string): FleetMeterInfo => meterInfo(byId.get(id)!, truth, config.password);
  const gateways: RunningGateway[] = served.map((g, i) => {
    const s = started[i]!;
    return {
      id: g.id,
      buses: g.buses.map((b, j) => ({ id: b.id, device: s.buses[j]!.bus.path, baud: b.baud, meters: b.meterIds.map(info) })),
      ...(g.tcp && s.tcp ? { tcp: { host: s.tcp.host, port: s.tcp.port, wrapper: g.tcp.wrapper, meters: g.tcp.meterIds.map(info) } } : {}),
    };
  });

  let closing: Promise<void> | undefined;
  return {
    clock,
    plan,
    gateways,
    truth: () => truth,
    meter: (id) => truth.simulated(id),
    close: () => (closing ??= closeAll()),
  };
}

export function meterInfo(m: PlannedMeter, truth: GroundTruth, password: string): FleetMeterInfo {
  const rec = truth.toMeterIdentity(m);
  return {
    id: m.id,
    serial: m.serial,
    meteringPoint: m.meteringPoint,
    customerCode: m.customerCode,
    bookCode: m.bookCode,
    routeOrder: m.routeOrder,
    model: m.model.name,
    registers: m.model.registers,
    multiplier: String(m.multiplier),
    importOnly: true,
    authentication: { clientSap: 17, password },
    connection: rec.connection,
    installedAt: rec.installedAt,
    ...(rec.removedAt ? { removedAt: rec.removedAt } : {}),
    ...(m.replaces ? { replaces: m.replaces } : {}),
  };
}
