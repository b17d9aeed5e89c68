import { systemClock, type Clock, type TimerHandle } from './clock.js';
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

/**
 * A cron trigger on any Clock: the schedules of the demo and the truth test follow simulated time, and the
 * gateway's on the wall clock (wallClockTrigger). `recheckMs` caps each wait: a wall clock is set while
 * the service runs (a Pi has no battery clock, and NTP moves it at boot), so the trigger looks again at
 * least that often, fires once when the clock has passed the due time, and works the next time out again
 * when the clock went back. It also keeps every wait under Node's 24.8-day timer limit.
 */
export function clockTrigger(clock: Clock, utcOffsetMinutes = 420, options: { recheckMs?: number } = {}) {
  const recheckMs = options.recheckMs ?? Number.POSITIVE_INFINITY;
  return {
    every(expression: string, fire: () => void): { stop(): void } {
      const fields = parseCron(expression);
      let handle: TimerHandle | undefined;
      let stopped = false;
      const arm = () => {
        const armedAt = clock.now();
        const due = nextCronTime(fields, armedAt, utcOffsetMinutes);
        const wait = () => {
          const now = clock.now();
          handle = clock.setTimeout(() => {
            if (stopped) return;
            const t = clock.now();
            if (t >= due) {
              fire();
              arm();
            } else if (t < armedAt) {
              arm();
            } else {
              wait();
            }
          }, Math.min(due - now, recheckMs));
        };
        wait();
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

/** Zones on one UTC offset all year (minutes east): Vietnam has kept UTC+7 without daylight saving since 1975. */
export const FIXED_OFFSET_ZONES: Readonly<Record<string, number>> = Object.freeze({ 'Asia/Ho_Chi_Minh': 420, 'Asia/Saigon': 420 });

/**
 * The service's trigger on the wall clock. In a fixed-offset zone it works the times out itself
 * (clockTrigger, looking again every minute), so the process never loads ICU's zone data: node-cron formats
 * dates with Intl in the zone, which costs a gateway about 9 MB resident (7 MB of it the mapped ICU data),
 * measured on bare node. Other zones, and expressions beyond the plain syntax parseCron reads (month or day
 * names), go to node-cron.
 */
export function wallClockTrigger(timezone = 'Asia/Ho_Chi_Minh', clock: Clock = systemClock): Trigger {
  const offset = Object.hasOwn(FIXED_OFFSET_ZONES, timezone) ? FIXED_OFFSET_ZONES[timezone] : undefined;
  if (offset === undefined) return nodeCronTrigger(timezone);
  const own = clockTrigger(clock, offset, { recheckMs: 60_000 });
  return {
    every(expression, fire) {
      try {
        parseCron(expression);
      } catch {
        return nodeCronTrigger(timezone).every(expression, fire);
      }
      return own.every(expression, fire);
    },
  };
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
