import { describe, expect, it } from 'vitest';
import { clockTrigger, nextCronTime, wallClockTrigger } from './cron.js';

const local = (iso: string) => Date.parse(`${iso}+07:00`);

describe('cron next time (Vietnam local time)', () => {
  it('finds the next run of common gateway schedules', () => {
    expect(nextCronTime('0 */4 * * *', local('2026-03-31T09:15:00'))).toBe(local('2026-03-31T12:00:00'));
    expect(nextCronTime('30 0 1 * *', local('2026-03-31T23:59:00'))).toBe(local('2026-04-01T00:30:00'));
    expect(nextCronTime('0 6 * * *', local('2026-12-31T06:00:00'))).toBe(local('2027-01-01T06:00:00'));
    expect(nextCronTime('*/20 * * * * *', local('2026-03-31T09:15:05'))).toBe(local('2026-03-31T09:15:20'));
    expect(nextCronTime('0 9 * * 1-5', local('2026-11-27T10:00:00'))).toBe(local('2026-11-30T09:00:00')); // Friday → Monday
  });

  it('refuses what it does not understand', () => {
    expect(() => nextCronTime('0 25 * * *', 0)).toThrow(/outside 0..23/);
    expect(() => nextCronTime('0 * *', 0)).toThrow(/5 or 6 fields/);
    expect(() => nextCronTime('0 0 31 2 *', 0)).toThrow(/never fires/);
  });

  it('arms each run on the given clock for exactly the time left, and re-arms after firing', () => {
    let now = local('2026-03-31T23:00:00');
    const armed: { fn: () => void; ms: number }[] = [];
    const clock = {
      now: () => now,
      setTimeout: (fn: () => void, ms: number) => (armed.push({ fn, ms }), { id: armed.length }),
      clearTimeout: () => undefined,
    };
    const fired: number[] = [];
    const task = clockTrigger(clock).every('0 0 * * *', () => fired.push(now));
    expect(armed.map((a) => a.ms)).toEqual([3_600_000]); // midnight, one hour ahead
    now = local('2026-04-01T00:00:00');
    armed[0]!.fn();
    expect(fired).toEqual([local('2026-04-01T00:00:00')]);
    expect(armed[1]!.ms).toBe(86_400_000); // the next midnight
    task.stop();
    now += 86_400_000;
    armed[1]!.fn();
    expect(fired).toHaveLength(1); // stopped: no more runs
  });

  it('with recheckMs looks again every minute: fires once when the clock was set past the due time, and works the time out again when it was set back', () => {
    let now = local('2026-03-31T23:00:00');
    const armed: { fn: () => void; ms: number }[] = [];
    const clock = { now: () => now, setTimeout: (fn: () => void, ms: number) => (armed.push({ fn, ms }), { id: armed.length }), clearTimeout: () => undefined };
    const fired: number[] = [];
    const last = () => armed[armed.length - 1]!;
    clockTrigger(clock, 420, { recheckMs: 60_000 }).every('0 0 * * *', () => fired.push(now));
    expect(last().ms).toBe(60_000);
    now += 60_000;
    last().fn();
    expect(fired).toEqual([]);
    expect(last().ms).toBe(60_000);
    // NTP sets the clock two days ahead: one run, then the next midnight from the new time.
    now = local('2026-04-02T10:00:00');
    last().fn();
    expect(fired).toEqual([local('2026-04-02T10:00:00')]);
    // Set back to a day before: the due time is worked out again from there (not 38 hours of waiting).
    now = local('2026-04-01T23:59:30');
    last().fn();
    expect(last().ms).toBe(30_000);
    now = local('2026-04-02T00:00:00');
    last().fn();
    expect(fired).toHaveLength(2);
  });

  it('keeps a monthly schedule under the 24.8-day timer limit on the wall clock', () => {
    const armed: number[] = [];
    const clock = { now: () => local('2026-04-02T12:00:00'), setTimeout: (_: () => void, ms: number) => (armed.push(ms), { id: 1 }), clearTimeout: () => undefined };
    wallClockTrigger('Asia/Ho_Chi_Minh', clock).every('30 0 1 * *', () => undefined).stop();
    expect(armed).toEqual([60_000]);
  });

  it('leaves zones with daylight saving and expressions with names to node-cron', () => {
    const armed: number[] = [];
    const clock = { now: () => 0, setTimeout: (_: () => void, ms: number) => (armed.push(ms), { id: 1 }), clearTimeout: () => undefined };
    wallClockTrigger('Europe/Paris', clock).every('0 0 * * *', () => undefined).stop();
    wallClockTrigger('Asia/Ho_Chi_Minh', clock).every('0 8 * * mon', () => undefined).stop();
    expect(armed).toEqual([]);
  });
});
