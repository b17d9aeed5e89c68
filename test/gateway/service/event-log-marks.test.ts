import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { EVENT_LOG_MARK_KEY, loadEventLogMarks, saveEventLogMarks } from '../../../src/gateway/service/event-log-marks.js';
import type { MeterReadResult } from '../../../src/gateway/model.js';
import type { EventLogMarks } from '../../../src/gateway/polling/event-log-read.js';
import { openStore, ReadHistory } from '../../../src/store/index.js';
import { tempDir } from '../../store/temp-dir.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const T = Date.UTC(2026, 9, 31, 16, 0);
const ok = (meterId: string, events?: { at: number; code: number }[]): MeterReadResult => ({
  ok: true,
  meterId,
  receivedAt: T,
  registers: [],
  partialErrors: [],
  ...(events === undefined ? {} : { events }),
});

function logger(): { log: pino.Logger; lines: { msg: string; meter?: string }[] } {
  const lines: { msg: string; meter?: string }[] = [];
  return { log: pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l) as { msg: string }) }), lines };
}

describe('event-log positions across a restart', () => {
  it('keeps where each read log stands in the gateway database, and a restart starts from there', () => {
    const path = tmp.file('marks.db');
    const { log, lines } = logger();
    let store = openStore({ path });
    const marks: EventLogMarks = new Map([
      ['CT1', { at: T - 3_600_000, codes: [201, 202], shape: { clockColumn: 0 } as never }],
      ['CT2', { at: T - 7_200_000, codes: [] }],
      ['CT3', { at: T - 60_000, codes: [5] }],
    ]);
    // CT1's log was read (nothing new), CT2's too, CT3 failed this cycle: its older position is not overwritten.
    saveEventLogMarks(new ReadHistory(store), marks, [ok('CT1', []), ok('CT2', [{ at: T - 7_200_000, code: 1 }]), { ok: false, meterId: 'CT3', receivedAt: T, code: 'METER_NO_ANSWER', step: 'connect', message: 'x', retryable: true }], T, log);
    store.close();

    store = openStore({ path }); // the restart
    const loaded = loadEventLogMarks(new ReadHistory(store), ['CT1', 'CT2', 'CT3'], log);
    expect([...loaded.entries()]).toEqual([
      ['CT1', { at: T - 3_600_000, codes: [201, 202] }],
      ['CT2', { at: T - 7_200_000, codes: [] }],
    ]);
    expect(lines).toEqual([]);
    store.close();
  });

  it('a meter without a log read this cycle (model without eventLog) writes nothing', () => {
    const store = openStore({ path: tmp.file('none.db') });
    const h = new ReadHistory(store);
    saveEventLogMarks(h, new Map([['CT1', { at: T, codes: [] }]]), [ok('CT1')], T, logger().log);
    expect(h.getState('CT1', EVENT_LOG_MARK_KEY)).toBeUndefined();
    store.close();
  });

  it('a damaged position is left out with a warning naming the meter; that log is read back the usual lookback', () => {
    const store = openStore({ path: tmp.file('damaged.db') });
    const h = new ReadHistory(store);
    h.setState('CT1', EVENT_LOG_MARK_KEY, '{"at":"yesterday","codes":[]}');
    h.setState('CT2', EVENT_LOG_MARK_KEY, 'not json');
    h.setState('CT3', EVENT_LOG_MARK_KEY, JSON.stringify({ at: T, codes: [7] }));
    const { log, lines } = logger();
    expect([...loadEventLogMarks(h, ['CT1', 'CT2', 'CT3', 'CT4'], log).keys()]).toEqual(['CT3']);
    expect(lines.map((l) => l.meter)).toEqual(['CT1', 'CT2']);
    expect(lines[0]!.msg).toMatch(/event-log position in meter_state \(event-log-mark\) is not \{at, codes\}/);
    store.close();
  });

  it('a store that refuses the write costs a warning, not the cycle', () => {
    const store = openStore({ path: tmp.file('full.db') });
    // Only meter_state refuses, as a full disk would refuse the write.
    store.db.exec("CREATE TEMP TRIGGER refuse_state BEFORE INSERT ON main.meter_state BEGIN SELECT RAISE(ABORT, 'no space in the test'); END");
    const { log, lines } = logger();
    expect(() => saveEventLogMarks(new ReadHistory(store), new Map([['CT1', { at: T, codes: [] }]]), [ok('CT1', [])], T, log)).not.toThrow();
    expect(lines.map((l) => l.msg)).toEqual(['event-log positions not saved; after a restart the logs are read back two days']);
    store.close();
  });
});
