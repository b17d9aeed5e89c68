/**
 * Sample messages for this folder's tests and for other folders' tests (gateway, aggregator) that need a
 * valid message without restating every field. Pure data plus key generation; no test framework here.
 */
import type { KeyObject } from 'node:crypto';
import { generateKeyPair, loadPrivateKey, loadPublicKey, KeyRing } from './keys.js';
import { makeReadId, type ReadRecord } from './reads.js';
import type { ReadBatchInput } from './batch.js';

export interface TestSigner {
  gatewayId: string;
  keyId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
}

export function testSigner(gatewayId = 'TBA-CauGiay-01'): TestSigner {
  const kp = generateKeyPair();
  return {
    gatewayId,
    keyId: kp.keyId,
    privateKey: loadPrivateKey(kp.privateKeyPem),
    publicKey: loadPublicKey(kp.publicKeyPem),
    publicKeyPem: kp.publicKeyPem,
  };
}

export function ringOf(...signers: TestSigner[]): KeyRing {
  const ring = new KeyRing();
  for (const s of signers) ring.add(s.gatewayId, s.publicKey);
  return ring;
}

export function sampleRead(gatewayId: string, overrides: Partial<ReadRecord> = {}): ReadRecord {
  const base = {
    meterId: 'MTR-20451',
    obis: '1.0.1.8.0.255',
    kind: 'register' as const,
    meterTime: '2024-07-31T23:59:30+07:00',
    ...overrides,
  };
  return {
    readId: makeReadId({ gatewayId, meterId: base.meterId, obis: base.obis, kind: base.kind, meterTime: base.meterTime }),
    meteringPoint: 'PD01000123456001',
    customerCode: 'PD01000123456',
    bookCode: 'D018328',
    routeOrder: 12,
    bcs: 'KT',
    value: '123456.8',
    unit: 'kWh',
    scaler: -1,
    receivedAt: '2024-07-31T16:59:41.120Z',
    quality: ['ok'],
    periodStart: '2024-07-01',
    periodEnd: '2024-07-31',
    multiplier: '1',
    ...base,
  };
}

export function sampleBatch(gatewayId: string, seqFrom = 1, count = 3): ReadBatchInput {
  const tariffs = ['1.0.1.8.0.255', '1.0.1.8.1.255', '1.0.1.8.2.255', '1.0.1.8.3.255', '1.0.3.8.0.255'];
  const bcs = ['KT', 'BT', 'CD', 'TD', 'VC'] as const;
  const reads = Array.from({ length: count }, (_, i) =>
    sampleRead(gatewayId, {
      meterId: `MTR-${20451 + Math.floor(i / 5)}`,
      obis: tariffs[i % 5],
      bcs: bcs[i % 5],
      unit: i % 5 === 4 ? 'kvarh' : 'kWh',
      value: `${1000 + i}.${i % 10}`,
    }),
  );
  return { gatewayId, epoch: 'db-7f3a', seqFrom, seqTo: seqFrom + count - 1, createdAt: '2024-07-31T17:00:00Z', reads };
}
