import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, loadPrivateKey } from '../../../src/wire/index.js';
import { waitFor } from '../forwarder/broker.js';
import { startRig, type ServiceRig } from './service-fixture.js';

/** Commands from central through the whole service: verified by the forwarder, executed by the gateway. */
describe('gateway service commands', () => {
  let rig: ServiceRig;
  /** Meter clock minus true time, ms. */
  const skew = (i: number) => rig.meters[i]!.clockAt(rig.meters[i]!.now()) - rig.meters[i]!.now();

  beforeAll(async () => {
    rig = await startRig({ meters: 2, extraYaml: 'clockSync: { maxAdjustSeconds: 120, clientSap: 1 }' });
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
