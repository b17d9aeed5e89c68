import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { estimateRead, estimatesInARow, onFailedRead, MAX_ESTIMATES_IN_A_ROW } from './estimate.js';
import { consumption } from './consumption.js';
import { CmisError } from '../cmis/errors.js';

describe('estimateRead (tạm tính)', () => {
  it('averages SLUONG_1..3 for a period as long as the recent ones', () => {
    const r = estimateRead({ oldIndex: '12345.6', days: 30, basis: { kind: 'recent', consumptions: ['152', '148', '160'] } });
    expect(r).toEqual({ estimated: true, status: '', consumption: '153', newIndex: '12498.6', kwhPerDay: '5.1111', periodsUsed: 3 });
  });

  it('uses the daily average × the days when the recent periods have known lengths', () => {
    // 450 kWh over 90 days = 5 kWh/day; a 47-day period → 235 kWh.
    const r = estimateRead({ oldIndex: '4821', days: 47, basis: { kind: 'recent', consumptions: ['150', '140', '160'], periodDays: [30, 29, 31] } });
    expect(r).toMatchObject({ consumption: '235', newIndex: '5056', kwhPerDay: '5.0000' });
    expect(estimateRead({ oldIndex: '4821', days: 31, basis: { kind: 'daily', kwhPerDay: '4.5' } })).toMatchObject({ consumption: '140', newIndex: '4961' });
  });

  it('skips empty periods and refuses an estimate without any history', () => {
    expect(estimateRead({ oldIndex: '100', days: 30, basis: { kind: 'recent', consumptions: ['90', '', null] } })).toMatchObject({ consumption: '90', periodsUsed: 1 });
    expect(() => estimateRead({ oldIndex: '100', days: 30, basis: { kind: 'recent', consumptions: ['', undefined] } })).toThrow(
      expect.objectContaining({ code: 'CMIS_NO_HISTORY' }),
    );
  });

  it('turns kWh into an index advance through HSN, consistent with consumption()', () => {
    // 19 560 kWh on a CT meter with HSN 40: 489 index units.
    const r = estimateRead({ oldIndex: '1873.05', multiplier: 40, days: 30, basis: { kind: 'recent', consumptions: ['19560', '19320', '20040'] } });
    expect(r).toMatchObject({ consumption: '19640', newIndex: '2364.05' });
    expect(consumption({ oldIndex: '1873.05', newIndex: r.newIndex, multiplier: 40 }).consumption).toBe(r.consumption);
  });

  it('wraps past the register and marks it Q when the register digits are known', () => {
    const r = estimateRead({ oldIndex: '99990', days: 30, registerDigits: 5, basis: { kind: 'recent', consumptions: ['184'] } });
    expect(r).toMatchObject({ status: 'Q', newIndex: '174', consumption: '184' });
    expect(consumption({ oldIndex: '99990', newIndex: r.newIndex, multiplier: 1, status: 'Q' }).consumption).toBe('184');
  });

  it('the estimated index always bills the estimated consumption (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.constantFrom(0, 1, 2),
        fc.constantFrom('1', '40', '80', '2.5'),
        fc.array(fc.integer({ min: 0, max: 50_000 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 62 }),
        (units, scale, hsn, recent, days) => {
          const oldIndex = (units / 10 ** scale).toFixed(scale);
          const r = estimateRead({ oldIndex, multiplier: hsn, days, basis: { kind: 'recent', consumptions: recent.map(String) } });
          expect(consumption({ oldIndex, newIndex: r.newIndex, multiplier: hsn }).consumption).toBe(r.consumption);
        },
      ),
    );
  });

  it('refuses bad arguments', () => {
    expect(() => estimateRead({ oldIndex: '1', days: 0, basis: { kind: 'daily', kwhPerDay: 1 } })).toThrow(CmisError);
    expect(() => estimateRead({ oldIndex: '1', days: 30, basis: { kind: 'recent', consumptions: ['1', '2'], periodDays: [30] } })).toThrow(CmisError);
  });
});

describe('at most 2 estimated periods in a row', () => {
  it('counts the trailing estimated periods', () => {
    expect(estimatesInARow([])).toBe(0);
    expect(estimatesInARow([true, false, true, true])).toBe(2);
    expect(estimatesInARow([true, true, false])).toBe(0);
  });

  it('estimates the 1st and 2nd failed read, sends the 3rd to the field', () => {
    expect(MAX_ESTIMATES_IN_A_ROW).toBe(2);
    expect(onFailedRead([])).toEqual({ action: 'estimate', estimateNumber: 1 });
    expect(onFailedRead([false, true])).toEqual({ action: 'estimate', estimateNumber: 2 });
    const third = onFailedRead([false, true, true]);
    expect(third).toMatchObject({ action: 'field-read' });
    expect(third.action === 'field-read' && third.reason.en).toBe('2 periods in a row were estimated: this period must be read in the field');
    expect(onFailedRead(5).action).toBe('field-read');
    expect(onFailedRead([true, true, false]).action).toBe('estimate');
  });
});
