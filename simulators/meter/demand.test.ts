import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cosemDateTimeToDate, encodeDateTimeBytes } from '../../src/dlms/axdr/datetime.js';
import { decodeDataExact } from '../../src/dlms/axdr/decode.js';
import { encodeData } from '../../src/dlms/axdr/encode.js';
import { asDateTime } from '../../src/dlms/axdr/read.js';
import type { DlmsData } from '../../src/dlms/axdr/types.js';
import { decodeObjectList } from '../../src/dlms/cosem/association.js';
import { OBIS } from '../../src/dlms/cosem/obis.js';
import { decodeScalerUnit } from '../../src/dlms/cosem/scaler-unit.js';
import { type GetResult, MeterObjects, isAccessError } from './cosem-objects.js';
import { DEMAND_OBIS, MAX_DEMAND_OBIS, demandUnits } from './demand.js';
import { MS_PER_HOUR, MS_PER_MINUTE } from './local-time.js';
import type { SimulatedMeter } from './meter-model.js';
import { meterWithClock as withClock, vn } from './test-helpers.js';

function meterWithClock(cfg: Parameters<typeof withClock>[0]) {
  const m = withClock(cfg);
  return { ...m, objects: new MeterObjects(m.meter) };
}

const NOW = vn(2025, 4, 20, 13, 52) + 30_000; // 7.5 minutes into the 13:45 period
const Q = 15 * MS_PER_MINUTE;

function ok(r: GetResult): DlmsData {
  if (isAccessError(r)) throw new Error(`expected data, got ${r.error}`);
  expect(decodeDataExact(encodeData(r))).toEqual(r);
  return r;
}

const stampOf = (d: DlmsData): number => cosemDateTimeToDate(asDateTime(d)!)!.getTime();
const num = (d: DlmsData): number => (d as { value: number }).value;

function reader(objects: MeterObjects) {
  return {
    demand: (attribute: number) => ok(objects.get({ classId: 5, obis: DEMAND_OBIS, attribute }, 'reading')),
    max: (attribute: number) => ok(objects.get({ classId: 4, obis: MAX_DEMAND_OBIS, attribute }, 'reading')),
  };
}

/** Max demand of the month by brute force over the base profile (no counting faults in these meters). */
function bruteMax(meter: SimulatedMeter, monthStart: number, lastEnd: number): { value: number; end: number | undefined } {
  let value = 0;
  let end: number | undefined;
  for (let e = monthStart + Q; e <= lastEnd; e += Q) {
    const v = demandUnits(meter.profile.energyMwh(Math.max(e - Q, meter.installedAt), Math.max(e, meter.installedAt)));
    if (v > value) {
      value = v;
      end = e;
    }
  }
  return { value, end };
}

describe('demand register 1.0.1.4.0.255 (class 5)', () => {
  it('a flat 1234 W load: hand-checked averages, times, period', () => {
    const { objects } = meterWithClock({ now: NOW, profile: { kind: 'constant', watts: 1234 } });
    const r = reader(objects);
    // 7.5 min of 1234 W = 154 250 mWh; ÷ 900 s → 617.0 W (the standard divides by the whole period).
    expect(r.demand(2)).toEqual({ type: 'double-long-unsigned', value: 6170 });
    expect(r.demand(3)).toEqual({ type: 'double-long-unsigned', value: 12340 });
    expect(decodeScalerUnit(r.demand(4))).toEqual({ scaler: -1, unit: 27, symbol: 'W' });
    expect(r.demand(5)).toEqual({ type: 'unsigned', value: 0 });
    expect(stampOf(r.demand(6))).toBe(vn(2025, 4, 20, 13, 45));
    expect(stampOf(r.demand(7))).toBe(vn(2025, 4, 20, 13, 45));
    expect(asDateTime(r.demand(7))).toMatchObject({ hour: 13, minute: 45, second: 0, deviation: -420 });
    expect(r.demand(8)).toEqual({ type: 'double-long-unsigned', value: 900 });
    expect(r.demand(9)).toEqual({ type: 'long-unsigned', value: 1 });
    expect(ok(objects.get({ classId: 5, obis: DEMAND_OBIS, attribute: 1 }, 'public'))).toEqual({ type: 'octet-string', value: Uint8Array.of(1, 0, 1, 4, 0, 255) });
  });

  it('a household: averages are the registered energy of the periods', () => {
    const { meter, objects } = meterWithClock({ now: NOW, seed: 7 });
    const r = reader(objects);
    const start = vn(2025, 4, 20, 13, 45);
    expect(num(r.demand(2))).toBe(Math.floor((meter.profile.energyMwh(start, NOW) * 36) / 900));
    expect(num(r.demand(3))).toBe(Math.floor((meter.profile.energyMwh(start - Q, start) * 36) / 900));
    expect(num(r.demand(3))).toBeGreaterThan(0);
  });

  it('follows the counting faults: nothing while stuck, k× in a spike', () => {
    const stuck = meterWithClock({ now: NOW, profile: { kind: 'constant', watts: 1000 }, faults: [{ kind: 'stuck', from: NOW - MS_PER_HOUR }] });
    expect(num(reader(stuck.objects).demand(2))).toBe(0);
    expect(num(reader(stuck.objects).demand(3))).toBe(0);
    const spike = meterWithClock({ now: NOW, profile: { kind: 'constant', watts: 1000 }, faults: [{ kind: 'spike', factor: 3, from: NOW - MS_PER_HOUR }] });
    expect(num(reader(spike.objects).demand(3))).toBe(30000);
  });

  it('periods follow the meter clock, not true time', () => {
    // A clock 10 minutes fast: at true 13:52:30 it shows 14:02:30.
    const { objects } = meterWithClock({ now: NOW, profile: { kind: 'constant', watts: 1000 }, installedAt: NOW - 10 * MS_PER_HOUR });
    objects.meter.setClock(NOW - MS_PER_HOUR + 10 * MS_PER_MINUTE, NOW - MS_PER_HOUR);
    expect(stampOf(reader(objects).demand(7))).toBe(vn(2025, 4, 20, 14, 0));
    // 2.5 min of 1000 W since 14:00 meter time.
    expect(num(reader(objects).demand(2))).toBe(Math.floor((1000 * 1000 * 2.5 * 36) / 60 / 900));
  });

  it('status shows an invalid clock', () => {
    const { objects } = meterWithClock({ now: NOW, faults: [{ kind: 'clock-invalid', from: NOW - MS_PER_HOUR }] });
    expect(reader(objects).demand(5)).toEqual({ type: 'unsigned', value: 0x02 });
    expect(reader(objects).max(4)).toEqual({ type: 'unsigned', value: 0x02 });
  });
});

describe('maximum demand 1.0.1.6.0.255 (extended register, class 4)', () => {
  it('is the largest 15-minute demand of the month, stamped with the end of its period', () => {
    const { meter, objects } = meterWithClock({ now: NOW, seed: 3 });
    const r = reader(objects);
    const expected = bruteMax(meter, vn(2025, 4, 1), vn(2025, 4, 20, 13, 45));
    expect(expected.value).toBeGreaterThan(0);
    expect(r.max(2)).toEqual({ type: 'double-long-unsigned', value: expected.value });
    expect(decodeScalerUnit(r.max(3))).toEqual({ scaler: -1, unit: 27, symbol: 'W' });
    expect(r.max(4)).toEqual({ type: 'unsigned', value: 0 });
    expect(stampOf(r.max(5))).toBe(expected.end);
    expect(ok(objects.get({ classId: 4, obis: MAX_DEMAND_OBIS, attribute: 1 }, 'public'))).toEqual({ type: 'octet-string', value: Uint8Array.of(1, 0, 1, 6, 0, 255) });
  });

  it('a flat load: the first period of the month wins the tie', () => {
    const { objects } = meterWithClock({ now: NOW, profile: { kind: 'constant', watts: 800 } });
    expect(num(reader(objects).max(2))).toBe(8000);
    expect(stampOf(reader(objects).max(5))).toBe(vn(2025, 4, 1, 0, 15));
  });

  it('restarts at the month start: 0 and "not specified" until a period closes', () => {
    const { objects, clock } = meterWithClock({ now: vn(2025, 5, 1, 0, 10), profile: { kind: 'constant', watts: 800 } });
    expect(reader(objects).max(2)).toEqual({ type: 'double-long-unsigned', value: 0 });
    expect(reader(objects).max(5)).toEqual({ type: 'octet-string', value: encodeDateTimeBytes({}) });
    clock.now = vn(2025, 5, 1, 0, 15);
    expect(num(reader(objects).max(2))).toBe(8000);
    expect(stampOf(reader(objects).max(5))).toBe(vn(2025, 5, 1, 0, 15));
  });

  it('kept up as time advances equals computed afresh', () => {
    const { meter, objects, clock } = meterWithClock({ now: vn(2025, 4, 28), seed: 11 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 * MS_PER_HOUR }), (step) => {
        clock.now += step;
        const fresh = new MeterObjects(meter);
        for (const a of [2, 5]) expect(reader(objects).max(a)).toEqual(reader(fresh).max(a));
      }),
      { numRuns: 40 },
    );
  });
});

describe('access and the object list', () => {
  const { objects } = meterWithClock({ now: NOW });

  it.each([
    ['demand from the public client', 'read-write-denied', { classId: 5, obis: DEMAND_OBIS, attribute: 2 }, 'public'],
    ['max demand as a Register', 'object-class-inconsistent', { classId: 3, obis: MAX_DEMAND_OBIS, attribute: 2 }, 'reading'],
    ['extended register attribute 6', 'object-undefined', { classId: 4, obis: MAX_DEMAND_OBIS, attribute: 6 }, 'reading'],
    ['demand register attribute 10', 'object-undefined', { classId: 5, obis: DEMAND_OBIS, attribute: 10 }, 'reading'],
  ] as const)('%s → %s', (_n, error, ref, level) => {
    expect(objects.get(ref, level)).toEqual({ error });
  });

  it('lists both with their class, version and access rights', () => {
    const list = (level: 'public' | 'reading') => decodeObjectList(ok(objects.get({ classId: 15, obis: OBIS.currentAssociation, attribute: 2 }, level)));
    const reading = list('reading');
    expect(reading.find((e) => e.obis === MAX_DEMAND_OBIS)).toEqual({
      classId: 4,
      version: 0,
      obis: MAX_DEMAND_OBIS,
      accessRights: { attributes: [1, 2, 3, 4, 5].map((id) => ({ id, access: 1, selectors: undefined })), methods: [] },
    });
    expect(reading.find((e) => e.obis === DEMAND_OBIS)!.accessRights.attributes.map((a) => [a.id, a.access])).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((id) => [id, 1]),
    );
    expect(list('public').find((e) => e.obis === DEMAND_OBIS)!.accessRights.attributes.map((a) => a.access)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
