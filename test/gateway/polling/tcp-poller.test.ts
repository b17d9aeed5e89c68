import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpMeterServer, type TcpMeterServer } from '../../../simulators/protocol/servers.js';
import { ScalerCache } from '../../../src/client/register-reader.js';
import type { MeterDefinition, MeterReadResult, MeterReadSuccess } from '../../../src/gateway/model.js';
import { readJob, type ReadJobContext } from '../../../src/gateway/polling/read-job.js';
import type { MeterJob } from '../../../src/gateway/polling/session.js';
import { createTcpPoller } from '../../../src/gateway/polling/tcp-poller.js';
import { asKilo, definition, NOW, SIM_REGISTERS, shiftedClock, simMeter, waitUntil } from './fleet.js';

describe('TCP poller against the simulator (wrapper)', () => {
  const fleet = Array.from({ length: 8 }, (_, i) => simMeter(i + 1));
  let server: TcpMeterServer;
  const { clock } = shiftedClock();
  const ctx = (): ReadJobContext => ({ clock, scalers: new ScalerCache(), serialsChecked: new Set(), eventLogMarks: new Map() });
  const tcpMeter = (i: number, overrides: Partial<MeterDefinition> = {}) =>
    definition(i, { kind: 'tcp', host: '127.0.0.1', port: server.port, profile: 'wrapper', serverWPort: i, responseTimeoutMs: 1000, maxRetries: 1 }, overrides);

  beforeAll(async () => {
    server = await startTcpMeterServer({ port: 0, wrapper: true, meters: fleet, baud: 4800 });
  });
  afterAll(async () => server?.close());

  it('reads in parallel up to maxParallel, never more, and returns route order', async () => {
    const limit = 3;
    const poller = createTcpPoller({ maxParallel: limit }, { clock });
    const inner = readJob(ctx());
    let active = 0;
    let peak = 0;
    let gated = 0;
    // Each of the first `limit` conversations waits until `limit` are under way: a poller that ran them one
    // by one times out here, one without a limit lets more in while they wait.
    const job: MeterJob<MeterReadResult> = async (client, meter) => {
      active++;
      peak = Math.max(peak, active);
      try {
        if (gated++ < limit) await waitUntil(() => active >= limit, 'parallel conversations', 3000);
        return await inner(client, meter);
      } finally {
        active--;
      }
    };
    const meters = fleet.map((_, k) => tcpMeter(k + 1, { routeOrder: 8 - k }));
    const results = await poller.pollAll(meters, job);
    expect(peak).toBe(limit);
    expect(results.map((r) => r.meterId)).toEqual(['CT008', 'CT007', 'CT006', 'CT005', 'CT004', 'CT003', 'CT002', 'CT001']);
    for (const r of results) {
      expect(r.ok).toBe(true);
      const truth = fleet[Number(r.meterId.slice(2)) - 1]!.truthAt(NOW);
      expect((r as MeterReadSuccess).registers.map((v) => v.value)).toEqual(
        [truth.registers.importTotal, truth.registers.T1, truth.registers.T2, truth.registers.T3, truth.registers.reactiveImport].map((v) => asKilo(v)),
      );
    }
  });

  it('reports a serial that does not match the config as a config problem, with no values', async () => {
    const poller = createTcpPoller({ maxParallel: 2 }, { clock });
    const [wrong] = await poller.pollAll([tcpMeter(1, { serial: 'SIM9999' })], readJob(ctx()));
    expect(wrong).toMatchObject({ ok: false, code: 'POLL_SERIAL_MISMATCH', retryable: false });
    expect(!wrong!.ok && wrong!.message).toMatch(/SIM0001.*SIM9999/);
  });

  it('keeps the other registers when one cannot be expressed in its configured unit', async () => {
    const poller = createTcpPoller({ maxParallel: 1 }, { clock });
    const registers = [...SIM_REGISTERS.slice(0, 4), { obis: '1.0.3.8.0.255', classId: 3, bcs: 'VC' as const, unit: 'kWh' as const }];
    const [r] = await poller.pollAll([tcpMeter(2, { registers })], readJob(ctx()));
    expect(r!.ok).toBe(true);
    const ok = r as MeterReadSuccess;
    expect(ok.registers.map((v) => v.bcs)).toEqual(['KT', 'BT', 'CD', 'TD']);
    expect(ok.partialErrors).toEqual([expect.objectContaining({ obis: '1.0.3.8.0.255', code: 'POLL_UNIT_MISMATCH' })]);
  });

  it('gives a connection refused its own failure without holding up the others', async () => {
    const poller = createTcpPoller({ maxParallel: 2 }, { clock });
    const dead = definition(50, { kind: 'tcp', host: '127.0.0.1', port: 1, profile: 'wrapper', serverWPort: 1, responseTimeoutMs: 300, maxRetries: 0 }, { routeOrder: 1 });
    const results = await poller.pollAll([dead, tcpMeter(3, { routeOrder: 2 })], readJob(ctx()));
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['METER_LINK_FAILED', 'ok']);
    expect(!results[0]!.ok && results[0]!.step).toBe('connect');
  });
});
