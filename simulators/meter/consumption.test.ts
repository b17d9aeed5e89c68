import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntegratedProfile, businessProfile, constantProfile, householdProfile } from './consumption.js';
import { MS_PER_DAY, MS_PER_HOUR, localDayOf, localDayStart, monthOfLocalDay } from './local-time.js';

const T0 = Date.UTC(2025, 0, 5, 17, 0, 0); // 2025-01-06 00:00 local (UTC+7), a Monday
const YEAR = 365 * MS_PER_DAY;

describe('constant profile (hand-checked)', () => {
  const p = constantProfile(1000);
  it('gives watts × hours', () => {
    expect(p.energyWh(T0, T0 + MS_PER_HOUR)).toBe(1000);
    expect(p.energyWh(T0, T0 + 90 * 60_000)).toBe(1500);
    expect(p.energyWh(T0, T0 + MS_PER_DAY)).toBe(24_000);
    expect(p.energyMwh(T0 + 1, T0 + 1)).toBe(0);
    expect(p.energyMwh(T0 + 10, T0)).toBe(0);
  });
});

describe('household profile', () => {
  it('is additive at any cut, exactly (integer mWh)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: YEAR }), fc.integer({ min: 0, max: YEAR }), fc.integer({ min: 0, max: YEAR }), (seed, a, b, c) => {
        const [x, y, z] = [a, b, c].sort((u, v) => u - v) as [number, number, number];
        const p = householdProfile({ seed });
        const whole = p.energyMwh(T0 + x, T0 + z);
        expect(Number.isInteger(whole)).toBe(true);
        expect(p.energyMwh(T0 + x, T0 + y) + p.energyMwh(T0 + y, T0 + z)).toBe(whole);
      }),
      { numRuns: 60 },
    );
  });

  it('is deterministic: same seed same energy, other seed other energy', () => {
    const e = (seed: number): number => householdProfile({ seed }).energyMwh(T0, T0 + 30 * MS_PER_DAY);
    expect(e(42)).toBe(e(42));
    expect(e(42)).not.toBe(e(43));
  });

  it('matches the hours summed by hand, with the even spread inside an hour', () => {
    const p = householdProfile({ seed: 9 });
    const day = localDayOf(T0, 420);
    let sum = 0;
    for (let h = 0; h < 24; h++) sum += p.hourMwh(day, h);
    expect(p.dayMwh(day)).toBe(sum);
    expect(p.energyMwh(T0, T0 + MS_PER_DAY)).toBe(sum);
    const h19 = p.hourMwh(day, 19);
    expect(p.energyMwh(T0 + 19 * MS_PER_HOUR, T0 + 19.5 * MS_PER_HOUR)).toBe(Math.floor(h19 / 2));
  });

  it('has an evening peak over the night, about 7 kWh a day, more in June than in January', () => {
    const p = householdProfile({ seed: 1, dayVariation: 0, hourVariation: 0 });
    const monday = localDayOf(T0, 420);
    expect(p.hourMwh(monday, 19)).toBeGreaterThan(3 * p.hourMwh(monday, 3));
    expect(p.dayMwh(monday)).toBe(Math.round(p.dayMwh(monday)));
    expect(p.dayMwh(monday) / 1e6).toBeCloseTo(7 * 0.85, 1); // January factor
    const june = localDayOf(Date.UTC(2025, 5, 2), 420); // a Monday
    expect(p.dayMwh(june)).toBeGreaterThan(p.dayMwh(monday));
    expect(p.dayMwh(monday + 5)).toBeGreaterThan(p.dayMwh(monday)); // Saturday ×1.1
  });

  it('scales per meter', () => {
    const a = householdProfile({ seed: 5 }).energyMwh(T0, T0 + 7 * MS_PER_DAY);
    const b = householdProfile({ seed: 5, scale: 2 }).energyMwh(T0, T0 + 7 * MS_PER_DAY);
    expect(b / a).toBeCloseTo(2, 3);
  });

  it('costs O(days): each day is computed once however often it is asked', () => {
    let calls = 0;
    const inner = householdProfile({ seed: 3 });
    const p = new IntegratedProfile((day) => {
      calls++;
      return Array.from({ length: 24 }, (_, h) => inner.hourMwh(day, h));
    });
    const days = 3 * 365;
    p.energyMwh(T0, T0 + days * MS_PER_DAY);
    expect(calls).toBeLessThanOrEqual(days + 2);
    const before = calls;
    for (let i = 0; i < 10_000; i++) p.energyMwh(T0, T0 + days * MS_PER_DAY - i * 60_000);
    expect(calls - before).toBeLessThanOrEqual(2);
  });

  it('gives the same energy whichever day was asked first (re-anchoring is exact)', () => {
    const a = householdProfile({ seed: 11 });
    const b = householdProfile({ seed: 11 });
    a.energyMwh(T0 + 200 * MS_PER_DAY, T0 + 201 * MS_PER_DAY);
    expect(a.energyMwh(T0, T0 + 300 * MS_PER_DAY + 12345)).toBe(b.energyMwh(T0, T0 + 300 * MS_PER_DAY + 12345));
  });
});

describe('business profile', () => {
  it('loads weekday working hours, little on Sunday', () => {
    const p = businessProfile({ seed: 2, dayVariation: 0, hourVariation: 0 });
    const monday = localDayOf(T0, 420);
    expect(Math.abs(p.hourMwh(monday, 10) - 10 * p.hourMwh(monday, 2))).toBeLessThanOrEqual(10); // rounding of each hour
    expect(p.dayMwh(monday + 6)).toBeLessThan(p.dayMwh(monday) / 4);
  });
});

describe('local time helpers', () => {
  it('months of day numbers agree with Date', () => {
    for (let d = -800; d < 40_000; d += 7) expect(monthOfLocalDay(d)).toBe(new Date(d * MS_PER_DAY).getUTCMonth() + 1);
  });
  it('local day starts at 00:00 UTC+7', () => {
    expect(localDayStart(localDayOf(T0, 420), 420)).toBe(T0);
  });
});
