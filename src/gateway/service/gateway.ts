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
import { loadGatewayConfig } from '../../config/load-gateway-config.js';
import { openStore, type OpenStoreOptions, type Store } from '../../store/database.js';
import { Outbox } from '../../store/outbox.js';
import { ReadHistory } from '../../store/read-history.js';
import type { Transport } from '../../transport/transport.js';
import { keyIdOf, loadPrivateKey, loadPublicKey } from '../../wire/keys.js';
import type { ReadRecord } from '../../wire/reads.js';
import { resolveThresholds } from '../detection/thresholds.js';
import { VN_OFFSET_MS } from '../detection/local-time.js';
import { createForwarder, forwarderMqttOptions, type Forwarder } from '../forwarder/index.js';
import type { MeterDefinition, MeterReadResult } from '../model.js';
import {
  createSchedule,
  cronTrigger,
  readJob,
  type PollSchedule,
  type Trigger,
} from '../polling/index.js';
import { clockCheckJob, type ClockReading } from './clock-jobs.js';
import { billingCycle } from './billing-cycle.js';
import { commandHandler } from './commands.js';
import { loadEventLogMarks, saveEventLogMarks } from './event-log-marks.js';
import { loadProfileCycles } from './load-profile-cycle.js';
import { releaseCycleMemory } from './memory.js';
import { createOutboxWriter } from './outbox-writer.js';
import { createPollers } from './pollers.js';
import type { RequestedRead } from './read-commands.js';
import { runRetention } from './retention.js';
import { DetectionRunner, historyDays, RECENT_READS } from './detection-runner.js';
import { gatewayMetrics } from './gateway-metrics.js';
import { registerRecords } from './records.js';
import { writeStatusFile, type GatewayStatusReport } from './status-file.js';
import { statusReport } from './status-report.js';

/**
 * At start, a meter whose last stored load-profile entry is older than this missed a daily load-profile
 * cycle while the gateway was down: its profile is caught up at once. A day and two hours, because after
 * the daily cycle the mark is up to a day old: with a shorter limit every restart (a crash, an update in
 * the afternoon) would read the whole fleet's profile again, competing with the register reads on the buses.
 */
const RESTART_CATCH_UP_AFTER_MS = 26 * 3_600_000;

export interface GatewayDeps {
  logger: Logger;
  /** Time for schedules, detection and records (a simulated clock in the demo); protocol timeouts stay real. */
  clock?: Clock;
  /** What fires the cron cycles; node-cron in the utility's time zone by default. */
  trigger?: Trigger;
  /** The raw serial port of a bus (tests and the demo may substitute). */
  openPort?: (bus: GatewayConfig['buses'][number]) => Transport;
  version?: string;
  /** Opens the SQLite stores (tests wrap it to reach the connection, e.g. to fill the "disk"). */
  openStore?: (options: OpenStoreOptions) => Store;
  /** Reads the config file again for `reload-config`; default loadGatewayConfig(config.source). */
  loadConfig?: (path: string) => GatewayConfig;
}

export interface Gateway {
  start(): Promise<void>;
  close(): Promise<void>;
  /** Runs one cycle now (what the schedule does at its time). */
  runCycle(kind: 'registers' | 'billing' | 'digest' | 'loadProfile' | 'clockCheck' | 'retention'): Promise<void>;
  /** Resolves when the load-profile catch-ups asked so far (restart, meters back online) have run. */
  catchUpIdle(): Promise<void>;
  /** The configuration in force (replaced by a successful `reload-config`). */
  config(): GatewayConfig;
  status(): GatewayStatusReport;
  readonly metricsText: () => string;
}

/** TCP meters' results stored and judged together in a registers cycle (see registersCycle). */
const HANDLE_SLICE = 100;

function sliced<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The gateway service: pollers per RS485 bus and for TCP meters, reads into the SQLite outbox before
 * anything is sent, edge detection after each cycle, signed forwarding with application acks, commands
 * from central. `build` wires the parts; `start` opens the network side and the schedule.
 */
export function buildGateway(initialConfig: GatewayConfig, deps: GatewayDeps): Gateway {
  let config = initialConfig;
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ gateway: config.gateway.id });
  const version = deps.version ?? '0.1.0';
  mkdirSync(config.dataDir, { recursive: true, mode: 0o750 });

  // Reads and events are separate wire streams, each with its own sequence: one store file each.
  const open = deps.openStore ?? openStore;
  // Small page caches: the outboxes append at the end and delete from the front, and the gateway's memory
  // budget (80 MB on a Pi-class box) has no room for SQLite's default 2 MB per connection.
  const readsStore: Store = open({ path: join(config.dataDir, 'reads.db'), onCorrupt: 'quarantine', cacheKiB: 512 });
  const eventsStore: Store = open({ path: join(config.dataDir, 'events.db'), onCorrupt: 'quarantine', cacheKiB: 256 });
  const outbox = new Outbox(readsStore, { now: () => clock.now() });
  const eventsOutbox = new Outbox(eventsStore, { now: () => clock.now() });
  const thresholdsOf = (c: GatewayConfig) =>
    resolveThresholds({
      offlineAfterFailures: c.thresholds.offlineAfterFailures,
      offlineAfterHours: c.thresholds.offlineAfterHours,
      busSilentShare: c.thresholds.busSilentShare,
      spikeRatio: c.thresholds.spikeRatio,
      clockDriftSeconds: c.thresholds.clockDriftSeconds,
      tariffSumToleranceUnits: c.thresholds.tariffSumToleranceUnits,
      stuckAfterHours: c.thresholds.stuckAfterHours,
      preCutoffDays: c.thresholds.preCutoffDays,
    });
  // The spike window is not in the config, so the days kept do not change on a reload.
  const history = new ReadHistory(readsStore, {
    keepPerRegister: RECENT_READS,
    dailyDays: historyDays(thresholdsOf(config)),
    localOffsetMs: VN_OFFSET_MS,
    now: () => clock.now(),
  });
  const detectionFor = (c: GatewayConfig) => new DetectionRunner(history, c.meters, thresholdsOf(c));
  let detection = detectionFor(config);
  const metrics = gatewayMetrics();
  const writer = createOutboxWriter({ gatewayId: config.gateway.id, outbox, eventsOutbox, clock, log, metrics });

  const privateKey = loadPrivateKey(readFileSync(config.keys.privateKeyFile, 'utf8'));
  const keyId = keyIdOf(createPublicKey(privateKey));
  const aggregatorKeys: KeyObject[] = config.keys.aggregatorPublicKeyFile ? [loadPublicKey(readFileSync(config.keys.aggregatorPublicKeyFile, 'utf8'))] : [];

  const scalers = new ScalerCache();
  const models = Object.fromEntries(Object.entries(config.models).map(([name, m]) => [name, { statusWord: m.statusWord, eventLog: m.eventLog }]));
  const eventLogMarks = loadEventLogMarks(history, config.meters.map((m) => m.id), log);
  const ctx = { clock, scalers, serialsChecked: new Set<string>(), eventLogMarks, models };
  const pollers = createPollers(config, { clock, ...(deps.openPort ? { openPort: deps.openPort } : {}), log, metrics });
  const pollMeters = pollers.pollMeters;

  let forwarder: Forwarder | undefined;
  let schedule: PollSchedule | undefined;
  let metricsServer: { close(): Promise<void> } | undefined;
  let lastCycle: { kind: string; at: number; ok: number; failed: number } | undefined;
  /** Set by close(): long cycles stop between rounds (see load-profile-cycle.ts). */
  let closing = false;
  const problems = new Map<string, { code: string; message: string; at: string }>();
  const clocks = new Map<string, { offsetSeconds: number; invalid: boolean; at: string }>();

  /** Records, detection and events for one bus's (or the TCP meters') results; the reads are on disk first. */
  function handleResults(busId: string | undefined, results: readonly MeterReadResult[], options: { reread: boolean }): Omit<RequestedRead, 'results'> {
    const meters = new Map(config.meters.map((m) => [m.id, m]));
    const records: ReadRecord[] = [];
    for (const r of results) {
      metrics.polls.inc({ outcome: r.ok ? 'ok' : r.code });
      const meter = meters.get(r.meterId);
      if (r.ok && meter) records.push(...registerRecords(config.gateway.id, meter, r, config.thresholds.clockDriftSeconds, options));
    }
    // Taken as the write failed: the status shows it until reads are stored again.
    const notStored = writer.appendReads(records) ? null : writer.problem();
    saveEventLogMarks(history, eventLogMarks, results, clock.now(), log);
    // Detection keeps its state in the reads database: when that refuses writes (a full disk) this cycle's
    // flags are left out, and the other buses' reads are still stored.
    let detected: ReturnType<DetectionRunner['afterCycle']> = { events: [], problems: [] };
    writer.guard(`detection state of ${results.length} meter(s)`, () => {
      detected = detection.afterCycle(busId, results, clock.now());
    });
    for (const p of detected.problems) problems.set(p.meterId, { code: p.code, message: p.message, at: p.at });
    writer.appendEvents(detected.events);
    // A meter back after an outage: its load profile of the outage is fetched now, not at the next daily cycle.
    requestCatchUp(detected.events.flatMap((e) => (e.type === 'meter-online' ? [e.meterId] : [])));
    forwarder?.wake();
    return { records, notStored };
  }

  /**
   * The registers cycle; on central's request (read-now) its reads are flagged `reread` and the results and
   * records come back for the answer. The TCP meters' results are stored and judged HANDLE_SLICE meters at a
   * time: a thousand meters' records, outbox rows and detection history at once were the gateway's memory
   * peak. A bus's results stay together: bus silence is judged over the whole bus.
   */
  async function registersCycle(meters: readonly MeterDefinition[] = config.meters, options = { reread: false }, answer = true): Promise<RequestedRead> {
    const groups = await pollMeters(meters, readJob(ctx));
    const all: MeterReadResult[] = [];
    const records: ReadRecord[] = [];
    let notStored: RequestedRead['notStored'] = null;
    let ok = 0;
    let failed = 0;
    for (const g of groups) {
      const slices = g.busId === undefined ? sliced(g.results, HANDLE_SLICE) : [g.results];
      for (const slice of slices) {
        const handled = handleResults(g.busId, slice, options);
        if (answer) records.push(...handled.records);
        notStored ??= handled.notStored;
      }
      for (const r of g.results) if (r.ok) ok++; else failed++;
      if (answer) all.push(...g.results);
    }
    lastCycle = { kind: 'registers', at: clock.now(), ok, failed };
    writeStatus();
    return { results: all, records, notStored };
  }

  const readBillingSnapshots = billingCycle({ config: () => config, clock, scalers, history, writer, pollMeters, wake: () => forwarder?.wake(), log });
  async function billingSnapshotCycle(): Promise<void> {
    const outcome = await readBillingSnapshots();
    lastCycle = { kind: 'billing', at: clock.now(), ok: outcome.read, failed: outcome.failed };
    writeStatus();
  }

  const loadProfile = loadProfileCycles({
    config: () => config,
    clock,
    scalers,
    history,
    writer,
    pollMeters,
    closing: () => closing,
    wake: () => forwarder?.wake(),
    done: ({ ok, failed }) => {
      lastCycle = { kind: 'loadProfile', at: clock.now(), ok, failed };
      writeStatus();
    },
    log,
  });
  const loadProfileCycle = () => loadProfile.cycle();
  const requestCatchUp = (meterIds: readonly string[]) => loadProfile.requestCatchUp(meterIds);

  async function clockCheckCycle(): Promise<void> {
    const groups = await pollMeters(config.meters, clockCheckJob(clock));
    let ok = 0;
    for (const g of groups) {
      for (const r of g.results) {
        if (!r.ok || !('offsetSeconds' in r)) continue;
        ok++;
        const reading = r as ClockReading;
        clocks.set(reading.meterId, { offsetSeconds: Math.round(reading.offsetSeconds), invalid: reading.invalid, at: new Date(reading.receivedAt).toISOString() });
        if (reading.invalid || Math.abs(reading.offsetSeconds) - reading.uncertaintySeconds > config.thresholds.clockDriftSeconds) {
          log.warn({ meter: reading.meterId, offsetSeconds: reading.offsetSeconds, invalid: reading.invalid }, `meter ${reading.meterId} clock is off by ${Math.round(reading.offsetSeconds)} s`);
        }
      }
    }
    lastCycle = { kind: 'clockCheck', at: clock.now(), ok, failed: config.meters.length - ok };
    writeStatus();
  }

  async function retentionCycle(): Promise<void> {
    const run = runRetention(
      [
        { stream: 'reads', outbox },
        { stream: 'events', outbox: eventsOutbox },
      ],
      config.retention,
      clock.now(),
    );
    for (const e of run.evicted) {
      if (e.count > 0) log.warn({ stream: e.stream, count: e.count, bytes: e.bytes }, `outbox retention evicted ${e.count} unsent ${e.stream} item(s) (${e.bytes} bytes)`);
      if (e.stillOverLimit) log.error({ stream: e.stream }, `outbox ${e.stream} is over retention.maxBytes with billing reads only: they are kept`);
    }
    writer.appendEvents(run.events);
    if (run.events.length > 0) forwarder?.wake();
    log.info({ forgotten: run.forgotten, evicted: run.evicted.reduce((n, e) => n + e.count, 0) }, 'outbox retention done');
  }

  function scheduleOf(c: GatewayConfig): PollSchedule {
    return createSchedule(
      {
        registers: { cron: c.schedules.registers, run: () => registersCycle(config.meters, { reread: false }, false).finally(releaseCycleMemory) },
        billing: { cron: c.schedules.billingSnapshot, run: () => billingSnapshotCycle().finally(releaseCycleMemory) },
        ...(c.schedules.loadProfile === 'off' ? {} : { loadProfile: { cron: c.schedules.loadProfile, run: () => loadProfileCycle().finally(releaseCycleMemory) } }),
        ...(c.schedules.clockCheck === 'off' ? {} : { clockCheck: { cron: c.schedules.clockCheck, run: clockCheckCycle } }),
        digest: { cron: c.schedules.dailyDigest, run: digestCycle },
        retention: { cron: c.schedules.retention, run: retentionCycle },
      },
      { trigger: deps.trigger ?? cronTrigger(c.schedules.timeZone), clock, log: log.child({ part: 'schedule' }) },
    );
  }

  async function digestCycle(): Promise<void> {
    writer.appendEvents(detection.digest(clock.now(), writer.backlog()));
    forwarder?.wake();
  }

  /** Puts a reloaded configuration in force: the schedule stops, pollers and detection follow the file. */
  async function applyConfig(next: GatewayConfig): Promise<void> {
    await schedule?.close();
    await pollers.reconfigure(config, next);
    config = next;
    detection = detectionFor(next);
    schedule = scheduleOf(next);
    schedule.start();
    writeStatus();
  }

  const onCommand = commandHandler({
    reads: () => ({ config, readRegisters: (meters, options) => registersCycle(meters, options) }),
    clockSync: () => ({ config, clock, log, pollMeters }),
    reload: () => ({ running: config, load: deps.loadConfig ?? ((path) => loadGatewayConfig(path)), apply: applyConfig, log }),
  });

  function report(): GatewayStatusReport {
    return statusReport({
      config,
      version,
      now: clock.now(),
      statuses: detection.statuses(),
      backlog: writer.backlog(),
      problems,
      central: forwarder && { connected: forwarder.status().connected, lastAckAt: forwarder.status().lastAckAt },
      lastCycle,
      storeProblem: writer.problem(),
      clocks,
    });
  }

  function writeStatus(): void {
    try {
      writeStatusFile(config.dataDir, report());
    } catch (e) {
      log.warn({ err: errorMessage(e) }, 'could not write status.json');
    }
  }

  metrics.backlogItems.collect((g) => g.set(writer.backlog().count));
  metrics.backlogOldest.collect((g) => {
    const oldest = writer.backlog().oldestCreatedAt;
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
        mqtt: forwarderMqttOptions(config.mqtt),
        replay: config.mqtt.replay,
        clock,
        timers: systemClock,
        logger: log.child({ part: 'forwarder' }),
        version,
        configHash: configHash(config),
        backlog: () => {
          const b = writer.backlog();
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
      schedule = scheduleOf(config);
      schedule.start();
      writeStatus();
      log.info({ meters: config.meters.length, buses: config.buses.length, keyId }, 'gateway started');
      // After a restart that missed a daily load-profile cycle, the profile is fetched at once.
      const stale = clock.now() - RESTART_CATCH_UP_AFTER_MS;
      requestCatchUp(config.meters.filter((m) => (loadProfile.lastEntryOf(m.id) ?? Infinity) < stale).map((m) => m.id));
    },
    async close() {
      closing = true;
      await schedule?.close();
      await loadProfile.running();
      await forwarder?.close();
      await pollers.close();
      await metricsServer?.close();
      writeStatus();
      readsStore.close();
      eventsStore.close();
      log.info('gateway stopped');
    },
    async runCycle(kind) {
      const cycles = { registers: registersCycle, billing: billingSnapshotCycle, digest: digestCycle, loadProfile: loadProfileCycle, clockCheck: clockCheckCycle, retention: retentionCycle };
      await cycles[kind]();
    },
    catchUpIdle: async () => {
      for (let run = loadProfile.running(); run !== undefined; run = loadProfile.running()) await run;
    },
    config: () => config,
    status: report,
    metricsText: () => metrics.registry.render(),
  };
}

