import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedMeter } from '../../../simulators/meter/meter-model.js';
import type { Fault } from '../../../simulators/meter/faults.js';
import { startTcpMeterServer, type TcpMeterServer } from '../../../simulators/protocol/servers.js';
import type { DlmsClient } from '../../../src/client/dlms-client.js';
import { MeterError } from '../../../src/client/errors.js';
import { ScalerCache } from '../../../src/client/register-reader.js';
import { detectAnomalies, DEFAULT_THRESHOLDS, emptyAnomalyState, type AnomalyEvent, type AnomalyState } from '../../../src/gateway/detection/index.js';
import type { MeterDefinition, MeterReadResult, MeterReadSuccess } from '../../../src/gateway/model.js';
import { readJob, type ReadJobContext } from '../../../src/gateway/polling/read-job.js';
import type { MeterJob } from '../../../src/gateway/polling/session.js';
import { createTcpPoller } from '../../../src/gateway/polling/tcp-poller.js';
import { systemClock, type Clock } from '../../../src/shared/clock.js';
import { definition, NOW, PASSWORD, shiftedClock } from './fleet.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EVENT_LOG = '0.0.99.98.0.255';

/** Daily polls at NOW, NOW + 1 day…; the reverse flow lies between the first two, the magnetic field after the second. */
const FLOW_FROM = NOW + 4 * HOUR;
const FLOW_UNTIL = NOW + 9 * HOUR;
const FIELD_FROM = NOW + DAY + 2 * HOUR;

describe('event log read with the registers (simulated meters over TCP)', () => {
  // Meters and gateway share one time the test moves, so that a poll happens at a chosen instant.
  let now = NOW;
  const gatewayClock: Clock = { now: () => now, setTimeout: systemClock.setTimeout, clearTimeout: systemClock.clearTimeout };
  const meterAt = (i: number, faults: Fault[]) =>
    new SimulatedMeter({
      serial: `SIM${String(i).padStart(4, '0')}`,
      seed: 300 + i,
      profile: { kind: 'household' },
      installedAt: Date.UTC(2024, 0, 10),
      initialIndexWh: 1_000_000 * i,
      password: PASSWORD,
      timeSource: () => now,
      faults,
    });
  const fleet = [
    meterAt(1, [
      { kind: 'reverse-flow', from: FLOW_FROM, until: FLOW_UNTIL },
      { kind: 'tamper', tamper: 'magnetic', from: FIELD_FROM },
    ]),
    meterAt(2, []),
  ];
  let server: TcpMeterServer;
  // Timeouts run on real time (the meters' time stands still between polls).
  const { clock: linkClock } = shiftedClock();
  const tcpMeter = (i: number, overrides: Partial<MeterDefinition> = {}): MeterDefinition =>
    definition(i, { kind: 'tcp', host: '127.0.0.1', port: server.port, profile: 'wrapper', serverWPort: i, responseTimeoutMs: 2000, maxRetries: 1 }, overrides);
  const newContext = (features: { eventLog?: boolean } = { eventLog: true }): ReadJobContext => ({
    clock: gatewayClock,
    scalers: new ScalerCache(),
    serialsChecked: new Set(),
    eventLogMarks: new Map(),
    models: { 'SIM-1P': { statusWord: true, ...features } },
  });
  const poll = async (i: number, job: MeterJob<MeterReadResult>): Promise<MeterReadSuccess> => {
    const [r] = await createTcpPoller({ maxParallel: 1 }, { clock: linkClock }).pollAll([tcpMeter(i)], job);
    expect(r).toMatchObject({ ok: true });
    return r as MeterReadSuccess;
  };
  /** The attributes a job asked for (GET, GET-with-list), by OBIS, and the failures the test injects. */
  const watched = (job: MeterJob<MeterReadResult>, options: { refuseSelective?: boolean; failEventLog?: boolean } = {}) => {
    const asked: string[] = [];
    const wrapped: MeterJob<MeterReadResult> = (client, meter) =>
      job(
        new Proxy(client, {
          get(target, prop, receiver) {
            if (prop === 'getList') {
              return (items: Parameters<DlmsClient['getList']>[0]) => {
                asked.push(...items.map((it) => String(it.attribute.instanceId)));
                return target.getList(items);
              };
            }
            if (prop !== 'get') return Reflect.get(target, prop, receiver) as unknown;
            return (attribute: Parameters<DlmsClient['get']>[0], access?: Parameters<DlmsClient['get']>[1]) => {
              asked.push(String(attribute.instanceId));
              const fail = (code: 'METER_ACCESS_DENIED' | 'METER_NO_ANSWER') =>
                Promise.reject(new MeterError(code, `meter ${meter.id}: refused by the test`, { context: { meter: meter.id, step: 'get' } }));
              if (attribute.instanceId === EVENT_LOG && options.failEventLog) return fail('METER_NO_ANSWER');
              if (access !== undefined && options.refuseSelective) return fail('METER_ACCESS_DENIED');
              return target.get(attribute, access);
            };
          },
        }),
        meter,
      );
    return { asked, job: wrapped };
  };

  beforeAll(async () => {
    server = await startTcpMeterServer({ port: 0, wrapper: true, meters: fleet });
  });
  afterAll(async () => server?.close());

  it('brings a reverse flow that came and went between two polls with the second poll, and detection raises it once', async () => {
    const ctx = newContext();
    const job = readJob(ctx);
    const meter = tcpMeter(1);
    let state: AnomalyState = emptyAnomalyState();
    const detect = (read: MeterReadSuccess): AnomalyEvent[] => {
      const r = detectAnomalies({ meter, read, history: [], state, thresholds: DEFAULT_THRESHOLDS });
      state = r.state;
      return r.events.filter((e) => e.code === 'meter-event');
    };

    now = NOW;
    const first = await poll(1, job);
    expect(first).toMatchObject({ statusWord: 0, events: [], partialErrors: [] });
    expect(detect(first)).toEqual([]);

    now = NOW + DAY;
    const second = await poll(1, job);
    // The status word has nothing to say any more: the flow ended hours ago.
    expect(second.statusWord).toBe(0);
    expect(second.events).toEqual([
      { at: FLOW_FROM, code: 200 },
      { at: FLOW_UNTIL, code: 201 },
    ]);
    expect(second.partialErrors).toEqual([]);
    expect(second.registers.map((r) => r.bcs)).toEqual(['KT', 'BT', 'CD', 'TD', 'VC']);
    const raised = detect(second);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({
      state: 'raised',
      code: 'meter-event',
      severity: 'critical', // an import-only customer
      obis: EVENT_LOG,
      evidence: { event: 'reverse-flow', code: '200', meterTime: new Date(FLOW_FROM).toISOString(), source: 'event log' },
    });

    // Only what the log gained since: the magnetic field that began after the second poll.
    now = FIELD_FROM + HOUR;
    const third = await poll(1, job);
    expect(third.events).toEqual([{ at: FIELD_FROM, code: 42 }]);
    // Still set in the status word: the status word's anomaly, not a second one from the log.
    expect(detect(third)).toEqual([expect.objectContaining({ state: 'raised', evidence: expect.objectContaining({ event: 'magnetic-tamper', bit: '1' }) })]);
    now = FIELD_FROM + 2 * HOUR;
    const fourth = await poll(1, job);
    expect(fourth.events).toEqual([]);
    expect(detect(fourth)).toEqual([]);

    // After a restart the marks are gone: the log is read back two days, and what is still open is not raised again.
    const afterRestart = await poll(1, readJob(newContext()));
    expect(afterRestart.events).toEqual([
      { at: FLOW_FROM, code: 200 },
      { at: FLOW_UNTIL, code: 201 },
      { at: FIELD_FROM, code: 42 },
    ]);
    expect(detect(afterRestart)).toEqual([]);
    expect(Object.keys(state.open).sort()).toEqual(['meter-event-log:reverse-flow', 'meter-event:magnetic-tamper']);
  });

  it('keeps one mark per meter: a meter with nothing logged starts from its own lookback', async () => {
    const ctx = newContext();
    now = NOW + DAY;
    const one = await poll(1, readJob(ctx));
    const two = await poll(2, readJob(ctx));
    expect(one.events?.map((e) => e.code)).toEqual([200, 201]);
    expect(two.events).toEqual([]);
    expect(ctx.eventLogMarks.get('CT001')).toMatchObject({ at: FLOW_UNTIL, codes: [201] });
    expect(ctx.eventLogMarks.get('CT002')).toMatchObject({ at: NOW + DAY - 2 * DAY, codes: [] });
  });

  it('reads the event log in the same association only on models that have it, its columns once', async () => {
    now = NOW + DAY;
    const without = watched(readJob(newContext({})));
    const r = await poll(1, without.job);
    expect(r.events).toBeUndefined();
    expect(without.asked).not.toContain(EVENT_LOG);

    const withLog = watched(readJob(newContext()));
    await poll(1, withLog.job);
    // capture_objects, capture_period, then the buffer by range; later polls only the buffer.
    expect(withLog.asked.filter((o) => o === EVENT_LOG)).toHaveLength(3);
    withLog.asked.length = 0;
    now += HOUR;
    await poll(1, withLog.job);
    expect(withLog.asked.filter((o) => o === EVENT_LOG)).toHaveLength(1);
  });

  it('falls back to the whole log, filtered, when the meter refuses selective access', async () => {
    now = NOW + DAY;
    const refusing = watched(readJob(newContext()), { refuseSelective: true });
    const r = await poll(1, refusing.job);
    expect(r.events).toEqual([
      { at: FLOW_FROM, code: 200 },
      { at: FLOW_UNTIL, code: 201 },
    ]);
    expect(r.partialErrors).toEqual([]);
  });

  it('reports a failed event-log read as a partial error: the registers are kept, the log is asked again next time', async () => {
    now = NOW + DAY;
    const ctx = newContext();
    const failing = watched(readJob(ctx), { failEventLog: true });
    const r = await poll(1, failing.job);
    expect(r.ok).toBe(true);
    expect(r.registers).toHaveLength(5);
    expect(r.events).toBeUndefined();
    expect(r.partialErrors).toEqual([expect.objectContaining({ obis: EVENT_LOG, code: 'METER_NO_ANSWER', message: expect.stringMatching(/CT001: event log not read/) })]);
    // Nothing was taken: the next poll still brings the flow; and a failure after the columns were known
    // has them read again.
    const next = watched(readJob(ctx));
    expect((await poll(1, next.job)).events?.map((e) => e.code)).toEqual([200, 201]);
    const failingAgain = watched(readJob(ctx), { failEventLog: true });
    expect((await poll(1, failingAgain.job)).events).toBeUndefined();
    const afterFailure = watched(readJob(ctx));
    now += HOUR;
    expect((await poll(1, afterFailure.job)).events).toEqual([]);
    expect(afterFailure.asked.filter((o) => o === EVENT_LOG)).toHaveLength(3);
  });
});
