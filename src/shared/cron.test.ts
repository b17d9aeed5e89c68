import { describe, expect, it } from 'vitest';
import { clockTrigger, nextCronTime } from './cron.js';
import { SimulatedClock } from './simulated-clock.js';

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

  it('fires on a simulated clock at the simulated times', async () => {
    const clock = new SimulatedClock({ start: local('2026-03-31T23:00:00'), speed: 36_000 }); // an hour in 0.1 s
    const fired: string[] = [];
    const task = clockTrigger(clock).every('0 0 * * *', () => fired.push(new Date(clock.now()).toISOString()));
    await new Promise((r) => setTimeout(r, 400));
    task.stop();
    expect(fired.length).toBe(1);
    expect(Math.abs(Date.parse(fired[0]!) - local('2026-04-01T00:00:00'))).toBeLessThan(60_000);
  });
});
