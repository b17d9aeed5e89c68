import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FLEET_FAULT_KINDS } from '../../../simulators/fleet/fleet-config.js';
import { periodEnd, periodContaining } from '../../../simulators/fleet/fleet-time.js';
import { GroundTruth, type GroundTruthFile } from '../../../simulators/fleet/ground-truth.js';
import { formatKwh } from '../../../simulators/fleet/kwh.js';
import { planFleet, type PlannedMeter } from '../../../simulators/fleet/layout.js';
import { buildFleetMeters } from '../../../simulators/fleet/meters.js';
import { exampleConfig } from './helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('ground truth', () => {
  const plan = planFleet(exampleConfig());
  const meters = buildFleetMeters(plan, () => plan.start);
  const truth = new GroundTruth(plan, meters);
  const withFault = (kind: string): PlannedMeter[] => plan.meters.filter((m) => m.faults.some((f) => f.kind === kind));
  const fault = (m: PlannedMeter) => m.faults[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'chiso-fleet-truth-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the values the meter model gives, in exact kWh', () => {
    const times = [plan.start, plan.start + 3.5 * DAY, plan.start + 20 * DAY + 17 * HOUR];
    for (const m of plan.meters.filter((_, i) => i % 7 === 0)) {
      for (const t of times) {
        const model = meters.get(m.id)!.truthAt(t);
        const v = truth.valuesAt(m.id, t).values;
        const wh = (units: number) => formatKwh(units * model.unitWh);
        expect(v.KT).toBe(wh(model.registers.importTotal));
        expect(v.VC).toBe(wh(model.registers.reactiveImport));
        // BT/CD/TD are the TOU periods, whichever tariff register the model counts them in.
        const reg = (p: 'normal' | 'peak' | 'offpeak') => model.registers[(['T1', 'T2', 'T3'] as const).find((r) => m.model.tariffMap[r] === p)!];
        expect([v.BT, v.CD, v.TD]).toEqual([wh(reg('normal')), wh(reg('peak')), wh(reg('offpeak'))]);
        expect(v.KT).toMatch(/^\d+(\.\d{1,3})?$/);
      }
    }
  });

  it('tariff registers add up to KT (a wrapped register modulo its size)', () => {
    for (const m of plan.meters) {
      const t = plan.start + 10 * DAY;
      const wh = truth.whAt(m.id, t);
      const sum = wh.BT + wh.CD + wh.TD;
      if (m.faults.some((f) => f.kind === 'rollover')) expect((sum - wh.KT) % 10 ** ((fault(m).params.digits as number) + 3)).toBe(0);
      else expect(sum).toBe(wh.KT);
    }
  });

  it('period ends: the index at local 00:00 after the reading day, and the billing snapshot for month-end reading', () => {
    const m = plan.meters.find((x) => x.faults.length === 0)!;
    const june = truth.truthAtPeriodEnd(m.id, '2025-06');
    expect(june.at).toBe('2025-07-01T00:00:00.000+07:00');
    expect(june.values).toEqual(truth.valuesAt(m.id, Date.parse('2025-07-01T00:00:00+07:00')).values);
    expect(june.snapshot!.values).toEqual(june.values);
    const snap = meters.get(m.id)!.billingSnapshotAt(Date.parse('2025-07-01T00:00:00+07:00'));
    expect(june.snapshot!.values.KT).toBe(formatKwh(snap.registers.importTotal * 10 ** m.model.scalerWh));
    // A drifting clock captures its snapshot at another true instant.
    const drifting = withFault('clock-drift')[0]!;
    const d = truth.truthAtPeriodEnd(drifting.id, Date.parse('2025-07-01T00:00:00+07:00'));
    expect(Date.parse(d.snapshot!.capturedAt)).toBeLessThan(Date.parse(d.at));
    expect(periodEnd({ year: 2025, month: 6 }, 15)).toBe(Date.parse('2025-06-16T00:00:00+07:00'));
    expect(periodContaining(Date.parse('2025-06-16T00:00:00+07:00'), 15)).toEqual({ year: 2025, month: 6 });
    expect(periodContaining(Date.parse('2025-06-16T00:00:01+07:00'), 15)).toEqual({ year: 2025, month: 7 });
  });

  it('faults show in the values: stuck stops, backwards jumps, rollover wraps at its instant, burnt freezes and goes silent', () => {
    for (const m of withFault('stuck')) {
      const at = fault(m).from!;
      expect(truth.valuesAt(m.id, at + 5 * DAY).values.KT).toBe(truth.valuesAt(m.id, at).values.KT);
      expect(truth.whAt(m.id, at).KT).toBeGreaterThan(truth.whAt(m.id, at - DAY).KT);
    }
    for (const m of withFault('backwards')) {
      const at = fault(m).from!;
      expect(truth.whAt(m.id, at).KT).toBeLessThan(truth.whAt(m.id, at - 1).KT);
      expect(truth.whAt(m.id, at).KT).toBeLessThan(50_000);
      // The energy across the jump is still counted, on both sides.
      expect(truth.meterConsumptionWh(m.id, 'KT', at - DAY, at + DAY)).toBeGreaterThan(0);
    }
    for (const m of withFault('rollover')) {
      const at = fault(m).from!;
      expect(truth.whAt(m.id, at - HOUR).KT).toBeGreaterThan(999_000_000);
      expect(truth.whAt(m.id, at + HOUR).KT).toBeLessThan(100_000);
      expect(truth.meterConsumptionWh(m.id, 'KT', at - HOUR, at + HOUR)).toBeGreaterThan(0);
    }
    for (const m of withFault('burnt')) {
      const at = fault(m).from!;
      expect(truth.valuesAt(m.id, at + DAY).values).toEqual(truth.valuesAt(m.id, at).values);
      expect(meters.get(m.id)!.faults.answersGarbage(at + 60_000)).toBe(true);
      expect(truth.isOfflineAt(m.id, at + 60_000)).toBe(false);
      expect(truth.isOfflineAt(m.id, at + 2 * HOUR)).toBe(true);
    }
    for (const m of withFault('bus-cut')) {
      const f = fault(m);
      expect([truth.isOfflineAt(m.id, f.from! - 1), truth.isOfflineAt(m.id, f.from!), truth.isOfflineAt(m.id, f.until!)]).toEqual([false, true, false]);
    }
    for (const m of withFault('tamper')) expect(meters.get(m.id)!.statusAt(fault(m).from!)).not.toBe(0);
  });

  it('an announced swap: the old meter stops and goes silent, the new one starts near 0 from the swap', () => {
    for (const old of withFault('swap')) {
      const at = fault(old).from!;
      const fresh = plan.meters.find((x) => x.replaces === old.id)!;
      expect(truth.isOfflineAt(old.id, at - 1)).toBe(false);
      expect(truth.isOfflineAt(old.id, at)).toBe(true);
      expect(truth.isOfflineAt(fresh.id, at - 1)).toBe(true);
      expect(truth.isOfflineAt(fresh.id, at)).toBe(false);
      expect(truth.whAt(old.id, at + DAY).KT).toBe(truth.whAt(old.id, at).KT);
      expect(truth.whAt(fresh.id, at).KT).toBe(fresh.initialIndexWh);
      expect(truth.whAt(fresh.id, at + DAY).KT).toBeGreaterThan(fresh.initialIndexWh);
      // The point's consumption runs on across the swap.
      const point = truth.pointConsumptionWh(old.meteringPoint, 'KT', at - DAY, at + DAY);
      expect(point).toBe(truth.meterConsumptionWh(old.id, 'KT', at - DAY, at) * old.multiplier + truth.meterConsumptionWh(fresh.id, 'KT', at, at + DAY) * fresh.multiplier);
    }
  });

  it('writes a JSON file with every meter, every fault kind with its codes, and the period-end values', () => {
    const path = join(dir, 'sub', 'ground-truth.json');
    truth.writeGroundTruth(path, { months: 2 });
    const file = JSON.parse(readFileSync(path, 'utf8')) as GroundTruthFile;
    expect(file.meters).toHaveLength(plan.meters.length);
    expect(new Set(file.meters.flatMap((m) => m.faults.map((f) => f.kind)))).toEqual(new Set(FLEET_FAULT_KINDS));
    const stuck = file.meters.find((m) => m.faults.some((f) => f.kind === 'stuck'))!;
    expect(stuck.faults[0]).toMatchObject({ kind: 'stuck', expected: ['no-advance'], until: null });
    expect(stuck.faults[0]!.from).toMatch(/\+07:00$/);
    const m = file.meters[0]!;
    expect(m.periodEnds.map((p) => p.period)).toEqual(['2025-05', '2025-06', '2025-07']);
    expect(m.periodEnds[1]!.values).toEqual(truth.truthAtPeriodEnd(m.id, '2025-06').values);
    expect(m).toMatchObject({ id: 'CTGW100001', connection: { kind: 'bus', bus: 'rs485-1', baud: 9600, hdlc: { logical: 1, physical: 17, size: 4 } }, authentication: { clientSap: 17, password: '12345678' } });
    expect(m.registers.map((r) => r.bcs)).toEqual(m.model === 'CHISO-SIM-1P' ? ['KT', 'BT', 'CD', 'TD', 'VC', null] : ['KT', 'CD', 'BT', 'TD', 'VC', null]);
  });
});
