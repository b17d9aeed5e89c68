import { localDayOf, localDayStart, MS_PER_DAY } from './local-time.js';
import { type PeriodTotals, type TouCalendar, zeroTotals } from './tou.js';

/**
 * Integer register accounting, the way an electronic meter does it: the measuring element emits one pulse
 * per register unit (1 Wh, 10 Wh …) and each pulse goes to the total and to the tariff register that is
 * active at that moment. Counting pulses, not rounding energies, is what makes the tariff registers add
 * up EXACTLY to the total and each of them monotone.
 *
 * The pulses in a piece [a, b) of one period are floor(M(b)/R) − floor(M(a)/R), where M is the registered
 * energy in mWh and R the register unit in mWh; over consecutive pieces the floors telescope, so the sum
 * over all periods is floor(M(t)/R) − floor(M(origin)/R) whatever the split.
 *
 * Per-day pulse counts are kept as running sums from the installation day, so a reading costs one day's
 * pieces (≤ 8) after the first one.
 */
export interface PulseTotals extends PeriodTotals {
  total: number;
}

export class PulseAccounting {
  private readonly originDay: number;
  /** prefix[p][i] = pulses of period p on days originDay … originDay + i − 1. */
  private readonly prefix: Record<keyof PeriodTotals, number[]> = { normal: [0], peak: [0], offpeak: [0] };

  constructor(
    private readonly registered: (t: number) => number,
    private readonly unitMwh: number,
    private readonly calendar: TouCalendar,
    private readonly origin: number,
  ) {
    this.originDay = localDayOf(origin, calendar.utcOffsetMinutes);
  }

  /** Pulses per period counted in [origin, t). */
  at(t: number): PulseTotals {
    const out: PulseTotals = { ...zeroTotals(), total: 0 };
    if (t <= this.origin) return out;
    const day = localDayOf(t, this.calendar.utcOffsetMinutes);
    this.extendTo(day);
    const i = day - this.originDay;
    out.normal = this.prefix.normal[i]!;
    out.peak = this.prefix.peak[i]!;
    out.offpeak = this.prefix.offpeak[i]!;
    const start = Math.max(this.origin, localDayStart(day, this.calendar.utcOffsetMinutes));
    this.addPieces(start, t, out);
    out.total = out.normal + out.peak + out.offpeak;
    return out;
  }

  private pulses(mwh: number): number {
    return (mwh - (mwh % this.unitMwh)) / this.unitMwh;
  }

  private addPieces(from: number, to: number, into: PeriodTotals): void {
    // Pieces are consecutive: each one's start is the previous one's end, so M is read once per edge.
    let before = this.pulses(this.registered(from));
    this.calendar.forEachSegment(from, to, (_a, b, p) => {
      const after = this.pulses(this.registered(b));
      into[p] += after - before;
      before = after;
    });
  }

  private extendTo(day: number): void {
    const off = this.calendar.utcOffsetMinutes;
    while (this.prefix.normal.length <= day - this.originDay) {
      const d = this.originDay + this.prefix.normal.length - 1;
      const start = Math.max(this.origin, localDayStart(d, off));
      const dayTotals = zeroTotals();
      this.addPieces(start, localDayStart(d, off) + MS_PER_DAY, dayTotals);
      for (const p of ['normal', 'peak', 'offpeak'] as const) {
        const arr = this.prefix[p];
        arr.push(arr[arr.length - 1]! + dayTotals[p]);
      }
    }
  }
}
