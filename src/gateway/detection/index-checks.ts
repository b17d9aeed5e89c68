import type { Finding } from './anomaly-state.js';
import { add, cmp, formatDec, integerDigits, numberText, pow10Dec, sub, toNumber } from './decimal.js';
import { iso, MS_PER_DAY, MS_PER_HOUR } from './local-time.js';
import type { Point } from './series.js';
import type { DetectionThresholds } from './thresholds.js';

/**
 * Checks on one register's index series (oldest first, the new read last). Each returns a finding, or
 * 'healthy' when it could judge and found nothing, or 'unknown' when the series is too short to judge.
 */
export type Verdict = Finding | 'healthy' | 'unknown';

/**
 * The index went down since the previous read. When the drop looks like the register wrapping past its
 * digit count (DOMAIN.md status Q: advance = 10^digits(old) − old + new) and that advance is small against
 * the register's range, it is a rollover, which CMIS bills with status Q; anything else is a swap, a reset
 * or tampering and needs a person.
 */
export function checkIndexDrop(obis: string, series: readonly Point[], t: DetectionThresholds): Verdict {
  const prev = series[series.length - 2];
  const cur = series[series.length - 1];
  if (!prev || !cur) return 'unknown';
  if (cmp(cur.value, prev.value) >= 0) return 'healthy';
  const evidence = {
    previousIndex: prev.text,
    previousAt: iso(prev.at),
    newIndex: cur.text,
    newAt: iso(cur.at),
    unit: cur.unit ?? '',
  };
  if (prev.unit === cur.unit) {
    const digits = integerDigits(prev.raw);
    const range = pow10Dec(digits);
    const wrapped = add(sub(range, prev.raw), cur.raw);
    if (wrapped.units > 0n && toNumber(wrapped) <= t.rolloverMaxShare * toNumber(range)) {
      return {
        key: `rollover@${obis}`,
        code: 'rollover',
        severity: 'info',
        obis,
        evidence: { ...evidence, registerDigits: String(digits), wrappedAdvance: formatDec(wrapped) },
        thresholds: { rolloverMaxShare: t.rolloverMaxShare },
        lifetime: 'period',
      };
    }
  }
  return {
    key: `negative-advance@${obis}`,
    code: 'negative-advance',
    severity: 'critical',
    obis,
    evidence: { ...evidence, dropKilo: formatDec(sub(prev.value, cur.value)) },
    thresholds: { rolloverMaxShare: t.rolloverMaxShare },
    lifetime: 'period',
  };
}

/**
 * Stuck register (công tơ đứng). The same index over ≥ stuckAfterHours and ≥ stuckMinReads reads while the
 * meter answers. Precision trade-off: an empty house also shows no advance. So the flat stretch must also
 * be long against how often this meter used to move its last digit: at the prior rate r per day and a last
 * digit of u, a working meter steps every u/r days, and a flat stretch shorter than 3 such steps is not
 * evidence. A low-consumption meter (0.3 kWh/day on a 1 kWh display) is therefore not flagged after two
 * days. When the history shows no earlier rate (vacant since before our memory, stuck as long, or a gateway
 * that has only just started) the flag is only 'info': worth a look before month end, not a truck.
 */
export function checkStuck(obis: string, series: readonly Point[], t: DetectionThresholds): Verdict {
  const cur = series[series.length - 1];
  if (!cur || series.length < 2) return 'unknown';
  let i = series.length - 1;
  while (i > 0 && cmp(series[i - 1]!.value, cur.value) === 0) i--;
  const runStart = series[i]!;
  const runReads = series.length - i;
  const spanHours = (cur.at - runStart.at) / MS_PER_HOUR;
  const first = series[0]!;
  const priorDays = (runStart.at - first.at) / MS_PER_DAY;
  // A lower bound of the earlier rate: N last-digit steps seen means at least N − 1 steps consumed (the
  // first step may have been a hair away). One step proves no rate at all; overestimating the rate would
  // shorten the required flat stretch and flag slow meters.
  const stepsSeen = Math.floor(toNumber(sub(runStart.value, first.value)) / toNumber(cur.step) + 1e-9);
  const priorRate = i > 0 && priorDays > 0 && stepsSeen >= 2 ? ((stepsSeen - 1) * toNumber(cur.step)) / priorDays : null;
  const hoursPerStep = priorRate === null ? null : (toNumber(cur.step) / priorRate) * 24;
  const requiredHours = Math.max(t.stuckAfterHours, hoursPerStep === null ? 0 : 3 * hoursPerStep);
  // Only a move of the index proves the register works. A flat stretch not yet long enough proves nothing
  // either way: 'unknown' keeps an open flag open while the estimate of the required stretch shifts with
  // the history window (no clear-and-raise flapping).
  if (runReads === 1) return 'healthy';
  if (runReads < t.stuckMinReads || spanHours < requiredHours) return 'unknown';
  return {
    key: `no-advance@${obis}`,
    code: 'no-advance',
    severity: priorRate === null ? 'info' : 'warning',
    obis,
    evidence: {
      index: cur.text,
      unit: cur.unit ?? '',
      unchangedSince: iso(runStart.at),
      hoursUnchanged: numberText(spanHours, 1),
      readsUnchanged: String(runReads),
      priorDailyRate: priorRate === null ? null : numberText(priorRate),
      requiredHours: numberText(requiredHours, 1),
    },
    thresholds: { stuckAfterHours: t.stuckAfterHours, stuckMinReads: t.stuckMinReads },
    lifetime: 'condition',
  };
}

/**
 * Consumption spike, per day so that uneven poll intervals compare: the rate over the newest interval of at
 * least spikeMinIntervalHours (a week by default) against the average rate over the whole weeks before it
 * (at least spikeMinBaselineDays, at most spikeWindowDays back from the interval's start). Judging one day at
 * 1.3× flags every business weekday against an average that holds its weekend and many households' Sundays
 * (DOMAIN.md: 1.4 M flags, 2 056 real); a week against the weeks before compares like with like, and the
 * flag still comes early for a large jump: a ×5 day alone lifts its week to 1.6×. Near-zero loads (below
 * spikeMinDailyKwh in the interval) are not judged. Needs history: 'unknown' until the series holds
 * spikeMinBaselineDays before the judged interval.
 */
export function checkSpike(obis: string, series: readonly Point[], t: DetectionThresholds): Verdict {
  const cur = series[series.length - 1];
  if (!cur) return 'unknown';
  const pivot = [...series].reverse().find((p) => cur.at - p.at >= t.spikeMinIntervalHours * MS_PER_HOUR * (1 - READ_TIME_SLACK));
  if (!pivot) return 'unknown';
  const base = wholeWeeksBefore(series, pivot, t.spikeWindowDays) ?? series.find((p) => p.at >= pivot.at - t.spikeWindowDays * MS_PER_DAY);
  if (!base) return 'unknown';
  const baseline = baselineOf(series, base, pivot);
  if (baseline === undefined) return 'unknown'; // a drop inside the window is the index-drop check's business
  const baselineDays = baseline.days;
  if (baselineDays < t.spikeMinBaselineDays * (1 - READ_TIME_SLACK)) return 'unknown';
  const intervalDays = (cur.at - pivot.at) / MS_PER_DAY;
  const baselineAdvance = baseline.advance;
  const newAdvance = toNumber(sub(cur.value, pivot.value));
  if (newAdvance < 0) return 'unknown';
  const average = baselineAdvance / baselineDays;
  const rate = newAdvance / intervalDays;
  // Judged on the cautious side of the display's resolution: each difference of two indexes may be off by
  // one last-digit step, so the new rate is taken one step lower and the average one step higher (a step
  // per stretch the average adds up). A meter using 0.3 kWh/day on a whole-kWh display otherwise "spikes"
  // to 1 kWh/day on every day its digit moves.
  const step = toNumber(cur.step);
  const rateLow = (newAdvance - step) / intervalDays;
  const averageHigh = (baselineAdvance + baseline.stretches * step) / baselineDays;
  if (rateLow < t.spikeMinDailyKwh || rateLow < t.spikeRatio * averageHigh) return 'healthy';
  return {
    key: `consumption-spike@${obis}`,
    code: 'consumption-spike',
    severity: 'warning',
    obis,
    evidence: {
      averageDailyKwh: numberText(average),
      newDailyKwh: numberText(rate),
      ratio: average > 0 ? numberText(rate / average) : null,
      windowStart: iso(base.at),
      windowEnd: iso(pivot.at),
      windowDays: numberText(baselineDays, 2),
      unreadDaysLeftOut: numberText(baseline.leftOutDays, 2),
      intervalStart: iso(pivot.at),
      intervalEnd: iso(cur.at),
      intervalDays: numberText(intervalDays, 2),
      startIndex: pivot.text,
      newIndex: cur.text,
      resolutionKilo: formatDec(cur.step),
    },
    thresholds: {
      spikeRatio: t.spikeRatio,
      spikeMinBaselineDays: t.spikeMinBaselineDays,
      spikeWindowDays: t.spikeWindowDays,
      spikeMinIntervalHours: t.spikeMinIntervalHours,
      spikeMinDailyKwh: t.spikeMinDailyKwh,
    },
    lifetime: 'period',
  };
}

/** Half a day: how far from a whole number of weeks a baseline may start (reads drift around their hour). */
const WEEK_TOLERANCE_MS = MS_PER_DAY / 2;

/**
 * Daily reads drift around their hour (a bus cycle in another order, a retry), so a week between two reads
 * is often 6.9 days. Without this slack the judged interval became eight days and the baseline fell just
 * short of its minimum for a whole week: a ×5 week went unjudged in the truth run.
 */
const READ_TIME_SLACK = 0.05;

/**
 * The earliest point a whole number of weeks (within half a day) before the pivot, inside the window: a
 * baseline of whole weeks holds each weekday as often as the judged week does. Ten days holding two
 * weekends made a business's ordinary week 1.31× its "average" in the truth run. Undefined when no point
 * falls near a whole week (irregular reads): the caller then takes the whole window.
 */
function wholeWeeksBefore(series: readonly Point[], pivot: Point, windowDays: number): Point | undefined {
  const week = 7 * MS_PER_DAY;
  for (const p of series) {
    const back = pivot.at - p.at;
    if (back > windowDays * MS_PER_DAY + WEEK_TOLERANCE_MS) continue;
    const weeks = Math.round(back / week);
    if (weeks >= 1 && Math.abs(back - weeks * week) <= WEEK_TOLERANCE_MS) return p;
  }
  return undefined;
}

/**
 * The average's advance and days over the baseline points, leaving out the spans where the meter went
 * unread for more than MISSED_POLLS_KEPT usual poll intervals. A meter without supply does not answer and
 * does not count: its outage in the average would make the next ordinary week look like a spike (two such
 * flags in the truth run, a week after a four-day power failure). One missed poll stays in. Undefined when
 * the index went down inside the baseline.
 */
/**
 * A span of one missed poll is two usual intervals give or take the reads' drift (2.02 days between daily
 * reads): leaving it out as an outage cost a meter its two-week baseline, three missed daily polls among
 * fourteen, and a ×5 spike went unflagged in the truth run. Two missed polls (three intervals) are out.
 */
const MISSED_POLLS_KEPT = 2.5;

function baselineOf(series: readonly Point[], base: Point, pivot: Point): { advance: number; days: number; stretches: number; leftOutDays: number } | undefined {
  const points = series.slice(series.indexOf(base), series.indexOf(pivot) + 1);
  const spans = points.slice(1).map((p, i) => ({ ms: p.at - points[i]!.at, advance: toNumber(sub(p.value, points[i]!.value)) }));
  if (spans.some((x) => x.advance < 0)) return undefined;
  // The lower median: with few spans (a fresh gateway, a gap at its start) the upper one can be the gap.
  const sorted = spans.map((x) => x.ms).sort((a, b) => a - b);
  const usual = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
  let advance = 0;
  let ms = 0;
  let leftOut = 0;
  let stretches = 0;
  let inStretch = false;
  for (const x of spans) {
    if (x.ms > MISSED_POLLS_KEPT * usual) {
      leftOut += x.ms;
      inStretch = false;
      continue;
    }
    advance += x.advance;
    ms += x.ms;
    if (!inStretch) stretches++;
    inStretch = true;
  }
  return { advance, days: ms / MS_PER_DAY, stretches: Math.max(1, stretches), leftOutDays: leftOut / MS_PER_DAY };
}
