import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpMeterServer, type TcpMeterServer } from '../../../simulators/protocol/servers.js';
import { ScalerCache } from '../../../src/client/register-reader.js';
import type { MeterReadResult } from '../../../src/gateway/model.js';
import { readJob } from '../../../src/gateway/polling/read-job.js';
import { createSchedule, type Trigger } from '../../../src/gateway/polling/schedule.js';
import { createTcpPoller } from '../../../src/gateway/polling/tcp-poller.js';
import { definition, shiftedClock, simMeter } from './fleet.js';

/** A trigger the test pulls by hand: what node-cron would do at the scheduled minute. */
function fakeTrigger() {
  const fires = new Map<string, () => void>();
  const trigger: Trigger = {
    every(expression, fire) {
      fires.set(expression, fire);
      return { stop: () => void fires.delete(expression) };
    },
  };
  return { trigger, pull: (expression: string) => fires.get(expression)!(), has: (expression: string) => fires.has(expression) };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('poll schedule', () => {
  let server: TcpMeterServer;
  const fleet = [simMeter(1), simMeter(2)];
  beforeAll(async () => {
    server = await startTcpMeterServer({ port: 0, wrapper: true, meters: fleet });
  });
  afterAll(async () => server?.close());

  it('fires a real register cycle from the trigger', async () => {
    const { clock } = shiftedClock();
    const poller = createTcpPoller({ maxParallel: 2 }, { clock });
    const meters = [1, 2].map((i) => definition(i, { kind: 'tcp', host: '127.0.0.1', port: server.port, profile: 'wrapper', serverWPort: i, responseTimeoutMs: 1000, maxRetries: 1 }));
    const job = readJob({ clock, scalers: new ScalerCache(), serialsChecked: new Set(), eventLogMarks: new Map() });
    const cycles: MeterReadResult[][] = [];
    const done = deferred();
    const { trigger, pull } = fakeTrigger();
    const schedule = createSchedule(
      {
        registers: {
          cron: '*/15 * * * *',
          run: async () => {
            cycles.push(await poller.pollAll(meters, job));
            done.resolve();
          },
        },
      },
      { trigger, clock },
    );
    schedule.start();
    pull('*/15 * * * *');
    await done.promise;
    await schedule.close();
    expect(cycles).toHaveLength(1);
    expect(cycles[0]!.map((r) => r.ok)).toEqual([true, true]);
    expect(schedule.stats('registers')).toMatchObject({ runs: 1, skipped: 0, failed: 0, running: false });
  });

  it('skips and counts a fire while the previous cycle of the same kind still runs; other kinds are independent', async () => {
    const { trigger, pull, has } = fakeTrigger();
    const gate = deferred();
    let started = 0;
    const schedule = createSchedule(
      {
        loadProfile: { cron: '5 * * * *', run: () => (started++, gate.promise) },
        clockCheck: { cron: '0 3 * * *', run: async () => undefined },
      },
      { trigger },
    );
    schedule.start();
    pull('5 * * * *');
    pull('5 * * * *');
    pull('5 * * * *');
    expect(await schedule.fire('clockCheck')).toBe('ran');
    expect(started).toBe(1);
    expect(schedule.stats('loadProfile')).toMatchObject({ runs: 1, skipped: 2, running: true });
    gate.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(schedule.stats('loadProfile').running).toBe(false);
    expect(await schedule.fire('loadProfile')).toBe('ran');
    expect(started).toBe(2);
    await schedule.close();
    expect(has('5 * * * *')).toBe(false);
  });

  it('counts a failed cycle and keeps firing the next ones', async () => {
    const { trigger } = fakeTrigger();
    let n = 0;
    const schedule = createSchedule({ billing: { cron: '0 1 1 * *', run: async () => { if (n++ === 0) throw new Error('bus unplugged'); } } }, { trigger });
    expect(await schedule.fire('billing')).toBe('failed');
    expect(await schedule.fire('billing')).toBe('ran');
    expect(schedule.stats('billing')).toMatchObject({ runs: 2, failed: 1, lastError: 'bus unplugged' });
    await schedule.close();
  });

  it('refuses a cron expression that can never fire', () => {
    expect(() => createSchedule({ registers: { cron: 'every minute', run: async () => undefined } }, { trigger: fakeTrigger().trigger })).toThrow(
      expect.objectContaining({ code: 'POLL_BAD_CONFIG' }),
    );
  });
});
