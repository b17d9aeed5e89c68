import { describe, expect, it } from 'vitest';
import type { MeterDefinition, MeterLogEntry, MeterReadSuccess } from '../model.js';
import { detectAnomalies } from './anomalies.js';
import { emptyAnomalyState, type AnomalyEvent } from './anomaly-state.js';
import { checkEventLog } from './event-log-checks.js';
import { assertWireEvent, goodRead, kwh, testMeter, vn } from './test-fixtures.js';
import { DEFAULT_THRESHOLDS as T } from './thresholds.js';

const KT = '1.0.1.8.0.255';
const REVERSE_FLOW_BIT = 1 << 3;

/** One poll: what the status word showed at the poll and what the event log gained since the last one. */
interface Poll {
  at: number;
  statusWord?: number;
  events?: MeterLogEntry[];
}

/** Detection over daily polls as the gateway runs it, state carried from poll to poll. */
function replay(polls: Poll[], meter: MeterDefinition = testMeter()) {
  let state = emptyAnomalyState();
  const perPoll: AnomalyEvent[][] = [];
  polls.forEach((p, i) => {
    const extra: Partial<MeterReadSuccess> = { ...(p.statusWord === undefined ? {} : { statusWord: p.statusWord }), ...(p.events ? { events: p.events } : {}) };
    const read = goodRead(meter.id, p.at, [kwh(KT, (4000 + i * 10).toFixed(1), 'KT')], extra);
    const r = detectAnomalies({ meter, read, history: [], state, thresholds: T });
    r.events.forEach(assertWireEvent);
    state = r.state;
    perPoll.push(r.events);
  });
  return { state, perPoll, events: perPoll.flat() };
}

const day = (d: number, hour = 0, minute = 5) => vn(2025, 10, d, hour, minute);
const eventsOf = (events: AnomalyEvent[], state: 'raised' | 'cleared') => events.filter((e) => e.state === state && e.code === 'meter-event');

describe('event log: the meter’s alarms between two polls', () => {
  it('flags a reverse flow that started and ended between two daily polls, at the next poll, once', () => {
    const started = day(10, 14, 20);
    const ended = day(10, 19, 45);
    // The status word is clear at both polls: the flow lay entirely between them.
    const { perPoll, state } = replay([
      { at: day(10), statusWord: 0, events: [] },
      { at: day(11), statusWord: 0, events: [{ at: started, code: 200 }, { at: ended, code: 201 }] },
      { at: day(12), statusWord: 0, events: [] },
      { at: day(13), statusWord: 0, events: [] },
    ]);
    expect(perPoll[0]).toEqual([]);
    expect(perPoll[1]).toHaveLength(1);
    const e = perPoll[1]![0]!;
    expect(e).toMatchObject({ state: 'raised', code: 'meter-event', severity: 'critical', obis: '0.0.99.98.0.255', meterId: 'MTR-20451' });
    expect(e.evidence).toEqual({ event: 'reverse-flow', code: '200', meterTime: new Date(started).toISOString(), source: 'event log', occurrences: '1' });
    expect(e.at).toBe(new Date(day(11)).toISOString());
    // Neither repeated nor cleared by the later polls: the incident belongs to the month.
    expect(perPoll.slice(2).flat()).toEqual([]);
    expect(Object.keys(state.open)).toEqual(['meter-event-log:reverse-flow']);
    expect(state.open['meter-event-log:reverse-flow']).toMatchObject({ lifetime: 'period', month: '2025-10' });
  });

  it('does not raise again when the same entries are read a second time (a restart reads the log back)', () => {
    const entries = [{ at: day(10, 14), code: 200 }];
    const { events } = replay([
      { at: day(11), statusWord: 0, events: entries },
      { at: day(11, 12), statusWord: 0, events: entries },
      { at: day(12), statusWord: 0, events: entries },
    ]);
    expect(eventsOf(events, 'raised')).toHaveLength(1);
    expect(eventsOf(events, 'cleared')).toEqual([]);
  });

  it('ignores codes it does not know and events that are not alarms (clock adjusted, power up, covers closed)', () => {
    const { events } = replay([
      { at: day(10), statusWord: 0, events: [] },
      {
        at: day(11),
        statusWord: 0,
        events: [
          { at: day(10, 8), code: 4 }, // clock adjusted (old time)
          { at: day(10, 8), code: 5 }, // clock adjusted (new time)
          { at: day(10, 9), code: 2 }, // power up
          { at: day(10, 9), code: 45 }, // meter cover closed
          { at: day(10, 9), code: 43 }, // no strong DC field any more
          { at: day(10, 10), code: 201 }, // reverse flow ended
          { at: day(10, 11), code: 6 }, // clock invalid: the clock checks' business
          { at: day(10, 12), code: 999 },
          { at: day(10, 13), code: 0 },
        ],
      },
    ]);
    expect(events).toEqual([]);
  });

  it("reads another make's codes from the meter's model (eventCodes), and then not the usual ones", () => {
    const meter = testMeter({ eventCodes: { 7001: 'magnetic-tamper', 7002: 'reverse-flow' } });
    const { events } = replay(
      [
        { at: day(10), statusWord: 0, events: [] },
        { at: day(11), statusWord: 0, events: [{ at: day(10, 8), code: 42 }, { at: day(10, 9), code: 7001 }] },
      ],
      meter,
    );
    expect(eventsOf(events, 'raised').map((e) => [e.evidence['event'], e.evidence['code']])).toEqual([['magnetic-tamper', '7001']]);
  });

  it('raises one anomaly per alarm, with the first time stamp and how often the meter logged it', () => {
    const { perPoll } = replay([
      {
        at: day(11),
        statusWord: 0,
        events: [
          { at: day(10, 3), code: 1 },
          { at: day(10, 3, 30), code: 2 },
          { at: day(10, 6), code: 42 },
          { at: day(10, 7), code: 44 },
          { at: day(10, 8), code: 40 },
          { at: day(10, 20), code: 1 },
        ],
      },
    ]);
    const raised = eventsOf(perPoll[0]!, 'raised');
    const by = Object.fromEntries(raised.map((e) => [e.evidence['event'] as string, e]));
    expect(Object.keys(by).sort()).toEqual(['cover-open', 'magnetic-tamper', 'power-failure']);
    expect(by['power-failure']).toMatchObject({ severity: 'info', evidence: { code: '1', occurrences: '2', meterTime: new Date(day(10, 3)).toISOString(), lastMeterTime: new Date(day(10, 20)).toISOString() } });
    expect(by['magnetic-tamper']).toMatchObject({ severity: 'critical', evidence: { code: '42', occurrences: '1' } });
    // The meter cover (44) and the terminal cover (40): one cover-open alarm, stamped at the first.
    expect(by['cover-open']).toMatchObject({ severity: 'critical', evidence: { code: '44', occurrences: '2' } });
  });

  it('gives reverse flow as a warning on a meter that may export', () => {
    const { events } = replay([{ at: day(11), events: [{ at: day(10, 14), code: 200 }] }], testMeter({ importOnly: false }));
    expect(eventsOf(events, 'raised').map((e) => e.severity)).toEqual(['warning']);
  });

  it('is not cleared by a status bit that clears, and clears with the billing month', () => {
    const { perPoll } = replay([
      { at: day(30), statusWord: 0, events: [{ at: day(29, 22), code: 200 }] },
      { at: day(31), statusWord: REVERSE_FLOW_BIT, events: [] },
      { at: day(31, 12), statusWord: 0, events: [] },
      { at: vn(2025, 11, 1, 0, 5), statusWord: 0, events: [] },
    ]);
    expect(perPoll[0]!.map((e) => `${e.state} ${e.anomalyId.split('|')[1]}`)).toEqual(['raised meter-event-log:reverse-flow']);
    expect(perPoll[1]!.map((e) => `${e.state} ${e.anomalyId.split('|')[1]}`)).toEqual(['raised meter-event:reverse-flow']);
    expect(perPoll[2]!.map((e) => `${e.state} ${e.anomalyId.split('|')[1]}`)).toEqual(['cleared meter-event:reverse-flow']);
    expect(perPoll[3]!.map((e) => `${e.state} ${e.anomalyId.split('|')[1]} ${e.evidence['clearedBecause']}`)).toEqual(['cleared meter-event-log:reverse-flow billing month ended']);
  });

  it('leaves an alarm still set in the status word to the status word: one anomaly, not two', () => {
    const { perPoll, state } = replay([
      { at: day(11), statusWord: REVERSE_FLOW_BIT, events: [{ at: day(10, 14), code: 200 }] },
      { at: day(12), statusWord: 0, events: [{ at: day(11, 9), code: 201 }] },
    ]);
    expect(perPoll[0]!.map((e) => `${e.state} ${e.anomalyId.split('|')[1]}`)).toEqual(['raised meter-event:reverse-flow']);
    expect(perPoll[1]!.map((e) => `${e.state} ${e.anomalyId.split('|')[1]}`)).toEqual(['cleared meter-event:reverse-flow']);
    expect(state.open).toEqual({});
  });

  it('an event near the month end read after it belongs to the month it is read in', () => {
    const { state } = replay([{ at: vn(2025, 11, 1, 0, 5), events: [{ at: vn(2025, 10, 31, 23, 50), code: 1 }] }]);
    expect(state.open['meter-event-log:power-failure']).toMatchObject({ month: '2025-11', lifetime: 'period' });
  });

  it('judges nothing when the log was not read, and everything when it was read and held nothing new', () => {
    const meter = testMeter();
    expect(checkEventLog(meter, goodRead(meter.id, day(11), []))).toEqual({ evaluated: [], findings: [] });
    const read = checkEventLog(meter, goodRead(meter.id, day(11), [], { events: [] }));
    expect(read.findings).toEqual([]);
    expect(read.evaluated.sort()).toEqual(['meter-event-log:cover-open', 'meter-event-log:magnetic-tamper', 'meter-event-log:power-failure', 'meter-event-log:reverse-flow']);
  });

  it('takes another make’s numbering when given one', () => {
    const meter = testMeter();
    const read = goodRead(meter.id, day(11), [], { events: [{ at: day(10), code: 200 }, { at: day(10), code: 77 }] });
    const out = checkEventLog(meter, read, { 77: 'reverse-flow' });
    expect(out.findings.map((f) => [f.key, f.evidence['code']])).toEqual([['meter-event-log:reverse-flow', '77']]);
  });

  it('raises again in a later month when the meter logs the alarm again', () => {
    const { events } = replay([
      { at: day(11), events: [{ at: day(10, 14), code: 200 }] },
      { at: vn(2025, 11, 3, 0, 5), events: [] },
      { at: vn(2025, 11, 6, 0, 5), events: [{ at: vn(2025, 11, 5, 2), code: 200 }] },
    ]);
    expect(events.map((e) => `${e.state} ${e.at.slice(0, 10)}`)).toEqual(['raised 2025-10-10', 'cleared 2025-11-02', 'raised 2025-11-05']);
  });
});
