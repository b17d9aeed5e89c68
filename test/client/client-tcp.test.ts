import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpMeterServer } from '../../simulators/protocol/servers.js';
import { DlmsClient } from '../../src/client/dlms-client.js';
import { MeterError } from '../../src/client/errors.js';
import { createHdlcLink } from '../../src/client/hdlc-link.js';
import type { ApduLink } from '../../src/client/link.js';
import { ScalerCache, readAttributes } from '../../src/client/register-reader.js';
import { createWrapperLink } from '../../src/client/wrapper-link.js';
import { asArray, asStructure } from '../../src/dlms/axdr/read.js';
import { attributeRef } from '../../src/dlms/cosem/classes.js';
import { decodeCaptureObjects, decodeProfileBuffer, rangeDescriptor } from '../../src/dlms/cosem/profile.js';
import { OBIS, parseObis } from '../../src/dlms/cosem/obis.js';
import { dlms } from '../../src/dlms/axdr/build.js';
import { cosemDateTimeFromDate } from '../../src/dlms/axdr/datetime.js';
import { createTcpTransport } from '../../src/transport/tcp.js';
import { meters, NOW } from './simulated.js';

const ENERGY = ['1.0.1.8.0.255', '1.0.1.8.1.255', '1.0.1.8.2.255', '1.0.1.8.3.255', '1.0.2.8.0.255', '1.0.3.8.0.255'];
const FULL_READ = [...ENERGY.map((o) => attributeRef(3, o, 2)), attributeRef(8, '0.0.1.0.0.255', 2)];

type Server = Awaited<ReturnType<typeof startTcpMeterServer>>;

function client(link: ApduLink, password?: string, extra: Partial<ConstructorParameters<typeof DlmsClient>[0]> = {}) {
  return new DlmsClient({
    link,
    meter: link.description,
    authentication: password === undefined ? { mechanism: 'none' } : { mechanism: 'lls', password },
    responseTimeoutMs: 500,
    retries: 1,
    ...extra,
  });
}

describe('client over TCP wrapper to the simulator', () => {
  let server: Server;
  const fleet = meters(3, { faults: { 3: [{ kind: 'silent' }] } });

  beforeAll(async () => {
    server = await startTcpMeterServer({ port: 0, wrapper: true, meters: fleet });
  });
  afterAll(async () => server.close());

  function wrapperLink(wPort: number, sap = 17) {
    return createWrapperLink({ transport: createTcpTransport({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 2000 }), clientWPort: sap, serverWPort: wPort });
  }

  it('reads the six energy registers and the clock with their units, equal to the meter truth', async () => {
    const c = client(wrapperLink(1), '12345678');
    await c.open();
    const readings = await readAttributes(c, 'm1', FULL_READ, new ScalerCache());
    await c.close();
    const truth = fleet[0]!.truthAt(NOW);
    const values = readings.map((r) => (r.ok ? (r.value ?? r.time?.toISOString()) : r.error.code));
    expect(values).toEqual([
      String(truth.registers.importTotal),
      String(truth.registers.T1),
      String(truth.registers.T2),
      String(truth.registers.T3),
      String(truth.registers.exportTotal),
      String(truth.registers.reactiveImport),
      new Date(truth.clock).toISOString(),
    ]);
    expect(readings[0]!.ok && readings[0]!.unit).toBe('Wh');
    expect(readings[5]!.ok && readings[5]!.unit).toBe('varh');
    expect(truth.registers.T1 + truth.registers.T2 + truth.registers.T3).toBe(truth.registers.importTotal);
  });

  it('reads scaler_unit once per meter: the second session asks for values only', async () => {
    const cache = new ScalerCache();
    const link = wrapperLink(2);
    const c = client(link, '12345678');
    await c.open();
    await readAttributes(c, 'm2', FULL_READ, cache);
    await c.close();
    const first = link.stats();
    await c.open();
    await readAttributes(c, 'm2', FULL_READ, cache);
    await c.close();
    const second = link.stats();
    expect(cache.get('m2', parseObis('1.0.1.8.0.255'))).toMatchObject({ scaler: 0, symbol: 'Wh' });
    // The second session's answer carries no scaler_unit structures: fewer bytes received.
    expect(second.bytesReceived - first.bytesReceived).toBeLessThan(first.bytesReceived);
  });

  it('reads the billing profile: one entry per month start, equal to the snapshots', async () => {
    const c = client(wrapperLink(1), '12345678');
    await c.open();
    const capture = decodeCaptureObjects(await c.get({ classId: 7, instanceId: OBIS.billingPeriodValues, attributeId: 3 }));
    const buffer = decodeProfileBuffer(await c.get({ classId: 7, instanceId: OBIS.billingPeriodValues, attributeId: 2 }), capture);
    await c.close();
    const snapshots = fleet[0]!.billingSnapshots(NOW);
    expect(buffer.length).toBe(snapshots.length);
    const totalColumn = capture.findIndex((o) => o.obis === '1.0.1.8.0.255');
    expect(totalColumn).toBeGreaterThan(0);
    const last = buffer[buffer.length - 1]!;
    expect(last[totalColumn]).toEqual({ type: 'double-long-unsigned', value: snapshots[snapshots.length - 1]!.registers.importTotal });
  });

  it('reads a 40-day load profile by block transfer and by a range of dates', async () => {
    const c = client(wrapperLink(1), '12345678', { maxReceivePduSize: 256 });
    await c.open();
    expect(c.association!.serverMaxReceivePduSize).toBeGreaterThan(0);
    const whole = asArray(await c.get({ classId: 7, instanceId: OBIS.loadProfile, attributeId: 2 }));
    const rows = fleet[0]!.loadProfileRows(NOW);
    expect(whole.length).toBe(rows.length);
    expect(whole.length).toBeGreaterThan(1800);

    const capture = decodeCaptureObjects(await c.get({ classId: 7, instanceId: OBIS.loadProfile, attributeId: 3 }));
    const clockColumn = capture[0]!;
    const from = cosemDateTimeFromDate(new Date(NOW - 6 * 3600_000), -420);
    const to = cosemDateTimeFromDate(new Date(NOW - 3 * 3600_000), -420);
    const range = await c.get(
      { classId: 7, instanceId: OBIS.loadProfile, attributeId: 2 },
      { selector: 1, parameters: rangeDescriptor({ restrictingObject: clockColumn, from: dlms.dateTimeOctets(from), to: dlms.dateTimeOctets(to) }) },
    );
    await c.close();
    // 30-minute profile: 06:00 before to 03:00 before, both ends included.
    expect(asArray(range).length).toBe(7);
    expect(asStructure(asArray(range)[0]!).length).toBe(capture.length);
  });

  it('refuses a wrong password with METER_AUTH_FAILED, not retryable', async () => {
    const c = client(wrapperLink(1), 'wrong-pw');
    const error = await c.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeterError);
    expect((error as MeterError).code).toBe('METER_AUTH_FAILED');
    expect((error as MeterError).step).toBe('associate');
    expect((error as MeterError).message).toMatch(/authentication failure/);
  });

  it('reports an unknown object as METER_OBJECT_UNDEFINED and still reads the rest of the list', async () => {
    const c = client(wrapperLink(1), '12345678');
    await c.open();
    const readings = await readAttributes(c, 'm1', [attributeRef(3, '1.0.1.8.0.255', 2), attributeRef(3, '1.0.21.7.0.255', 2)], new ScalerCache());
    await c.close();
    expect(readings[0]!.ok).toBe(true);
    expect(readings[1]!.ok).toBe(false);
    expect(!readings[1]!.ok && readings[1]!.error.code).toBe('METER_OBJECT_UNDEFINED');
    expect(!readings[1]!.ok && readings[1]!.error.message).toMatch(/1\.0\.21\.7\.0\.255/);
  });

  it('reports a silent meter as METER_NO_ANSWER naming the meter and the step', async () => {
    const c = client(wrapperLink(3), '12345678');
    const error = (await c.open().catch((e: unknown) => e)) as MeterError;
    expect(error.code).toBe('METER_NO_ANSWER');
    expect(error.step).toBe('associate');
    expect(error.message).toMatch(/wPort 3/);
  });

  it('falls back to single GETs when with-list is refused', async () => {
    const noList = await startTcpMeterServer({ port: 0, wrapper: true, meters: meters(1), settings: { multipleReferences: false } });
    try {
      const link = createWrapperLink({ transport: createTcpTransport({ host: '127.0.0.1', port: noList.port, connectTimeoutMs: 2000 }), clientWPort: 17, serverWPort: 1 });
      const c = client(link, '12345678');
      await c.open();
      const readings = await readAttributes(c, 'm', FULL_READ, new ScalerCache());
      await c.close();
      expect(readings.every((r) => r.ok)).toBe(true);
      // 7 values + 6 scalers as single GETs, plus AARQ and RLRQ.
      expect(link.stats().framesSent).toBe(15);
    } finally {
      await noList.close();
    }
  });
});

describe('client over HDLC carried on TCP', () => {
  let server: Server;
  const fleet = meters(2, { faults: { 2: [{ kind: 'corrupt', everyNth: 1 }] } });

  beforeAll(async () => {
    server = await startTcpMeterServer({ port: 0, wrapper: false, meters: fleet });
  });
  afterAll(async () => server.close());

  function hdlc(physical: number) {
    const transport = createTcpTransport({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 2000 });
    return createHdlcLink({ transport, clientSap: 17, server: { logical: 1, physical, size: 4 }, responseTimeoutMs: 300, maxRetries: 2, ownsTransport: true });
  }

  it('reads registers and clock with GET-with-list in one exchange', async () => {
    const link = hdlc(17);
    const c = client(link, '12345678');
    const cache = new ScalerCache();
    await c.open();
    const readings = await readAttributes(c, 'm1', FULL_READ, cache);
    await c.close();
    expect(readings.every((r) => r.ok)).toBe(true);
    const truth = fleet[0]!.truthAt(NOW);
    expect(readings[0]!.ok && readings[0]!.value).toBe(String(truth.registers.importTotal));
    // SNRM, AARQ, two GET-with-list (7 values + 6 scalers exceed the 10-item limit), RLRQ, DISC.
    expect(link.stats().framesSent).toBe(6);
    // With the scalers cached the 7 values fit one GET-with-list.
    await c.open();
    await readAttributes(c, 'm1', FULL_READ, cache);
    await c.close();
    expect(link.stats().framesSent).toBe(6 + 5);
  });

  it('reads a long load profile through HDLC segmentation and block transfer', async () => {
    const c = client(hdlc(17), '12345678', { maxReceivePduSize: 512 });
    await c.open();
    const buffer = asArray(await c.get({ classId: 7, instanceId: OBIS.loadProfile, attributeId: 2 }));
    await c.close();
    expect(buffer.length).toBe(fleet[0]!.loadProfileRows(NOW).length);
  });

  it('reports a meter whose every frame is corrupted as METER_CORRUPT', async () => {
    const c = client(hdlc(18), '12345678');
    const error = (await c.open().catch((e: unknown) => e)) as MeterError;
    expect(error).toBeInstanceOf(MeterError);
    expect(error.code).toBe('METER_CORRUPT');
    expect(error.step).toBe('connect');
  });
});
