import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpMeterServer } from '../../simulators/protocol/servers.js';
import { DlmsClient } from '../../src/client/dlms-client.js';
import type { ApduLink } from '../../src/client/link.js';
import { type Reading, ScalerCache, readAttributes } from '../../src/client/register-reader.js';
import { createWrapperLink } from '../../src/client/wrapper-link.js';
import { cosemDateTimeToDate } from '../../src/dlms/axdr/datetime.js';
import { asDateTime } from '../../src/dlms/axdr/read.js';
import type { DlmsData } from '../../src/dlms/axdr/types.js';
import { decodeObjectList } from '../../src/dlms/cosem/association.js';
import { attributeRef } from '../../src/dlms/cosem/classes.js';
import { OBIS, parseObis } from '../../src/dlms/cosem/obis.js';
import { decodeSapAssignmentList } from '../../src/dlms/cosem/sap.js';
import { createTcpTransport } from '../../src/transport/tcp.js';
import { meters, NOW } from './simulated.js';

/**
 * The extended register (maximum demand, class 4), the demand register (class 5), the association's
 * object_list (class 15) and the SAP assignment (class 17), read over real TCP from the simulator and
 * checked against what the meter model says at a fixed instant.
 */

/** 10:07:30 in Vietnam on 15 June 2025: half-way through the 10:00 demand period. */
const T = NOW + 7.5 * 60_000;
const Q = 15 * 60_000;
const MAX_DEMAND = parseObis('1.0.1.6.0.255');
const DEMAND = parseObis('1.0.1.4.0.255');

/** Every object the meter serves, with its class id. */
const SERVED: [number, string][] = [
  [15, '0.0.40.0.0.255'],
  [17, '0.0.41.0.0.255'],
  [8, '0.0.1.0.0.255'],
  [1, '0.0.96.1.0.255'],
  [1, '0.0.42.0.0.255'],
  [1, '0.0.96.5.0.255'],
  [1, '0.0.96.11.0.255'],
  [3, '1.0.1.8.0.255'],
  [3, '1.0.1.8.1.255'],
  [3, '1.0.1.8.2.255'],
  [3, '1.0.1.8.3.255'],
  [3, '1.0.2.8.0.255'],
  [3, '1.0.3.8.0.255'],
  [7, '0.0.98.1.0.255'],
  [7, '1.0.99.1.0.255'],
  [7, '0.0.99.98.0.255'],
  [4, '1.0.1.6.0.255'],
  [5, '1.0.1.4.0.255'],
];

type Server = Awaited<ReturnType<typeof startTcpMeterServer>>;

/** Average power of `mwh` over a 15-minute period, in W, as a decimal with one place (the meter's 0.1 W). */
function watts(mwh: number): string {
  const tenths = Math.floor((mwh * 36) / 900);
  return `${Math.floor(tenths / 10)}.${tenths % 10}`;
}

/** The reading, which must have succeeded. */
function ok(r: Reading | undefined): Extract<Reading, { ok: true }> {
  if (!r?.ok) throw new Error(`reading failed: ${r ? r.error.message : 'missing'}`);
  return r;
}

const timeOf = (d: DlmsData): number => cosemDateTimeToDate(asDateTime(d)!)!.getTime();

describe('COSEM classes 4, 5, 15 and 17 over the TCP wrapper', () => {
  let server: Server;
  const fleet = meters(1, { now: () => T });
  const meter = fleet[0]!;
  const energy = (a: number, b: number): number => meter.profile.energyMwh(a, b);

  beforeAll(async () => {
    server = await startTcpMeterServer({ port: 0, wrapper: true, meters: fleet });
  });
  afterAll(async () => server.close());

  function client(extra: { maxReceivePduSize?: number } = {}): { c: DlmsClient; link: ApduLink } {
    const link = createWrapperLink({ transport: createTcpTransport({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 2000 }), clientWPort: 17, serverWPort: 1 });
    const c = new DlmsClient({ link, meter: link.description, authentication: { mechanism: 'lls', password: '12345678' }, responseTimeoutMs: 1000, retries: 1, ...extra });
    return { c, link };
  }

  it('reads the maximum demand (extended register) scaled, with its status and capture time', async () => {
    const { c } = client();
    await c.open();
    const [value, status, captured] = await readAttributes(
      c,
      'm1',
      [attributeRef(4, MAX_DEMAND, 2), attributeRef(4, MAX_DEMAND, 4), attributeRef(4, MAX_DEMAND, 5)],
      new ScalerCache(),
    );
    await c.close();

    // The model: the largest 15-minute average of June so far (periods ending 00:15 on the 1st … 10:00 on the 15th).
    const monthStart = Date.UTC(2025, 5, 1) - 7 * 3_600_000;
    let best = -1;
    let bestEnd = 0;
    for (let end = monthStart + Q; end <= NOW; end += Q) {
      const e = energy(end - Q, end);
      if (Math.floor((e * 36) / 900) > best) {
        best = Math.floor((e * 36) / 900);
        bestEnd = end;
      }
    }
    expect(best).toBeGreaterThan(0);
    expect({ value: ok(value).value, unit: ok(value).unit, scalerUnit: ok(value).scalerUnit }).toEqual({
      value: `${Math.floor(best / 10)}.${best % 10}`,
      unit: 'W',
      scalerUnit: { scaler: -1, unit: 27, symbol: 'W' },
    });
    expect(ok(value).data).toEqual({ type: 'double-long-unsigned', value: best });
    expect(ok(status).data).toEqual({ type: 'unsigned', value: 0 });
    expect(timeOf(ok(captured).data)).toBe(bestEnd);
    expect(asDateTime(ok(captured).data)).toMatchObject({ minute: new Date(bestEnd).getUTCMinutes(), second: 0, deviation: -420 });
  });

  it('reads the demand register: current and last average scaled by attribute 4, times and period', async () => {
    const { c } = client();
    await c.open();
    const refs = [2, 3, 5, 6, 7, 8, 9].map((a) => attributeRef(5, DEMAND, a));
    const cache = new ScalerCache();
    const [current, last, status, captureTime, startCurrent, period, periods] = await readAttributes(c, 'm1', refs, cache);
    await c.close();

    expect(cache.get('m1', DEMAND)).toEqual({ scaler: -1, unit: 27, symbol: 'W' });
    // The current average divides the energy since 10:00 by the whole period (IEC 62056-6-2 class 5).
    expect([ok(current).value, ok(current).unit]).toEqual([watts(energy(NOW, T)), 'W']);
    expect([ok(last).value, ok(last).unit]).toEqual([watts(energy(NOW - Q, NOW)), 'W']);
    expect(Number(ok(last).value)).toBeGreaterThan(0);
    expect(ok(status).data).toEqual({ type: 'unsigned', value: 0 });
    expect(timeOf(ok(captureTime).data)).toBe(NOW);
    expect(timeOf(ok(startCurrent).data)).toBe(NOW);
    expect(ok(period).data).toEqual({ type: 'double-long-unsigned', value: 900 });
    expect(ok(periods).data).toEqual({ type: 'long-unsigned', value: 1 });
  });

  it('reads the object list by block transfer: every served object with its class id', async () => {
    const { c, link } = client({ maxReceivePduSize: 128 });
    await c.open();
    const before = link.stats().framesReceived;
    const list = decodeObjectList(await c.get({ classId: 15, instanceId: OBIS.currentAssociation, attributeId: 2 }));
    const blocks = link.stats().framesReceived - before;
    // Each object really is served under that class: its logical_name reads back as itself.
    const names = await c.getList(list.map((e) => ({ attribute: { classId: e.classId, instanceId: e.obis, attributeId: 1 } })));
    await c.close();

    expect(blocks).toBeGreaterThan(5); // ~1 kB of object_list in 128-byte PDUs
    expect(list.map((e) => [e.classId, e.obis])).toEqual(SERVED);
    expect(names.map((r) => r.ok && r.data)).toEqual(list.map((e) => ({ type: 'octet-string', value: Uint8Array.from(e.obis.split('.').map(Number)) })));
    // The reading client (SAP 17) may read the demand values; attribute 1 is public.
    const demand = list.find((e) => e.obis === DEMAND)!;
    expect(demand.version).toBe(0);
    expect(demand.accessRights.attributes.map((a) => [a.id, a.access])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((id) => [id, 1]));
    const max = list.find((e) => e.obis === MAX_DEMAND)!;
    expect(max.accessRights.attributes.map((a) => [a.id, a.access])).toEqual([1, 2, 3, 4, 5].map((id) => [id, 1]));
    expect(list.find((e) => e.obis === OBIS.loadProfile)!.accessRights.attributes.find((a) => a.id === 2)!.selectors).toEqual([1, 2]);
  });

  it('reads the SAP assignment: the management logical device and its name', async () => {
    const { c } = client();
    await c.open();
    const saps = decodeSapAssignmentList(await c.get({ classId: 17, instanceId: OBIS.sapAssignment, attributeId: 2 }));
    await c.close();
    expect(saps).toEqual([{ sap: 1, logicalDeviceName: 'CHSSIM0001' }]);
  });
});
