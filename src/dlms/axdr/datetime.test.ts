import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/bytes.js';
import { isDlmsError } from '../errors.js';
import {
  CLOCK_STATUS,
  addSeconds,
  cosemDateTimeFromDate,
  cosemDateTimeToDate,
  decodeDateBytes,
  decodeDateTimeBytes,
  decodeTimeBytes,
  deviationToUtcOffset,
  encodeDateBytes,
  encodeDateTimeBytes,
  encodeTimeBytes,
  utcOffsetToDeviation,
} from './datetime.js';

describe('COSEM date-time bytes', () => {
  it('decodes the ISK clock, with an offset', () => {
    const b = fromHex('AAAA07E50603040E091700FFC400');
    expect(decodeDateTimeBytes(b, 2)).toEqual({
      year: 2021,
      month: 6,
      dayOfMonth: 3,
      dayOfWeek: 4,
      hour: 14,
      minute: 9,
      second: 23,
      hundredths: 0,
      deviation: -60,
      clockStatus: 0,
    });
  });

  it('maps every "not specified" marker to undefined and back', () => {
    const b = fromHex('FFFFFFFFFFFFFFFFFF8000FF');
    const dt = decodeDateTimeBytes(b);
    expect(Object.values(dt).every((v) => v === undefined)).toBe(true);
    expect(Object.keys(dt)).toHaveLength(10);
    expect(toHex(encodeDateTimeBytes({}))).toBe('FFFFFFFFFFFFFFFFFF8000FF');
  });

  it('keeps the DST markers 0xFD/0xFE of month and day', () => {
    expect(decodeDateBytes(fromHex('FFFFFEFD07'))).toEqual({ year: undefined, month: 0xfe, dayOfMonth: 0xfd, dayOfWeek: 7 });
    expect(toHex(encodeDateBytes({ month: 0xfe, dayOfMonth: 0xfd, dayOfWeek: 7 }))).toBe('FFFFFEFD07');
  });

  it('encodes date and time', () => {
    expect(toHex(encodeDateBytes({ year: 2024, month: 11, dayOfMonth: 21 }))).toBe('07E80B15FF');
    expect(toHex(encodeTimeBytes({ hour: 8, minute: 30, second: 15, hundredths: 23 }))).toBe('081E0F17');
    expect(decodeTimeBytes(fromHex('081E0F17'))).toEqual({ hour: 8, minute: 30, second: 15, hundredths: 23 });
  });

  it('encodes positive and negative deviations as int16', () => {
    expect(toHex(encodeDateTimeBytes({ deviation: 120 })).slice(18, 22)).toBe('0078');
    expect(toHex(encodeDateTimeBytes({ deviation: -420 })).slice(18, 22)).toBe('FE5C');
  });

  it('truncated bytes are DLMS_TRUNCATED', () => {
    let err: unknown;
    try {
      decodeDateTimeBytes(fromHex('07E50603040E091700FFC4'));
    } catch (e) {
      err = e;
    }
    expect(isDlmsError(err, 'DLMS_TRUNCATED')).toBe(true);
  });
});

describe('deviation sign (UTC = local + deviation)', () => {
  it('converts between ISO offsets and COSEM deviation', () => {
    expect(utcOffsetToDeviation(420)).toBe(-420);
    expect(deviationToUtcOffset(-60)).toBe(60);
    expect(Object.is(utcOffsetToDeviation(0), 0)).toBe(true);
  });

  it('Vietnam: 2024-11-21 12:30 local (UTC+7, deviation -420) is 05:30 UTC', () => {
    const dt = { year: 2024, month: 11, dayOfMonth: 21, hour: 12, minute: 30, second: 0, hundredths: 0, deviation: -420 };
    expect(cosemDateTimeToDate(dt)?.toISOString()).toBe('2024-11-21T05:30:00.000Z');
  });

  it('cosemDateTimeFromDate shows the instant as local time and fills day of week', () => {
    const dt = cosemDateTimeFromDate(new Date('2024-11-20T23:30:15.678Z'), -420, CLOCK_STATUS.daylightSavingActive);
    expect(dt).toEqual({
      year: 2024,
      month: 11,
      dayOfMonth: 21,
      dayOfWeek: 4, // Thursday
      hour: 6,
      minute: 30,
      second: 15,
      hundredths: 67,
      deviation: -420,
      clockStatus: 0x80,
    });
    expect(cosemDateTimeFromDate(new Date('2024-11-24T00:00:00Z'), 0).dayOfWeek).toBe(7); // Sunday
  });

  it('gives undefined for unspecified or impossible fields', () => {
    const base = { year: 2023, month: 2, dayOfMonth: 28, hour: 0, minute: 0, second: 0, deviation: 0 };
    expect(cosemDateTimeToDate(base)?.toISOString()).toBe('2023-02-28T00:00:00.000Z');
    expect(cosemDateTimeToDate({ ...base, dayOfMonth: 29 })).toBeUndefined();
    expect(cosemDateTimeToDate({ ...base, month: 0xfe })).toBeUndefined();
    expect(cosemDateTimeToDate({ ...base, year: undefined })).toBeUndefined();
    expect(cosemDateTimeToDate({ ...base, hour: 24 })).toBeUndefined();
    expect(cosemDateTimeToDate({ ...base, deviation: undefined })).toBeUndefined();
  });
});

describe('addSeconds', () => {
  it('rolls over the year and recomputes day of week', () => {
    const dt = decodeDateTimeBytes(fromHex('07E30C1F0217000000FFC400'));
    expect(addSeconds(dt, 3600)).toEqual({
      year: 2020,
      month: 1,
      dayOfMonth: 1,
      dayOfWeek: 3,
      hour: 0,
      minute: 0,
      second: 0,
      hundredths: 0,
      deviation: -60,
      clockStatus: 0,
    });
  });

  it('keeps unspecified day of week and hundredths unspecified', () => {
    const r = addSeconds({ year: 2020, month: 1, dayOfMonth: 1, hour: 0, minute: 3, second: 0 }, 900);
    expect(r).toMatchObject({ minute: 18, dayOfWeek: undefined, hundredths: undefined });
  });

  it('is undefined when the start is not a full date-time', () => {
    expect(addSeconds({ year: 2020, month: 1, dayOfMonth: 1 }, 60)).toBeUndefined();
  });
});
