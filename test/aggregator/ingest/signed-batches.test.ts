import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { inlineOpener } from '../../../src/aggregator/ingest/opener.js';
import { centralMigrations, openCentralDb, type CentralDb } from '../../../src/aggregator/store/index.js';
import { runMigrations } from '../../../src/store/migrations.js';
import { signBatch } from '../../../src/wire/index.js';
import { sampleBatch, testSigner, type TestSigner } from '../../../src/wire/test-helpers.js';
import { tempDir } from '../../store/temp-dir.js';
import { signedPayloadOf, TEST_SCRYPT } from './harness.js';

async function enrol(db: CentralDb, gatewayId: string): Promise<TestSigner> {
  const signer = testSigner(gatewayId);
  const { token } = db.enrolment.issue(gatewayId, 60_000, 1_000);
  await db.enrolment.consume({ token, gatewayId, publicKeyPem: signer.publicKeyPem }, () => 1_500);
  return signer;
}

/** Opens and stores one signed batch as the ingest does; returns its signed_batches id. */
function store(db: CentralDb, envelope: Uint8Array, gatewayId: string): number {
  const opened = inlineOpener(db.gateways.lookupKey).open('reads', envelope, gatewayId);
  if (!opened.ok) throw opened.error;
  const [outcome] = db.writer.storeGroup([opened.verified], [], 2_000);
  expect(outcome).toMatchObject({ result: 'stored' });
  return (db.store.db.prepare('SELECT max(id) AS id FROM signed_batches').get() as { id: number }).id;
}

describe('signed batches kept as evidence', () => {
  const tmp = tempDir('chiso-signed-batches-');
  afterAll(() => tmp.cleanup());

  it('keeps the exact signed payload (deflated) and its signature, and verifies them again later', async () => {
    const db = openCentralDb({ path: tmp.file('central.db'), scrypt: TEST_SCRYPT });
    const signer = await enrol(db, 'GW-EV');
    const envelope = signBatch(sampleBatch('GW-EV', 1, 50), signer.privateKey, signer.keyId);
    const id = store(db, envelope, 'GW-EV');

    const check = db.signedBatches.verify(id);
    expect(check.verdict).toBe('verified');
    if (check.verdict !== 'verified') return;
    expect(Buffer.from(check.batch.payload).equals(signedPayloadOf(envelope))).toBe(true);
    expect(check.batch).toMatchObject({ gatewayId: 'GW-EV', stream: 'reads', epoch: 'db-7f3a', seqFrom: 1, seqTo: 50, keyId: signer.keyId });
    const row = db.store.db.prepare('SELECT length(payload_deflated) AS stored, envelope FROM signed_batches WHERE id = ?').get(id) as { stored: number; envelope: null };
    expect(row.envelope).toBeNull();
    expect(row.stored).toBeLessThan(signedPayloadOf(envelope).length / 5);

    // A key revoked since still proves what it signed before.
    db.gateways.revokeKey('GW-EV', signer.keyId, 3_000);
    expect(db.signedBatches.verify(id).verdict).toBe('verified');

    // Altered at rest: one value in the stored payload changed.
    const altered = Buffer.from(check.batch.payload).toString('utf8').replace('"value":"1000.0"', '"value":"9000.0"');
    expect(altered).toContain('9000.0');
    const { deflateRawSync } = await import('node:zlib');
    db.store.db.prepare('UPDATE signed_batches SET payload_deflated = ? WHERE id = ?').run(deflateRawSync(Buffer.from(altered)), id);
    expect(db.signedBatches.verify(id)).toMatchObject({ verdict: 'bad-signature', detail: expect.stringContaining(`signed batch ${id}`) });
    db.store.db.prepare('UPDATE signed_batches SET payload_deflated = ? WHERE id = ?').run(Buffer.from('not deflate'), id);
    expect(db.signedBatches.verify(id)).toMatchObject({ verdict: 'unreadable', detail: expect.stringContaining(`signed batch ${id}`) });
    expect(db.signedBatches.verify(id + 1)).toMatchObject({ verdict: 'unreadable', detail: `signed batch ${id + 1} is not stored` });
    db.close();
  });

  it('a database from before v3 keeps its envelopes through the migration, and they still verify', async () => {
    const path = tmp.file('v2.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    runMigrations(old, centralMigrations.slice(0, 2), path);
    const signer = testSigner('GW-OLD');
    old.prepare("INSERT INTO gateways (id, credential_hash, enrolled_at) VALUES ('GW-OLD', 'x', 1)").run();
    old.prepare("INSERT INTO gateway_keys (gateway_id, key_id, public_key_pem, added_at) VALUES ('GW-OLD', ?, ?, 1)").run(signer.keyId, signer.publicKeyPem);
    const envelope = signBatch(sampleBatch('GW-OLD', 1, 5), signer.privateKey, signer.keyId);
    old
      .prepare(
        `INSERT INTO signed_batches (id, gateway_id, stream, epoch, seq_from, seq_to, key_id, envelope, received_at)
         VALUES (7, 'GW-OLD', 'reads', 'db-7f3a', 1, 5, ?, ?, 42)`,
      )
      .run(signer.keyId, Buffer.from(envelope));
    old.prepare("INSERT INTO stream_positions VALUES ('GW-OLD', 'reads', 'db-7f3a', 5, 42)").run();
    old.close();

    const db = openCentralDb({ path, scrypt: TEST_SCRYPT });
    const check = db.signedBatches.verify(7);
    expect(check).toMatchObject({ verdict: 'verified', batch: { gatewayId: 'GW-OLD', seqTo: 5, receivedAt: 42 } });
    if (check.verdict === 'verified') expect(Buffer.from(check.batch.payload).equals(signedPayloadOf(envelope))).toBe(true);
    // New batches after the migration take the new form next to the old row.
    const id = store(db, signBatch(sampleBatch('GW-OLD', 6, 2), signer.privateKey, signer.keyId), 'GW-OLD');
    expect(id).toBe(8);
    expect(db.signedBatches.verify(8).verdict).toBe('verified');
    db.close();
  });
});
