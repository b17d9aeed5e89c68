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
import { StoreError } from '../../store/errors.js';
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
import {
  billingJob,
  createBusPoller,
  createSchedule,
  createTcpPoller,
  cronTrigger,
  lastMonthEnd,
  loadProfileJob,
  readJob,
  type BusPoller,
  type LoadProfileResult,
  type MeterJob,
  type PollSchedule,
  type TcpPoller,
  type Trigger,
} from '../polling/index.js';
import { clockCheckJob, clockSyncJob, type ClockReading } from './clock-jobs.js';
import { GatewayError } from './errors.js';
import { LOAD_PROFILE_STATE_KEY, loadProfileRecords } from './load-profile-records.js';
import { busChanges, restartOnlyChanges } from './reload.js';
import { runRetention } from './retention.js';
import { roundsOf } from './rounds.js';
import { DetectionRunner, HISTORY_DEPTH } from './detection-runner.js';
import { gatewayMetrics } from './gateway-metrics.js';
import { isBillingRelevant, registerRecords, snapshotRecords } from './records.js';
import { writeStatusFile, type GatewayStatusReport } from './status-file.js';

/**
 * At start, a meter whose last stored load-profile entry is older than this missed a daily load-profile
 * cycle while the gateway was down: its profile is caught up at once. A day and two hours, because after
 * the daily cycle the mark is up to a day old: with a shorter limit every restart (a crash, an update in
 * the afternoon) would read the whole fleet's profile again, competing with the register reads on the buses.
 */
const RESTART_CATCH_UP_AFTER_MS = 26 * 3_600_000;


/** How far back the first load-profile read of a meter goes. */
const FIRST_PROFILE_READ_MS = 86_400_000;
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
  const readsStore: Store = open({ path: join(config.dataDir, 'reads.db'), onCorrupt: 'quarantine' });
  const eventsStore: Store = open({ path: join(config.dataDir, 'events.db'), onCorrupt: 'quarantine' });
  const outbox = new Outbox(readsStore, { now: () => clock.now() });
  const eventsOutbox = new Outbox(eventsStore, { now: () => clock.now() });
  const history = new ReadHistory(readsStore, { keepPerRegister: HISTORY_DEPTH, now: () => clock.now() });
  const detectionFor = (c: GatewayConfig) =>
    new DetectionRunner(
      history,
      c.meters,
      resolveThresholds({
        offlineAfterFailures: c.thresholds.offlineAfterFailures,
        offlineAfterHours: c.thresholds.offlineAfterHours,
        busSilentShare: c.thresholds.busSilentShare,
        spikeRatio: c.thresholds.spikeRatio,
        clockDriftSeconds: c.thresholds.clockDriftSeconds,
        tariffSumToleranceUnits: c.thresholds.tariffSumToleranceUnits,
        stuckAfterHours: c.thresholds.stuckAfterHours,
        preCutoffDays: c.thresholds.preCutoffDays,
      }),
    );
  let detection = detectionFor(config);
  const metrics = gatewayMetrics();

  const privateKey = loadPrivateKey(readFileSync(config.keys.privateKeyFile, 'utf8'));
  const keyId = keyIdOf(createPublicKey(privateKey));
  const aggregatorKeys: KeyObject[] = config.keys.aggregatorPublicKeyFile ? [loadPublicKey(readFileSync(config.keys.aggregatorPublicKeyFile, 'utf8'))] : [];

  const scalers = new ScalerCache();
  const models = Object.fromEntries(Object.entries(config.models).map(([name, m]) => [name, { statusWord: m.statusWord }]));
  const ctx = { clock, scalers, serialsChecked: new Set<string>(), models };
  const pollerOf = (bus: GatewayConfig['buses'][number]) =>
    createBusPoller({ bus }, { clock: systemClock, timeSource: clock, ...(deps.openPort ? { openPort: deps.openPort } : {}), log: log.child({ bus: bus.id }) });
  const busPollers = new Map<string, BusPoller>(config.buses.map((bus) => [bus.id, pollerOf(bus)]));
  const tcpPollerOf = (c: GatewayConfig) => createTcpPoller({ maxParallel: c.tcp.maxParallel }, { clock: systemClock, timeSource: clock });
  let tcpPoller: TcpPoller = tcpPollerOf(config);
  const metersOfBus = (busId: string) => config.meters.filter((m) => m.connection.kind === 'bus' && m.connection.bus === busId);
  const tcpMeterCount = () => config.meters.filter((m) => m.connection.kind === 'tcp').length;

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
  /** Set by close(): long cycles stop between rounds (see loadProfileCycle). */
  let closing = false;
  const problems = new Map<string, { code: string; message: string; at: string }>();
  /** The last failure to write the outbox (disk full, database corrupt); cleared by the next good write. */
  let storeProblem: { code: string; message: string; at: string } | null = null;
  const clocks = new Map<string, { offsetSeconds: number; invalid: boolean; at: string }>();

  /**
   * A write to the outbox that fails (full disk, damaged database) is logged with its store code and shown
   * in the status; the reads already stored stay where they are, and the meters keep these values for the
   * next cycle. It never stops the rest of the cycle (detection, forwarding what is stored).
   */
  function guardStore(what: string, write: () => void): boolean {
    try {
      write();
      if (storeProblem !== null) log.info({ code: storeProblem.code }, 'outbox writable again');
      storeProblem = null;
      return true;
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      storeProblem = { code: e.code, message: e.message, at: new Date(clock.now()).toISOString() };
      log.error({ code: e.code, err: e.message, what }, `could not store ${what}: ${e.message}`);
      return false;
    }
  }

  function appendReads(records: ReadRecord[]): boolean {
    if (records.length === 0) return true;
    const stored = guardStore(`${records.length} read(s)`, () =>
      outbox.append(
        records.map((r) => ({ readId: r.readId, kind: 'read' as const, billing: isBillingRelevant(r.kind, Date.parse(r.meterTime)), payload: JSON.stringify(r), createdAt: Date.parse(r.receivedAt) })),
      ),
    );
    if (stored) metrics.reads.inc(undefined, records.length);
    return stored;
  }

  function appendEvents(events: GatewayEvent[]): void {
    if (events.length === 0) return;
    const now = clock.now();
    guardStore(`${events.length} event(s)`, () => eventsOutbox.append(
      events.map((e, i) => {
        const subject = 'meterId' in e ? e.meterId : 'bus' in e ? e.bus : e.type;
        const state = 'state' in e ? `|${String(e.state)}` : '';
        return { readId: `${config.gateway.id}|${e.type}|${subject}${state}|${e.at}|${i}`, kind: 'event' as const, billing: false, payload: JSON.stringify(e), createdAt: now };
      }),
    ));
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
    // A meter back after an outage: its load profile of the outage is fetched now, not at the next daily cycle.
    requestCatchUp(detected.events.flatMap((e) => (e.type === 'meter-online' ? [e.meterId] : [])));
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

  const lastEntryOf = (meterId: string): number | undefined => {
    const v = history.getState(meterId, LOAD_PROFILE_STATE_KEY);
    return v === undefined ? undefined : Number(v);
  };

  /**
   * The load profile from each meter's last stored entry to now. The entries go to the outbox first and
   * the meter's mark moves after: a crash in between fetches them again, under the same read ids. After
   * an outage this is weeks of entries per meter, so it runs in rounds (rounds.ts) and a shutdown stops
   * it between two rounds; the meters not reached keep their mark and are caught up next time.
   */
  async function loadProfileCycle(meters: readonly MeterDefinition[] = config.meters): Promise<void> {
    let ok = 0;
    let entries = 0;
    let reached = 0;
    for (const round of roundsOf(meters, config.tcp.maxParallel)) {
      if (closing) break;
      const done = await loadProfileRound(round);
      ok += done.ok;
      entries += done.entries;
      reached += round.length;
    }
    forwarder?.wake();
    lastCycle = { kind: 'loadProfile', at: clock.now(), ok, failed: reached - ok };
    if (reached < meters.length) log.info({ meters: ok, entries, notReached: meters.length - reached }, 'load profile stopped for shutdown; the rest comes next time');
    else log.info({ meters: ok, entries }, 'load profile caught up');
    writeStatus();
  }

  async function loadProfileRound(meters: readonly MeterDefinition[]): Promise<{ ok: number; entries: number }> {
    // A meter never read before starts a day back, not at the ~40 days it keeps: a thousand meters' whole
    // buffers at once would bury the month's register reads in the outbox for days.
    const job: MeterJob<LoadProfileResult> = (client, meter) => loadProfileJob({ clock, scalers, since: lastEntryOf(meter.id) ?? clock.now() - FIRST_PROFILE_READ_MS })(client, meter);
    const groups = await pollMeters(meters, job);
    const byId = new Map(config.meters.map((m) => [m.id, m]));
    let ok = 0;
    let entries = 0;
    for (const g of groups) {
      for (const r of g.results) {
        const meter = byId.get(r.meterId as string);
        if (!r.ok || !meter || !('entries' in r)) continue;
        ok++;
        entries += r.entries.length;
        if (!appendReads(loadProfileRecords(config.gateway.id, meter, r))) continue;
        if (r.lastEntryAt !== undefined) guardStore('the load profile mark', () => history.setState(meter.id, LOAD_PROFILE_STATE_KEY, String(r.lastEntryAt)));
        if (!r.complete) log.warn({ meter: meter.id, errors: r.partialErrors }, `load profile of meter ${meter.id} only partly read; the rest comes next time`);
      }
    }
    forwarder?.wake();
    return { ok, entries };
  }

  // Catch-ups asked for by meters coming back, run one batch at a time beside the regular cycles.
  const pendingCatchUp = new Set<string>();
  let catchUpRun: Promise<void> | undefined;
  function requestCatchUp(meterIds: readonly string[]): void {
    // Only meters whose profile was read before: the first read is the daily cycle's, from the meter's start.
    for (const id of meterIds) if (lastEntryOf(id) !== undefined) pendingCatchUp.add(id);
    if (catchUpRun !== undefined || pendingCatchUp.size === 0 || closing) return;
    catchUpRun = (async () => {
      while (pendingCatchUp.size > 0 && !closing) {
        const ids = new Set(pendingCatchUp);
        pendingCatchUp.clear();
        try {
          await loadProfileCycle(config.meters.filter((m) => ids.has(m.id)));
        } catch (e) {
          log.error({ err: errorMessage(e) }, `load profile catch-up failed: ${errorMessage(e)}`);
        }
      }
    })().finally(() => (catchUpRun = undefined));
  }

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
    appendEvents(run.events);
    if (run.events.length > 0) forwarder?.wake();
    log.info({ forgotten: run.forgotten, evicted: run.evicted.reduce((n, e) => n + e.count, 0) }, 'outbox retention done');
  }

  async function clockSync(c: Extract<CommandMessage['command'], { type: 'clock-sync' }>): Promise<JsonValue> {
    const targets = c.meterId === undefined ? config.meters : config.meters.filter((m) => m.id === c.meterId);
    if (targets.length === 0) throw new GatewayError('GATEWAY_UNKNOWN_METER', `meter ${c.meterId} is not configured on gateway ${config.gateway.id}`);
    const limit = Math.min(c.maxAdjustSeconds, config.clockSync.maxAdjustSeconds);
    const clientSap = config.clockSync.clientSap;
    const asSetter = (m: MeterDefinition): MeterDefinition => (clientSap === undefined ? m : { ...m, authentication: { ...m.authentication, clientSap } });
    const groups = await pollMeters(targets.map(asSetter), clockSyncJob(clock, limit));
    const results = groups.flatMap((g) => g.results);
    type Line = { meterId: string; action: 'set' | 'in-tolerance' | 'refused' | 'failed'; offsetSeconds?: number; error?: string };
    const summary: Line[] = results.map((r) =>
      r.ok && 'action' in r
        ? { meterId: r.meterId, action: r.action, offsetSeconds: Math.round(r.offsetSeconds * 10) / 10 }
        : { meterId: r.meterId as string, action: 'failed', error: 'code' in r ? `${r.code}: ${r.message}` : 'no answer' },
    );
    for (const s of summary) if (s.action === 'set') log.info({ meter: s.meterId, offsetSeconds: s.offsetSeconds }, `meter ${s.meterId} clock set (was ${s.offsetSeconds} s off)`);
    const refused = summary.filter((s) => s.action === 'refused');
    for (const s of refused) log.warn({ meter: s.meterId, offsetSeconds: s.offsetSeconds, limit }, `meter ${s.meterId} clock not set: ${s.offsetSeconds} s is over the ${limit} s limit`);
    if (c.meterId !== undefined) {
      const [one] = summary;
      if (one?.action === 'refused') {
        throw new GatewayError(
          'GATEWAY_CLOCK_JUMP_REFUSED',
          `meter ${one.meterId}: clock is ${one.offsetSeconds} s off, over the limit of ${limit} s (command ${c.maxAdjustSeconds} s, gateway clockSync.maxAdjustSeconds ${config.clockSync.maxAdjustSeconds} s); not set: a jump this large can hide tampering, check the meter first`,
          { context: { meter: one.meterId, offsetSeconds: one.offsetSeconds ?? 0, limit } },
        );
      }
      if (one?.action === 'failed') throw new GatewayError('GATEWAY_CLOCK_SYNC_FAILED', `meter ${one.meterId}: clock not synchronised: ${one.error}`, { context: { meter: one.meterId } });
    }
    return { limitSeconds: limit, meters: summary.map((l) => ({ ...l })) as unknown as JsonValue[] };
  }

  async function reloadConfig(c: Extract<CommandMessage['command'], { type: 'reload-config' }>): Promise<JsonValue> {
    let next: GatewayConfig;
    try {
      next = (deps.loadConfig ?? ((path) => loadGatewayConfig(path)))(config.source);
    } catch (e) {
      throw new GatewayError('GATEWAY_RELOAD_REFUSED', `the configuration was not reloaded, the running one stays: ${errorMessage(e)}`, { cause: e, context: { file: config.source } });
    }
    const fixed = restartOnlyChanges(config, next);
    if (fixed.length > 0) {
      throw new GatewayError('GATEWAY_RELOAD_REFUSED', `the configuration was not reloaded, the running one stays: ${config.source}: ${fixed.join('; ')}`, { context: { file: config.source } });
    }
    const previousHash = configHash(config);
    await schedule?.close();
    const buses = busChanges(config, next);
    for (const id of [...buses.replace, ...buses.remove]) {
      await busPollers.get(id)?.close();
      busPollers.delete(id);
    }
    for (const bus of next.buses) if (!busPollers.has(bus.id)) busPollers.set(bus.id, pollerOf(bus));
    if (next.tcp.maxParallel !== config.tcp.maxParallel) tcpPoller = tcpPollerOf(next);
    config = next;
    detection = detectionFor(next);
    schedule = scheduleOf(next);
    schedule.start();
    const hash = configHash(next);
    log.info({ previousHash, configHash: hash, meters: next.meters.length, buses: next.buses.length }, 'configuration reloaded');
    writeStatus();
    return {
      configHash: hash,
      previousHash,
      meters: next.meters.length,
      buses: next.buses.length,
      ...(c.expectConfigHash !== undefined ? { expected: c.expectConfigHash, matches: c.expectConfigHash === hash } : {}),
    };
  }

  function scheduleOf(c: GatewayConfig): PollSchedule {
    return createSchedule(
      {
        registers: { cron: c.schedules.registers, run: () => registersCycle() },
        billing: { cron: c.schedules.billingSnapshot, run: billingCycle },
        ...(c.schedules.loadProfile === 'off' ? {} : { loadProfile: { cron: c.schedules.loadProfile, run: () => loadProfileCycle() } }),
        ...(c.schedules.clockCheck === 'off' ? {} : { clockCheck: { cron: c.schedules.clockCheck, run: clockCheckCycle } }),
        digest: { cron: c.schedules.dailyDigest, run: digestCycle },
        retention: { cron: c.schedules.retention, run: retentionCycle },
      },
      { trigger: deps.trigger ?? cronTrigger(c.schedules.timeZone), clock, log: log.child({ part: 'schedule' }) },
    );
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
      case 'clock-sync':
        return clockSync(c);
      case 'reload-config':
        return reloadConfig(c);
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
      tcpMeters: tcpMeterCount(),
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
      store: storeProblem,
      clocks: [...clocks].map(([meterId, c]) => ({ meterId, ...c })),
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
        timers: systemClock,
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
      schedule = scheduleOf(config);
      schedule.start();
      writeStatus();
      log.info({ meters: config.meters.length, buses: config.buses.length, keyId }, 'gateway started');
      // After a restart that missed a daily load-profile cycle, the profile is fetched at once.
      const stale = clock.now() - RESTART_CATCH_UP_AFTER_MS;
      requestCatchUp(config.meters.filter((m) => (lastEntryOf(m.id) ?? Infinity) < stale).map((m) => m.id));
    },
    async close() {
      closing = true;
      await schedule?.close();
      await catchUpRun;
      await forwarder?.close();
      await Promise.all([...busPollers.values()].map((p) => p.close()));
      await metricsServer?.close();
      writeStatus();
      readsStore.close();
      eventsStore.close();
      log.info('gateway stopped');
    },
    async runCycle(kind) {
      const cycles = { registers: registersCycle, billing: billingCycle, digest: digestCycle, loadProfile: loadProfileCycle, clockCheck: clockCheckCycle, retention: retentionCycle };
      await cycles[kind]();
    },
    catchUpIdle: async () => {
      while (catchUpRun !== undefined) await catchUpRun;
    },
    config: () => config,
    status: report,
    metricsText: () => metrics.registry.render(),
  };
}

