import { mkdirSync, readFileSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { serveMetrics } from '../../shared/metrics.js';
import { ScalerCache } from '../../client/register-reader.js';
import type { GatewayConfig } from '../../config/gateway-config.js';
import { configHash } from '../../config/config-hash.js';
import { openStore, type Store } from '../../store/database.js';
import { Outbox } from '../../store/outbox.js';
import { ReadHistory } from '../../store/read-history.js';
import type { Transport } from '../../transport/transport.js';
import type { GatewayEvent } from '../../wire/events.js';
import { keyIdOf, loadPrivateKey, loadPublicKey } from '../../wire/keys.js';
import type { CommandMessage } from '../../wire/commands.js';
import type { JsonValue } from '../../wire/primitives.js';
import type { ReadRecord } from '../../wire/reads.js';
import { resolveThresholds } from '../detection/thresholds.js';
import { createForwarder, type Forwarder } from '../forwarder/index.js';
import type { MeterDefinition, MeterReadResult } from '../model.js';
import { billingJob, createBusPoller, createSchedule, createTcpPoller, cronTrigger, lastMonthEnd, readJob, type BusPoller, type MeterJob, type PollSchedule, type Trigger } from '../polling/index.js';
import { DetectionRunner, HISTORY_DEPTH } from './detection-runner.js';
import { gatewayMetrics } from './gateway-metrics.js';
import { isBillingRelevant, registerRecords, snapshotRecords } from './records.js';
import { writeStatusFile, type GatewayStatusReport } from './status-file.js';

export interface GatewayDeps {
  logger: Logger;
  /** Time for schedules, detection and records (a simulated clock in the demo); protocol timeouts stay real. */
  clock?: Clock;
  /** What fires the cron cycles; node-cron in the utility's time zone by default. */
  trigger?: Trigger;
  /** The raw serial port of a bus (tests and the demo may substitute). */
  openPort?: (bus: GatewayConfig['buses'][number]) => Transport;
  version?: string;
}

export interface Gateway {
  start(): Promise<void>;
  close(): Promise<void>;
  /** Runs one cycle now (what the schedule does at its time). */
  runCycle(kind: 'registers' | 'billing' | 'digest'): Promise<void>;
  status(): GatewayStatusReport;
  readonly metricsText: () => string;
}

/**
 * The gateway service: pollers per RS485 bus and for TCP meters, reads into the SQLite outbox before
 * anything is sent, edge detection after each cycle, signed forwarding with application acks, commands
 * from central. `build` wires the parts; `start` opens the network side and the schedule.
 */
export function buildGateway(config: GatewayConfig, deps: GatewayDeps): Gateway {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ gateway: config.gateway.id });
  const version = deps.version ?? '0.1.0';
  mkdirSync(config.dataDir, { recursive: true, mode: 0o750 });

  // Reads and events are separate wire streams, each with its own sequence: one store file each.
  const readsStore: Store = openStore({ path: join(config.dataDir, 'reads.db'), onCorrupt: 'quarantine' });
  const eventsStore: Store = openStore({ path: join(config.dataDir, 'events.db'), onCorrupt: 'quarantine' });
  const outbox = new Outbox(readsStore, { now: () => clock.now() });
  const eventsOutbox = new Outbox(eventsStore, { now: () => clock.now() });
  const history = new ReadHistory(readsStore, { keepPerRegister: HISTORY_DEPTH, now: () => clock.now() });
  const thresholds = resolveThresholds({
    offlineAfterFailures: config.thresholds.offlineAfterFailures,
    offlineAfterHours: config.thresholds.offlineAfterHours,
    busSilentShare: config.thresholds.busSilentShare,
    spikeRatio: config.thresholds.spikeRatio,
    clockDriftSeconds: config.thresholds.clockDriftSeconds,
    tariffSumToleranceUnits: config.thresholds.tariffSumToleranceUnits,
    stuckAfterHours: config.thresholds.stuckAfterHours,
    preCutoffDays: config.thresholds.preCutoffDays,
  });
  const detection = new DetectionRunner(history, config.meters, thresholds);
  const metrics = gatewayMetrics();

  const privateKey = loadPrivateKey(readFileSync(config.keys.privateKeyFile, 'utf8'));
  const keyId = keyIdOf(createPublicKey(privateKey));
  const aggregatorKeys: KeyObject[] = config.keys.aggregatorPublicKeyFile ? [loadPublicKey(readFileSync(config.keys.aggregatorPublicKeyFile, 'utf8'))] : [];

  const scalers = new ScalerCache();
  const models = Object.fromEntries(Object.entries(config.models).map(([name, m]) => [name, { statusWord: m.statusWord }]));
  const ctx = { clock, scalers, serialsChecked: new Set<string>(), models };
  const busPollers = new Map<string, BusPoller>(
    config.buses.map((bus) => [
      bus.id,
      createBusPoller({ bus }, { clock: systemClock, timeSource: clock, ...(deps.openPort ? { openPort: deps.openPort } : {}), log: log.child({ bus: bus.id }) }),
    ]),
  );
  const tcpPoller = createTcpPoller({ maxParallel: config.tcp.maxParallel }, { clock: systemClock, timeSource: clock });
  const metersOfBus = (busId: string) => config.meters.filter((m) => m.connection.kind === 'bus' && m.connection.bus === busId);
  const tcpMeters = config.meters.filter((m) => m.connection.kind === 'tcp');

  const backlogOf = () => {
    const a = outbox.backlog();
    const b = eventsOutbox.backlog();
    const oldest = [a.oldestCreatedAt, b.oldestCreatedAt].filter((x): x is number => x !== null);
    return { count: a.count + b.count, bytes: a.bytes + b.bytes, oldestCreatedAt: oldest.length ? Math.min(...oldest) : null, billingCount: a.billingCount + b.billingCount, lastSeq: a.lastSeq };
  };

  let forwarder: Forwarder | undefined;
  let schedule: PollSchedule | undefined;
  let metricsServer: { close(): Promise<void> } | undefined;
  let lastCycle: { kind: string; at: number; ok: number; failed: number } | undefined;
  const problems = new Map<string, { code: string; message: string; at: string }>();

  function appendReads(records: ReadRecord[]): void {
    if (records.length === 0) return;
    outbox.append(
      records.map((r) => ({ readId: r.readId, kind: 'read' as const, billing: isBillingRelevant(r.kind, Date.parse(r.meterTime)), payload: JSON.stringify(r), createdAt: Date.parse(r.receivedAt) })),
    );
    metrics.reads.inc(undefined, records.length);
  }

  function appendEvents(events: GatewayEvent[]): void {
    if (events.length === 0) return;
    const now = clock.now();
    eventsOutbox.append(
      events.map((e, i) => {
        const subject = 'meterId' in e ? e.meterId : 'bus' in e ? e.bus : e.type;
        const state = 'state' in e ? `|${String(e.state)}` : '';
        return { readId: `${config.gateway.id}|${e.type}|${subject}${state}|${e.at}|${i}`, kind: 'event' as const, billing: false, payload: JSON.stringify(e), createdAt: now };
      }),
    );
    for (const e of events) metrics.events.inc({ type: e.type });
  }

  /** Records, detection and events for one bus's (or the TCP meters') results; the reads are on disk first. */
  function handleResults(busId: string | undefined, results: readonly MeterReadResult[]): void {
    const meters = new Map(config.meters.map((m) => [m.id, m]));
    const records: ReadRecord[] = [];
    for (const r of results) {
      metrics.polls.inc({ outcome: r.ok ? 'ok' : r.code });
      const meter = meters.get(r.meterId);
      if (r.ok && meter) records.push(...registerRecords(config.gateway.id, meter, r, config.thresholds.clockDriftSeconds));
    }
    appendReads(records);
    const detected = detection.afterCycle(busId, results, clock.now());
    for (const p of detected.problems) problems.set(p.meterId, { code: p.code, message: p.message, at: p.at });
    appendEvents(detected.events);
    forwarder?.wake();
  }

  async function pollMeters<T extends { ok: boolean }>(meters: readonly MeterDefinition[], job: MeterJob<T>): Promise<{ busId: string | undefined; results: (T | MeterReadResult)[] }[]> {
    const byBus = new Map<string, MeterDefinition[]>();
    const tcp: MeterDefinition[] = [];
    for (const m of meters) {
      if (m.connection.kind === 'bus') byBus.set(m.connection.bus, [...(byBus.get(m.connection.bus) ?? []), m]);
      else tcp.push(m);
    }
    // Buses in parallel (each is its own wire), the meters of one bus one at a time.
    return Promise.all([
      ...[...byBus].map(async ([busId, list]) => {
        const started = performance.now();
        const results = await busPollers.get(busId)!.pollAll(list, job);
        metrics.cycleSeconds.observe((performance.now() - started) / 1000, { bus: busId });
        return { busId: busId as string | undefined, results };
      }),
      ...(tcp.length ? [tcpPoller.pollAll(tcp, job).then((results) => ({ busId: undefined, results }))] : []),
    ]);
  }

  async function registersCycle(meters: readonly MeterDefinition[] = config.meters): Promise<MeterReadResult[]> {
    const groups = await pollMeters(meters, readJob(ctx));
    const all: MeterReadResult[] = [];
    for (const g of groups) {
      handleResults(g.busId, g.results as MeterReadResult[]);
      all.push(...(g.results as MeterReadResult[]));
    }
    lastCycle = { kind: 'registers', at: clock.now(), ok: all.filter((r) => r.ok).length, failed: all.filter((r) => !r.ok).length };
    writeStatus();
    return all;
  }

  async function billingCycle(): Promise<void> {
    const monthStart = lastMonthEnd(clock.now());
    const groups = await pollMeters(config.meters, billingJob({ clock, scalers, monthStart }));
    const meters = new Map(config.meters.map((m) => [m.id, m]));
    const records: ReadRecord[] = [];
    let ok = 0;
    for (const g of groups) {
      for (const r of g.results) {
        const meter = meters.get(r.meterId as string);
        if (r.ok && meter && 'monthStart' in r) {
          records.push(...snapshotRecords(config.gateway.id, meter, r));
          ok++;
        }
      }
    }
    appendReads(records);
    forwarder?.wake();
    lastCycle = { kind: 'billing', at: clock.now(), ok, failed: config.meters.length - ok };
    log.info({ monthStart: new Date(monthStart).toISOString(), meters: ok, records: records.length }, 'billing snapshots read');
    writeStatus();
  }

  async function digestCycle(): Promise<void> {
    appendEvents(detection.digest(clock.now(), backlogOf()));
    forwarder?.wake();
  }

  async function onCommand(command: CommandMessage): Promise<JsonValue> {
    const c = command.command;
    switch (c.type) {
      case 'read-now': {
        const meter = config.meters.find((m) => m.id === c.meterId);
        if (!meter) throw new Error(`meter ${c.meterId} is not configured on gateway ${config.gateway.id}`);
        const [result] = await registersCycle([meter]);
        if (!result?.ok) throw new Error(result ? `${result.code}: ${result.message}` : 'no result');
        return { meterId: meter.id, meterTime: result.meterTime ? new Date(result.meterTime).toISOString() : null, registers: result.registers.map((r) => ({ obis: r.obis, bcs: r.bcs, value: r.value, unit: r.unit })) };
      }
      case 'reread-book': {
        const meters = config.meters.filter((m) => m.bookCode === c.bookCode);
        if (meters.length === 0) throw new Error(`no meter of book ${c.bookCode} on gateway ${config.gateway.id}`);
        const results = await registersCycle(meters);
        return { bookCode: c.bookCode, read: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length };
      }
      default:
        throw new Error(`command ${c.type} is not supported by this gateway version (${version})`);
    }
  }

  function report(): GatewayStatusReport {
    const statuses = detection.statuses();
    const backlog = backlogOf();
    return {
      gatewayId: config.gateway.id,
      version,
      at: new Date(clock.now()).toISOString(),
      buses: config.buses.map((b) => ({ id: b.id, device: b.device, meters: metersOfBus(b.id).length })),
      tcpMeters: tcpMeters.length,
      meters: {
        total: statuses.length,
        online: statuses.filter((s) => s.reachability.status === 'online').length,
        failing: statuses.filter((s) => s.reachability.status === 'failing').length,
        offline: statuses.filter((s) => s.reachability.status === 'offline').length,
      },
      offline: statuses
        .filter((s) => s.reachability.status === 'offline')
        .map((s) => ({ meterId: s.meter.id, meteringPoint: s.meter.meteringPoint, since: s.reachability.failingSince ? new Date(s.reachability.failingSince).toISOString() : null, lastError: s.reachability.lastError })),
      problems: [...problems].map(([meterId, p]) => ({ meterId, ...p })),
      openAnomalies: statuses.reduce((n, s) => n + Object.keys(s.anomalies.open).length, 0),
      backlog: { count: backlog.count, bytes: backlog.bytes, oldestAt: backlog.oldestCreatedAt === null ? null : new Date(backlog.oldestCreatedAt).toISOString() },
      central: forwarder ? { connected: forwarder.status().connected, lastAckAt: forwarder.status().lastAckAt === null ? null : new Date(forwarder.status().lastAckAt!).toISOString() } : { connected: false, lastAckAt: null },
      lastCycle: lastCycle ? { ...lastCycle, at: new Date(lastCycle.at).toISOString() } : null,
    };
  }

  function writeStatus(): void {
    try {
      writeStatusFile(config.dataDir, report());
    } catch (e) {
      log.warn({ err: errorMessage(e) }, 'could not write status.json');
    }
  }

  metrics.backlogItems.collect((g) => g.set(backlogOf().count));
  metrics.backlogOldest.collect((g) => {
    const oldest = backlogOf().oldestCreatedAt;
    g.set(oldest === null ? 0 : Math.max(0, (clock.now() - oldest) / 1000));
  });
  metrics.metersOffline.collect((g) => g.set(detection.statuses().filter((s) => s.reachability.status === 'offline').length));
  metrics.connected.collect((g) => g.set(forwarder?.status().connected ? 1 : 0));

  return {
    async start() {
      forwarder = createForwarder({
        gatewayId: config.gateway.id,
        keyId,
        privateKey,
        outbox,
        eventsOutbox,
        aggregatorKeys,
        mqtt: {
          url: config.mqtt.url,
          username: config.mqtt.username,
          ...(config.mqtt.password ? { password: config.mqtt.password } : {}),
          clientId: config.mqtt.clientId,
          topicRoot: config.mqtt.topicRoot,
          keepaliveSeconds: config.mqtt.keepaliveSeconds,
        },
        replay: config.mqtt.replay,
        clock,
        logger: log.child({ part: 'forwarder' }),
        version,
        configHash: configHash(config),
        backlog: () => {
          const b = backlogOf();
          return { count: b.count, bytes: b.bytes, oldestAt: b.oldestCreatedAt === null ? null : new Date(b.oldestCreatedAt).toISOString() };
        },
        meters: () => {
          const s = detection.statuses();
          return { total: s.length, online: s.filter((x) => x.reachability.status !== 'offline').length };
        },
      });
      forwarder.onCommand(onCommand);
      await forwarder.start();
      if (config.metrics) metricsServer = await serveMetrics(metrics.registry, config.metrics);
      schedule = createSchedule(
        {
          registers: { cron: config.schedules.registers, run: () => registersCycle() },
          billing: { cron: config.schedules.billingSnapshot, run: billingCycle },
          digest: { cron: config.schedules.dailyDigest, run: digestCycle },
        },
        { trigger: deps.trigger ?? cronTrigger(config.schedules.timeZone), clock },
      );
      schedule.start();
      writeStatus();
      log.info({ meters: config.meters.length, buses: config.buses.length, keyId }, 'gateway started');
    },
    async close() {
      await schedule?.close();
      await forwarder?.close();
      await Promise.all([...busPollers.values()].map((p) => p.close()));
      await metricsServer?.close();
      writeStatus();
      readsStore.close();
      eventsStore.close();
      log.info('gateway stopped');
    },
    async runCycle(kind) {
      if (kind === 'registers') await registersCycle();
      else if (kind === 'billing') await billingCycle();
      else await digestCycle();
    },
    status: report,
    metricsText: () => metrics.registry.render(),
  };
}

