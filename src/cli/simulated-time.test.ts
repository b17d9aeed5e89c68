import { describe, expect, it } from 'vitest';
import { UsageError } from '../shared/command-line.js';
import { parseSimulatedClock } from './simulated-time.js';

describe('--simulated-clock FILE', () => {
  it("reads the clock at the top level or under `clock`, as the fleet simulator's fleet.json has it", () => {
    const clock = { startMs: 1_790_000_000_000, speed: 7000, phases: [{ from: 1_790_100_000_000, until: 1_790_200_000_000, speed: 300 }], realStartMs: 1_764_000_000_000 };
    const expected = { start: clock.startMs, speed: 7000, phases: clock.phases, realStart: clock.realStartMs };
    expect(parseSimulatedClock(JSON.stringify(clock), 'c.json')).toEqual(expected);
    expect(parseSimulatedClock(JSON.stringify({ clock, gateways: [] }), 'fleet.json')).toEqual(expected);
    expect(parseSimulatedClock(JSON.stringify({ ...clock, phases: undefined }), 'c.json').phases).toEqual([]);
  });

  it('refuses a file that is not such a clock, naming the file and the field', () => {
    const bad = (text: string) => {
      try {
        parseSimulatedClock(text, 'sim.json');
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad('{')).toMatch(/^--simulated-clock sim\.json: not JSON/);
    expect(bad('{"startMs": 1, "speed": 0, "realStartMs": 1}')).toMatch(/sim\.json: speed must be a number > 0, found 0/);
    expect(bad('{"speed": 5, "realStartMs": 1}')).toMatch(/startMs must be a number/);
    expect(bad('{"startMs": 1, "speed": 5, "realStartMs": 1, "phases": [{"from": 1, "until": "x", "speed": 2}]}')).toMatch(/phases\[0\]\.until must be a number/);
  });
});
