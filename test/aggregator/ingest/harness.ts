import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { openCentralDb, type CentralDb } from '../../../src/aggregator/store/index.js';
import { buildEmbeddedBroker, DEFAULT_INTERNAL_USERNAME, type EmbeddedBroker } from '../../../src/aggregator/broker/index.js';
import { buildIngest, type Ingest } from '../../../src/aggregator/ingest/index.js';
import { decodeAck, gatewayTopic, type AckMessage } from '../../../src/wire/index.js';
import { testSigner, type TestSigner } from '../../../src/wire/test-helpers.js';
import { tempDir } from '../../store/temp-dir.js';

export const silent = pino({ level: 'silent' });
/** Cheap scrypt for tests: the parameters are stored in the hash, so verification follows them. */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };
export const INTERNAL = { username: DEFAULT_INTERNAL_USERNAME, password: 'internal-test-secret' };

export interface Harness {
  db: CentralDb;
  broker: EmbeddedBroker;
  ingest: Ingest;
  url: string;
  close(): Promise<void>;
}

/**
 * Central DB in a temp dir, embedded broker on 127.0.0.1:0, and the ingest attached to it in process as the
 * aggregator runs it; `{ ingestAs: 'client' }` connects the ingest over 127.0.0.1 as the internal MQTT client.
 */
export async function startAggregator(options: { ingestAs?: 'local' | 'client' } = {}): Promise<Harness> {
  const tmp = tempDir('chiso-agg-');
  const db = openCentralDb({ path: tmp.file('central.db'), scrypt: TEST_SCRYPT });
  const broker = buildEmbeddedBroker(
    { host: '127.0.0.1', port: 0, internal: INTERNAL },
    { gateways: db.gateways, refusals: db.refusals, logger: silent },
  );
  const { port } = await broker.start();
  const url = `mqtt://127.0.0.1:${port}`;
  const ingest = buildIngest(
    options.ingestAs === 'client' ? { url, username: INTERNAL.username, password: INTERNAL.password, clientId: 'chiso:ingest-test' } : { local: broker.local() },
    { db, logger: silent },
  );
  await ingest.start();
  return {
    db,
    broker,
    ingest,
    url,
    async close() {
      await ingest.close();
      await broker.close();
      db.close();
      tmp.cleanup();
    },
  };
}

export interface TestGateway {
  signer: TestSigner;
  password: string;
  client: MqttClient;
  acks: AckMessage[];
  /** The next ack not yet taken (bounded wait). */
  nextAck(): Promise<AckMessage>;
  /** Runs when an ack arrives, before nextAck resolves: checks the DB at ack time. */
  onAck?: (ack: AckMessage) => void;
}

/** Issues a token, enrols the gateway's key with it, connects as that gateway and subscribes to its acks. */
export async function enrolAndConnect(h: { db: CentralDb; url: string }, gatewayId: string, extra: Partial<IClientOptions> = {}): Promise<TestGateway> {
  const signer = testSigner(gatewayId);
  const { token } = h.db.enrolment.issue(gatewayId, 60_000, Date.now());
  const enrolled = await h.db.enrolment.consume({ token, gatewayId, publicKeyPem: signer.publicKeyPem }, Date.now);
  const client = await connectAsync(h.url, { clientId: gatewayId, username: gatewayId, password: enrolled.password, reconnectPeriod: 0, ...extra });
  return withAcks(signer, enrolled.password, client);
}

export async function withAcks(signer: TestSigner, password: string, client: MqttClient): Promise<TestGateway> {
  const acks: AckMessage[] = [];
  let taken = 0;
  const gw: TestGateway = {
    signer,
    password,
    client,
    acks,
    async nextAck() {
      await waitFor(() => acks.length > taken, `an ack for ${signer.gatewayId}`);
      return acks[taken++]!;
    },
  };
  client.on('message', (topic, payload) => {
    if (topic !== gatewayTopic(signer.gatewayId, 'ack')) return;
    const ack = decodeAck(payload);
    gw.onAck?.(ack);
    acks.push(ack);
  });
  const granted = await client.subscribeAsync(gatewayTopic(signer.gatewayId, 'ack'), { qos: 1 });
  if (granted[0]?.qos !== 1) throw new Error('ack subscription refused');
  return gw;
}

/** Polls `cond` every 10 ms for at most 5 s. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function count(db: CentralDb, table: 'reads' | 'events' | 'refusals' | 'signed_batches', where = '1 = 1'): number {
  return (db.store.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
}

/** The signed payload bytes inside an envelope, as the gateway produced them. */
export function signedPayloadOf(envelope: Uint8Array): Buffer {
  return Buffer.from((JSON.parse(Buffer.from(envelope).toString('utf8')) as { payload: string }).payload, 'base64');
}
