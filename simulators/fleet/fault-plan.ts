import type { AnomalyCode } from '../../src/wire/events.js';
import type { Fault } from '../meter/faults.js';
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE } from '../meter/local-time.js';
import { hash32 } from '../meter/prng.js';
import { FleetError } from './errors.js';
import type { FleetFaultConfig, FleetFaultKind } from './fleet-config.js';
import { parseWhen } from './fleet-time.js';

/**
 * One fleet fault on one meter, as the ground truth records it: exact window, resolved parameters, and
 * what the system is expected to raise for it. `expected` uses the wire's anomaly codes
 * (src/wire/events.ts ANOMALY_CODES) plus two event types: 'offline' (a meter-offline event) and
 * 'bus-silent'. `notExpected` lists what would be a false alarm (an announced swap must not be flagged
 * as an index going backwards).
 */
export type ExpectedCode = AnomalyCode | 'offline' | 'bus-silent';

export interface PlannedFault {
  kind: FleetFaultKind;
  /** Position of the fault in the fleet file's `faults`. */
  configIndex: number;
  /** Window in true time; undefined = open. For instant faults `from` is the instant. */
  from: number | undefined;
  until: number | undefined;
  /** Parameters with their defaults filled in. */
  params: Record<string, number | string>;
  expected: ExpectedCode[];
  notExpected: ExpectedCode[];
  /** bus-cut: "gateway/bus". */
  bus?: string;
}

export const EXPECTED_CODES: Readonly<Record<FleetFaultKind, { expected: ExpectedCode[]; notExpected: ExpectedCode[] }>> = {
  silent: { expected: ['offline'], notExpected: [] },
  intermittent: { expected: ['offline', 'intermittent'], notExpected: [] },
  'bus-cut': { expected: ['offline', 'bus-silent'], notExpected: [] },
  burnt: { expected: ['offline'], notExpected: [] },
  'power-failure': { expected: ['offline', 'meter-event'], notExpected: [] },
  stuck: { expected: ['no-advance'], notExpected: [] },
  backwards: { expected: ['negative-advance'], notExpected: [] },
  rollover: { expected: ['rollover'], notExpected: ['negative-advance'] },
  spike: { expected: ['consumption-spike'], notExpected: [] },
  'clock-drift': { expected: ['clock-drift'], notExpected: [] },
  'clock-invalid': { expected: ['clock-invalid'], notExpected: [] },
  tamper: { expected: ['meter-event'], notExpected: [] },
  'reverse-flow': { expected: ['meter-event'], notExpected: [] },
  swap: { expected: [], notExpected: ['negative-advance'] },
  slow: { expected: [], notExpected: [] },
  corrupt: { expected: [], notExpected: [] },
};

/** Kinds that happen at an instant: without `from` the instant is drawn from the seed. */
const INSTANT_KINDS: ReadonlySet<FleetFaultKind> = new Set(['stuck', 'burnt', 'backwards', 'rollover', 'tamper', 'reverse-flow', 'swap', 'power-failure', 'clock-invalid', 'spike', 'bus-cut']);

/**
 * A seeded instant 1 to 8 days after start, on the hour: faults land inside the first month of a run,
 * each meter at its own time, and never in the first day (so a fresh system sees the meter well first).
 */
export function seededInstant(seed: number, start: number, key: number): number {
  const h = hash32(seed, key, 0xfa17);
  return Math.ceil(start / MS_PER_HOUR) * MS_PER_HOUR + MS_PER_DAY + (h % (7 * 24)) * MS_PER_HOUR;
}

/**
 * Resolves a fault of the file for one meter (or bus): `key` makes the seeded defaults differ per meter.
 * Default windows: instant kinds at a seeded instant (a spike lasts 7 days, a bus cut 1 day, a power
 * failure 6 hours, reverse flow 1 day); the others from start, open-ended.
 */
export function resolveFault(cfg: FleetFaultConfig, configIndex: number, seed: number, start: number, key: number): PlannedFault {
  const p = cfg.params as Record<string, number | string | undefined>;
  let from = cfg.from === undefined ? undefined : parseWhen(cfg.from, start);
  let until = cfg.until === undefined ? undefined : parseWhen(cfg.until, start);
  if (from === undefined) from = INSTANT_KINDS.has(cfg.kind) ? seededInstant(seed, start, key * 31 + configIndex) : start;
  if (until === undefined && cfg.until === undefined) {
    const span = { spike: 7 * MS_PER_DAY, 'bus-cut': MS_PER_DAY, 'power-failure': 6 * MS_PER_HOUR, 'reverse-flow': MS_PER_DAY } as Partial<Record<FleetFaultKind, number>>;
    const d = span[cfg.kind];
    if (d !== undefined) until = from + d;
  }
  if (until !== undefined && until <= from) {
    throw new FleetError('FLEET_BAD_CONFIG', `fleet config: faults[${configIndex}].until: ${cfg.until} is not after the fault's instant (${new Date(from).toISOString()}, drawn from the seed): give from too`, {
      context: { path: `faults[${configIndex}].until` },
    });
  }
  const h = hash32(seed, key, configIndex, 0x9a);
  const params: Record<string, number | string> = {};
  switch (cfg.kind) {
    case 'intermittent':
      params.offlineRatio = (p.offlineRatio as number | undefined) ?? 0.5;
      params.slotMinutes = (p.slotMinutes as number | undefined) ?? 15;
      break;
    case 'burnt':
      params.garbageMinutes = (p.garbageMinutes as number | undefined) ?? 60;
      break;
    case 'backwards':
      params.toKwh = (p.toKwh as number | undefined) ?? h % 50;
      break;
    case 'rollover':
      params.digits = (p.digits as number | undefined) ?? 6;
      break;
    case 'spike':
      params.factor = (p.factor as number | undefined) ?? 4;
      break;
    case 'clock-drift':
      params.secondsPerDay = (p.secondsPerDay as number | undefined) ?? 120;
      break;
    case 'tamper':
      params.tamper = (p.tamper as string | undefined) ?? 'cover-open';
      break;
    case 'swap':
      params.firstIndexKwh = (p.firstIndexKwh as number | undefined) ?? h % 5;
      break;
    case 'slow':
      params.delayMs = (p.delayMs as number | undefined) ?? 3000;
      break;
    case 'corrupt':
      if (p.probability !== undefined) params.probability = p.probability;
      if (p.everyNth !== undefined || p.probability === undefined) params.everyNth = (p.everyNth as number | undefined) ?? 3;
      break;
    default:
      break;
  }
  const codes = EXPECTED_CODES[cfg.kind];
  return { kind: cfg.kind, configIndex, from, until, params, expected: [...codes.expected], notExpected: [...codes.notExpected] };
}

/**
 * The simulator faults (simulators/meter) that make a planned fault happen on the meter. Rollover and
 * swap also change how the meter is built (its initial index; a second meter): layout.ts does that part.
 */
export function meterFaultsOf(f: PlannedFault, registerDigits: number): Fault[] {
  const w = { from: f.from, until: f.until };
  const n = (k: string): number => f.params[k] as number;
  switch (f.kind) {
    case 'silent':
    case 'bus-cut':
      return [{ kind: 'silent', ...w }];
    case 'intermittent':
      return [{ kind: 'intermittent', offlineRatio: n('offlineRatio'), slotMs: n('slotMinutes') * MS_PER_MINUTE, ...w }];
    case 'stuck':
      return [{ kind: 'stuck', ...w }];
    case 'burnt':
      return [{ kind: 'burnt', garbageMs: n('garbageMinutes') * MS_PER_MINUTE, ...w }];
    case 'backwards':
      return [{ kind: 'backwards', toWh: n('toKwh') * 1000, ...w }];
    case 'rollover':
      // The register shows its value modulo 10^digits all along; the initial index is chosen so that the
      // value crosses 10^digits at `from` (see layout.ts), which is when the wrap shows.
      return [{ kind: 'rollover', digits: registerDigits }];
    case 'spike':
      return [{ kind: 'spike', factor: n('factor'), ...w }];
    case 'clock-drift':
      return [{ kind: 'clock-drift', msPerDay: n('secondsPerDay') * 1000, ...w }];
    case 'tamper':
      return [{ kind: 'tamper', tamper: f.params.tamper as 'cover-open' | 'magnetic', ...w }];
    case 'reverse-flow':
      return [{ kind: 'reverse-flow', ...w }];
    case 'power-failure':
      return [{ kind: 'power-failure', ...w }];
    case 'clock-invalid':
      return [{ kind: 'clock-invalid', ...w }];
    case 'slow':
      return [{ kind: 'slow', delayMs: n('delayMs'), ...w }];
    case 'corrupt': {
      const c: Fault = { kind: 'corrupt', ...w };
      if (f.params.probability !== undefined) c.probability = n('probability');
      if (f.params.everyNth !== undefined) c.everyNth = n('everyNth');
      return [c];
    }
    case 'swap':
      // The removed meter: off the line and no longer counting from the swap on.
      return [
        { kind: 'silent', from: f.from },
        { kind: 'stuck', from: f.from },
      ];
  }
}
