import { describe, expect, it } from 'vitest';
import type { MeterReadResult } from '../model.js';
import { busCycle, busSilence } from './bus-silence.js';
import { classifyFailure } from './failure-class.js';
import { MS_PER_HOUR } from './local-time.js';
import { initialReachability, stepReachability, type ReachabilityEvent, type ReachabilityState } from './offline.js';
import { assertWireEvent, failedRead, goodRead, kwh, testMeter, vn } from './test-fixtures.js';
import { DEFAULT_THRESHOLDS as T } from './thresholds.js';

const meter = testMeter();
const t0 = vn(2024, 7, 20, 8);

/** Runs results through stepReachability, collecting events and the final state. */
function run(results: MeterReadResult[], start: ReachabilityState = initialReachability()) {
  let state = start;
  const events: ReachabilityEvent[] = [];
  const problems = [];
  for (const r of results) {
    const step = stepReachability(state, r, meter, T);
    state = step.state;
    events.push(...step.events);
    problems.push(...step.problems);
  }
  events.forEach(assertWireEvent);
  return { state, events, problems };
}

const hourly = (from: number, n: number, make: (at: number) => MeterReadResult) => Array.from({ length: n }, (_, i) => make(from + i * MS_PER_HOUR));

describe('offline / online transitions', () => {
  it('goes offline once, after both enough failures and enough hours, and back online once', () => {
    const good = goodRead(meter.id, t0, [kwh('1.0.1.8.0.255', '100.0', 'KT')]);
    const fails = hourly(t0 + MS_PER_HOUR, 48, (at) => failedRead(meter.id, at));
    const back = goodRead(meter.id, t0 + 50 * MS_PER_HOUR, [kwh('1.0.1.8.0.255', '101.0', 'KT')]);
    const { events, state } = run([good, ...fails, back, goodRead(meter.id, t0 + 51 * MS_PER_HOUR, [])]);
    expect(events.map((e) => e.type)).toEqual(['meter-offline', 'meter-online']);
    const off = events[0]!;
    // 3 failures came after 3 h, but 24 h without a good read only at the 24th hourly failure.
    expect(off.at).toBe(new Date(t0 + 24 * MS_PER_HOUR).toISOString());
    expect(off.since).toBe(new Date(t0 + MS_PER_HOUR).toISOString());
    expect(off.consecutiveFailures).toBe(24);
    expect(off.lastGoodRead).toBe(new Date(t0).toISOString());
    expect(off.lastError).toBe('METER_NO_ANSWER');
    expect(events[1]!.lastGoodRead).toBe(new Date(t0 + 50 * MS_PER_HOUR).toISOString());
    expect(state.status).toBe('online');
  });

  it('a daily poller missing two days is not offline (too few failures); three misses are', () => {
    const days = (n: number) => Array.from({ length: n }, (_, i) => failedRead(meter.id, t0 + (i + 1) * 24 * MS_PER_HOUR));
    const start = { ...initialReachability(), lastGoodReadAt: t0 };
    expect(run(days(2), start).events).toEqual([]);
    expect(run(days(3), start).events.map((e) => e.type)).toEqual(['meter-offline']);
  });

  it('a meter never read goes offline measured from its first failure', () => {
    const { events } = run(hourly(t0, 30, (at) => failedRead(meter.id, at, 'METER_LINK_FAILED')));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'meter-offline', lastGoodRead: null, lastError: 'METER_LINK_FAILED' });
  });

  it('a wrong password is not offline: the meter answered; it is reported once as a config problem', () => {
    const { events, problems, state } = run(hourly(t0, 40, (at) => failedRead(meter.id, at, 'METER_AUTH_FAILED')));
    expect(events).toEqual([]);
    expect(state.status).toBe('online');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ meterId: meter.id, meteringPoint: meter.meteringPoint, code: 'METER_AUTH_FAILED' });
  });

  it('an undefined object on one register is a config problem, reported once, not offline', () => {
    const partial = (at: number) => goodRead(meter.id, at, [], { partialErrors: [{ obis: '1.0.2.8.0.255', code: 'METER_OBJECT_UNDEFINED', message: 'no such object' }] });
    const { events, problems } = run(hourly(t0, 5, partial));
    expect(events).toEqual([]);
    expect(problems).toEqual([expect.objectContaining({ code: 'METER_OBJECT_UNDEFINED', obis: '1.0.2.8.0.255' })]);
  });

  it('an auth failure after an outage ends the outage (the meter answers again)', () => {
    const fails = hourly(t0, 30, (at) => failedRead(meter.id, at));
    const { events } = run([...fails, failedRead(meter.id, t0 + 31 * MS_PER_HOUR, 'METER_AUTH_FAILED')]);
    expect(events.map((e) => e.type)).toEqual(['meter-offline', 'meter-online']);
  });

  it('classifies failure codes', () => {
    expect(classifyFailure('METER_NO_ANSWER')).toBe('unreachable');
    expect(classifyFailure('METER_CORRUPT')).toBe('unreachable');
    expect(classifyFailure('SOMETHING_NEW')).toBe('unreachable');
    expect(classifyFailure('METER_AUTH_FAILED')).toBe('answered');
    expect(classifyFailure('METER_OBJECT_UNDEFINED')).toBe('answered');
  });
});

describe('bus silence', () => {
  const meters = Array.from({ length: 10 }, (_, i) => testMeter({ id: `MTR-${100 + i}`, meteringPoint: `PD0100012345${600 + i}`, routeOrder: i + 1 }));
  const byId = new Map(meters.map((m) => [m.id, m]));
  const cycle = (at: number, failing: (i: number) => boolean, code = 'METER_NO_ANSWER') =>
    meters.map((m, i) => (failing(i) ? failedRead(m.id, at + i * 1000, code) : goodRead(m.id, at + i * 1000, [])));

  it('most meters failing with no-answer codes is one bus-silent event, not ten meter events, once', () => {
    let busState = { silentSince: null as number | null };
    let states = {};
    const all: { type: string }[] = [];
    for (let h = 0; h < 40; h++) {
      const r = busCycle({ busId: 'rs485-1', busState, results: cycle(t0 + h * MS_PER_HOUR, () => true), meters: byId, states, thresholds: T });
      busState = r.busState;
      states = { ...states, ...r.states };
      all.push(...r.events);
      r.events.forEach(assertWireEvent);
    }
    expect(all.map((e) => e.type)).toEqual(['bus-silent']);
    expect(all[0]).toMatchObject({ bus: 'rs485-1', since: new Date(t0).toISOString() });
    expect((all[0] as unknown as { metersAffected: string[] }).metersAffected).toHaveLength(10);
    // The meters are nevertheless offline (for the reading-day lists), just not announced one by one.
    expect(Object.values(states).every((s) => (s as { status: string }).status === 'offline')).toBe(true);

    // The bus comes back with one meter still dead: that meter's own offline goes out now, once.
    const after: { type: string; meterId?: string }[] = [];
    for (let h = 40; h < 43; h++) {
      const r = busCycle({ busId: 'rs485-1', busState, results: cycle(t0 + h * MS_PER_HOUR, (i) => i === 3), meters: byId, states, thresholds: T });
      if (h === 40) expect(r.busRecovered).toBe(true);
      busState = r.busState;
      states = { ...states, ...r.states };
      after.push(...r.events);
    }
    expect(after).toEqual([expect.objectContaining({ type: 'meter-offline', meterId: 'MTR-103' })]);
  });

  it('without the bus judgement the same outage would be ten meter-offline events', () => {
    let states = {};
    const all: { type: string }[] = [];
    for (let h = 0; h < 30; h++) {
      const r = busCycle({ busState: { silentSince: null }, results: cycle(t0 + h * MS_PER_HOUR, () => true), meters: byId, states, thresholds: T });
      states = { ...states, ...r.states };
      all.push(...r.events);
    }
    expect(all.filter((e) => e.type === 'meter-offline')).toHaveLength(10);
  });

  it('is not silent below the share, with too few meters, or when meters refuse the password', () => {
    const at = t0;
    expect(busSilence('b', { silentSince: null }, cycle(at, (i) => i < 7), T).silent).toBe(false);
    expect(busSilence('b', { silentSince: null }, cycle(at, (i) => i < 8), T).silent).toBe(true);
    expect(busSilence('b', { silentSince: null }, cycle(at, () => true, 'METER_AUTH_FAILED'), T).silent).toBe(false);
    const two = [failedRead('A', at), failedRead('B', at)];
    expect(busSilence('b', { silentSince: null }, two, T).silent).toBe(false);
    expect(busSilence('b', { silentSince: null }, [...two, failedRead('C', at)], T).silent).toBe(true);
  });
});
