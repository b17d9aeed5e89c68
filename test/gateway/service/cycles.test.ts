import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../../src/shared/clock.js';
import type { Trigger } from '../../../src/gateway/polling/index.js';
import { waitFor } from '../forwarder/broker.js';
import { startRig, type ServiceRig } from './service-fixture.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The service's own cycles over real parts, on a gateway and meter time the test moves forward: the
 * load-profile catch-up when a meter comes back, the scheduled clock check, the outbox retention.
 */
describe('gateway service cycles on moved time', () => {
  // Mid-month (no billing-relevant reads), moving with real time plus what the test adds.
  const base = Date.UTC(2026, 2, 12, 3, 0, 0) - Date.now();
  let offset = 0;
  const now = () => Date.now() + base + offset;
  const clock: Clock = { now, setTimeout: systemClock.setTimeout, clearTimeout: systemClock.clearTimeout };
  // The cron trigger by hand: each schedule entry is fired by the test.
  const crons = new Map<string, () => void>();
  const trigger: Trigger = {
    every: (cron, fire) => {
      crons.set(cron, fire);
      return { stop: () => void crons.delete(cron) };
    },
  };
  let rig: ServiceRig;
  const lpTimes = (meterId: string) =>
    [...rig.aggregator.stored.keys()].filter((id) => id.includes(`|${meterId}|`) && id.includes('|load-profile|')).map((id) => Date.parse(id.split('|').at(-1)!));
  const drained = () => waitFor(() => rig.gateway.status().backlog.count === 0, 'the outbox drained', 20_000);

  beforeAll(async () => {
    rig = await startRig({ meters: 2, now, deps: { clock, trigger }, extraYaml: 'thresholds: { offlineAfterFailures: 1, offlineAfterHours: 1 }' });
    await waitFor(() => rig.gateway.status().central.connected, 'the gateway connected');
  }, 30_000);

  afterAll(async () => {
    await rig?.close();
  });

  it('catches up the load profile of a meter as soon as it answers again after an outage', async () => {
    await rig.gateway.runCycle('registers');
    await rig.gateway.runCycle('loadProfile');
    await drained();
    const markBefore = Math.max(...lpTimes('CT1'));
    const otherBefore = lpTimes('CT2').length;
    expect(otherBefore).toBeGreaterThan(0);

    // CT1 goes silent for 6 hours: offline.
    const silent = rig.meters[0]!.faults.add({ kind: 'silent' });
    offset += 3 * HOUR;
    await rig.gateway.runCycle('registers');
    expect(rig.gateway.status().offline.map((o) => o.meterId)).toEqual(['CT1']);
    offset += 3 * HOUR;
    rig.meters[0]!.faults.remove(silent);

    // Back: the register cycle sees it online and the catch-up of its profile starts without waiting for 01:15.
    await rig.gateway.runCycle('registers');
    expect(rig.gateway.status().meters.offline).toBe(0);
    await rig.gateway.catchUpIdle();
    await drained();
    const after = lpTimes('CT1').filter((t) => t > markBefore);
    // The six hours of the outage at the meter's 30-minute capture period (±1 for where the clock stands).
    expect(new Set(after).size).toBeGreaterThanOrEqual(11);
    expect(Math.max(...after)).toBeGreaterThan(markBefore + 5 * HOUR);
    // Only the meter that was away is read again.
    expect(lpTimes('CT2')).toHaveLength(otherBefore);
  }, 90_000);

  it('checks the meter clocks when the clockCheck schedule fires, and warns about a drifted one', async () => {
    const t = rig.meters[1]!.now();
    rig.meters[1]!.setClock(t + 150_000, t);
    const cron = rig.gateway.config().schedules.clockCheck;
    expect(crons.has(cron)).toBe(true);
    crons.get(cron)!();
    await waitFor(() => rig.gateway.status().lastCycle?.kind === 'clockCheck', 'the clock check', 20_000);
    const clocks = Object.fromEntries(rig.gateway.status().clocks!.map((c) => [c.meterId, c.offsetSeconds]));
    expect(Math.abs(clocks['CT1']!)).toBeLessThanOrEqual(2);
    expect(Math.abs(clocks['CT2']! - 150)).toBeLessThanOrEqual(2);
    expect(rig.logs.filter((l) => l.level === 40 && /clock is off/.test(l.msg)).map((l) => l.msg)).toEqual([expect.stringContaining('meter CT2 clock is off by 15')]);
    // Checked, not set: the meter is still off (setting is central's clock-sync).
    expect(rig.meters[1]!.clockAt(rig.meters[1]!.now()) - rig.meters[1]!.now()).toBeGreaterThan(140_000);
  }, 60_000);

  it('evicts reads unsent for longer than retention.maxAgeDays and tells central which seqs are gone', async () => {
    await rig.aggregator.offline();
    await rig.gateway.runCycle('registers');
    const waiting = rig.gateway.status().backlog.count;
    expect(waiting).toBeGreaterThanOrEqual(4);
    offset += 91 * DAY;
    crons.get(rig.gateway.config().schedules.retention)!();
    await waitFor(() => rig.logs.some((l) => l.msg === 'outbox retention done'), 'the retention run', 20_000);
    expect(rig.logs.find((l) => /outbox retention evicted/.test(l.msg))?.msg).toMatch(/evicted \d+ unsent reads item/);

    await rig.aggregator.connect();
    await waitFor(() => rig.aggregator.arrivals.some((a) => a.stream === 'events' && a.ids.some((id) => id.endsWith('|outbox-pruned'))), 'outbox-pruned at central', 20_000);
    // Nothing of the evicted reads ever arrived.
    expect(rig.gateway.status().backlog.count).toBeLessThan(waiting);
  }, 60_000);
});

describe('shutdown during a long load-profile cycle', () => {
  it('stops between two rounds instead of reading every meter first; the rest keep their mark', async () => {
    const crons = new Map<string, () => void>();
    const trigger: Trigger = { every: (cron, fire) => (crons.set(cron, fire), { stop: () => void crons.delete(cron) }) };
    // One TCP meter per round; the first read of a meter's profile is its whole 40 days.
    const rig = await startRig({ meters: 2, deps: { trigger }, extraYaml: 'tcp: { maxParallel: 1 }' });
    crons.get(rig.gateway.config().schedules.loadProfile)!();
    await rig.close();
    const stopped = rig.logs.find((l) => l.msg.startsWith('load profile stopped for shutdown')) as { notReached?: number; meters?: number } | undefined;
    expect(stopped).toMatchObject({ meters: 1, notReached: 1 });
  }, 60_000);
});
