import { describe, expect, it } from 'vitest';
import { openCentralDb } from '../../../src/aggregator/store/index.js';
import { verifyCredential } from '../../../src/aggregator/store/credentials.js';
import { testSigner } from '../../../src/wire/test-helpers.js';
import { tempDir } from '../../store/temp-dir.js';
import { TEST_SCRYPT } from './harness.js';

describe('enrolment tokens', () => {
  const tmp = tempDir('chiso-agg-enrol-');
  const db = openCentralDb({ path: tmp.file('central.db'), scrypt: TEST_SCRYPT });

  it('enrols once, then refuses the same token; refuses expired and foreign tokens', async () => {
    const s = testSigner('GW-T');
    const t = db.enrolment.issue('GW-T', 1_000, 10_000);
    await expect(db.enrolment.consume({ token: t.token, gatewayId: 'GW-OTHER', publicKeyPem: s.publicKeyPem }, () => 10_500)).rejects.toMatchObject({ code: 'CENTRAL_TOKEN_GATEWAY' });
    await expect(db.enrolment.consume({ token: t.token, gatewayId: 'GW-T', publicKeyPem: s.publicKeyPem }, () => 11_000)).rejects.toMatchObject({ code: 'CENTRAL_TOKEN_EXPIRED' });
    // Typed on a command line after --token: never a leading dash, whatever the random bytes.
    const many = Array.from({ length: 300 }, () => db.enrolment.issue('GW-MANY', 1_000, 10_000).token);
    for (const token of many) expect(token).toMatch(/^cet_[A-Za-z0-9_-]{32}$/);
    const t2 = db.enrolment.issue('GW-T', 1_000, 20_000);
    const enrolled = await db.enrolment.consume({ token: t2.token, gatewayId: 'GW-T', publicKeyPem: s.publicKeyPem }, () => 20_500);
    expect(enrolled.keyId).toBe(s.keyId);
    expect(await verifyCredential(enrolled.password, db.gateways.credentialHash('GW-T')!)).toBe(true);
    expect(await verifyCredential('wrong', db.gateways.credentialHash('GW-T')!)).toBe(false);
    await expect(db.enrolment.consume({ token: t2.token, gatewayId: 'GW-T', publicKeyPem: s.publicKeyPem }, () => 20_600)).rejects.toMatchObject({ code: 'CENTRAL_TOKEN_USED' });
    await expect(db.enrolment.consume({ token: 'nope', gatewayId: 'GW-T', publicKeyPem: s.publicKeyPem }, () => 20_600)).rejects.toMatchObject({ code: 'CENTRAL_TOKEN_UNKNOWN' });
    expect(db.gateways.keys('GW-T')).toHaveLength(1);
    db.gateways.revokeKey('GW-T', s.keyId, 30_000);
    expect(db.gateways.lookupKey('GW-T', s.keyId)).toBeUndefined();
    expect(db.gateways.lookupKey('GW-NONE', s.keyId)).toBe('unknown-gateway');
    db.close();
    tmp.cleanup();
  });
});
