import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_TOPIC_ROOT, TOPIC_QOS } from '../../wire/index.js';
import { Counters } from '../broker/counters.js';
import type { CentralDb } from '../store/central-db.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { inlineOpener, type BatchOpener } from './opener.js';
import { IngestPipeline } from './pipeline.js';

export interface IngestConfig {
  /** `mqtt://host:port` or `mqtts://…`: the embedded broker, or an external one. */
  url: string;
  username?: string;
  password?: string;
  /** A stable id so that a persistent session keeps QoS 1 messages while the ingest restarts. */
  clientId?: string;
  /** Keep the session across reconnects (clean=false) so the broker queues batches meanwhile. Default true. */
  persistentSession?: boolean;
  topicRoot?: string;
  maxPayloadBytes?: number;
  /** Batches per transaction (one fsync each). Default 64. */
  maxGroup?: number;
  /** CA for an mqtts:// broker with a private certificate. */
  ca?: string;
  /** Run WAL checkpoints on a worker thread instead of inside the ingest's commits (checkpointer.ts). Default true. */
  checkpointInWorker?: boolean;
}

export interface IngestDeps {
  db: CentralDb;
  logger: Logger;
  clock?: Clock;
  /** How batches are verified; inline on this thread by default. */
  opener?: BatchOpener;
}

export interface Ingest {
  start(): Promise<void>;
  close(): Promise<void>;
  /** Resolves when everything received so far is stored or refused and acked (tests, benchmarks). */
  idle(): Promise<void>;
  readonly metrics: Counters;
}

/** The four gateway→aggregator kinds the ingest handles (cmd/response belongs to the command service). */
export const INGEST_KINDS = ['reads', 'events', 'status', 'heartbeat'] as const;

/**
 * The verified ingest as an MQTT client (mqtt.js), so it runs the same against the embedded broker or an
 * external one given its URL. It subscribes to every gateway's reads, events, status and heartbeat topics
 * and hands each message to the pipeline, which stores, refuses and acks.
 *
 * MQTT acknowledges a message to the broker as soon as it is handed over; that is safe because the
 * application ack is what makes a gateway delete its copy, and it is sent only after the commit.
 */
export function buildIngest(config: IngestConfig, deps: IngestDeps): Ingest {
  const root = config.topicRoot ?? DEFAULT_TOPIC_ROOT;
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ part: 'ingest' });
  const metrics = new Counters();
  const opener = deps.opener ?? inlineOpener(deps.db.gateways.lookupKey, config.maxPayloadBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  let client: MqttClient | undefined;
  let checkpointer: Checkpointer | undefined;

  const pipeline = new IngestPipeline(
    { topicRoot: root, maxGroup: config.maxGroup ?? 64 },
    deps.db,
    opener,
    (topic, payload) => {
      client?.publish(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), { qos: TOPIC_QOS.ack.qos }, (err) => {
        if (err) {
          metrics.inc('acks.publish-failed');
          log.warn({ topic, err: err.message }, 'ack not delivered to the broker');
        }
      });
    },
    metrics,
    log,
    clock,
  );

  async function start(): Promise<void> {
    const options: IClientOptions = {
      clientId: config.clientId ?? `chiso-ingest-${process.pid}`,
      clean: !(config.persistentSession ?? true),
      reconnectPeriod: 1_000,
      connectTimeout: 10_000,
      ...(config.username === undefined ? {} : { username: config.username }),
      ...(config.password === undefined ? {} : { password: config.password }),
      ...(config.ca === undefined ? {} : { ca: config.ca }),
    };
    if (config.checkpointInWorker ?? true) {
      checkpointer = startCheckpointer(deps.db.store.db, { onError: (message) => log.warn({ err: message }, 'WAL checkpoint failed; retried') });
    }
    const c = await connectAsync(config.url, options);
    client = c;
    c.on('message', (topic, payload) => pipeline.push(topic, payload));
    c.on('error', (err) => log.error({ err: err.message }, 'mqtt client error'));
    c.on('reconnect', () => log.warn('reconnecting to the broker'));
    const filters = INGEST_KINDS.map((kind) => `${root}/gw/+/${kind}`);
    const granted = await c.subscribeAsync(filters, { qos: 1 });
    const refused = granted.filter((g) => g.qos === 128);
    if (refused.length > 0) {
      await c.endAsync();
      await checkpointer?.close();
      checkpointer = undefined;
      throw new Error(`ingest: the broker refused the subscriptions ${refused.map((g) => g.topic).join(', ')}`);
    }
    log.info({ url: config.url, filters }, 'ingest subscribed');
  }

  async function close(): Promise<void> {
    const c = client;
    // Finish what was received (its acks still need the client), then leave the broker.
    await pipeline.idle();
    if (c !== undefined) {
      try {
        await c.endAsync();
      } catch (e) {
        log.warn({ err: errorMessage(e) }, 'closing the mqtt client');
      }
    }
    client = undefined;
    await opener.close?.();
    await checkpointer?.close();
    checkpointer = undefined;
  }

  return { start, close, idle: () => pipeline.idle(), metrics };
}
