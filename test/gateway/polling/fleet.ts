import { SimulatedMeter } from '../../../simulators/meter/meter-model.js';
import type { Fault } from '../../../simulators/meter/faults.js';
import { systemClock, type Clock } from '../../../src/shared/clock.js';
import type { MeterConnection, MeterDefinition, RegisterMapping } from '../../../src/gateway/model.js';

/** A fixed instant (15 June 2025, 10:00 in Vietnam): the meters' time source, so values are exact. */
export const NOW = Date.UTC(2025, 5, 15, 3, 0, 0);
export const PASSWORD = '12345678';

/** The simulator's tariff map is T1 normal, T2 peak, T3 off-peak: BT, CD, TD for this model. */
export const SIM_REGISTERS: RegisterMapping[] = [
  { obis: '1.0.1.8.0.255', classId: 3, bcs: 'KT', unit: 'kWh' },
  { obis: '1.0.1.8.1.255', classId: 3, bcs: 'BT', unit: 'kWh' },
  { obis: '1.0.1.8.2.255', classId: 3, bcs: 'CD', unit: 'kWh' },
  { obis: '1.0.1.8.3.255', classId: 3, bcs: 'TD', unit: 'kWh' },
  { obis: '1.0.3.8.0.255', classId: 3, bcs: 'VC', unit: 'kvarh' },
];

export function simMeter(i: number, options: { faults?: Fault[]; scalerWh?: number } = {}): SimulatedMeter {
  return new SimulatedMeter({
    serial: `SIM${String(i).padStart(4, '0')}`,
    seed: 200 + i,
    profile: { kind: 'household' },
    installedAt: Date.UTC(2024, 0, 10),
    initialIndexWh: 1_000_000 * i + 4321,
    password: PASSWORD,
    timeSource: () => NOW,
    loadProfile: { capturePeriodS: 1800, days: 40 },
    faults: options.faults ?? [],
    ...(options.scalerWh !== undefined ? { scalerWh: options.scalerWh } : {}),
  });
}

export function definition(i: number, connection: MeterConnection, overrides: Partial<MeterDefinition> = {}): MeterDefinition {
  return {
    id: `CT${String(i).padStart(3, '0')}`,
    serial: `SIM${String(i).padStart(4, '0')}`,
    meteringPoint: `PD0100${String(i).padStart(7, '0')}001`,
    connection,
    authentication: { clientSap: 17, password: PASSWORD },
    model: 'SIM-1P',
    registers: SIM_REGISTERS,
    multiplier: '1',
    importOnly: true,
    withList: 'auto',
    maxListItems: 10,
    ...overrides,
  };
}

/**
 * value (in units of 10^scalerWh Wh) as kWh text, computed here by string arithmetic so that the test
 * does not lean on the code under test: 1234567 Wh → "1234.567"; 123456 × 10 Wh → "1234.56".
 */
export function asKilo(units: number, scalerWh = 0): string {
  const places = 3 - scalerWh;
  const digits = String(units).padStart(places + 1, '0');
  return `${digits.slice(0, digits.length - places)}.${digits.slice(digits.length - places)}`;
}

/** The gateway's clock: real time shifted by an offset the test moves (back-off windows), real timers. */
export function shiftedClock(): { clock: Clock; advance(ms: number): void } {
  let offset = 0;
  return {
    clock: { now: () => Date.now() + offset, setTimeout: systemClock.setTimeout, clearTimeout: systemClock.clearTimeout },
    advance: (ms) => void (offset += ms),
  };
}

export async function waitUntil(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
