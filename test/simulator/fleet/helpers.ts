import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from '../../../src/shared/clock.js';
import { parseFleetConfig, validateFleetConfig, type FleetConfig, type FleetConfigInput } from '../../../simulators/fleet/fleet-config.js';

export const EXAMPLE = fileURLToPath(new URL('../../../simulators/fleet/fleet.example.yaml', import.meta.url));

export function exampleConfig(): FleetConfig {
  return parseFleetConfig(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
}

/** A small fleet: gateway A with a bus of 5 and 3 TCP meters, gateway B with 4 TCP meters. */
export function smallConfig(extra: Partial<FleetConfigInput> = {}): FleetConfig {
  return validateFleetConfig({
    seed: 7,
    start: '2025-06-20T08:00:00+07:00',
    speed: 1,
    password: '12345678',
    gateways: [
      { id: 'gwa', buses: [{ id: 'bus1', meters: 5 }], tcp: { meters: 3 } },
      { id: 'gwb', tcp: { meters: 4 } },
    ],
    profiles: { household: 0.5, business: 0.5 },
    books: { metersPerBook: 4, readingDay: 'last' },
    ...extra,
  });
}

/** A clock standing still at `t` (timers still real): reads and the truth see the same instant. */
export function fixedClock(t: number): Clock {
  return { now: () => t, setTimeout: systemClock.setTimeout, clearTimeout: systemClock.clearTimeout };
}
