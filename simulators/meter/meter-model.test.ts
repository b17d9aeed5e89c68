import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constantProfile } from './consumption.js';
import { MeterSimError } from './errors.js';
import { MS_PER_DAY, MS_PER_HOUR } from './local-time.js';
import { meterWithClock, vn } from './test-helpers.js';

const INSTALLED = vn(2025, 1, 6); // a Monday, local midnight

describe('registers of a flat 1 kW load (hand-checked)', () => {
  const { meter } = meterWithClock({ now: INSTALLED, profile: constantProfile(1000), initialIndexWh: 0 });

  it('one Monday: 24 kWh = 13 normal + 5 peak + 6 off-peak', () => {
    const r = meter.registersAt(INSTALLED + MS_PER_DAY);
    expect(r).toEqual({ importTotal: 24_000, T1: 13_000, T2: 5_000, T3: 6_000, exportTotal: 0, reactiveImport: Math.floor(24_000 * Math.tan(Math.acos(0.95))) });
  });

  it('counts whole Wh: 1 kW for 3.6 s is 1 Wh', () => {
    expect(meter.registersAt(INSTALLED + 3_599).importTotal).toBe(0);
    expect(meter.registersAt(INSTALLED + 3_600).importTotal).toBe(1);
    expect(meter.registersAt(INSTALLED + 10 * 3_600).T3).toBe(10); // 00:00 is off-peak
  });

  it('in 0.01 kWh units with scaler 1', () => {
    const { meter: m } = meterWithClock({ now: INSTALLED, profile: constantProfile(1000), scalerWh: 1, initialIndexWh: 12_345 });
    const t = m.truthAt(INSTALLED + MS_PER_HOUR);
    expect(t.scaler).toBe(1);
    expect(t.unitWh).toBe(10);
    expect(t.registers.importTotal).toBe(1_234 + 100);
  });

  it('follows the tariff map', () => {
    const { meter: m } = meterWithClock({ now: INSTALLED, profile: constantProfile(1000), tariffMap: { T1: 'peak', T2: 'offpeak', T3: 'normal' } });
    expect(m.registersAt(INSTALLED + MS_PER_DAY)).toMatchObject({ T1: 5_000, T2: 6_000, T3: 13_000 });
    expect(m.registerOfPeriod('normal')).toBe('T3');
  });

  it('refuses a tariff map that is not a permutation', () => {
    expect(() => meterWithClock({ now: INSTALLED, tariffMap: { T1: 'peak', T2: 'peak', T3: 'normal' } })).toThrow(MeterSimError);
    expect(() => meterWithClock({ now: INSTALLED, initialIndexWh: 100, initialTariffWh: { normal: 1, peak: 1, offpeak: 1 } })).toThrow(/adds up/);
  });
});

describe('invariants over random meters and times', () => {
  const arb = fc.record({
    seed: fc.integer({ min: 0, max: 100_000 }),
    scaler: fc.integer({ min: 0, max: 3 }),
    initial: fc.integer({ min: 0, max: 50_000_000 }),
    business: fc.boolean(),
    times: fc.array(fc.integer({ min: 0, max: 400 * MS_PER_DAY }), { minLength: 2, maxLength: 8 }),
  });

  it('tariff registers always add up to the total', () => {
    fc.assert(
      fc.property(arb, ({ seed, scaler, initial, business, times }) => {
        const { meter } = meterWithClock({ now: INSTALLED, seed, scalerWh: scaler, initialIndexWh: initial, profile: { kind: business ? 'business' : 'household' } });
        for (const dt of times) {
          const r = meter.registersAt(INSTALLED + dt);
          expect(r.T1 + r.T2 + r.T3).toBe(r.importTotal);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('every register is monotonic without faults', () => {
    fc.assert(
      fc.property(arb, ({ seed, scaler, initial, times }) => {
        const { meter } = meterWithClock({ now: INSTALLED, seed, scalerWh: scaler, initialIndexWh: initial, solar: { kwPeak: 3 } });
        let prev = meter.registersAt(INSTALLED);
        for (const dt of [...times].sort((a, b) => a - b)) {
          const r = meter.registersAt(INSTALLED + dt);
          for (const k of Object.keys(r) as (keyof typeof r)[]) expect(r[k]).toBeGreaterThanOrEqual(prev[k]);
          prev = r;
        }
      }),
      { numRuns: 40 },
    );
  });

  it('the total is the initial index plus the profile energy, to one register unit', () => {
    fc.assert(
      fc.property(arb, ({ seed, scaler, initial, times }) => {
        const { meter } = meterWithClock({ now: INSTALLED, seed, scalerWh: scaler, initialIndexWh: initial });
        const t = INSTALLED + times[0]!;
        const unit = 10 ** scaler;
        const exact = meter.profile.energyWh(INSTALLED, t) / unit;
        expect(meter.registersAt(t).importTotal - Math.floor(initial / unit)).toBe(Math.floor(exact));
      }),
      { numRuns: 40 },
    );
  });

  it('is deterministic: the same seed gives the same truth, another seed another', () => {
    const t = INSTALLED + 77 * MS_PER_DAY + 12_345;
    const a = meterWithClock({ now: t, seed: 5 }).meter.truthAt(t);
    const b = meterWithClock({ now: t, seed: 5 }).meter.truthAt(t);
    const c = meterWithClock({ now: t, seed: 6 }).meter.truthAt(t);
    expect(a).toEqual(b);
    expect(c.registers.importTotal).not.toBe(a.registers.importTotal);
  });
});

describe('billing snapshots', () => {
  const now = vn(2025, 7, 15, 12);
  const { meter } = meterWithClock({ now, seed: 21, initialIndexWh: 1_000_000 });

  it('one per month start since installation, each equal to truthAt(month start)', () => {
    const snaps = meter.billingSnapshots();
    expect(snaps.map((s) => s.stamp)).toEqual([2, 3, 4, 5, 6, 7].map((m) => vn(2025, m, 1)));
    for (const s of snaps) {
      expect(s.registers).toEqual(meter.truthAt(s.stamp).registers);
      expect(meter.billingSnapshotAt(s.stamp)).toEqual(s);
    }
  });

  it('keeps only the last billingEntries', () => {
    const { meter: m } = meterWithClock({ now, billingEntries: 3 });
    expect(m.billingSnapshots().map((s) => s.stamp)).toEqual([5, 6, 7].map((mo) => vn(2025, mo, 1)));
  });

  it('with clock drift, captures when the meter clock shows midnight', () => {
    const { meter: m } = meterWithClock({ now, clockDriftMsPerDay: 2_000 });
    const s = m.billingSnapshotAt(vn(2025, 7, 1));
    expect(m.clockAt(s.capturedAt)).toBe(vn(2025, 7, 1));
    expect(s.capturedAt).toBeLessThan(vn(2025, 7, 1)); // a fast clock reaches midnight early
    expect(s.registers).toEqual(m.truthAt(s.capturedAt).registers);
  });
});

describe('load profile', () => {
  const now = vn(2025, 4, 20, 13, 47);

  it('40 days of 30-minute rows, aligned, whose differences are the energy of each interval', () => {
    const { meter } = meterWithClock({ now, seed: 8 });
    const rows = meter.loadProfileRows();
    expect(rows.length).toBe(40 * 48);
    expect(rows.at(-1)!.stamp).toBe(vn(2025, 4, 20, 13, 30));
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1]!;
      const b = rows[i]!;
      expect(b.stamp - a.stamp).toBe(1_800_000);
      const truthDiff = meter.truthAt(b.stamp).registers.importTotal - meter.truthAt(a.stamp).registers.importTotal;
      expect(b.importTotal - a.importTotal).toBe(truthDiff);
      const energy = meter.profile.energyWh(a.stamp, b.stamp);
      expect(Math.abs(b.importTotal - a.importTotal - energy)).toBeLessThan(1);
    }
  });

  it('60-minute period and a shorter window; reads later add only the new rows', () => {
    const { meter, clock } = meterWithClock({ now, loadProfile: { capturePeriodS: 3600, days: 10 } });
    expect(meter.loadProfileRows().length).toBe(240);
    clock.now += 2 * MS_PER_HOUR;
    const rows = meter.loadProfileRows();
    expect(rows.length).toBe(240);
    expect(rows.at(-1)!.stamp).toBe(vn(2025, 4, 20, 15));
    expect(rows.at(-1)!.importTotal).toBe(meter.registersAt(vn(2025, 4, 20, 15)).importTotal);
  });

  it('starts at installation', () => {
    const { meter } = meterWithClock({ now: INSTALLED + 5 * MS_PER_HOUR + 1 });
    expect(meter.loadProfileRows().map((r) => r.stamp)).toEqual(Array.from({ length: 10 }, (_, i) => INSTALLED + (i + 1) * 1_800_000));
  });

  it('refuses a capture period that does not divide a day', () => {
    expect(() => meterWithClock({ now, loadProfile: { capturePeriodS: 7 * 60 } })).toThrow(MeterSimError);
  });
});

describe('other registers and the clock', () => {
  it('export counts solar generation, reactive follows the power factor', () => {
    const now = vn(2025, 3, 1);
    const { meter } = meterWithClock({ now, solar: { kwPeak: 2 }, powerFactor: 0.8 });
    const r = meter.registersAt(now);
    expect(r.exportTotal).toBeGreaterThan(0);
    expect(r.reactiveImport / r.importTotal).toBeCloseTo(0.75, 3);
  });

  it('drifts the clock by ms per day', () => {
    const { meter } = meterWithClock({ now: INSTALLED, clockDriftMsPerDay: 1_000 });
    expect(meter.clockAt(INSTALLED + 10 * MS_PER_DAY) - (INSTALLED + 10 * MS_PER_DAY)).toBe(10_000);
  });

  it('clock setting steps the clock and logs old/new time events', () => {
    const { meter } = meterWithClock({ now: INSTALLED + MS_PER_DAY, clockDriftMsPerDay: 5_000 });
    const at = INSTALLED + MS_PER_DAY;
    meter.setClock(at, at);
    expect(meter.clockAt(at)).toBe(at);
    expect(meter.events().map((e) => [e.code, e.stamp])).toEqual([
      [4, at + 5_000],
      [5, at],
    ]);
  });
});
