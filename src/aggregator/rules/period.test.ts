import { describe, it, expect } from 'vitest';
import { billingPeriod } from './period.js';
import { normalizeLocalDateTime, parseLocalDateTime, toLocalDate } from './local-time.js';
import { CmisError } from '../cmis/errors.js';

describe('billingPeriod', () => {
  it('covers the day after the previous read to the read day', () => {
    expect(billingPeriod('2017-06-14T00:00:00', '2017-07-14T00:00:00')).toEqual({ start: '2017-06-15', end: '2017-07-14', days: 30 });
  });

  it('bills more days in the month of the move to month-end reading, then calendar months', () => {
    expect(billingPeriod('2017-06-14', '2017-07-31')).toEqual({ start: '2017-06-15', end: '2017-07-31', days: 47 });
    expect(billingPeriod('2017-07-31', '2017-08-31')).toEqual({ start: '2017-08-01', end: '2017-08-31', days: 31 });
    expect(billingPeriod('2024-01-31', '2024-02-29')).toEqual({ start: '2024-02-01', end: '2024-02-29', days: 29 });
  });

  it('counts local days in UTC+7: an instant late in the UTC day is already the next local day', () => {
    // 2017-07-31T17:30Z is 00:30 on 1 August in Hà Nội.
    expect(billingPeriod(new Date('2017-06-30T10:00:00Z'), new Date('2017-07-31T17:30:00Z'))).toEqual({ start: '2017-07-01', end: '2017-08-01', days: 32 });
    expect(toLocalDate('2017-07-31T20:00:00-05:00')).toEqual({ year: 2017, month: 8, day: 1 });
  });

  it('refuses a read not after the previous one', () => {
    expect(() => billingPeriod('2017-07-14', '2017-07-14')).toThrow(CmisError);
    expect(() => billingPeriod('2017-07-14', '2017-02-30')).toThrow(/day out of range/);
  });
});

describe('local date/time as CMIS writes it', () => {
  it('normalises to local ISO without offset', () => {
    expect(normalizeLocalDateTime('2017-07-14')).toBe('2017-07-14T00:00:00');
    expect(normalizeLocalDateTime('2017-07-14T00:00:00+07:00')).toBe('2017-07-14T00:00:00');
    expect(normalizeLocalDateTime('2017-07-13T17:00:00Z')).toBe('2017-07-14T00:00:00');
    expect(normalizeLocalDateTime('2017-07-14T08:30:00.0000000')).toBe('2017-07-14T08:30:00');
    expect(parseLocalDateTime('2017-07-14T08:30:00.250').fraction).toBe('25');
    expect(() => normalizeLocalDateTime('14/07/2017')).toThrow(CmisError);
  });
});
