import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cosemDateTimeFromDate, cosemDateTimeToDate, encodeDateTimeBytes } from '../../src/dlms/axdr/datetime.js';
import { decodeDataExact } from '../../src/dlms/axdr/decode.js';
import { encodeData } from '../../src/dlms/axdr/encode.js';
import { asArray, asDateTime, asStructure } from '../../src/dlms/axdr/read.js';
import type { DlmsData } from '../../src/dlms/axdr/types.js';
import { decodeObjectList } from '../../src/dlms/cosem/association.js';
import { CLASS_ID } from '../../src/dlms/cosem/classes.js';
import { OBIS, parseObis } from '../../src/dlms/cosem/obis.js';
import { decodeCaptureObjects, entryDescriptor, rangeDescriptor } from '../../src/dlms/cosem/profile.js';
import { decodeScalerUnit } from '../../src/dlms/cosem/scaler-unit.js';
import { type GetResult, MeterObjects, isAccessError } from './cosem-objects.js';
import { MS_PER_DAY, MS_PER_HOUR } from './local-time.js';
import { LOAD_PROFILE_COLUMNS, dateTimeOctets } from './profile-buffers.js';
import { meterWithClock, vn } from './test-helpers.js';

const NOW = vn(2025, 4, 20, 13, 47);
const CLOCK_COL = { classId: CLASS_ID.clock, obis: OBIS.clock, attribute: 2, dataIndex: 0 };

function setup(extra: Parameters<typeof meterWithClock>[0] = { now: NOW }) {
  const { meter, clock } = meterWithClock({ seed: 4, initialIndexWh: 2_500_000, ...extra });
  return { meter, clock, objects: new MeterObjects(meter) };
}

function ok(r: GetResult): DlmsData {
  if (isAccessError(r)) throw new Error(`expected data, got ${r.error}`);
  // Everything served must survive the wire.
  expect(decodeDataExact(encodeData(r))).toEqual(r);
  return r;
}

/** A Vietnam-clock date-time as a client sends it: octet-string(12). */
function dtOctets(ms: number): { type: 'octet-string'; value: Uint8Array } {
  return { type: 'octet-string', value: encodeDateTimeBytes(cosemDateTimeFromDate(new Date(ms), -420)) };
}

const stampOf = (d: DlmsData): number => cosemDateTimeToDate(asDateTime(d)!)!.getTime();

describe('registers', () => {
  it('value and scaler_unit agree with the ground truth', () => {
    const { meter, objects } = setup({ now: NOW, scalerWh: 1 });
    const truth = meter.truthAt(NOW).registers;
    const read = (obis: string, attribute: number): DlmsData => ok(objects.get({ classId: 3, obis: parseObis(obis), attribute }, 'reading'));
    expect(read('1.0.1.8.0.255', 2)).toEqual({ type: 'double-long-unsigned', value: truth.importTotal });
    expect(read('1.0.1.8.1.255', 2)).toEqual({ type: 'double-long-unsigned', value: truth.T1 });
    expect(read('1.0.1.8.2.255', 2)).toEqual({ type: 'double-long-unsigned', value: truth.T2 });
    expect(read('1.0.1.8.3.255', 2)).toEqual({ type: 'double-long-unsigned', value: truth.T3 });
    expect(read('1.0.3.8.0.255', 2)).toEqual({ type: 'double-long-unsigned', value: truth.reactiveImport });
    expect(decodeScalerUnit(read('1.0.1.8.0.255', 3))).toMatchObject({ scaler: 1, unit: 30 });
    expect(decodeScalerUnit(read('1.0.3.8.0.255', 3))).toMatchObject({ scaler: 1, unit: 32 });
    expect(ok(objects.get({ classId: 3, obis: '1-0:1.8.0*255', attribute: 1 }, 'public'))).toEqual({ type: 'octet-string', value: Uint8Array.of(1, 0, 1, 8, 0, 255) });
  });

  it('identity, status and clock', () => {
    const { meter, objects } = setup({ now: NOW, faults: [{ kind: 'tamper', from: NOW - MS_PER_HOUR }] });
    expect(ok(objects.get({ classId: 1, obis: OBIS.serialNumber, attribute: 2 }, 'public'))).toEqual({ type: 'octet-string', value: new TextEncoder().encode('SIM00000001') });
    expect(ok(objects.get({ classId: 1, obis: OBIS.statusRegister, attribute: 2 }, 'reading'))).toEqual({ type: 'double-long-unsigned', value: 1 });
    expect(ok(objects.get({ classId: 1, obis: parseObis('0.0.96.11.0.255'), attribute: 2 }, 'reading'))).toEqual({ type: 'unsigned', value: 44 });
    const time = asDateTime(ok(objects.get({ classId: 8, obis: OBIS.clock, attribute: 2 }, 'public')))!;
    expect(time).toMatchObject({ year: 2025, month: 4, dayOfMonth: 20, dayOfWeek: 7, hour: 13, minute: 47, deviation: -420, clockStatus: 0 });
    expect(cosemDateTimeToDate(time)!.getTime()).toBe(meter.clockAt(NOW));
    expect(ok(objects.get({ classId: 8, obis: OBIS.clock, attribute: 3 }, 'public'))).toEqual({ type: 'long', value: -420 });
    for (const a of [4, 5, 6, 7, 8, 9]) ok(objects.get({ classId: 8, obis: OBIS.clock, attribute: a }, 'public'));
  });
});

describe('refusals', () => {
  const { objects } = setup();
  it.each([
    ['unknown OBIS', 'object-undefined', { classId: 3, obis: parseObis('1.0.21.7.0.255'), attribute: 2 }, 'reading'],
    ['not an OBIS at all', 'object-undefined', { classId: 3, obis: 'nonsense', attribute: 2 }, 'reading'],
    ['wrong class id', 'object-class-inconsistent', { classId: 4, obis: OBIS.activeEnergyImportTotal, attribute: 2 }, 'reading'],
    ['attribute the class lacks', 'object-undefined', { classId: 3, obis: OBIS.activeEnergyImportTotal, attribute: 9 }, 'reading'],
    ['register from the public client', 'read-write-denied', { classId: 3, obis: OBIS.activeEnergyImportTotal, attribute: 2 }, 'public'],
    ['load profile from the public client', 'read-write-denied', { classId: 7, obis: OBIS.loadProfile, attribute: 2 }, 'public'],
    ['the association secret', 'read-write-denied', { classId: 15, obis: OBIS.currentAssociation, attribute: 7 }, 'management'],
  ] as const)('%s → %s', (_n, error, ref, level) => {
    expect(objects.get(ref, level)).toEqual({ error });
  });

  it('selective access where there is none → scope-of-access-violated', () => {
    const sel = { selector: 2, parameters: entryDescriptor({ fromEntry: 1, toEntry: 1 }) };
    expect(objects.get({ classId: 3, obis: OBIS.activeEnergyImportTotal, attribute: 2 }, 'reading', sel)).toEqual({ error: 'scope-of-access-violated' });
    expect(objects.get({ classId: 7, obis: OBIS.loadProfile, attribute: 2 }, 'reading', { selector: 3, parameters: { type: 'null-data' } })).toEqual({ error: 'scope-of-access-violated' });
  });

  it('malformed selector parameters are an answer, never a throw', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 70000 }), (selector, shape, n) => {
        const junk: DlmsData[] = [
          { type: 'null-data' },
          { type: 'structure', value: [] },
          { type: 'structure', value: [{ type: 'unsigned', value: n & 0xff }, { type: 'null-data' }, { type: 'null-data' }, { type: 'null-data' }] },
          { type: 'array', value: [{ type: 'long-unsigned', value: n & 0xffff }] },
          rangeDescriptor({ restrictingObject: { ...CLOCK_COL, attribute: 3 }, from: { type: 'null-data' }, to: { type: 'null-data' } }),
          rangeDescriptor({ restrictingObject: CLOCK_COL, from: { type: 'octet-string', value: new Uint8Array(12).fill(n & 0xff) }, to: { type: 'unsigned', value: 1 } }),
        ];
        const r = objects.get({ classId: 7, obis: OBIS.loadProfile, attribute: 2 }, 'reading', { selector, parameters: junk[shape]! });
        expect(isAccessError(r) || r.type === 'array').toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('profile buffers', () => {
  const { meter, objects } = setup();
  const lp = { classId: 7, obis: OBIS.loadProfile, attribute: 2 };
  const rows = meter.loadProfileRows(NOW);

  it('the whole load profile: one row per model row, capture objects, period, entries', () => {
    const all = asArray(ok(objects.get(lp, 'reading')));
    expect(all.length).toBe(1920);
    const last = asStructure(all.at(-1)!);
    expect(stampOf(last[0]!)).toBe(rows.at(-1)!.stamp);
    expect(last.slice(1)).toEqual([
      { type: 'unsigned', value: 0 },
      { type: 'double-long-unsigned', value: rows.at(-1)!.importTotal },
      { type: 'double-long-unsigned', value: 0 },
    ]);
    expect(decodeCaptureObjects(ok(objects.get({ ...lp, attribute: 3 }, 'reading')))).toEqual(LOAD_PROFILE_COLUMNS);
    expect(ok(objects.get({ ...lp, attribute: 4 }, 'reading'))).toEqual({ type: 'double-long-unsigned', value: 1800 });
    expect(ok(objects.get({ ...lp, attribute: 7 }, 'reading'))).toEqual({ type: 'double-long-unsigned', value: 1920 });
    expect(ok(objects.get({ ...lp, attribute: 8 }, 'reading'))).toEqual({ type: 'double-long-unsigned', value: 1920 });
    for (const a of [5, 6]) ok(objects.get({ ...lp, attribute: a }, 'reading'));
  });

  it('by range: exactly the rows whose clock is inside [from, to]', () => {
    const first = rows[0]!.stamp;
    const span = rows.at(-1)!.stamp - first;
    fc.assert(
      fc.property(fc.integer({ min: -MS_PER_DAY, max: span + MS_PER_DAY }), fc.integer({ min: 0, max: 3 * MS_PER_DAY }), (a, len) => {
        // Whole seconds: a COSEM date-time carries hundredths, the test keeps to what it can say exactly.
        const from = Math.floor((first + a) / 1000) * 1000;
        const to = from + Math.floor(len / 1000) * 1000;
        const sel = {
          selector: 1,
          parameters: rangeDescriptor({ restrictingObject: CLOCK_COL, from: dtOctets(from), to: dtOctets(to) }),
        };
        const got = asArray(ok(objects.get(lp, 'reading', sel))).map((r) => stampOf(asStructure(r)[0]!));
        expect(got).toEqual(rows.map((r) => r.stamp).filter((s) => s >= from && s <= to));
      }),
      { numRuns: 60 },
    );
  });

  it('by range with selected columns', () => {
    const from = vn(2025, 4, 20, 0, 0);
    const sel = {
      selector: 1,
      parameters: rangeDescriptor({
        restrictingObject: CLOCK_COL,
        from: dtOctets(from),
        to: dtOctets(vn(2025, 4, 20, 1, 0)),
        selectedValues: [CLOCK_COL, LOAD_PROFILE_COLUMNS[2]!],
      }),
    };
    const got = asArray(ok(objects.get(lp, 'reading', sel))).map((r) => asStructure(r));
    expect(got.map((r) => [stampOf(r[0]!), r[1]])).toEqual(
      [from, from + 1_800_000, from + 3_600_000].map((s) => [s, { type: 'double-long-unsigned', value: meter.registersAt(s).importTotal }]),
    );
  });

  it('by entry: the right slice of rows and columns', () => {
    const sel = (fromEntry: number, toEntry: number, fromSelectedValue = 1, toSelectedValue = 0) => ({
      selector: 2,
      parameters: entryDescriptor({ fromEntry, toEntry, fromSelectedValue, toSelectedValue }),
    });
    const slice = asArray(ok(objects.get(lp, 'reading', sel(10, 12)))).map((r) => asStructure(r));
    expect(slice.map((r) => stampOf(r[0]!))).toEqual(rows.slice(9, 12).map((r) => r.stamp));
    const tail = asArray(ok(objects.get(lp, 'reading', sel(1915, 0, 3, 3)))).map((r) => asStructure(r));
    expect(tail).toEqual(rows.slice(1914).map((r) => [{ type: 'double-long-unsigned', value: r.importTotal }]));
    expect(asArray(ok(objects.get(lp, 'reading', sel(5000, 0))))).toEqual([]);
    expect(objects.get(lp, 'reading', sel(10, 5))).toEqual({ error: 'other-reason' });
  });

  it('billing buffer: the model snapshots, as rows of registers', () => {
    const rowsB = asArray(ok(objects.get({ classId: 7, obis: OBIS.billingPeriodValues, attribute: 2 }, 'reading'))).map((r) => asStructure(r));
    const snaps = meter.billingSnapshots(NOW);
    expect(rowsB.length).toBe(snaps.length);
    rowsB.forEach((r, i) => {
      const s = snaps[i]!;
      expect(stampOf(r[0]!)).toBe(s.stamp);
      expect(r.slice(1).map((d) => (d as { value: number }).value)).toEqual([
        s.registers.importTotal,
        s.registers.T1,
        s.registers.T2,
        s.registers.T3,
        s.registers.exportTotal,
        s.registers.reactiveImport,
      ]);
    });
  });

  it('event log buffer', () => {
    const { objects: o } = setup({ now: NOW, faults: [{ kind: 'power-failure', from: NOW - 5 * MS_PER_HOUR, until: NOW - 4 * MS_PER_HOUR }] });
    const ev = asArray(ok(o.get({ classId: 7, obis: OBIS.standardEventLog, attribute: 2 }, 'reading'))).map((r) => asStructure(r));
    expect(ev.map((r) => [stampOf(r[0]!), r[1]])).toEqual([
      [NOW - 5 * MS_PER_HOUR, { type: 'unsigned', value: 1 }],
      [NOW - 4 * MS_PER_HOUR, { type: 'unsigned', value: 2 }],
    ]);
  });

  it('keeps the full 40-day buffer as time moves on: one new interval per half hour', () => {
    const { objects: o, clock } = setup();
    const sizes: number[] = [];
    for (let i = 0; i < 5; i++) {
      clock.now += 1_800_000;
      const buffer = o.get(lp, 'reading');
      sizes.push('error' in buffer ? -1 : (buffer as { value: unknown[] }).value.length);
    }
    expect(sizes).toEqual([1920, 1920, 1920, 1920, 1920]);
  });
});

describe('association, SAP, set and action', () => {
  it('object_list reflects the access of the association', () => {
    const { objects } = setup();
    const list = (level: 'public' | 'reading' | 'management') =>
      decodeObjectList(ok(objects.get({ classId: 15, obis: OBIS.currentAssociation, attribute: 2 }, level)));
    const reg = (l: ReturnType<typeof list>) => l.find((e) => e.obis === OBIS.activeEnergyImportTotal)!.accessRights.attributes.find((a) => a.id === 2)!.access;
    const clockTime = (l: ReturnType<typeof list>) => l.find((e) => e.obis === OBIS.clock)!.accessRights.attributes.find((a) => a.id === 2)!.access;
    expect(reg(list('public'))).toBe(0);
    expect(reg(list('reading'))).toBe(1);
    expect(clockTime(list('reading'))).toBe(1);
    expect(clockTime(list('management'))).toBe(3);
    const lpBuffer = list('reading').find((e) => e.obis === OBIS.loadProfile)!.accessRights.attributes.find((a) => a.id === 2)!;
    expect(lpBuffer.selectors).toEqual([1, 2]);
    expect(list('public').length).toBe(18);
    expect(ok(objects.get({ classId: 15, obis: OBIS.currentAssociation, attribute: 3 }, 'public'))).toEqual({
      type: 'structure',
      value: [
        { type: 'integer', value: 16 },
        { type: 'long-unsigned', value: 1 },
      ],
    });
    ok(objects.get({ classId: 17, obis: OBIS.sapAssignment, attribute: 2 }, 'public'));
  });

  it('clock set needs management; the clock then reads the new time', () => {
    const { meter, objects } = setup();
    const ref = { classId: 8, obis: OBIS.clock, attribute: 2 };
    const target = NOW + 90_000;
    const value: DlmsData = { type: 'octet-string', value: dtOctets(target).value };
    expect(objects.set(ref, value, 'reading')).toEqual({ error: 'read-write-denied' });
    expect(objects.set({ ...ref, attribute: 3 }, value, 'management')).toEqual({ error: 'read-write-denied' });
    expect(objects.set(ref, { type: 'unsigned', value: 1 }, 'management')).toEqual({ error: 'type-unmatched' });
    expect(objects.set(ref, value, 'management')).toEqual({ ok: true });
    expect(meter.clockAt(NOW)).toBe(target);
    expect(meter.events(NOW).map((e) => e.code)).toEqual([4, 5]);
  });

  it('shift_time and adjust_to_minute', () => {
    const { meter, objects } = setup({ now: NOW + 20_000 });
    const clock = { classId: 8, obis: OBIS.clock };
    expect(objects.action(clock, 6, { type: 'long', value: 30 }, 'reading')).toEqual({ error: 'read-write-denied' });
    expect(objects.action(clock, 6, { type: 'long', value: 30 }, 'management')).toEqual({ ok: true });
    expect(meter.clockAt(NOW + 20_000)).toBe(NOW + 50_000);
    expect(objects.action(clock, 3, { type: 'integer', value: 0 }, 'management')).toEqual({ ok: true });
    expect(meter.clockAt(NOW + 20_000)).toBe(NOW + 60_000);
    expect(objects.action(clock, 6, { type: 'long', value: 901 }, 'management')).toEqual({ error: 'other-reason' });
    expect(objects.action(clock, 42, undefined, 'management')).toEqual({ error: 'object-undefined' });
    expect(objects.action({ classId: 3, obis: OBIS.clock }, 6, undefined, 'management')).toEqual({ error: 'object-class-inconsistent' });
  });
});


describe('date-time octets by arithmetic', () => {
  it('are the bytes the axdr encoder gives', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_000_000_000_000, max: 8_000_000_000_000 }), fc.constantFrom(-420, 0, 60, -330, 600), fc.constantFrom(0, 1, 0x80), (ms, dev, status) => {
        expect(dateTimeOctets(ms, dev, status)).toEqual(encodeDateTimeBytes(cosemDateTimeFromDate(new Date(ms), dev, status)));
      }),
      { numRuns: 2000 },
    );
  });
});
