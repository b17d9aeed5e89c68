import { cosemDateTimeFromDate, encodeDateTimeBytes } from '../../src/dlms/axdr/datetime.js';
import type { DlmsData } from '../../src/dlms/axdr/types.js';
import { CLASS_ID, CLOCK, DATA, REGISTER } from '../../src/dlms/cosem/classes.js';
import type { CaptureObject } from '../../src/dlms/cosem/capture-object.js';
import { OBIS } from '../../src/dlms/cosem/obis.js';
import { MS_PER_DAY, MS_PER_MINUTE, civilFromDays, dayOfWeekOfLocalDay } from './local-time.js';
import type { SimulatedMeter } from './meter-model.js';
import { EVENT_CODE_OBIS, PROFILE_STATUS_OBIS, REGISTER_OBIS } from './object-table.js';

/**
 * The three Profile Generic objects seen as tables: capture objects (columns), and rows that are built
 * only when asked for. `stamps` carries each row's clock so a range selection can pick rows before any
 * of them is encoded (a 40-day load profile is ~1 900 rows; a daily poll wants the last 48).
 */
export interface ProfileView {
  captureObjects: readonly CaptureObject[];
  /** capture_period, s (0 = captured on an event or a schedule, not periodically). */
  capturePeriodS: number;
  /** profile_entries: how many rows the buffer can hold. */
  capacity: number;
  /** Clock (meter time, ms) of each row, oldest first. */
  stamps: readonly number[];
  row(i: number): DlmsData[];
}

const col = (classId: number, obis: CaptureObject['obis'], attribute: number): CaptureObject => ({ classId, obis, attribute, dataIndex: 0 });

const CLOCK_COLUMN = col(CLASS_ID.clock, OBIS.clock, CLOCK.attr.time);

export const BILLING_COLUMNS: readonly CaptureObject[] = [
  CLOCK_COLUMN,
  ...Object.values(REGISTER_OBIS).map((o) => col(CLASS_ID.register, o, REGISTER.attr.value)),
];

export const LOAD_PROFILE_COLUMNS: readonly CaptureObject[] = [
  CLOCK_COLUMN,
  col(CLASS_ID.data, PROFILE_STATUS_OBIS, DATA.attr.value),
  col(CLASS_ID.register, REGISTER_OBIS.importTotal, REGISTER.attr.value),
  col(CLASS_ID.register, REGISTER_OBIS.exportTotal, REGISTER.attr.value),
];

export const EVENT_LOG_COLUMNS: readonly CaptureObject[] = [CLOCK_COLUMN, col(CLASS_ID.data, EVENT_CODE_OBIS, DATA.attr.value)];

/** A register value as the meter types it: double-long-unsigned, long64-unsigned past 2^32 − 1. */
export function registerData(v: number): DlmsData {
  return v <= 0xffffffff ? { type: 'double-long-unsigned', value: v } : { type: 'long64-unsigned', value: BigInt(v) };
}

/**
 * The meter's clock reading `stamp` as octet-string(12) with its deviation and status (IEC 62056-6-2
 * §4.1.6.1), the same bytes as encodeDateTimeBytes(cosemDateTimeFromDate(...)) but by arithmetic: a
 * 40-day load profile writes ~1 900 of them per read, and Date's getters were most of that time.
 */
export function dateTimeOctets(stamp: number, deviation: number, clockStatus = 0): Uint8Array {
  if (!Number.isFinite(stamp) || !Number.isInteger(deviation) || Math.abs(deviation) > 0x7fff) {
    return encodeDateTimeBytes(cosemDateTimeFromDate(new Date(stamp), deviation, clockStatus)); // its checks and errors
  }
  const local = stamp - deviation * MS_PER_MINUTE;
  const day = Math.floor(local / MS_PER_DAY);
  const ms = local - day * MS_PER_DAY;
  const { year, month, day: dom } = civilFromDays(day);
  if (year < 0 || year > 0xfffe) return encodeDateTimeBytes(cosemDateTimeFromDate(new Date(stamp), deviation, clockStatus));
  const out = new Uint8Array(12);
  out[0] = year >>> 8;
  out[1] = year & 0xff;
  out[2] = month;
  out[3] = dom;
  out[4] = dayOfWeekOfLocalDay(day);
  out[5] = Math.floor(ms / 3_600_000);
  out[6] = Math.floor(ms / 60_000) % 60;
  out[7] = Math.floor(ms / 1000) % 60;
  out[8] = Math.floor((ms % 1000) / 10);
  const dev = deviation & 0xffff;
  out[9] = dev >>> 8;
  out[10] = dev & 0xff;
  out[11] = clockStatus;
  return out;
}

/** The meter's clock reading `stamp` as the octet-string(12) a date-time attribute carries. */
export function clockData(meter: SimulatedMeter, stamp: number, clockStatus = 0): DlmsData {
  return { type: 'octet-string', value: dateTimeOctets(stamp, meter.deviation, clockStatus) };
}

export function billingView(meter: SimulatedMeter, t: number): ProfileView {
  const snaps = meter.billingSnapshots(t);
  return {
    captureObjects: BILLING_COLUMNS,
    capturePeriodS: 0,
    capacity: meter.billingEntries,
    stamps: snaps.map((s) => s.stamp),
    row: (i) => {
      const s = snaps[i]!;
      const r = s.registers;
      return [
        clockData(meter, s.stamp, meter.clockStatusAt(s.capturedAt)),
        ...[r.importTotal, r.T1, r.T2, r.T3, r.exportTotal, r.reactiveImport].map(registerData),
      ];
    },
  };
}

export function loadProfileView(meter: SimulatedMeter, t: number): ProfileView {
  const rows = meter.loadProfileRows(t);
  return {
    captureObjects: LOAD_PROFILE_COLUMNS,
    capturePeriodS: meter.capturePeriodS,
    capacity: (meter.loadProfileDays * 86_400) / meter.capturePeriodS,
    stamps: rows.map((r) => r.stamp),
    row: (i) => {
      const r = rows[i]!;
      return [
        clockData(meter, r.stamp, meter.clockStatusAt(r.capturedAt)),
        { type: 'unsigned', value: r.status },
        registerData(r.importTotal),
        registerData(r.exportTotal),
      ];
    },
  };
}

export function eventLogView(meter: SimulatedMeter, t: number): ProfileView {
  const events = meter.events(t);
  return {
    captureObjects: EVENT_LOG_COLUMNS,
    capturePeriodS: 0,
    capacity: meter.eventEntries,
    stamps: events.map((e) => e.stamp),
    row: (i) => {
      const e = events[i]!;
      return [clockData(meter, e.stamp, meter.clockStatusAt(e.at)), { type: 'unsigned', value: e.code }];
    },
  };
}
