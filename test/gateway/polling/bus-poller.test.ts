import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPtyBus } from '../../../simulators/protocol/servers.js';
import { ScalerCache } from '../../../src/client/register-reader.js';
import { BusRegistry } from '../../../src/transport/bus.js';
import type { BusDefinition, MeterDefinition, MeterReadResult, MeterReadSuccess } from '../../../src/gateway/model.js';
import { createBusPoller, type SessionReport } from '../../../src/gateway/polling/bus-poller.js';
import { readJob, type ReadJobContext } from '../../../src/gateway/polling/read-job.js';
import { asKilo, definition, NOW, shiftedClock, simMeter } from './fleet.js';

const BACKOFF = { baseMs: 60_000, capMs: 600_000 };

function busDefinition(device: string): BusDefinition {
  return { id: 'bus-a', device, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1, responseTimeoutMs: 300, maxRetries: 1, interFrameGapMs: 5 };
}

describe('bus poller on a simulated RS485 bus (6 meters, 9600 baud)', () => {
  // Meter 2 is silent, meter 3 is configured with the wrong password, meter 5 corrupts every frame;
  // meter 6 counts in units of 10 Wh (scaler 1) so the Wh → kWh move of the decimal point is checked twice.
  const fleet = [1, 2, 3, 4, 5, 6].map((i) =>
    simMeter(i, { faults: i === 2 ? [{ kind: 'silent' }] : i === 5 ? [{ kind: 'corrupt', everyNth: 1 }] : [], scalerWh: i === 6 ? 1 : 0 }),
  );
  const { clock, advance } = shiftedClock();
  const sessions: SessionReport[] = [];
  let bus: Awaited<ReturnType<typeof startPtyBus>>;
  let poller: ReturnType<typeof createBusPoller>;
  let meters: MeterDefinition[];
  const ctx: ReadJobContext = { clock, scalers: new ScalerCache(), serialsChecked: new Set(), eventLogMarks: new Map(), models: { 'SIM-1P': { statusWord: true } } };

  beforeAll(async () => {
    bus = await startPtyBus({ meters: fleet, baud: 9600 });
    poller = createBusPoller({ bus: busDefinition(bus.path), backoff: BACKOFF }, { clock, locks: new BusRegistry(), onSession: (r) => sessions.push(r) });
    // Route order is not the order of the list: the cycle must follow the route.
    const route = [3, 1, 6, 2, 5, 4];
    meters = [1, 2, 3, 4, 5, 6].map((i) =>
      definition(i, { kind: 'bus', bus: 'bus-a', server: { logical: 1, physical: 16 + i, size: 4 } }, {
        routeOrder: route.indexOf(i) + 1,
        ...(i === 3 ? { authentication: { clientSap: 17, password: 'wrong-pw' } } : {}),
      }),
    );
  });
  afterAll(async () => {
    await poller?.close();
    await bus?.close();
  });

  const cycle = async (): Promise<MeterReadResult[]> => {
    sessions.length = 0;
    return poller.pollAll(meters, readJob(ctx));
  };
  const sessionOf = (id: string) => sessions.find((s) => s.meterId === id)!;

  it('reads the healthy meters exactly, gives each faulty one its code, and keeps route order', async () => {
    const results = await cycle();
    expect(results.map((r) => r.meterId)).toEqual(['CT003', 'CT001', 'CT006', 'CT002', 'CT005', 'CT004']);
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['METER_AUTH_FAILED', 'ok', 'ok', 'METER_NO_ANSWER', 'METER_CORRUPT', 'ok']);

    for (const r of results.filter((x): x is MeterReadSuccess => x.ok)) {
      const i = Number(r.meterId.slice(2));
      const truth = fleet[i - 1]!.truthAt(NOW);
      const s = truth.scaler;
      expect(r.registers).toEqual([
        { obis: '1.0.1.8.0.255', bcs: 'KT', value: asKilo(truth.registers.importTotal, s), unit: 'kWh', scaler: s },
        { obis: '1.0.1.8.1.255', bcs: 'BT', value: asKilo(truth.registers.T1, s), unit: 'kWh', scaler: s },
        { obis: '1.0.1.8.2.255', bcs: 'CD', value: asKilo(truth.registers.T2, s), unit: 'kWh', scaler: s },
        { obis: '1.0.1.8.3.255', bcs: 'TD', value: asKilo(truth.registers.T3, s), unit: 'kWh', scaler: s },
        { obis: '1.0.3.8.0.255', bcs: 'VC', value: asKilo(truth.registers.reactiveImport, s), unit: 'kvarh', scaler: s },
      ]);
      expect(r.partialErrors).toEqual([]);
      expect(r.serial).toBe(truth.serial);
      expect(r.statusWord).toBe(truth.status);
      expect(r.meterTime).toBe(truth.clock);
      expect(r.clockInvalid).toBe(false);
      // Measured against the midpoint of the exchange; the answer's own time is within the uncertainty.
      expect(r.clockUncertaintySeconds).toBeGreaterThanOrEqual(1);
      expect(Math.abs(r.clockOffsetSeconds! - (truth.clock - r.receivedAt) / 1000)).toBeLessThanOrEqual(r.clockUncertaintySeconds!);
    }
    // Meter 6: 10 Wh units, two decimals in kWh.
    const six = results.find((r) => r.meterId === 'CT006') as MeterReadSuccess;
    expect(six.registers[0]!.value).toMatch(/^\d+\.\d\d$/);

    const auth = results[0]!;
    expect(!auth.ok && auth).toMatchObject({ step: 'associate', retryable: false });
    const silent = results[3]!;
    expect(!silent.ok && silent).toMatchObject({ step: 'connect', retryable: true });
    expect(!silent.ok && silent.message).toMatch(/CT002/);
    // A full attempt at the silent meter: SNRM and its one re-poll.
    expect(sessionOf('CT002')).toMatchObject({ mode: 'normal', link: { framesSent: 2, framesReceived: 0 } });
  });

  it('backs off: a failed meter costs one short attempt once its wait is over, nothing while it waits', async () => {
    advance(BACKOFF.baseMs + 1);
    const second = await cycle();
    expect(second.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['METER_AUTH_FAILED', 'ok', 'ok', 'METER_NO_ANSWER', 'METER_CORRUPT', 'ok']);
    expect(sessionOf('CT002')).toMatchObject({ mode: 'probe', link: { framesSent: 1 } });
    expect(sessionOf('CT005').mode).toBe('probe');
    expect(sessionOf('CT001')).toMatchObject({ mode: 'normal', ok: true });
    // The serial is checked on the first read only.
    expect((second[1] as MeterReadSuccess).serial).toBeUndefined();
    expect(poller.backoffState('CT002')).toMatchObject({ failures: 2 });

    // The wait has doubled (2 × base): a cycle right away leaves the failed meters alone.
    const third = await cycle();
    for (const id of ['CT002', 'CT003', 'CT005']) expect(sessionOf(id)).toMatchObject({ mode: 'skip', link: { framesSent: 0 } });
    const silent = third.find((r) => r.meterId === 'CT002')!;
    expect(!silent.ok && silent).toMatchObject({ code: 'METER_NO_ANSWER', step: 'back-off' });
    expect(third.filter((r) => r.ok).map((r) => r.meterId)).toEqual(['CT001', 'CT006', 'CT004']);
  });

  it('refuses a meter that is not on its bus', async () => {
    const tcp = definition(9, { kind: 'tcp', host: '127.0.0.1', port: 1, profile: 'wrapper', serverWPort: 1, responseTimeoutMs: 100, maxRetries: 0 });
    await expect(poller.pollAll([tcp], readJob(ctx))).rejects.toMatchObject({ code: 'POLL_WRONG_BUS' });
  });
});
