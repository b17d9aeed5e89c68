import { describe, expect, it } from 'vitest';
import { isWireError } from './errors.js';
import { openSignedEvents, signEvents, type EventBatchInput, type GatewayEvent } from './events.js';
import { signBatch } from './batch.js';
import { ringOf, sampleBatch, testSigner } from './test-helpers.js';

const gw = testSigner('GW1');
const ring = ringOf(gw);

const sampleEvents: GatewayEvent[] = [
  {
    type: 'meter-offline',
    at: '2024-07-28T02:00:00Z',
    meterId: 'MTR-20451',
    meteringPoint: 'PD01000123456001',
    since: '2024-07-27T14:00:00+07:00',
    consecutiveFailures: 6,
    lastGoodRead: '2024-07-27T08:00:00+07:00',
    lastError: 'TRANSPORT_TIMEOUT',
  },
  { type: 'meter-online', at: '2024-07-28T05:00:00Z', meterId: 'MTR-20451', since: '2024-07-28T12:00:00+07:00', consecutiveFailures: 0, lastGoodRead: '2024-07-28T12:00:00+07:00' },
  { type: 'bus-silent', at: '2024-07-28T03:00:00Z', bus: 'rs485-1 (tủ điện số 2)', since: '2024-07-28T09:40:00+07:00', metersAffected: ['MTR-20451', 'MTR-20452'] },
  {
    type: 'anomaly',
    at: '2024-07-29T01:00:00Z',
    anomalyId: 'GW1|MTR-20452|consumption-spike|2024-07',
    state: 'raised',
    code: 'consumption-spike',
    severity: 'warning',
    meterId: 'MTR-20452',
    obis: '1.0.1.8.0.255',
    evidence: { previousConsumptionKwh: '212', projectedConsumptionKwh: '455', changePercent: 114.6, reads: [{ at: '2024-07-29', value: '10455.2' }] },
    thresholds: { upPercent: 30, downPercent: 30, confirmAboveKwh: 400 },
  },
  {
    type: 'pre-cutoff-report',
    at: '2024-07-29T01:00:00Z',
    period: { start: '2024-07-01', end: '2024-07-31' },
    cutoffAt: '2024-07-31T17:00:00Z',
    bookCodes: ['D018328'],
    pointsTotal: 412,
    pointsOnline: 409,
    offlinePoints: [{ meterId: 'MTR-20460', meteringPoint: 'PD01000123499001', bookCode: 'D018328', since: '2024-07-26T10:00:00+07:00', lastGoodRead: null }],
    openAnomalies: [{ anomalyId: 'GW1|MTR-20452|consumption-spike|2024-07', code: 'consumption-spike', severity: 'warning', meterId: 'MTR-20452', since: '2024-07-29T01:00:00Z' }],
  },
  {
    type: 'daily-digest',
    at: '2024-07-29T17:05:00Z',
    date: '2024-07-29',
    metersTotal: 412,
    metersRead: 409,
    metersFailed: 3,
    readsCollected: 2045,
    offlineCount: 3,
    anomaliesRaised: 1,
    anomaliesCleared: 0,
    backlog: { count: 0, oldestAt: null, bytes: 0 },
  },
  { type: 'outbox-pruned', at: '2024-07-30T00:00:00Z', stream: 'reads', epoch: 'db-7f3a', seqFrom: 1, seqTo: 5000, reason: 'outbox full (disk 95 %)' },
];

function batchOf(events: GatewayEvent[], seqFrom = 1): EventBatchInput {
  return { gatewayId: 'GW1', epoch: 'db-7f3a', seqFrom, seqTo: seqFrom + events.length - 1, createdAt: '2024-07-30T00:00:01Z', events };
}

describe('events', () => {
  it('round-trips every event type, signed, with non-ASCII text intact', () => {
    const bytes = signEvents(batchOf(sampleEvents, 7), gw.privateKey, gw.keyId);
    const { batch, envelope } = openSignedEvents(bytes, ring.lookup, { gatewayId: 'GW1' });
    expect(batch.events).toEqual(sampleEvents);
    expect(batch).toMatchObject({ v: 1, type: 'events', seqFrom: 7, seqTo: 13, keyId: gw.keyId });
    expect(envelope).toMatchObject({ type: 'events', seqFrom: 7, seqTo: 13 });
    expect((batch.events[2] as { bus: string }).bus).toBe('rs485-1 (tủ điện số 2)');
  });

  it('verifies like reads: flipped bit, unknown key', () => {
    const bytes = signEvents(batchOf(sampleEvents.slice(0, 1)), gw.privateKey, gw.keyId);
    const env = JSON.parse(new TextDecoder().decode(bytes)) as { payload: string };
    const p = Buffer.from(env.payload, 'base64');
    p[10] = (p[10] as number) ^ 4;
    const tampered = new TextEncoder().encode(JSON.stringify({ ...env, payload: p.toString('base64') }));
    expect(() => openSignedEvents(tampered, ring.lookup)).toThrow(expect.objectContaining({ code: 'WIRE_BAD_SIGNATURE' }));
    const stranger = testSigner('GW1');
    expect(() => openSignedEvents(signEvents(batchOf(sampleEvents.slice(0, 1)), stranger.privateKey, stranger.keyId), ring.lookup)).toThrow(
      expect.objectContaining({ code: 'WIRE_UNKNOWN_KEY' }),
    );
  });

  it('does not open a reads batch as events, nor the other way round', () => {
    const reads = signBatch(sampleBatch('GW1'), gw.privateKey, gw.keyId);
    expect(() => openSignedEvents(reads, ring.lookup)).toThrow(expect.objectContaining({ code: 'WIRE_MALFORMED' }));
  });

  it('names the path of a bad event', () => {
    const bad = structuredClone(sampleEvents) as unknown as Array<Record<string, unknown>>;
    (bad[3] as { code: string }).code = 'looks-odd';
    let err: unknown;
    try {
      signEvents(batchOf(bad as unknown as GatewayEvent[]), gw.privateKey, gw.keyId);
    } catch (e) {
      err = e;
    }
    expect(isWireError(err, 'WIRE_MALFORMED')).toBe(true);
    expect((err as { context: { path: string } }).context.path).toBe('events[3].code');
  });

  it('refuses an unknown event type and a reversed pruned range', () => {
    const unknown = [{ type: 'meter-exploded', at: '2024-07-30T00:00:00Z' }] as unknown as GatewayEvent[];
    expect(() => signEvents(batchOf(unknown), gw.privateKey, gw.keyId)).toThrow(expect.objectContaining({ code: 'WIRE_MALFORMED' }));
    const reversed = [{ ...sampleEvents[6], seqFrom: 10, seqTo: 9 }] as GatewayEvent[];
    expect(() => signEvents(batchOf(reversed), gw.privateKey, gw.keyId)).toThrow(
      expect.objectContaining({ code: 'WIRE_MALFORMED', context: expect.objectContaining({ path: 'events[0].seqTo' }) }),
    );
  });
});
