import { DlmsError } from '../errors.js';
import { Cursor } from './cursor.js';
import type { CosemDate, CosemDateTime, CosemTime } from './types.js';

/**
 * COSEM date, time and date-time (IEC 62056-6-2 §4.1.6.1, "Date and time formats"):
 *
 *   date      = year(2, 0xFFFF n.s.) month(1) day-of-month(1) day-of-week(1)            5 bytes
 *   time      = hour(1) minute(1) second(1) hundredths(1)                              4 bytes
 *   date-time = date time deviation(int16, 0x8000 n.s.) clock-status(1, 0xFF n.s.)    12 bytes
 *
 * Every single-byte field uses 0xFF for "not specified", which we map to undefined. Other values are kept
 * as they come (0xFD/0xFE in month and day are the DST "last"/"second last" markers), so that decode then
 * encode gives back the meter's exact bytes.
 *
 * DEVIATION SIGN. The Blue Book defines deviation as "minutes of local time to UTC", meaning
 *   UTC = local time + deviation,
 * so a clock on UTC+01:00 sends -60 (0xFFC4) and Vietnam (UTC+07:00) sends -420. This is what the
 * Iskraemeco and Gurux vectors carry and how dlms-cosem reads them. `CosemDateTime.deviation` holds the
 * value exactly as on the wire, in that convention; use `utcOffsetToDeviation` / `deviationToUtcOffset`
 * when you think in ISO offsets. A meter model known to use the opposite sign must be corrected by its
 * profile before these conversions, never guessed here.
 */

const NS8 = 0xff;
const NS_YEAR = 0xffff;
const NS_DEVIATION = 0x8000;

/** Clock status bits (IEC 62056-6-2 §4.1.6.1). */
export const CLOCK_STATUS = {
  invalidValue: 0x01,
  doubtfulValue: 0x02,
  differentClockBase: 0x04,
  invalidClockStatus: 0x08,
  daylightSavingActive: 0x80,
} as const;

function opt8(v: number): number | undefined {
  return v === NS8 ? undefined : v;
}

export function decodeDateAt(c: Cursor): CosemDate {
  c.need(5, 'date');
  const year = c.u16('year');
  return {
    year: year === NS_YEAR ? undefined : year,
    month: opt8(c.u8('month')),
    dayOfMonth: opt8(c.u8('day of month')),
    dayOfWeek: opt8(c.u8('day of week')),
  };
}

export function decodeTimeAt(c: Cursor): CosemTime {
  c.need(4, 'time');
  return {
    hour: opt8(c.u8('hour')),
    minute: opt8(c.u8('minute')),
    second: opt8(c.u8('second')),
    hundredths: opt8(c.u8('hundredths')),
  };
}

export function decodeDateTimeAt(c: Cursor): CosemDateTime {
  c.need(12, 'date-time');
  const date = decodeDateAt(c);
  const time = decodeTimeAt(c);
  const raw = c.u16('deviation');
  const deviation = raw === NS_DEVIATION ? undefined : raw >= 0x8000 ? raw - 0x10000 : raw;
  return { ...date, ...time, deviation, clockStatus: opt8(c.u8('clock status')) };
}

export function decodeDateBytes(b: Uint8Array, offset = 0): CosemDate {
  return decodeDateAt(new Cursor(b, offset));
}

export function decodeTimeBytes(b: Uint8Array, offset = 0): CosemTime {
  return decodeTimeAt(new Cursor(b, offset));
}

export function decodeDateTimeBytes(b: Uint8Array, offset = 0): CosemDateTime {
  return decodeDateTimeAt(new Cursor(b, offset));
}

function field8(v: number | undefined, name: string): number {
  if (v === undefined) return NS8;
  if (!Number.isInteger(v) || v < 0 || v > 0xfe) {
    throw new DlmsError('DLMS_BAD_DATA', `${name} ${v} is not 0..254 (or undefined for "not specified")`);
  }
  return v;
}

function writeDate(out: Uint8Array, at: number, d: CosemDate): void {
  const y = d.year;
  if (y !== undefined && (!Number.isInteger(y) || y < 0 || y > 0xfffe)) {
    throw new DlmsError('DLMS_BAD_DATA', `year ${y} is not 0..65534 (or undefined for "not specified")`);
  }
  const year = y ?? NS_YEAR;
  out[at] = year >>> 8;
  out[at + 1] = year & 0xff;
  out[at + 2] = field8(d.month, 'month');
  out[at + 3] = field8(d.dayOfMonth, 'day of month');
  out[at + 4] = field8(d.dayOfWeek, 'day of week');
}

function writeTime(out: Uint8Array, at: number, t: CosemTime): void {
  out[at] = field8(t.hour, 'hour');
  out[at + 1] = field8(t.minute, 'minute');
  out[at + 2] = field8(t.second, 'second');
  out[at + 3] = field8(t.hundredths, 'hundredths');
}

export function encodeDateBytes(d: CosemDate): Uint8Array {
  const out = new Uint8Array(5);
  writeDate(out, 0, d);
  return out;
}

export function encodeTimeBytes(t: CosemTime): Uint8Array {
  const out = new Uint8Array(4);
  writeTime(out, 0, t);
  return out;
}

export function encodeDateTimeBytes(dt: CosemDateTime): Uint8Array {
  const out = new Uint8Array(12);
  writeDate(out, 0, dt);
  writeTime(out, 5, dt);
  const dev = dt.deviation;
  if (dev !== undefined && (!Number.isInteger(dev) || dev < -0x7fff || dev > 0x7fff)) {
    throw new DlmsError('DLMS_BAD_DATA', `deviation ${dev} is not -32767..32767 (or undefined for "not specified")`);
  }
  const raw = dev === undefined ? NS_DEVIATION : dev & 0xffff;
  out[9] = raw >>> 8;
  out[10] = raw & 0xff;
  out[11] = field8(dt.clockStatus, 'clock status');
  return out;
}

/** ISO-style offset (minutes local time is ahead of UTC, +420 for Vietnam) → COSEM deviation (-420). */
export function utcOffsetToDeviation(offsetMinutes: number): number {
  return offsetMinutes === 0 ? 0 : -offsetMinutes;
}

/** COSEM deviation (-60) → ISO-style offset (+60 = UTC+01:00). */
export function deviationToUtcOffset(deviation: number): number {
  return deviation === 0 ? 0 : -deviation;
}

/**
 * The wall-clock fields as if they were UTC, in ms, or undefined when a field needed for an instant is
 * not specified or out of range (DST markers, month 13, 31 February …).
 */
function wallClockMs(dt: CosemDateTime): number | undefined {
  const { year, month, dayOfMonth, hour, minute, second } = dt;
  const hundredths = dt.hundredths ?? 0;
  if (year === undefined || month === undefined || dayOfMonth === undefined) return undefined;
  if (hour === undefined || minute === undefined || second === undefined) return undefined;
  if (month < 1 || month > 12 || dayOfMonth < 1 || dayOfMonth > 31) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || hundredths > 99) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, dayOfMonth); // setUTCFullYear keeps years 0..99 literal
  if (d.getUTCMonth() !== month - 1) return undefined; // e.g. 31 February rolled over
  d.setUTCHours(hour, minute, second, hundredths * 10);
  return d.getTime();
}

/**
 * The instant a COSEM date-time denotes. Undefined when date or time fields are not specified or
 * invalid. When the deviation is not specified (0x8000: local time with no stated relation to UTC) the
 * caller must say which deviation to assume, otherwise undefined.
 */
export function cosemDateTimeToDate(dt: CosemDateTime, assumeDeviation?: number): Date | undefined {
  const local = wallClockMs(dt);
  const deviation = dt.deviation ?? assumeDeviation;
  if (local === undefined || deviation === undefined) return undefined;
  return new Date(local + deviation * 60_000); // UTC = local + deviation (see the header comment)
}

function fromWallClockMs(ms: number): CosemDateTime {
  const d = new Date(ms);
  const dow = d.getUTCDay(); // 0 = Sunday; COSEM wants 1 = Monday … 7 = Sunday
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    dayOfMonth: d.getUTCDate(),
    dayOfWeek: dow === 0 ? 7 : dow,
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    hundredths: Math.floor(d.getUTCMilliseconds() / 10),
  };
}

/**
 * The COSEM date-time for an instant, shown as local time of a clock with the given deviation (COSEM
 * sign: UTC = local + deviation, so pass -420 for UTC+07:00). Clock status defaults to 0 (all good,
 * no DST); pass CLOCK_STATUS.daylightSavingActive when the local time is summer time.
 */
export function cosemDateTimeFromDate(date: Date, deviationMinutes: number, clockStatus = 0): CosemDateTime {
  const t = date.getTime();
  if (!Number.isFinite(t)) throw new DlmsError('DLMS_BAD_DATA', 'cannot encode an invalid Date');
  return { ...fromWallClockMs(t - deviationMinutes * 60_000), deviation: deviationMinutes, clockStatus };
}

/**
 * The same clock reading `seconds` later in wall-clock terms, keeping deviation and status (profile
 * buffers give the next capture time as previous + capture period, IEC 62056-6-2 profile generic).
 * Undefined when the input has unspecified date or time fields. Day of week is recomputed only when the
 * input specified it.
 */
export function addSeconds(dt: CosemDateTime, seconds: number): CosemDateTime | undefined {
  const local = wallClockMs(dt);
  if (local === undefined || !Number.isFinite(seconds)) return undefined;
  const next = fromWallClockMs(local + seconds * 1000);
  return {
    ...next,
    dayOfWeek: dt.dayOfWeek === undefined ? undefined : next.dayOfWeek,
    hundredths: dt.hundredths === undefined ? undefined : next.hundredths,
    deviation: dt.deviation,
    clockStatus: dt.clockStatus,
  };
}
