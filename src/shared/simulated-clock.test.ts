import { describe, expect, it } from 'vitest';
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

  it('refuses a speed that is not positive', () => {
    expect(() => new SimulatedClock({ start: 0, speed: 0 })).toThrow(/speed must be > 0/);
  });
});
