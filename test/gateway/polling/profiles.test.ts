import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpMeterServer, type TcpMeterServer } from '../../../simulators/protocol/servers.js';
import type { DlmsClient } from '../../../src/client/dlms-client.js';
import { MeterError } from '../../../src/client/errors.js';
import { ScalerCache } from '../../../src/client/register-reader.js';
import type { MeterDefinition } from '../../../src/gateway/model.js';
import { billingJob, type BillingSnapshotRead } from '../../../src/gateway/polling/billing-job.js';
import { loadProfileJob, type LoadProfileRead } from '../../../src/gateway/polling/load-profile-job.js';
import { lastMonthEnd } from '../../../src/gateway/polling/local-time.js';
import type { MeterJob } from '../../../src/gateway/polling/session.js';
import { createTcpPoller } from '../../../src/gateway/polling/tcp-poller.js';
import { asKilo, definition, NOW, shiftedClock, simMeter } from './fleet.js';

const DAY = 86_400_000;

describe('billing snapshot and load profile jobs against the simulator', () => {
  const fleet = [simMeter(1), simMeter(2, { scalerWh: 1 })];
  let server: TcpMeterServer;
  const { clock } = shiftedClock();
  const meterDef = (i: number): MeterDefinition =>
    definition(i, { kind: 'tcp', host: '127.0.0.1', port: server.port, profile: 'wrapper', serverWPort: i, responseTimeoutMs: 2000, maxRetries: 1 });
  const poll = async <T extends { ok: boolean }>(i: number, job: MeterJob<T>) => (await createTcpPoller({ maxParallel: 1 }, { clock }).pollAll([meterDef(i)], job))[0]!;

  beforeAll(async () => {
    server = await startTcpMeterServer({ port: 0, wrapper: true, meters: fleet });
  });
  afterAll(async () => server?.close());

  const expectedSnapshot = (i: number, monthStart: number) => {
    const meter = fleet[i - 1]!;
    const r = meter.billingSnapshotAt(monthStart).registers;
    const s = meter.scaler;
    return [
      { obis: '1.0.1.8.0.255', bcs: 'KT', value: asKilo(r.importTotal, s), unit: 'kWh', scaler: s },
      { obis: '1.0.1.8.1.255', bcs: 'BT', value: asKilo(r.T1, s), unit: 'kWh', scaler: s },
      { obis: '1.0.1.8.2.255', bcs: 'CD', value: asKilo(r.T2, s), unit: 'kWh', scaler: s },
      { obis: '1.0.1.8.3.255', bcs: 'TD', value: asKilo(r.T3, s), unit: 'kWh', scaler: s },
      { obis: '1.0.3.8.0.255', bcs: 'VC', value: asKilo(r.reactiveImport, s), unit: 'kvarh', scaler: s },
    ];
  };

  it('reads the snapshot at 00:00 on the 1st by a range of dates, equal to the meter’s own', async () => {
    const monthStart = lastMonthEnd(NOW);
    expect(new Date(monthStart).toISOString()).toBe('2025-05-31T17:00:00.000Z'); // 1 June 00:00 in Vietnam
    for (const i of [1, 2]) {
      const r = (await poll(i, billingJob({ clock, scalers: new ScalerCache(), monthStart }))) as BillingSnapshotRead;
      expect(r.ok).toBe(true);
      expect(r).toMatchObject({ monthStart, meterTime: monthStart, selectiveAccess: true, clockInvalid: false, partialErrors: [] });
      expect(r.registers).toEqual(expectedSnapshot(i, monthStart));
    }
    // An older month is another entry, with other values.
    const may = Date.UTC(2025, 3, 30, 17);
    const older = (await poll(1, billingJob({ clock, scalers: new ScalerCache(), monthStart: may }))) as BillingSnapshotRead;
    expect(older.registers).toEqual(expectedSnapshot(1, may));
    expect(older.registers[0]!.value).not.toBe(expectedSnapshot(1, monthStart)[0]!.value);
  });

  it('falls back to the whole buffer when the meter refuses selective access', async () => {
    const monthStart = lastMonthEnd(NOW);
    const job = billingJob({ clock, scalers: new ScalerCache(), monthStart });
    let refused = 0;
    // The simulator grants selective access; this meter model does not.
    const refusing: MeterJob<Awaited<ReturnType<typeof job>>> = (client, meter) => {
      const proxy = new Proxy(client, {
        get(target, prop, receiver) {
          if (prop !== 'get') return Reflect.get(target, prop, receiver) as unknown;
          return (attribute: Parameters<DlmsClient['get']>[0], access?: Parameters<DlmsClient['get']>[1]) => {
            if (access !== undefined) {
              refused++;
              return Promise.reject(new MeterError('METER_ACCESS_DENIED', `meter ${meter.id}: scope-of-access-violated`, { context: { meter: meter.id, step: 'get' } }));
            }
            return target.get(attribute);
          };
        },
      });
      return job(proxy, meter);
    };
    const r = (await poll(1, refusing)) as BillingSnapshotRead;
    expect(refused).toBe(1);
    expect(r).toMatchObject({ ok: true, selectiveAccess: false, meterTime: monthStart });
    expect(r.registers).toEqual(expectedSnapshot(1, monthStart));
  });

  it('reports a month the meter has no snapshot for', async () => {
    const r = await poll(1, billingJob({ clock, scalers: new ScalerCache(), monthStart: Date.UTC(2023, 0, 31, 17) }));
    expect(r).toMatchObject({ ok: false, code: 'POLL_NO_SNAPSHOT' });
  });

  it('catches up 3 days of load profile in day-sized requests, every interval once, then nothing new', async () => {
    const since = NOW - 3 * DAY; // an entry's own time: it was received last time and must not come again
    const scalers = new ScalerCache();
    const r = (await poll(1, loadProfileJob({ clock: { ...clock, now: () => NOW }, scalers, since }))) as LoadProfileRead;
    expect(r.ok).toBe(true);
    const rows = fleet[0]!.loadProfileRows(NOW).filter((x) => x.stamp > since);
    expect(rows).toHaveLength(3 * 48);
    expect(r.requests).toBe(3);
    expect(r.complete).toBe(true);
    expect(r.entries.map((e) => e.meterTime)).toEqual(rows.map((x) => x.stamp));
    expect(r.entries.map((e) => e.values.find((v) => v.bcs === 'KT')!.value)).toEqual(rows.map((x) => asKilo(x.importTotal)));
    // Export is not in the register map: reported in the meter's own unit, not billed.
    expect(r.entries[0]!.values.find((v) => v.obis === '1.0.2.8.0.255')).toEqual({ obis: '1.0.2.8.0.255', bcs: null, value: String(rows[0]!.exportTotal), unit: 'Wh', scaler: 0 });
    expect(r.entries.map((e) => e.status)).toEqual(rows.map((x) => x.status));
    expect(r.lastEntryAt).toBe(NOW);

    const again = (await poll(1, loadProfileJob({ clock: { ...clock, now: () => NOW }, scalers, since: r.lastEntryAt }))) as LoadProfileRead;
    expect(again).toMatchObject({ ok: true, entries: [], lastEntryAt: NOW });
  });

  it('bounds the catch-up of a meter never read before', async () => {
    const r = (await poll(1, loadProfileJob({ clock: { ...clock, now: () => NOW }, scalers: new ScalerCache(), since: undefined, maxCatchUpMs: 12 * 3_600_000, chunkMs: 6 * 3_600_000 }))) as LoadProfileRead;
    expect(r.requests).toBe(2);
    expect(r.entries).toHaveLength(24);
    expect(r.entries[0]!.meterTime).toBe(NOW - 11.5 * 3_600_000);
  });

  it('resolves a meter’s null-data compression of the buffer (repeated values and clock steps)', async () => {
    const since = NOW - DAY;
    const job = loadProfileJob({ clock: { ...clock, now: () => NOW }, scalers: new ScalerCache(), since });
    let compressedCells = 0;
    // IEC 62056-6-2: a value equal to the previous entry's, and a clock that is previous + capture_period,
    // may be sent as null-data. The simulator never compresses; this meter model does.
    const compressing: MeterJob<Awaited<ReturnType<typeof job>>> = (client, meter) =>
      job(
        new Proxy(client, {
          get(target, prop, receiver) {
            if (prop !== 'get') return Reflect.get(target, prop, receiver) as unknown;
            return async (attribute: Parameters<DlmsClient['get']>[0], access?: Parameters<DlmsClient['get']>[1]) => {
              const data = await target.get(attribute, access);
              if (attribute.attributeId !== 2 || data.type !== 'array') return data;
              const rows = data.value.map((r) => (r.type === 'structure' ? r.value : []));
              const out = rows.map((row, k) =>
                k === 0
                  ? row
                  : row.map((cell, col) => {
                      const prev = rows[k - 1]![col]!;
                      if (col === 0 || JSON.stringify(cell, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) === JSON.stringify(prev, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))) {
                        compressedCells++;
                        return { type: 'null-data' as const };
                      }
                      return cell;
                    }),
              );
              return { type: 'array' as const, value: out.map((value) => ({ type: 'structure' as const, value })) };
            };
          },
        }),
        meter,
      );
    const r = (await poll(1, compressing)) as LoadProfileRead;
    const rows = fleet[0]!.loadProfileRows(NOW).filter((x) => x.stamp > since);
    expect(compressedCells).toBeGreaterThan(rows.length); // every clock after the first, and repeated values
    expect(r.entries.map((e) => e.meterTime)).toEqual(rows.map((x) => x.stamp));
    expect(r.entries.map((e) => e.values.find((v) => v.bcs === 'KT')!.value)).toEqual(rows.map((x) => asKilo(x.importTotal)));
    expect(r.entries.map((e) => e.status)).toEqual(rows.map((x) => x.status));
  });
});
