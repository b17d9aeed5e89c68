import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_TOPIC_ROOT, TOPIC_QOS } from '../../wire/index.js';
import { Counters } from '../broker/counters.js';
import type { LocalLink } from '../broker/local-link.js';
import type { CentralDb } from '../store/central-db.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { inlineStore, type GroupStore } from './group-store.js';
import { inlineOpener, type BatchOpener } from './opener.js';
import { IngestPipeline } from './pipeline.js';
import { startWorkerStore, storeWorkerScript } from './worker-store.js';

/** How the ingest reaches the broker: as an MQTT client (the embedded broker's port, or an external broker). */
export interface IngestClientSource {
  /** `mqtt://host:port` or `mqtts://…`: the embedded broker, or an external one. */
  url: string;
  username?: string;
  password?: string;
  /** A stable id so that a persistent session keeps QoS 1 messages while the ingest restarts. */
  clientId?: string;
  /** Keep the session across reconnects (clean=false) so the broker queues batches meanwhile. Default true. */
  persistentSession?: boolean;
  /** CA for an mqtts:// broker with a private certificate. */
  ca?: string;
}

/** Attached to the embedded broker in this process (broker/local-link.ts): no socket, no MQTT client. */
export interface IngestLocalSource {
  local: LocalLink;
}

export type IngestConfig = (IngestClientSource | IngestLocalSource) & {
  topicRoot?: string;
  maxPayloadBytes?: number;
  /** Batches per transaction (one fsync each). Default 64. */
  maxGroup?: number;
  /** Run WAL checkpoints on a worker thread instead of inside the ingest's commits (checkpointer.ts). Default true. */
  checkpointInWorker?: boolean;
  /**
   * Verify and store on a worker thread with its own connection (worker-store.ts). Default true; an
   * in-memory database, or a custom opener, is always handled on this thread.
   */
  storeInWorker?: boolean;
};

export interface IngestDeps {
  db: CentralDb;
  logger: Logger;
  clock?: Clock;
  /** How batches are verified (tests); given one, the ingest verifies and stores on this thread. */
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

/** The ingest's side of the broker once subscribed: acks out, and a way to leave. */
interface BrokerLink {
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  close(): Promise<void>;
}

/**
 * The verified ingest: it subscribes to every gateway's reads, events, status and heartbeat topics and
 * hands each message to the pipeline, which stores, refuses and acks. It runs attached to the embedded
 * broker in this process, or as an MQTT client (mqtt.js) of a broker given its URL (an external one).
 *
 * A message is acknowledged to the broker as soon as it is handed over; that is safe because the
 * application ack is what makes a gateway delete its copy, and it is sent only after the commit.
 */
export function buildIngest(config: IngestConfig, deps: IngestDeps): Ingest {
  const root = config.topicRoot ?? DEFAULT_TOPIC_ROOT;
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ part: 'ingest' });
  const metrics = new Counters();
  const maxPayloadBytes = config.maxPayloadBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const filters = INGEST_KINDS.map((kind) => `${root}/gw/+/${kind}`);
  let link: BrokerLink | undefined;
  let checkpointer: Checkpointer | undefined;
  let store: GroupStore | undefined;
  let pipeline: IngestPipeline | undefined;

  function publishAck(topic: string, payload: Uint8Array): void {
    if (link === undefined) return;
    link.publish(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), TOPIC_QOS.ack.qos).catch((err: unknown) => {
      metrics.inc('acks.publish-failed');
      log.warn({ topic, err: errorMessage(err) }, 'ack not delivered to the broker');
    });
  }

  async function openStore(checkpointElsewhere: boolean): Promise<GroupStore> {
    const db = deps.db.store.db;
    const script = storeWorkerScript();
    if ((config.storeInWorker ?? true) && deps.opener === undefined && !db.memory && script !== undefined) {
      return startWorkerStore(script, {
        path: db.name,
        maxPayloadBytes,
        checkpointElsewhere,
        checkSignaturesHere: { lookupKey: deps.db.gateways.lookupKey },
        onWorkerError: (message) => log.error({ err: message }, 'the ingest store worker failed; a new one takes the next group'),
      });
    }
    if ((config.storeInWorker ?? true) && script === undefined) log.warn('no compiled store worker (run the build): verifying and storing on the main thread');
    return inlineStore(deps.db, deps.opener ?? inlineOpener(deps.db.gateways.lookupKey, maxPayloadBytes));
  }

  async function start(): Promise<void> {
    if (config.checkpointInWorker ?? true) {
      checkpointer = startCheckpointer(deps.db.store.db, {
        onError: (message) => log.warn({ err: message }, 'WAL checkpoint failed; retried'),
        onRestart: (frames, busy) => log.debug({ frames, busy }, busy ? 'WAL not rewound: a reader still uses it' : 'WAL rewound'),
      });
    }
    try {
      store = await openStore(checkpointer !== undefined);
      const p = new IngestPipeline({ topicRoot: root, maxGroup: config.maxGroup ?? 64, inFlight: 2 }, deps.db, store, publishAck, metrics, log, clock);
      pipeline = p;
      const onMessage = (topic: string, payload: Buffer) => p.push(topic, payload);
      if ('local' in config) {
        await config.local.subscribe(filters, onMessage);
        link = config.local;
        log.info({ filters, broker: 'embedded, in process' }, 'ingest subscribed');
      } else {
        link = await connectClient(config, filters, onMessage, log);
        log.info({ url: config.url, filters }, 'ingest subscribed');
      }
    } catch (e) {
      const l = link;
      link = undefined;
      await l?.close().catch(() => undefined);
      await store?.close();
      store = undefined;
      await checkpointer?.close();
      checkpointer = undefined;
      throw e;
    }
  }

  async function close(): Promise<void> {
    const l = link;
    // Finish what was received (its acks still need the link), then leave the broker.
    await pipeline?.idle();
    if (l !== undefined) {
      try {
        await l.close();
      } catch (e) {
        log.warn({ err: errorMessage(e) }, 'leaving the broker');
      }
    }
    link = undefined;
    await store?.close();
    store = undefined;
    await checkpointer?.close();
    checkpointer = undefined;
  }

  return { start, close, idle: () => pipeline?.idle() ?? Promise.resolve(), metrics };
}

/** The ingest as an MQTT client of the broker at `source.url`, subscribed to the ingest's filters. */
async function connectClient(
  source: IngestClientSource,
  filters: readonly string[],
  onMessage: (topic: string, payload: Buffer) => void,
  log: Logger,
): Promise<BrokerLink> {
  const options: IClientOptions = {
    clientId: source.clientId ?? `chiso-ingest-${process.pid}`,
    clean: !(source.persistentSession ?? true),
    reconnectPeriod: 1_000,
    connectTimeout: 10_000,
    ...(source.username === undefined ? {} : { username: source.username }),
    ...(source.password === undefined ? {} : { password: source.password }),
    ...(source.ca === undefined ? {} : { ca: source.ca }),
  };
  const c: MqttClient = await connectAsync(source.url, options);
  const link: BrokerLink = {
    publish: (topic, payload, qos) => c.publishAsync(topic, payload, { qos }).then(() => undefined),
    close: () => c.endAsync(),
  };
  try {
    c.on('message', onMessage);
    c.on('error', (err) => log.error({ err: err.message }, 'mqtt client error'));
    c.on('reconnect', () => log.warn('reconnecting to the broker'));
    const granted = await c.subscribeAsync([...filters], { qos: 1 });
    const refused = granted.filter((g) => g.qos === 128);
    if (refused.length > 0) throw new Error(`ingest: the broker refused the subscriptions ${refused.map((g) => g.topic).join(', ')}`);
  } catch (e) {
    await c.endAsync(true).catch(() => undefined);
    throw e;
  }
  return link;
}
