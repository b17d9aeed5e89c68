import { type MeterConfig, SimulatedMeter } from './meter-model.js';

/** Instant of a Vietnam local wall-clock time (UTC+7). */
export const vn = (y: number, mo: number, d: number, h = 0, mi = 0): number => Date.UTC(y, mo - 1, d, h, mi) - 7 * 3_600_000;

/** A meter with a movable simulation clock. */
export function meterWithClock(cfg: Partial<MeterConfig> & { now: number }): { meter: SimulatedMeter; clock: { now: number } } {
  const clock = { now: cfg.now };
  const meter = new SimulatedMeter({
    serial: 'SIM00000001',
    seed: 1,
    profile: { kind: 'household' },
    installedAt: vn(2025, 1, 6),
    ...cfg,
    timeSource: () => clock.now,
  });
  return { meter, clock };
}
