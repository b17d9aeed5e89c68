import { createPublicKey } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Reverifier, ReverifyError, type CommandPublisher } from '../../../src/aggregator/reverify/index.js';
import { openCentralDb, type CentralDb } from '../../../src/aggregator/store/index.js';
import { generateKeyPair, loadPrivateKey, makeReadId, openSignedCommand, type CommandResponse } from '../../../src/wire/index.js';
import { tempDir } from '../../store/temp-dir.js';
import { insertRead } from './helpers.js';

const silent = pino({ level: 'silent' });
const T0 = Date.UTC(2024, 6, 31, 3, 0, 0);
const GW = 'TBA-01';
const POINT = 'PD0100000001001';

describe('Reverifier (real SQLite, recorded publishes)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: CentralDb;
  let sent: { topic: string; payload: Uint8Array }[];
  let failPublish: boolean;
  const keys = generateKeyPair();
  const key = { privateKey: loadPrivateKey(keys.privateKeyPem), keyId: keys.keyId };
  const publisher: CommandPublisher = {
    async publish(topic, payload) {
      if (failPublish) throw new Error('broker gone');
      sent.push({ topic, payload });
    },
  };
  let rv: Reverifier;

  beforeEach(() => {
    tmp = tempDir('chiso-reverify-');
    db = openCentralDb({ path: tmp.file('central.db') });
    sent = [];
    failPublish = false;
    rv = new Reverifier({ commandLifetimeMs: 10 * 60_000, readGraceMs: 60 * 60_000 }, { db: db.store.db, key, publisher, logger: silent });
    // The point's history: a KT read an hour ago (the index to verify) and a later VC read of the same meter.
    insertRead(db, { gatewayId: GW, meterId: 'M1', point: POINT, value: '12345.6', meterTimeMs: T0 - 3_600_000, storedAt: T0 - 3_500_000 });
    insertRead(db, { gatewayId: GW, meterId: 'M1', point: POINT, value: '50', meterTimeMs: T0 - 1_800_000, storedAt: T0 - 1_700_000, obis: '1.0.3.8.0.255', bcs: 'VC', unit: 'kvarh' });
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  const okResponse = (id: string, result: CommandResponse['result']): CommandResponse => ({ v: 1, id, gatewayId: GW, ok: true, at: new Date(T0).toISOString(), result });

  it('records the request with the stored KT read and sends a signed read-now (phuc-tra) to the gateway', async () => {
    const row = await rv.request({ meteringPoint: POINT, by: 'op-lan' }, T0);
    expect(row).toMatchObject({ state: 'sent', gatewayId: GW, meterId: 'M1', meteringPoint: POINT, requestedBy: 'op-lan', storedValue: '12345.6', verdict: null });
    expect(row.storedReadId).toContain('|M1|1.0.1.8.0.255|register|');
    expect(row.expiresAt).toBe(new Date(T0 + 10 * 60_000).toISOString());
    expect(sent).toHaveLength(1);
    expect(sent[0]!.topic).toBe(`chiso/v1/gw/${GW}/cmd`);
    const { command } = openSignedCommand(sent[0]!.payload, (id) => (id === keys.keyId ? createPublicKey(key.privateKey) : undefined), { gatewayId: GW, now: T0 });
    expect(command).toMatchObject({ id: row.commandId, command: { type: 'read-now', meterId: 'M1', purpose: 'phuc-tra', registers: ['1.0.1.8.0.255'] } });
  });

  it('refuses an unknown point, a point never read remotely, and a second request while one is open', async () => {
    await expect(rv.request({ meteringPoint: 'PD0999999999001' }, T0)).rejects.toMatchObject({ code: 'REVERIFY_POINT_UNKNOWN' });
    db.store.db.prepare(`INSERT INTO books (id, unit_code, book_code, year, month, sub_period, file_name, reading_day, period_start, period_end, cutoff_at, source_sha256, imported_at)
      VALUES (1, 'PD0100', 'D1', 2024, 7, 1, 'f', 'last', 0, 1, 2, 's', 0)`).run();
    db.store.db.prepare(`INSERT INTO book_rows (book_id, metering_point, bcs, reading_type, row_no, route_position, multiplier, old_index, row_json)
      VALUES (1, 'PD0100000009001', 'KT', 'DDK', 1, '1', '1', '0', '{}')`).run();
    const e = await rv.request({ meteringPoint: 'PD0100000009001' }, T0).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ReverifyError);
    expect(e).toMatchObject({ code: 'REVERIFY_NO_METER' });

    const first = await rv.request({ meteringPoint: POINT }, T0);
    await expect(rv.request({ meteringPoint: POINT }, T0 + 1)).rejects.toMatchObject({ code: 'REVERIFY_PENDING', message: expect.stringContaining(first.commandId) });
    // Still open after the gateway said ok but before its read arrived.
    rv.handleResponse(GW, okResponse(first.commandId, { meterId: 'M1', meterTime: new Date(T0 + 60_000).toISOString() }), T0 + 70_000);
    await expect(rv.request({ meteringPoint: POINT }, T0 + 80_000)).rejects.toMatchObject({ code: 'REVERIFY_PENDING' });
    expect(sent).toHaveLength(1);
  });

  it('waits for exactly the read the response points at, then compares: advanced', async () => {
    const row = await rv.request({ meteringPoint: POINT }, T0);
    const meterTime = new Date(T0 + 60_000).toISOString();
    // A scheduled read stored meanwhile is not the answer.
    insertRead(db, { gatewayId: GW, meterId: 'M1', point: POINT, value: '12346.0', meterTimeMs: T0 + 30_000, storedAt: T0 + 40_000 });
    expect(rv.handleResponse(GW, okResponse(row.commandId, { meterId: 'M1', meterTime }), T0 + 65_000)).toMatchObject({ state: 'answered', verdict: null });
    expect(rv.check(T0 + 66_000)).toEqual([]);
    const readId = insertRead(db, { gatewayId: GW, meterId: 'M1', point: POINT, value: '12346.5', meterTimeMs: T0 + 60_000, storedAt: T0 + 90_000 });
    expect(readId).toBe(makeReadId({ gatewayId: GW, meterId: 'M1', obis: '1.0.1.8.0.255', kind: 'register', meterTime }));
    const [settled] = rv.onReadsStored([{ meterId: 'M1' }], T0 + 91_000);
    expect(settled).toMatchObject({ state: 'answered', verdict: 'advanced', newReadId: readId, newValue: '12346.5', storedValue: '12345.6' });
    expect(settled!.detail).toMatchObject({ comparison: { difference: '0.9', unit: 'kWh' }, response: { result: { meterTime } } });
    // Settled requests are left alone; a new one may be asked.
    expect(rv.check(T0 + 10 * 3_600_000)).toEqual([]);
    await expect(rv.request({ meteringPoint: POINT }, T0 + 100_000)).resolves.toMatchObject({ state: 'sent' });
  });

  it('waits for exactly the read ids the response names: not another reread of the register, not the meterTime read id', async () => {
    const row = await rv.request({ meteringPoint: POINT }, T0);
    // The meter's clock was invalid: the gateway stamped its read with the receive time, so the read id does
    // not follow from the meterTime the answer shows.
    const meterTime = new Date(T0 + 60_000).toISOString();
    const named = `${GW}|M1|1.0.1.8.0.255|register|${new Date(T0 + 75_000).toISOString()}`;
    const result = { meterId: 'M1', meterTime, registers: [{ obis: '1.0.1.8.0.255', bcs: 'KT', value: '12346.5', unit: 'kWh' }], readIds: [named] };
    expect(rv.handleResponse(GW, okResponse(row.commandId, result), T0 + 80_000)).toMatchObject({ state: 'answered', verdict: null });
    // Meanwhile another reread of the register (an operator's on-demand read-now), and a read at the answer's meterTime.
    insertRead(db, { gatewayId: GW, meterId: 'M1', point: POINT, value: '12000', meterTimeMs: T0 + 70_000, storedAt: T0 + 81_000, quality: 'ok,reread' });
    insertRead(db, { gatewayId: GW, meterId: 'M1', point: POINT, value: '12001', meterTimeMs: T0 + 60_000, storedAt: T0 + 82_000 });
    expect(rv.check(T0 + 83_000)).toEqual([]);
    expect(insertRead(db, { gatewayId: GW, meterId: 'M1', point: POINT, value: '12346.5', meterTimeMs: T0 + 75_000, storedAt: T0 + 90_000, quality: 'clock-invalid,reread' })).toBe(named);
    const [settled] = rv.onReadsStored([{ meterId: 'M1' }], T0 + 91_000);
    expect(settled).toMatchObject({ state: 'answered', verdict: 'advanced', newReadId: named, newValue: '12346.5' });
    expect(settled!.detail).toMatchObject({ response: { result: { readIds: [named] } } });
  });

  it('takes a read that arrived before the response when it is flagged reread, and finds a mismatch', async () => {
    const row = await rv.request({ meteringPoint: POINT }, T0);
    insertRead(db, { gatewayId: GW, meterId: 'M1', point: POINT, value: '12001', meterTimeMs: T0 + 60_000, storedAt: T0 + 61_000, quality: 'ok,reread' });
    const [settled] = rv.check(T0 + 62_000);
    expect(settled).toMatchObject({ commandId: row.commandId, verdict: 'mismatch', newValue: '12001' });
    expect(rv.handleResponse(GW, okResponse(row.commandId, { readIds: [] }), T0 + 63_000)).toBeUndefined();
  });

  it('a gateway error answer fails the request with the gateway message; other gateways and unknown ids are ignored', async () => {
    const row = await rv.request({ meteringPoint: POINT }, T0);
    const failure: CommandResponse = { v: 1, id: row.commandId, gatewayId: GW, ok: false, error: { code: 'METER_NO_ANSWER', message: 'meter M1 did not answer' } };
    expect(rv.handleResponse('TBA-99', { ...failure, gatewayId: 'TBA-99' }, T0 + 1)).toBeUndefined();
    expect(rv.handleResponse(GW, { ...failure, id: '00000000-0000-4000-8000-000000000000' }, T0 + 1)).toBeUndefined();
    expect(rv.handleResponse(GW, failure, T0 + 2)).toMatchObject({ state: 'failed', verdict: null, detail: { error: { code: 'METER_NO_ANSWER', message: 'meter M1 did not answer' } } });
    expect(rv.list({ meteringPoint: POINT, state: 'failed' })).toHaveLength(1);
  });

  it('expires an unanswered request at expiresAt, and an answered one whose read never came after the grace', async () => {
    const a = await rv.request({ meteringPoint: POINT }, T0);
    expect(rv.check(T0 + 10 * 60_000 - 1)).toEqual([]);
    expect(rv.check(T0 + 10 * 60_000)).toMatchObject([{ id: a.id, state: 'expired', detail: { reason: expect.stringContaining('no answer') } }]);

    const b = await rv.request({ meteringPoint: POINT }, T0 + 11 * 60_000);
    rv.handleResponse(GW, okResponse(b.commandId, { meterId: 'M1', meterTime: new Date(T0 + 12 * 60_000).toISOString() }), T0 + 12 * 60_000);
    const bExpiry = T0 + 21 * 60_000;
    expect(rv.check(bExpiry + 60 * 60_000 - 1)).toEqual([]);
    expect(rv.check(bExpiry + 60 * 60_000)).toMatchObject([{ id: b.id, state: 'expired', detail: { reason: expect.stringContaining('did not arrive') } }]);
  });

  it('marks the request failed when the command cannot be published', async () => {
    failPublish = true;
    const row = await rv.request({ meteringPoint: POINT }, T0);
    expect(row).toMatchObject({ state: 'failed', detail: { error: { code: 'PUBLISH_FAILED', message: expect.stringContaining('broker gone') } } });
  });
});
