import type { Clock, TimerHandle } from './clock.js';
import { schedule as cronSchedule } from 'node-cron';

/**
 * The next time a cron expression fires, computed rather than waited for, so that schedules can run on a
 * simulated clock (node-cron only knows the wall clock). Five fields (minute hour day month weekday) or
 * six (with seconds first); each field takes *, numbers, ranges a-b, steps * /n or a-b/n, and lists.
 * Day-of-month and weekday combine as in cron: when both are restricted, either may match.
 */
interface CronFields {
  seconds: Set<number>;
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  daysRestricted: boolean;
  weekdaysRestricted: boolean;
}

function field(text: string, min: number, max: number, what: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new RangeError(`cron ${what} "${text}" is not understood`);
    const step = m[4] ? Number(m[4]) : 1;
    const lo = m[1] === '*' ? min : Number(m[2]);
    const hi = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] ? max : lo;
    if (lo < min || hi > max || lo > hi || step < 1) throw new RangeError(`cron ${what} "${text}" is outside ${min}..${max}`);
    for (let v = lo; v <= hi; v += step) out.add(what === 'weekday' && v === 7 ? 0 : v);
  }
  return out;
}

export function parseCron(expression: string): CronFields {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) throw new RangeError(`cron "${expression}" needs 5 or 6 fields`);
  const [s, mi, h, d, mo, w] = parts.length === 6 ? parts : ['0', ...parts];
  return {
    seconds: field(s!, 0, 59, 'second'),
    minutes: field(mi!, 0, 59, 'minute'),
    hours: field(h!, 0, 23, 'hour'),
    days: field(d!, 1, 31, 'day'),
    months: field(mo!, 1, 12, 'month'),
    weekdays: field(w!, 0, 7, 'weekday'),
    daysRestricted: d !== '*',
    weekdaysRestricted: w !== '*',
  };
}

/** The first instant strictly after `after` (ms) at which the expression fires, in a fixed UTC offset. */
export function nextCronTime(expression: string | CronFields, after: number, utcOffsetMinutes = 420): number {
  const f = typeof expression === 'string' ? parseCron(expression) : expression;
  const offset = utcOffsetMinutes * 60_000;
  // Walk minute by minute in local time (at most a year and a bit), then pick the second.
  let t = Math.floor((after + offset) / 60_000) * 60_000;
  for (let i = 0; i < 60 * 24 * 370; i++, t += 60_000) {
    const d = new Date(t);
    if (!f.months.has(d.getUTCMonth() + 1) || !f.hours.has(d.getUTCHours()) || !f.minutes.has(d.getUTCMinutes())) continue;
    const dayOk = f.days.has(d.getUTCDate());
    const weekdayOk = f.weekdays.has(d.getUTCDay());
    const dateOk = f.daysRestricted && f.weekdaysRestricted ? dayOk || weekdayOk : dayOk && weekdayOk;
    if (!dateOk) continue;
    for (const s of [...f.seconds].sort((a, b) => a - b)) {
      const candidate = t + s * 1000 - offset;
      if (candidate > after) return candidate;
    }
  }
  throw new RangeError(`cron "${String(expression)}" never fires`);
}

/** A cron trigger on any Clock: the schedules of the demo and the truth test follow simulated time. */
export function clockTrigger(clock: Clock, utcOffsetMinutes = 420) {
  return {
    every(expression: string, fire: () => void): { stop(): void } {
      const fields = parseCron(expression);
      let handle: TimerHandle | undefined;
      let stopped = false;
      const arm = () => {
        const now = clock.now();
        handle = clock.setTimeout(() => {
          if (stopped) return;
          fire();
          arm();
        }, nextCronTime(fields, now, utcOffsetMinutes) - now);
      };
      arm();
      return {
        stop: () => {
          stopped = true;
          if (handle) clock.clearTimeout(handle);
        },
      };
    },
  };
}

/** What fires scheduled work: node-cron on the wall clock in service, `clockTrigger` on simulated time. */
export interface Trigger {
  every(expression: string, fire: () => void): { stop(): void };
}

/** node-cron in the utility's time zone: "0 0 1 * *" means 00:00 on the 1st in Vietnam, whatever the host's zone. */
export function nodeCronTrigger(timezone = 'Asia/Ho_Chi_Minh'): Trigger {
  return {
    every(expression, fire) {
      const task = cronSchedule(expression, () => fire(), { timezone, name: `chiso ${expression}` });
      return { stop: () => void task.destroy() };
    },
  };
}
