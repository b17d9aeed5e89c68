import { MeterSimError } from './errors.js';
import {
  MS_PER_HOUR,
  VIETNAM_UTC_OFFSET_MINUTES,
  dayOfWeekOfLocalDay,
  localDayOf,
  localDayStart,
  monthOfLocalDay,
} from './local-time.js';
import { hashSmall, hashSmall01 } from './prng.js';

/**
 * Deterministic consumption profiles.
 *
 * A profile is an energy per local hour, an integer number of milliwatt-hours, spread evenly over the
 * hour. Integer mWh keep every sum exact: the energy of a month is the sum of its days, the days of their
 * hours, and splitting an interval anywhere gives two parts that add up to the whole — the ground truth
 * never depends on how a question was cut up.
 *
 * `energyMwh(from, to)` costs O(days) the first time a span is asked and O(1) after: day totals are kept
 * as running sums (a prefix array from the earliest day asked), and a few days' hourly sums are kept for
 * the partial days at both ends.
 */

/**
 * The 24 hourly energies of one local day, in integer mWh, each ≥ 0. A day at a time, so that what
 * depends on the day (its weekday, season and seeded variation) is worked out once.
 */
export type DayEnergyFn = (localDay: number) => ArrayLike<number>;

export interface ConsumptionProfile {
  readonly utcOffsetMinutes: number;
  hourMwh(localDay: number, hour: number): number;
  dayMwh(localDay: number): number;
  /** Exact energy over [from, to) in mWh (0 when to ≤ from). */
  energyMwh(from: number, to: number): number;
  /** The same in Wh (mWh / 1000, so not always an integer). */
  energyWh(from: number, to: number): number;
}

const HOUR_PREFIX_CACHE = 8;

export class IntegratedProfile implements ConsumptionProfile {
  private anchorDay: number | undefined;
  /** prefix[i] = energy of days anchorDay … anchorDay + i − 1. */
  private prefix: number[] = [0];
  private readonly hourPrefixes = new Map<number, Float64Array>();
  /**
   * The two days asked last, in front of the map: an interval's two ends (often the installation day
   * and today) are asked in turn, over and over.
   */
  private dayA = NaN;
  private prefixA: Float64Array = new Float64Array(25);
  private dayB = NaN;
  private prefixB: Float64Array = new Float64Array(25);

  constructor(
    private readonly dayFn: DayEnergyFn,
    readonly utcOffsetMinutes: number = VIETNAM_UTC_OFFSET_MINUTES,
  ) {}

  hourMwh(localDay: number, hour: number): number {
    const hp = this.hourPrefix(localDay);
    return hp[hour + 1]! - hp[hour]!;
  }

  dayMwh(localDay: number): number {
    return this.hourPrefix(localDay)[24]!;
  }

  energyMwh(from: number, to: number): number {
    if (!(to > from)) return 0;
    this.ensureAnchor(localDayOf(from, this.utcOffsetMinutes));
    return this.cumulative(to) - this.cumulative(from);
  }

  energyWh(from: number, to: number): number {
    return this.energyMwh(from, to) / 1000;
  }

  /** Energy from local 00:00 of `localDay` to `t` (t inside that day), mWh. */
  withinDayMwh(localDay: number, t: number): number {
    const into = t - localDayStart(localDay, this.utcOffsetMinutes);
    const h = Math.min(23, Math.floor(into / MS_PER_HOUR));
    const hp = this.hourPrefix(localDay);
    const hourEnergy = hp[h + 1]! - hp[h]!;
    // Even spread inside the hour; floor keeps the partial sum monotone and never above the hour's total.
    return hp[h]! + Math.floor((hourEnergy * (into - h * MS_PER_HOUR)) / MS_PER_HOUR);
  }

  /** Energy from local 00:00 of the anchor day to t. Requires t's day ≥ anchor. */
  private cumulative(t: number): number {
    const day = localDayOf(t, this.utcOffsetMinutes);
    return this.daysBefore(day) + this.withinDayMwh(day, t);
  }

  private ensureAnchor(day: number): void {
    if (this.anchorDay === undefined) {
      this.anchorDay = day;
      this.prefix = [0];
      return;
    }
    if (day >= this.anchorDay) return;
    // Re-anchor earlier: integer sums make the shift exact.
    const added: number[] = [0];
    for (let d = day; d < this.anchorDay; d++) added.push(added[added.length - 1]! + this.dayMwh(d));
    const shift = added[added.length - 1]!;
    this.prefix = added.concat(this.prefix.slice(1).map((v) => v + shift));
    this.anchorDay = day;
  }

  /** Energy of days anchor … day − 1. */
  private daysBefore(day: number): number {
    const i = day - this.anchorDay!;
    while (this.prefix.length <= i) {
      const d = this.anchorDay! + this.prefix.length - 1;
      this.prefix.push(this.prefix[this.prefix.length - 1]! + this.dayMwh(d));
    }
    return this.prefix[i]!;
  }

  private hourPrefix(localDay: number): Float64Array {
    if (localDay === this.dayA) return this.prefixA;
    if (localDay === this.dayB) return this.prefixB;
    const hp = this.hourPrefixOf(localDay);
    this.dayB = this.dayA;
    this.prefixB = this.prefixA;
    this.dayA = localDay;
    this.prefixA = hp;
    return hp;
  }

  private hourPrefixOf(localDay: number): Float64Array {
    const hit = this.hourPrefixes.get(localDay);
    if (hit) return hit;
    let hp: Float64Array;
    if (this.hourPrefixes.size >= HOUR_PREFIX_CACHE) {
      // Reuse the evicted day's array: walking years of history would otherwise allocate one per day.
      const oldest = this.hourPrefixes.keys().next().value as number;
      hp = this.hourPrefixes.get(oldest)!;
      this.hourPrefixes.delete(oldest);
      if (hp === this.prefixA || hp === this.prefixB) hp = new Float64Array(25);
    } else {
      hp = new Float64Array(25);
    }
    const hours = this.dayFn(localDay);
    if (hours.length !== 24) throw new MeterSimError('SIM_BAD_CONFIG', `profile gave ${hours.length} hours for day ${localDay}, not 24`);
    for (let h = 0; h < 24; h++) {
      const e = hours[h]!;
      if (!Number.isInteger(e) || e < 0) {
        throw new MeterSimError('SIM_BAD_CONFIG', `profile gave ${e} mWh for day ${localDay} hour ${h}: need an integer ≥ 0`);
      }
      hp[h + 1] = hp[h]! + e;
    }
    this.hourPrefixes.set(localDay, hp);
    return hp;
  }
}

// ---- shapes ---------------------------------------------------------------------------------------

/** Relative load by local hour. Households: low at night, a morning bump, the evening peak (cooking, AC). */
const HOUSEHOLD_WEEKDAY = [
  0.25, 0.22, 0.2, 0.2, 0.22, 0.35, 0.6, 0.55, 0.4, 0.35, 0.35, 0.45, 0.5, 0.4, 0.35, 0.35, 0.4, 0.6, 0.85, 1.0,
  1.0, 0.9, 0.65, 0.4,
];
/** Weekends: people at home, a later morning and a fuller midday. */
const HOUSEHOLD_WEEKEND = [
  0.28, 0.24, 0.22, 0.2, 0.2, 0.25, 0.35, 0.45, 0.55, 0.6, 0.6, 0.65, 0.7, 0.65, 0.6, 0.55, 0.55, 0.65, 0.9, 1.0,
  1.0, 0.9, 0.7, 0.45,
];
/** Offices and shops: working hours on weekdays, a Saturday morning, a base load otherwise. */
const BUSINESS_WEEKDAY = [
  0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.15, 0.4, 1.0, 1.0, 1.0, 1.0, 0.8, 1.0, 1.0, 1.0, 1.0, 0.6, 0.3, 0.1, 0.1, 0.1, 0.1,
  0.1,
];
const BUSINESS_SATURDAY = [
  0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.6, 0.6, 0.6, 0.6, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1,
  0.1,
];
const BUSINESS_SUNDAY = new Array<number>(24).fill(0.1);

/** Northern Vietnam: air conditioning drives May–August up, the mild winter down. Index 0 = January. */
export const VN_SEASONAL = [0.85, 0.8, 0.9, 1.0, 1.15, 1.25, 1.25, 1.2, 1.05, 0.95, 0.9, 0.88];

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

export interface ShapedProfileOptions {
  /** Per-meter seed of the day-to-day variation. */
  seed: number;
  utcOffsetMinutes?: number;
  /** Mean energy of a weekday in kWh before season and variation (household 7, business 80). */
  dailyKwh?: number;
  /** Per-meter multiplier on dailyKwh (default 1). */
  scale?: number;
  /** ± fraction by which one day differs from the next (default 0.2). */
  dayVariation?: number;
  /** ± fraction by which one hour differs from the shape (default 0.1). */
  hourVariation?: number;
  /** 12 monthly factors, January first (default VN_SEASONAL). */
  seasonal?: readonly number[];
}

interface DayShapes {
  weekday: readonly number[];
  saturday: readonly number[];
  sunday: readonly number[];
  /** Total of a Saturday / Sunday relative to the weekday total, kept apart from the shape. */
  saturdayFactor: number;
  sundayFactor: number;
}

function shapedDayFn(shapes: DayShapes, defaultDailyKwh: number, o: ShapedProfileOptions): DayEnergyFn {
  const daily = (o.dailyKwh ?? defaultDailyKwh) * (o.scale ?? 1);
  const dayVar = o.dayVariation ?? 0.2;
  const hourVar = o.hourVariation ?? 0.1;
  const seasonal = o.seasonal ?? VN_SEASONAL;
  if (!(daily >= 0) || !Number.isFinite(daily)) throw new MeterSimError('SIM_BAD_CONFIG', `daily energy ${daily} kWh is not ≥ 0`);
  if (!(dayVar >= 0 && dayVar < 1) || !(hourVar >= 0 && hourVar < 1)) {
    throw new MeterSimError('SIM_BAD_CONFIG', `variations must be in [0, 1): day ${dayVar}, hour ${hourVar}`);
  }
  if (seasonal.length !== 12 || seasonal.some((f) => !(f >= 0))) {
    throw new MeterSimError('SIM_BAD_CONFIG', 'seasonal factors must be 12 numbers ≥ 0, January first');
  }
  const weekdaySum = sum(shapes.weekday);
  const mwhPerWeight = (daily * 1_000_000) / weekdaySum;
  // Per day type: each hour's share of a weekday's energy, the day type's total factor folded in.
  const weights = (shape: readonly number[], factor: number): number[] => shape.map((w) => (w / sum(shape)) * weekdaySum * factor);
  const weekday = weights(shapes.weekday, 1);
  const saturday = weights(shapes.saturday, shapes.saturdayFactor);
  const sunday = weights(shapes.sunday, shapes.sundayFactor);
  const scratch = new Array<number>(24).fill(0); // IntegratedProfile copies it out at once
  return (day) => {
    const dow = dayOfWeekOfLocalDay(day);
    const w = dow === 7 ? sunday : dow === 6 ? saturday : weekday;
    const season = seasonal[monthOfLocalDay(day) - 1]!;
    const dayFactor = 1 + dayVar * (2 * hashSmall01(o.seed, day) - 1);
    const base = mwhPerWeight * season * dayFactor;
    // The hours' variation: a short xorshift run seeded by the day, cheaper than 24 hashes.
    let x = hashSmall(o.seed, day, 24) | 1;
    for (let h = 0; h < 24; h++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const u = (x >>> 0) / 0x1_0000_0000;
      scratch[h] = Math.round(base * w[h]! * (1 + hourVar * (2 * u - 1)));
    }
    return scratch;
  };
}

/** A household: evening peak, weekends ~10 % higher, seasonal, per-meter seeded variation. */
export function householdProfile(o: ShapedProfileOptions): IntegratedProfile {
  const shapes: DayShapes = {
    weekday: HOUSEHOLD_WEEKDAY,
    saturday: HOUSEHOLD_WEEKEND,
    sunday: HOUSEHOLD_WEEKEND,
    saturdayFactor: 1.1,
    sundayFactor: 1.1,
  };
  return new IntegratedProfile(shapedDayFn(shapes, 7, o), o.utcOffsetMinutes);
}

/** A business: daytime weekday load, a short Saturday, base load on Sunday and at night. */
export function businessProfile(o: ShapedProfileOptions): IntegratedProfile {
  const shapes: DayShapes = {
    weekday: BUSINESS_WEEKDAY,
    saturday: BUSINESS_SATURDAY,
    sunday: BUSINESS_SUNDAY,
    saturdayFactor: sum(BUSINESS_SATURDAY) / sum(BUSINESS_WEEKDAY),
    sundayFactor: sum(BUSINESS_SUNDAY) / sum(BUSINESS_WEEKDAY),
  };
  return new IntegratedProfile(shapedDayFn(shapes, 80, o), o.utcOffsetMinutes);
}

/** Rooftop solar generation (for the export register): a daylight arch times a seeded cloudiness. */
export function solarProfile(o: { seed: number; kwPeak: number; utcOffsetMinutes?: number }): IntegratedProfile {
  if (!(o.kwPeak >= 0)) throw new MeterSimError('SIM_BAD_CONFIG', `solar peak ${o.kwPeak} kW is not ≥ 0`);
  return new IntegratedProfile((day) => {
    const cloud = 0.3 + 0.7 * hashSmall01(o.seed ^ 0x5a1a, day);
    return Array.from({ length: 24 }, (_, hour) =>
      hour < 6 || hour >= 18 ? 0 : Math.round(o.kwPeak * 1_000_000 * Math.sin((Math.PI * (hour + 0.5 - 6)) / 12) * cloud),
    );
  }, o.utcOffsetMinutes);
}

/** A flat load: `watts` W all the time (watts Wh per hour). Hand-checkable in tests. */
export function constantProfile(watts: number, utcOffsetMinutes?: number): IntegratedProfile {
  const mwh = Math.round(watts * 1000);
  if (!(mwh >= 0)) throw new MeterSimError('SIM_BAD_CONFIG', `constant load ${watts} W is not ≥ 0`);
  const day = new Array<number>(24).fill(mwh);
  return new IntegratedProfile(() => day, utcOffsetMinutes);
}

export type ProfileSpec =
  | ({ kind: 'household' } & Partial<ShapedProfileOptions>)
  | ({ kind: 'business' } & Partial<ShapedProfileOptions>)
  | { kind: 'constant'; watts: number };

/** Builds a profile from a spec; `seed` and the offset come from the meter when the spec leaves them out. */
export function makeProfile(spec: ProfileSpec, seed: number, utcOffsetMinutes: number): IntegratedProfile {
  switch (spec.kind) {
    case 'household':
      return householdProfile({ ...spec, seed: spec.seed ?? seed, utcOffsetMinutes: spec.utcOffsetMinutes ?? utcOffsetMinutes });
    case 'business':
      return businessProfile({ ...spec, seed: spec.seed ?? seed, utcOffsetMinutes: spec.utcOffsetMinutes ?? utcOffsetMinutes });
    case 'constant':
      return constantProfile(spec.watts, utcOffsetMinutes);
  }
}
