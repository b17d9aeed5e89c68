import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { AggregatorConfig } from '../../config/aggregator-config.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { nodeCronTrigger, type Trigger } from '../../shared/cron.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { serveMetrics } from '../../shared/metrics.js';
import { buildEmbeddedBroker, DEFAULT_INTERNAL_USERNAME, type EmbeddedBroker } from '../broker/index.js';
import type { Calendar } from '../calendar/reading-calendar.js';
import { bookImporter } from '../books/import-book.js';
import { bookImportRoutes } from '../http/book-import-routes.js';
import { bookRoutes } from '../http/book-routes.js';
import { buildHttpApi, listenHttp, type HttpListener } from '../http/index.js';
import { pageRoutes } from '../http/page-routes.js';
import { reverifyRoutes } from '../http/reverify-routes.js';
import { JsonlNoticeDispatcher, NoticeOutbox, noticesFilePath } from '../notices/index.js';
import { buildReverifyService, type ReverifyService } from '../reverify/index.js';
import { buildIngest, type Ingest } from '../ingest/index.js';
import { newSecret, openCentralDb, type CentralDb, type ScryptParams } from '../store/index.js';
import { loadAggregatorKey, type AggregatorKey } from './aggregator-key.js';
import { aggregatorMetrics } from './aggregator-metrics.js';
import { brokerUrlFor, ingestUrl } from './broker-urls.js';
import { centralQueries } from './central-queries.js';
import { buildMonthJobs, type MonthJobs, type MonthJobsDeps } from './month-jobs.js';

export interface AggregatorDeps {
  logger: Logger;
  clock?: Clock;
  /** scrypt cost of new gateway credentials (tests lower it). */
  scrypt?: ScryptParams;
  version?: string;
  /** What fires the month's jobs; node-cron in Vietnam time by default, simulated time in the demo. */
  trigger?: Trigger;
  /** Told about each book closed, held or exported (the demo's summary). */
  onBook?: MonthJobsDeps['onBook'];
}

export interface AggregatorPorts {
  /** The embedded broker's plain port; undefined with an external broker. */
  mqttPort: number | undefined;
  mqttTlsPort: number | undefined;
  httpPort: number;
  metricsPort: number | undefined;
}

export interface Aggregator {
  start(): Promise<AggregatorPorts>;
  close(): Promise<void>;
  readonly db: CentralDb;
  readonly key: AggregatorKey;
  readonly metricsText: () => string;
  /** The month's jobs (import, cutoff and export, digest, pre-cutoff report, notices); after start. */
  readonly jobs: () => MonthJobs | undefined;
}

/** The central database's file in the data folder (also opened by `chiso enrol-token`). */
export function centralDbPath(dataDir: string): string {
  return join(dataDir, 'central.db');
}

/**
 * The aggregator service: the central DB, the embedded MQTT broker (when configured), the verified ingest
 * (an MQTT client of that broker or of an external one), the HTTP API and the metrics page. `build` opens
 * the database and the key; `start` opens the network side in dependency order and `close` undoes it in
 * reverse, so the ingest finishes (and acks) what it received before the broker goes away.
 */
export function buildAggregator(config: AggregatorConfig<Calendar>, deps: AggregatorDeps): Aggregator {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ aggregator: config.aggregator.name });
  const version = deps.version ?? '0.1.0';
  mkdirSync(config.dataDir, { recursive: true, mode: 0o750 });
  mkdirSync(config.books.exportDir, { recursive: true, mode: 0o750 });

  const opening = performance.now();
  const db = openCentralDb({ path: centralDbPath(config.dataDir), now: () => clock.now(), ...(deps.scrypt ? { scrypt: deps.scrypt } : {}) });
  const { from, to, applied } = db.store.migrations;
  // After an upgrade the first start may rebuild indexes of a large database: say why it took long.
  if (from > 0 && applied.length > 0) log.info({ from, to, applied, seconds: Math.round(performance.now() - opening) / 1000 }, 'central database upgraded');
  let key: AggregatorKey;
  try {
    key = loadAggregatorKey(config.keys.privateKeyFile, config.keys.generate);
  } catch (e) {
    db.close();
    throw e;
  }
  if (key.generated) log.warn({ file: config.keys.privateKeyFile, keyId: key.keyId }, 'created the aggregator signing key (keep it: enrolled gateways trust it)');
  const data = centralQueries(db.store.db);
  const metrics = aggregatorMetrics();
  // The ingest's login at the embedded broker: fresh each start, never written anywhere.
  const internal = { username: DEFAULT_INTERNAL_USERNAME, password: newSecret() };

  let broker: EmbeddedBroker | undefined;
  let ingest: Ingest | undefined;
  let http: HttpListener | undefined;
  let metricsServer: { port: number; close(): Promise<void> } | undefined;
  let jobs: MonthJobs | undefined;
  let reverify: ReverifyService | undefined;
  const importBook = bookImporter(db.store.db, { calendar: config.calendar, clock });
  const notices = config.notices.enabled
    ? { outbox: new NoticeOutbox(db.store.db, { channel: config.notices.channel, calendar: config.calendar }), dispatcher: new JsonlNoticeDispatcher(noticesFilePath(config.dataDir)) }
    : undefined;
  let ports: { mqtt?: number; tls?: number } = {};
  const closers: { name: string; close: () => Promise<void> }[] = [];
  let closed = false;

  metrics.expose('chiso_aggregator_broker_events', 'Embedded broker connections and refusals by counter name', () => broker?.metrics);
  metrics.expose('chiso_aggregator_ingest_events', 'Ingest batches, acks and refusals by counter name', () => ingest?.metrics);
  metrics.gatewaysByState(() => {
    const counts: Record<string, number> = { unknown: 0, online: 0, offline: 0 };
    for (const g of data.gateways()) counts[g.state] = (counts[g.state] ?? 0) + 1;
    return counts;
  });

  function health(): { ok: boolean; [part: string]: unknown } {
    let database = 'ok';
    try {
      db.store.db.prepare('SELECT 1').get();
    } catch (e) {
      database = errorMessage(e);
    }
    const running = ingest !== undefined && !closed;
    return { ok: database === 'ok' && running, database, broker: config.broker.embedded ? 'embedded' : 'external', ingest: running ? 'running' : 'stopped' };
  }

  async function start(): Promise<AggregatorPorts> {
    try {
      if (config.broker.embedded) {
        const b = config.broker;
        broker = buildEmbeddedBroker(
          {
            host: b.host,
            port: b.port,
            topicRoot: config.topicRoot,
            internal,
            ...(b.tls === undefined ? {} : { tls: { ...(b.tls.host === undefined ? {} : { host: b.tls.host }), port: b.tls.port, cert: b.tls.cert, key: b.tls.key, ...(b.tls.ca === undefined ? {} : { ca: b.tls.ca }) } }),
          },
          { gateways: db.gateways, refusals: db.refusals, logger: log, clock },
        );
        const started = await broker.start();
        closers.push({ name: 'broker', close: () => broker!.close() });
        ports = { mqtt: started.port, ...(started.tlsPort === undefined ? {} : { tls: started.tlsPort }) };
      }

      const b = config.broker;
      ingest = buildIngest(
        b.embedded
          ? { local: broker!.local(), topicRoot: config.topicRoot }
          : {
              url: b.url,
              username: b.username,
              ...(b.password === undefined ? {} : { password: b.password }),
              ...(b.ca === undefined ? {} : { ca: b.ca }),
              clientId: 'chiso-aggregator-ingest',
              topicRoot: config.topicRoot,
            },
        { db, logger: log, clock },
      );
      await ingest.start();
      closers.push({ name: 'ingest', close: () => ingest!.close() });

      // Commands (phúc tra) go out on their own connection: the ingest's is busy with month-end load.
      const commandClient = await mqtt.connectAsync(
        b.embedded ? ingestUrl(b.host, ports.mqtt!) : b.url,
        {
          clientId: 'chiso-aggregator-commands',
          ...(b.embedded ? { username: internal.username, password: internal.password } : { username: b.username, ...(b.password === undefined ? {} : { password: b.password }) }),
          ...(!b.embedded && b.ca !== undefined ? { ca: b.ca } : {}),
          reconnectPeriod: 1000,
        },
      );
      closers.push({ name: 'command client', close: () => commandClient.endAsync() });
      reverify = buildReverifyService({ topicRoot: config.topicRoot }, { db: db.store.db, key, client: commandClient, logger: log, clock });
      await reverify.start();
      closers.push({ name: 'phúc tra', close: () => reverify!.close() });

      const api = buildHttpApi({
        data,
        enrolment: db.enrolment,
        ...(config.http.adminToken === undefined ? {} : { adminToken: config.http.adminToken }),
        tokenTtlMs: Math.round(config.enrolment.tokenTtlHours * 3_600_000),
        brokerUrlFor: (host) => brokerUrlFor(config.broker, { plain: ports.mqtt, tls: ports.tls }, host),
        topicRoot: config.topicRoot,
        aggregator: { name: config.aggregator.name, publicKeyPem: key.publicKeyPem, keyId: key.keyId },
        health,
        logger: log,
        clock,
        maxBodyBytes: config.http.maxBodyBytes,
        version,
        onAnswer: (route, status) => metrics.httpAnswers.inc({ route, status: String(status) }),
        extraRoutes: (kit) => [
          ...bookImportRoutes(kit, { importBook }),
          ...bookRoutes(kit, { db: db.store.db, exportDir: config.books.exportDir, toleranceMs: config.books.toleranceHours * 3_600_000 }),
          ...reverifyRoutes(kit, { reverifier: reverify!.reverifier }),
          ...pageRoutes(kit),
        ],
      });
      http = await listenHttp(api.handler, config.http.host, config.http.port);
      closers.push({ name: 'http', close: () => http!.close() });

      jobs = buildMonthJobs({
        db: db.store.db,
        calendar: config.calendar,
        books: config.books,
        clock,
        trigger: deps.trigger ?? nodeCronTrigger(),
        logger: log,
        reportsDir: join(config.dataDir, 'reports'),
        ...(config.books.exportWorkers === undefined ? {} : { exportWorkers: config.books.exportWorkers }),
        ...(notices ? { notices } : {}),
        ...(deps.onBook ? { onBook: deps.onBook } : {}),
      });
      await jobs.start();
      closers.push({ name: 'month jobs', close: async () => jobs!.stop() });

      if (config.metrics !== false) {
        metricsServer = await serveMetrics(metrics.registry, { host: config.metrics.host, port: config.metrics.port });
        closers.push({ name: 'metrics', close: () => metricsServer!.close() });
      }
    } catch (e) {
      log.error({ err: errorMessage(e) }, 'aggregator failed to start; closing what was started');
      await close();
      throw e;
    }
    const result: AggregatorPorts = { mqttPort: ports.mqtt, mqttTlsPort: ports.tls, httpPort: http.port, metricsPort: metricsServer?.port };
    log.info({ ...result, adminApi: config.http.adminToken !== undefined, keyId: key.keyId }, 'aggregator started');
    return result;
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    // Reverse order: no new HTTP requests, then the ingest drains and acks, then the broker, then the DB.
    for (const c of closers.splice(0).reverse()) {
      try {
        await c.close();
      } catch (e) {
        log.warn({ part: c.name, err: errorMessage(e) }, 'error while closing');
      }
    }
    db.close();
    log.info('aggregator stopped');
  }

  return { start, close, db, key, metricsText: () => metrics.registry.render(), jobs: () => jobs };
}
