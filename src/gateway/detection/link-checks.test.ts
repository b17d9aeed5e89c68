import { describe, expect, it } from 'vitest';
import type { MeterReadResult } from '../model.js';
import { detectAnomalies } from './anomalies.js';
import { emptyAnomalyState, type AnomalyEvent } from './anomaly-state.js';
import { busCycle } from './bus-silence.js';
import { checkIntermittent } from './link-checks.js';
import { MS_PER_DAY } from './local-time.js';
import { initialReachability, stepReachability, type ReachabilityState } from './offline.js';
import { assertWireEvent, failedRead, goodRead, kwh, testMeter, vn } from './test-fixtures.js';
import { DEFAULT_THRESHOLDS as T } from './thresholds.js';

const KT = '1.0.1.8.0.255';
const meter = testMeter();
const t0 = vn(2024, 7, 1, 12);

/** Daily polls from a pattern ('1' answered, '0' silent): reachability and detection as the gateway runs them. */
function polls(pattern: string) {
  let reach: ReachabilityState = initialReachability();
  let anomalies = emptyAnomalyState();
  const events: AnomalyEvent[] = [];
  [...pattern].forEach((c, day) => {
    const at = t0 + day * MS_PER_DAY;
    const result: MeterReadResult = c === '1' ? goodRead(meter.id, at, [kwh(KT, (1000 + day * 7).toFixed(1), 'KT')]) : failedRead(meter.id, at);
    reach = stepReachability(reach, result, meter, T).state;
    if (!result.ok) return;
    const r = detectAnomalies({ meter, read: result, history: [], state: anomalies, thresholds: T, ...(reach.recentPolls === undefined ? {} : { recentPolls: reach.recentPolls }) });
    anomalies = r.state;
    r.events.forEach(assertWireEvent);
    events.push(...r.events.filter((e) => e.code === 'intermittent'));
  });
  return { events, reach };
}

describe('unreliable link (intermittent)', () => {
  it('flags a meter that misses polls here and there, once, with the polls as evidence', () => {
    const { events } = polls('1101101011101');
    expect(events.map((e) => e.state)).toEqual(['raised']);
    expect(events[0]).toMatchObject({ code: 'intermittent', severity: 'warning', evidence: { failedPolls: '3', polls: '10' } });
    expect(events[0]!.evidence['recentPolls']).toMatch(/^[01]{10}$/);
  });

  it('does not flag one outage that ended (offline covers it), nor a healthy meter, nor too short a history', () => {
    expect(polls('11110000111111').events).toEqual([]);
    expect(polls('11111111111111').events).toEqual([]);
    expect(polls('101101').events).toEqual([]);
    expect(checkIntermittent(undefined, T)).toBe('unknown');
  });

  it('clears once the last polls are mostly answered again', () => {
    const { events } = polls('1101101011101' + '1111111111');
    expect(events.map((e) => e.state)).toEqual(['raised', 'cleared']);
  });

  it("keeps its memory short and leaves out back-off skips and a silent bus's polls", () => {
    const { reach } = polls('1'.repeat(40));
    expect(reach.recentPolls).toHaveLength(24);
    const skip = { ...failedRead(meter.id, t0), step: 'back-off' } as MeterReadResult;
    expect(stepReachability({ ...initialReachability(), recentPolls: '11' }, skip, meter, T).state.recentPolls).toBe('11');
    expect(stepReachability({ ...initialReachability(), recentPolls: '11' }, failedRead(meter.id, t0), meter, T, { suppressOffline: true }).state.recentPolls).toBe('11');
    // Through a whole bus cycle: every meter of a silent bus fails together, none of them remembers it.
    const meters = ['M1', 'M2', 'M3', 'M4'].map((id) => testMeter({ id }));
    const states = Object.fromEntries(meters.map((m) => [m.id, { ...initialReachability(), recentPolls: '1' }]));
    const cycle = busCycle({ busId: 'bus1', busState: { silentSince: null }, results: meters.map((m) => failedRead(m.id, t0)), meters: new Map(meters.map((m) => [m.id, m])), states, thresholds: T });
    for (const m of meters) expect(cycle.states[m.id]!.recentPolls).toBe('1');
  });
});
