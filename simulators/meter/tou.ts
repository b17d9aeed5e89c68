import type { ConsumptionProfile } from './consumption.js';
import { MeterSimError } from './errors.js';
import {
  MS_PER_MINUTE,
  VIETNAM_UTC_OFFSET_MINUTES,
  dayOfWeekOfLocalDay,
  localDayOf,
  localDayOfIsoDate,
  localDayStart,
} from './local-time.js';

/**
 * Time-of-use schedules as dated data (DOMAIN.md "Time-of-use periods"). Both the schedule in force for
 * bills since 2014 and the one announced in 2026 exist; which applies when is a setting (`validFrom`),
 * never code. A schedule takes effect at local 00:00 of its validFrom day and stays until the next one.
 */

export type TouPeriod = 'normal' | 'peak' | 'offpeak';
export const TOU_PERIODS: readonly TouPeriod[] = ['normal', 'peak', 'offpeak'];

export interface TouWindow {
  /** ISO days of week the window starts on: 1 = Monday … 7 = Sunday. */
  days: readonly number[];
  /** Local "HH:MM"; a window whose end is not after its start runs past midnight into the next day. */
  from: string;
  /** Local "HH:MM" ("24:00" allowed). */
  to: string;
  period: TouPeriod;
}

export interface TouSchedule {
  name: string;
  /** Local date "YYYY-MM-DD" from which the schedule is in force. */
  validFrom: string;
  /** Later windows win where windows overlap; time in no window is normal. */
  windows: readonly TouWindow[];
}

const MON_SAT = [1, 2, 3, 4, 5, 6] as const;
const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7] as const;

/** In force for bills since 2014: peak Mon–Sat 09:30–11:30 and 17:00–20:00, off-peak daily 22:00–04:00. */
export const TOU_2014: TouSchedule = {
  name: 'EVN 2014',
  validFrom: '2014-01-01',
  windows: [
    { days: EVERY_DAY, from: '22:00', to: '04:00', period: 'offpeak' },
    { days: MON_SAT, from: '09:30', to: '11:30', period: 'peak' },
    { days: MON_SAT, from: '17:00', to: '20:00', period: 'peak' },
  ],
};

/**
 * Announced 2026 for the system: peak Mon–Sat 17:30–22:30, off-peak daily 00:00–06:00. Its retail date is
 * not settled; the validFrom here is a placeholder — use `withValidFrom` to date it.
 */
export const TOU_2026: TouSchedule = {
  name: 'EVN 2026 (announced)',
  validFrom: '2026-01-01',
  windows: [
    { days: EVERY_DAY, from: '00:00', to: '06:00', period: 'offpeak' },
    { days: MON_SAT, from: '17:30', to: '22:30', period: 'peak' },
  ],
};

export function withValidFrom(schedule: TouSchedule, validFrom: string): TouSchedule {
  return { ...schedule, validFrom };
}

/** A run of one period inside a local day, in minutes since local 00:00, [start, end). */
export interface DaySegment {
  start: number;
  end: number;
  period: TouPeriod;
}

function minuteOf(hhmm: string, what: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  const min = m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  if (!m || Number(m[2]) > 59 || min > 1440) throw new MeterSimError('SIM_BAD_CONFIG', `TOU ${what} "${hhmm}" is not HH:MM in 00:00..24:00`);
  return min;
}

/** Minute-by-minute periods of each day of week (index 0 = Monday), then run-length coded. */
function compile(schedule: TouSchedule): DaySegment[][] {
  const minutes = Array.from({ length: 7 }, () => new Array<TouPeriod>(1440).fill('normal'));
  for (const w of schedule.windows) {
    const from = minuteOf(w.from, `window start in "${schedule.name}"`);
    const to = minuteOf(w.to, `window end in "${schedule.name}"`);
    for (const dow of w.days) {
      if (!Number.isInteger(dow) || dow < 1 || dow > 7) {
        throw new MeterSimError('SIM_BAD_CONFIG', `TOU day of week ${dow} in "${schedule.name}" is not 1..7`);
      }
      const today = minutes[dow - 1]!;
      if (to > from) {
        today.fill(w.period, from, to);
      } else {
        // Past midnight: the tail belongs to the next calendar day.
        today.fill(w.period, from, 1440);
        minutes[dow % 7]!.fill(w.period, 0, to);
      }
    }
  }
  return minutes.map((day) => {
    const segs: DaySegment[] = [];
    for (let m = 0; m < 1440; m++) {
      const last = segs[segs.length - 1];
      if (last && last.period === day[m]) last.end = m + 1;
      else segs.push({ start: m, end: m + 1, period: day[m]! });
    }
    return segs;
  });
}

export type PeriodTotals = Record<TouPeriod, number>;

export const zeroTotals = (): PeriodTotals => ({ normal: 0, peak: 0, offpeak: 0 });

/** A list of dated schedules for one meter's local time. */
export class TouCalendar {
  private readonly entries: { fromDay: number; days: DaySegment[][]; schedule: TouSchedule }[];

  constructor(
    schedules: readonly TouSchedule[] = [TOU_2014],
    readonly utcOffsetMinutes: number = VIETNAM_UTC_OFFSET_MINUTES,
  ) {
    if (schedules.length === 0) throw new MeterSimError('SIM_BAD_CONFIG', 'a TOU calendar needs at least one schedule');
    this.entries = schedules
      .map((s) => ({ fromDay: localDayOfIsoDate(s.validFrom), days: compile(s), schedule: s }))
      .sort((a, b) => a.fromDay - b.fromDay);
  }

  /** The schedule in force on a local day (the earliest one before any is in force). */
  scheduleOn(localDay: number): TouSchedule {
    return this.entryOn(localDay).schedule;
  }

  daySegments(localDay: number): readonly DaySegment[] {
    return this.entryOn(localDay).days[dayOfWeekOfLocalDay(localDay) - 1]!;
  }

  /** The period in force at instant t. */
  periodAt(t: number): TouPeriod {
    const day = localDayOf(t, this.utcOffsetMinutes);
    const minute = Math.floor((t - localDayStart(day, this.utcOffsetMinutes)) / MS_PER_MINUTE);
    return this.daySegments(day).find((s) => minute < s.end)!.period;
  }

  /** Calls `fn` for each maximal piece of [from, to) lying in one period on one local day, in order. */
  forEachSegment(from: number, to: number, fn: (start: number, end: number, period: TouPeriod) => void): void {
    if (!(to > from)) return;
    const first = localDayOf(from, this.utcOffsetMinutes);
    const last = localDayOf(to - 1, this.utcOffsetMinutes);
    for (let day = first; day <= last; day++) {
      const base = localDayStart(day, this.utcOffsetMinutes);
      for (const s of this.daySegments(day)) {
        const a = Math.max(from, base + s.start * MS_PER_MINUTE);
        const b = Math.min(to, base + s.end * MS_PER_MINUTE);
        if (b > a) fn(a, b, s.period);
      }
    }
  }

  /** Exact energy of [from, to) per period, mWh; the three add up to profile.energyMwh(from, to). */
  splitMwh(profile: ConsumptionProfile, from: number, to: number): PeriodTotals {
    const out = zeroTotals();
    this.forEachSegment(from, to, (a, b, p) => {
      out[p] += profile.energyMwh(a, b);
    });
    return out;
  }

  private entryOn(localDay: number): { fromDay: number; days: DaySegment[][]; schedule: TouSchedule } {
    let e = this.entries[0]!;
    for (const x of this.entries) if (x.fromDay <= localDay) e = x;
    return e;
  }
}

/** The period of a local day of week and minute under one schedule (handy for tables and tests). */
export function periodAtLocal(schedule: TouSchedule, dayOfWeek: number, minuteOfDay: number): TouPeriod {
  return compile(schedule)[dayOfWeek - 1]!.find((s) => minuteOfDay < s.end)!.period;
}
