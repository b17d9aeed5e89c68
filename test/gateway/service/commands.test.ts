import { writeFileSync } from 'node:fs';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayTopic, generateKeyPair, loadPrivateKey, makeReadId, openSignedBatch, ReadNowResultSchema, type ReadRecord } from '../../../src/wire/index.js';
import { waitFor } from '../forwarder/broker.js';
import { GATEWAY_ID, startRig, type ServiceRig } from './service-fixture.js';

/** Commands from central through the whole service: verified by the forwarder, executed by the gateway. */
describe('gateway service commands', () => {
  let rig: ServiceRig;
  /** Meter clock minus true time, ms. */
  const skew = (i: number) => rig.meters[i]!.clockAt(rig.meters[i]!.now()) - rig.meters[i]!.now();

  beforeAll(async () => {
    // The meters' management client (SAP 1) has its own password: the clock is set with it, not the reading one.
    rig = await startRig({ meters: 2, extraYaml: 'clockSync: { maxAdjustSeconds: 120, clientSap: 1, password: mgmt-secret }', meterSettings: { managementPassword: 'mgmt-secret' } });
    await waitFor(() => rig.gateway.status().central.connected, 'the gateway connected');
  }, 30_000);

  afterAll(async () => {
    await rig?.close();
  });

  it('refuses forged, foreign-key and expired commands with their error, and executes none of them', async () => {
    const intruder = generateKeyPair();
    const before = rig.meters[0]!.now();
    // A clock jump would show whether anything ran: the meter is 60 s off, inside every limit.
    rig.meters[0]!.setClock(before + 60_000, before);
    const sync = { type: 'clock-sync' as const, meterId: 'CT1', maxAdjustSeconds: 600 };
    const foreign = await rig.send(sync, { key: loadPrivateKey(intruder.privateKeyPem), keyId: intruder.keyId });
    const wrongKey = await rig.send(sync, { forgeWith: loadPrivateKey(intruder.privateKeyPem) });
    const expired = await rig.send(sync, { issuedAt: new Date(Date.now() - 600_000).toISOString(), expiresAt: new Date(Date.now() - 60_000).toISOString() });
    expect(foreign).toMatchObject({ ok: false, error: { code: 'WIRE_UNKNOWN_KEY' } });
    expect(wrongKey).toMatchObject({ ok: false, error: { code: 'WIRE_BAD_SIGNATURE' } });
    expect(expired).toMatchObject({ ok: false, error: { code: 'WIRE_EXPIRED' } });
    expect(expired.error!.message).toContain('expired');
    // Nothing was executed: the meter's clock is still 60 s ahead.
    expect(skew(0)).toBeGreaterThan(59_000);
  }, 60_000);

  it('sets a meter clock within the limits and refuses a larger jump with a clear answer', async () => {
    const small = await rig.send({ type: 'clock-sync', meterId: 'CT1', maxAdjustSeconds: 600 });
    expect(small).toMatchObject({ ok: true, result: { limitSeconds: 120, meters: [{ meterId: 'CT1', action: 'set' }] } });
    expect(Math.abs(skew(0))).toBeLessThan(3_000);

    const t = rig.meters[1]!.now();
    rig.meters[1]!.setClock(t + 3_600_000, t);
    const big = await rig.send({ type: 'clock-sync', meterId: 'CT2', maxAdjustSeconds: 7200 });
    expect(big).toMatchObject({ ok: false, error: { code: 'GATEWAY_CLOCK_JUMP_REFUSED' } });
    expect(big.error!.message).toMatch(/meter CT2: clock is 3\d{3}(\.\d)? s off, over the limit of 120 s/);
    // Not touched: still an hour ahead.
    expect(skew(1)).toBeGreaterThan(3_590_000);
  }, 60_000);

  it('read-now stores the reads flagged reread, they arrive signed, and the answer names them by read id', async () => {
    // A second subscriber beside the stand-in aggregator: the signed batches themselves, verified.
    const signed = new Map<string, ReadRecord>();
    const spy = await connectAsync(rig.broker.url, { clientId: 'reads-spy', reconnectPeriod: 0 });
    spy.on('message', (_topic, payload) => {
      const { batch } = openSignedBatch(payload, rig.aggregator.ring.lookup, { gatewayId: GATEWAY_ID });
      for (const r of batch.reads) signed.set(r.readId, r);
    });
    await spy.subscribeAsync(gatewayTopic(GATEWAY_ID, 'reads'), { qos: 1 });
    try {
      const answer = await rig.send({ type: 'read-now', meterId: 'CT1', registers: ['1.0.1.8.0.255'], purpose: 'phuc-tra' });
      expect(answer).toMatchObject({ ok: true });
      const result = ReadNowResultSchema.parse(answer.result);
      expect(result.meterId).toBe('CT1');
      // Only the asked register is answered; the whole profile was read and stored all the same.
      expect(result.registers.map((r) => r.obis)).toEqual(['1.0.1.8.0.255']);
      expect(result.readIds).toHaveLength(1);
      await waitFor(() => result.readIds!.every((id) => signed.has(id) && rig.aggregator.stored.has(id)), 'the read-now reads, signed and acked', 20_000);
      for (const [i, id] of result.readIds!.entries()) {
        const read = signed.get(id)!;
        expect(read).toMatchObject({ meterId: 'CT1', kind: 'register', obis: result.registers[i]!.obis, value: result.registers[i]!.value, meterTime: result.meterTime });
        expect(read.quality).toEqual(['ok', 'reread']);
        expect(id).toBe(makeReadId({ gatewayId: GATEWAY_ID, meterId: 'CT1', obis: read.obis, kind: 'register', meterTime: read.meterTime }));
      }
    } finally {
      await spy.endAsync();
    }

    const unknown = await rig.send({ type: 'read-now', meterId: 'CT9', purpose: 'on-demand' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'GATEWAY_UNKNOWN_METER', message: expect.stringContaining('meter CT9 is not configured') } });
    const typo = await rig.send({ type: 'read-now', meterId: 'CT1', registers: ['1.0.1.8.0.255', '1.0.15.8.0.255'], purpose: 'phuc-tra' });
    expect(typo).toMatchObject({ ok: false, error: { code: 'GATEWAY_UNKNOWN_REGISTER', message: expect.stringMatching(/meter CT1 \(model \S+\) does not read 1\.0\.15\.8\.0\.255; it reads 1\.0\.1\.8\.0\.255/) } });
  }, 60_000);

  it('read-now answers an error, not read ids, when its reads cannot be stored', async () => {
    const reads = rig.stores[0]!;
    const lastSeq = () => (reads.db.prepare('SELECT last_seq FROM outbox_state WHERE id = 1').get() as { last_seq: number }).last_seq;
    const before = lastSeq();
    // Only the outbox refuses (the rest of the database stays writable): the append fails as on a full disk.
    reads.db.exec("CREATE TEMP TRIGGER refuse_outbox BEFORE INSERT ON main.outbox BEGIN SELECT RAISE(ABORT, 'no space in the test'); END");
    try {
      const answer = await rig.send({ type: 'read-now', meterId: 'CT1', purpose: 'on-demand' });
      expect(answer).toMatchObject({ ok: false, error: { code: 'GATEWAY_READ_NOT_STORED', message: expect.stringContaining('meter CT1 was read but its reads could not be stored') } });
      expect(answer.error!.message).toContain('no space in the test');
      expect(answer.result).toBeUndefined();
    } finally {
      reads.db.exec('DROP TRIGGER temp.refuse_outbox');
    }
    // Not one read of it went into the reads outbox.
    expect(lastSeq()).toBe(before);
    // Writable again: the next read-now answers its read ids.
    const again = await rig.send({ type: 'read-now', meterId: 'CT1', purpose: 'on-demand' });
    expect(ReadNowResultSchema.parse(again.result).readIds).toHaveLength(2);
    // Everything acked before the next test, which compares backlogs across a reload.
    await waitFor(() => rig.gateway.status().backlog.count === 0, 'the outbox acked', 20_000);
  }, 60_000);

  it('refuses a bad config file with every problem listed and keeps the running one; a good one replaces the meters', async () => {
    const running = rig.gateway.config();
    writeFileSync(rig.configPath, rig.yaml('thresholds: { spikeRatio: 0.5 }\nschedules: { registers: "every hour" }'));
    const bad = await rig.send({ type: 'reload-config' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'GATEWAY_RELOAD_REFUSED' } });
    expect(bad.error!.message).toContain('the running one stays');
    expect(bad.error!.message).toContain('thresholds.spikeRatio');
    expect(bad.error!.message).toContain('schedules.registers');
    expect(rig.gateway.config()).toBe(running);

    const backlog = rig.gateway.status().backlog.count;
    writeFileSync(rig.configPath, rig.yaml().replace(/\n {2}- \{ id: CT2,[^\n]*/, ''));
    const good = await rig.send({ type: 'reload-config' });
    expect(good).toMatchObject({ ok: true, result: { meters: 1 } });
    expect(rig.gateway.config().meters.map((m) => m.id)).toEqual(['CT1']);
    expect(rig.gateway.status().backlog.count).toBeGreaterThanOrEqual(backlog);
    await rig.gateway.runCycle('registers');
    expect(rig.gateway.status().lastCycle).toMatchObject({ kind: 'registers', ok: 1, failed: 0 });
  }, 60_000);
});
