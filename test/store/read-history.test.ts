import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, ReadHistory, StoreError, type RegisterRead, type Store } from '../../src/store/index.js';
import { tempDir, thrown } from './temp-dir.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;

const T0 = Date.UTC(2025, 0, 1);
const HOUR = 3_600_000;
const KT = '1.0.1.8.0.255';

function read(meterId: string, value: string, hour: number, over: Partial<RegisterRead> = {}): RegisterRead {
  return { meterId, register: KT, value, unit: 'kWh', meterTime: T0 + hour * HOUR, receivedAt: T0 + hour * HOUR + 5_000, ...over };
}

describe('ReadHistory', () => {
  let store: Store;
  let h: ReadHistory;
  beforeEach(() => {
    store = openStore({ path: tmp.file(`history-${n++}.db`) });
    h = new ReadHistory(store, { keepPerRegister: 3, now: () => T0 });
  });
  afterEach(() => store.close());

  it('keeps reads with their exact decimal strings, newest first by meter time', () => {
    expect(h.record(read('m1', '00012345.678', 2), read('m1', '12346.001', 1), read('m1', '12347.5', 3))).toBe(3);
    expect(h.lastReads('m1', KT, 10)).toEqual([
      { meterId: 'm1', register: KT, value: '12347.5', unit: 'kWh', meterTime: T0 + 3 * HOUR, receivedAt: T0 + 3 * HOUR + 5_000 },
      { meterId: 'm1', register: KT, value: '00012345.678', unit: 'kWh', meterTime: T0 + 2 * HOUR, receivedAt: T0 + 2 * HOUR + 5_000 },
      { meterId: 'm1', register: KT, value: '12346.001', unit: 'kWh', meterTime: T0 + 1 * HOUR, receivedAt: T0 + 1 * HOUR + 5_000 },
    ]);
    expect(h.lastReads('m1', KT, 1).map((r) => r.value)).toEqual(['12347.5']);
    expect(h.lastReads('m1', '1.0.2.8.0.255', 5)).toEqual([]);
    expect(h.lastReads('m2', KT, 5)).toEqual([]);
  });

  it('keeps only the newest keepPerRegister reads per meter and register', () => {
    for (let i = 1; i <= 6; i++) h.record(read('m1', `${i}.0`, i));
    h.record(read('m1', '99', 1, { register: '1.0.1.8.1.255' }));
    expect(h.lastReads('m1', KT, 10).map((r) => r.value)).toEqual(['6.0', '5.0', '4.0']);
    expect(h.lastReads('m1', '1.0.1.8.1.255', 10).map((r) => r.value)).toEqual(['99']);
    expect(store.db.prepare('SELECT count(*) FROM meter_reads').pluck().get()).toBe(4);
  });

  it('behind the newest reads keeps the first read of each local day, for dailyDays', () => {
    // Polls every 4 hours from local midnight (UTC+7) for 12 days; "now" is the last poll.
    const local = 7 * HOUR;
    const start = T0 - local; // local midnight of 1 January
    const polls = Array.from({ length: 12 * 6 }, (_, i) => start + i * 4 * HOUR + 60_000);
    let now = 0;
    const daily = new ReadHistory(store, { keepPerRegister: 6, dailyDays: 10, localOffsetMs: local, now: () => now });
    polls.forEach((at, i) => {
      now = at;
      daily.record({ meterId: 'm1', register: KT, value: `${i}.0`, unit: 'kWh', meterTime: at, receivedAt: at });
    });
    const kept = daily.lastReads('m1', KT, 100).map((r) => r.receivedAt);
    // The newest 6 (the last day) at full resolution …
    expect(kept.slice(0, 6)).toEqual(polls.slice(-6).reverse());
    // … then the 00:01 read of each earlier day younger than 10 days, and nothing older.
    const firstOfDays = polls.filter((at, i) => i % 6 === 0 && at >= now - 10 * 24 * HOUR && i < polls.length - 6);
    expect(kept.slice(6)).toEqual(firstOfDays.reverse());
    expect(kept).toHaveLength(6 + 9);
  });

  it('refuses a daily tail or a day start it cannot use', () => {
    for (const o of [{ dailyDays: -1 }, { dailyDays: 1.5 }, { localOffsetMs: 25 * HOUR }]) {
      expect(thrown(() => new ReadHistory(store, o))).toMatchObject({ code: 'STORE_INVALID_ARGUMENT' });
    }
  });

  it('ignores the same read recorded twice (same meter time), and orders reads without meter time by receipt', () => {
    h.record(read('m1', '10', 1));
    expect(h.record(read('m1', '10', 1, { receivedAt: T0 + 9 * HOUR }))).toBe(0);
    h.record(read('m1', '11', 0, { meterTime: null, receivedAt: T0 + 2 * HOUR }));
    expect(h.lastReads('m1', KT, 5).map((r) => [r.value, r.meterTime])).toEqual([
      ['11', null],
      ['10', T0 + HOUR],
    ]);
  });

  it('refuses values that are not exact decimal strings, writing nothing of the call', () => {
    for (const value of ['1e3', '12,5', ' 12', 'NaN', '', '1.']) {
      const e = thrown(() => h.record(read('m1', '1', 1), read('m1', value, 2)));
      expect(e).toBeInstanceOf(StoreError);
      expect(e).toMatchObject({ code: 'STORE_INVALID_ARGUMENT' });
    }
    expect(h.lastReads('m1', KT, 5)).toEqual([]);
    expect(h.record(read('m1', '-0.5', 1))).toBe(1);
  });

  it('counts consecutive failures and resets them on success', () => {
    expect(h.meterHealth('m1')).toEqual({ consecutiveFailures: 0, lastSuccessAt: null, lastFailureAt: null, lastErrorCode: null });
    h.recordFailure('m1', T0 + 1, 'METER_NO_ANSWER');
    h.recordFailure('m1', T0 + 2, 'METER_CORRUPT');
    expect(h.meterHealth('m1')).toEqual({ consecutiveFailures: 2, lastSuccessAt: null, lastFailureAt: T0 + 2, lastErrorCode: 'METER_CORRUPT' });
    h.recordSuccess('m1', T0 + 3);
    expect(h.meterHealth('m1')).toEqual({ consecutiveFailures: 0, lastSuccessAt: T0 + 3, lastFailureAt: T0 + 2, lastErrorCode: 'METER_CORRUPT' });
    h.recordFailure('m1', T0 + 4, 'METER_NO_ANSWER');
    expect(h.meterHealth('m1')).toMatchObject({ consecutiveFailures: 1, lastSuccessAt: T0 + 3, lastFailureAt: T0 + 4 });
    expect(h.meterHealth('m2').consecutiveFailures).toBe(0);
  });

  it('keeps per-meter state keys', () => {
    expect(h.getState('m1', 'lp.last')).toBeUndefined();
    h.setState('m1', 'lp.last', '2025-01-01T00:15:00Z');
    h.setState('m1', 'lp.last', '2025-01-01T00:30:00Z', T0 + 5);
    h.setState('m1', 'clock.offset', '-12');
    h.setState('m2', 'lp.last', 'other');
    expect(h.getState('m1', 'lp.last')).toBe('2025-01-01T00:30:00Z');
    expect(h.states('m1')).toEqual({ 'clock.offset': '-12', 'lp.last': '2025-01-01T00:30:00Z' });
    expect(store.db.prepare(`SELECT updated_at FROM meter_state WHERE meter_id = 'm1' AND key = 'lp.last'`).pluck().get()).toBe(T0 + 5);
    expect(h.deleteState('m1', 'clock.offset')).toBe(true);
    expect(h.deleteState('m1', 'clock.offset')).toBe(false);
    expect(h.states('m1')).toEqual({ 'lp.last': '2025-01-01T00:30:00Z' });
  });

  it('forgets a removed meter entirely and nothing else', () => {
    h.record(read('m1', '1', 1), read('m2', '2', 1));
    h.recordFailure('m1', T0, 'METER_NO_ANSWER');
    h.setState('m1', 'k', 'v');
    h.setState('m2', 'k', 'v');
    h.forgetMeter('m1');
    expect(h.lastReads('m1', KT, 5)).toEqual([]);
    expect(h.meterHealth('m1').lastFailureAt).toBeNull();
    expect(h.states('m1')).toEqual({});
    expect(h.lastReads('m2', KT, 5).length).toBe(1);
    expect(h.getState('m2', 'k')).toBe('v');
  });

  it('history survives a reopen', () => {
    h.record(read('m1', '42.000', 1));
    h.recordFailure('m1', T0, 'METER_NO_ANSWER');
    const path = store.path;
    store.close();
    store = openStore({ path });
    h = new ReadHistory(store);
    expect(h.lastReads('m1', KT, 1)[0]?.value).toBe('42.000');
    expect(h.meterHealth('m1').consecutiveFailures).toBe(1);
  });

  it('batch: every write of the work commits together, seen by another connection only at the end', () => {
    const other = openStore({ path: store.path, readonly: true });
    try {
      const seen = () => other.db.prepare('SELECT (SELECT count(*) FROM meter_reads) + (SELECT count(*) FROM meter_health) + (SELECT count(*) FROM meter_state) AS n').get() as { n: number };
      const result = h.batch(() => {
        h.record(read('m1', '1.0', 1), read('m2', '2.0', 1));
        h.recordSuccess('m1', T0);
        h.recordFailure('m2', T0, 'METER_NO_ANSWER');
        h.setState('m1', 'anomalies', '{"open":{}}');
        expect(seen().n).toBe(0);
        return 'done';
      });
      expect(result).toBe('done');
      expect(seen().n).toBe(5);
    } finally {
      other.close();
    }
  });

  it('batch: a throw keeps none of the work and comes out as it was thrown', () => {
    h.setState('m1', 'k', 'before');
    const boom = new RangeError('detection bug');
    const e = thrown(() =>
      h.batch(() => {
        h.record(read('m1', '1.0', 1));
        h.recordSuccess('m1', T0);
        h.setState('m1', 'k', 'after');
        throw boom;
      }),
    );
    expect(e).toBe(boom);
    expect(h.lastReads('m1', KT, 5)).toEqual([]);
    expect(h.meterHealth('m1').lastSuccessAt).toBeNull();
    expect(h.getState('m1', 'k')).toBe('before');
    // A store refusal inside the work stays a StoreError with its own code.
    const refused = thrown(() => h.batch(() => h.record(read('m1', '1,0', 1))));
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as StoreError).code).toBe('STORE_INVALID_ARGUMENT');
  });

  it('the recent-reads query walks its index', () => {
    const plan = store.db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT value FROM meter_reads WHERE meter_id = ? AND register = ?
         ORDER BY coalesce(meter_time, received_at) DESC, id DESC LIMIT ?`,
      )
      .all('m1', KT, 3) as { detail: string }[];
    const text = plan.map((p) => p.detail).join(' | ');
    expect(text).toContain('meter_reads_recent');
    expect(text).not.toContain('TEMP B-TREE');
  });
});
