import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DlmsClient } from '../../../src/client/dlms-client.js';
import { MeterError } from '../../../src/client/errors.js';
import { createHdlcLink } from '../../../src/client/hdlc-link.js';
import type { ApduLink } from '../../../src/client/link.js';
import { ScalerCache, readAttributes, type Reading } from '../../../src/client/register-reader.js';
import { createWrapperLink } from '../../../src/client/wrapper-link.js';
import { attributeRef } from '../../../src/dlms/cosem/classes.js';
import { SimulatedClock } from '../../../src/shared/simulated-clock.js';
import { createSerialTransport } from '../../../src/transport/serial.js';
import { createTcpTransport } from '../../../src/transport/tcp.js';
import { startFleet, type FleetMeterInfo, type RunningFleet } from '../../../simulators/fleet/fleet.js';
import { formatKwh } from '../../../simulators/fleet/kwh.js';
import { fixedClock, smallConfig } from './helpers.js';

const NOW = Date.parse('2025-06-25T10:30:00+07:00');

function client(link: ApduLink, password: string): DlmsClient {
  return new DlmsClient({ link, meter: link.description, authentication: { mechanism: 'lls', password }, responseTimeoutMs: 600, retries: 1 });
}

/** Reads every register the meter model lists; values in kWh as the truth gives them. */
async function readModelRegisters(c: DlmsClient, m: FleetMeterInfo): Promise<Record<string, string>> {
  const readings = await readAttributes(c, m.id, m.registers.map((r) => attributeRef(r.classId, r.obis, 2)), new ScalerCache());
  const out: Record<string, string> = {};
  readings.forEach((r: Reading, i) => {
    if (!r.ok) throw r.error;
    const spec = m.registers[i]!;
    // The meter answers Wh / varh (scaler applied): the truth is in kWh / kvarh.
    expect(r.unit).toBe(spec.unit === 'kvarh' ? 'varh' : 'Wh');
    out[spec.bcs ?? 'export'] = formatKwh(BigInt(r.value!));
  });
  return out;
}

describe('a running fleet: 2 gateways, a bus of 5 and 3 TCP meters, and 4 more TCP meters', () => {
  let fleet: RunningFleet;
  const config = smallConfig({ faults: [{ kind: 'silent', meters: ['CTGWA00007'] }, { kind: 'stuck', meters: ['CTGWB00002'], from: '2025-06-22T00:00:00+07:00' }] });

  beforeAll(async () => {
    fleet = await startFleet(config, { clock: fixedClock(NOW) });
  });
  afterAll(async () => fleet?.close());

  it('says where every meter is: pty devices with HDLC addresses, TCP ports with wPorts', () => {
    expect(fleet.gateways.map((g) => g.id)).toEqual(['gwa', 'gwb']);
    const [a, b] = fleet.gateways as [RunningFleet['gateways'][number], RunningFleet['gateways'][number]];
    expect(a.buses).toHaveLength(1);
    expect(existsSync(a.buses[0]!.device)).toBe(true);
    expect(a.buses[0]!.meters.map((m) => m.connection)).toEqual([17, 18, 19, 20, 21].map((physical) => ({ kind: 'bus', bus: 'bus1', device: a.buses[0]!.device, baud: 9600, hdlc: { logical: 1, physical, size: 4 } })));
    expect(a.tcp!.meters.map((m) => m.id)).toEqual(['CTGWA00006', 'CTGWA00007', 'CTGWA00008']);
    expect(b.tcp!.meters.map((m) => (m.connection.kind === 'tcp' && m.connection.wrapper ? m.connection.wPort : 0))).toEqual([1, 2, 3, 4]);
    expect(a.tcp!.port).toBeGreaterThan(0);
    expect(b.tcp!.port).not.toBe(a.tcp!.port);
    expect(fleet.truth().toJSON().gateways[1]!.tcp).toMatchObject({ host: '127.0.0.1', port: b.tcp!.port, wrapper: true });
  });

  it('a raw read of a TCP meter over the wrapper gives the truth', async () => {
    const gw = fleet.gateways[1]!;
    // Both models: the household meter counts Wh, the business one 10 Wh with other tariff registers.
    expect(new Set(gw.tcp!.meters.map((m) => m.model))).toEqual(new Set(['CHISO-SIM-1P', 'CHISO-SIM-3P']));
    for (const m of gw.tcp!.meters) {
      const wPort = m.connection.kind === 'tcp' && m.connection.wrapper ? m.connection.wPort : 0;
      const link = createWrapperLink({ transport: createTcpTransport({ host: '127.0.0.1', port: gw.tcp!.port, connectTimeoutMs: 2000 }), clientWPort: 17, serverWPort: wPort });
      const c = client(link, m.authentication.password);
      await c.open();
      try {
        const got = await readModelRegisters(c, m);
        const t = fleet.truth().valuesAt(m.id, NOW).values;
        expect(got).toEqual({ KT: t.KT, BT: t.BT, CD: t.CD, TD: t.TD, VC: t.VC, export: t.export });
      } finally {
        await c.close();
      }
    }
    // The stuck meter's truth is its stuck value.
    expect(fleet.truth().valuesAt('CTGWB00002', NOW).values.KT).toBe(fleet.truth().valuesAt('CTGWB00002', Date.parse('2025-06-22T00:00:00+07:00')).values.KT);
  });

  it('a read of a bus meter over the pseudo-terminal gives the truth; a silent meter gives no answer', async () => {
    const bus = fleet.gateways[0]!.buses[0]!;
    const m = bus.meters[2]!;
    const transport = createSerialTransport({ path: bus.device, baudRate: bus.baud, dataBits: 8, parity: 'none', stopBits: 1 });
    await transport.open();
    try {
      const hdlc = m.connection.kind === 'bus' ? m.connection.hdlc : undefined;
      const c = client(createHdlcLink({ transport, clientSap: 17, server: hdlc!, responseTimeoutMs: 600, maxRetries: 1 }), m.authentication.password);
      await c.open();
      try {
        const got = await readModelRegisters(c, m);
        const t = fleet.truth().valuesAt(m.id, NOW).values;
        expect(got.KT).toBe(t.KT);
        expect([got.BT, got.CD, got.TD]).toEqual([t.BT, t.CD, t.TD]);
      } finally {
        await c.close();
      }
    } finally {
      await transport.close();
    }
    const tcp = fleet.gateways[0]!.tcp!;
    const silent = client(createWrapperLink({ transport: createTcpTransport({ host: '127.0.0.1', port: tcp.port, connectTimeoutMs: 2000 }), clientWPort: 17, serverWPort: 2 }), '12345678');
    const error = await silent.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    await silent.close().catch(() => undefined);
    expect(error).toBeInstanceOf(MeterError);
    expect((error as MeterError).code).toBe('METER_NO_ANSWER');
  });

  it('close() releases every pty and port', async () => {
    const devices = fleet.gateways.flatMap((g) => g.buses.map((b) => b.device));
    const ports = fleet.gateways.flatMap((g) => (g.tcp ? [g.tcp.port] : []));
    await fleet.close();
    for (const d of devices) expect(existsSync(d)).toBe(false);
    for (const port of ports) {
      const refused = await new Promise<boolean>((resolve) => {
        const s = connect({ host: '127.0.0.1', port });
        s.once('connect', () => {
          s.destroy();
          resolve(false);
        });
        s.once('error', () => resolve(true));
      });
      expect(refused).toBe(true);
    }
  });
});

describe('the fleet clock', () => {
  it('every meter reads one shared simulated clock, by default made from the file', async () => {
    const config = smallConfig({ gateways: [{ id: 'gwc', tcp: { meters: 2 } }], speed: 3600 });
    const clock = new SimulatedClock({ start: Date.parse(config.start), speed: 3600 });
    const fleet = await startFleet(config, { clock });
    try {
      clock.advanceTo(Date.parse('2025-07-01T00:00:00+07:00'));
      for (const id of ['CTGWC00001', 'CTGWC00002']) expect(Math.abs(fleet.meter(id).now() - clock.now())).toBeLessThan(3_600_000);
      expect(fleet.meter('CTGWC00001').now()).toBeGreaterThanOrEqual(Date.parse('2025-07-01T00:00:00+07:00'));
    } finally {
      await fleet.close();
    }
    const own = await startFleet(config);
    try {
      expect(own.clock).toBeInstanceOf(SimulatedClock);
      expect(Math.abs(own.clock.now() - Date.parse(config.start))).toBeLessThan(3_600_000 * 60);
    } finally {
      await own.close();
    }
  });
});
