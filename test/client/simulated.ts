import { SimulatedMeter } from '../../simulators/meter/meter-model.js';
import type { Fault } from '../../simulators/meter/faults.js';

/** A fixed instant (15 June 2025, 10:00 in Vietnam) so that expected values are exact. */
export const NOW = Date.UTC(2025, 5, 15, 3, 0, 0);

export function meters(count: number, options: { password?: string; faults?: Record<number, Fault[]>; now?: () => number } = {}): SimulatedMeter[] {
  return Array.from(
    { length: count },
    (_, i) =>
      new SimulatedMeter({
        serial: `SIM${String(i + 1).padStart(4, '0')}`,
        seed: 100 + i,
        profile: { kind: 'household' },
        installedAt: Date.UTC(2024, 0, 10),
        initialIndexWh: 1_000_000 * (i + 1),
        password: options.password ?? '12345678',
        timeSource: options.now ?? (() => NOW),
        loadProfile: { capturePeriodS: 1800, days: 40 },
        faults: options.faults?.[i + 1] ?? [],
      }),
  );
}
