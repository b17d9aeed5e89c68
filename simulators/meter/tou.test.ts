import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constantProfile, householdProfile } from './consumption.js';
import { MeterSimError } from './errors.js';
import { MS_PER_DAY } from './local-time.js';
import { TOU_2014, TOU_2026, TouCalendar, periodAtLocal, withValidFrom } from './tou.js';

/** Instant of a Vietnam local wall-clock time. */
const vn = (y: number, mo: number, d: number, h = 0, mi = 0): number => Date.UTC(y, mo - 1, d, h, mi) - 7 * 3_600_000;

describe('2014 schedule (DOMAIN.md)', () => {
  const cal = new TouCalendar([TOU_2014]);
  it.each([
    ['Mon 09:29', vn(2025, 1, 6, 9, 29), 'normal'],
    ['Mon 09:30', vn(2025, 1, 6, 9, 30), 'peak'],
    ['Mon 11:29', vn(2025, 1, 6, 11, 29), 'peak'],
    ['Mon 11:30', vn(2025, 1, 6, 11, 30), 'normal'],
    ['Mon 17:00', vn(2025, 1, 6, 17, 0), 'peak'],
    ['Mon 19:59', vn(2025, 1, 6, 19, 59), 'peak'],
    ['Mon 20:00', vn(2025, 1, 6, 20, 0), 'normal'],
    ['Mon 22:00', vn(2025, 1, 6, 22, 0), 'offpeak'],
    ['Tue 03:59', vn(2025, 1, 7, 3, 59), 'offpeak'],
    ['Tue 04:00', vn(2025, 1, 7, 4, 0), 'normal'],
    ['Sat 10:00', vn(2025, 1, 11, 10, 0), 'peak'],
    ['Sun 10:00', vn(2025, 1, 12, 10, 0), 'normal'],
    ['Sun 18:00', vn(2025, 1, 12, 18, 0), 'normal'],
    ['Sun 23:00', vn(2025, 1, 12, 23, 0), 'offpeak'],
  ] as const)('%s is %s', (_name, t, period) => {
    expect(cal.periodAt(t)).toBe(period);
  });

  it('splits a flat 1 kW weekday into 5 h peak, 6 h off-peak, 13 h normal; Sunday has no peak', () => {
    const p = constantProfile(1000);
    expect(cal.splitMwh(p, vn(2025, 1, 6), vn(2025, 1, 7))).toEqual({ normal: 13_000_000, peak: 5_000_000, offpeak: 6_000_000 });
    expect(cal.splitMwh(p, vn(2025, 1, 12), vn(2025, 1, 13))).toEqual({ normal: 18_000_000, peak: 0, offpeak: 6_000_000 });
  });
});

describe('2026 schedule', () => {
  it('peak Mon–Sat 17:30–22:30, off-peak 00:00–06:00', () => {
    expect(periodAtLocal(TOU_2026, 1, 17 * 60 + 29)).toBe('normal');
    expect(periodAtLocal(TOU_2026, 1, 17 * 60 + 30)).toBe('peak');
    expect(periodAtLocal(TOU_2026, 6, 22 * 60 + 29)).toBe('peak');
    expect(periodAtLocal(TOU_2026, 6, 22 * 60 + 30)).toBe('normal');
    expect(periodAtLocal(TOU_2026, 7, 18 * 60)).toBe('normal');
    expect(periodAtLocal(TOU_2026, 3, 5 * 60 + 59)).toBe('offpeak');
    expect(periodAtLocal(TOU_2026, 3, 6 * 60)).toBe('normal');
    expect(periodAtLocal(TOU_2026, 3, 23 * 60)).toBe('normal');
  });

  it('takes over on its validFrom day, at local midnight', () => {
    const cal = new TouCalendar([TOU_2014, withValidFrom(TOU_2026, '2026-07-01')]);
    expect(cal.periodAt(vn(2026, 6, 30, 10, 0))).toBe('peak'); // Tuesday, 2014 rules
    expect(cal.periodAt(vn(2026, 6, 30, 23, 59))).toBe('offpeak');
    expect(cal.periodAt(vn(2026, 7, 1, 0, 0))).toBe('offpeak'); // Wednesday, 2026 rules
    expect(cal.periodAt(vn(2026, 7, 1, 10, 0))).toBe('normal');
    expect(cal.periodAt(vn(2026, 7, 1, 21, 0))).toBe('peak');
    expect(cal.scheduleOn(Math.floor(vn(2026, 7, 1, 12) / MS_PER_DAY))).toBe(cal.scheduleOn(Math.floor(vn(2026, 8, 1, 12) / MS_PER_DAY)));
  });
});

describe('split over any interval', () => {
  it('the three periods add up exactly to the energy', () => {
    const cal = new TouCalendar([TOU_2014, withValidFrom(TOU_2026, '2025-03-01')]);
    const base = vn(2025, 1, 1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 120 * MS_PER_DAY }), fc.integer({ min: 0, max: 20 * MS_PER_DAY }), (seed, a, len) => {
        const p = householdProfile({ seed });
        const s = cal.splitMwh(p, base + a, base + a + len);
        expect(s.normal + s.peak + s.offpeak).toBe(p.energyMwh(base + a, base + a + len));
      }),
      { numRuns: 50 },
    );
  });

  it('refuses malformed schedules', () => {
    expect(() => new TouCalendar([{ name: 'x', validFrom: '2025-01-01', windows: [{ days: [1], from: '25:00', to: '26:00', period: 'peak' }] }])).toThrow(MeterSimError);
    expect(() => new TouCalendar([{ name: 'x', validFrom: '2025-1-1', windows: [] }])).toThrow(/YYYY-MM-DD/);
    expect(() => new TouCalendar([])).toThrow(MeterSimError);
  });
});
