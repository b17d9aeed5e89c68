import { describe, expect, it } from 'vitest';
import type { RegisterRead } from '../../store/read-history.js';
import { signEvents, openSignedEvents } from '../../wire/events.js';
import { ringOf, testSigner } from '../../wire/test-helpers.js';
import type { MeterDefinition, MeterReadSuccess, RegisterValue } from '../model.js';
import { detectAnomalies } from './anomalies.js';
import { emptyAnomalyState, parseAnomalyState, type AnomalyEvent, type AnomalyState } from './anomaly-state.js';
import { DetectionError } from './errors.js';
import { MS_PER_DAY, MS_PER_HOUR } from './local-time.js';
import { assertWireEvent, goodRead, historyOf, kwh, testMeter, vn } from './test-fixtures.js';
import { DEFAULT_THRESHOLDS as T } from './thresholds.js';

const KT = '1.0.1.8.0.255';
const meter = testMeter();

function detect(read: MeterReadSuccess, history: RegisterRead[] = [], state: AnomalyState = emptyAnomalyState(), m: MeterDefinition = meter, thresholds = T) {
  const r = detectAnomalies({ meter: m, read, history, state, thresholds });
  r.events.forEach(assertWireEvent);
  return r;
}
const raised = (events: AnomalyEvent[]) => events.filter((e) => e.state === 'raised').map((e) => e.code);

/**
 * A household: about 10 kWh on weekdays, about 12 on Saturday and Sunday, ±8 % from day to day
 * (deterministic), read at 00:05 local each day. `override(day)` replaces one day's consumption.
 */
function household(days: number, override: (day: number) => number | undefined = () => undefined) {
  const start = vn(2024, 7, 1, 0, 5); // Monday 1 July 2024
  let index = 4521.3;
  const points: [number, string][] = [[start, index.toFixed(1)]];
  for (let d = 0; d < days; d++) {
    const weekday = (1 + d) % 7; // 1 = Monday … 0 = Sunday
    const base = weekday === 6 || weekday === 0 ? 12 : 10;
    const wobble = 1 + 0.08 * Math.sin(d * 2.3);
    index += override(d) ?? base * wobble;
    points.push([start + (d + 1) * MS_PER_DAY, (Math.floor(index * 10) / 10).toFixed(1)]);
  }
  return points;
}

/**
 * Detection over the series read by read (from index `from`), as the gateway runs it on daily reads: it keeps
 * 24 recent reads and a read a day for 36 days behind them.
 */
function replay(points: [number, string][], m: MeterDefinition = meter, from = 1, keep = 60, thresholds = T) {
  let state = emptyAnomalyState();
  const events: AnomalyEvent[] = [];
  for (let i = from; i < points.length; i++) {
    const [at, value] = points[i]!;
    const history = historyOf(m.id, KT, points.slice(Math.max(0, i - keep), i));
    const r = detect(goodRead(m.id, at, [kwh(KT, value, 'KT')]), history, state, m, thresholds);
    state = r.state;
    events.push(...r.events);
  }
  return { state, events };
}

describe('consumption spike', () => {
  it('does not flag a realistic household month with its weekends', () => {
    const { events } = replay(household(30));
    expect(events).toEqual([]);
  });

  it('flags a week at about twice the usual, once, with the average, the new rate and the window', () => {
    const { events } = replay(household(30, (d) => (d >= 17 ? 20.5 : undefined)));
    expect(raised(events)).toEqual(['consumption-spike']);
    const e = events[0]!;
    expect(e.severity).toBe('warning');
    expect(e.evidence).toMatchObject({ intervalDays: '7', windowDays: expect.any(String) });
    const avg = Number(e.evidence['averageDailyKwh']);
    const rate = Number(e.evidence['newDailyKwh']);
    expect(avg).toBeGreaterThan(10);
    expect(avg).toBeLessThan(11.5);
    expect(rate / avg).toBeGreaterThanOrEqual(1.3);
    expect(Number(e.evidence['windowDays'])).toBeGreaterThanOrEqual(13.3);
    expect(e.thresholds).toMatchObject({ spikeRatio: 1.3, spikeMinIntervalHours: 168 });
    // Evidence numbers travel as decimal strings.
    for (const k of ['averageDailyKwh', 'newDailyKwh', 'ratio', 'windowDays']) expect(e.evidence[k]).toMatch(/^\d+(\.\d+)?$/);
  });

  it('flags a ×5 day on the day it happens: it alone lifts its week past 1.3×', () => {
    const { events } = replay(household(30, (d) => (d === 22 ? 55 : undefined)));
    expect(raised(events)).toEqual(['consumption-spike']);
    expect(events[0]!.evidence['intervalEnd']).toBe(new Date(vn(2024, 7, 1, 0, 5) + 23 * MS_PER_DAY).toISOString());
  });

  it('does not flag one busy day (a ×2 day is 15 % on its week)', () => {
    const { events } = replay(household(30, (d) => (d === 17 ? 20.5 : undefined)));
    expect(events).toEqual([]);
  });

  it("does not flag a business's working days against an average that holds its weekends", () => {
    // 13.5 kWh Monday to Friday, 5 on Saturday, 2.4 on Sunday: a weekday is 1.5× the weekly average.
    const { events } = replay(household(30, (d) => [2.4, 13.5, 13.5, 13.5, 13.5, 13.5, 5][(1 + d) % 7]));
    expect(events).toEqual([]);
  });

  it("compares a business's week with whole weeks before it, not with ten days holding two weekends", () => {
    // A false flag of the truth run, its reads as stored (a business: ~80 kWh on working days, ~18 on
    // Saturday, rising mid-month; the gateway started on a Tuesday and its schedule skips the 1st). Against
    // the ten days before it (two weekends) the week to 20 October was 1.31×; against the week before, 1.16×.
    const reads: [string, string][] = [
      ['2026-09-29T08:49:30Z', '118434.16'], ['2026-10-02T06:03:04Z', '118680.90'], ['2026-10-03T05:48:37Z', '118744.22'],
      ['2026-10-04T05:49:06Z', '118761.65'], ['2026-10-05T05:36:17Z', '118805.64'], ['2026-10-06T05:49:50Z', '118884.80'],
      ['2026-10-07T05:51:01Z', '118965.01'], ['2026-10-08T05:54:32Z', '119047.58'], ['2026-10-09T05:51:03Z', '119133.34'],
      ['2026-10-10T06:06:21Z', '119211.94'], ['2026-10-11T06:01:35Z', '119230.17'], ['2026-10-12T07:04:15Z', '119283.97'],
      ['2026-10-13T06:14:27Z', '119362.02'], ['2026-10-14T06:00:42Z', '119451.14'], ['2026-10-15T06:15:46Z', '119553.31'],
      ['2026-10-16T07:07:14Z', '119661.16'], ['2026-10-17T05:58:18Z', '119731.88'], ['2026-10-18T05:30:26Z', '119750.87'],
      ['2026-10-19T05:47:50Z', '119812.87'], ['2026-10-20T05:33:44Z', '119908.07'],
    ];
    const pts = reads.map(([t, v]) => [Date.parse(t), v] as [number, string]);
    expect(replay(pts, meter, 1, 120).events).toEqual([]);
  });

  it('flags a ×5 week read at drifting hours: a week between two reads is often 6.9 days', () => {
    // A missed flag of the truth run, its reads as stored: ×5 from 12 October, read daily around 13:00
    // local but earlier some days. Weeks of 6.94 days fell short of "at least a week" on both sides.
    const reads: [string, string][] = [
      ['2026-09-29T13:15:09Z', '16354.247'], ['2026-10-02T07:47:29Z', '16369.858'], ['2026-10-03T07:57:11Z', '16375.694'],
      ['2026-10-04T07:39:28Z', '16381.480'], ['2026-10-05T07:02:51Z', '16387.821'], ['2026-10-06T07:06:15Z', '16394.013'],
      ['2026-10-07T07:38:42Z', '16399.539'], ['2026-10-08T07:21:27Z', '16405.077'], ['2026-10-09T06:18:07Z', '16410.432'],
      ['2026-10-10T06:23:30Z', '16415.641'], ['2026-10-11T06:06:43Z', '16420.817'], ['2026-10-12T06:23:04Z', '16431.142'],
      ['2026-10-13T06:27:24Z', '16454.910'], ['2026-10-14T05:58:36Z', '16480.331'], ['2026-10-15T06:30:21Z', '16508.538'],
      ['2026-10-16T06:25:00Z', '16537.525'], ['2026-10-17T06:33:46Z', '16569.826'], ['2026-10-18T06:52:48Z', '16601.772'],
      ['2026-10-19T06:13:51Z', '16624.258'],
    ];
    // Judged as it was then, against one week: the slack is what this is about, not the baseline's length.
    const oneWeek = { ...T, spikeMinBaselineDays: 7 };
    const { events } = replay(reads.map(([t, v]) => [Date.parse(t), v] as [number, string]), meter, 1, 120, oneWeek);
    expect(raised(events)).toEqual(['consumption-spike']);
    expect(events[0]!.evidence['intervalEnd']).toBe('2026-10-16T06:25:00.000Z');
  });

  it('keeps a missed daily poll in the baseline: the span is 2.02 days, not an outage', () => {
    // A missed flag of the truth run, its reads as stored: ×5 from 15 October, three daily polls missed
    // before it (one while the gateway was killed and restarted). Left out as outages, they shrank the
    // baseline under two weeks on every day of the spike.
    const reads: [string, string][] = [
      ['2026-09-29T15:35:21Z', '14451.967'], ['2026-09-30T07:19:08Z', '14456.962'], ['2026-10-02T07:50:37Z', '14476.076'],
      ['2026-10-03T06:59:43Z', '14484.834'], ['2026-10-05T07:18:35Z', '14505.755'], ['2026-10-06T06:43:06Z', '14515.048'],
      ['2026-10-07T07:00:37Z', '14523.954'], ['2026-10-08T07:31:21Z', '14532.430'], ['2026-10-09T06:34:38Z', '14539.967'],
      ['2026-10-11T08:11:54Z', '14559.238'], ['2026-10-12T08:18:40Z', '14567.003'], ['2026-10-13T07:11:05Z', '14575.433'],
      ['2026-10-14T06:44:11Z', '14585.524'], ['2026-10-15T06:54:11Z', '14609.431'], ['2026-10-16T06:46:51Z', '14662.837'],
      ['2026-10-17T07:10:34Z', '14720.199'], ['2026-10-18T07:25:03Z', '14776.966'], ['2026-10-19T07:08:57Z', '14830.685'],
      ['2026-10-20T07:52:03Z', '14879.937'], ['2026-10-21T07:13:11Z', '14921.866'],
    ];
    const { events } = replay(reads.map(([t, v]) => [Date.parse(t), v] as [number, string]));
    expect(raised(events)).toEqual(['consumption-spike']);
    expect(events[0]!.evidence).toMatchObject({ unreadDaysLeftOut: '0' });
    expect(Number(events[0]!.evidence['windowDays'])).toBeGreaterThanOrEqual(13.3);
  });

  it('takes the usual poll interval from the shorter spans: a gap at the gateway start does not hide an outage', () => {
    // Read on day 0, then not until day 3 (the gateway started, its schedule skips the 1st), daily to day 4,
    // no supply days 5–8 (unread), daily again: four spans before the outage, two of them gaps.
    const all = household(30, (d) => (d >= 5 && d <= 8 ? 0 : undefined));
    const { events } = replay(all.filter((_, i) => ![1, 2, 6, 7, 8].includes(i)), meter, 1, 40);
    expect(events).toEqual([]);
  });

  it('leaves a power failure out of the average: the ordinary week after it is not a spike', () => {
    // No supply on days 5–8: no consumption, and the meter does not answer the polls after days 5, 6 and 7.
    const all = household(30, (d) => (d >= 5 && d <= 8 ? 0 : undefined));
    const unread = new Set([6, 7, 8]);
    const { events } = replay(all.filter((_, i) => !unread.has(i)));
    expect(events).toEqual([]);
    // Read through the outage (days at zero), the average holds the missing energy, and the same week flags:
    // this is what leaving the unread span out avoids.
    expect(raised(replay(all).events)).toContain('consumption-spike');
  });

  it('does not judge against less than two weeks (one week against the next wanders by chance)', () => {
    // Day 20: the judged week is days 13–20 and only 13 days lie before it.
    const { events } = replay(household(20, (d) => (d === 19 ? 40 : undefined)));
    expect(events).toEqual([]);
    expect(raised(replay(household(21, (d) => (d === 20 ? 40 : undefined))).events)).toEqual(['consumption-spike']);
  });

  it("does not flag a business's ordinary week that is 1.3× the one before (a false flag of the truth run)", () => {
    // Tariff register BT of a business as stored, read daily at drifting hours. The gateway's first days left a
    // gap, so on 20 October only one whole week lay before the judged one, and that week ran low: 16.5 kWh a day
    // against 21.6. Nothing was wrong with the meter.
    const reads: [string, string][] = [
      ['2026-09-29T22:39:58Z', '50797.84'], ['2026-10-02T10:40:58Z', '50875.80'], ['2026-10-03T09:49:21Z', '50890.38'],
      ['2026-10-04T07:37:04Z', '50892.62'], ['2026-10-05T09:13:40Z', '50909.96'], ['2026-10-06T08:43:28Z', '50938.16'],
      ['2026-10-07T07:43:46Z', '50961.24'], ['2026-10-08T08:04:10Z', '50980.35'], ['2026-10-09T07:56:20Z', '51001.07'],
      ['2026-10-10T08:01:36Z', '51016.69'], ['2026-10-11T07:52:36Z', '51018.82'], ['2026-10-12T08:04:51Z', '51033.24'],
      ['2026-10-13T08:33:52Z', '51053.89'], ['2026-10-14T08:39:17Z', '51079.55'], ['2026-10-15T08:30:40Z', '51106.72'],
      ['2026-10-16T07:39:10Z', '51135.78'], ['2026-10-17T07:36:55Z', '51156.07'], ['2026-10-18T08:52:46Z', '51158.64'],
      ['2026-10-19T07:56:48Z', '51176.20'], ['2026-10-20T07:22:53Z', '51204.05'], ['2026-10-21T07:30:21Z', '51233.88'],
    ];
    const pts = reads.map(([t, v]) => [Date.parse(t), v] as [number, string]);
    expect(replay(pts).events).toEqual([]);
    // Against the one week alone (the old minimum), the ordinary week of 20 October is 1.3×.
    const lenient = { ...T, spikeMinBaselineDays: 7, spikeRatio: 1.2 };
    const flagged = replay(pts, meter, 1, 60, lenient).events.find((e) => e.state === 'raised');
    expect(flagged?.evidence).toMatchObject({ windowDays: '6.99', intervalEnd: '2026-10-20T07:22:53.000Z' });
    expect(Number(flagged?.evidence['ratio'])).toBeGreaterThanOrEqual(1.3);
  });

  it('does not judge near-zero loads', () => {
    const { events } = replay(household(20, (d) => (d < 19 ? 0.1 : 0.5)));
    expect(raised(events)).not.toContain('consumption-spike');
  });
});

describe('stuck register (no-advance) vs low consumption', () => {
  const at = (h: number) => vn(2024, 7, 10) + h * MS_PER_HOUR;

  it('flags a meter that used to consume and then stood still for 48 h, and clears when it moves', () => {
    const pts: [number, string][] = [];
    for (let h = 0; h <= 72; h += 6) pts.push([at(h), (1000 + h * 0.4).toFixed(1)]);
    for (let h = 78; h <= 126; h += 6) pts.push([at(h), '1028.8']); // stuck since h = 72
    const { events, state } = replay(pts);
    expect(raised(events)).toEqual(['no-advance']);
    expect(events[0]).toMatchObject({ severity: 'warning', evidence: { index: '1028.8', readsUnchanged: '9', hoursUnchanged: '48' } });
    const moved = detect(goodRead(meter.id, at(132), [kwh(KT, '1031.2', 'KT')]), historyOf(meter.id, KT, pts), state);
    expect(moved.events).toEqual([expect.objectContaining({ state: 'cleared', code: 'no-advance', anomalyId: events[0]!.anomalyId })]);
  });

  it('does not flag a low-consumption meter whose last digit moves rarely', () => {
    // 0.3 kWh/day on a whole-kWh display: the digit moves every ~3.3 days, so 3 flat days are normal.
    const pts: [number, string][] = [];
    for (let h = 0; h <= 24 * 30; h += 12) pts.push([at(h), String(Math.floor(500 + (0.3 * h) / 24))]);
    // Judged once the gateway has a week of this meter behind it (a fresh gateway knows no rate: see below).
    expect(replay(pts, meter, 16).events).toEqual([]);
    // The same meter stuck at 504 from day 13⅓: its digit should have moved about every 3⅓ days, so after
    // three missed steps it is a warning, given a memory long enough to have seen its earlier rate (20 days).
    const stuck = pts.map(([t, v]) => [t, Number(v) > 504 ? '504' : v] as [number, string]);
    const { events } = replay(stuck, meter, 16, 40);
    expect(events).toEqual([expect.objectContaining({ code: 'no-advance', severity: 'warning' })]);
    expect(Number(events[0]!.evidence['hoursUnchanged'])).toBeGreaterThan(200);
  });

  it('a meter flat through all of its history is only info (vacant premises or stuck: look, no truck)', () => {
    const pts: [number, string][] = [];
    for (let h = 0; h <= 60; h += 6) pts.push([at(h), '777.0']);
    const { events } = replay(pts);
    expect(events).toEqual([expect.objectContaining({ code: 'no-advance', severity: 'info' })]);
  });

  it('two identical reads 48 h apart are not enough evidence', () => {
    const pts: [number, string][] = [
      [at(0), '777.0'],
      [at(48), '777.0'],
    ];
    expect(replay(pts).events).toEqual([]);
  });
});

describe('index drop: rollover vs negative advance', () => {
  const t1 = vn(2024, 7, 10, 8);
  const t2 = t1 + MS_PER_DAY;

  it('a 6-digit register wrapping past 999999 is a rollover', () => {
    const r = detect(goodRead(meter.id, t2, [kwh(KT, '000012.4', 'KT')]), historyOf(meter.id, KT, [[t1, '999995.1']]));
    expect(raised(r.events)).toEqual(['rollover']);
    expect(r.events[0]!.evidence).toMatchObject({ registerDigits: '6', wrappedAdvance: '17.3', previousIndex: '999995.1', newIndex: '000012.4' });
  });

  it('an index going down by a little is a negative advance, critical', () => {
    const r = detect(goodRead(meter.id, t2, [kwh(KT, '4500.0', 'KT')]), historyOf(meter.id, KT, [[t1, '4521.3']]));
    expect(raised(r.events)).toEqual(['negative-advance']);
    expect(r.events[0]).toMatchObject({ severity: 'critical', obis: KT, evidence: { dropKilo: '21.3' } });
  });

  it('a drop to near zero from the middle of the range is a swap/reset, not a rollover', () => {
    const r = detect(goodRead(meter.id, t2, [kwh(KT, '3.0', 'KT')]), historyOf(meter.id, KT, [[t1, '523456.0']]));
    expect(raised(r.events)).toEqual(['negative-advance']);
  });

  it('compares across units exactly (history in Wh, read in kWh)', () => {
    const hist: RegisterRead[] = [{ meterId: meter.id, register: KT, value: '4521300', unit: 'Wh', meterTime: t1, receivedAt: t1 }];
    expect(detect(goodRead(meter.id, t2, [kwh(KT, '4521.3', 'KT')]), hist).events).toEqual([]);
    expect(raised(detect(goodRead(meter.id, t2, [kwh(KT, '4521.2', 'KT')]), hist).events)).toEqual(['negative-advance']);
  });

  it('an incident stays open through its billing month and clears in the next', () => {
    const first = detect(goodRead(meter.id, t2, [kwh(KT, '4500.0', 'KT')]), historyOf(meter.id, KT, [[t1, '4521.3']]));
    const hist = historyOf(meter.id, KT, [[t1, '4521.3'], [t2, '4500.0']]);
    const later = detect(goodRead(meter.id, t2 + MS_PER_DAY, [kwh(KT, '4510.0', 'KT')]), hist, first.state);
    expect(later.events).toEqual([]);
    expect(Object.keys(later.state.open)).toEqual(['negative-advance@1.0.1.8.0.255']);
    const august = detect(goodRead(meter.id, vn(2024, 8, 1, 1), [kwh(KT, '4600.0', 'KT')]), [...hist, ...historyOf(meter.id, KT, [[t2 + MS_PER_DAY, '4510.0']])], later.state);
    expect(august.events).toEqual([expect.objectContaining({ state: 'cleared', code: 'negative-advance', anomalyId: first.events[0]!.anomalyId })]);
  });
});

describe('tariff registers against the total', () => {
  const at = vn(2024, 7, 10, 8);
  const regs = (kt: string, bt: string, cd: string, td: string): RegisterValue[] => [
    kwh(KT, kt, 'KT'),
    kwh('1.0.1.8.1.255', bt, 'BT'),
    kwh('1.0.1.8.2.255', cd, 'CD'),
    kwh('1.0.1.8.3.255', td, 'TD'),
  ];

  it('accepts sums that differ only by independent truncation (up to n−1 last-digit steps)', () => {
    expect(detect(goodRead(meter.id, at, regs('12345.6', '5000.2', '4000.3', '3345.1'))).events).toEqual([]); // exact
    expect(detect(goodRead(meter.id, at, regs('12345.8', '5000.2', '4000.3', '3345.1'))).events).toEqual([]); // 2 steps
  });

  it('flags a difference beyond tolerance, with the figures', () => {
    const r = detect(goodRead(meter.id, at, regs('12345.9', '5000.2', '4000.3', '3345.1')));
    expect(raised(r.events)).toEqual(['tariff-sum-mismatch']);
    expect(r.events[0]!.evidence).toMatchObject({ tariffSumKilo: '12345.6', differenceKilo: '0.3', allowedKilo: '0.2' });
    expect(raised(detect(goodRead(meter.id, at, regs('12345.6', '5000.2', '4100.3', '3345.1'))).events)).toEqual(['tariff-sum-mismatch']);
  });

  it('accepts a total that wrapped past its digits while the tariffs did not (a rollover, not a mismatch)', () => {
    // KT shows 000012.3 after passing 999999.9; BT + CD + TD = 1 000 012.3.
    expect(detect(goodRead(meter.id, at, regs('12.3', '500000.2', '400000.3', '100011.8'))).events).toEqual([]);
    // Off by more than the tolerance from the wrap: still a mismatch.
    expect(raised(detect(goodRead(meter.id, at, regs('12.3', '500000.2', '400000.3', '100012.8'))).events)).toEqual(['tariff-sum-mismatch']);
    // In Wh: 10^9 Wh past the total is 10^6 kWh.
    const wh = (obis: string, v: string, bcs: 'KT' | 'BT' | 'CD' | 'TD'): RegisterValue => ({ ...kwh(obis, v, bcs), unit: 'Wh' });
    const inWh = [wh(KT, '12300', 'KT'), wh('1.0.1.8.1.255', '500000200', 'BT'), wh('1.0.1.8.2.255', '400000300', 'CD'), wh('1.0.1.8.3.255', '100011800', 'TD')];
    expect(detect(goodRead(meter.id, at, inWh)).events).toEqual([]);
  });

  it('uses the coarsest last digit when registers differ in decimals', () => {
    expect(detect(goodRead(meter.id, at, regs('12346', '5000.25', '4000.35', '3345.15'))).events).toEqual([]);
    expect(raised(detect(goodRead(meter.id, at, regs('12349', '5000.25', '4000.35', '3345.15'))).events)).toEqual(['tariff-sum-mismatch']);
  });
});

describe('clock, export, status word, serial', () => {
  const at = vn(2024, 7, 10, 8);
  const base = [kwh(KT, '100.0', 'KT')];

  it('clock drift beyond tolerance, not within', () => {
    expect(detect(goodRead(meter.id, at, base, { clockOffsetSeconds: 59 })).events).toEqual([]);
    const r = detect(goodRead(meter.id, at, base, { clockOffsetSeconds: -95.5 }));
    expect(r.events).toEqual([expect.objectContaining({ code: 'clock-drift', evidence: expect.objectContaining({ offsetSeconds: '-95.5' }) })]);
  });

  it('clock drift counts only beyond the measurement uncertainty (a slow link is not a drifting clock)', () => {
    expect(detect(goodRead(meter.id, at, base, { clockOffsetSeconds: 90, clockUncertaintySeconds: 40 })).events).toEqual([]);
    const r = detect(goodRead(meter.id, at, base, { clockOffsetSeconds: 90, clockUncertaintySeconds: 10 }));
    expect(r.events).toEqual([expect.objectContaining({ code: 'clock-drift', evidence: expect.objectContaining({ uncertaintySeconds: '10' }) })]);
  });

  it('an invalid clock is clock-invalid, and its offset is not also judged as drift', () => {
    const r = detect(goodRead(meter.id, at, base, { clockInvalid: true, clockOffsetSeconds: 86_400 }));
    expect(raised(r.events)).toEqual(['clock-invalid']);
    expect(raised(detect(goodRead(meter.id, at, base, { statusWord: 1 << 4 })).events)).toEqual(['clock-invalid']);
  });

  it('export advancing on an import-only customer, not on a prosumer, not when flat', () => {
    const hist = historyOf(meter.id, '1.0.2.8.0.255', [[at - MS_PER_DAY, '3.2']]);
    const read = (v: string) => goodRead(meter.id, at, [...base, kwh('1.0.2.8.0.255', v)]);
    expect(raised(detect(read('4.0'), hist).events)).toEqual(['export-on-import-only']);
    expect(detect(read('3.2'), hist).events).toEqual([]);
    expect(detect(read('4.0'), hist, emptyAnomalyState(), testMeter({ importOnly: false })).events).toEqual([]);
  });

  it('maps each status bit to its own meter-event and clears it when the bit drops', () => {
    const r = detect(goodRead(meter.id, at, base, { statusWord: 0b1011 }));
    expect(r.events.map((e) => [e.code, e.evidence['event'], e.severity])).toEqual([
      ['meter-event', 'cover-open', 'critical'],
      ['meter-event', 'magnetic-tamper', 'critical'],
      ['meter-event', 'reverse-flow', 'critical'], // critical: import-only customer
    ]);
    const again = detect(goodRead(meter.id, at + MS_PER_HOUR, base, { statusWord: 0b1011 }), [], r.state);
    expect(again.events).toEqual([]); // still open: not repeated
    const later = detect(goodRead(meter.id, at + 2 * MS_PER_HOUR, base, { statusWord: 0b0001 }), [], again.state);
    expect(later.events.map((e) => [e.state, e.evidence['event'] ?? e.code])).toEqual([
      ['cleared', 'meter-event'],
      ['cleared', 'meter-event'],
    ]);
    expect(Object.keys(later.state.open)).toEqual(['meter-event:cover-open']);
    expect(detect(goodRead(meter.id, at, base, { statusWord: 0b0100 })).events[0]).toMatchObject({ severity: 'info', evidence: { event: 'power-failure' } });
  });

  it('a serial other than the registry\'s suggests a swap', () => {
    expect(raised(detect(goodRead(meter.id, at, base, { serial: 'SN99999' })).events)).toEqual(['meter-swap-suspected']);
    expect(detect(goodRead(meter.id, at, base, { serial: 'SN20451' })).events).toEqual([]);
  });

  it('healthy data raises nothing', () => {
    const series = household(11);
    const hist = historyOf(meter.id, KT, series.slice(0, -1));
    const read = goodRead(meter.id, series.at(-1)![0], [kwh(KT, series.at(-1)![1], 'KT')], { statusWord: 0, clockInvalid: false, clockOffsetSeconds: 2, serial: 'SN20451' });
    expect(detect(read, hist).events).toEqual([]);
  });
});

describe('anomaly state and wire', () => {
  it('state is plain JSON that round-trips; a broken state is an error naming the meter', () => {
    const r = detect(goodRead(meter.id, vn(2024, 7, 10), [kwh(KT, '1.0', 'KT')], { statusWord: 3 }));
    expect(parseAnomalyState(JSON.stringify(r.state), meter.id)).toEqual(r.state);
    expect(parseAnomalyState(undefined, meter.id)).toEqual({ open: {} });
    expect(() => parseAnomalyState('{"open":{"x":{"code":"nope"}}}', meter.id)).toThrow(DetectionError);
    expect(() => parseAnomalyState('{', meter.id)).toThrow(/MTR-20451/);
  });

  it('raised and cleared events sign and open as an events batch', () => {
    const gw = testSigner('GW1');
    const r1 = detect(goodRead(meter.id, vn(2024, 7, 10), [kwh(KT, '1.0', 'KT')], { statusWord: 3, clockOffsetSeconds: 300 }));
    const r2 = detect(goodRead(meter.id, vn(2024, 7, 11), [kwh(KT, '2.0', 'KT')], { statusWord: 0, clockOffsetSeconds: 0 }), [], r1.state);
    const events = [...r1.events, ...r2.events];
    expect(events).toHaveLength(6);
    const payload = signEvents({ gatewayId: 'GW1', epoch: 'db-1', seqFrom: 1, seqTo: events.length, createdAt: '2024-07-11T00:00:00Z', events }, gw.privateKey, gw.keyId);
    expect(openSignedEvents(payload, ringOf(gw).lookup).batch.events).toHaveLength(6);
  });
});
