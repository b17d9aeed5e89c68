import { DetectionError } from './errors.js';

/**
 * Every number detection judges by, with the defaults the gateway ships. Each raised anomaly carries the
 * ones it used, so a later change of settings does not rewrite what was flagged.
 */
export interface DetectionThresholds {
  /** A meter is offline after this many consecutive no-answer polls … */
  readonly offlineAfterFailures: number;
  /** … and this long without a good read (both must hold: a quick RF fade or one missed daily poll is not an outage). */
  readonly offlineAfterHours: number;
  /** A bus is silent when at least this share of its meters fail with no-answer codes in one cycle … */
  readonly busSilentShare: number;
  /** … and at least this many fail (a two-meter bus losing one meter is not a wiring fault). */
  readonly busSilentMinMeters: number;
  /** The judged interval's daily rate at or above ratio × the meter's recent daily average is a spike. */
  readonly spikeRatio: number;
  /**
   * The average must span at least this many days. Two weeks, not one: one ordinary week of a business
   * against the one before differs by 1.3× often enough to flag healthy meters (the truth run flagged one
   * whose working days were 1.28× the week before, with nothing wrong); an average over two weeks wanders
   * less. The price: a gateway judges spikes from its third week.
   */
  readonly spikeMinBaselineDays: number;
  /** The average looks back at most this far (older habits are not "recent"). */
  readonly spikeWindowDays: number;
  /**
   * The judged interval is at least this long (hours). A week holds every weekday once: a business judged
   * on one weekday against an average that holds its weekend "spikes" every Monday to Friday (~1.5×), a
   * household on its Sundays. Over a week a real ×5 still shows after its first day ((6 + 5) / 7 ≈ 1.6×).
   */
  readonly spikeMinIntervalHours: number;
  /** Below this many kWh/day the new rate is not judged: ratios of near-zero loads are noise. */
  readonly spikeMinDailyKwh: number;
  /** An unreliable link is judged over the meter's last this many polls … */
  readonly intermittentWindowPolls: number;
  /** … in which it failed at least this many times, in at least two separate runs (one run is an outage). */
  readonly intermittentMinFailures: number;
  /** Meter clock off by more than this (seconds) is clock drift. */
  readonly clockDriftSeconds: number;
  /** Allowed |KT − ΣBT/CD/TD| in steps of the registers' last digit, per independent truncation (see tariff check). */
  readonly tariffSumToleranceUnits: number;
  /** Total register unchanged over at least this many hours while the meter answers: stuck. */
  readonly stuckAfterHours: number;
  /** … seen in at least this many reads (one repeated read proves little). */
  readonly stuckMinReads: number;
  /** An index drop is a rollover when the wrapped advance is at most this share of the register's range. */
  readonly rolloverMaxShare: number;
  /** Days before each month end on which the pre-cutoff report goes out. 0 disables it. */
  readonly preCutoffDays: number;
}

export const DEFAULT_THRESHOLDS: DetectionThresholds = Object.freeze({
  offlineAfterFailures: 3,
  offlineAfterHours: 24,
  busSilentShare: 0.8,
  busSilentMinMeters: 3,
  spikeRatio: 1.3,
  spikeMinBaselineDays: 14,
  spikeWindowDays: 28,
  spikeMinIntervalHours: 168,
  spikeMinDailyKwh: 1,
  intermittentWindowPolls: 10,
  intermittentMinFailures: 3,
  clockDriftSeconds: 60,
  tariffSumToleranceUnits: 1,
  stuckAfterHours: 48,
  stuckMinReads: 3,
  rolloverMaxShare: 0.01,
  preCutoffDays: 3,
});

type Rule = (v: number) => string | null;
const positive: Rule = (v) => (v > 0 ? null : 'must be > 0');
const nonNegative: Rule = (v) => (v >= 0 ? null : 'must be ≥ 0');
const count: Rule = (v) => (Number.isInteger(v) && v >= 1 ? null : 'must be an integer ≥ 1');

const RULES: Record<keyof DetectionThresholds, Rule> = {
  offlineAfterFailures: count,
  offlineAfterHours: nonNegative,
  busSilentShare: (v) => (v > 0 && v <= 1 ? null : 'must be in (0, 1]'),
  busSilentMinMeters: count,
  spikeRatio: (v) => (v > 1 ? null : 'must be > 1'),
  spikeMinBaselineDays: positive,
  spikeWindowDays: positive,
  spikeMinIntervalHours: positive,
  spikeMinDailyKwh: nonNegative,
  intermittentWindowPolls: (v) => (Number.isInteger(v) && v >= 2 && v <= 24 ? null : 'must be an integer 2–24'),
  intermittentMinFailures: (v) => (Number.isInteger(v) && v >= 2 ? null : 'must be an integer ≥ 2'),
  clockDriftSeconds: positive,
  tariffSumToleranceUnits: nonNegative,
  stuckAfterHours: positive,
  stuckMinReads: (v) => (Number.isInteger(v) && v >= 2 ? null : 'must be an integer ≥ 2'),
  rolloverMaxShare: (v) => (v > 0 && v < 1 ? null : 'must be in (0, 1)'),
  preCutoffDays: (v) => (Number.isInteger(v) && v >= 0 && v <= 27 ? null : 'must be an integer 0–27'),
};

/** Defaults overlaid with the configured values, checked; throws DETECTION_BAD_THRESHOLD naming the field. */
export function resolveThresholds(overrides: Partial<DetectionThresholds> = {}): DetectionThresholds {
  const merged: Record<string, unknown> = { ...DEFAULT_THRESHOLDS };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!(key in RULES)) throw new DetectionError('DETECTION_BAD_THRESHOLD', `thresholds.${key}: unknown threshold`);
    merged[key] = value;
  }
  for (const key of Object.keys(RULES) as (keyof DetectionThresholds)[]) {
    const value = merged[key];
    const why = typeof value !== 'number' || !Number.isFinite(value) ? 'must be a finite number' : RULES[key](value);
    if (why) {
      throw new DetectionError('DETECTION_BAD_THRESHOLD', `thresholds.${key} ${why}, got ${JSON.stringify(value)}`, { context: { field: key } });
    }
  }
  if ((merged.intermittentMinFailures as number) > (merged.intermittentWindowPolls as number)) {
    throw new DetectionError('DETECTION_BAD_THRESHOLD', 'thresholds.intermittentMinFailures must be ≤ intermittentWindowPolls', { context: { field: 'intermittentMinFailures' } });
  }
  if ((merged.spikeWindowDays as number) < (merged.spikeMinBaselineDays as number)) {
    throw new DetectionError('DETECTION_BAD_THRESHOLD', 'thresholds.spikeWindowDays must be ≥ spikeMinBaselineDays', { context: { field: 'spikeWindowDays' } });
  }
  return Object.freeze(merged as unknown as DetectionThresholds);
}
