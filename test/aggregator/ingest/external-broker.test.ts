import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Aedes } from 'aedes';
import { connectAsync } from 'mqtt';
import { openCentralDb, type CentralDb } from '../../../src/aggregator/store/index.js';
import { buildIngest, type Ingest } from '../../../src/aggregator/ingest/index.js';
import { gatewayTopic, signBatch } from '../../../src/wire/index.js';
import { sampleBatch, testSigner } from '../../../src/wire/test-helpers.js';
import { tempDir } from '../../store/temp-dir.js';
import { count, silent, TEST_SCRYPT, withAcks } from './harness.js';

describe('ingest against an external broker given by URL', () => {
  const tmp = tempDir('chiso-agg-ext-');
  let broker: Aedes;
  let server: ReturnType<typeof createServer>;
  let db: CentralDb;
  let ingest: Ingest;
  let url: string;

  beforeAll(async () => {
    broker = await Aedes.createBroker(); // a plain broker: no chiso hooks at all
    server = createServer((socket) => broker.handle(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    db = openCentralDb({ path: tmp.file('central.db'), scrypt: TEST_SCRYPT });
    ingest = buildIngest({ url, clientId: 'ext-ingest' }, { db, logger: silent });
    await ingest.start();
  });
  afterAll(async () => {
    await ingest?.close();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    db?.close();
    tmp.cleanup();
  });

  it('stores and acks a batch the same way', async () => {
    const signer = testSigner('GW-EXT');
    const { token } = db.enrolment.issue('GW-EXT', 60_000, Date.now());
    await db.enrolment.consume({ token, gatewayId: 'GW-EXT', publicKeyPem: signer.publicKeyPem }, Date.now);
    const gw = await withAcks(signer, '', await connectAsync(url, { clientId: 'GW-EXT', reconnectPeriod: 0 }));
    await gw.client.publishAsync(gatewayTopic('GW-EXT', 'reads'), Buffer.from(signBatch(sampleBatch('GW-EXT', 1, 4), signer.privateKey, signer.keyId)), { qos: 1 });
    expect(await gw.nextAck()).toMatchObject({ result: 'stored', storedCount: 4 });
    expect(count(db, 'reads', "gateway_id = 'GW-EXT'")).toBe(4);
    await gw.client.endAsync();
  });
});
