import type { BusDefinition, MeterAlarm, MeterConnection, MeterDefinition, RegisterMapping, ServerAddressSpec } from './field.js';
import { resolveFrom, type Secrets } from './file-refs.js';
import type { BusFile, GatewayFile, HdlcAddressFile, LOG_LEVELS, MeterFile, ModelFile } from './gateway-schema.js';

/**
 * The gateway's effective configuration: the file after validation, defaults, `${ENV}` substitution,
 * path resolution and password files, shaped as the gateway's own types. Nothing downstream reads the
 * file, the environment or a password file again.
 */
export interface GatewayConfig {
  /** Absolute path of the file it came from (not part of configHash). */
  source: string;
  gateway: { id: string; unitCode: string; substation: string; name?: string };
  buses: BusDefinition[];
  models: Record<string, MeterModel>;
  /** Each meter with its model's registers already attached. */
  meters: MeterDefinition[];
  schedules: Schedules;
  thresholds: Thresholds;
  tcp: { maxParallel: number };
  mqtt: MqttSettings;
  /** Absolute paths. */
  keys: { privateKeyFile: string; aggregatorPublicKeyFile?: string };
  /** Absolute path. */
  dataDir: string;
  metrics: { host: string; port: number } | false;
  logLevel: LogLevel;
  retention: { maxBytes: number; maxAgeDays: number; forgetAckedAfterDays: number };
  /** Limits of the `clock-sync` command. */
  /** Who sets meter clocks: the client (SAP) and its password, when not the reading client's. */
  clockSync: { maxAdjustSeconds: number; clientSap?: number; password?: string };
}

export interface MeterModel {
  description?: string;
  registers: RegisterMapping[];
  withList: 'auto' | 'never';
  maxListItems: number;
  /** The model has the event/status word 0.0.96.5.0.255. */
  statusWord: boolean;
  /** The model has the standard event log 0.0.99.98.0.255: its new entries are read on every poll. */
  eventLog: boolean;
  /** Its own event codes for the alarms, when configured (otherwise the usual IDIS ones). */
  eventCodes?: Readonly<Record<number, MeterAlarm>>;
}

/** node-cron expressions, run in `timeZone`. */
export interface Schedules {
  registers: string;
  billingSnapshot: string;
  /** A cron expression or 'off'. */
  loadProfile: string;
  /** A cron expression or 'off'. */
  clockCheck: string;
  dailyDigest: string;
  /** Outbox retention (prune, forget old acked ids). */
  retention: string;
  timeZone: string;
}

export interface Thresholds {
  offlineAfterFailures: number;
  offlineAfterHours: number;
  busSilentShare: number;
  spikeRatio: number;
  clockDriftSeconds: number;
  tariffSumToleranceUnits: number;
  stuckAfterHours: number;
  preCutoffDays: number;
}

export interface MqttSettings {
  url: string;
  /** Defaults to the gateway id: the broker binds topics to this login (src/wire/README.md). */
  username: string;
  password?: string;
  /** Absolute path of extra CA certificates (PEM). */
  caFile?: string;
  /** Absolute paths of this gateway's client certificate and its key (PEM): both or neither, TLS urls only. */
  certFile?: string;
  keyFile?: string;
  /** Defaults to the gateway id. */
  clientId: string;
  topicRoot: string;
  keepaliveSeconds: number;
  replay: { maxBatchesPerSecond: number; maxBatchItems: number; maxBatchBytes: number };
}

export type LogLevel = (typeof LOG_LEVELS)[number];

export function toGatewayConfig(file: GatewayFile, source: string, baseDir: string, secrets: Secrets): GatewayConfig {
  const models: Record<string, MeterModel> = {};
  for (const [name, m] of Object.entries(file.models)) models[name] = toModel(m);
  const path = (p: string) => resolveFrom(baseDir, p);
  const mqttPassword = file.mqtt.password ?? secrets.mqttPassword;
  return {
    source,
    gateway: { ...file.gateway },
    buses: file.buses.map(toBus),
    models,
    meters: file.meters.map((m, i) => toMeter(m, models[m.model] as MeterModel, m.auth.password ?? secrets.meterPasswords.get(i))),
    schedules: { ...file.schedules },
    thresholds: { ...file.thresholds },
    tcp: { ...file.tcp },
    mqtt: {
      url: file.mqtt.url,
      username: file.mqtt.username ?? file.gateway.id,
      ...(mqttPassword === undefined ? {} : { password: mqttPassword }),
      ...(file.mqtt.caFile === undefined ? {} : { caFile: path(file.mqtt.caFile) }),
      ...(file.mqtt.certFile === undefined ? {} : { certFile: path(file.mqtt.certFile) }),
      ...(file.mqtt.keyFile === undefined ? {} : { keyFile: path(file.mqtt.keyFile) }),
      clientId: file.mqtt.clientId ?? file.gateway.id,
      topicRoot: file.mqtt.topicRoot,
      keepaliveSeconds: file.mqtt.keepaliveSeconds,
      replay: { ...file.mqtt.replay },
    },
    keys: {
      privateKeyFile: path(file.keys.privateKeyFile),
      ...(file.keys.aggregatorPublicKeyFile === undefined ? {} : { aggregatorPublicKeyFile: path(file.keys.aggregatorPublicKeyFile) }),
    },
    dataDir: path(file.dataDir),
    metrics: file.metrics === false ? false : { ...file.metrics },
    logLevel: file.logLevel,
    retention: { ...file.retention },
    clockSync: clockSyncOf(file.clockSync, secrets.clockSyncPassword),
  };
}

function clockSyncOf(c: GatewayFile['clockSync'], passwordFromFile: string | undefined): GatewayConfig['clockSync'] {
  const password = c.password ?? passwordFromFile;
  return {
    maxAdjustSeconds: c.maxAdjustSeconds,
    ...(c.clientSap === undefined ? {} : { clientSap: c.clientSap }),
    ...(password === undefined ? {} : { password }),
  };
}

function toModel(m: ModelFile): MeterModel {
  return {
    ...(m.description === undefined ? {} : { description: m.description }),
    registers: m.registers.map((r) => ({ obis: r.obis, classId: r.classId, bcs: r.bcs, unit: r.unit })),
    withList: m.withList,
    maxListItems: m.maxListItems,
    statusWord: m.statusWord,
    eventLog: m.eventLog,
    ...(m.eventCodes === undefined ? {} : { eventCodes: Object.fromEntries(Object.entries(m.eventCodes).map(([code, alarm]) => [Number(code), alarm])) }),
  };
}

function toBus(b: BusFile): BusDefinition {
  return {
    id: b.id,
    device: b.device,
    baudRate: b.baud,
    dataBits: b.dataBits,
    parity: b.parity,
    stopBits: b.stopBits,
    responseTimeoutMs: b.responseTimeoutMs,
    maxRetries: b.maxRetries,
    interFrameGapMs: b.interFrameGapMs,
    ...(b.paceBaud === undefined ? {} : { paceBaudRate: b.paceBaud }),
    iec21: b.iec21,
  };
}

function toServer(a: HdlcAddressFile): ServerAddressSpec {
  return a.physical === undefined ? { logical: a.logical, size: a.size } : { logical: a.logical, physical: a.physical, size: a.size };
}

/** The schema guarantees the combination (bus + hdlcAddress, or tcp with wPort / hdlcAddress by profile). */
function toConnection(m: MeterFile): MeterConnection {
  if (m.tcp === undefined) return { kind: 'bus', bus: m.bus as string, server: toServer(m.hdlcAddress as HdlcAddressFile) };
  const t = m.tcp;
  const common = { kind: 'tcp' as const, host: t.host, port: t.port, responseTimeoutMs: t.responseTimeoutMs, maxRetries: t.maxRetries };
  return t.profile === 'wrapper'
    ? { ...common, profile: 'wrapper', serverWPort: t.wPort as number }
    : { ...common, profile: 'hdlc', server: toServer(t.hdlcAddress as HdlcAddressFile) };
}

function toMeter(m: MeterFile, model: MeterModel, password: string | undefined): MeterDefinition {
  return {
    id: m.id,
    ...(m.serial === undefined ? {} : { serial: m.serial }),
    meteringPoint: m.meteringPoint,
    ...(m.customerCode === undefined ? {} : { customerCode: m.customerCode }),
    ...(m.bookCode === undefined ? {} : { bookCode: m.bookCode }),
    ...(m.routeOrder === undefined ? {} : { routeOrder: m.routeOrder }),
    connection: toConnection(m),
    authentication: { clientSap: m.auth.clientSap, ...(password === undefined ? {} : { password }) },
    model: m.model,
    registers: model.registers.map((r) => ({ ...r })),
    multiplier: m.multiplier,
    importOnly: m.importOnly,
    withList: model.withList,
    maxListItems: model.maxListItems,
    ...(model.eventCodes === undefined ? {} : { eventCodes: model.eventCodes }),
  };
}
