import { describe, expect, it } from 'vitest';
import { cutoffOf, daysToMonthEnd, isPreCutoffDay, periodOf } from './calendar.js';
import { newTally, rollTally, tallyCycle } from './day-tally.js';
import { dailyDigest, preCutoffReport, type MeterStatus } from './digest.js';
import { initialReachability } from './offline.js';
import { assertWireEvent, failedRead, goodRead, kwh, testMeter, vn } from './test-fixtures.js';

/** The local days of a month on which isPreCutoffDay holds. */
const preDays = (year: number, month: number, n: number): number[] => {
  const out: number[] = [];
  for (let d = 1; d <= 31; d++) {
    const t = vn(year, month, d, 8);
    if (new Date(t + 7 * 3_600_000).getUTCMonth() + 1 !== month) break;
    if (isPreCutoffDay(t, n)) out.push(d);
  }
  return out;
};

describe('pre-cutoff calendar (Asia/Ho_Chi_Minh)', () => {
  it.each([
    [2024, 7, [28, 29, 30]], // 31 days
    [2024, 6, [27, 28, 29]], // 30 days
    [2023, 2, [25, 26, 27]], // 28 days
    [2024, 2, [26, 27, 28]], // 29 days, leap year
    [2024, 12, [28, 29, 30]], // year end
  ])('%i-%i: the 3 days before the last day', (y, m, days) => {
    expect(preDays(y, m, 3)).toEqual(days);
  });

  it('uses the local day, not UTC: 30 July 23:30 local is pre-cutoff, 31 July 00:30 local is not', () => {
    expect(isPreCutoffDay(vn(2024, 7, 30, 23, 30), 3)).toBe(true);
    expect(isPreCutoffDay(vn(2024, 7, 31, 0, 30), 3)).toBe(false); // still 30 July in UTC
    expect(isPreCutoffDay(vn(2024, 7, 27, 23, 59), 3)).toBe(false);
  });

  it('is configurable, 0 disables it', () => {
    expect(preDays(2024, 7, 1)).toEqual([30]);
    expect(preDays(2024, 7, 5)).toEqual([26, 27, 28, 29, 30]);
    expect(preDays(2024, 7, 0)).toEqual([]);
  });

  it('periodOf and cutoffOf follow the local calendar month, across the year end', () => {
    expect(periodOf(vn(2024, 2, 10))).toEqual({ start: '2024-02-01', end: '2024-02-29' });
    expect(periodOf(vn(2024, 12, 31, 23, 59))).toEqual({ start: '2024-12-01', end: '2024-12-31' });
    expect(periodOf(vn(2025, 1, 1, 0, 0))).toEqual({ start: '2025-01-01', end: '2025-01-31' });
    expect(new Date(cutoffOf(vn(2024, 7, 29, 8))).toISOString()).toBe('2024-07-31T17:00:00.000Z');
    expect(new Date(cutoffOf(vn(2024, 12, 2))).toISOString()).toBe('2024-12-31T17:00:00.000Z');
    expect(daysToMonthEnd(vn(2023, 2, 28, 12))).toBe(0);
  });
});

function fleet(): MeterStatus[] {
  const m = (id: string, book: string, route: number) => testMeter({ id, meteringPoint: `PD${id.replace(/\D/g, '')}001`, bookCode: book, routeOrder: route });
  const off = (since: number, last: number | null) => ({ ...initialReachability(), status: 'offline' as const, consecutiveFailures: 30, failingSince: since, lastGoodReadAt: last, lastError: 'METER_NO_ANSWER', offlineReported: true });
  return [
    { meter: m('MTR-3', 'D018329', 1), reachability: off(vn(2024, 7, 20), vn(2024, 7, 19)), anomalies: { open: {} } },
    { meter: m('MTR-2', 'D018328', 7), reachability: off(vn(2024, 7, 25), null), anomalies: { open: {} } },
    { meter: m('MTR-1', 'D018328', 3), reachability: initialReachability(), anomalies: { open: {
      a: { anomalyId: 'MTR-1|no-advance@1.0.1.8.0.255|20240725T000000Z', code: 'no-advance', severity: 'warning', raisedAt: '2024-07-25T00:00:00.000Z', month: '2024-07', lifetime: 'condition' },
      b: { anomalyId: 'MTR-1|meter-event:cover-open|20240726T000000Z', code: 'meter-event', severity: 'critical', raisedAt: '2024-07-26T00:00:00.000Z', month: '2024-07', lifetime: 'condition' },
    } } },
    { meter: m('MTR-4', 'D018328', 1), reachability: { ...initialReachability(), status: 'failing', consecutiveFailures: 1, failingSince: vn(2024, 7, 28) }, anomalies: { open: {} } },
  ];
}

describe('pre-cutoff report', () => {
  it('lists offline points in book and route order and open anomalies, most severe first', () => {
    const e = preCutoffReport({ now: vn(2024, 7, 29, 8), meters: fleet() });
    assertWireEvent(e);
    expect(e.period).toEqual({ start: '2024-07-01', end: '2024-07-31' });
    expect(e.cutoffAt).toBe('2024-07-31T17:00:00.000Z');
    expect(e.bookCodes).toEqual(['D018328', 'D018329']);
    expect([e.pointsTotal, e.pointsOnline]).toEqual([4, 2]);
    expect(e.offlinePoints.map((p) => [p.meterId, p.bookCode])).toEqual([['MTR-2', 'D018328'], ['MTR-3', 'D018329']]);
    expect(e.offlinePoints[0]).toMatchObject({ since: new Date(vn(2024, 7, 25)).toISOString(), lastGoodRead: null });
    expect(e.openAnomalies.map((a) => a.severity)).toEqual(['critical', 'warning']);
  });
});

describe('daily digest', () => {
  it('counts the day and lists offline points with since-when in route order', () => {
    const day = vn(2024, 7, 29, 0, 10);
    let tally = newTally(day);
    tally = tallyCycle(tally, [goodRead('MTR-1', day, [kwh('1.0.1.8.0.255', '1.0'), kwh('1.0.1.8.1.255', '1.0')]), failedRead('MTR-2', day), failedRead('MTR-4', day)], [
      { type: 'anomaly', state: 'raised' },
      { type: 'meter-offline' },
    ]);
    tally = tallyCycle(tally, [goodRead('MTR-1', day + 3_600_000, [kwh('1.0.1.8.0.255', '1.1')]), goodRead('MTR-4', day + 3_600_000, [])], [{ type: 'anomaly', state: 'cleared' }]);
    expect(rollTally(tally, day + 3_600_000).finished).toBeUndefined();
    const { finished, current } = rollTally(tally, vn(2024, 7, 30, 0, 1));
    expect(current.date).toBe('2024-07-30');
    const d = dailyDigest({ now: vn(2024, 7, 30, 0, 5), tally: finished!, meters: fleet(), backlog: { count: 0, oldestAt: null, bytes: 0 } });
    assertWireEvent(d.event);
    expect(d.event).toMatchObject({ date: '2024-07-29', metersTotal: 4, metersRead: 2, metersFailed: 1, readsCollected: 3, offlineCount: 2, anomaliesRaised: 1, anomaliesCleared: 1 });
    expect(d.onlineCount).toBe(2);
    expect(d.offlinePoints.map((p) => [p.meterId, p.bookCode, p.routeOrder, p.since])).toEqual([
      ['MTR-2', 'D018328', 7, new Date(vn(2024, 7, 25)).toISOString()],
      ['MTR-3', 'D018329', 1, new Date(vn(2024, 7, 20)).toISOString()],
    ]);
    expect(d.openAnomalies).toHaveLength(2);
  });
});
