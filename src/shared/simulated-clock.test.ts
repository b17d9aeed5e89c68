import { describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from './simulated-clock.js';

function manualReal() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('SimulatedClock', () => {
  it('runs `speed` times faster than the real clock from its start', () => {
    const real = manualReal();
    const clock = new SimulatedClock({ start: Date.UTC(2026, 0, 31), speed: 3600, realNow: real.now });
    expect(clock.now()).toBe(Date.UTC(2026, 0, 31));
    real.advance(1000); // one real second is one simulated hour
    expect(clock.now()).toBe(Date.UTC(2026, 0, 31, 1));
  });

  it('fires timers after the simulated delay and after a jump forward, in order', async () => {
    const clock = new SimulatedClock({ start: 0, speed: 1_000_000 });
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 2 * 86_400_000);
    clock.setTimeout(() => fired.push('a'), 86_400_000);
    const never = clock.setTimeout(() => fired.push('cancelled'), 1);
    clock.clearTimeout(never);
    clock.advanceTo(3 * 86_400_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toEqual(['a', 'b']);
  });

  it('refuses a speed that is not positive, and phases that overlap', () => {
    expect(() => new SimulatedClock({ start: 0, speed: 0 })).toThrow(/speed must be a number > 0/);
    expect(() => new SimulatedClock({ start: 0, speed: 1, phases: [{ from: 10, until: 5, speed: 2 }] })).toThrow(/ends before it starts/);
    expect(() => new SimulatedClock({ start: 0, speed: 1, phases: [{ from: 0, until: 10, speed: 2 }, { from: 5, until: 20, speed: 3 }] })).toThrow(/overlap/);
  });

  it('runs a phase at its own speed: the month-end night slowed down, the rest fast', () => {
    const real = manualReal();
    const H = 3_600_000;
    // 3600× (an hour a second) except 10:00–12:00 at 360× (an hour in ten seconds).
    const clock = new SimulatedClock({ start: 0, speed: 3600, phases: [{ from: 10 * H, until: 12 * H, speed: 360 }], realNow: real.now });
    real.advance(10_000);
    expect(clock.now()).toBe(10 * H);
    expect(clock.speed).toBe(360);
    real.advance(10_000);
    expect(clock.now()).toBe(11 * H);
    real.advance(10_000 + 1_000);
    expect(clock.now()).toBe(13 * H);
    expect(clock.speed).toBe(3600);
  });

  it('gives two clocks built from the same numbers the same time (another process shares it)', () => {
    const real = manualReal();
    const phases = [{ from: 5_000, until: 9_000, speed: 2 }];
    const a = new SimulatedClock({ start: 0, speed: 10, phases, realNow: real.now });
    real.advance(700);
    const b = new SimulatedClock({ start: 0, speed: 10, phases, realNow: real.now, realStart: 1_000 });
    expect(b.now()).toBe(a.now());
    expect(a.now()).toBe(5_000 + 200 * 2);
  });

  it('fires a timer set across a phase after the real time the phases make of it', () => {
    vi.useFakeTimers();
    try {
      const real = manualReal();
      // 10× for the first simulated second, then 1× until 50 s: a timer at 30 s waits 100 + 29 000 real ms.
      const clock = new SimulatedClock({ start: 0, speed: 10, phases: [{ from: 1_000, until: 50_000, speed: 1 }], realNow: real.now });
      const fired: number[] = [];
      clock.setTimeout(() => fired.push(clock.now()), 30_000);
      real.advance(29_099);
      vi.advanceTimersByTime(29_099);
      expect(fired).toEqual([]);
      real.advance(1);
      vi.advanceTimersByTime(1);
      expect(fired).toEqual([30_000]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('runs before its start when its real start is still ahead, and fires timers set there on time', () => {
    vi.useFakeTimers();
    try {
      const real = manualReal();
      // Real start 2 s ahead at 10×: now is 20 simulated seconds before start.
      const clock = new SimulatedClock({ start: 100_000, speed: 10, realNow: real.now, realStart: 3_000 });
      expect(clock.now()).toBe(80_000);
      const fired: number[] = [];
      clock.setTimeout(() => fired.push(clock.now()), 5_000); // at 85 000, 500 real ms from now
      real.advance(499);
      vi.advanceTimersByTime(499);
      expect(fired).toEqual([]);
      real.advance(1);
      vi.advanceTimersByTime(1);
      expect(fired).toEqual([85_000]);
    } finally {
      vi.useRealTimers();
    }
  });
});
