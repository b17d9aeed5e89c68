import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../../src/shared/clock.js';
import { BILLING_SNAPSHOT_STATE_KEY } from '../../../src/gateway/service/billing-cycle.js';
import { waitFor } from '../forwarder/broker.js';
import { startRig, type ServiceRig } from './service-fixture.js';

/** The month-end snapshots through the whole service: simulated meters over TCP, a real broker. */
describe('billing snapshot cycle', () => {
  // The month-end night: 00:30 local on 1 November, moving with real time plus what the test adds.
  const MONTH_START = Date.parse('2026-11-01T00:00:00+07:00');
  const base = MONTH_START + 30 * 60_000 - Date.now();
  let offset = 0;
  const now = () => Date.now() + base + offset;
  const clock: Clock = { now, setTimeout: systemClock.setTimeout, clearTimeout: systemClock.clearTimeout };
  let rig: ServiceRig;
  const snapshotIds = () => [...rig.aggregator.stored.keys()].filter((id) => id.includes('|billing-snapshot|'));
  const idsOf = (meterId: string) => snapshotIds().filter((id) => id.includes(`|${meterId}|`));

  beforeAll(async () => {
    rig = await startRig({ meters: 2, now, deps: { clock } });
    await waitFor(() => rig.gateway.status().central.connected, 'the gateway connected');
  }, 30_000);

  afterAll(async () => {
    await rig?.close();
  });

  it('asks a meter that did not answer again at the next run, names it in the log, and does not read the others twice', async () => {
    const silent = rig.meters[1]!.faults.add({ kind: 'silent' });
    await rig.gateway.runCycle('billing');
    await waitFor(() => idsOf('CT1').length > 0 && rig.gateway.status().backlog.count === 0, "CT1's snapshot at central", 20_000);
    expect(idsOf('CT2')).toEqual([]);
    expect(rig.logs.find((l) => l.level === 40 && /meter CT2: billing snapshot not read \(METER_/.test(l.msg))).toBeDefined();
    const reads = rig.stores[0]!;
    const marks = () =>
      reads.db.prepare('SELECT meter_id, value FROM meter_state WHERE key = ? ORDER BY meter_id').all(BILLING_SNAPSHOT_STATE_KEY) as { meter_id: string; value: string }[];
    const monthStart = String(MONTH_START);
    expect(marks()).toEqual([{ meter_id: 'CT1', value: monthStart }]);
    const ct1 = idsOf('CT1');

    // An hour later, as the default schedule asks again (the failed meter's back-off has passed).
    rig.meters[1]!.faults.remove(silent);
    offset += 3_600_000;
    const lastSeq = () => (reads.db.prepare('SELECT last_seq FROM outbox_state WHERE id = 1').get() as { last_seq: number }).last_seq;
    const before = lastSeq();
    await rig.gateway.runCycle('billing');
    await waitFor(() => idsOf('CT2').length > 0 && rig.gateway.status().backlog.count === 0, "CT2's snapshot at central", 20_000);
    // Only CT2 was asked: the outbox grew by CT2's registers alone, CT1's reads are the same.
    expect(lastSeq() - before).toBe(idsOf('CT2').length);
    expect(idsOf('CT1')).toEqual(ct1);
    expect(marks()).toEqual([
      { meter_id: 'CT1', value: monthStart },
      { meter_id: 'CT2', value: monthStart },
    ]);

    // Everyone in: a third run reads nothing.
    await rig.gateway.runCycle('billing');
    expect(lastSeq() - before).toBe(idsOf('CT2').length);
  }, 60_000);
});
