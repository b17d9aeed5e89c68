import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/database.js';
import { Outbox } from '../../../src/store/outbox.js';
import { runRetention } from '../../../src/gateway/service/retention.js';
import { waitFor } from '../forwarder/broker.js';
import { tempDir } from '../../store/temp-dir.js';
import { startRig, type ServiceRig } from './service-fixture.js';

describe('a full disk under the gateway service', () => {
  let rig: ServiceRig;
  /** How far the meters' clocks are ahead: moved so that a later poll's reads are new reads. */
  let meterClockAhead = 0;

  beforeAll(async () => {
    rig = await startRig({ meters: 2, now: () => Date.now() + meterClockAhead });
    await waitFor(() => rig.gateway.status().central.connected, 'the gateway connected');
    await rig.aggregator.offline();
  }, 30_000);

  afterAll(async () => {
    await rig?.close();
  });

  it('reports STORE_DISK_FULL, keeps the reads already stored, and forwards them once space is back', async () => {
    await rig.gateway.runCycle('registers');
    const stored = rig.gateway.status().backlog.count;
    expect(stored).toBeGreaterThanOrEqual(4);
    const reads = rig.stores[0]!;
    const pages = reads.db.pragma('page_count', { simple: true }) as number;
    reads.db.pragma(`max_page_count = ${pages}`);

    // Weeks of load profile do not fit: refused, logged and shown, nothing lost.
    await rig.gateway.runCycle('loadProfile');
    expect(rig.gateway.status().store).toMatchObject({ code: 'STORE_DISK_FULL' });
    expect(rig.logs.some((l) => l.level >= 50 && /STORE_DISK_FULL|disk/i.test(JSON.stringify(l)))).toBe(true);
    expect(rig.gateway.status().backlog.count).toBe(stored);

    // Registers cycles (each a new hour on the meters' clocks) until neither their reads nor the detection
    // state fit: each is refused and still ends, logged and shown; what is stored stays.
    const readsStored = () => (reads.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
    const detectionRefused = () => rig.logs.some((l) => l.level >= 50 && /detection state/.test(JSON.stringify(l)));
    let readsRefused = false;
    for (let hour = 1; hour <= 300 && !(readsRefused && detectionRefused()); hour++) {
      meterClockAhead = hour * 3_600_000;
      const before = readsStored();
      await expect(rig.gateway.runCycle('registers')).resolves.toBeUndefined();
      if (rig.gateway.status().store !== null) readsRefused = true;
      if (readsRefused) expect(readsStored()).toBe(before);
    }
    expect(detectionRefused()).toBe(true);
    expect(rig.gateway.status().store).toMatchObject({ code: 'STORE_DISK_FULL' });
    const registerReads = (reads.db.prepare("SELECT count(*) AS n FROM outbox WHERE read_id LIKE '%|register|%'").get() as { n: number }).n;

    reads.db.pragma('max_page_count = 1073741823');
    await rig.aggregator.connect();
    await waitFor(() => rig.gateway.status().backlog.count === 0, 'the stored reads acked', 20_000);
    expect([...rig.aggregator.stored.keys()].filter((id) => id.includes('|register|'))).toHaveLength(registerReads);

    // With space back, the load profile is caught up and its entries travel as load-profile reads.
    await rig.gateway.runCycle('loadProfile');
    expect(rig.gateway.status().store).toBeNull();
    await waitFor(() => [...rig.aggregator.stored.keys()].some((id) => id.includes('|load-profile|')), 'load-profile reads at central', 20_000);
    await waitFor(() => rig.gateway.status().backlog.count === 0, 'acks', 20_000);
    const lp = () => [...rig.aggregator.stored.keys()].filter((id) => id.includes('|load-profile|')).length;
    const firstCount = lp();
    expect(firstCount).toBeGreaterThan(100);
    // Caught up from the last stored entry: a second run right after brings nothing already sent.
    await rig.gateway.runCycle('loadProfile');
    await waitFor(() => rig.gateway.status().backlog.count === 0, 'acks', 20_000);
    // At most one new capture period (if the clock just crossed one), never the weeks again.
    expect(lp() - firstCount).toBeLessThan(20);
  }, 90_000);
});

describe('outbox retention', () => {
  const tmp = tempDir('chiso-gw-retention-');
  afterAll(() => tmp.cleanup());

  it('evicts old non-billing items only, and reports each evicted run for central', () => {
    const store = openStore({ path: tmp.file('reads.db') });
    const outbox = new Outbox(store);
    const day = 86_400_000;
    const now = Date.UTC(2026, 5, 1);
    const entry = (id: string, billing: boolean, age: number) => ({ readId: id, kind: 'read' as const, billing, payload: '{}', createdAt: now - age * day });
    outbox.append([entry('a', false, 100), entry('b', false, 95), entry('c', true, 95), entry('d', false, 93), entry('e', false, 1)]);
    const run = runRetention([{ stream: 'reads', outbox }], { maxBytes: 1 << 30, maxAgeDays: 90, forgetAckedAfterDays: 45 }, now);
    expect(run.evicted).toEqual([{ stream: 'reads', count: 3, bytes: expect.any(Number), stillOverLimit: false }]);
    expect(run.events).toEqual([
      expect.objectContaining({ type: 'outbox-pruned', stream: 'reads', epoch: outbox.streamId, seqFrom: 1, seqTo: 2 }),
      expect.objectContaining({ type: 'outbox-pruned', stream: 'reads', epoch: outbox.streamId, seqFrom: 4, seqTo: 4 }),
    ]);
    expect(outbox.status('c')).toMatchObject({ state: 'pending' });
    expect(outbox.status('e')).toMatchObject({ state: 'pending' });
    store.close();
  });
});
