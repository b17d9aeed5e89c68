import type { Fault } from '../meter/faults.js';
import { SimulatedMeter } from '../meter/meter-model.js';
import { hash32 } from '../meter/prng.js';

/**
 * The meters `chiso-sim meter` serves: deterministic from the seed (same seed → same serial numbers,
 * same consumption, same indexes), running on the real clock.
 */
export interface FleetOptions {
  readonly count: number;
  readonly seed: number;
  readonly password: string;
  readonly timeSource?: () => number;
}

const DAY_MS = 86_400_000;

/** "SIM" + 10 digits: short enough for an IEC 62056-21 ident, unique within a fleet. */
export function serialOf(seed: number, index: number): string {
  const n = (hash32(seed, index) % 9_000_000) + 1_000_000;
  return `SIM${String(index).padStart(3, '0')}${n}`;
}

export function buildFleet(o: FleetOptions): SimulatedMeter[] {
  const timeSource = o.timeSource ?? (() => Date.now());
  const now = timeSource();
  return Array.from({ length: o.count }, (_, i) => {
    const index = i + 1;
    const seed = hash32(o.seed, index, 1);
    return new SimulatedMeter({
      serial: serialOf(o.seed, index),
      seed,
      // One business customer in five, the rest households (the usual mix behind a TBA).
      profile: { kind: index % 5 === 0 ? 'business' : 'household' },
      installedAt: now - (400 + (seed % 300)) * DAY_MS,
      initialIndexWh: (seed % 20_000) * 1000,
      password: o.password,
      timeSource,
    });
  });
}

/** Faults the command line can ask for: KIND[:PARAM]@METER. */
export const CLI_FAULT_KINDS = ['silent', 'slow', 'corrupt', 'burnt', 'stuck', 'intermittent', 'clock-drift', 'tamper', 'reverse-flow'] as const;

export interface FaultRequest {
  readonly meter: number;
  readonly fault: Fault;
}

/**
 * "slow:3000@2" → meter 2 answers 3 s late. Parameters: slow ms (default 3000), corrupt a probability
 * below 1 or every n-th frame (default every 3rd), burnt ms of garbage before silence (default 60 000),
 * intermittent the offline ratio (default 0.5), clock-drift seconds per day (default 30, may be negative
 * with a leading minus in the parameter: "clock-drift:-20@3"). Returns an error text for a bad request.
 */
export function parseFaultRequest(text: string, meters: number, now: number): FaultRequest | string {
  const m = /^([a-z-]+)(?::(-?[0-9.]+))?@(\d+)$/.exec(text.trim());
  if (!m) return `--fault "${text}" is not KIND[:PARAM]@METER (e.g. silent@2, slow:3000@1)`;
  const [, kind, param, meterText] = m as unknown as [string, string, string | undefined, string];
  const meter = Number(meterText);
  if (!Number.isInteger(meter) || meter < 1 || meter > meters) return `--fault "${text}": meter ${meterText} is not 1..${meters}`;
  const p = param === undefined ? undefined : Number(param);
  if (p !== undefined && !Number.isFinite(p)) return `--fault "${text}": parameter ${param} is not a number`;
  switch (kind) {
    case 'silent':
      return { meter, fault: { kind: 'silent' } };
    case 'stuck':
      return { meter, fault: { kind: 'stuck', from: now } };
    case 'slow':
      return { meter, fault: { kind: 'slow', delayMs: p ?? 3000 } };
    case 'corrupt':
      if (p !== undefined && p < 1) return { meter, fault: { kind: 'corrupt', probability: p } };
      return { meter, fault: { kind: 'corrupt', everyNth: Math.max(1, Math.round(p ?? 3)) } };
    case 'burnt':
      return { meter, fault: { kind: 'burnt', from: now, garbageMs: p ?? 60_000 } };
    case 'intermittent':
      return { meter, fault: { kind: 'intermittent', offlineRatio: p ?? 0.5 } };
    case 'clock-drift':
      return { meter, fault: { kind: 'clock-drift', msPerDay: (p ?? 30) * 1000 } };
    case 'tamper':
      return { meter, fault: { kind: 'tamper', from: now } };
    case 'reverse-flow':
      return { meter, fault: { kind: 'reverse-flow', from: now } };
    default:
      return `--fault "${text}": unknown kind "${kind}" (one of ${CLI_FAULT_KINDS.join(', ')})`;
  }
}
