import type { Fault, FaultSet } from './faults.js';
import type { ClockSet } from './meter-clock.js';
import { MS_PER_DAY } from './local-time.js';

/**
 * Status flags (0.0.96.5.0.255) and the event log (0.0.99.98.0.255) derived from the faults.
 *
 * Event codes follow the numbering common to the IDIS/DSMR "standard event log" where such an event
 * exists there (power down/up, clock adjusted, clock invalid, covers, strong DC field); reverse flow has
 * no common code and gets a code from the manufacturer-specific range.
 */

export const STATUS_BITS = {
  coverOpen: 1 << 0,
  magneticTamper: 1 << 1,
  powerFailure: 1 << 2,
  reverseFlow: 1 << 3,
  clockInvalid: 1 << 4,
} as const;

export const EVENT_CODES = {
  powerDown: 1,
  powerUp: 2,
  clockAdjustedOld: 4,
  clockAdjustedNew: 5,
  clockInvalid: 6,
  strongDcFieldDetected: 42,
  strongDcFieldGone: 43,
  meterCoverRemoved: 44,
  meterCoverClosed: 45,
  reverseFlowDetected: 200,
  reverseFlowEnded: 201,
} as const;

export type EventName = keyof typeof EVENT_CODES;

export interface MeterEvent {
  /** True instant. */
  at: number;
  /** The meter's clock when it logged the event. */
  stamp: number;
  code: number;
  name: EventName;
}

/** A power failure keeps its flag for a day after the supply returns, so that a daily poll still sees it. */
const POWER_FAILURE_FLAG_MS = MS_PER_DAY;

const active = (f: Fault, t: number): boolean => (f.from ?? -Infinity) <= t && t < (f.until ?? Infinity);

export function statusAt(faults: FaultSet, t: number): number {
  let s = 0;
  for (const f of faults.enabled('tamper')) {
    if (active(f, t)) s |= f.tamper === 'magnetic' ? STATUS_BITS.magneticTamper : STATUS_BITS.coverOpen;
  }
  for (const f of faults.enabled('power-failure')) {
    if (f.from! <= t && t < (f.until ?? Infinity) + POWER_FAILURE_FLAG_MS) s |= STATUS_BITS.powerFailure;
  }
  if (faults.enabled('reverse-flow').some((f) => active(f, t))) s |= STATUS_BITS.reverseFlow;
  if (faults.enabled('clock-invalid').some((f) => active(f, t))) s |= STATUS_BITS.clockInvalid;
  return s;
}

/**
 * Every event up to and including true time `t`, oldest first. `stampOf` turns a true instant into the
 * meter's clock reading.
 */
export function eventsUpTo(
  faults: FaultSet,
  clockSets: readonly ClockSet[],
  t: number,
  stampOf: (at: number) => number,
): MeterEvent[] {
  const out: MeterEvent[] = [];
  const push = (at: number | undefined, name: EventName, stamp?: number): void => {
    if (at === undefined || at > t) return;
    out.push({ at, stamp: stamp ?? stampOf(at), code: EVENT_CODES[name], name });
  };
  for (const f of faults.enabled('tamper')) {
    const magnetic = f.tamper === 'magnetic';
    push(f.from, magnetic ? 'strongDcFieldDetected' : 'meterCoverRemoved');
    push(f.until, magnetic ? 'strongDcFieldGone' : 'meterCoverClosed');
  }
  for (const f of faults.enabled('power-failure')) {
    push(f.from, 'powerDown');
    push(f.until, 'powerUp');
  }
  for (const f of faults.enabled('reverse-flow')) {
    push(f.from, 'reverseFlowDetected');
    push(f.until, 'reverseFlowEnded');
  }
  for (const f of faults.enabled('clock-invalid')) push(f.from, 'clockInvalid');
  for (const s of clockSets) {
    push(s.at, 'clockAdjustedOld', s.oldTime);
    push(s.at, 'clockAdjustedNew', s.newTime);
  }
  // Stable order: by true time, then by code so that "old" precedes "new" and down precedes up.
  return out.sort((a, b) => a.at - b.at || a.code - b.code);
}
